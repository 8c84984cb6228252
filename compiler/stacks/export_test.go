package stacks

// KnownNameType says the name check knows a resource type: it takes a
// physical name whose limit is checked, or it takes none.
func KnownNameType(typ string) bool {
	_, named := physicalNames[typ]
	return named || unnamedTypes[typ]
}

// LifecyclePolicy is the registries' ECR lifecycle policy document.
var LifecyclePolicy = lifecyclePolicy

// VolumeNames exposes the writable paths' volume names.
var VolumeNames = volumeNames
