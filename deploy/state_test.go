package deploy

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/bgc-dev/bgc/plan"
)

// These tests use the fake CloudFormation (fake_test.go) for the states
// moto_server cannot produce.

const fakeTemplate = `{"Resources":{"T":{"Type":"AWS::SNS::Topic"}}}`

// oneStack is a plan with the stack "a/us-east-1/app" and a dependent.
func oneStack(retain bool) *plan.Plan {
	p := &plan.Plan{App: "t", Stacks: []plan.Stack{
		{ID: "a/us-east-1/app", Account: "111111111111", Region: "us-east-1", StackName: "app", Template: "app.json", Retain: retain,
			Body: []byte(fakeTemplate), Resources: 1},
		{ID: "a/us-east-1/next", Account: "111111111111", Region: "us-east-1", StackName: "next", Template: "next.json",
			Body: []byte(fakeTemplate), Resources: 1,
			DependsOn: []string{"a/us-east-1/app"}, Parameters: map[string]plan.ParamValue{"N": plan.FromOutput("a/us-east-1/app", "Name")}},
	}}
	if err := p.Check(); err != nil {
		panic(err)
	}
	return p
}

func fakeOptions(mod func(*Options)) Options {
	o := Options{Method: MethodDirect, Common: Common{
		RunID: "unit", PollInterval: time.Millisecond, MaxPollInterval: 2 * time.Millisecond,
		Now: func() time.Time { return time.Unix(1_700_000_000, 0) },
	}}
	if mod != nil {
		mod(&o)
	}
	if err := o.normalize(); err != nil {
		panic(err)
	}
	return o
}

func runFake(t *testing.T, f *fakeCFN, p *plan.Plan, opts Options) *Summary {
	t.Helper()
	sum, err := runDeploy(context.Background(), p, opts, fakeSource{cfnFake: f})
	if sum == nil {
		t.Fatalf("deploy: %v", err)
	}
	if (err == nil) != sum.OK {
		t.Fatalf("error %v but summary OK=%v", err, sum.OK)
	}
	return sum
}

func failedCreateEvents(f *fakeCFN, name string) {
	s := f.stacks[name]
	f.event(s, "Key", "AWS::KMS::Key", types.ResourceStatusCreateFailed, "Access denied for kms:CreateKey")
	f.event(s, "Bucket", "AWS::S3::Bucket", types.ResourceStatusCreateFailed, "Resource creation cancelled")
	f.event(s, name, "AWS::CloudFormation::Stack", types.ResourceStatusRollbackComplete, "")
}

func TestRollbackComplete(t *testing.T) {
	for name, c := range map[string]struct {
		retain, replace bool
		want            Status
		reason          string
		deletes         bool
	}{
		"refused without ReplaceFailed": {replace: false, want: StatusFailed, reason: "--replace-failed"},
		"replaced with ReplaceFailed":   {replace: true, want: StatusCreated, deletes: true},
		"never for Retain stacks":       {retain: true, replace: true, want: StatusFailed, reason: "never deletes"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake()
			f.add("app", types.StackStatusRollbackComplete)
			failedCreateEvents(f, "app")
			sum := runFake(t, f, oneStack(c.retain), fakeOptions(func(o *Options) { o.ReplaceFailed = c.replace }))
			r := sum.Stacks[0]
			if r.Status != c.want || !strings.Contains(r.Reason, c.reason) {
				t.Errorf("status %s, reason %q; want %s containing %q", r.Status, r.Reason, c.want, c.reason)
			}
			if got := slices.Contains(f.calls, "DeleteStack"); got != c.deletes {
				t.Errorf("DeleteStack called=%v, want %v (calls %v)", got, c.deletes, f.calls)
			}
			if c.want == StatusFailed {
				if len(r.Events) != 1 || r.Events[0].LogicalID != "Key" {
					t.Errorf("root cause events %+v, want the Key failure only", r.Events)
				}
				if sum.Stacks[1].Status != StatusSkipped {
					t.Errorf("dependent: %s, want skipped", sum.Stacks[1].Status)
				}
			} else if sum.Stacks[1].Status != StatusCreated {
				t.Errorf("dependent: %s (%s), want created", sum.Stacks[1].Status, sum.Stacks[1].Reason)
			}
		})
	}
}

