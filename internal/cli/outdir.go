package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bgc-dev/bgc/plan"
	"github.com/bgc-dev/bgc/plan/planfile"
)

// An output directory may hold anything: a repository root, a folder of the
// user's own templates. bgc owns exactly the files that the directory's
// plan.json records as written by an earlier bgc build (planfile.Record).
// It replaces and removes only those, refuses to overwrite any other file,
// never writes or removes through a symbolic link, and leaves everything
// else alone.

// treeDiff is how a directory differs from what would be generated.
type treeDiff struct {
	Missing, Stale []string
	// Extra are recorded files of the earlier build that this build no
	// longer generates: a build removes them.
	Extra []string
	// Foreign are files that exist, were not written by bgc, and differ
	// from what this build would write there: a build refuses to run.
	Foreign []string
}

func (d treeDiff) empty() bool { return len(d.Missing)+len(d.Stale)+len(d.Extra) == 0 }

// outDirError is an output directory bgc refuses to write into.
type outDirError struct{ msg string }

func (e *outDirError) Error() string { return e.msg }

// recorded returns the files an earlier bgc build wrote into dir, or none
// when dir holds no plan.json of bgc's.
func recorded(dir string) (map[string]bool, error) {
	data, err := os.ReadFile(filepath.Join(dir, plan.File))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	files, err := planfile.Record(data)
	if err != nil {
		return nil, nil // someone else's plan.json: it owns nothing here
	}
	out := make(map[string]bool, len(files))
	for _, f := range files {
		out[f] = true
	}
	return out, nil
}

// checkDir refuses an output path that exists but is not a directory.
func checkDir(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !info.IsDir():
		return &outDirError{fmt.Sprintf("%s is a file, not a directory", dir)}
	}
	return nil
}

// noLinks refuses a path below dir that passes through (or is) a symbolic
// link, so that nothing is written or removed outside dir.
func noLinks(dir, rel string) error {
	p := dir
	for _, part := range strings.Split(rel, "/") {
		p = filepath.Join(p, part)
		info, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			return &outDirError{fmt.Sprintf("%s is a symbolic link; bgc does not write or remove through links", p)}
		}
	}
	return nil
}

// diffTree compares dir with files.
func diffTree(dir string, files map[string][]byte) (treeDiff, error) {
	var d treeDiff
	if err := checkDir(dir); err != nil {
		return d, err
	}
	owned, err := recorded(dir)
	if err != nil {
		return d, err
	}
	for _, p := range sortedPaths(files) {
		if err := noLinks(dir, p); err != nil {
			return d, err
		}
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			d.Missing = append(d.Missing, p)
		case err != nil:
			return d, err
		case bytes.Equal(got, files[p]):
		case !owned[p]:
			d.Foreign = append(d.Foreign, p)
		default:
			d.Stale = append(d.Stale, p)
		}
	}
	for _, p := range sortedKeys(owned) {
		if _, ok := files[p]; ok {
			continue
		}
		if err := noLinks(dir, p); err != nil {
			return d, err
		}
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(p))); err == nil {
			d.Extra = append(d.Extra, p)
		}
	}
	return d, nil
}

// writeTree makes dir hold files and nothing else of bgc's. It refuses, and
// changes nothing, when a file bgc did not write would be overwritten.
// Every file is first staged next to its destination; if staging fails, the
// staged files are removed and dir is as it was. Only then are they renamed
// into place and the earlier build's files that are no longer generated
// removed, with the directories they leave empty.
func writeTree(dir string, files map[string][]byte) (treeDiff, error) {
	d, err := diffTree(dir, files)
	if err != nil {
		return d, err
	}
	if len(d.Foreign) > 0 {
		return d, &outDirError{fmt.Sprintf("%s already holds %s, which no earlier bgc build wrote there (its plan.json does not record it); move it away or build into another directory",
			dir, strings.Join(d.Foreign, ", "))}
	}
	type staged struct{ tmp, dst string }
	var done []staged
	cleanup := func() {
		for _, s := range done {
			os.Remove(s.tmp)
		}
	}
	// plan.json, the record, is renamed into place last.
	var write []string
	last := false
	for _, p := range append(append([]string(nil), d.Missing...), d.Stale...) {
		if p == plan.File {
			last = true
			continue
		}
		write = append(write, p)
	}
	if last {
		write = append(write, plan.File)
	}
	for _, p := range write {
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
		// Remove the account/region directories the file leaves empty.
		for parent := path.Dir(p); parent != "."; parent = path.Dir(parent) {
			if os.Remove(filepath.Join(dir, filepath.FromSlash(parent))) != nil {
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

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
