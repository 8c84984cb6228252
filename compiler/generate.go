package compiler

import (
	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/compiler/stacks"
)

// Generate renders every output file of a resolved app.
func Generate(app *model.App, opts Options) (map[string][]byte, error) {
	return stacks.Generate(app, stacks.Options{Format: opts.Format})
}
