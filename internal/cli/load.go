package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/bgc-dev/bgc/compiler"
	"github.com/bgc-dev/bgc/compiler/spec"
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

// compile validates and generates, printing diagnostics.
func (e *env) compile(path string, opts compiler.Options) (*compiler.Output, error) {
	dir, name := osFile(path)
	out, ds, err := compiler.Compile(os.DirFS(dir), name, path, opts)
	if out != nil {
		fmt.Fprint(e.stderr, out.Warnings.Error())
	}
	return out, e.report(ds, err)
}

// report prints diagnostics and maps them, or an internal error, to an exit
// status.
func (e *env) report(ds spec.Diagnostics, err error) error {
	if err != nil {
		return fail(ExitInternal, "internal error: %v", err)
	}
	if len(ds) > 0 {
		fmt.Fprint(e.stderr, ds.Error())
		return silent(ExitInvalid)
	}
	return nil
}
