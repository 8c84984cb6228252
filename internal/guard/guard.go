// Package guard is bgc's policy-as-code gate: it runs cfn-guard 3 with two
// public AWS rule sets, the AWS Guard Rules Registry (vendored in
// third_party/aws-guard-rules-registry) and the AWS Control Tower proactive
// controls (shipped with cfn-guard in the npm package pinned in
// tools/cfn-guard), over generated templates, and reports every finding
// that the template does not suppress with a reason.
//
// An exception is recorded on the resource itself:
//
//	Metadata:
//	  guard:
//	    SuppressedRules: [RULE]
//	  bgc:justifications:
//	    RULE: why this is right here
//
// Registry rules read guard.SuppressedRules themselves; Control Tower rules
// read no metadata, so the gate applies the same suppressions to them (by
// rule name or control id, e.g. CT.S3.PR.8). A suppression without a
// justification, or a justification without a suppression, is a problem
// too.
package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Tool is a cfn-guard binary and the two rule sets.
type Tool struct {
	Binary       string
	RegistryDir  string // .../rules/aws
	ControlTower string // .../rules/control-tower/cfn-guard
}

// Find locates the tool below a checkout of bgc: the binary and the
// Control Tower rules installed by `npm ci --prefix tools/cfn-guard`, and
// the vendored registry rules.
func Find(root string) (Tool, error) {
	pkg := filepath.Join(root, "tools", "cfn-guard", "node_modules", "@cdklabs", "cdk-validator-cfnguard")
	t := Tool{
		Binary:       filepath.Join(pkg, "bin", "ubuntu", "x86_64", "cfn-guard"),
		RegistryDir:  filepath.Join(root, "third_party", "aws-guard-rules-registry", "rules", "aws"),
		ControlTower: filepath.Join(pkg, "rules", "control-tower", "cfn-guard"),
	}
	for _, p := range []string{t.Binary, t.RegistryDir, t.ControlTower} {
		if _, err := os.Stat(p); err != nil {
			return Tool{}, fmt.Errorf("%w (install it: npm ci --prefix tools/cfn-guard --omit=peer --ignore-scripts)", err)
		}
	}
	return t, nil
}

// Finding is one rule a resource fails.
type Finding struct {
	Template  string `json:"template"`
	LogicalID string `json:"logicalId"` // "" when the rule names no resource
	Type      string `json:"type,omitempty"`
	Rule      string `json:"rule"`              // the rule's name
	Control   string `json:"control,omitempty"` // Control Tower id (CT.S3.PR.8), if any
	Message   string `json:"message,omitempty"`
}

func (f Finding) String() string {
	rule := f.Rule
	if f.Control != "" {
		rule += " (" + f.Control + ")"
	}
	where := f.Template
	if f.LogicalID != "" {
		where += ": " + f.LogicalID + " (" + f.Type + ")"
	}
	msg := ""
	if f.Message != "" {
		msg = ": " + f.Message
	}
	return where + ": " + rule + msg
}

// Report is the gate's result over a set of templates.
type Report struct {
	// Findings are failures no suppression covers.
	Findings []Finding
	// Problems are suppressions without a justification (and the reverse).
	Problems []string
	// Suppressed counts the justified suppressions that hid a failure, by
	// rule (or control id).
	Suppressed map[string]int
	Templates  int
}

// OK says the gate passes.
func (r *Report) OK() bool { return len(r.Findings) == 0 && len(r.Problems) == 0 }

