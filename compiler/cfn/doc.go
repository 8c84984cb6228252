// Package cfn is where bgc decides the shape of its output: our own
// Template type, intrinsic-function helpers, IAM policy-document helpers,
// the value tree and every YAML/JSON rendering (templates, taskdef.json,
// appspec.yaml, buildspec.yml). Nothing else in the compiler marshals
// YAML or JSON.
//
// Resources are the typed structs of goformation's service subpackages
// (cloudformation/ec2, cloudformation/ecs, ...), and the stack builders
// import those subpackages directly; that is accepted on purpose:
// re-exporting every resource and nested property type through aliases here
// would add hundreds of names and no isolation, because a replacement
// library would need the builders rewritten anyway. Nothing imports the
// top-level goformation/cloudformation package (its all.go compiles every
// service package). Properties goformation lacks (it was archived in 2024)
// get local types here when bgc needs them.
//
// goformation types most properties as string. An intrinsic is therefore
// encoded as a marker string (see Ref, Sub, GetAtt, ...) that fits any
// string field; Tree decodes every marker back into its {"Fn::...": ...}
// map, wherever it sits in the tree.
package cfn
