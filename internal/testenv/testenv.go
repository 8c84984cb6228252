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
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Update rewrites expectations instead of comparing with them.
var Update = flag.Bool("update", false, "rewrite golden files and delete stale ones")

// Main runs the package's tests, then names the tools whose absence
// skipped tests, once per tool: without -v, go test shows nothing of a
// passing package but its "ok" line, so the note goes to the terminal
// (/dev/tty) when there is one, and to stderr otherwise (shown with -v or
// when the package fails).
func Main(m *testing.M) {
	code := m.Run()
	if note := skipNote(); note != "" {
		var w io.Writer = os.Stderr
		if v := flag.Lookup("test.v"); v == nil || v.Value.String() != "true" {
			if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
				defer tty.Close()
				w = tty
			}
		}
		fmt.Fprint(w, note)
	}
	os.Exit(code)
}

// skipped counts the tests skipped per missing tool, with why.
var skipped struct {
	sync.Mutex
	n   map[string]int
	why map[string]string
}

// skipNote is what Main prints about skipped tests ("" when none).
func skipNote() string {
	skipped.Lock()
	defer skipped.Unlock()
	if len(skipped.n) == 0 {
		return ""
	}
	pkg := packageDir()
	var tools []string
	for what := range skipped.n {
		tools = append(tools, what)
	}
	sort.Strings(tools)
	var b strings.Builder
	for _, what := range tools {
		fmt.Fprintf(&b, "bgc tests: %s: skipped %d test(s): %s is unavailable: %s\n", pkg, skipped.n[what], what, skipped.why[what])
	}
	return b.String()
}

// packageDir is the test's package directory relative to the module root.
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "?"
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if rel, err := filepath.Rel(dir, wd); err == nil {
				return filepath.ToSlash(rel)
			}
			return wd
		}
		if dir == filepath.Dir(dir) {
			return wd
		}
	}
}

// Required says CI asked for every external tool (BGC_REQUIRE_TOOLS=1).
func Required() bool { return os.Getenv("BGC_REQUIRE_TOOLS") == "1" }

// Missing skips t because what is unavailable, or fails it when tools are
// required.
func Missing(t testing.TB, what string, why error) {
	t.Helper()
	if Required() {
		t.Fatalf("BGC_REQUIRE_TOOLS=1 but %s is unavailable: %v", what, why)
	}
	skipped.Lock()
	if skipped.n == nil {
		skipped.n, skipped.why = map[string]int{}, map[string]string{}
	}
	skipped.n[what]++
	skipped.why[what] = fmt.Sprint(why)
	skipped.Unlock()
	t.Skipf("SKIPPING: %s is unavailable: %v (set BGC_REQUIRE_TOOLS=1 to make this a failure)", what, why)
}