// Check runs the rule sets over the templates (in batches, in parallel)
// and applies the templates' suppressions.
func (t Tool) Check(ctx context.Context, templates []string, parallel int) (*Report, error) {
	rep := &Report{Suppressed: map[string]int{}, Templates: len(templates)}
	headers, err := registryTypes(t.RegistryDir)
	if err != nil {
		return nil, err
	}
	parallel = max(1, min(parallel, len(templates)))
	batches := make([][]string, parallel)
	for i, p := range templates {
		batches[i%parallel] = append(batches[i%parallel], p)
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
		all  []fileResult
	)
	for _, b := range batches {
		if len(b) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := t.run(ctx, b)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			all = append(all, res...)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, path := range templates {
		tpl, err := readTemplate(path)
		if err != nil {
			return nil, err
		}
		rep.Problems = append(rep.Problems, tpl.justificationProblems(path)...)
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		for _, fr := range all {
			// cfn-guard names a data file by its absolute path.
			if fr.Name != path && fr.Name != abs {
				continue
			}
			for _, f := range fr.findings(path, tpl, headers) {
				if tpl.suppressed(f) {
					key := f.Rule
					if f.Control != "" {
						key = f.Control
					}
					rep.Suppressed[key]++
					continue
				}
				rep.Findings = append(rep.Findings, f)
			}
		}
	}
	sort.Slice(rep.Findings, func(i, j int) bool { return rep.Findings[i].String() < rep.Findings[j].String() })
	sort.Strings(rep.Problems)
	return rep, nil
}

// run runs cfn-guard once over some templates.
func (t Tool) run(ctx context.Context, templates []string) ([]fileResult, error) {
	args := []string{"validate", "-r", t.RegistryDir, "-r", t.ControlTower}
	for _, p := range templates {
		args = append(args, "-d", p)
	}
	args = append(args, "--structured", "-S", "none", "-o", "json")
	cmd := exec.CommandContext(ctx, t.Binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	// cfn-guard exits 19 when a rule fails; 5 (a rule file did not parse)
	// and anything else are errors of the gate.
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 19) {
		return nil, fmt.Errorf("cfn-guard: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var out []fileResult
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("cfn-guard output: %w", err)
	}
	return out, nil
}

// fileResult is cfn-guard's structured result for one data file.
type fileResult struct {
	Name         string `json:"name"`
	NotCompliant []struct {
		Rule json.RawMessage `json:"Rule"`
	} `json:"not_compliant"`
}

var controlID = regexp.MustCompile(`\[(CT\.[A-Z0-9]+\.PR\.[0-9]+)\]`)

// findings turns the failing rules of one file into findings per resource:
// the resources are the /Resources/<id>/... paths the record names; a
// record that names none (a rule over a variable) counts against every
// resource of the types the rule reports on.
func (fr fileResult) findings(path string, tpl *template, headers map[string][]string) []Finding {
	var out []Finding
	for _, nc := range fr.NotCompliant {
		var rule map[string]any
		if err := json.Unmarshal(nc.Rule, &rule); err != nil {
			continue
		}
		name, _ := rule["name"].(string)
		// Each clause names the resources it checked (paths) and says why
		// they fail; a Control Tower rule's description is its custom
		// message, with the control id.
		ids := map[string]string{} // logical id -> message
		var control, description string
		walk(rule, func(m map[string]any) bool {
			if msgs, ok := m["messages"].(map[string]any); ok {
				custom, _ := msgs["custom_message"].(string)
				if c := controlID.FindStringSubmatch(custom); c != nil && control == "" {
					control, description = c[1], firstLine(custom)
				}
			}
			// A clause (a Unary/Binary check or a Block) carries the
			// resources it looked at in its check or unresolved part.
			var check any
			for _, k := range []string{"check", "unresolved"} {
				if v, ok := m[k]; ok {
					check = v
				}
			}
			if check == nil {
				return true
			}
			msgs, _ := m["messages"].(map[string]any)
			msg, _ := msgs["custom_message"].(string)
			if firstLine(msg) == "" {
				msg, _ = msgs["error_message"].(string)
			}
			walk(check, func(c map[string]any) bool {
				if p, ok := c["path"].(string); ok {
					if _, isPair := c["value"]; isPair {
						if parts := strings.Split(p, "/"); len(parts) > 2 && parts[1] == "Resources" {
							if _, seen := ids[parts[2]]; !seen {
								ids[parts[2]] = firstLine(msg)
							}
						}
						return false // the value is template data
					}
				}
				return true
			})
			return true
		})
		message := func(id string) string {
			if description != "" {
				return description
			}
			return ids[id]
		}
		if len(ids) == 0 {
			for _, typ := range headers[name] {
				for id, r := range tpl.Resources {
					if r.Type == typ {
						ids[id] = ""
					}
				}
			}
		}
		if len(ids) == 0 {
			out = append(out, Finding{Template: path, Rule: name, Control: control, Message: description})
		}
		for id := range ids {
			out = append(out, Finding{Template: path, LogicalID: id, Type: tpl.Resources[id].Type, Rule: name, Control: control, Message: message(id)})
		}
	}
	return out
}

// firstLine is the first non-empty line of a message, without the
// control id.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(controlID.ReplaceAllString(l, ""))
		l = strings.TrimLeft(l, ":; ")
		if l != "" {
			if len(l) > 160 {
				l = l[:160] + "…"
			}
			return l
		}
	}
	return ""
}

