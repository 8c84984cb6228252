package cli

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"time"
)

// defaultFile is the app.yaml a command reads when it is given none.
const defaultFile = "app.yaml"

// stdinName is how diagnostics name an app.yaml read from stdin ("-").
const stdinName = "<stdin>"

// appFile is the FILE argument of a command: the one given, or ./app.yaml.
// Without an argument and without ./app.yaml it says how to get one.
func appFile(args []string) (string, error) {
	if len(args) > 0 {
		return args[0], nil
	}
	if _, err := os.Stat(defaultFile); errors.Is(err, fs.ErrNotExist) {
		return "", fail(ExitInvalid, "no FILE given and no %s in this directory (bgc init writes one; deploy and destroy also take --from DIR, a committed build)", defaultFile)
	}
	return defaultFile, nil
}

// oneFile is a file system holding one file, the app.yaml read from stdin:
// the compiler reads through fs.FS.
type oneFile struct {
	name string
	data []byte
}

func (o oneFile) Open(name string) (fs.File, error) {
	if name != o.name {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &openFile{info: fileInfo{name: o.name, size: int64(len(o.data))}, r: bytes.NewReader(o.data)}, nil
}

type openFile struct {
	info fileInfo
	r    *bytes.Reader
}

func (f *openFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *openFile) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *openFile) Close() error               { return nil }

type fileInfo struct {
	name string
	size int64
}

func (i fileInfo) Name() string       { return i.name }
func (i fileInfo) Size() int64        { return i.size }
func (i fileInfo) Mode() fs.FileMode  { return 0o444 }
func (i fileInfo) ModTime() time.Time { return time.Time{} }
func (i fileInfo) IsDir() bool        { return false }
func (i fileInfo) Sys() any           { return nil }

// readStdin reads the whole of stdin as an app.yaml.
func (e *env) readStdin() (oneFile, error) {
	if e.stdin == nil {
		return oneFile{}, fail(ExitInvalid, "- reads app.yaml from stdin, but there is no stdin")
	}
	data, err := io.ReadAll(e.stdin)
	if err != nil {
		return oneFile{}, fail(ExitInternal, "read stdin: %v", err)
	}
	return oneFile{name: defaultFile, data: data}, nil
}
