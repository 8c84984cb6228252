package cli_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bgc-dev/bgc/compiler"
	"github.com/bgc-dev/bgc/internal/cli"
	"github.com/bgc-dev/bgc/internal/golden"
	"github.com/bgc-dev/bgc/internal/testenv"
	"github.com/bgc-dev/bgc/plan"
)

// A golden case is a directory under golden/ holding app.yaml (and/or
// case.json with the CLI arguments to run). A case that must fail keeps its
// expected stderr in stderr.txt; any other case keeps the expected output
// tree of `bgc build` beside app.yaml.

type caseConfig struct {
	Args []string `json:"args"` // default: validate app.yaml
}

func findCases(t *testing.T, root string) []string {
	t.Helper()
	var cases []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		for _, marker := range []string{"app.yaml", "case.json"} {
			if _, err := os.Stat(filepath.Join(p, marker)); err == nil {
				cases = append(cases, p)
				return fs.SkipDir
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(cases)
	return cases
}

func run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = cli.Run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestGolden(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	cases := findCases(t, root)
	if len(cases) == 0 {
		t.Fatal("no golden cases found")
	}
	for _, dir := range cases {
		name, _ := filepath.Rel(root, dir)
		t.Run(filepath.ToSlash(name), func(t *testing.T) {
			t.Chdir(dir)
			if _, err := os.Stat("stderr.txt"); err == nil || errors.Is(err, fs.ErrNotExist) && *testenv.Update && strings.HasPrefix(filepath.ToSlash(name), "errors/") {
				runErrorCase(t, dir)
				return
			}
			runBuildCase(t, dir)
		})
	}
}

func runErrorCase(t *testing.T, dir string) {
	args := []string{"validate", "app.yaml"}
	if data, err := os.ReadFile("case.json"); err == nil {
		var cfg caseConfig
		if err := json.Unmarshal(data, &cfg); err != nil {
			t.Fatalf("case.json: %v", err)
		}
		args = cfg.Args
	}
	code, stdout, stderr := run(args...)
	if code != cli.ExitInvalid {
		t.Errorf("exit status %d, want %d (invalid input); stdout %q", code, cli.ExitInvalid, stdout)
	}
	if stdout != "" {
		t.Errorf("stdout should be empty on invalid input, got %q", stdout)
	}
	golden.CompareFile(t, filepath.Join(dir, "stderr.txt"), []byte(stderr))
	for i, a := range args {
		if (a == "-o" || a == "--output") && i+1 < len(args) && args[0] == "build" {
			if _, err := os.Stat(args[i+1]); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("build wrote %s for invalid input", args[i+1])
			}
		}
	}

	// build must fail the same way and write nothing at all.
	if args[0] == "validate" {
		out := filepath.Join(t.TempDir(), "out")
		bcode, _, bstderr := run("build", args[1], "-o", out)
		if bcode != cli.ExitInvalid || bstderr != stderr {
			t.Errorf("build: exit %d, stderr %q; want %d and the validate stderr", bcode, bstderr, cli.ExitInvalid)
		}
		if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("build wrote %s for invalid input", out)
		}
	}
}

func runBuildCase(t *testing.T, dir string) {
	out, ds, err := compiler.Compile(os.DirFS(dir), "app.yaml", "app.yaml", compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) > 0 {
		t.Fatalf("unexpected diagnostics:\n%s", ds.Error())
	}
	golden.CompareTree(t, dir, out.Files, plan.IsLayoutPath)
	// Warnings leave the file valid; a case that has any keeps them.
	warnings := filepath.Join(dir, "warnings.txt")
	if _, err := os.Stat(warnings); err == nil || len(out.Warnings) > 0 {
		golden.CompareFile(t, warnings, []byte(out.Warnings.Error()))
	}
}

// TestExamples builds every examples/*/app.yaml and compares it with the
// output committed under examples/*/out.
func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "app.yaml"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples found (%v)", err)
	}
	for _, app := range dirs {
		dir := filepath.Dir(app)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			if code, _, stderr := run("validate", app); code != 0 {
				t.Fatalf("validate %s: exit %d\n%s", app, code, stderr)
			}
			out, ds, err := compiler.Compile(os.DirFS(dir), "app.yaml", app, compiler.Options{})
			if err != nil || len(ds) > 0 {
				t.Fatalf("compile: %v\n%s", err, ds.Error())
			}
			golden.CompareTree(t, filepath.Join(dir, filepath.FromSlash(out.App.Source.OutputDir)), out.Files, plan.IsLayoutPath)
		})
	}
}
