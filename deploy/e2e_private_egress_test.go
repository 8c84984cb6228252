package deploy_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/bgc-dev/bgc/deploy"
	"github.com/bgc-dev/bgc/deploy/internal/ec2query"
)

// TestPrivateEgress deploys the committed golden output of tasks limited to
// their VPC's endpoints and checks, in each target, that the VPC endpoints
// exist and that the service stack received the id of the region's S3
// prefix list, which the deployer looks up because CloudFormation cannot.
// moto does not run tasks, so whether they start without the internet is
// beyond it (docs/security.md, network.egress, says what that relies on).
func TestPrivateEgress(t *testing.T) {
	p, opts := deployCommitted(t, filepath.Join("..", "golden", "private-egress"))

	checked := 0
	for _, s := range p.Stacks {
		name := s.Parameters["S3PrefixList"].PrefixList
		if name == nil {
			continue
		}
		checked++
		ec2 := ec2query.New(accountConfig(t, s.Account, s.Region))
		lists, err := ec2.DescribeManagedPrefixLists(context.Background(), ec2query.Filter{Name: "prefix-list-name", Values: []string{*name}})
		if err != nil || len(lists) != 1 {
			t.Fatalf("%s: prefix list %s: %v %v", s.ID, *name, lists, err)
		}
		got := ""
		for _, prm := range describe(t, s).Parameters {
			if aws.ToString(prm.ParameterKey) == "S3PrefixList" {
				got = aws.ToString(prm.ParameterValue)
			}
		}
		if got != lists[0].PrefixListID {
			t.Errorf("%s: S3PrefixList = %q, want %s (%s)", s.ID, got, lists[0].PrefixListID, *name)
		}
	}
	// The prod network stacks made the five endpoints; sandbox's none.
	networks := 0
	for _, s := range p.Stacks {
		if filepath.Base(s.Template) != "vault-api-network.template.yaml" {
			continue
		}
		out, err := cloudformation.NewFromConfig(accountConfig(t, s.Account, s.Region)).ListStackResources(context.Background(),
			&cloudformation.ListStackResourcesInput{StackName: aws.String(s.StackName)})
		if err != nil {
			t.Fatal(err)
		}
		endpoints := 0
		for _, r := range out.StackResourceSummaries {
			if aws.ToString(r.ResourceType) == "AWS::EC2::VPCEndpoint" && aws.ToString(r.PhysicalResourceId) != "" {
				endpoints++
			}
		}
		networks++
		want := map[string]int{"prod": 5, "sandbox": 0}[s.AccountName]
		if endpoints != want {
			t.Errorf("%s: %d VPC endpoints, want %d", s.ID, endpoints, want)
		}
	}
	if networks != 3 {
		t.Errorf("checked %d network stacks, want 3", networks)
	}
	if checked != 2 {
		t.Errorf("checked %d service stacks with a prefix list, want the 2 prod targets", checked)
	}

	// The pull-request function holds its reservation, which the deployer
	// checked against the quota moto reports (bgc_moto_server.py).
	for _, s := range p.Stacks {
		for _, r := range s.Reserved {
			out, err := lambda.NewFromConfig(accountConfig(t, s.Account, s.Region)).GetFunctionConcurrency(context.Background(),
				&lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(r.Function)})
			if err != nil || aws.ToInt32(out.ReservedConcurrentExecutions) != int32(r.Executions) {
				t.Errorf("%s: function %s reserves %v (%v), want %d", s.ID, r.Function, out, err, r.Executions)
			}
		}
	}

	// A second run changes nothing: the looked-up id is the deployed one.
	sum, err := runDeploy(t, p, opts)
	if err != nil {
		t.Fatalf("redeploy: %v", err)
	}
	wantAll(t, sum, deploy.StatusNoChanges)
}
