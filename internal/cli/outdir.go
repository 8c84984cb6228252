package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/bgc-dev/bgc/internal/tree"
	"github.com/bgc-dev/bgc/plan"
)

// existingGenerated lists the files under dir that have the shape of bgc
// output (plan.IsLayoutPath), as slash paths.
func existingGenerated(dir string) ([]string, error) {
	return tree.Files(dir, plan.IsLayoutPath)
}

// treeDiff is how a directory differs from what would be generated.
type treeDiff struct {
	Missing, Stale, Extra []string
}

func (d treeDiff) empty() bool { return len(d.Missing)+len(d.Stale)+len(d.Extra) == 0 }

// diffTree compares dir with files.
func diffTree(dir string, files map[string][]byte) (treeDiff, error) {
	var d treeDiff
	for _, p := range sortedPaths(files) {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			d.Missing = append(d.Missing, p)
		case err != nil:
			return d, err
		case !bytes.Equal(got, files[p]):
			d.Stale = append(d.Stale, p)
		}
	}
	existing, err := existingGenerated(dir)
	if err != nil {
		return d, err
	}
	for _, p := range existing {
		if _, ok := files[p]; !ok {
			d.Extra = append(d.Extra, p)
		}
	}
	return d, nil
}

// writeTree makes dir hold exactly files (among bgc-shaped files). Every
// file is first staged next to its destination; if staging fails, the
// staged files are removed and dir is as it was. Only then are they renamed
// into place and files no longer generated removed.
func writeTree(dir string, files map[string][]byte) (treeDiff, error) {
	d, err := diffTree(dir, files)
	if err != nil {
		return d, err
	}
	type staged struct{ tmp, dst string }
	var done []staged
	cleanup := func() {
		for _, s := range done {
			os.Remove(s.tmp)
		}
	}
	for _, p := range append(append([]string(nil), d.Missing...), d.Stale...) {
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			cleanup()
			return d, err
		}
		f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".bgc-*")
		if err != nil {
			cleanup()
			return d, err
		}
		done = append(done, staged{tmp: f.Name(), dst: dst})
		if _, err := f.Write(files[p]); err != nil {
			f.Close()
			cleanup()
			return d, err
		}
		if err := f.Chmod(0o644); err != nil {
			f.Close()
			cleanup()
			return d, err
		}
		if err := f.Close(); err != nil {
			cleanup()
			return d, err
		}
	}
	for i, s := range done {
		if err := os.Rename(s.tmp, s.dst); err != nil {
			cleanup()
			return d, fmt.Errorf("%w (after %d of %d files were replaced)", err, i, len(done))
		}
	}
	for _, p := range d.Extra {
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return d, err
		}
		// Remove the account/region directories the stale file leaves empty.
		for parent := filepath.Dir(dst); parent != filepath.Clean(dir); parent = filepath.Dir(parent) {
			if os.Remove(parent) != nil {
				break
			}
		}
	}
	return d, nil
}

func sortedPaths(files map[string][]byte) []string {
	out := make([]string, 0, len(files))
	for p := range files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
