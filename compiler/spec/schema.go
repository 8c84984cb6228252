package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/bgc-dev/bgc/schema"
)

var (
	schemaOnce     sync.Once
	compiledSchema *jsonschema.Schema
	rawSchema      any
	schemaErr      error
)

// appSchema compiles the embedded schema once.
func appSchema() (*jsonschema.Schema, any, error) {
	schemaOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.JSON))
		if err != nil {
			schemaErr = fmt.Errorf("embedded schema: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		if err := c.AddResource(schema.URL, doc); err != nil {
			schemaErr = fmt.Errorf("embedded schema: %w", err)
			return
		}
		compiledSchema, schemaErr = c.Compile(schema.URL)
		if schemaErr == nil {
			// A second, untouched copy to read x-message/x-hint from.
			schemaErr = json.Unmarshal(schema.JSON, &rawSchema)
		}
	})
	return compiledSchema, rawSchema, schemaErr
}

var printer = message.NewPrinter(language.English)

// validateSchema checks the tree against the JSON Schema and maps every
// violation back to a YAML position.
func validateSchema(file string, t *tree) (Diagnostics, error) {
	sch, raw, err := appSchema()
	if err != nil {
		return nil, err
	}
	err = sch.Validate(t.value)
	if err == nil {
		return nil, nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return nil, err
	}
	var ds Diagnostics
	seen := map[string]bool{}
	for _, leaf := range leaves(ve) {
		for _, d := range t.describe(file, raw, leaf) {
			k := fmt.Sprintf("%d:%d:%s:%s", d.Line, d.Column, d.Path, d.Message)
			if !seen[k] {
				seen[k] = true
				ds = append(ds, d)
			}
		}
	}
	return ds, nil
}

