package spec

// Test helpers with access to the package's internals, for the black-box
// tests in spec_test (the export_test.go pattern): nothing here is built
// into bgc.

import (
	"strconv"
	"strings"
)

// SchemaProperties lists every property path of the schema's object types,
// dotted from the root (e.g. "accounts.network.cidr"); maps keyed by user
// names (environment, secrets, tags, certificates) are leaves. The drift
// test between the schema and the spec types uses it.
func SchemaProperties() map[string]bool {
	_, raw, err := appSchema()
	if err != nil {
		panic(err)
	}
	root := raw.(map[string]any)
	defs, _ := root["$defs"].(map[string]any)
	out := map[string]bool{}
	var walk func(prefix string, s map[string]any, depth int)
	walk = func(prefix string, s map[string]any, depth int) {
		if depth > 10 {
			return
		}
		if ref, ok := s["$ref"].(string); ok {
			if d, ok := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any); ok {
				walk(prefix, d, depth+1)
			}
		}
		if items, ok := s["items"].(map[string]any); ok {
			walk(prefix, items, depth+1)
		}
		if alts, ok := s["oneOf"].([]any); ok {
			for _, a := range alts {
				if m, ok := a.(map[string]any); ok {
					walk(prefix, m, depth+1)
				}
			}
		}
		props, _ := s["properties"].(map[string]any)
		for name, sub := range props {
			p := name
			if prefix != "" {
				p = prefix + "." + name
			}
			out[p] = true
			if m, ok := sub.(map[string]any); ok {
				walk(p, m, depth+1)
			}
		}
	}
	walk("", root, 0)
	return out
}

// ReferenceMarkdown renders the spec reference (docs/app-yaml.md) from the
// schema's descriptions, so the documentation cannot drift from the schema.
func ReferenceMarkdown() []byte {
	_, raw, err := appSchema()
	if err != nil {
		panic(err)
	}
	root := raw.(map[string]any)
	defs, _ := root["$defs"].(map[string]any)
	var b strings.Builder
	b.WriteString("# app.yaml reference\n\nGenerated from schema/app.schema.json by `go test ./compiler/spec -update`; do not edit.\n\n")
	b.WriteString("| key | type | description |\n|---|---|---|\n")
	var walk func(prefix string, s map[string]any)
	resolve := func(s map[string]any) map[string]any {
		if alts, ok := s["oneOf"].([]any); ok && s["type"] == nil {
			// A value of several forms: document it by its object form.
			merged := map[string]any{}
			var types []string
			for _, a := range alts {
				m, _ := a.(map[string]any)
				if t, ok := m["type"].(string); ok {
					types = append(types, t)
				}
				if m["type"] == "object" {
					for k, v := range m {
						merged[k] = v
					}
				}
			}
			for k, v := range s {
				merged[k] = v
			}
			merged["type"] = strings.Join(types, " or ")
			return merged
		}
		if ref, ok := s["$ref"].(string); ok {
			if d, ok := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any); ok {
				merged := map[string]any{}
				for k, v := range d {
					merged[k] = v
				}
				for k, v := range s {
					merged[k] = v
				}
				return merged
			}
		}
		return s
	}
	walk = func(prefix string, s map[string]any) {
		props, _ := s["properties"].(map[string]any)
		required := map[string]bool{}
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				required[r.(string)] = true
			}
		}
		for _, name := range sortedKeys(props) {
			sub := resolve(props[name].(map[string]any))
			p := prefix + name
			typ, _ := sub["type"].(string)
			if typ == "array" {
				if items, ok := sub["items"].(map[string]any); ok {
					it, _ := resolve(items)["type"].(string)
					typ = "list of " + it
				}
			}
			if enum, ok := sub["enum"].([]any); ok && len(enum) <= 8 {
				parts := make([]string, len(enum))
				for i, e := range enum {
					parts[i] = strings.TrimSpace(strings.ReplaceAll(fmtValue(e), "|", "\\|"))
				}
				typ += ": " + strings.Join(parts, ", ")
			}
			desc, _ := sub["description"].(string)
			if required[name] {
				desc = "**Required.** " + desc
			}
			b.WriteString("| `" + p + "` | " + typ + " | " + strings.ReplaceAll(desc, "|", "\\|") + " |\n")
			next := sub
			if typ == "list of object" {
				next = resolve(sub["items"].(map[string]any))
				walk(p+"[].", next)
				continue
			}
			walk(p+".", next)
		}
	}
	walk("", root)
	return []byte(b.String())
}

func fmtValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return formatFloat(x)
	}
	return ""
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
