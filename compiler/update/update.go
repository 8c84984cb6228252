package update

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/bgc-dev/bgc/plan"
)

// Side is one state of the app's stacks: a plan with its templates and,
// for what is deployed, what AWS reports.
type Side struct {
	Plan *plan.Plan
	// Params are the parameter values of each stack (by plan id) as AWS
	// reports them; nil means the plan's own values, with outputs of other
	// stacks and live values standing for themselves.
	Params map[string]map[string]string
	// Outputs are the outputs of each deployed stack, which the other side
	// may read its parameters from.
	Outputs map[string]map[string]string
}

// Options are what a caller accepts.
type Options struct {
	// Recreate are targets ("<account name>/<region>") whose refusals the
	// caller accepts: nothing of them is deployed, or it will be destroyed
	// first.
	Recreate []string
}

// Report is what deploying New over Old does, stack by stack in the new
// plan's order, then the stacks only Old has.
type Report struct {
	Stacks []StackReport `json:"stacks"`
}

// Stack statuses.
const (
	StackNew       = "new"
	StackRemoved   = "removed"
	StackChanged   = "changed"
	StackUnchanged = "unchanged"
)

// Resource actions.
const (
	Add    = "add"
	Remove = "remove"
	Modify = "modify"
)

// StackReport is one stack's part of the report.
type StackReport struct {
	ID        string `json:"id"`
	Account   string `json:"account"`
	Region    string `json:"region"`
	StackName string `json:"stackName"`
	Status    string `json:"status"`
	// Note says what bgc does with a new or removed stack.
	Note       string           `json:"note,omitempty"`
	Resources  []ResourceChange `json:"resources,omitempty"`
	Parameters []string         `json:"parameters,omitempty"` // names of changed parameters
	Outputs    []string         `json:"outputs,omitempty"`    // names of changed outputs
	Tags       bool             `json:"tags,omitempty"`       // the stack's tags change
	// Settings are the changes of what bgc deploy sets outside
	// CloudFormation (plan.Service), as "what: old -> new".
	Settings []string `json:"settings,omitempty"`
	// Refused are changes of the stack itself (not of one resource) bgc
	// refuses.
	Refused []Refusal `json:"refused,omitempty"`
}

// ResourceChange is one resource's change.
type ResourceChange struct {
	LogicalID string `json:"logicalId"`
	Type      string `json:"type"`
	Action    string `json:"action"`
	// Properties are the properties that change (Modify), as paths below
	// Properties; "(attributes)" when only Metadata, DependsOn or a policy
	// changes.
	Properties []string `json:"properties,omitempty"`
	// Replace says CloudFormation replaces the resource, and Because names
	// the create-only property that forces it (or the resource it follows).
	Replace bool   `json:"replace,omitempty"`
	Because string `json:"because,omitempty"`
	// Refused is set when bgc refuses the change.
	Refused *Refusal `json:"refused,omitempty"`
}

// Refusal is why a change cannot be deployed, and what to do instead.
type Refusal struct {
	Reason string `json:"reason"`
	Way    string `json:"way"`
	// Accepted says the caller accepted it (Options.Recreate).
	Accepted bool `json:"accepted,omitempty"`
}

// Changed says the report has any difference.
func (r *Report) Changed() bool {
	for _, s := range r.Stacks {
		if s.Status != StackUnchanged {
			return true
		}
	}
	return false
}

// Refusals are the refused changes no option accepted, one line each:
// "<stack id>: <resource>: <reason>; <way forward>".
func (r *Report) Refusals() []string {
	var out []string
	for _, s := range r.Stacks {
		for _, f := range s.Refused {
			if !f.Accepted {
				out = append(out, fmt.Sprintf("%s: %s; %s", s.ID, f.Reason, f.Way))
			}
		}
		for _, c := range s.Resources {
			if c.Refused != nil && !c.Refused.Accepted {
				out = append(out, fmt.Sprintf("%s: %s %s: %s; %s", s.ID, c.Type, c.LogicalID, c.Refused.Reason, c.Refused.Way))
			}
		}
	}
	return out
}

