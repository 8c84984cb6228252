package stacks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/plan"
	"github.com/bgc-dev/bgc/plan/planfile"
)

// Options controls the output.
type Options struct {
	// Format of the templates (default YAML).
	Format cfn.Format
}

// Result is everything one app generates: the plan (with every template
// body) and the files of the output directory, keyed by their slash path
// relative to it (plan.TemplatePath and friends).
type Result struct {
	Plan  *plan.Plan
	Files map[string][]byte
}

// Generate builds every stack of app and renders each template, each
// target's taskdef.json and appspec.yaml, buildspec.yml and plan.json. It is
// pure and byte-for-byte deterministic. When the app is valid but generates
// something AWS would refuse (a name or policy over its limit, too many
// pipeline stages), the error is Problems.
func Generate(app *model.App, opts Options) (*Result, error) {
	format := opts.Format
	if format == "" {
		format = cfn.YAML
	}
	if _, err := cfn.ParseFormat(string(format)); err != nil {
		return nil, err
	}
	list, err := buildStacks(app)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	p := &plan.Plan{App: app.Name}
	var problems Problems
	names := newNameCheck()
	entries := make([]plan.Stack, len(list))
	render := func(i int) error {
		s := list[i]
		// The value tree is built once: checked, measured and rendered.
		tree, err := s.tpl.Tree()
		if err == nil {
			applyExceptions(tree)
		}
		if err != nil {
			return fmt.Errorf("stack %s: %w", s.id(), err)
		}
		problems = append(problems, s.problems...)
		problems = append(problems, checkLimits(s.id(), tree)...)
		names.stack(s.stackName)
		names.resources(tree)
		body, err := cfn.Marshal(tree, format)
		if err != nil {
			return fmt.Errorf("stack %s: %w", s.id(), err)
		}
		path := plan.TemplatePath(s.accountName, s.region, s.stackName, string(format))
		files[path] = body
		entries[i] = planEntry(app, s, path, body, tree)
		return nil
	}
	// Every template but the build's, whose project carries the
	// fingerprint of all the others (planFingerprint), then the build's.
	var build []int
	for i, s := range list {
		if s.fingerprinted != nil {
			build = append(build, i)
			continue
		}
		if err := render(i); err != nil {
			return nil, err
		}
	}
	fingerprint := planFingerprint(files)
	for _, i := range build {
		list[i].fingerprinted(fingerprint)
		if err := render(i); err != nil {
			return nil, err
		}
	}
	p.Stacks = entries
	p.Accounts = accountPreparations(app)
	problems = append(problems, names.problems()...)
	if len(problems) > 0 {
		problems.sort()
		return nil, problems
	}
	if err := p.Check(); err != nil {
		return nil, fmt.Errorf("internal error: plan: %w", err)
	}
	for _, t := range app.Targets {
		td, err := taskdefJSON(app, t)
		if err != nil {
			return nil, err
		}
		files[plan.TaskDefPath(t.Account, t.Region)] = td
		as, err := appspecYAML(app)
		if err != nil {
			return nil, err
		}
		files[plan.AppSpecPath(t.Account, t.Region)] = as
	}
	bs, err := buildspec(app, fingerprint)
	if err != nil {
		return nil, err
	}
	files[plan.BuildspecFile] = bs
	record := []string{plan.File}
	for path := range files {
		record = append(record, path)
	}
	pj, err := planfile.Encode(p, record)
	if err != nil {
		return nil, err
	}
	files[plan.File] = pj
	return &Result{Plan: p, Files: files}, nil
}

// workloadServiceLinkedRoles are the services whose service-linked roles a
// target's stacks need: ECS (cluster and service), Elastic Load Balancing
// and Application Auto Scaling (the service's scalable target). Each
// creates its role on first use, and in a fresh account that races with
// CloudFormation: "Unable to assume the service linked role. Please verify
// that the ECS service linked role exists."
// (aws-cloudformation/cloudformation-coverage-roadmap#818), so the deployer
// creates them first. Principals: "The AWSServiceRoleForECS service-linked
// role trusts the ecs.amazonaws.com service principal",
// "AWSServiceRoleForElasticLoadBalancing trusts the
// elasticloadbalancing.amazonaws.com service", and Application Auto
// Scaling's ECS role "grants access to the following service principal:
// ecs.application-autoscaling.amazonaws.com" (using-service-linked-roles,
// elb-service-linked-roles, application-auto-scaling-service-linked-roles).
var workloadServiceLinkedRoles = []string{
	"ecs.amazonaws.com",
	"ecs.application-autoscaling.amazonaws.com",
	"elasticloadbalancing.amazonaws.com",
}

// accountPreparations are the workload accounts' service-linked roles.
func accountPreparations(app *model.App) []plan.Account {
	var out []plan.Account
	seen := map[string]bool{}
	for _, t := range app.Targets {
		if !seen[t.AccountID] {
			seen[t.AccountID] = true
			out = append(out, plan.Account{ID: t.AccountID, Name: t.Account, ServiceLinkedRoles: workloadServiceLinkedRoles})
		}
	}
	return out
}

