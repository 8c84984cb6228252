package deploy_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/bgc-dev/bgc/deploy"
	"github.com/bgc-dev/bgc/internal/mototest"
	"github.com/bgc-dev/bgc/plan"
	"github.com/bgc-dev/bgc/plan/planfile"
)

// serviceID is the example's service stack in test1.
const serviceID = "test1/ap-south-1/service"

// TestDay2ServiceStack deploys the example on moto and then plays what
// CodeDeploy does between two deploys, which moto cannot: it points both
// listeners at the green target group (as a release does) and checks that
// the next update of the service stack keeps them there, passing the live
// colour; that a listener splitting traffic (a release shifting it) stops
// the update before anything changes; that the grace period is applied to
// the ECS service outside CloudFormation; and that a deployment in progress
// holds the stack back. CodeDeploy's listener changes are made here with
// ModifyListener, the call CodeDeploy's role uses (AWSCodeDeployRoleForECS
// grants elasticloadbalancing:ModifyListener).
func TestDay2ServiceStack(t *testing.T) {
	p, err := planfile.Load(os.DirFS(exampleOut))
	if err != nil {
		t.Fatal(err)
	}
	startMoto(t)
	ctx := context.Background()
	opts := testOptions(t, deploy.MethodChangeSet)
	opts.Yes = true
	if sum, err := runDeploy(t, p, opts); err != nil {
		t.Fatalf("deploy: %v", err)
	} else {
		wantAll(t, sum, deploy.StatusCreated)
	}
	svc, _ := p.Stack(serviceID)
	cfg := accountConfig(t, svc.Account, svc.Region)
	lb, ecsc := elbv2.NewFromConfig(cfg), ecs.NewFromConfig(cfg)
	outputs := stackOutputs(t, *svc)
	if got := gracePeriod(t, ecsc, svc.Service); got != 60 {
		t.Errorf("grace period after create: %d, want 60", got)
	}

	// A release made green primary: both listeners forward to green.
	green := targetGroupARN(t, lb, "poc-web-green")
	for _, l := range []string{"ProductionListenerArn", "TestListenerArn"} {
		modifyListener(t, lb, outputs[l], elbtypes.Action{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(green)})
	}

	// The next app.yaml change updates the target groups (health check
	// path) and the grace period.
	p2 := changedService(t, p, svc.ID, "HealthCheckPath: /", "HealthCheckPath: /healthz", 120)
	sum, err := runDeploy(t, p2, opts)
	if err != nil {
		t.Fatalf("redeploy: %v", err)
	}
	if r := result(t, sum, serviceID); r.Status != deploy.StatusUpdated {
		t.Fatalf("service stack: %s %q", r.Status, r.Reason)
	}
	for _, l := range []string{"ProductionListenerArn", "TestListenerArn"} {
		if got := forwardsTo(t, lb, outputs[l]); got != green {
			t.Errorf("%s forwards to %s after the update, want %s (green)", l, got, green)
		}
	}
	params := stackParams(t, *svc)
	if params["ProductionTargetColor"] != "green" || params["TestTargetColor"] != "green" {
		t.Errorf("live parameters: %v, want green", params)
	}
	if got := gracePeriod(t, ecsc, svc.Service); got != 120 {
		t.Errorf("grace period after update: %d, want 120", got)
	}

	// Mid-shift: production splits traffic. An update is refused before
	// any change set.
	blue := targetGroupARN(t, lb, "poc-web-blue")
	modifyListener(t, lb, outputs["ProductionListenerArn"], elbtypes.Action{Type: elbtypes.ActionTypeEnumForward,
		ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{
			{TargetGroupArn: aws.String(blue), Weight: aws.Int32(90)}, {TargetGroupArn: aws.String(green), Weight: aws.Int32(10)},
		}}})
	before := eventCount(t, *svc)
	p3 := changedService(t, p2, svc.ID, "HealthCheckPath: /healthz", "HealthCheckPath: /ready", 120)
	sum, _ = runDeploy(t, p3, opts)
	if r := result(t, sum, serviceID); r.Status != deploy.StatusFailed || !strings.Contains(r.Reason, "splits traffic between poc-web-blue and poc-web-green") {
		t.Errorf("mid-shift update: %s %q, want refused", r.Status, r.Reason)
	}
	if eventCount(t, *svc) != before {
		t.Error("the refused update changed the stack")
	}

	// After the shift (green 100, blue 0 stays listed) the update runs and
	// keeps green.
	modifyListener(t, lb, outputs["ProductionListenerArn"], elbtypes.Action{Type: elbtypes.ActionTypeEnumForward,
		ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{
			{TargetGroupArn: aws.String(blue), Weight: aws.Int32(0)}, {TargetGroupArn: aws.String(green), Weight: aws.Int32(100)},
		}}})
	sum, err = runDeploy(t, p3, opts)
	if err != nil {
		t.Fatalf("deploy after the shift: %v", err)
	}
	if got := forwardsTo(t, lb, outputs["ProductionListenerArn"]); got != green {
		t.Errorf("production forwards to %s, want green", got)
	}

	// CodeDeploy moves traffic while the change set waits (here, between
	// its creation and its execution): the change set is not executed.
	srv := motoSrv
	proxy := proxyFor(t, srv)
	proxy.Add(mototest.Rule{Action: "DescribeChangeSet", Times: 1, Delay: time.Second, OnMatch: func() {
		modifyListener(t, lb, outputs["ProductionListenerArn"], elbtypes.Action{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(blue)})
	}})
	before = eventCount(t, *svc)
	p5 := changedService(t, p3, svc.ID, "HealthCheckPath: /ready", "HealthCheckPath: /moved", 120)
	sum, _ = runDeploy(t, p5, opts)
	if r := result(t, sum, serviceID); r.Status != deploy.StatusFailed || !strings.Contains(r.Reason, "the listener behind ProductionTargetColor moved from green to blue while the change set waited") {
		t.Errorf("traffic moved during the change set: %s %q", r.Status, r.Reason)
	}
	if eventCount(t, *svc) != before {
		t.Error("the change set ran after traffic moved")
	}
	useEndpoint(t, srv.URL)

	// Scaling left suspended with no deployment running (the end event of
	// the last deployment never reached the scaling hook) is resumed.
	scaling := aas.NewFromConfig(cfg)
	target := &aas.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceEcs, ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String("service/" + svc.Service.Cluster + "/" + svc.Service.Name), MinCapacity: aws.Int32(2), MaxCapacity: aws.Int32(2),
		SuspendedState: &aastypes.SuspendedState{DynamicScalingInSuspended: aws.Bool(true), DynamicScalingOutSuspended: aws.Bool(true), ScheduledScalingSuspended: aws.Bool(true)}}
	if _, err := scaling.RegisterScalableTarget(ctx, target); err != nil {
		t.Fatal(err)
	}
	sum, err = runDeploy(t, p3, opts)
	if err != nil {
		t.Fatalf("deploy with scaling suspended: %v", err)
	}
	if r := result(t, sum, serviceID); !strings.Contains(r.Reason, "resumed automatic scaling") || len(r.Warnings) != 1 {
		t.Errorf("suspended scaling: %s %q %v, want resumed with a warning", r.Status, r.Reason, r.Warnings)
	}
	got, err := scaling.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceIds: []string{aws.ToString(target.ResourceId)}})
	if err != nil || len(got.ScalableTargets) != 1 || aws.ToBool(got.ScalableTargets[0].SuspendedState.DynamicScalingOutSuspended) {
		t.Errorf("scaling still suspended: %+v %v", got, err)
	}

	// A deployment in progress holds the service and delivery stacks back:
	// the run waits (here until its timeout) and changes nothing.
	cd := codedeploy.NewFromConfig(cfg)
	if _, err := cd.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String(svc.Quiesce.Application), ComputePlatform: cdtypes.ComputePlatformEcs}); err != nil {
		t.Fatal(err)
	}
	if _, err := cd.CreateDeploymentGroup(ctx, &codedeploy.CreateDeploymentGroupInput{ApplicationName: aws.String(svc.Quiesce.Application),
		DeploymentGroupName: aws.String(svc.Quiesce.Name), ServiceRoleArn: aws.String("arn:aws:iam::" + svc.Account + ":role/x")}); err != nil {
		t.Fatal(err)
	}
	dep, err := cd.CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{ApplicationName: aws.String(svc.Quiesce.Application), DeploymentGroupName: aws.String(svc.Quiesce.Name)})
	if err != nil {
		t.Fatal(err)
	}
	before = eventCount(t, *svc)
	p4 := changedService(t, p3, svc.ID, "HealthCheckPath: /ready", "HealthCheckPath: /live", 120)
	opts.Timeout = 2 * time.Second
	var progress bytes.Buffer
	opts.Stderr = &progress
	sum, _ = runDeploy(t, p4, opts)
	if r := result(t, sum, serviceID); r.Status != deploy.StatusInterrupted {
		t.Errorf("update during a deployment: %s %q, want it to wait until the timeout", r.Status, r.Reason)
	}
	if eventCount(t, *svc) != before {
		t.Error("the stack changed while a deployment ran")
	}
	if want := "CodeDeploy deployment " + aws.ToString(dep.DeploymentId) + " of poc-web/poc-web is running"; !strings.Contains(progress.String(), want) {
		t.Errorf("the wait did not say %q:\n%s", want, progress.String())
	}
}

