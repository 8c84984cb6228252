// Package compiler turns an app.yaml into every file bgc generates. It is
// pure: input comes through fs.FS, output is a map of slash paths to bytes,
// and nothing here touches the OS. The CLI writes the files; `build --check`
// compares the same map with a directory.
package compiler

import (
	"io/fs"

	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/compiler/spec"
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
	if err != nil {
		return nil, nil, err
	}
	return &Output{App: app, Files: files}, nil, nil
}
