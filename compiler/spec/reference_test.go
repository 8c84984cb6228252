package spec_test

import (
	"path/filepath"
	"testing"

	"github.com/bgc-dev/bgc/compiler/spec"
	"github.com/bgc-dev/bgc/internal/golden"
)

// TestReferenceIsCurrent keeps docs/app-yaml.md in step with the schema.
func TestReferenceIsCurrent(t *testing.T) {
	golden.CompareFile(t, filepath.Join("..", "..", "docs", "app-yaml.md"), spec.ReferenceMarkdown())
}
