// Package golden compares generated trees and outputs with committed
// expectations. With -update (internal/testenv) expectations are rewritten
// and files no longer generated are deleted.
package golden

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bgc-dev/bgc/internal/testenv"
)

// CompareTree compares files (slash paths relative to dir) with the files
// under dir for which owned returns true. With -update it makes dir match.
func CompareTree(t testing.TB, dir string, files map[string][]byte, owned func(string) bool) {
	t.Helper()
	paths, err := ownedFiles(dir, owned)
	if err != nil {
		t.Fatal(err)
	}
	existing := map[string][]byte{}
	for _, rel := range paths {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		existing[rel] = data
	}
	if *testenv.Update {
		for rel, data := range files {
			dst := filepath.Join(dir, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for rel := range existing {
			if _, ok := files[rel]; !ok {
				dst := filepath.Join(dir, filepath.FromSlash(rel))
				if err := os.Remove(dst); err != nil {
					t.Fatal(err)
				}
				for p := filepath.Dir(dst); p != filepath.Clean(dir) && os.Remove(p) == nil; p = filepath.Dir(p) {
				}
			}
		}
		return
	}
	for _, rel := range keys(files, existing) {
		want, inWant := existing[rel]
		got, inGot := files[rel]
		switch {
		case !inWant:
			t.Errorf("%s: generated but not in %s (run go test ./... -update)", rel, dir)
		case !inGot:
			t.Errorf("%s: in %s but no longer generated (run go test ./... -update)", rel, dir)
		default:
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", rel, diff)
			}
		}
	}
}

// CompareFile compares got with the file at path; with -update it writes it.
func CompareFile(t testing.TB, path string, got []byte) {
	t.Helper()
	if *testenv.Update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./... -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func keys(a, b map[string][]byte) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string][]byte{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// ownedFiles returns the slash paths, relative to dir, of the regular files
// under dir for which owned returns true, sorted. A missing dir has none.
func ownedFiles(dir string, owned func(rel string) bool) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); owned(rel) {
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}