// planFingerprint identifies what must be deployed before the pipeline
// may release a commit: every template but the build's (which carries the
// fingerprint), so a change that only reaches taskdef.json (cpu, memory,
// environment) releases without a deploy, and one that changes roles,
// targets or waves does not. The first 16 hex digits of a SHA-256.
func planFingerprint(templates map[string][]byte) string {
	h := sha256.New()
	for _, p := range sortedKeys(templates) {
		fmt.Fprintf(h, "%d:%s%d:", len(p), p, len(templates[p]))
		h.Write(templates[p])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// buildStacks builds every stack in plan order: keys (primary first),
// artifact stores, then per target logs, network, registry, service, delivery,
// then source, build and pipeline. Every stack only depends on stacks
// before it.
func buildStacks(app *model.App) ([]*stack, error) {
	var list []*stack
	keys := map[string]string{}
	primary := keyStack(app, app.Key.PrimaryRegion)
	list = append(list, primary)
	keys[app.Key.PrimaryRegion] = primary.id()
	for _, region := range keyRegions(app) {
		if region != app.Key.PrimaryRegion {
			s := keyStack(app, region)
			keys[region] = s.id()
			list = append(list, s)
		}
	}
	for _, region := range app.ArtifactRegions() {
		list = append(list, artifactsStack(app, region))
	}
	var registries, delivery []string
	for _, t := range app.Targets {
		logs := logsStack(app, t)
		network, err := networkStack(app, t, logs.id())
		if err != nil {
			return nil, err
		}
		registry, err := registryStack(app, t)
		if err != nil {
			return nil, err
		}
		service := serviceStack(app, t, network.id(), logs.id())
		deliver := deliveryStack(app, t, network.id(), service.id(), keys[t.Region], logs.id())
		deliver.needs(stackID(toolsAccount, t.Region, kindArtifacts), service.id())
		list = append(list, logs, network, registry, service, deliver)
		registries = append(registries, registry.id())
		delivery = append(delivery, deliver.id())
	}
	// The build stack goes after every target's delivery stack: it carries
	// the fingerprint of the deployed plan, which lets the pipeline release
	// a commit of it (buildspec pre_build), so it must change only once
	// everything the commit needs is deployed.
	build := buildStack(app, keys[app.Tools.Region], registries)
	build.needs(delivery...)
	list = append(list,
		sourceStack(app, keys[app.Tools.Region]),
		build,
		pipelineStack(app, keys, delivery),
	)
	return list, nil
}

// planEntry turns a built stack into its plan entry.
func planEntry(app *model.App, s *stack, path string, body []byte, tree map[string]any) plan.Stack {
	tags := map[string]string{}
	for _, kv := range app.Tags {
		tags[kv.Key] = kv.Value
	}
	if s.service != nil {
		// CloudFormation copies stack tags onto the stack's resources, the
		// ECS service too: the service stack's tags never change (its
		// other resources carry the app's tags themselves).
		tags = map[string]string{model.AppTag: app.Name}
	}
	resources, _ := tree["Resources"].(map[string]any)
	return plan.Stack{
		ID:                   s.id(),
		Account:              s.accountID,
		AccountName:          s.accountName,
		Region:               s.region,
		StackName:            s.stackName,
		Template:             path,
		Body:                 body,
		Resources:            len(resources),
		Frozen:               s.frozen,
		Named:                named(resources),
		Retained:             retained(resources),
		Service:              s.service,
		Quiesce:              s.quiesce,
		DefaultSecurityGroup: s.defaultSG,
		Reserved:             s.reserved,
		DeployRole:           s.deployRole,
		Parameters:           s.params,
		Capabilities:         capabilities(s),
		Tags:                 tags,
		DependsOn:            s.dependsOn,
		Retain:               s.retain,
		TemplateBucket:       s.templateBucket,
	}
}

// named lists the resources with a physical name the template fixes.
// Task definitions are not among them: a family holds any number of
// revisions, so replacing one only registers the next.
func named(resources map[string]any) []plan.Named {
	var out []plan.Named
	for _, id := range sortedKeys(resources) {
		res, _ := resources[id].(map[string]any)
		typ, _ := res["Type"].(string)
		n, ok := physicalNames[typ]
		if !ok || typ == "AWS::ECS::TaskDefinition" {
			continue
		}
		props, _ := res["Properties"].(map[string]any)
		v, set := props[n.property]
		if !set {
			continue
		}
		name, _ := v.(string)
		out = append(out, plan.Named{LogicalID: id, Type: typ, Name: name})
	}
	return out
}

// retained lists the resources with DeletionPolicy Retain, with the
// physical name the template fixes.
func retained(resources map[string]any) []plan.Retained {
	var out []plan.Retained
	for _, id := range sortedKeys(resources) {
		res, _ := resources[id].(map[string]any)
		if res["DeletionPolicy"] != "Retain" {
			continue
		}
		typ, _ := res["Type"].(string)
		r := plan.Retained{LogicalID: id, Type: typ}
		if n, ok := physicalNames[typ]; ok {
			props, _ := res["Properties"].(map[string]any)
			r.Name, _ = props[n.property].(string)
		}
		out = append(out, r)
	}
	return out
}

// capabilities is CAPABILITY_NAMED_IAM when the stack names an IAM role,
// CAPABILITY_IAM when it has other IAM resources, else none.
func capabilities(s *stack) []string {
	iam := false
	for _, r := range s.tpl.Resources {
		switch r.AWSCloudFormationType() {
		case "AWS::IAM::Role":
			return []string{"CAPABILITY_NAMED_IAM"}
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::InstanceProfile":
			iam = true
		}
	}
	if iam {
		return []string{"CAPABILITY_IAM"}
	}
	return nil
}
