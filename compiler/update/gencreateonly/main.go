// Command gencreateonly writes compiler/update/createonly.go from the
// CloudFormation resource provider schemas of the installed cfn-lint:
//
//	go generate ./compiler/update
//
// The types are those listed in types.txt (every type bgc emits; a test in
// compiler/stacks fails when a builder emits one that is missing).
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/bgc-dev/bgc/compiler/update/internal/schemas"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gencreateonly:", err)
		os.Exit(1)
	}
}

func run() error {
	dir, version, err := CfnLint()
	if err != nil {
		return err
	}
	types, err := Types("types.txt")
	if err != nil {
		return err
	}
	props, err := schemas.Extract(dir, types)
	if err != nil {
		return err
	}
	src, err := schemas.Render(props, "the resource provider schemas of cfn-lint "+version)
	if err != nil {
		return err
	}
	return os.WriteFile("createonly.go", src, 0o644)
}

// CfnLint finds the installed cfn-lint's data directory and version.
func CfnLint() (dir, version string, err error) {
	out, err := exec.Command("python3", "-c", "import cfnlint, cfnlint.version, os; print(os.path.dirname(cfnlint.__file__)); print(cfnlint.version.__version__)").Output()
	if err != nil {
		return "", "", fmt.Errorf("cfn-lint's Python package: %w", err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != 2 {
		return "", "", fmt.Errorf("unexpected answer from python3: %q", out)
	}
	return filepath.Join(lines[0], "data"), lines[1], nil
}

// Types reads the type list: one per line, # comments.
func Types(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}
