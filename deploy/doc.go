// Package deploy executes a bgc deployment plan (compiler/plan) against AWS
// CloudFormation: it assumes one role per account, runs the stacks as a
// dependency graph under a global and a per-(account, region) concurrency
// cap, passes outputs of finished stacks to the parameters of later ones,
// drives each stack through change sets (or CreateStack/UpdateStack) from
// whatever state CloudFormation reports, and renders progress as a live
// table, as timestamped lines or as NDJSON events.
//
// CloudFormation is the source of truth: a second run continues where an
// interrupted one stopped, and a run with nothing changed touches nothing.
// A stack whose template (compared parsed), parameters and tags already
// match what CloudFormation reports is not touched at all (one GetTemplate
// call), but its outputs are still read.
//
// The entry points are Deploy and Destroy.
//
// # Files
//
//   - graph.go: the DAG scheduler (caps, skip on failure).
//   - credentials.go, awsconfig.go: base config, role per account, retries.
//   - stack.go: the per-stack state machine; changeset.go and direct.go: the
//     two ways to apply a stack; poll.go: throttle-tolerant polling and
//     root-cause events.
//   - inputs.go: templates, parameter binding, the input hash.
//   - progress.go, events.go, report.go, confirm.go: output and prompts.
//
// # Tests
//
// `go test ./deploy/...` runs unit tests (fakes only for states moto cannot
// produce) and end-to-end tests against moto_server, started once per test
// package on a free loopback port (skipped when it is not on PATH, a
// failure with BGC_REQUIRE_TOOLS=1).
package deploy
