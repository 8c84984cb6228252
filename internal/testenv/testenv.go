// Package testenv is what bgc's test packages share: the -update flag
// (so `go test ./... -update` works in every package), and the rule for
// external tools (cfn-lint, moto_server, ...): a test that needs a missing
// tool is skipped with a loud reason, or fails when BGC_REQUIRE_TOOLS=1, as
// in CI.
//
// Every test package has a TestMain that calls Main, which also makes the
// flag known there.
package testenv

import (
	"flag"
	"os"
	"testing"
)

// Update rewrites expectations instead of comparing with them.
var Update = flag.Bool("update", false, "rewrite golden files and delete stale ones")

// Main runs the package's tests.
func Main(m *testing.M) { os.Exit(m.Run()) }

// Required says CI asked for every external tool (BGC_REQUIRE_TOOLS=1).
func Required() bool { return os.Getenv("BGC_REQUIRE_TOOLS") == "1" }

// Missing skips t because what is unavailable, or fails it when tools are
// required.
func Missing(t testing.TB, what string, why error) {
	t.Helper()
	if Required() {
		t.Fatalf("BGC_REQUIRE_TOOLS=1 but %s is unavailable: %v", what, why)
	}
	t.Skipf("SKIPPING: %s is unavailable: %v (set BGC_REQUIRE_TOOLS=1 to make this a failure)", what, why)
}
