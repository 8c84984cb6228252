// Package update says what deploying one build over another does to the
// stacks: per stack, the resources added, removed and modified with the
// properties that change, which of them CloudFormation replaces (a change
// of a create-only property, AWS's resource provider schemas say:
// createonly.go), and which changes bgc refuses because they cannot be
// applied to live stacks or lose what they hold. It follows the values
// that flow between resources and stacks: a replaced resource changes
// every Ref and GetAtt of it, an output built from one changes, and so
// does every parameter bound to that output in a later stack.
//
// It is pure: both sides come in as plans with their templates (and, for
// the deployed side, the parameter values and outputs AWS reports).
package update

//go:generate go run ./gencreateonly
