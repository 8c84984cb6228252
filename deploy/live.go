package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"

	"github.com/bgc-dev/bgc/plan"
)

// What the deployer reads and sets outside CloudFormation: the target
// group each listener forwards to (the live parameters), the deployments
// of the target's deployment group (a stack they use does not change while
// one runs) and the ECS service's settings that CloudFormation must never
// update.

// elbAPI is the part of the Elastic Load Balancing client the deployer uses.
type elbAPI interface {
	DescribeListeners(context.Context, *elb.DescribeListenersInput, ...func(*elb.Options)) (*elb.DescribeListenersOutput, error)
	ModifyLoadBalancerAttributes(context.Context, *elb.ModifyLoadBalancerAttributesInput, ...func(*elb.Options)) (*elb.ModifyLoadBalancerAttributesOutput, error)
}

// ecsAPI is the part of the ECS client the deployer uses.
type ecsAPI interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	UpdateService(context.Context, *ecs.UpdateServiceInput, ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
}

// autoscalingAPI is the part of the Application Auto Scaling client the
// deployer uses.
type autoscalingAPI interface {
	DescribeScalableTargets(context.Context, *aas.DescribeScalableTargetsInput, ...func(*aas.Options)) (*aas.DescribeScalableTargetsOutput, error)
	RegisterScalableTarget(context.Context, *aas.RegisterScalableTargetInput, ...func(*aas.Options)) (*aas.RegisterScalableTargetOutput, error)
}

// codedeployAPI is the part of the CodeDeploy client the deployer uses.
type codedeployAPI interface {
	ListDeployments(context.Context, *codedeploy.ListDeploymentsInput, ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentsOutput, error)
}

var (
	_ elbAPI        = (*elb.Client)(nil)
	_ ecsAPI        = (*ecs.Client)(nil)
	_ codedeployAPI = (*codedeploy.Client)(nil)

	_ autoscalingAPI = (*aas.Client)(nil)
)

// liveParams resolves the stack's live parameters: with no stack (or no
// output naming the listener yet) each takes its initial value, otherwise
// the value of the target group its listener forwards all traffic to. A
// listener that splits traffic between groups is in the middle of a
// CodeDeploy traffic shift, and one that forwards to a group the plan does
// not know was changed by hand: either way no update may run, because it
// would re-send the listener's action and move traffic.
func (r *stackRun) liveParams(ctx context.Context, st *types.Stack) ([]types.Parameter, error) {
	outputs := map[string]string{}
	if st != nil {
		for _, o := range st.Outputs {
			outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
		}
	}
	var out []types.Parameter
	for _, k := range sortedKeys(r.s.Parameters) {
		l := r.s.Parameters[k].Live
		if l == nil {
			continue
		}
		val := l.Initial
		if arn, ok := outputs[l.Listener]; ok && arn != "" {
			v, err := r.forwardsTo(ctx, arn, l)
			if err != nil {
				return nil, err
			}
			val = v
		}
		out = append(out, types.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(val)})
	}
	return out, nil
}

