package spec

// Test helpers with access to the package's internals, for the black-box
// tests in spec_test (the export_test.go pattern): nothing here is built
// into bgc.

import (
	"fmt"
	"sort"
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

// referenceSections is the order of docs/app-yaml.md: the order of a
// written app.yaml (the starter's). A top-level key not listed lands in
// "Top level".
var referenceSections = []string{"tools", "key", "source", "accounts", "network", "loadBalancer", "service", "deployment"}

// ReferenceMarkdown renders the spec reference (docs/app-yaml.md) from the
// schema's descriptions, so the documentation cannot drift from the schema:
// one section per top-level key with the starter's lines for it as the
// example (starter is internal/cli/starter.yaml), every key with its type,
// allowed values or range and description, then the regions and the
// Fargate sizes the schema allows.
//
// changes maps keys to what changing them on a live target does, as the
// day-2 matrix measures it (compiler/update/testdata/changes.json); the
// second return lists keys of changes the schema does not have.
func ReferenceMarkdown(starter []byte, changes map[string]string) ([]byte, []string) {
	used := map[string]bool{}
	_, raw, err := appSchema()
	if err != nil {
		panic(err)
	}
	root := raw.(map[string]any)
	defs, _ := root["$defs"].(map[string]any)
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
	rows := func(b *strings.Builder, prefix string, s map[string]any, only func(string) bool) {
		b.WriteString("| key | type | values | changing it later | description |\n|---|---|---|---|---|\n")
		var walk func(prefix string, s map[string]any, top bool)
		walk = func(prefix string, s map[string]any, top bool) {
			props, _ := s["properties"].(map[string]any)
			required := map[string]bool{}
			if req, ok := s["required"].([]any); ok {
				for _, r := range req {
					required[r.(string)] = true
				}
			}
			for _, name := range sortedKeys(props) {
				if top && !only(name) {
					continue
				}
				sub := resolve(props[name].(map[string]any))
				p := prefix + name
				typ, _ := sub["type"].(string)
				values := ""
				if typ == "array" {
					if items, ok := sub["items"].(map[string]any); ok {
						it := resolve(items)
						t, _ := it["type"].(string)
						typ = "list of " + t
						values = valuesOf(it)
					}
				} else {
					values = valuesOf(sub)
				}
				desc, _ := sub["description"].(string)
				if required[name] {
					desc = "**Required.** " + desc
				}
				later := changes[p]
				if later != "" {
					used[p] = true
				}
				b.WriteString("| `" + p + "` | " + typ + " | " + values + " | " + later + " | " + strings.ReplaceAll(desc, "|", "\\|") + " |\n")
				next := sub
				if typ == "list of object" {
					next = resolve(sub["items"].(map[string]any))
					walk(p+"[].", next, false)
					continue
				}
				walk(p+".", next, false)
			}
		}
		walk(prefix, s, prefix == "")
	}
	props, _ := root["properties"].(map[string]any)
	listed := map[string]bool{}
	for _, k := range referenceSections {
		listed[k] = true
	}
	var b strings.Builder
	b.WriteString("# app.yaml reference\n\nGenerated from schema/app.schema.json (and the starter `bgc init` writes, for the examples) by `go test ./compiler/spec -update`; do not edit.\n\n")
	b.WriteString("\"Changing it later\" says what a change of the key does to a target that is already deployed, as the day-2 matrix (compiler/update/matrix_test.go) measures it; a blank means no row of the matrix changes that key. The README's \"What you can change, and how\" and [day2.md](day2.md) explain each; [security.md](security.md) says what each security option costs.\n\n")
	b.WriteString("Sections: [top level](#top-level)")
	for _, k := range referenceSections {
		b.WriteString(", [`" + k + "`](#" + k + ")")
	}
	b.WriteString(", [regions](#regions), [Fargate sizes](#fargate-sizes).\n\n")
	b.WriteString("## Top level\n\n")
	b.WriteString(example(starter, func(line string) bool {
		k := topLevelKey(line)
		return props[k] != nil && !listed[k]
	}))
	rows(&b, "", root, func(k string) bool { return !listed[k] })
	for _, k := range referenceSections {
		sub := resolve(props[k].(map[string]any))
		desc, _ := sub["description"].(string)
		b.WriteString("\n## " + k + "\n\n" + desc + "\n\n")
		if later := changes[k]; later != "" {
			used[k] = true
			b.WriteString("Adding or removing entries later: " + later + " (a removed target's stacks stay until `bgc destroy --target ACCOUNT/REGION`).\n\n")
		}
		b.WriteString(example(starter, func(line string) bool { return topLevelKey(line) == k }))
		next := sub
		prefix := k + "."
		if items, ok := sub["items"].(map[string]any); ok {
			next, prefix = resolve(items), k+"[]."
		}
		rows(&b, prefix, next, nil)
	}
	b.WriteString("\n## Regions\n\nThe regions `tools.region`, `key.primaryRegion` and `accounts[].regions` accept: ")
	if enum, ok := defs["region"].(map[string]any)["enum"].([]any); ok {
		parts := make([]string, len(enum))
		for i, e := range enum {
			parts[i] = "`" + fmtValue(e) + "`"
		}
		b.WriteString(strings.Join(parts, ", ") + ". All regions of one app are in one partition (aws, aws-cn or aws-us-gov).\n")
	}
	b.WriteString("\n## Fargate sizes\n\n`service.memory` (MiB) must be a size Fargate allows with `service.cpu` (units; 1024 = one vCPU):\n\n| cpu | memory |\n|---|---|\n")
	svc, _ := props["service"].(map[string]any)
	all, _ := svc["allOf"].([]any)
	for _, c := range all {
		m, _ := c.(map[string]any)
		cpu := fmtValue(dig(m, "if", "properties", "cpu", "const"))
		enum, _ := dig(m, "then", "properties", "memory", "enum").([]any)
		if cpu == "" || len(enum) == 0 {
			continue
		}
		parts := make([]string, len(enum))
		for i, e := range enum {
			parts[i] = fmtValue(e)
		}
		mem := strings.Join(parts, ", ")
		step := enum[1].(float64) - enum[0].(float64)
		uniform := true
		for i := 1; i < len(enum); i++ {
			uniform = uniform && enum[i].(float64)-enum[i-1].(float64) == step
		}
		if len(parts) > 6 && uniform {
			mem = parts[0] + " to " + parts[len(parts)-1] + " in steps of " + formatFloat(step)
		}
		b.WriteString("| " + cpu + " | " + mem + " |\n")
	}
	var unknown []string
	for k := range changes {
		if !used[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	return []byte(b.String()), unknown
}

// dig follows keys through nested maps.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// valuesOf is a key's allowed values, range or length, for the reference.
func valuesOf(s map[string]any) string {
	if enum, ok := s["enum"].([]any); ok {
		if len(enum) > 8 { // the regions
			return fmt.Sprintf("one of the %d [regions](#regions)", len(enum))
		}
		parts := make([]string, len(enum))
		for i, e := range enum {
			parts[i] = strings.TrimSpace(strings.ReplaceAll(fmtValue(e), "|", "\\|"))
		}
		return strings.Join(parts, ", ")
	}
	lo, hasLo := s["minimum"].(float64)
	hi, hasHi := s["maximum"].(float64)
	switch {
	case hasLo && hasHi:
		return formatFloat(lo) + " to " + formatFloat(hi)
	case hasLo:
		return "at least " + formatFloat(lo)
	case hasHi:
		return "at most " + formatFloat(hi)
	}
	if n, ok := s["maxItems"].(float64); ok {
		return "at most " + formatFloat(n) + " items"
	}
	return ""
}

// topLevelKey is the top-level key a starter line sets or shows commented
// out ("service:" or "# network:"), or "".
func topLevelKey(line string) string {
	l := strings.TrimPrefix(line, "# ")
	if l == "" || l[0] == ' ' || l[0] == '#' {
		return ""
	}
	k, _, ok := strings.Cut(l, ":")
	if !ok || strings.ContainsAny(k, " \t") {
		return ""
	}
	return k
}

// example is the starter's lines of the sections in as a YAML block: each
// section runs from its top-level line to the next blank or top-level line.
func example(starter []byte, in func(line string) bool) string {
	var out []string
	on := false
	for _, line := range strings.Split(string(starter), "\n") {
		if topLevelKey(line) != "" {
			on = in(line)
		} else if strings.TrimSpace(line) == "" {
			on = false
		}
		if on {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "```yaml\n" + strings.Join(out, "\n") + "\n```\n\n"
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
