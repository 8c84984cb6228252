package deploy_test

import (
	"strings"
	"testing"

	"github.com/bgc-dev/bgc/deploy"
	"github.com/bgc-dev/bgc/plan"
)

// servicePlan is one stack with an ECS service under the CODE_DEPLOY
// controller; grace varies its health-check grace period.
func servicePlan(grace int) *plan.Plan {
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
	s := stackOf("alpha", alphaAcct, "ap-south-1", "service", body)
	s.Frozen = []plan.Frozen{{LogicalID: "Service", Type: "AWS::ECS::Service", Reason: "an ECS service under the CODE_DEPLOY controller"}}
	return &plan.Plan{App: "e2e", Stacks: []plan.Stack{s}}
}

// TestCodeDeployServiceUpdateIsRefused: a change set that modifies a
// CODE_DEPLOY service (which ECS would refuse) fails before it executes,
// with the reason, in a dry run and a real one; the service stays as it was.
func TestCodeDeployServiceUpdateIsRefused(t *testing.T) {
	startMoto(t)
	opts := testOptions(t, deploy.MethodChangeSet)
	opts.Yes = true
	p := servicePlan(60)
	sum, err := runDeploy(t, p, opts)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	wantAll(t, sum, deploy.StatusCreated)

	p2 := servicePlan(120)
	for _, dry := range []bool{true, false} {
		o := opts
		o.DryRun = dry
		sum, err = runDeploy(t, p2, o)
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