// forwardsTo reads the listener and returns the plan's value for the one
// target group its default action forwards traffic to.
func (r *stackRun) forwardsTo(ctx context.Context, listenerARN string, l *plan.LiveRef) (string, error) {
	api := r.src.elb(r.s.Account, r.s.Region)
	var out *elb.DescribeListenersOutput
	err := r.poll.read(ctx, func() (err error) {
		out, err = api.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{listenerARN}})
		return err
	})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "ListenerNotFound" {
		r.warn(fmt.Sprintf("listener %s (output %s) no longer exists; passing %q", listenerARN, l.Listener, l.Initial))
		return l.Initial, nil
	}
	if err != nil {
		return "", fmt.Errorf("read listener %s: %w", listenerARN, err)
	}
	if len(out.Listeners) != 1 {
		return "", failf("DescribeListeners returned %d listeners for %s", len(out.Listeners), listenerARN)
	}
	groups := forwardedGroups(out.Listeners[0].DefaultActions)
	what := fmt.Sprintf("listener %s (output %s)", listenerARN, l.Listener)
	switch {
	case len(groups) == 0:
		return "", failf("%s forwards to no target group; bgc will not update a listener it cannot keep pointing where it points", what)
	case len(groups) > 1:
		return "", failf("%s splits traffic between %s: a CodeDeploy deployment is shifting traffic. Re-run when it has finished; "+
			"an update now would move traffic back", what, strings.Join(groups, " and "))
	}
	val, ok := l.TargetGroups[groups[0]]
	if !ok {
		return "", failf("%s forwards to target group %s, which is neither of the service's (%s): it was changed outside bgc and CodeDeploy. "+
			"Point it back at one of them, then re-run", what, groups[0], strings.Join(sortedKeys(l.TargetGroups), ", "))
	}
	return val, nil
}

// forwardedGroups are the names of the target groups a listener's forward
// action sends traffic to. A forward names its group either as
// TargetGroupArn or in ForwardConfig, or both ("If you specify both
// ForwardConfig and TargetGroupArn, you can specify only one target group
// using ForwardConfig and it must be the same target group specified in
// TargetGroupArn", Action in the ELB API reference); after a CodeDeploy
// deployment the group it moved traffic away from may stay listed with
// weight 0, which receives nothing.
func forwardedGroups(actions []elbtypes.Action) []string {
	seen := map[string]bool{}
	for _, a := range actions {
		if a.Type != elbtypes.ActionTypeEnumForward {
			continue
		}
		if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
			for _, g := range a.ForwardConfig.TargetGroups {
				if g.Weight == nil || *g.Weight > 0 {
					seen[targetGroupName(aws.ToString(g.TargetGroupArn))] = true
				}
			}
			continue
		}
		if a.TargetGroupArn != nil {
			seen[targetGroupName(*a.TargetGroupArn)] = true
		}
	}
	names := slices.Collect(func(yield func(string) bool) {
		for n := range seen {
			if !yield(n) {
				return
			}
		}
	})
	sort.Strings(names)
	return names
}