func TestUpdateRollbackFailed(t *testing.T) {
	f := newFake()
	s := f.add("app", types.StackStatusUpdateRollbackFailed)
	f.event(s, "Svc", "AWS::ECS::Service", types.ResourceStatusUpdateFailed, "Service did not stabilize")
	var stderr bytes.Buffer
	sum := runFake(t, f, oneStack(false), fakeOptions(func(o *Options) { o.Stderr = &stderr }))
	r := sum.Stacks[0]
	if r.Status != StatusFailed || !strings.Contains(r.Reason, "aws cloudformation continue-update-rollback --stack-name app --region us-east-1") {
		t.Errorf("reason %q lacks the continue-update-rollback command", r.Reason)
	}
	if len(r.Events) != 1 || r.Events[0].Reason != "Service did not stabilize" {
		t.Errorf("events %+v", r.Events)
	}
	if !strings.Contains(stderr.String(), "Service did not stabilize") {
		t.Errorf("the failed event is not printed:\n%s", stderr.String())
	}
	if slices.Contains(f.calls, "UpdateStack") || slices.Contains(f.calls, "DeleteStack") {
		t.Errorf("touched a stack in UPDATE_ROLLBACK_FAILED: %v", f.calls)
	}
}

func TestWaitsForOperationInProgress(t *testing.T) {
	f := newFake()
	s := f.add("app", types.StackStatusUpdateComplete)
	s.pending = []types.StackStatus{types.StackStatusUpdateInProgress, types.StackStatusUpdateInProgress, types.StackStatusUpdateInProgress}
	sum := runFake(t, f, oneStack(false), fakeOptions(nil))
	if r := sum.Stacks[0]; r.Status != StatusUpdated {
		t.Fatalf("status %s (%s), want updated after waiting", r.Status, r.Reason)
	}
	first := slices.Index(f.calls, "UpdateStack")
	if n := strings.Count(strings.Join(f.calls[:first], " "), "DescribeStacks"); n < 4 {
		t.Errorf("updated after %d status reads; it should wait through 3 in-progress ones: %v", n, f.calls)
	}
}

// TestStillWaiting: a wait reports at a steady interval how long it has
// lasted and the last event it saw.
func TestStillWaiting(t *testing.T) {
	f := newFake()
	s := f.add("app", types.StackStatusUpdateComplete)
	f.event(s, "Svc", "AWS::ECS::Service", types.ResourceStatusUpdateInProgress, "")
	for range 20 {
		s.pending = append(s.pending, types.StackStatusUpdateInProgress)
	}
	var stderr bytes.Buffer
	sum := runFake(t, f, oneStack(false), fakeOptions(func(o *Options) {
		o.Stderr = &stderr
		o.StillWaiting = time.Nanosecond
	}))
	if r := sum.Stacks[0]; r.Status != StatusUpdated {
		t.Fatalf("status %s (%s)", r.Status, r.Reason)
	}
	if !strings.Contains(stderr.String(), "a/us-east-1/app   still waiting (") {
		t.Errorf("no still-waiting line:\n%s", stderr.String())
	}
}

func TestThrottledPollingDoesNotFail(t *testing.T) {
	f := newFake()
	f.throttle = 7
	sum := runFake(t, f, oneStack(false), fakeOptions(nil))
	for _, r := range sum.Stacks {
		if r.Status != StatusCreated {
			t.Errorf("%s: %s (%s), want created despite throttling", r.ID, r.Status, r.Reason)
		}
	}
	if f.throttle != 0 {
		t.Errorf("throttling not exercised")
	}
}

func TestFailedCreateReportsRootCause(t *testing.T) {
	f := newFake()
	f.createStatus = types.StackStatusRollbackComplete
	f.createEvents = []types.StackEvent{
		{LogicalResourceId: aws.String("Role"), ResourceType: aws.String("AWS::IAM::Role"), ResourceStatus: types.ResourceStatusCreateFailed, ResourceStatusReason: aws.String("Resource creation cancelled")},
		{LogicalResourceId: aws.String("Key"), ResourceType: aws.String("AWS::KMS::Key"), ResourceStatus: types.ResourceStatusCreateFailed, ResourceStatusReason: aws.String("policy is invalid")},
	}
	var stdout bytes.Buffer
	sum := runFake(t, f, oneStack(false), fakeOptions(func(o *Options) { o.Output, o.Stdout = OutputJSON, &stdout }))
	r := sum.Stacks[0]
	if r.Status != StatusFailed || !strings.Contains(r.Reason, "ROLLBACK_COMPLETE") {
		t.Fatalf("status %s reason %q", r.Status, r.Reason)
	}
	if len(r.Events) != 1 || r.Events[0].Reason != "policy is invalid" {
		t.Errorf("root causes %+v, want only the Key failure", r.Events)
	}
	if !strings.Contains(stdout.String(), `"type":"stack.failure"`) || !strings.Contains(stdout.String(), `"type":"summary"`) {
		t.Errorf("NDJSON lacks the failure or the summary:\n%s", stdout.String())
	}
}

