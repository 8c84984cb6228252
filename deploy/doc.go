// Package deploy executes a bgc deployment plan (package plan) against AWS
// CloudFormation: it assumes one role per account, runs the stacks as a
// dependency graph under a global and a per-(account, region) concurrency
// cap, passes outputs of finished stacks to the parameters of later ones,
// drives each stack through change sets (or CreateStack/UpdateStack) from
// whatever state CloudFormation reports, and renders progress as a live
// table, as timestamped lines or as NDJSON events.
//
// Everything it knows about a stack comes from the plan (its template body,
// resource count, the resources CloudFormation must never modify); it never
// parses a template.
//
// CloudFormation is the source of truth: a second run continues where an
// interrupted one stopped, and a run with nothing changed touches nothing.
// A stack whose template, parameters and tags already match what
// CloudFormation reports is not touched at all (one GetTemplate call), but
// its outputs are still read.
//
// The entry points are Deploy and Destroy: two operations of one engine
// walking one graph.
//
// # Files
//
//   - engine.go: the operations and the walk; graph.go: the DAG scheduler
//     (caps, skip on failure, results handed back through it).
//   - credentials.go, awsconfig.go: base config, role per account, retries.
//   - stack.go: the per-stack state machine (deploy, destroy and the one
//     delete path); changeset.go and direct.go: the two ways to apply a
//     stack; poll.go: throttle-tolerant polling and root-cause events.
//   - inputs.go: template checks, parameter binding, the input hash;
//     template.go: comparing with what CloudFormation holds.
//   - progress.go, events.go, report.go, confirm.go: output and prompts.
//
// # Tests
//
// `go test ./deploy/...` runs unit tests (fakes only for states moto cannot
// produce) and end-to-end tests against moto_server, started once per test
// package on a free loopback port (skipped when it is not on PATH, a
// failure with BGC_REQUIRE_TOOLS=1).
package deploy
