package spec

import (
	"fmt"
	"sort"
	"strings"
)

// Diagnostic is one problem in an input file, at a 1-based line and column.
// Line 0 means the problem concerns the whole file.
type Diagnostic struct {
	File    string
	Line    int
	Column  int
	Path    string // e.g. accounts[1].id; "" for file-level problems
	Message string
	Hint    string // optional fix, printed on its own line
	// Warning marks a problem that does not make the file invalid: it is
	// printed, and the command goes on.
	Warning bool
}

// String renders "file:line:col: path: message" plus an optional
// "  hint: ..." line.
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", d.Line, d.Column)
	}
	b.WriteString(": ")
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	if d.Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(d.Message)
	if d.Hint != "" {
		b.WriteString("\n  hint: ")
		b.WriteString(d.Hint)
	}
	return b.String()
}

// Diagnostics is every problem found in one file.
type Diagnostics []Diagnostic

// Sort orders diagnostics by position, then path and message, so output is
// stable whatever order the checks ran in.
func (ds Diagnostics) Sort() {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Message < b.Message
	})
}

// Error renders every diagnostic, one per line, sorted.
func (ds Diagnostics) Error() string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// DisplayPath renders JSON-pointer tokens as a readable path:
// ["accounts","1","id"] -> accounts[1].id.
func DisplayPath(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		if isIndex(t) {
			b.WriteString("[" + t + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(t)
	}
	return b.String()
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// HasErrors says any diagnostic makes the file invalid (not a warning).
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if !d.Warning {
			return true
		}
	}
	return false
}