// targetGroupName is the name in a target group ARN
// (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID).
func targetGroupName(arn string) string {
	_, rest, ok := strings.Cut(arn, ":targetgroup/")
	if !ok {
		return arn
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

// activeDeployment lists the statuses of a deployment that is not over.
var activeDeployment = []cdtypes.DeploymentStatus{
	cdtypes.DeploymentStatusCreated, cdtypes.DeploymentStatusQueued, cdtypes.DeploymentStatusInProgress,
	cdtypes.DeploymentStatusReady, cdtypes.DeploymentStatusBaking,
}

// quiesce waits until the stack's deployment group runs no deployment. A
// blue/green deployment holds two task sets behind the stack's listeners
// and target groups: changing those, or the task count ("the desired task
// count might be set to an unexpected value", deployment-type-bluegreen in
// the ECS developer guide), while it runs can fail it. A deployment group
// or application that does not exist yet runs nothing. A dry run does not
// wait; it says what a real run would wait for.
func (r *stackRun) quiesce(ctx context.Context) error {
	q := r.s.Quiesce
	if q == nil {
		return nil
	}
	for {
		ids, err := r.runningDeployments(ctx, q)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		msg := fmt.Sprintf("CodeDeploy deployment %s of %s/%s is running", strings.Join(ids, ", "), q.Application, q.Name)
		if r.opts().DryRun {
			r.warn(msg + "; a real run waits for it to end before changing this stack")
			return nil
		}
		r.progress(phaseWaiting, msg+"; waiting for it to end before changing this stack")
		if err := sleep(ctx, r.poll.max); err != nil {
			return err
		}
	}
}

// runningDeployments lists the group's deployments that have not ended. A
// deployment group or application that does not exist yet runs nothing.
func (r *stackRun) runningDeployments(ctx context.Context, q *plan.DeploymentGroup) ([]string, error) {
	api := r.src.codedeploy(r.s.Account, r.s.Region)
	var ids []string
	err := r.poll.read(ctx, func() error {
		ids = nil
		p := codedeploy.NewListDeploymentsPaginator(api, &codedeploy.ListDeploymentsInput{
			ApplicationName: aws.String(q.Application), DeploymentGroupName: aws.String(q.Name), IncludeOnlyStatuses: activeDeployment,
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			ids = append(ids, page.Deployments...)
		}
		return nil
	})
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "ApplicationDoesNotExistException" || ae.ErrorCode() == "DeploymentGroupDoesNotExistException") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the deployments of %s/%s: %w", q.Application, q.Name, err)
	}
	return ids, nil
}

// resumeScaling is the backstop of the scaling hook (compiler/stacks/
// hooks.go), which resumes the service's automatic scaling on an event
// CodeDeploy delivers only on a best-effort basis: when no deployment runs
// and the scalable target is still suspended, it is resumed. It returns
// what it did.
func (r *stackRun) resumeScaling(ctx context.Context) (string, error) {
	sv := r.s.Service
	if r.s.Quiesce != nil {
		ids, err := r.runningDeployments(ctx, r.s.Quiesce)
		if err != nil || len(ids) > 0 {
			return "", err
		}
	}
	api := r.src.autoscaling(r.s.Account, r.s.Region)
	id := "service/" + sv.Cluster + "/" + sv.Name
	var out *aas.DescribeScalableTargetsOutput
	err := r.poll.read(ctx, func() (err error) {
		out, err = api.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{
			ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceIds: []string{id}, ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("describe the scalable target %s: %w", id, err)
	}
	for _, t := range out.ScalableTargets {
		s := t.SuspendedState
		if s == nil || !(aws.ToBool(s.DynamicScalingInSuspended) || aws.ToBool(s.DynamicScalingOutSuspended) || aws.ToBool(s.ScheduledScalingSuspended)) {
			continue
		}
		if r.opts().DryRun {
			return "a real run resumes the service's automatic scaling, suspended with no deployment running", nil
		}
		_, err := api.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{
			ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(id), ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
			SuspendedState: &aastypes.SuspendedState{DynamicScalingInSuspended: aws.Bool(false), DynamicScalingOutSuspended: aws.Bool(false), ScheduledScalingSuspended: aws.Bool(false)},
		})
		if err != nil {
			return "", failf("resume the automatic scaling of %s: %s (the deploy role needs application-autoscaling:RegisterScalableTarget)", id, apiMessage(err))
		}
		r.warn("the service's automatic scaling was suspended with no deployment running (the end of the last deployment was not delivered to the scaling hook); resumed it")
		return "resumed automatic scaling", nil
	}
	return "", nil
}

// applyService sets the plan's settings of the stack's ECS service that
// differ from the running service's, with UpdateService (which accepts
// them for a CODE_DEPLOY service, unlike a CloudFormation update). It
// returns what it changed (or, in a dry run, would change).
func (r *stackRun) applyService(ctx context.Context) (string, error) {
	sv := r.s.Service
	api := r.src.ecs(r.s.Account, r.s.Region)
	var out *ecs.DescribeServicesOutput
	err := r.poll.read(ctx, func() (err error) {
		out, err = api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(sv.Cluster), Services: []string{sv.Name}})
		return err
	})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "ClusterNotFoundException" {
		out, err = &ecs.DescribeServicesOutput{}, nil // not created yet (a dry run)
	}
	if err != nil {
		return "", fmt.Errorf("describe ECS service %s/%s: %w", sv.Cluster, sv.Name, err)
	}
	if len(out.Services) == 0 {
		if r.opts().DryRun {
			return fmt.Sprintf("health check grace period %d s once the service exists", sv.HealthCheckGracePeriodSeconds), nil
		}
		return "", failf("ECS service %s in cluster %s does not exist after the stack deployed", sv.Name, sv.Cluster)
	}
	resumed, err := r.resumeScaling(ctx)
	if err != nil {
		return "", err
	}
	want := int32(sv.HealthCheckGracePeriodSeconds)
	if got := out.Services[0].HealthCheckGracePeriodSeconds; got != nil && *got == want {
		return resumed, nil
	}
	what := fmt.Sprintf("health check grace period %d s", want)
	if r.opts().DryRun {
		return joinNonEmpty(resumed, "a real run sets the "+what), nil
	}
	r.progress(phaseExecuting, "setting the service's "+what)
	_, err = api.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String(sv.Cluster), Service: aws.String(sv.Name), HealthCheckGracePeriodSeconds: aws.Int32(want),
	})
	if err != nil {
		return "", failf("set the %s on ECS service %s/%s: %s (the deploy role needs ecs:UpdateService)", what, sv.Cluster, sv.Name, apiMessage(err))
	}
	return joinNonEmpty(resumed, "set the "+what), nil
}

