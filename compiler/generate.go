package compiler

import "github.com/bgc-dev/bgc/compiler/model"

// Generate renders every output file of a resolved app.
func Generate(app *model.App, opts Options) (map[string][]byte, error) {
	return map[string][]byte{}, nil
}