// Compare reports what deploying next over prev does.
func Compare(prev, next Side, opts Options) (*Report, error) {
	c := &comparison{prev: prev, next: next, opts: opts, changedOutputs: map[string]map[string]bool{}}
	oldStacks := map[string]*plan.Stack{}
	if prev.Plan != nil {
		for i := range prev.Plan.Stacks {
			oldStacks[prev.Plan.Stacks[i].ID] = &prev.Plan.Stacks[i]
		}
	}
	rep := &Report{}
	seen := map[string]bool{}
	for i := range next.Plan.Stacks {
		s := &next.Plan.Stacks[i]
		seen[s.ID] = true
		sr, err := c.stack(oldStacks[s.ID], s)
		if err != nil {
			return nil, err
		}
		rep.Stacks = append(rep.Stacks, sr)
	}
	if prev.Plan != nil {
		for _, s := range prev.Plan.Stacks {
			if !seen[s.ID] {
				rep.Stacks = append(rep.Stacks, StackReport{
					ID: s.ID, Account: s.Account, Region: s.Region, StackName: s.StackName, Status: StackRemoved,
					Note: "no longer in the plan: bgc deploy leaves it deployed; once the rest is deployed, delete it with " +
						"bgc destroy --from <a build that has it> --target " + target(s.ID),
				})
			}
		}
	}
	return rep, nil
}

// target is the "<account>/<region>" of a plan stack id.
func target(id string) string {
	parts := strings.SplitN(id, "/", 3)
	if len(parts) < 2 {
		return id
	}
	return parts[0] + "/" + parts[1]
}

type comparison struct {
	prev, next Side
	opts       Options
	// changedOutputs are the outputs (by stack id) whose value changes.
	changedOutputs map[string]map[string]bool
}

// egressRelaxed says the tasks of network stack s's target are limited to
// the VPC's endpoints on the deployed side (a service stack's template
// there takes S3's prefix list, plan.ParamS3PrefixList) and no longer on
// the new one. It reads the templates, not the plans' parameters: the
// deployed side of a live comparison carries the new plan's parameters
// with the deployed templates.
func (c *comparison) egressRelaxed(s *plan.Stack) bool {
	limited := func(p *plan.Plan) bool {
		if p == nil {
			return false
		}
		for i := range p.Stacks {
			o := &p.Stacks[i]
			if o.Account != s.Account || o.Region != s.Region || o.ID == s.ID {
				continue
			}
			if t, err := parse(o); err == nil {
				if _, ok := t.Parameters[plan.ParamS3PrefixList]; ok {
					return true
				}
			}
		}
		return false
	}
	return limited(c.prev.Plan) && !limited(c.next.Plan)
}

// template is the part of a template the comparison reads.
type template struct {
	Parameters map[string]any      `yaml:"Parameters"`
	Conditions map[string]any      `yaml:"Conditions"`
	Resources  map[string]resource `yaml:"Resources"`
	Outputs    map[string]struct {
		Value any `yaml:"Value"`
	} `yaml:"Outputs"`
}

type resource struct {
	Type                string         `yaml:"Type"`
	Properties          map[string]any `yaml:"Properties"`
	Metadata            any            `yaml:"Metadata"`
	DependsOn           any            `yaml:"DependsOn"`
	DeletionPolicy      string         `yaml:"DeletionPolicy"`
	UpdateReplacePolicy string         `yaml:"UpdateReplacePolicy"`
	Condition           string         `yaml:"Condition"`
}

func parse(s *plan.Stack) (*template, error) {
	var t template
	if err := yaml.Unmarshal(s.Body, &t); err != nil {
		return nil, fmt.Errorf("stack %s: template %s: %w", s.ID, s.Template, err)
	}
	return &t, nil
}