// leaves flattens the cause tree to the errors that say something concrete.
// For if/then, allOf and $ref groups only the causes matter.
func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	if _, ok := e.ErrorKind.(*kind.PropertyNames); ok {
		// Report the name itself, with the message of its schema.
		return []*jsonschema.ValidationError{e}
	}
	if _, ok := e.ErrorKind.(*kind.OneOf); ok && allOfKind[*kind.Type](e.Causes) {
		// A value of none of the forms: one message for the value.
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// allOfKind says every error is of kind K.
func allOfKind[K any](errs []*jsonschema.ValidationError) bool {
	for _, c := range errs {
		if _, ok := c.ErrorKind.(K); !ok {
			return false
		}
	}
	return len(errs) > 0
}

// describe turns one leaf error into diagnostics.
func (t *tree) describe(file string, raw any, e *jsonschema.ValidationError) Diagnostics {
	loc := e.InstanceLocation
	place := func(tokens []string, useKey bool, msg, hint string) Diagnostic {
		n, ok := t.index[pointer(tokens)]
		d := Diagnostic{File: file, Path: DisplayPath(tokens), Message: msg, Hint: hint}
		if ok {
			pos := n.value
			if useKey && n.key != nil {
				pos = n.key
			}
			d.Line, d.Column = pos.Line, pos.Column
		}
		return d
	}
	annot := func(name string) string { return schemaAnnotation(raw, e.SchemaURL, name) }
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		var ds Diagnostics
		allowed := allowedProperties(raw, e.SchemaURL)
		for _, p := range k.Properties {
			tokens := append(append([]string(nil), loc...), p)
			hint := ""
			if where := keyHomes(raw)[p]; len(where) > 0 {
				hint = fmt.Sprintf("%s is a key of %s", p, strings.Join(where, " and of "))
			} else if s := closest(p, allowed); s != "" {
				hint = fmt.Sprintf("did you mean %q?", s)
			} else if len(allowed) > 0 {
				hint = "allowed here: " + strings.Join(allowed, ", ")
			}
			ds = append(ds, place(tokens, true, fmt.Sprintf("unknown key %q", p), hint))
		}
		return ds
	case *kind.Required:
		var ds Diagnostics
		for _, m := range k.Missing {
			ds = append(ds, place(loc, true, fmt.Sprintf("missing required key %q", m), ""))
		}
		return ds
	case *kind.PropertyNames:
		tokens := append(append([]string(nil), loc...), k.Property)
		msg := "is not an allowed name"
		hint := ""
		for _, c := range leaves(&jsonschema.ValidationError{Causes: e.Causes}) {
			if m := schemaAnnotation(raw, c.SchemaURL, "x-message"); m != "" {
				msg = m
				hint = schemaAnnotation(raw, c.SchemaURL, "x-hint")
				break
			}
			msg = c.ErrorKind.LocalizedString(printer)
		}
		d := place(tokens, true, fmt.Sprintf("key %q %s", k.Property, msg), hint)
		return Diagnostics{d}
	case *kind.Type:
		got := k.Got
		if got == "number" {
			got = "a number"
		} else if got == "integer" {
			got = "an integer"
		} else {
			got = "a " + got
		}
		want := strings.Join(k.Want, " or ")
		msg := fmt.Sprintf("must be %s, not %s", article(want), got)
		hint := ""
		if slices.Contains(k.Want, "string") && (k.Got == "integer" || k.Got == "number") {
			if m := annot("x-message"); m != "" {
				msg = m
			}
			hint = annot("x-hint")
			if hint == "" {
				hint = "quote the value to make it a string"
			}
		}
		if k.Got == "null" {
			msg = fmt.Sprintf("must be %s, but has no value", article(want))
		}
		return Diagnostics{place(loc, false, msg, hint)}
	case *kind.Enum:
		if m := annot("x-message"); m != "" {
			hint := annot("x-hint")
			if hint == "" {
				hint = closestEnum(k.Got, k.Want)
			}
			return Diagnostics{place(loc, false, withValue(k.Got, m), hint)}
		}
		return Diagnostics{place(loc, false, "must be one of "+joinValues(k.Want), closestEnum(k.Got, k.Want))}
	case *kind.Const:
		if len(loc) == 1 && loc[0] == "version" {
			return Diagnostics{place(loc, false, fmt.Sprintf("version %v is not supported; this bgc reads version %v", k.Got, k.Want), "")}
		}
		return Diagnostics{place(loc, false, fmt.Sprintf("must be %v", k.Want), "")}
	case *kind.Pattern, *kind.MinLength, *kind.MaxLength:
		msg := annot("x-message")
		switch k := k.(type) {
		case *kind.MinLength:
			if msg == "" || k.Want > 1 {
				msg = fmt.Sprintf("must be at least %d characters", k.Want)
			}
			if k.Got == 0 {
				msg = "must not be empty"
			}
		case *kind.MaxLength:
			msg = fmt.Sprintf("must be at most %d characters (got %d)", k.Want, k.Got)
		case *kind.Pattern:
			if msg == "" {
				msg = "must match " + k.Want
			}
			msg = withValue(k.Got, msg)
		}
		return Diagnostics{place(loc, false, msg, annot("x-hint"))}
	case *kind.Minimum:
		return Diagnostics{place(loc, false, fmt.Sprintf("must be at least %s", ratString(k.Want)), "")}
	case *kind.Maximum:
		return Diagnostics{place(loc, false, fmt.Sprintf("must be at most %s", ratString(k.Want)), "")}
	case *kind.MinItems:
		if k.Want == 1 {
			return Diagnostics{place(loc, false, "must list at least one item", "")}
		}
		return Diagnostics{place(loc, false, fmt.Sprintf("must list at least %d items", k.Want), "")}
	case *kind.MaxProperties:
		return Diagnostics{place(loc, false, fmt.Sprintf("must have at most %d entries (got %d)", k.Want, k.Got), "")}
	case *kind.UniqueItems:
		tokens := append(append([]string(nil), loc...), fmt.Sprint(k.Duplicates[1]))
		return Diagnostics{place(tokens, false, fmt.Sprintf("repeats item %d", k.Duplicates[0]), "list each value once")}
	case *kind.OneOf, *kind.Not:
		msg := annot("x-message")
		if msg == "" {
			msg = e.ErrorKind.LocalizedString(printer)
		}
		return Diagnostics{place(loc, false, msg, annot("x-hint"))}
	case *kind.FalseSchema:
		return Diagnostics{place(loc, true, "is not allowed here", "")}
	default:
		return Diagnostics{place(loc, false, e.ErrorKind.LocalizedString(printer), "")}
	}
}