func TestUnchangedStacksAreSkipped(t *testing.T) {
	f := newFake()
	p := oneStack(true)
	first := runFake(t, f, p, fakeOptions(nil))
	if !first.OK {
		t.Fatalf("first run: %+v", first.Stacks)
	}
	f.calls = nil
	second := runFake(t, f, p, fakeOptions(nil))
	for _, r := range second.Stacks {
		if r.Status != StatusNoChanges || r.Outputs["Name"] == "" {
			t.Errorf("%s: %s outputs %v, want no-changes with outputs", r.ID, r.Status, r.Outputs)
		}
	}
	for _, c := range f.calls {
		if c != "DescribeStacks" && c != "GetTemplate" {
			t.Errorf("unchanged run called %s", c)
		}
	}
	if !aws.ToBool(f.stacks["app"].st.EnableTerminationProtection) {
		t.Error("Retain stack without termination protection")
	}
}

func TestMissingOutputFailsStack(t *testing.T) {
	f := newFake()
	p := oneStack(false)
	p.Stacks[1].Parameters["N"] = plan.FromOutput("a/us-east-1/app", "Missing")
	sum := runFake(t, f, p, fakeOptions(nil))
	if r := sum.Stacks[1]; r.Status != StatusFailed || !strings.Contains(r.Reason, "Missing") || !strings.Contains(r.Reason, "it has: Name") {
		t.Errorf("missing output: %s %q", r.Status, r.Reason)
	}
}

// TestChangeSetGuard: a change set is refused when it modifies a frozen
// resource (the CODE_DEPLOY service), tags included (a tag change is an
// update of the service too), replaces a named or retained resource, or
// removes one that holds data. moto reports no Scope and no Replacement
// for most types, so this is a unit test of the rule; the e2e tests cover
// the frozen service against moto.
func TestChangeSetGuard(t *testing.T) {
	s := plan.Stack{
		Frozen:   []plan.Frozen{{LogicalID: "Service", Type: "AWS::ECS::Service", Reason: "an ECS service under the CODE_DEPLOY controller"}},
		Named:    []plan.Named{{LogicalID: "Blue", Type: "AWS::ElasticLoadBalancingV2::TargetGroup", Name: "a-blue"}},
		Retained: []plan.Retained{{LogicalID: "Key", Type: "AWS::KMS::Key"}},
	}
	tests := map[string]struct {
		change Change
		want   string // "" = allowed
	}{
		"properties":          {Change{Action: "Modify", LogicalID: "Service", Scope: []string{"Properties"}}, "it modifies Service, an ECS service"},
		"unknown scope":       {Change{Action: "Modify", LogicalID: "Service"}, "it modifies Service"},
		"tags only":           {Change{Action: "Modify", LogicalID: "Service", Scope: []string{"Tags"}}, "it modifies Service"},
		"another resource":    {Change{Action: "Modify", LogicalID: "Other", Scope: []string{"Properties"}}, ""},
		"removal of service":  {Change{Action: "Remove", LogicalID: "Service", ResourceType: "AWS::ECS::Service"}, ""},
		"named modified":      {Change{Action: "Modify", LogicalID: "Blue", Replacement: "False"}, ""},
		"named replaced":      {Change{Action: "Modify", LogicalID: "Blue", ResourceType: "AWS::ElasticLoadBalancingV2::TargetGroup", Replacement: "True"}, "it replaces Blue (AWS::ElasticLoadBalancingV2::TargetGroup), whose name a-blue the template fixes"},
		"named conditional":   {Change{Action: "Modify", LogicalID: "Blue", Replacement: "Conditional"}, "it replaces Blue"},
		"unnamed replaced":    {Change{Action: "Modify", LogicalID: "Subnet", Replacement: "True"}, ""},
		"retained replaced":   {Change{Action: "Modify", LogicalID: "Key", ResourceType: "AWS::KMS::Key", Replacement: "True"}, "it replaces Key (AWS::KMS::Key), which holds data"},
		"repository deleted":  {Change{Action: "Remove", LogicalID: "Repo", ResourceType: "AWS::ECR::Repository", PolicyAction: "Delete"}, "it deletes Repo (AWS::ECR::Repository) and what it holds"},
		"repository retained": {Change{Action: "Remove", LogicalID: "Repo", ResourceType: "AWS::ECR::Repository", PolicyAction: "Retain"}, ""},
		"removal unknown":     {Change{Action: "Remove", LogicalID: "Repo", ResourceType: "AWS::ECR::Repository"}, ""},
		"log group removed":   {Change{Action: "Remove", LogicalID: "Logs", ResourceType: "AWS::Logs::LogGroup"}, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := refuseFrozenChanges(s, []Change{tc.change})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want it to say %q", err, tc.want)
			}
		})
	}
}