// stack compares one stack of the new plan with its old self (nil: new).
func (c *comparison) stack(old, s *plan.Stack) (StackReport, error) {
	sr := StackReport{ID: s.ID, Account: s.Account, Region: s.Region, StackName: s.StackName, Status: StackUnchanged}
	nt, err := parse(s)
	if err != nil {
		return sr, err
	}
	if old == nil {
		sr.Status, sr.Note = StackNew, "bgc deploy creates it"
		for _, id := range sortedKeys(nt.Resources) {
			sr.Resources = append(sr.Resources, ResourceChange{LogicalID: id, Type: nt.Resources[id].Type, Action: Add})
		}
		c.changedOutputs[s.ID] = map[string]bool{}
		for k := range nt.Outputs {
			c.changedOutputs[s.ID][k] = true
		}
		return sr, nil
	}
	ot, err := parse(old)
	if err != nil {
		return sr, err
	}
	oldEnv := &env{t: ot, params: c.params(c.prev, old, ot, false)}
	newEnv := &env{t: nt, params: c.params(c.next, s, nt, true), replaced: map[string]bool{}}
	for _, k := range sortedKeys(newEnv.params) {
		if ov, ok := oldEnv.params[k]; !ok || !reflect.DeepEqual(ov, newEnv.params[k]) {
			sr.Parameters = append(sr.Parameters, k)
		}
	}
	if !maps.Equal(old.Tags, s.Tags) {
		sr.Tags = true
	}
	if o, n := old.Service, s.Service; n != nil && (o == nil || o.HealthCheckGracePeriodSeconds != n.HealthCheckGracePeriodSeconds) {
		was := "not set by bgc"
		if o != nil {
			was = fmt.Sprint(o.HealthCheckGracePeriodSeconds, " s")
		}
		sr.Settings = append(sr.Settings, fmt.Sprintf("ECS service %s health check grace period: %s -> %d s", n.Name, was, n.HealthCheckGracePeriodSeconds))
	}

	// Replacements propagate: a replaced resource changes the properties
	// of every resource that refers to it, which may replace those too.
	changes := map[string]*ResourceChange{}
	for {
		grew := false
		for _, id := range sortedKeys(nt.Resources) {
			nr := nt.Resources[id]
			or, existed := ot.Resources[id]
			if !existed || newEnv.replaced[id] {
				continue
			}
			ch := c.resource(id, or, nr, oldEnv, newEnv)
			if ch == nil {
				delete(changes, id)
				continue
			}
			changes[id] = ch
			if ch.Replace && !newEnv.replaced[id] {
				newEnv.replaced[id] = true
				grew = true
			}
		}
		if !grew {
			break
		}
	}
	for _, id := range sortedKeys(nt.Resources) {
		if _, existed := ot.Resources[id]; !existed {
			sr.Resources = append(sr.Resources, ResourceChange{LogicalID: id, Type: nt.Resources[id].Type, Action: Add})
		} else if ch, ok := changes[id]; ok {
			sr.Resources = append(sr.Resources, *ch)
		}
	}
	relaxed := sync.OnceValue(func() bool { return c.egressRelaxed(s) })
	for _, id := range sortedKeys(ot.Resources) {
		if _, kept := nt.Resources[id]; !kept {
			or := ot.Resources[id]
			ch := ResourceChange{LogicalID: id, Type: or.Type, Action: Remove}
			if plan.HoldsData(or.Type) && or.DeletionPolicy != "Retain" {
				ch.Refused = &Refusal{Reason: "it would be deleted, and with it what it holds", Way: "revert the change in app.yaml"}
			}
			if or.Type == "AWS::EC2::VPCEndpoint" && relaxed() {
				// The network stack deploys before the service stack, so
				// the endpoint would go while the tasks' group still
				// allows nothing else.
				ch.Refused = &Refusal{Reason: "it would be deleted while the tasks may still reach only the VPC's endpoints: the service stack that " +
					"lets them out deploys after this one", Way: "in two steps: set network.egress: internet and bgc deploy, then remove the endpoints"}
			}
			sr.Resources = append(sr.Resources, ch)
		}
	}
	// Outputs.
	c.changedOutputs[s.ID] = map[string]bool{}
	for _, k := range sortedKeys(nt.Outputs) {
		o, ok := ot.Outputs[k]
		if !ok || !reflect.DeepEqual(oldEnv.eval(o.Value), newEnv.eval(nt.Outputs[k].Value)) {
			c.changedOutputs[s.ID][k] = true
			sr.Outputs = append(sr.Outputs, k)
		}
	}
	c.refusals(old, s, ot, &sr)
	c.listenerPorts(ot, nt, oldEnv, newEnv, s, &sr)
	if len(sr.Resources) > 0 || len(sr.Parameters) > 0 || len(sr.Outputs) > 0 || sr.Tags || len(sr.Settings) > 0 {
		sr.Status = StackChanged
	}
	return sr, nil
}