// walk visits every object of a decoded JSON value; f says whether to
// descend into it.
func walk(v any, f func(map[string]any) bool) {
	switch x := v.(type) {
	case map[string]any:
		if !f(x) {
			return
		}
		for _, e := range x {
			walk(e, f)
		}
	case []any:
		for _, e := range x {
			walk(e, f)
		}
	}
}

var (
	// The headers of a registry rule file, the value on the same line or
	// on the next comment lines.
	ruleIdentifier = regexp.MustCompile(`(?m)^#\s*Rule Identifier:\s*(?:\n#\s*)?([A-Z0-9_]+)`)
	reportsOn      = regexp.MustCompile(`(?m)^#\s*Reports on:\s*((?:.*\n#\s+AWS::.*|.*))`)
	typeName       = regexp.MustCompile(`AWS::[A-Za-z0-9]+::[A-Za-z0-9]+`)
)

// registryTypes reads the "Rule Identifier" and "Reports on" headers of
// the registry's rule files.
func registryTypes(dir string) (map[string][]string, error) {
	out := map[string][]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".guard") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		ids, on := ruleIdentifier.FindAllSubmatch(data, -1), reportsOn.FindSubmatch(data)
		if on == nil {
			return nil
		}
		types := typeName.FindAllString(string(on[1]), -1)
		for _, id := range ids {
			out[string(id[1])] = types
		}
		return nil
	})
	return out, err
}

// template is what the gate reads of a template: each resource's type and
// metadata.
type template struct {
	Resources map[string]struct {
		Type     string         `yaml:"Type"`
		Metadata map[string]any `yaml:"Metadata"`
	} `yaml:"Resources"`
}

func readTemplate(path string) (*template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t template
	if err := yaml.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &t, nil
}

// suppressions returns a resource's suppressed rules and their reasons.
func (t *template) suppressions(id string) ([]string, map[string]string) {
	md := t.Resources[id].Metadata
	var rules []string
	if g, ok := md["guard"].(map[string]any); ok {
		if list, ok := g["SuppressedRules"].([]any); ok {
			for _, r := range list {
				if s, ok := r.(string); ok {
					rules = append(rules, s)
				}
			}
		}
	}
	reasons := map[string]string{}
	if j, ok := md["bgc:justifications"].(map[string]any); ok {
		for k, v := range j {
			reasons[k], _ = v.(string)
		}
	}
	return rules, reasons
}

// suppressed says the finding's resource suppresses its rule, by name or
// control id.
func (t *template) suppressed(f Finding) bool {
	if f.LogicalID == "" {
		return false
	}
	rules, _ := t.suppressions(f.LogicalID)
	for _, r := range rules {
		if r == f.Rule || (f.Control != "" && r == f.Control) {
			return true
		}
	}
	return false
}

// justificationProblems lists suppressions without a reason and reasons
// without a suppression.
func (t *template) justificationProblems(path string) []string {
	var out []string
	for id := range t.Resources {
		rules, reasons := t.suppressions(id)
		for _, r := range rules {
			if strings.TrimSpace(reasons[r]) == "" {
				out = append(out, fmt.Sprintf("%s: %s suppresses %s without a reason in bgc:justifications", path, id, r))
			}
		}
		for r := range reasons {
			found := false
			for _, s := range rules {
				found = found || s == r
			}
			if !found {
				out = append(out, fmt.Sprintf("%s: %s justifies %s, which it does not suppress", path, id, r))
			}
		}
	}
	return out
}
