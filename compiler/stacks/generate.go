package stacks

import (
	"fmt"

	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/compiler/plan"
)

// Options controls the output.
type Options struct {
	// Format of the templates: "yaml" (default) or "json".
	Format string
}

// Generate returns every output file keyed by its slash path relative to
// the output directory: each stack's template, each target's taskdef.json
// and appspec.yaml, buildspec.yml and plan.json. It is pure and
// byte-for-byte deterministic.
func Generate(app *model.App, opts Options) (map[string][]byte, error) {
	format := opts.Format
	if format == "" {
		format = "yaml"
	}
	if format != "yaml" && format != "json" {
		return nil, fmt.Errorf("unknown output format %q (want yaml or json)", format)
	}
	list, err := buildStacks(app)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	p := plan.Plan{Version: plan.FormatVersion, App: app.Name}
	var limits LimitErrors
	for _, s := range list {
		tree, err := s.tpl.Tree()
		if err != nil {
			return nil, fmt.Errorf("stack %s: %w", s.id(), err)
		}
		limits = append(limits, checkLimits(s.id(), tree)...)
		body, err := s.tpl.Render(format)
		if err != nil {
			return nil, fmt.Errorf("stack %s: %w", s.id(), err)
		}
		path := s.accountName + "/" + s.region + "/" + s.stackName + ".template." + format
		files[path] = body
		p.Stacks = append(p.Stacks, planEntry(app, s, path))
	}
	if len(limits) > 0 {
		return nil, limits
	}
	if err := p.Check(); err != nil {
		return nil, fmt.Errorf("internal error: %w", err)
	}
	for _, t := range app.Targets {
		td, err := taskdefJSON(app, t)
		if err != nil {
			return nil, err
		}
		files[t.ID()+"/taskdef.json"] = td
		as, err := appspecYAML(app)
		if err != nil {
			return nil, err
		}
		files[t.ID()+"/appspec.yaml"] = as
	}
	bs, err := buildspec(app)
	if err != nil {
		return nil, err
	}
	files[buildspecFile] = bs
	pj, err := p.Marshal()
	if err != nil {
		return nil, err
	}
	files["plan.json"] = pj
	return files, nil
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

// planEntry turns a built stack into its plan.json entry.
func planEntry(app *model.App, s *stack, path string) plan.Stack {
	tags := map[string]string{}
	for _, kv := range app.Tags {
		tags[kv.Key] = kv.Value
	}
	return plan.Stack{
		ID:             s.id(),
		Account:        s.accountID,
		AccountName:    s.accountName,
		Region:         s.region,
		StackName:      s.stackName,
		Template:       path,
		DeployRole:     s.deployRole,
		Parameters:     s.params,
		Capabilities:   capabilities(s),
		Tags:           tags,
		DependsOn:      s.dependsOn,
		Retain:         s.retain,
		TemplateBucket: s.templateBucket,
	}
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
