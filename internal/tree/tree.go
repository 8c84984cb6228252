// Package tree lists the files of an output directory that a predicate
// claims, for the CLI's build/--check and for the golden tests alike.
package tree

import (
	"errors"
	"io/fs"
	"path/filepath"
	"sort"
)

// Files returns the slash paths, relative to dir, of the regular files under
// dir for which owned returns true, sorted. A missing dir has no files.
func Files(dir string, owned func(rel string) bool) ([]string, error) {
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
