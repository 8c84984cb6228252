// Package planfile reads and writes a plan as plan.json, apart from the
// plan type itself: the compiler encodes the plan it built, and
// `bgc deploy --from DIR` loads a committed one with its templates.
package planfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/bgc-dev/bgc/plan"
)

// Version is the format of plan.json this bgc writes and reads. Version 2
// added what the deployer used to read from the templates (each stack's
// resource count and the resources it must never let CloudFormation
// modify); a version 1 file lacks those, so it is refused rather than
// deployed without the guard. Version 3 added live parameters (the target
// group each listener forwards to, read before every change), the ECS
// service settings the deployer applies, the deployment group whose
// deployments a change waits for, and the named resources; the templates
// of a version 2 build need them.
const Version = 3

// file is plan.json: the format version, the plan, and the record of every
// file the build wrote into its directory (plan.json included), which is
// what a later build may replace or remove there and nothing else.
type file struct {
	Version int `json:"version"`
	*plan.Plan
	Files []string `json:"files"`
}

// Encode renders p and the record of the build's files (slash paths
// relative to the directory) as indented JSON with a final newline.
func Encode(p *plan.Plan, files []string) ([]byte, error) {
	files = slices.Clone(files)
	slices.Sort(files)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(file{Version: Version, Plan: p, Files: files}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Record returns the files an earlier bgc build wrote into a directory,
// read from that build's plan.json: the list format 2 keeps or, for format
// 1, which kept none, the files its layout implies (plan.json,
// buildspec.yml, every stack's template and each service target's
// taskdef.json and appspec.yaml). Every path is checked to lie inside the
// directory. An error means data is not a plan.json bgc wrote.
func Record(data []byte) ([]string, error) {
	var f struct {
		Version *int         `json:"version"`
		Stacks  []plan.Stack `json:"stacks"`
		Files   []string     `json:"files"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", plan.File, err)
	}
	var files []string
	switch {
	case f.Version == nil:
		return nil, fmt.Errorf("%s: no format version; this is not a plan written by bgc build", plan.File)
	case *f.Version == 1:
		files = []string{plan.File, plan.BuildspecFile}
		for _, s := range f.Stacks {
			files = append(files, s.Template)
			if strings.HasSuffix(s.ID, "/service") {
				files = append(files, plan.TaskDefPath(s.AccountName, s.Region), plan.AppSpecPath(s.AccountName, s.Region))
			}
		}
	case *f.Version >= 2 && *f.Version <= Version:
		files = f.Files
	default:
		return nil, fmt.Errorf("%s: format %d is not one this bgc reads", plan.File, *f.Version)
	}
	for _, p := range files {
		if !plan.IsLayoutPath(p) || path.Clean(p) != p {
			return nil, fmt.Errorf("%s: %q is not a path of a bgc build", plan.File, p)
		}
	}
	slices.Sort(files)
	return slices.Compact(files), nil
}

// Previous reads the plan.json of an earlier build with its templates, for
// comparing a new build with it: any format this bgc has written, without
// the checks Load makes before a deploy (an old build is read, never run).
func Previous(fsys fs.FS) (*plan.Plan, error) {
	data, err := fs.ReadFile(fsys, plan.File)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", plan.File, unwrap(err))
	}
	var f file
	f.Plan = &plan.Plan{}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", plan.File, err)
	}
	if f.Version < 1 || f.Version > Version {
		return nil, fmt.Errorf("%s: format %d is not one this bgc reads", plan.File, f.Version)
	}
	for i := range f.Stacks {
		s := &f.Stacks[i]
		if !fs.ValidPath(s.Template) {
			return nil, fmt.Errorf("%s: stack %s: template %q is not a path inside the directory", plan.File, s.ID, s.Template)
		}
		if s.Body, err = fs.ReadFile(fsys, s.Template); err != nil {
			return nil, fmt.Errorf("stack %s: template %s: %w", s.ID, s.Template, unwrap(err))
		}
	}
	return f.Plan, nil
}

// Decode parses plan.json and checks the plan is well formed. It does not
// read templates.
func Decode(data []byte) (*plan.Plan, error) {
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%s: %w", plan.File, err)
	}
	switch {
	case head.Version == nil:
		return nil, fmt.Errorf("%s: no format version; this is not a plan written by bgc build", plan.File)
	case *head.Version < Version:
		return nil, fmt.Errorf("%s: format %d was written by an older bgc; rebuild the directory with this one (bgc build FILE -o DIR) and deploy that", plan.File, *head.Version)
	case *head.Version > Version:
		return nil, fmt.Errorf("%s: format %d was written by a newer bgc; this one reads format %d", plan.File, *head.Version, Version)
	}
	f := file{Plan: &plan.Plan{}}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", plan.File, err)
	}
	if err := f.Plan.Check(); err != nil {
		return nil, prefixed(err)
	}
	return f.Plan, nil
}

// Load reads plan.json from the top of fsys and every stack's template
// into its Body. It is where a committed (and perhaps hand-edited) build
// is trusted, so beyond plan.Check it checks that the plan describes its
// templates (verify). Every problem is reported, one per line.
func Load(fsys fs.FS) (*plan.Plan, error) {
	data, err := fs.ReadFile(fsys, plan.File)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", plan.File, unwrap(err))
	}
	p, err := Decode(data)
	if err != nil {
		return nil, err
	}
	var errs []error
	for i := range p.Stacks {
		s := &p.Stacks[i]
		body, err := fs.ReadFile(fsys, s.Template) // plan.Check: a valid path inside fsys
		if err != nil {
			errs = append(errs, fmt.Errorf("stack %s: template %s: %w", s.ID, s.Template, unwrap(err)))
			continue
		}
		s.Body = body
	}
	if len(errs) == 0 {
		errs = verify(p)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, prefixed(err)
	}
	return p, nil
}

// prefixed puts "plan.json: " before every line of err.
func prefixed(err error) error {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = plan.File + ": " + l
	}
	return errors.New(strings.Join(lines, "\n"))
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
