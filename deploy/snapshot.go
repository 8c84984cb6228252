package deploy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go"

	"github.com/bgc-dev/bgc/plan"
)

// Deployed is what AWS reports of a plan's stacks: each one's template,
// parameters, outputs and tags, and the stacks of the same app in the
// plan's accounts and regions that the plan no longer has.
type Deployed struct {
	// Stacks are the plan's stacks that exist, by plan id.
	Stacks map[string]DeployedStack
	// Unplanned are stacks tagged with the app's name (bgc:app) in the
	// plan's accounts and regions that are not in the plan: left by a
	// target or region removed from app.yaml.
	Unplanned []DeployedStack
}

// DeployedStack is one stack as AWS reports it.
type DeployedStack struct {
	Account, Region, StackName string
	Status                     string
	Template                   []byte
	Parameters, Outputs, Tags  map[string]string
	// GracePeriod is the health check grace period of the stack's ECS
	// service (plan.Service), nil when there is none.
	GracePeriod *int
}

// appTag is the stack tag bgc gives every stack of an app.
const appTag = "bgc:app"

// Snapshot reads the deployed state of every stack of p: DescribeStacks
// and GetTemplate (the template as submitted) per stack, in each stack's
// account (assuming its deploy role) and region, and in each (account,
// region) the other stacks tagged with the app. It changes nothing.
func Snapshot(ctx context.Context, p *plan.Plan, c Common) (*Deployed, error) {
	opts := Options{Common: c}
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	base, err := opts.loadBase(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	src := newAWSClients(base, &opts.Common)
	ctx, cancel := opts.withTimeout(ctx)
	defer cancel()
	if err := src.check(ctx, p.Stacks); err != nil {
		return nil, err
	}
	return snapshot(ctx, p, src, poller{min: opts.PollInterval, max: opts.MaxPollInterval}, opts.Concurrency)
}

func snapshot(ctx context.Context, p *plan.Plan, src clientSource, poll poller, concurrency int) (*Deployed, error) {
	out := &Deployed{Stacks: map[string]DeployedStack{}}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	slots := make(chan struct{}, max(concurrency, 1))
	run := func(f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			if err := f(); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	planned := map[string]bool{} // account/region/stack name
	places := map[string]plan.Stack{}
	for _, s := range p.Stacks {
		planned[s.Account+"/"+s.Region+"/"+s.StackName] = true
		places[s.Account+"/"+s.Region] = s
		run(func() error {
			api := src.cfn(s.Account, s.Region)
			st, err := poll.describe(ctx, api, s.StackName)
			if err != nil {
				return fmt.Errorf("stack %s (%s in %s %s): %w", s.ID, s.StackName, s.Account, s.Region, err)
			}
			if st == nil || st.StackStatus == types.StackStatusReviewInProgress {
				return nil // nothing deployed (a review stack holds only change sets)
			}
			ds, err := readStack(ctx, api, poll, s.Account, s.Region, st)
			if err != nil {
				return fmt.Errorf("stack %s (%s in %s %s): %w", s.ID, s.StackName, s.Account, s.Region, err)
			}
			if sv := s.Service; sv != nil {
				var out *ecs.DescribeServicesOutput
				err := poll.read(ctx, func() (err error) {
					out, err = src.ecs(s.Account, s.Region).DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(sv.Cluster), Services: []string{sv.Name}})
					return err
				})
				var ae smithy.APIError
				switch {
				case errors.As(err, &ae) && ae.ErrorCode() == "ClusterNotFoundException":
				case err != nil:
					return fmt.Errorf("stack %s: describe ECS service %s/%s: %w", s.ID, sv.Cluster, sv.Name, err)
				case len(out.Services) == 1 && out.Services[0].HealthCheckGracePeriodSeconds != nil:
					g := int(*out.Services[0].HealthCheckGracePeriodSeconds)
					ds.GracePeriod = &g
				}
			}
			mu.Lock()
			out.Stacks[s.ID] = ds
			mu.Unlock()
			return nil
		})
	}
	for _, key := range sortedKeys(places) {
		s := places[key]
		run(func() error {
			api := src.cfn(s.Account, s.Region)
			pages := cloudformation.NewDescribeStacksPaginator(api, &cloudformation.DescribeStacksInput{})
			for pages.HasMorePages() {
				page, err := pages.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("list the stacks in %s %s: %w", s.Account, s.Region, err)
				}
				for _, st := range page.Stacks {
					name := aws.ToString(st.StackName)
					if planned[s.Account+"/"+s.Region+"/"+name] || st.StackStatus == types.StackStatusDeleteComplete || tagsOf(st)[appTag] != p.App {
						continue
					}
					mu.Lock()
					out.Unplanned = append(out.Unplanned, DeployedStack{Account: s.Account, Region: s.Region, StackName: name, Status: string(st.StackStatus), Tags: tagsOf(st)})
					mu.Unlock()
				}
			}
			return nil
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return nil, errs[0]
	}
	sort.Slice(out.Unplanned, func(i, j int) bool {
		a, b := out.Unplanned[i], out.Unplanned[j]
		return a.Account+a.Region+a.StackName < b.Account+b.Region+b.StackName
	})
	return out, nil
}

// readStack reads a stack's template as submitted, with what DescribeStacks
// reported.
func readStack(ctx context.Context, api cfnAPI, poll poller, account, region string, st *types.Stack) (DeployedStack, error) {
	var tpl *cloudformation.GetTemplateOutput
	err := poll.read(ctx, func() (err error) {
		tpl, err = api.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: st.StackId, TemplateStage: types.TemplateStageOriginal})
		return err
	})
	if err != nil {
		return DeployedStack{}, fmt.Errorf("get template: %w", err)
	}
	ds := DeployedStack{
		Account: account, Region: region, StackName: aws.ToString(st.StackName), Status: string(st.StackStatus),
		Template: []byte(aws.ToString(tpl.TemplateBody)), Parameters: map[string]string{}, Outputs: map[string]string{}, Tags: tagsOf(*st),
	}
	for _, p := range st.Parameters {
		ds.Parameters[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	for _, o := range st.Outputs {
		ds.Outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return ds, nil
}

func tagsOf(st types.Stack) map[string]string {
	out := map[string]string{}
	for _, t := range st.Tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}
