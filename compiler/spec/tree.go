package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Anchors, aliases and merge keys are rejected: app.yaml is short, and an
// alias makes one edit change several places a reviewer cannot see (and
// alias expansion is how "billion laughs" files blow up parsers). Custom
// tags (!Ref and the like) are rejected too: app.yaml is not CloudFormation.

// node is one place in the document: the mapping key (nil for the root and
// sequence items) and the value.
type node struct {
	key, value *yaml.Node
}

// tree is a parsed document: plain Go values for the schema validator and an
// index from JSON pointer to source nodes for positions.
type tree struct {
	root  *yaml.Node
	value any
	index map[string]node
}

// parse turns bytes into a tree. Problems that make the document unusable
// are returned as diagnostics; the tree is nil then.
func parse(file string, data []byte) (*tree, Diagnostics) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Diagnostics{{File: file, Message: "file is empty", Hint: `run "bgc init" for a commented starter app.yaml`}}
		}
		return nil, Diagnostics{syntaxDiag(file, err, data)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Diagnostics{{File: file, Line: extra.Line, Column: extra.Column, Message: "a second YAML document is not allowed; app.yaml holds exactly one"}}
	} else if !errors.Is(err, io.EOF) {
		return nil, Diagnostics{syntaxDiag(file, err, data)}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, Diagnostics{{File: file, Message: "file is empty", Hint: `run "bgc init" for a commented starter app.yaml`}}
		}
		root = root.Content[0]
	}
	t := &tree{root: root, index: map[string]node{}}
	var ds Diagnostics
	t.value = t.walk(file, nil, node{value: root}, &ds, 0)
	return t, ds
}

// maxDepth bounds nesting; app.yaml is never deeper than a handful of levels.
const maxDepth = 64

func (t *tree) walk(file string, path []string, n node, ds *Diagnostics, depth int) any {
	v := n.value
	ptr := pointer(path)
	t.index[ptr] = n
	at := func(msg, hint string) {
		*ds = append(*ds, Diagnostic{File: file, Line: v.Line, Column: v.Column, Path: DisplayPath(path), Message: msg, Hint: hint})
	}
	if depth > maxDepth {
		at("nested too deeply", "")
		return nil
	}
	if v.Anchor != "" {
		at("anchors (&"+v.Anchor+") are not supported", "write the value out in full")
	}
	if v.Tag != "" && !strings.HasPrefix(v.Tag, "!!") {
		at("tag "+v.Tag+" is not supported", "app.yaml is plain YAML; remove the tag")
		return nil
	}
	switch v.Kind {
	case yaml.AliasNode:
		at("aliases (*"+v.Value+") are not supported", "write the value out in full")
		return nil
	case yaml.MappingNode:
		m := make(map[string]any, len(v.Content)/2)
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, val := v.Content[i], v.Content[i+1]
			kp := append(append([]string(nil), path...), k.Value)
			if k.Tag == "!!merge" || (k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Style == 0) {
				*ds = append(*ds, Diagnostic{File: file, Line: k.Line, Column: k.Column, Path: DisplayPath(path), Message: "merge keys (<<) are not supported", Hint: "write the keys out in full"})
				continue
			}
			if k.Kind != yaml.ScalarNode || (k.Tag != "!!str" && k.Tag != "!!int" && k.Tag != "!!bool" && k.Tag != "!!float" && k.Tag != "!!null") {
				*ds = append(*ds, Diagnostic{File: file, Line: k.Line, Column: k.Column, Path: DisplayPath(path), Message: "mapping keys must be plain strings"})
				continue
			}
			if first, dup := seen[k.Value]; dup {
				*ds = append(*ds, Diagnostic{File: file, Line: k.Line, Column: k.Column, Path: DisplayPath(kp), Message: fmt.Sprintf("duplicate key %q (first at line %d)", k.Value, first.Line), Hint: "remove one of them"})
				continue
			}
			seen[k.Value] = k
			m[k.Value] = t.walk(file, kp, node{key: k, value: val}, ds, depth+1)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, 0, len(v.Content))
		for i, item := range v.Content {
			s = append(s, t.walk(file, append(append([]string(nil), path...), strconv.Itoa(i)), node{value: item}, ds, depth+1))
		}
		return s
	case yaml.ScalarNode:
		return t.scalar(v, at)
	default:
		at("unsupported YAML node", "")
		return nil
	}
}

