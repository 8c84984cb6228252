package deploy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/bgc-dev/bgc/deploy"
	"github.com/bgc-dev/bgc/deploy/internal/ec2query"
	"github.com/bgc-dev/bgc/plan"
)

// TestDirectWiredPlan deploys a 4-account, 3-region plan whose parameters
// read outputs of stacks in other accounts and regions, checks every
// resource in its own account, redeploys (nothing may be touched), changes
// one stack, and destroys it all. Method direct, because moto keeps no
// outputs for stacks made through change sets.
func TestDirectWiredPlan(t *testing.T) {
	startMoto(t)
	p := wiredPlan("1")

	sum, err := runDeploy(t, p, testOptions(t, deploy.MethodDirect))
	if err != nil {
		t.Fatalf("first deploy: %v", err)
	}
	wantAll(t, sum, deploy.StatusCreated)
	verifyWired(t, p, sum, "1")
	for _, tg := range targets {
		if r := result(t, sum, tg.name+"/"+tg.region+"/net"); !strings.Contains(r.Reason, "emptied the default security group") {
			t.Errorf("%s: reason %q does not say the default security group was emptied", r.ID, r.Reason)
		}
	}

	before := eventCounts(t, p)
	sum, err = runDeploy(t, p, testOptions(t, deploy.MethodDirect))
	if err != nil {
		t.Fatalf("second deploy: %v", err)
	}
	wantAll(t, sum, deploy.StatusNoChanges)
	verifyWired(t, p, sum, "1") // outputs are still read
	if after := eventCounts(t, p); !equalCounts(before, after) {
		t.Errorf("a deploy with nothing changed touched stacks: events before %v, after %v", before, after)
	}

	p2 := wiredPlan("2")
	sum, err = runDeploy(t, p2, testOptions(t, deploy.MethodDirect))
	if err != nil {
		t.Fatalf("third deploy: %v", err)
	}
	for id, st := range statuses(sum) {
		want := deploy.StatusNoChanges
		if id == "tools/eu-central-1/registry" {
			want = deploy.StatusUpdated
		}
		if st != want {
			t.Errorf("after changing the registry only: %s is %s, want %s", id, st, want)
		}
	}
	verifyWired(t, p2, sum, "2")

	// Destroy keeps the Retain stack, then deletes it too when asked.
	dopts := deploy.DestroyOptions{Common: testOptions(t, "").Common}
	dopts.Yes = true
	dsum, err := deploy.Destroy(context.Background(), p2, dopts)
	if err != nil {
		t.Fatalf("destroy: %v", err)
	}
	for _, r := range dsum.Stacks {
		want := deploy.StatusDeleted
		if r.ID == "tools/us-east-1/artifacts" {
			want = deploy.StatusRetained
		}
		if r.Status != want {
			t.Errorf("destroy: %s is %s (%s), want %s", r.ID, r.Status, r.Reason, want)
		}
	}
	for _, s := range p2.Stacks {
		if got := describe(t, s); (got != nil) != s.Retain {
			t.Errorf("after destroy, %s exists=%v", s.ID, got != nil)
		}
	}
	if first := dsum.Stacks[0].ID; first != "tools/eu-central-1/registry" {
		t.Errorf("destroy order starts with %s, want the last stack of the plan", first)
	}
	dopts.IncludeRetained = true
	dsum, err = deploy.Destroy(context.Background(), p2, dopts)
	if err != nil {
		t.Fatalf("destroy --include-retained: %v", err)
	}
	for _, r := range dsum.Stacks {
		want := deploy.StatusAbsent
		if r.ID == "tools/us-east-1/artifacts" {
			want = deploy.StatusDeleted
		}
		if r.Status != want {
			t.Errorf("destroy --include-retained: %s is %s (%s), want %s", r.ID, r.Status, r.Reason, want)
		}
	}
}