// resource compares one resource present on both sides; nil means equal.
func (c *comparison) resource(id string, or, nr resource, oldEnv, newEnv *env) *ResourceChange {
	ch := &ResourceChange{LogicalID: id, Type: nr.Type, Action: Modify}
	if or.Type != nr.Type {
		ch.Properties = []string{"(type)"}
		ch.Replace, ch.Because = true, "its type changes from "+or.Type
		return ch
	}
	ov, nv := oldEnv.eval(anyMap(or.Properties)), newEnv.eval(anyMap(nr.Properties))
	om, _ := ov.(map[string]any)
	nm, _ := nv.(map[string]any)
	for _, k := range unionKeys(om, nm) {
		if !reflect.DeepEqual(om[k], nm[k]) {
			ch.Properties = append(ch.Properties, k)
		}
	}
	if len(ch.Properties) == 0 {
		if reflect.DeepEqual(or.Metadata, nr.Metadata) && reflect.DeepEqual(or.DependsOn, nr.DependsOn) &&
			or.DeletionPolicy == nr.DeletionPolicy && or.UpdateReplacePolicy == nr.UpdateReplacePolicy && or.Condition == nr.Condition {
			return nil
		}
		ch.Properties = []string{"(attributes)"}
		return ch
	}
	p := createOnly[nr.Type]
	for _, path := range append(slices.Clone(p.createOnly), p.conditional...) {
		if !reflect.DeepEqual(at(om, path), at(nm, path)) {
			ch.Replace, ch.Because = true, path+" is create-only"
			if follows := follows(at(nm, path)); follows != "" {
				ch.Because = fmt.Sprintf("%s is create-only and follows %s", path, follows)
			}
			break
		}
	}
	return ch
}

// refusals marks what bgc refuses in a stack's changes.
func (c *comparison) refusals(old, s *plan.Stack, ot *template, sr *StackReport) {
	accepted := slices.Contains(c.opts.Recreate, target(s.ID))
	way := recreateWay(target(s.ID))
	// A named resource may be replaced when its name changes too:
	// CloudFormation creates the new one, under the new name, first ("If
	// you must replace the resource, specify a new name",
	// aws-properties-name.html). A computed name ("") may not have changed.
	named := map[string]string{}
	for _, n := range s.Named {
		named[n.LogicalID] = n.Name
	}
	// So may a resource that had no name: the generated name it holds
	// cannot be the one the new resource takes.
	renamed := map[string]bool{}
	wasNamed := map[string]bool{}
	for _, n := range namesOf(old, ot) {
		wasNamed[n.LogicalID] = true
		if now, ok := named[n.LogicalID]; ok && n.Name != "" && now != "" && now != n.Name {
			renamed[n.LogicalID] = true
		}
	}
	for id, now := range named {
		if _, existed := ot.Resources[id]; existed && !wasNamed[id] && now != "" {
			renamed[id] = true
		}
	}
	// What the deployed template retains, whatever the new plan says.
	retained := map[string]bool{}
	for id, r := range ot.Resources {
		if r.DeletionPolicy == "Retain" || r.UpdateReplacePolicy == "Retain" {
			retained[id] = true
		}
	}
	if len(s.Frozen) > 0 && sr.Tags {
		sr.Refused = append(sr.Refused, Refusal{Reason: "the stack's tags would change, and CloudFormation copies them onto the ECS service, " +
			"which ECS refuses to let CloudFormation update under the CODE_DEPLOY controller", Way: way, Accepted: accepted})
	}
	for i := range sr.Resources {
		ch := &sr.Resources[i]
		if ch.Refused != nil {
			ch.Refused.Accepted = accepted
			continue
		}
		if ch.Action != Modify || (len(ch.Properties) == 1 && ch.Properties[0] == "(attributes)") {
			continue
		}
		var r *Refusal
		_, isFrozen := s.FrozenResource(ch.LogicalID)
		name, isNamed := named[ch.LogicalID]
		switch {
		case isFrozen:
			r = &Refusal{Reason: fmt.Sprintf("%s would change, and ECS refuses CloudFormation updates of a service under the CODE_DEPLOY controller",
				strings.Join(ch.Properties, ", ")), Way: way}
		case ch.Replace && ch.Type == "AWS::ECR::Repository" && strings.HasPrefix(ch.Because, "EncryptionConfiguration"):
			// Most often the upgrade to bgc's kms default, app.yaml unchanged.
			r = &Refusal{Reason: fmt.Sprintf("it would be replaced (%s): ECR sets a repository's encryption only when it creates it", ch.Because),
				Way: "keep the deployed encryption: set service.imageEncryption in app.yaml to the repository's (aes256 for one created before bgc defaulted to kms; " +
					"the setting applies to every target, new ones too); or recreate target " + target(s.ID) + " with a new repository: bgc destroy --target " + target(s.ID) +
					" --include-retained (its service goes down), delete the repository it lists as left behind (its images go with it), " +
					"then bgc build --recreate " + target(s.ID) + " and bgc deploy"}
		case ch.Replace && isNamed && !renamed[ch.LogicalID]:
			r = &Refusal{Reason: fmt.Sprintf("it would be replaced (%s), and CloudFormation cannot replace a resource with a custom name (%s)", ch.Because, orComputed(name)), Way: way}
		case ch.Replace && retained[ch.LogicalID]:
			r = &Refusal{Reason: fmt.Sprintf("it would be replaced (%s), leaving the old one and what it holds behind", ch.Because),
				Way: "revert the change in app.yaml, or recreate target " + target(s.ID) + " with its retained stacks: bgc destroy --target " + target(s.ID) +
					" --include-retained (its service goes down; the old resource and its data stay in the account, DeletionPolicy Retain), then bgc build --recreate " +
					target(s.ID) + " and bgc deploy (README: What you can change, and how)"}
		case ch.Type == "AWS::ElasticLoadBalancingV2::Listener" && slices.Contains(ch.Properties, "DefaultActions") && !followsLive(s, ch.LogicalID):
			r = &Refusal{Reason: "its default action would forward to a target group other than the one it forwards to now, moving production traffic",
				Way: "forward through the stack's live target-group parameters, as bgc's templates do"}
		}
		if r != nil {
			r.Accepted = accepted
			ch.Refused = r
		}
	}
}

