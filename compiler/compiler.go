// Package compiler turns an app.yaml into the deployment plan and every
// file bgc generates. It is pure: input comes through fs.FS, output is the
// typed plan plus a map of slash paths to bytes, and nothing here touches
// the OS. The CLI writes the files and hands the plan to the deployer;
// `build --check` compares the same map with a directory.
package compiler

import (
	"errors"
	"io/fs"

	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/compiler/spec"
	"github.com/bgc-dev/bgc/compiler/stacks"
	"github.com/bgc-dev/bgc/plan"
)

// Format is the rendering of the CloudFormation templates.
type Format = cfn.Format

// Template formats.
const (
	YAML = cfn.YAML
	JSON = cfn.JSON
)

// ParseFormat accepts "yaml" or "json".
func ParseFormat(s string) (Format, error) { return cfn.ParseFormat(s) }

// Options select the output form.
type Options struct {
	// Format of the templates (default YAML).
	Format Format
}

// Output is the result of a successful compile.
type Output struct {
	App   *model.App
	Plan  *plan.Plan        // with every template body
	Files map[string][]byte // slash path relative to the output dir -> contents
	// Warnings are problems that leave the file valid.
	Warnings spec.Diagnostics
}

// Compile loads an app.yaml and generates the plan and every output file.
// Diagnostics mean invalid input, including a valid file that generates
// something AWS would refuse (reported at the spec element that causes
// it); the error means an internal failure.
func Compile(fsys fs.FS, name, display string, opts Options) (*Output, spec.Diagnostics, error) {
	loaded, ds, err := spec.LoadFile(fsys, name, display)
	if err != nil || len(ds) > 0 {
		return nil, ds, err
	}
	res, err := stacks.Generate(loaded.App, stacks.Options{Format: opts.Format})
	var problems stacks.Problems
	if errors.As(err, &problems) {
		ds := make(spec.Diagnostics, len(problems))
		for i, p := range problems {
			ds[i] = loaded.Positions.At(p.Path, p.AtKey, p.Message, p.Hint)
		}
		ds.Sort()
		return nil, ds, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return &Output{App: loaded.App, Plan: res.Plan, Files: res.Files, Warnings: loaded.Warnings}, nil, nil
}
