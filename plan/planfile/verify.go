package planfile

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/bgc-dev/bgc/plan"
)

// facts is what a template declares, as far as the plan describes it.
type facts struct {
	parameters, outputs []string
	types               map[string]string // logical id -> resource type
}

// readFacts reads a template's declared parameters, outputs and resources.
// Templates are YAML or JSON (YAML parses both); short-form intrinsic tags
// are fine, only the top-level keys and resource types are read.
func readFacts(body []byte) (facts, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(body, &doc); err != nil {
		return facts{}, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return facts{}, fmt.Errorf("not a template (a mapping with Resources)")
	}
	f := facts{types: map[string]string{}}
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		key, val := top.Content[i].Value, top.Content[i+1]
		if val.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(val.Content); j += 2 {
			name := val.Content[j].Value
			switch key {
			case "Parameters":
				f.parameters = append(f.parameters, name)
			case "Outputs":
				f.outputs = append(f.outputs, name)
			case "Resources":
				typ := ""
				if r := val.Content[j+1]; r.Kind == yaml.MappingNode {
					for k := 0; k+1 < len(r.Content); k += 2 {
						if r.Content[k].Value == "Type" {
							typ = r.Content[k+1].Value
						}
					}
				}
				f.types[name] = typ
			}
		}
	}
	if len(f.types) == 0 {
		return facts{}, fmt.Errorf("not a template (no Resources)")
	}
	sort.Strings(f.parameters)
	sort.Strings(f.outputs)
	return f, nil
}

// verify checks the plan's facts about every stack against the stack's
// template: a hand-edited plan.json must still describe its templates, so
// that what the deployer trusts (resource counts, frozen resources,
// parameters and the outputs they read) is true. It returns every problem.
func verify(p *plan.Plan) []error {
	var errs []error
	all := map[string]facts{}
	for _, s := range p.Stacks {
		f, err := readFacts(s.Body)
		if err != nil {
			errs = append(errs, fmt.Errorf("stack %s: template %s: %v", s.ID, s.Template, err))
			continue
		}
		all[s.ID] = f
		if s.Resources != len(f.types) {
			errs = append(errs, fmt.Errorf("stack %s: the plan says %d resources, template %s declares %d", s.ID, s.Resources, s.Template, len(f.types)))
		}
		for _, fr := range s.Frozen {
			if typ, ok := f.types[fr.LogicalID]; !ok || typ != fr.Type {
				errs = append(errs, fmt.Errorf("stack %s: frozen resource %s (%s) is not in template %s", s.ID, fr.LogicalID, fr.Type, s.Template))
			}
		}
		for _, n := range s.Named {
			if typ, ok := f.types[n.LogicalID]; !ok || typ != n.Type {
				errs = append(errs, fmt.Errorf("stack %s: named resource %s (%s) is not in template %s", s.ID, n.LogicalID, n.Type, s.Template))
			}
		}
		for _, k := range s.Retained {
			if typ, ok := f.types[k.LogicalID]; !ok || typ != k.Type {
				errs = append(errs, fmt.Errorf("stack %s: retained resource %s (%s) is not in template %s", s.ID, k.LogicalID, k.Type, s.Template))
			}
		}
		var bound []string
		for k := range s.Parameters {
			bound = append(bound, k)
		}
		sort.Strings(bound)
		if !slices.Equal(bound, f.parameters) {
			errs = append(errs, fmt.Errorf("stack %s: the plan sets parameters [%s], template %s declares [%s]", s.ID,
				strings.Join(bound, " "), s.Template, strings.Join(f.parameters, " ")))
		}
		for _, k := range bound {
			if l := s.Parameters[k].Live; l != nil && !slices.Contains(f.outputs, l.Listener) {
				errs = append(errs, fmt.Errorf("stack %s: parameter %s reads the listener in output %s, which template %s does not declare", s.ID, k, l.Listener, s.Template))
			}
			from := s.Parameters[k].From
			if from == nil {
				continue
			}
			if producer, ok := all[from.Stack]; ok && !slices.Contains(producer.outputs, from.Output) {
				errs = append(errs, fmt.Errorf("stack %s: parameter %s reads output %s of %s, whose template declares no such output", s.ID, k, from.Output, from.Stack))
			}
		}
	}
	return errs
}
