package spec_test

import (
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
	golden.CompareFile(t, filepath.Join("..", "..", "docs", "app-yaml.md"), spec.ReferenceMarkdown(starter))
}
