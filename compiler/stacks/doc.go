// Package stacks compiles a resolved model.App into every file bgc writes:
// one CloudFormation template per stack, the per-target taskdef.json and
// appspec.yaml read by the pipeline's CodeDeployToECS actions, the
// buildspec.yml of the single image build, and plan.json, the ordered list
// of stacks `bgc deploy` executes.
//
// Stack cut (plan ids are "<accountName>/<region>/<kind>"):
//
//	tools/<primary>/key        AWS::KMS::Key (multi-Region) + alias      retain
//	tools/<other>/key          AWS::KMS::ReplicaKey + alias, per region  retain
//	tools/<region>/artifacts   artifact bucket + policy, per region      retain
//	<acct>/<region>/network    VPC, subnets, NAT, routes
//	<acct>/<region>/registry   ECR repository                            retain
//	<acct>/<region>/service    ALB, target groups, listeners, SGs, cluster,
//	                           roles, log group, task definition, service
//	<acct>/<region>/delivery   CodeDeploy app/group, alarms, CodeDeploy role,
//	                           the pipeline's cross-account deploy role
//	tools/<tools>/source       CodeCommit repository (+ PR Lambda)       retain
//	tools/<tools>/build        CodeBuild project, build role, log group
//	tools/<tools>/pipeline     CodePipeline V2, its role, start rule + role
//
// Values cross stacks only as template parameters bound in plan.json to an
// earlier stack's outputs. Every other link is a physical name derived in
// model/names.go, so the templates never GetAtt a resource type that moto
// skips, and policies that name principals of later stacks grant to the
// account root restricted by aws:PrincipalArn, which needs no second pass.
//
// Stacks marked retain hold state (keys, buckets, images, code): the
// deployer gives them termination protection, never deletes them to recover
// from a failed create, and destroy keeps them unless asked.
//
// Generate is pure and deterministic: no I/O, clock or randomness.
package stacks