// listenerPorts refuses a listener that would take a port another listener
// of the same load balancer holds in the deployed template: CloudFormation
// creates and modifies resources before it deletes the ones a template
// dropped, so the update fails with DuplicateListener ("A listener with
// the specified port already exists", CreateListener and ModifyListener).
func (c *comparison) listenerPorts(ot, nt *template, oldEnv, newEnv *env, s *plan.Stack, sr *StackReport) {
	type key struct{ lb, port string }
	held := map[key]string{}
	for _, id := range sortedKeys(ot.Resources) {
		r := ot.Resources[id]
		if r.Type == "AWS::ElasticLoadBalancingV2::Listener" {
			held[key{fmt.Sprint(oldEnv.eval(r.Properties["LoadBalancerArn"])), fmt.Sprint(oldEnv.eval(r.Properties["Port"]))}] = id
		}
	}
	accepted := slices.Contains(c.opts.Recreate, target(s.ID))
	for i := range sr.Resources {
		ch := &sr.Resources[i]
		if ch.Type != "AWS::ElasticLoadBalancingV2::Listener" || ch.Action == Remove || ch.Refused != nil {
			continue
		}
		r := nt.Resources[ch.LogicalID]
		port := fmt.Sprint(newEnv.eval(r.Properties["Port"]))
		if other, ok := held[key{fmt.Sprint(oldEnv.eval(r.Properties["LoadBalancerArn"])), port}]; ok && other != ch.LogicalID {
			ch.Refused = &Refusal{Reason: fmt.Sprintf("it would take port %s, which listener %s holds until CloudFormation removes or moves it: the update fails with DuplicateListener", port, other),
				Way: recreateWay(target(s.ID)), Accepted: accepted}
		}
	}
}

// namesOf are the named resources of the deployed side of a stack: the
// plan's list when it has one, else the create-only "...Name" properties
// its template sets to a string (a stack read from AWS, or a plan.json of
// a bgc that did not record them).
func namesOf(s *plan.Stack, t *template) []plan.Named {
	if len(s.Named) > 0 {
		return s.Named
	}
	var out []plan.Named
	for _, id := range sortedKeys(t.Resources) {
		r := t.Resources[id]
		for _, p := range createOnly[r.Type].createOnly {
			if strings.HasSuffix(p, "Name") && !strings.Contains(p, "/") {
				if name, ok := r.Properties[p].(string); ok {
					out = append(out, plan.Named{LogicalID: id, Type: r.Type, Name: name})
				}
			}
		}
	}
	return out
}

// recreateWay is the way forward for a change a target's live stacks
// cannot take.
func recreateWay(t string) string {
	return "revert the change in app.yaml, or recreate target " + t + ": bgc destroy --target " + t +
		" (its service goes down), then bgc build --recreate " + t + " and bgc deploy (README: What you can change, and how)"
}

func orComputed(name string) string {
	if name == "" {
		return "computed by the template"
	}
	return name
}