// scalar converts a resolved YAML scalar to the JSON data model.
func (t *tree) scalar(v *yaml.Node, at func(msg, hint string)) any {
	switch v.Tag {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if err := v.Decode(&b); err != nil {
			at("not a boolean: "+v.Value, "")
			return nil
		}
		return b
	case "!!int":
		var i int64
		if err := v.Decode(&i); err != nil {
			var f float64
			if err := v.Decode(&f); err == nil && !math.IsInf(f, 0) {
				return f
			}
			at("integer out of range: "+v.Value, "")
			return nil
		}
		return i
	case "!!float":
		var f float64
		if err := v.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			at("not a finite number: "+v.Value, "")
			return nil
		}
		return f
	case "!!binary":
		at("binary values are not supported", "")
		return nil
	default: // !!str, !!timestamp: keep the text as written
		return v.Value
	}
}

// pointer renders path tokens as an RFC 6901 JSON pointer.
func pointer(path []string) string {
	var b strings.Builder
	for _, p := range path {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(p))
	}
	return b.String()
}

// syntaxDiag turns a yaml.v3 error into a positioned diagnostic. yaml.v3
// reports "yaml: line N: message" where N is often the line of the
// construct the problem is inside (a mapping that starts lines earlier, a
// comment above it) and never a column. So the position is found again:
// the first line whose prefix of the document fails with the same message
// is where the parser meets the problem, and its column is the line's tab
// (for tab errors), its unclosed bracket (for flow errors) or its first
// character.
func syntaxDiag(file string, err error, data []byte) Diagnostic {
	line, msg := splitYAMLError(err)
	d := Diagnostic{File: file, Message: "YAML syntax error: " + msg}
	lines := bytes.SplitAfter(data, []byte("\n"))
	if l := firstFailingLine(lines, msg); l > 0 {
		line = l
	}
	if line > 0 {
		d.Line, d.Column = line, 1
		if line <= len(lines) {
			d.Column = problemColumn(string(lines[line-1]), msg)
		}
	}
	return d
}

// splitYAMLError splits "yaml: line N: message" into N (0 if absent) and
// the message.
func splitYAMLError(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if strings.HasPrefix(msg, "line ") {
		rest := msg[len("line "):]
		if i := strings.Index(rest, ":"); i > 0 {
			if n, convErr := strconv.Atoi(rest[:i]); convErr == nil {
				return n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return 0, msg
}

// firstFailingLine is the smallest n such that the document's first n
// lines fail to parse with msg, or 0. A prefix that fails keeps failing as
// lines are added, so a binary search finds it in a few parses.
func firstFailingLine(lines [][]byte, msg string) int {
	fails := func(n int) bool {
		dec := yaml.NewDecoder(bytes.NewReader(bytes.Join(lines[:n], nil)))
		for {
			var doc yaml.Node
			err := dec.Decode(&doc)
			if err == nil {
				continue
			}
			if errors.Is(err, io.EOF) {
				return false
			}
			_, m := splitYAMLError(err)
			return m == msg
		}
	}
	if len(lines) == 0 || !fails(len(lines)) {
		return 0
	}
	lo, hi := 0, len(lines) // fails(hi); !fails(lo) (nothing fails)
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// problemColumn is the 1-based column on line to point at for msg.
func problemColumn(line, msg string) int {
	col := func(i int) int { return utf8.RuneCountInString(line[:i]) + 1 }
	if strings.Contains(msg, "tab") {
		if i := strings.IndexByte(line, '\t'); i >= 0 {
			return col(i)
		}
	}
	if strings.Contains(msg, "']'") || strings.Contains(msg, "'}'") {
		if i := strings.LastIndexAny(line, "[{"); i >= 0 {
			return col(i)
		}
	}
	if i := strings.IndexFunc(line, func(r rune) bool { return r != ' ' && r != '\t' }); i >= 0 && line[i] != '\n' && line[i] != '\r' {
		return col(i)
	}
	return 1
}
