package spec

// Positions is where the elements of one loaded app.yaml are: the loader hands
// it to later stages with the model, so a problem found only in generated
// output is reported at the spec element that caused it, through the same
// Diagnostic type and ordering as the loader's own.
type Positions struct {
	file string
	t    *tree
}

// File is the name diagnostics show.
func (s *Positions) File() string { return s.file }

// At is a diagnostic at the value of the element path names (JSON-pointer
// tokens, e.g. "accounts", "1", "id"); when that element is absent (a
// default was used) at the key of its nearest ancestor. With key, it is at
// the element's own key.
func (s *Positions) At(path []string, key bool, msg, hint string) Diagnostic {
	d := Diagnostic{File: s.file, Path: DisplayPath(path), Message: msg, Hint: hint}
	if s.t == nil {
		return d
	}
	for p := path; ; p = p[:len(p)-1] {
		if n, ok := s.t.index[pointer(p)]; ok {
			pos := n.value
			if (key || len(p) < len(path)) && n.key != nil {
				pos = n.key
			}
			d.Line, d.Column = pos.Line, pos.Column
			break
		}
		if len(p) == 0 {
			break
		}
	}
	return d
}
