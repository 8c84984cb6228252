package stacks_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/stacks"
	"github.com/bgc-dev/bgc/internal/testenv"
)

// TestCfnLint runs cfn-lint, informational findings included, over every
// template of every variant in one process (it is slow to start).
func TestCfnLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		testenv.Missing(t, "cfn-lint (the template lint gate)", err)
	}
	dir := t.TempDir()
	var templates []string
	for name, app := range variants() {
		for _, format := range []cfn.Format{cfn.YAML, cfn.JSON} {
			if format == cfn.JSON && name != "seed" {
				continue
			}
			res, err := stacks.Generate(app, stacks.Options{Format: format})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for path, body := range res.Files {
				full := filepath.Join(dir, name+"-"+string(format), filepath.FromSlash(path))
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