func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

// unprotectLoadBalancers turns deletion protection off on the stack's load
// balancers before the stack is deleted: bgc's templates turn it on, and
// "If you enable deletion protection for your load balancer, you must
// disable delete protection before you can delete the load balancer."
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#deletion-protection),
// so CloudFormation's delete would fail. It returns the load balancers it
// changed.
func (r *stackRun) unprotectLoadBalancers(ctx context.Context, st *types.Stack) ([]string, error) {
	resources, err := r.stackResources(ctx, st)
	if err != nil {
		return nil, err
	}
	var arns []string
	for _, res := range resources {
		if aws.ToString(res.ResourceType) == "AWS::ElasticLoadBalancingV2::LoadBalancer" && aws.ToString(res.PhysicalResourceId) != "" &&
			res.ResourceStatus != types.ResourceStatusDeleteComplete {
			arns = append(arns, aws.ToString(res.PhysicalResourceId))
		}
	}
	if len(arns) == 0 {
		return nil, nil
	}
	api := r.src.elb(r.s.Account, r.s.Region)
	for _, arn := range arns {
		_, err := api.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{
			LoadBalancerArn: aws.String(arn),
			Attributes:      []elbtypes.LoadBalancerAttribute{{Key: aws.String("deletion_protection.enabled"), Value: aws.String("false")}},
		})
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "LoadBalancerNotFound" {
			continue
		}
		if err != nil {
			return nil, failf("turn deletion protection off on load balancer %s: %s (the deploy role needs elasticloadbalancing:ModifyLoadBalancerAttributes)", arn, apiMessage(err))
		}
	}
	return arns, nil
}

// stillCurrent checks, just before a change set that was made (and maybe
// confirmed) a while ago runs, that what it was made from still holds: no
// CodeDeploy deployment of the target started since, and every listener
// still forwards to the group the change set keeps it on. A release that
// began in between would otherwise be undone by the update.
func (r *stackRun) stillCurrent(ctx context.Context, st *types.Stack) error {
	if q := r.s.Quiesce; q != nil {
		ids, err := r.runningDeployments(ctx, q)
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			return failf("CodeDeploy deployment %s of %s/%s started while the change set waited; nothing was changed: re-run when it has ended",
				strings.Join(ids, ", "), q.Application, q.Name)
		}
	}
	live, err := r.liveParams(ctx, st)
	if err != nil {
		return err
	}
	for _, p := range live {
		for _, q := range r.params {
			if aws.ToString(q.ParameterKey) == aws.ToString(p.ParameterKey) && aws.ToString(q.ParameterValue) != aws.ToString(p.ParameterValue) {
				return failf("the listener behind %s moved from %s to %s while the change set waited; nothing was changed: re-run",
					aws.ToString(p.ParameterKey), aws.ToString(q.ParameterValue), aws.ToString(p.ParameterValue))
			}
		}
	}
	return nil
}
