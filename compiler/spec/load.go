// Package spec reads app.yaml: bytes -> YAML node tree -> plain values and a
// position index -> JSON Schema diagnostics -> typed File -> defaults
// applied (model.App) -> semantic rules, which read both the file and the
// resolved model. Every problem is reported with the line and column of the
// YAML node it concerns, all at once. The position index leaves with the
// model (Positions), so checks of generated output report the same way.
package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/bgc-dev/bgc/compiler/model"
)

// SupportedVersion is the only app.yaml format version this bgc reads.
const SupportedVersion = 1

// MaxFileSize bounds the input; a real app.yaml is a few kilobytes.
const MaxFileSize = 1 << 20

// Loaded is a valid app.yaml: the resolved model and where each element of
// the spec is.
type Loaded struct {
	App       *model.App
	Positions *Positions
	// Warnings are problems that leave the file valid, sorted.
	Warnings Diagnostics
}

// LoadFile reads name from fsys and loads it; display is the name used in
// diagnostics (usually the path the user typed). A missing file or a
// directory is reported as a diagnostic, not an error.
func LoadFile(fsys fs.FS, name, display string) (*Loaded, Diagnostics, error) {
	info, err := fs.Stat(fsys, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, Diagnostics{{File: display, Message: "no such file", Hint: `run "bgc init" to create a starter app.yaml`}}, nil
		}
		return nil, Diagnostics{{File: display, Message: "cannot read: " + unwrapPathError(err)}}, nil
	}
	if info.IsDir() {
		return nil, Diagnostics{{File: display, Message: "is a directory, not an app.yaml file"}}, nil
	}
	if info.Size() > MaxFileSize {
		return nil, Diagnostics{{File: display, Message: fmt.Sprintf("file is %d bytes; app.yaml may be at most %d", info.Size(), MaxFileSize)}}, nil
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, Diagnostics{{File: display, Message: "cannot read: " + unwrapPathError(err)}}, nil
	}
	return Load(display, data)
}

func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Load checks data and resolves it into a model. Diagnostics mean invalid
// input; the error is reserved for internal failures.
func Load(file string, data []byte) (*Loaded, Diagnostics, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, Diagnostics{{File: file, Message: "file is empty", Hint: `run "bgc init" for a commented starter app.yaml`}}, nil
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, Diagnostics{{File: file, Message: fmt.Sprintf("not a text file (NUL byte at offset %d)", i)}}, nil
	}
	if !utf8.Valid(data) {
		return nil, Diagnostics{{File: file, Message: fmt.Sprintf("not a text file (invalid UTF-8 at offset %d)", invalidUTF8Offset(data))}}, nil
	}
	t, ds := parse(file, data)
	if t == nil || len(ds) > 0 {
		ds.Sort()
		return nil, ds, nil
	}
	if ds := checkVersion(file, t); len(ds) > 0 {
		return nil, ds, nil
	}
	ds, err := validateSchema(file, t)
	if err != nil {
		return nil, nil, err
	}
	if len(ds) > 0 {
		ds.Sort()
		return nil, ds, nil
	}
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		// The schema accepted what the types cannot hold: the two drifted.
		return nil, nil, fmt.Errorf("%s: schema and spec types disagree: %w", file, err)
	}
	app := resolve(&f)
	pos := &Positions{file: file, t: t}
	ds, warnings := checkRules(pos, &f, app)
	if len(ds) > 0 {
		ds.Sort()
		return nil, ds, nil
	}
	warnings.Sort()
	return &Loaded{App: app, Positions: pos, Warnings: warnings}, nil, nil
}

// checkVersion reads version before anything else: a file of another
// version gets one line, not a screen of schema errors.
func checkVersion(file string, t *tree) Diagnostics {
	if t.root.Kind != yaml.MappingNode {
		return Diagnostics{{File: file, Line: t.root.Line, Column: t.root.Column, Message: "app.yaml must be a mapping of keys (version, name, tools, ...)", Hint: `run "bgc init" for a commented starter app.yaml`}}
	}
	n, ok := t.index["/version"]
	if !ok {
		return Diagnostics{{File: file, Line: t.root.Line, Column: t.root.Column, Path: "version", Message: `missing required key "version"`, Hint: fmt.Sprintf("start the file with version: %d", SupportedVersion)}}
	}
	v, isInt := t.value.(map[string]any)["version"].(int64)
	if !isInt {
		return Diagnostics{{File: file, Line: n.value.Line, Column: n.value.Column, Path: "version", Message: fmt.Sprintf("must be the integer %d", SupportedVersion)}}
	}
	if v != SupportedVersion {
		return Diagnostics{{File: file, Line: n.value.Line, Column: n.value.Column, Path: "version", Message: fmt.Sprintf("version %d is not supported; this bgc reads version %d", v, SupportedVersion)}}
	}
	return nil
}

func invalidUTF8Offset(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}