// changedService returns a copy of p whose service stack template has old
// replaced by new and whose grace period is grace.
func changedService(t *testing.T, p *plan.Plan, id, old, new string, grace int) *plan.Plan {
	t.Helper()
	out := *p
	out.Stacks = append([]plan.Stack(nil), p.Stacks...)
	for i := range out.Stacks {
		s := &out.Stacks[i]
		if s.ID != id {
			continue
		}
		body := strings.ReplaceAll(string(s.Body), old, new)
		if body == string(s.Body) {
			t.Fatalf("%s: %q not in the template", id, old)
		}
		s.Body = []byte(body)
		sv := *s.Service
		sv.HealthCheckGracePeriodSeconds = grace
		s.Service = &sv
	}
	return &out
}

func stackOutputs(t *testing.T, s plan.Stack) map[string]string {
	t.Helper()
	st := describe(t, s)
	out := map[string]string{}
	for _, o := range st.Outputs {
		out[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return out
}

func stackParams(t *testing.T, s plan.Stack) map[string]string {
	t.Helper()
	st := describe(t, s)
	out := map[string]string{}
	for _, p := range st.Parameters {
		out[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	return out
}

func gracePeriod(t *testing.T, c *ecs.Client, sv *plan.Service) int32 {
	t.Helper()
	out, err := c.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(sv.Cluster), Services: []string{sv.Name}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describe service %s/%s: %v %v", sv.Cluster, sv.Name, out, err)
	}
	return aws.ToInt32(out.Services[0].HealthCheckGracePeriodSeconds)
}

func targetGroupARN(t *testing.T, c *elbv2.Client, name string) string {
	t.Helper()
	out, err := c.DescribeTargetGroups(context.Background(), &elbv2.DescribeTargetGroupsInput{Names: []string{name}})
	if err != nil || len(out.TargetGroups) != 1 {
		t.Fatalf("target group %s: %v", name, err)
	}
	return aws.ToString(out.TargetGroups[0].TargetGroupArn)
}

func modifyListener(t *testing.T, c *elbv2.Client, arn string, a elbtypes.Action) {
	t.Helper()
	if _, err := c.ModifyListener(context.Background(), &elbv2.ModifyListenerInput{ListenerArn: aws.String(arn), DefaultActions: []elbtypes.Action{a}}); err != nil {
		t.Fatalf("modify listener %s: %v", arn, err)
	}
}

// forwardsTo is the one target group with traffic a listener forwards to.
func forwardsTo(t *testing.T, c *elbv2.Client, arn string) string {
	t.Helper()
	out, err := c.DescribeListeners(context.Background(), &elbv2.DescribeListenersInput{ListenerArns: []string{arn}})
	if err != nil || len(out.Listeners) != 1 {
		t.Fatalf("listener %s: %v", arn, err)
	}
	var groups []string
	for _, a := range out.Listeners[0].DefaultActions {
		if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
			for _, g := range a.ForwardConfig.TargetGroups {
				if g.Weight == nil || *g.Weight > 0 {
					groups = append(groups, aws.ToString(g.TargetGroupArn))
				}
			}
		} else if a.TargetGroupArn != nil {
			groups = append(groups, *a.TargetGroupArn)
		}
	}
	if len(groups) != 1 {
		t.Fatalf("listener %s forwards to %v", arn, groups)
	}
	return groups[0]
}