// schemaAt resolves the fragment of a schema URL inside the raw schema.
func schemaAt(raw any, url string) map[string]any {
	i := strings.Index(url, "#")
	if i < 0 {
		m, _ := raw.(map[string]any)
		return m
	}
	cur := raw
	for _, tok := range strings.Split(strings.TrimPrefix(url[i+1:], "/"), "/") {
		if tok == "" {
			continue
		}
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch c := cur.(type) {
		case map[string]any:
			cur = c[tok]
		case []any:
			var n int
			if _, err := fmt.Sscan(tok, &n); err != nil || n < 0 || n >= len(c) {
				return nil
			}
			cur = c[n]
		default:
			return nil
		}
	}
	m, _ := cur.(map[string]any)
	return m
}

func schemaAnnotation(raw any, url, name string) string {
	s, _ := schemaAt(raw, url)[name].(string)
	return s
}

// keyHomes maps every key the schema defines to where it belongs
// ("accounts[]", "service.healthCheck", "the top level"), so a key in the
// wrong place is told where it goes rather than offered a sibling.
func keyHomes(raw any) map[string][]string {
	homesOnce.Do(func() {
		homes = map[string][]string{}
		root, _ := raw.(map[string]any)
		defs, _ := root["$defs"].(map[string]any)
		var walk func(node map[string]any, path string, depth int)
		walk = func(node map[string]any, path string, depth int) {
			if depth > 20 {
				return
			}
			if ref, ok := node["$ref"].(string); ok {
				if d, ok := defs[ref[strings.LastIndex(ref, "/")+1:]].(map[string]any); ok {
					walk(d, path, depth+1)
				}
			}
			if props, ok := node["properties"].(map[string]any); ok {
				where := path
				if where == "" {
					where = "the top level"
				}
				for k, v := range props {
					if !slices.Contains(homes[k], where) {
						homes[k] = append(homes[k], where)
					}
					if m, ok := v.(map[string]any); ok {
						walk(m, strings.TrimPrefix(path+"."+k, "."), depth+1)
					}
				}
			}
			if m, ok := node["items"].(map[string]any); ok {
				walk(m, path+"[]", depth+1)
			}
			if m, ok := node["additionalProperties"].(map[string]any); ok {
				walk(m, path+".*", depth+1)
			}
			for _, k := range []string{"oneOf", "anyOf"} {
				list, _ := node[k].([]any)
				for _, v := range list {
					if m, ok := v.(map[string]any); ok {
						walk(m, path, depth+1)
					}
				}
			}
		}
		walk(root, "", 0)
		for _, list := range homes {
			sort.Strings(list)
		}
	})
	return homes
}

var (
	homesOnce sync.Once
	homes     map[string][]string
)

func allowedProperties(raw any, url string) []string {
	props, _ := schemaAt(raw, url)["properties"].(map[string]any)
	out := make([]string, 0, len(props))
	for k := range props {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func article(s string) string {
	switch s {
	case "integer", "object", "array":
		return "an " + s
	case "":
		return "a value"
	}
	if strings.Contains(s, " or ") {
		return s
	}
	return "a " + s
}

func joinValues(vs []any) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		if s, ok := v.(string); ok {
			parts[i] = s
		} else {
			parts[i] = fmt.Sprint(v)
		}
	}
	return strings.Join(parts, ", ")
}

func ratString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	return r.FloatString(3)
}

// closestEnum suggests the enum value nearest to a misspelt string.
func closestEnum(got any, want []any) string {
	s, ok := got.(string)
	if !ok {
		return ""
	}
	var names []string
	for _, w := range want {
		if ws, ok := w.(string); ok {
			names = append(names, ws)
		}
	}
	if c := closest(s, names); c != "" {
		return fmt.Sprintf("did you mean %q?", c)
	}
	return ""
}

// closest returns the candidate within a small edit distance of s, if any.
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	if len(s) > 64 {
		return ""
	}
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// withValue prefixes a message that reads "is ..." with the offending value:
// `"eu-centrl-1" is not an AWS region bgc knows`.
func withValue(got any, msg string) string {
	if !strings.HasPrefix(msg, "is ") {
		return msg
	}
	if s, ok := got.(string); ok {
		return fmt.Sprintf("%q %s", s, msg)
	}
	return fmt.Sprintf("%v %s", got, msg)
}
