package cli

import (
	"fmt"
	"io/fs"
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
// The path "-" reads the app.yaml from stdin.
func (e *env) compile(path string, opts compiler.Options) (*compiler.Output, error) {
	out, ds, err := e.compileQuiet(path, opts)
	if err != nil {
		return nil, err
	}
	if out != nil {
		fmt.Fprint(e.stderr, out.Warnings.Error())
	}
	return out, e.report(ds, nil)
}

// compileQuiet validates and generates, returning the diagnostics; the
// error is one for the user already (a file that cannot be read from
// stdin), or an internal one.
func (e *env) compileQuiet(path string, opts compiler.Options) (*compiler.Output, spec.Diagnostics, error) {
	var fsys fs.FS
	name, shown := "", path
	if path == "-" {
		f, err := e.readStdin()
		if err != nil {
			return nil, nil, err
		}
		fsys, name, shown = f, f.name, stdinName
	} else {
		var dir string
		dir, name = osFile(path)
		fsys = os.DirFS(dir)
	}
	out, ds, err := compiler.Compile(fsys, name, shown, opts)
	if err != nil {
		return nil, nil, fail(ExitInternal, "internal error: %v", err)
	}
	return out, ds, nil
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

// templateFormat is the --format of the commands that compile templates.
func templateFormat(format string) (compiler.Format, error) {
	f, err := compiler.ParseFormat(format)
	if err != nil {
		return f, fail(ExitInvalid, "--format must be yaml or json, not %q", format)
	}
	return f, nil
}