// verifyWired checks, in each account and region, that the stacks and
// their resources exist and that every bound parameter got its value.
func verifyWired(t *testing.T, p *plan.Plan, sum *deploy.Summary, version string) {
	t.Helper()
	ctx := context.Background()
	byID := map[string]plan.Stack{}
	for _, s := range p.Stacks {
		byID[s.ID] = s
		st := describe(t, s)
		if st == nil {
			t.Fatalf("%s: stack missing in account %s region %s", s.ID, s.Account, s.Region)
		}
		if !hasSuffix(string(st.StackStatus), "_COMPLETE") {
			t.Errorf("%s: status %s", s.ID, st.StackStatus)
		}
		if s.Retain && !aws.ToBool(st.EnableTerminationProtection) {
			t.Errorf("%s: Retain stack without termination protection", s.ID)
		}
	}
	artifacts := result(t, sum, "tools/us-east-1/artifacts")
	bucketName := artifacts.Outputs["BucketName"]
	if bucketName != "bgc-e2e-artifacts-"+toolsAcct || !bucketExists(t, toolsAcct, "us-east-1", bucketName) {
		t.Fatalf("artifact bucket output %q does not name an existing bucket", bucketName)
	}
	groups := map[string]string{}
	for _, tg := range targets {
		net := result(t, sum, tg.name+"/"+tg.region+"/net")
		app := result(t, sum, tg.name+"/"+tg.region+"/app")
		ec := ec2query.New(accountConfig(t, tg.account, tg.region))
		vpcs, err := ec.DescribeVpcs(ctx, []string{net.Outputs["VpcId"]})
		if err != nil || len(vpcs) != 1 {
			t.Fatalf("%s: VPC %q not found in %s/%s: %v", net.ID, net.Outputs["VpcId"], tg.account, tg.region, err)
		}
		tagged := ""
		for _, tag := range vpcs[0].Tags {
			if tag.Key == "artifact-bucket" {
				tagged = tag.Value
			}
		}
		if tagged != bucketName {
			t.Errorf("%s: VPC tag artifact-bucket=%q, want the tools account's bucket %q (cross-account, cross-region binding)", net.ID, tagged, bucketName)
		}
		sgs, err := ec.DescribeSecurityGroups(ctx, []string{app.Outputs["GroupId"]})
		if err != nil || len(sgs) != 1 {
			t.Fatalf("%s: security group %q not found: %v", app.ID, app.Outputs["GroupId"], err)
		}
		if got := sgs[0].VpcID; got != net.Outputs["VpcId"] {
			t.Errorf("%s: security group in VPC %s, want %s", app.ID, got, net.Outputs["VpcId"])
		}
		// The deployer emptied the VPC's default security group (EC2 gives
		// it rules; moto too), and a re-run finds nothing to do.
		def, err := ec.DescribeSecurityGroups(ctx, nil, ec2query.Filter{Name: "vpc-id", Values: []string{net.Outputs["VpcId"]}}, ec2query.Filter{Name: "group-name", Values: []string{"default"}})
		if err != nil || len(def) != 1 {
			t.Fatalf("%s: default security group of %s not found: %v", net.ID, net.Outputs["VpcId"], err)
		}
		if g := def[0]; len(g.Ingress)+len(g.Egress) > 0 {
			t.Errorf("%s: default security group %s still has rules: %d inbound, %d outbound", net.ID, g.GroupID, len(g.Ingress), len(g.Egress))
		}
		// The other accounts must not see this VPC: isolation is real.
		other := ec2query.New(accountConfig(t, toolsAcct, tg.region))
		if o, err := other.DescribeVpcs(ctx, nil, ec2query.Filter{Name: "vpc-id", Values: []string{net.Outputs["VpcId"]}}); err == nil && len(o) > 0 {
			t.Errorf("%s: VPC visible from the tools account", net.ID)
		}
		groups[tg.name] = app.Outputs["GroupId"]
	}
	tags := bucketTags(t, toolsAcct, "eu-central-1", "bgc-e2e-registry-"+toolsAcct)
	for name, g := range groups {
		if tags[name] != g {
			t.Errorf("registry bucket tag %s=%q, want %q", name, tags[name], g)
		}
	}
	if tags["version"] != version {
		t.Errorf("registry bucket tag version=%q, want %q", tags["version"], version)
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}
