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
	"strings"

	"github.com/bgc-dev/bgc/plan"
)

// Version is the format of plan.json this bgc writes and reads. Version 2
// added what the deployer used to read from the templates (each stack's
// resource count and the resources it must never let CloudFormation
// modify); a version 1 file lacks those, so it is refused rather than
// deployed without the guard.
const Version = 2

// file is plan.json: the format version and the plan.
type file struct {
	Version int `json:"version"`
	*plan.Plan
}

// Encode renders p as indented JSON with a final newline.
func Encode(p *plan.Plan) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(file{Version: Version, Plan: p}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
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
		return nil, fmt.Errorf("%s: %w", plan.File, err)
	}
	return f.Plan, nil
}

// Load reads plan.json from the top of fsys and every stack's template
// into its Body.
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
		name := path.Clean(strings.TrimPrefix(s.Template, "./"))
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("stack %s: template %s: %w", s.ID, s.Template, unwrap(err)))
			continue
		}
		s.Body = body
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
