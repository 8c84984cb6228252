package update

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bgc-dev/bgc/compiler/update/internal/schemas"
	"github.com/bgc-dev/bgc/internal/testenv"
)

// TestCreateOnlyTableIsCurrent regenerates the table from the installed
// cfn-lint's schemas and compares: `go generate ./compiler/update` after a
// cfn-lint upgrade changes it. The cfn-lint version in the header is not
// compared (a newer cfn-lint with the same table is fine).
func TestCreateOnlyTableIsCurrent(t *testing.T) {
	out, err := exec.Command("python3", "-c", "import cfnlint, os; print(os.path.dirname(cfnlint.__file__))").Output()
	if err != nil {
		testenv.Missing(t, "cfn-lint's Python package (the create-only table's source)", err)
	}
	data, err := os.ReadFile("types.txt")
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			types = append(types, l)
		}
	}
	props, err := schemas.Extract(filepath.Join(strings.TrimSpace(string(out)), "data"), types)
	if err != nil {
		t.Fatal(err)
	}
	want, err := schemas.Render(props, "X")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("createonly.go")
	if err != nil {
		t.Fatal(err)
	}
	body := func(b []byte) string { _, rest, _ := strings.Cut(string(b), "\n"); return rest }
	if body(got) != body(want) {
		t.Errorf("createonly.go is not what the installed cfn-lint's schemas give: run go generate ./compiler/update")
	}
	if len(createOnly) != len(types) {
		t.Errorf("createonly.go has %d types, types.txt %d", len(createOnly), len(types))
	}
}
