package spec_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bgc-dev/bgc/compiler/spec"
)

// FuzzLoad feeds arbitrary bytes to the loader and validator: it must never
// panic, and it must either resolve a model or explain why not.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*", "app.yaml"))
	more, _ := filepath.Glob(filepath.Join("..", "..", "golden", "*", "*", "app.yaml"))
	top, _ := filepath.Glob(filepath.Join("..", "..", "golden", "*", "app.yaml"))
	for _, p := range append(append(seeds, more...), top...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("version: 1\nname: &a [*a]\n"))
	f.Add([]byte("version: 1\nservice: {cpu: 1e400}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		loaded, ds, err := spec.Load("app.yaml", data)
		if err != nil {
			t.Fatalf("internal error on fuzz input: %v", err)
		}
		if (loaded == nil) == (len(ds) == 0) {
			t.Fatalf("got model %v with %d diagnostics", loaded != nil, len(ds))
		}
		for _, d := range ds {
			if d.Message == "" || d.File != "app.yaml" {
				t.Fatalf("malformed diagnostic %+v", d)
			}
		}
	})
}

func BenchmarkValidate(b *testing.B) {
	data := readExample(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, ds, err := spec.Load("app.yaml", data); err != nil || len(ds) > 0 {
			b.Fatal(err, ds)
		}
	}
}
