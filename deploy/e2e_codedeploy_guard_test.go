package deploy_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/bgc-dev/bgc/compiler/plan"
	"github.com/bgc-dev/bgc/deploy"
)

// servicePlan is one stack with an ECS service under the CODE_DEPLOY
// controller; grace varies its health-check grace period.
func servicePlan(grace int) (*plan.Plan, fstest.MapFS) {
	files := fstest.MapFS{}
	body := tmpl(nil, map[string]any{
		"Cluster": map[string]any{"Type": "AWS::ECS::Cluster", "Properties": map[string]any{"ClusterName": "bgc-e2e"}},
		"TaskDefinition": map[string]any{"Type": "AWS::ECS::TaskDefinition", "Properties": map[string]any{
			"Family": "bgc-e2e", "Cpu": "256", "Memory": "512", "NetworkMode": "awsvpc", "RequiresCompatibilities": []string{"FARGATE"},
			"ContainerDefinitions": []any{map[string]any{"Name": "web", "Image": "public.ecr.aws/nginx/nginx:stable-alpine", "Essential": true}},
		}},
		"Service": map[string]any{"Type": "AWS::ECS::Service", "Properties": map[string]any{
			"ServiceName": "bgc-e2e", "Cluster": ref("Cluster"), "TaskDefinition": ref("TaskDefinition"),
			"DeploymentController":          map[string]any{"Type": "CODE_DEPLOY"},
			"HealthCheckGracePeriodSeconds": grace,
		}},
	}, nil)
	s := stackOf(files, "alpha", alphaAcct, "ap-south-1", "service", body)
	return &plan.Plan{Version: plan.FormatVersion, App: "e2e", Stacks: []plan.Stack{s}}, files
}

// TestCodeDeployServiceUpdateIsRefused: a change set that modifies a
// CODE_DEPLOY service (which ECS would refuse) fails before it executes,
// with the reason, in a dry run and a real one; the service stays as it was.
func TestCodeDeployServiceUpdateIsRefused(t *testing.T) {
	startMoto(t)
	opts := testOptions(t, deploy.MethodChangeSet)
	opts.Yes = true
	p, files := servicePlan(60)
	sum, err := runDeploy(t, p, files, opts)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	wantAll(t, sum, deploy.StatusCreated)

	p2, files2 := servicePlan(120)
	for _, dry := range []bool{true, false} {
		o := opts
		o.DryRun = dry
		sum, err = runDeploy(t, p2, files2, o)
		if err == nil {
			t.Fatalf("dry run %v: modifying the CODE_DEPLOY service was not refused", dry)
		}
		r := result(t, sum, p2.Stacks[0].ID)
		if r.Status != deploy.StatusFailed || !strings.Contains(r.Reason, "CODE_DEPLOY") || !strings.Contains(r.Reason, "Service") {
			t.Errorf("dry run %v: status %s, reason %q", dry, r.Status, r.Reason)
		}
	}
	if st := describe(t, p.Stacks[0]); st == nil || string(st.StackStatus) != "CREATE_COMPLETE" {
		t.Errorf("the refused update changed the stack: %+v", st)
	}
}
