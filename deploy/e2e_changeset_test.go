package deploy_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/bgc-dev/bgc/deploy"
	"github.com/bgc-dev/bgc/deploy/internal/ec2query"
	"github.com/bgc-dev/bgc/plan"
)

// TestChangeSetPlan drives the change-set method through a dry run on empty
// accounts, a create, an untouched redeploy, a dry run of a removal, a
// removal refused without approval, and the same removal approved on a
// (pretend) terminal.
func TestChangeSetPlan(t *testing.T) {
	startMoto(t)
	ctx := context.Background()
	p := plainPlan(true, false)

	// Dry run on empty accounts: change sets for all, nothing left behind.
	opts := testOptions(t, deploy.MethodChangeSet)
	opts.DryRun = true
	sum, err := runDeploy(t, p, opts)
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	wantAll(t, sum, deploy.StatusPlanned)
	if got := len(result(t, sum, "beta/eu-central-1/data").Changes); got != 2 {
		t.Errorf("dry run of data: %d changes, want 2 Add", got)
	}
	for _, s := range p.Stacks {
		if st := describe(t, s); st != nil {
			t.Errorf("dry run left stack %s in %s", s.ID, st.StackStatus)
		}
	}

	// Create through change sets.
	sum, err = runDeploy(t, p, testOptions(t, deploy.MethodChangeSet))
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	wantAll(t, sum, deploy.StatusCreated)
	for _, s := range p.Stacks {
		if st := describe(t, s); st == nil || st.StackStatus != "CREATE_COMPLETE" {
			t.Fatalf("%s not created", s.ID)
		}
	}
	for _, b := range []string{"bgc-cs-data-a-" + betaAcct, "bgc-cs-data-b-" + betaAcct, "bgc-cs-logs-" + toolsAcct} {
		if !bucketExists(t, betaAcct, "eu-central-1", b) {
			t.Errorf("bucket %s missing", b)
		}
	}
	for _, c := range []struct{ account, region, cidr string }{{alphaAcct, "ap-south-1", "10.20.0.0/16"}, {gammaAcct, "us-east-1", "10.30.0.0/16"}} {
		vpcs, err := ec2query.New(accountConfig(t, c.account, c.region)).DescribeVpcs(ctx, nil)
		found := false
		for _, v := range vpcs {
			found = found || v.CidrBlock == c.cidr
		}
		if err != nil || !found {
			t.Errorf("VPC %s missing in %s/%s (%v)", c.cidr, c.account, c.region, err)
		}
	}

	// Nothing changed: no change set, no event, "no changes" per stack.
	before := eventCounts(t, p)
	sum, err = runDeploy(t, p, testOptions(t, deploy.MethodChangeSet))
	if err != nil {
		t.Fatalf("redeploy: %v", err)
	}
	wantAll(t, sum, deploy.StatusNoChanges)
	if after := eventCounts(t, p); !equalCounts(before, after) {
		t.Errorf("redeploy touched stacks: events %v -> %v", before, after)
	}

	// Removing bucket B is a dangerous change.
	p2 := plainPlan(false, true)
	opts = testOptions(t, deploy.MethodChangeSet)
	opts.DryRun = true
	sum, err = runDeploy(t, p2, opts)
	if err != nil {
		t.Fatalf("dry run of removal: %v", err)
	}
	data := result(t, sum, "beta/eu-central-1/data")
	if data.Status != deploy.StatusPlanned || len(data.Changes) != 1 || data.Changes[0].Action != "Remove" || !data.Changes[0].Risky() {
		t.Errorf("dry run of removal: %+v", data)
	}
	if st := describe(t, p2.Stacks[4]); st != nil {
		t.Errorf("dry run left the new stack %s behind in %s", p2.Stacks[4].ID, st.StackStatus)
	}
	assertNoChangeSets(t, p2)

	// Without --yes and without a terminal the removal is refused and the
	// stacks after it do not start.
	sum, err = runDeploy(t, p2, testOptions(t, deploy.MethodChangeSet))
	if err == nil {
		t.Fatal("removal without approval succeeded")
	}
	if r := result(t, sum, "beta/eu-central-1/data"); r.Status != deploy.StatusFailed || !strings.Contains(r.Reason, "--yes") {
		t.Errorf("unapproved removal: %s %q, want failed naming --yes", r.Status, r.Reason)
	}
	for _, id := range []string{"gamma/us-east-1/vpc", "alpha/eu-central-1/extra"} {
		if r := result(t, sum, id); r.Status != deploy.StatusSkipped {
			t.Errorf("%s: %s, want skipped", id, r.Status)
		}
	}
	if !bucketExists(t, betaAcct, "eu-central-1", "bgc-cs-data-b-"+betaAcct) {
		t.Error("bucket B was deleted without approval")
	}
	assertNoChangeSets(t, p2)

	// Approved on a terminal: "y".
	opts = testOptions(t, deploy.MethodChangeSet)
	var screen bytes.Buffer
	opts.Stderr, opts.IsTTY, opts.Stdin = &screen, true, strings.NewReader("y\n")
	sum, err = runDeploy(t, p2, opts)
	if err != nil {
		t.Fatalf("approved removal: %v\n%s", err, screen.String())
	}
	want := map[string]deploy.Status{
		"tools/us-east-1/logs": deploy.StatusNoChanges, "alpha/ap-south-1/vpc": deploy.StatusNoChanges,
		"beta/eu-central-1/data": deploy.StatusUpdated, "gamma/us-east-1/vpc": deploy.StatusNoChanges,
		"alpha/eu-central-1/extra": deploy.StatusCreated,
	}
	for id, st := range statuses(sum) {
		if st != want[id] {
			t.Errorf("approved run: %s is %s, want %s", id, st, want[id])
		}
	}
	if bucketExists(t, betaAcct, "eu-central-1", "bgc-cs-data-b-"+betaAcct) {
		t.Error("bucket B still exists after the approved removal")
	}
	if s := screen.String(); !strings.Contains(s, "[y/N]") || !strings.Contains(s, "\x1b[") || !strings.Contains(s, "- AWS::S3::Bucket B (DELETE)") {
		t.Errorf("terminal output lacks the prompt, the live table or the change:\n%s", s)
	}
}

// assertNoChangeSets checks that no stack of p keeps a change set.
func assertNoChangeSets(t *testing.T, p *plan.Plan) {
	t.Helper()
	for _, s := range p.Stacks {
		if describe(t, s) == nil {
			continue
		}
		cfn := cloudformation.NewFromConfig(accountConfig(t, s.Account, s.Region))
		out, err := cfn.ListChangeSets(context.Background(), &cloudformation.ListChangeSetsInput{StackName: aws.String(s.StackName)})
		if err != nil {
			t.Fatalf("list change sets of %s: %v", s.ID, err)
		}
		for _, cs := range out.Summaries {
			if cs.ExecutionStatus == "EXECUTE_COMPLETE" {
				continue // the change set a deploy ran
			}
			t.Errorf("%s keeps change set %s (%s)", s.ID, aws.ToString(cs.ChangeSetName), cs.Status)
		}
	}
}