// followsLive says the new listener's forward actions pick their target
// group through the stack's live parameters.
func followsLive(s *plan.Stack, logicalID string) bool {
	t, err := parse(s)
	if err != nil {
		return false
	}
	r := t.Resources[logicalID]
	actions, _ := r.Properties["DefaultActions"].([]any)
	for _, a := range actions {
		m, _ := a.(map[string]any)
		if m["Type"] != "forward" {
			continue
		}
		if !usesLive(m["TargetGroupArn"], t, s) {
			return false
		}
	}
	return true
}

// usesLive says v is an Fn::If on a condition over a live parameter.
func usesLive(v any, t *template, s *plan.Stack) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	args, ok := m["Fn::If"].([]any)
	if !ok || len(args) != 3 {
		return false
	}
	cond, _ := args[0].(string)
	var live bool
	walk(t.Conditions[cond], func(x any) {
		if r, ok := x.(map[string]any); ok {
			if name, ok := r["Ref"].(string); ok {
				if p, ok := s.Parameters[name]; ok && p.Live != nil {
					live = true
				}
			}
		}
	})
	return live
}

func walk(v any, f func(any)) {
	f(v)
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			walk(e, f)
		}
	case []any:
		for _, e := range x {
			walk(e, f)
		}
	}
}

// params are a stack's parameter values on one side, as comparable
// values: what AWS reports (Side.Params), else literal values, live values
// as a token of their own and bound values as the output they read, which
// on the new side is the other side's value of that output when it does
// not change.
func (c *comparison) params(side Side, s *plan.Stack, t *template, isNew bool) map[string]any {
	out := map[string]any{}
	if side.Params != nil {
		if reported, ok := side.Params[s.ID]; ok {
			for k, v := range reported {
				out[k] = v
			}
			return out
		}
	}
	for k, v := range s.Parameters {
		switch {
		case v.Value != nil:
			out[k] = *v.Value
		case v.Live != nil:
			out[k] = c.liveValue(s, k)
		case v.PrefixList != nil:
			// The id of an AWS-managed prefix list never changes: the
			// deployed stack's value, or the name standing for it.
			out[k] = c.deployedValue(s, k, token("prefix list", *v.PrefixList))
		case v.From != nil:
			out[k] = c.bound(v.From, isNew)
		}
	}
	// Parameters the template declares with a default and the plan does not set.
	for k, def := range t.Parameters {
		if _, ok := out[k]; !ok {
			if m, ok := def.(map[string]any); ok {
				out[k] = m["Default"]
			}
		}
	}
	return out
}

// liveValue is a live parameter: the value the deployed stack has (the
// listener forwards where it did at the last deploy, as far as this
// comparison can know), or a token when nothing is deployed.
func (c *comparison) liveValue(s *plan.Stack, name string) any {
	return c.deployedValue(s, name, token("live", s.ID, name))
}

// deployedValue is the value the deployed stack has for the parameter, or
// otherwise when nothing is deployed.
func (c *comparison) deployedValue(s *plan.Stack, name string, otherwise any) any {
	if c.prev.Params != nil {
		if v, ok := c.prev.Params[s.ID][name]; ok {
			return v
		}
	}
	return otherwise
}

// bound is the value of a parameter bound to an output.
func (c *comparison) bound(ref *plan.OutputRef, isNew bool) any {
	if isNew && c.changedOutputs[ref.Stack][ref.Output] {
		return token("changed output", ref.Stack, ref.Output)
	}
	if c.prev.Outputs != nil {
		if v, ok := c.prev.Outputs[ref.Stack][ref.Output]; ok {
			return v
		}
	}
	return token("output", ref.Stack, ref.Output)
}

// token is a value that stands for something only AWS knows.
func token(parts ...string) string { return "\x00" + strings.Join(parts, "\x00") }

// env evaluates a template's values on one side.
type env struct {
	t        *template
	params   map[string]any
	replaced map[string]bool // new side: resources being replaced
}

// eval resolves what can be resolved: parameters, conditions and Fn::If
// on them, Fn::Sub of them; a Ref or GetAtt of a resource stays a token,
// a different one when the resource is replaced.
func (e *env) eval(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if r, ok := e.intrinsic(k, arg); ok {
					return r
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[k] = e.eval(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = e.eval(val)
		}
		return out
	default:
		return v
	}
}

