package spec_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/bgc-dev/bgc/compiler/spec"
	"github.com/bgc-dev/bgc/internal/golden"
)

// TestReferenceIsCurrent keeps docs/app-yaml.md in step with the schema.
func TestReferenceIsCurrent(t *testing.T) {
	starter, err := os.ReadFile(filepath.Join("..", "..", "internal", "cli", "starter.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var changes map[string]string
	data, err := os.ReadFile(filepath.Join("..", "update", "testdata", "changes.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &changes); err != nil {
		t.Fatal(err)
	}
	doc, unknown := spec.ReferenceMarkdown(starter, changes)
	if len(unknown) > 0 {
		t.Errorf("the day-2 matrix names keys the schema does not have: %v", unknown)
	}
	golden.CompareFile(t, filepath.Join("..", "..", "docs", "app-yaml.md"), doc)
}
