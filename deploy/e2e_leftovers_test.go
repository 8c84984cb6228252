package deploy_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bgc-dev/bgc/deploy"
	"github.com/bgc-dev/bgc/plan"
)

// TestStaleChangeSetsAreRemoved: change sets an earlier bgc run left on a
// stack (a dry run killed with kill -9) are deleted by the next run that
// touches the stack; other change sets, and bgc's change sets on stacks
// the run does not touch, are left alone (moto's ListChangeSets returns
// every stack's change sets, so the stack is checked).
func TestStaleChangeSetsAreRemoved(t *testing.T) {
	startMoto(t)
	ctx := context.Background()
	p := plainPlan(false, false)
	if _, err := runDeploy(t, p, testOptions(t, deploy.MethodDirect)); err != nil {
		t.Fatal(err)
	}
	target := p.Stacks[1] // alpha/ap-south-1/vpc
	cfn := cloudformation.NewFromConfig(accountConfig(t, target.Account, target.Region))
	other := plan.Stack{StackName: "not-in-the-plan"}
	if _, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(other.StackName), TemplateBody: aws.String(string(target.Body))}); err != nil {
		t.Fatal(err)
	}
	for _, cs := range []struct{ stack, name string }{
		{target.StackName, "bgc-killed-dry-run"}, {target.StackName, "someone-elses"}, {other.StackName, "bgc-other-stack"},
	} {
		if _, err := cfn.CreateChangeSet(ctx, &cloudformation.CreateChangeSetInput{
			StackName: aws.String(cs.stack), ChangeSetName: aws.String(cs.name), ChangeSetType: types.ChangeSetTypeUpdate,
			TemplateBody: aws.String(string(target.Body)),
		}); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := runDeploy(t, p, testOptions(t, deploy.MethodDirect))
	if err != nil {
		t.Fatal(err)
	}
	wantAll(t, sum, deploy.StatusNoChanges)
	left := map[string]bool{}
	for _, stack := range []string{target.StackName, other.StackName} {
		out, err := cfn.ListChangeSets(ctx, &cloudformation.ListChangeSetsInput{StackName: aws.String(stack)})
		if err != nil {
			t.Fatal(err)
		}
		for _, cs := range out.Summaries {
			left[aws.ToString(cs.StackName)+"/"+aws.ToString(cs.ChangeSetName)] = true
		}
	}
	if left[target.StackName+"/bgc-killed-dry-run"] || !left[target.StackName+"/someone-elses"] || !left[other.StackName+"/bgc-other-stack"] {
		t.Errorf("change sets left: %v; want only bgc-killed-dry-run removed", left)
	}
}

// TestDestroyListsLeftovers: destroy --include-retained deletes the stacks
// and names every resource CloudFormation kept (DeletionPolicy Retain) with
// the command that removes it; --dry-run shows the same and deletes
// nothing; a deploy afterwards stops before any change, naming what blocks
// it; removing those resources lets it through.
func TestDestroyListsLeftovers(t *testing.T) {
	startMoto(t)
	ctx := context.Background()
	p := plainPlan(false, false)
	logs := p.Stacks[0] // the retained bucket stack
	logs.Retained = []plan.Retained{{LogicalID: "Bucket", Type: "AWS::S3::Bucket", Name: "bgc-cs-logs-" + toolsAcct}}
	logs.Body = []byte(strings.Replace(string(logs.Body), `"Type": "AWS::S3::Bucket"`, `"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"`, 1))
	p.Stacks[0] = logs
	if _, err := runDeploy(t, p, testOptions(t, deploy.MethodDirect)); err != nil {
		t.Fatal(err)
	}
	if st := describe(t, logs); !aws.ToBool(st.EnableTerminationProtection) {
		t.Errorf("retained stack %s is not termination-protected", logs.ID)
	}

	destroyOpts := func(dry bool) (deploy.DestroyOptions, *bytes.Buffer) {
		o := deploy.DestroyOptions{Common: testOptions(t, deploy.MethodDirect).Common, IncludeRetained: true, DryRun: dry}
		o.Yes = true
		var out bytes.Buffer
		o.Stdout = &out
		return o, &out
	}
	o, out := destroyOpts(true)
	sum, err := deploy.Destroy(ctx, p, o)
	if err != nil {
		t.Fatalf("destroy --dry-run: %v", err)
	}
	wantAll(t, sum, deploy.StatusPlanned)
	want := "S3 bucket bgc-cs-logs-" + toolsAcct + " (account " + toolsAcct + ", us-east-1): empty every object version"
	if !strings.Contains(out.String(), "would leave behind 1 resource(s)") || !strings.Contains(out.String(), want) {
		t.Errorf("dry-run summary:\n%s", out)
	}
	for _, s := range p.Stacks {
		if describe(t, s) == nil {
			t.Errorf("destroy --dry-run deleted %s", s.ID)
		}
	}

	o, out = destroyOpts(false)
	sum, err = deploy.Destroy(ctx, p, o)
	if err != nil {
		t.Fatalf("destroy: %v", err)
	}
	wantAll(t, sum, deploy.StatusDeleted)
	if r := result(t, sum, logs.ID); len(r.Left) != 1 || r.Left[0].PhysicalID != "bgc-cs-logs-"+toolsAcct ||
		r.Left[0].Remove != "empty every object version of the bucket (versioning is on), then: aws s3api delete-bucket --bucket bgc-cs-logs-"+toolsAcct+" --region us-east-1" {
		t.Errorf("left: %+v", r.Left)
	}
	if !strings.Contains(out.String(), "CloudFormation left behind 1 resource(s)") || !strings.Contains(out.String(), want) {
		t.Errorf("summary:\n%s", out)
	}
	if !bucketExists(t, toolsAcct, "us-east-1", "bgc-cs-logs-"+toolsAcct) {
		t.Fatal("moto deleted the retained bucket; the rest of the test needs it kept")
	}

	_, err = deploy.Deploy(ctx, p, testOptions(t, deploy.MethodDirect))
	if err == nil || !strings.Contains(err.Error(), "tools/us-east-1/logs (stack bgc-e2e-logs, tools ("+toolsAcct+") us-east-1): S3 bucket bgc-cs-logs-"+toolsAcct+" exists") ||
		!strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("deploy after destroy: %v", err)
	}
	for _, s := range p.Stacks {
		if describe(t, s) != nil {
			t.Errorf("the refused deploy created %s", s.ID)
		}
	}

	if _, err := s3Client(t, toolsAcct, "us-east-1").DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("bgc-cs-logs-" + toolsAcct)}); err != nil {
		t.Fatal(err)
	}
	if _, err := runDeploy(t, p, testOptions(t, deploy.MethodDirect)); err != nil {
		t.Fatalf("deploy after removing the bucket: %v", err)
	}
}
