package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/bgc-dev/bgc/compiler"
	"github.com/bgc-dev/bgc/compiler/model"
)

// osFile maps a user path onto an fs.FS rooted at its directory, so the
// compiler reads through fs.FS while diagnostics show the path as typed.
func osFile(path string) (fsysRoot, name string) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	return dir, base
}

// load validates an app.yaml and prints its diagnostics.
func (e *env) load(path string) (*model.App, error) {
	dir, name := osFile(path)
	app, ds, err := compiler.Load(os.DirFS(dir), name, path)
	if err != nil {
		return nil, fail(ExitInternal, "internal error: %v", err)
	}
	if len(ds) > 0 {
		fmt.Fprint(e.stderr, ds.Error())
		return nil, silent(ExitInvalid)
	}
	return app, nil
}

// compile validates and generates, printing diagnostics.
func (e *env) compile(path string, opts compiler.Options) (*compiler.Output, error) {
	dir, name := osFile(path)
	out, ds, err := compiler.Compile(os.DirFS(dir), name, path, opts)
	if err != nil {
		return nil, fail(ExitInternal, "internal error: %v", err)
	}
	if len(ds) > 0 {
		fmt.Fprint(e.stderr, ds.Error())
		return nil, silent(ExitInvalid)
	}
	return out, nil
}
