package stacks_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bgc-dev/bgc/compiler/stacks"
)

// TestCfnLint runs cfn-lint, informational findings included, over every
// template of every variant in one process (it is slow to start).
func TestCfnLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		if os.Getenv("BGC_REQUIRE_TOOLS") == "1" {
			t.Fatal("cfn-lint is not on PATH and BGC_REQUIRE_TOOLS=1")
		}
		t.Skip("SKIPPING cfn-lint gate: cfn-lint is not on PATH (set BGC_REQUIRE_TOOLS=1 to make this fail)")
	}
	dir := t.TempDir()
	var templates []string
	for name, app := range variants() {
		for _, format := range []string{"yaml", "json"} {
			if format == "json" && name != "seed" {
				continue
			}
			files, err := stacks.Generate(app, stacks.Options{Format: format})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for path, body := range files {
				full := filepath.Join(dir, name+"-"+format, filepath.FromSlash(path))
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(full, body, 0o644); err != nil {
					t.Fatal(err)
				}
				if strings.Contains(path, ".template.") {
					templates = append(templates, full)
				}
			}
		}
	}
	sort.Strings(templates)
	cmd := exec.Command(lint, append([]string{"-c", "I", "-f", "parseable", "--"}, templates...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil || out.Len() > 0 {
		t.Errorf("cfn-lint over %d templates: %v\n%s", len(templates), err, strings.ReplaceAll(out.String(), dir+string(filepath.Separator), ""))
	}
}
