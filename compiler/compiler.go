// Package compiler turns an app.yaml into every file bgc generates. It is
// pure: input comes through fs.FS, output is a map of slash paths to bytes,
// and nothing here touches the OS. The CLI writes the files; `build --check`
// compares the same map with a directory.
package compiler

import (
	"errors"
	"io/fs"

	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/compiler/spec"
	"github.com/bgc-dev/bgc/compiler/stacks"
)

// Options select the output form.
type Options struct {
	// Format is "yaml" (default) or "json" for the CloudFormation templates.
	Format string
}

// Output is the result of a successful compile.
type Output struct {
	App   *model.App
	Files map[string][]byte // slash path relative to the output dir -> contents
}

// Load reads and validates an app.yaml without generating anything.
// Diagnostics mean invalid input; the error means an internal failure.
func Load(fsys fs.FS, name, display string) (*model.App, spec.Diagnostics, error) {
	return spec.LoadFile(fsys, name, display)
}

// Compile loads an app.yaml and generates every output file.
func Compile(fsys fs.FS, name, display string, opts Options) (*Output, spec.Diagnostics, error) {
	app, ds, err := Load(fsys, name, display)
	if err != nil || len(ds) > 0 {
		return nil, ds, err
	}
	files, err := Generate(app, opts)
	var limits stacks.LimitErrors
	if errors.As(err, &limits) {
		// The file is valid but describes more than AWS can hold.
		var ds spec.Diagnostics
		line, col := 0, 0
		if data, err := fs.ReadFile(fsys, name); err == nil {
			line, col = spec.Locate(data, "accounts")
		}
		for _, l := range limits {
			ds = append(ds, spec.Diagnostic{File: display, Line: line, Column: col, Path: "accounts", Message: l.Error(),
				Hint: "the document grows with the number of targets: split the fleet into several apps"})
		}
		return nil, ds, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return &Output{App: app, Files: files}, nil, nil
}