func (e *env) intrinsic(fn string, arg any) (any, bool) {
	switch fn {
	case "Ref":
		name, _ := arg.(string)
		if v, ok := e.params[name]; ok {
			return v, true
		}
		if _, ok := e.t.Resources[name]; ok {
			return e.resourceToken("ref", name, ""), true
		}
		return token("pseudo", name), true
	case "Fn::GetAtt":
		var res, attr string
		switch a := arg.(type) {
		case []any:
			if len(a) == 2 {
				res, _ = a[0].(string)
				attr, _ = a[1].(string)
			}
		case string:
			res, attr, _ = strings.Cut(a, ".")
		}
		return e.resourceToken("getatt", res, attr), true
	case "Fn::If":
		a, ok := arg.([]any)
		if !ok || len(a) != 3 {
			return nil, false
		}
		cond, _ := a[0].(string)
		switch e.condition(cond) {
		case "true":
			return e.eval(a[1]), true
		case "false":
			return e.eval(a[2]), true
		}
		return map[string]any{"Fn::If": []any{token("condition", cond, fmt.Sprint(e.condInputs(cond))), e.eval(a[1]), e.eval(a[2])}}, true
	case "Fn::Sub":
		switch a := arg.(type) {
		case string:
			return e.sub(a, nil), true
		case []any:
			if len(a) == 2 {
				s, _ := a[0].(string)
				vars, _ := a[1].(map[string]any)
				return e.sub(s, vars), true
			}
		}
	}
	return nil, false
}

// resourceToken is a Ref or GetAtt of a resource.
func (e *env) resourceToken(kind, res, attr string) string {
	if e.replaced[res] {
		return token(kind, res, attr, "replaced")
	}
	return token(kind, res, attr)
}

// sub resolves ${Name} references of a Fn::Sub string.
func (e *env) sub(s string, vars map[string]any) any {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		name := s[i+2 : i+j]
		var val any
		if v, ok := vars[name]; ok {
			val = e.eval(v)
		} else if res, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
			val = e.resourceToken("getatt", res, attr)
		} else {
			val, _ = e.intrinsic("Ref", name)
		}
		if str, ok := val.(string); ok {
			b.WriteString(str)
		} else {
			b.WriteString(fmt.Sprint(val))
		}
		s = s[i+j+1:]
	}
	return b.String()
}

// condition evaluates a condition: "true", "false" or "" (unknown).
func (e *env) condition(name string) string {
	return e.condValue(e.t.Conditions[name])
}

func (e *env) condValue(v any) string {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return ""
	}
	for fn, arg := range m {
		a, _ := arg.([]any)
		switch fn {
		case "Fn::Equals":
			if len(a) != 2 {
				return ""
			}
			x, y := e.eval(a[0]), e.eval(a[1])
			xs, ok1 := x.(string)
			ys, ok2 := y.(string)
			if !ok1 || !ok2 || strings.HasPrefix(xs, "\x00") || strings.HasPrefix(ys, "\x00") {
				return ""
			}
			return fmt.Sprint(xs == ys)
		case "Fn::Not":
			if len(a) == 1 {
				switch e.condValue(a[0]) {
				case "true":
					return "false"
				case "false":
					return "true"
				}
			}
		case "Condition":
			name, _ := arg.(string)
			return e.condition(name)
		}
	}
	return ""
}

// condInputs are the evaluated inputs of an unknown condition, so two
// unknown conditions compare equal only when their inputs do.
func (e *env) condInputs(name string) any { return e.eval(e.t.Conditions[name]) }

// follows names what changes behind a value: a replaced resource it
// refers to, or a changing output of another stack it is bound to.
func follows(v any) string {
	var what string
	walk(v, func(x any) {
		s, ok := x.(string)
		if !ok || what != "" {
			return
		}
		parts := strings.Split(s, "\x00")
		switch {
		case strings.HasSuffix(s, "\x00replaced") && len(parts) > 2:
			what = parts[2] + ", which is replaced"
		case len(parts) == 4 && parts[1] == "changed output":
			what = "output " + parts[3] + " of " + parts[2] + ", which changes"
		}
	})
	return what
}

// at is the value at a path ("A/B") below a properties map.
func at(m map[string]any, path string) any {
	var cur any = m
	for _, p := range strings.Split(path, "/") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

func anyMap(m map[string]any) any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func unionKeys(a, b map[string]any) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	return sortedKeys(seen)
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// KnownType says the create-only table has the resource type.
func KnownType(typ string) bool {
	_, ok := createOnly[typ]
	return ok
}
