package stacks

import (
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
	for _, s := range list {
		// The value tree is built once: checked, measured and rendered.
		tree, err := s.tpl.Tree()
		if err != nil {
			return nil, fmt.Errorf("stack %s: %w", s.id(), err)
		}
		problems = append(problems, s.problems...)
		problems = append(problems, checkLimits(s.id(), tree)...)
		names.stack(s.stackName)
		names.resources(tree)
		body, err := cfn.Marshal(tree, format)
		if err != nil {
			return nil, fmt.Errorf("stack %s: %w", s.id(), err)
		}
		path := plan.TemplatePath(s.accountName, s.region, s.stackName, string(format))
		files[path] = body
		p.Stacks = append(p.Stacks, planEntry(app, s, path, body, tree))
	}
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
	bs, err := buildspec(app)
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

// buildStacks builds every stack in plan order: keys (primary first),
// artifact stores, then per target network, registry, service, delivery,
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
		network, err := networkStack(app, t)
		if err != nil {
			return nil, err
		}
		registry, err := registryStack(app, t)
		if err != nil {
			return nil, err
		}
		service := serviceStack(app, t, network.id())
		deliver := deliveryStack(app, t, service.id(), keys[t.Region])
		deliver.needs(stackID(toolsAccount, t.Region, kindArtifacts), service.id())
		list = append(list, network, registry, service, deliver)
		registries = append(registries, registry.id())
		delivery = append(delivery, deliver.id())
	}
	list = append(list,
		sourceStack(app),
		buildStack(app, keys[app.Tools.Region], registries),
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
	resources, _ := tree["Resources"].(map[string]any)
	return plan.Stack{
		ID:             s.id(),
		Account:        s.accountID,
		AccountName:    s.accountName,
		Region:         s.region,
		StackName:      s.stackName,
		Template:       path,
		Body:           body,
		Resources:      len(resources),
		Frozen:         s.frozen,
		Retained:       retained(resources),
		DeployRole:     s.deployRole,
		Parameters:     s.params,
		Capabilities:   capabilities(s),
		Tags:           tags,
		DependsOn:      s.dependsOn,
		Retain:         s.retain,
		TemplateBucket: s.templateBucket,
	}
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
