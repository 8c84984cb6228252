// Package cfn is bgc's only adapter around goformation: our own Template
// type, intrinsic-function helpers, IAM policy-document helpers and
// deterministic JSON/YAML rendering.
//
// Resources are the typed structs of goformation's service subpackages
// (cloudformation/ec2, cloudformation/ecs, ...). The stack builders import
// those subpackages directly: re-exporting every resource and nested
// property type through aliases here would add hundreds of names and no
// isolation, because a replacement library would need the builders
// rewritten anyway. What must not leak is everything that decides the
// shape of the output: intrinsics and rendering live only here, and nothing
// imports the top-level goformation/cloudformation package (its all.go
// compiles every service package).
//
// goformation types most properties as string. An intrinsic is therefore
// encoded as a marker string (see Ref, Sub, GetAtt, ...) that fits any
// string field; Render decodes every marker back into its {"Fn::...": ...}
// map, wherever it sits in the tree.
package cfn
