package deploy_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bgc-dev/bgc/deploy"
	"github.com/bgc-dev/bgc/deploy/internal/ec2query"
	"github.com/bgc-dev/bgc/plan"
)

// exampleOut is the compiler's committed output for the blue/green example.
var exampleOut = filepath.Join("..", "examples", "global-bluegreen", "deploy")

// TestExampleGlobalBlueGreen deploys the whole example plan with the direct
// method, checks in each account and region that its buckets, KMS aliases,
// VPCs, load balancers, ECS clusters and IAM roles exist, then redeploys and
// expects no changes.
func TestExampleGlobalBlueGreen(t *testing.T) {
	p, opts := deployCommitted(t, exampleOut)

	seen := map[string]int{}
	for _, s := range p.Stacks {
		verifyResources(t, s, seen)
	}
	// Every workload account has the service-linked roles its stacks need.
	for _, a := range p.Accounts {
		client := iam.NewFromConfig(accountConfig(t, a.ID, "us-east-1"))
		for _, svc := range a.ServiceLinkedRoles {
			out, err := client.ListRoles(context.Background(), &iam.ListRolesInput{PathPrefix: aws.String("/aws-service-role/" + svc + "/")})
			if err != nil || len(out.Roles) != 1 {
				t.Errorf("account %s: service-linked role of %s: %v %v", a.ID, svc, out, err)
			}
		}
	}
	if len(p.Accounts) != 3 {
		t.Errorf("%d accounts to prepare, want the 3 workload accounts", len(p.Accounts))
	}
	t.Logf("verified resources by type: %v", seen)

	sum, err := runDeploy(t, p, opts)
	if err != nil {
		t.Fatalf("redeploy: %v", err)
	}
	wantAll(t, sum, deploy.StatusNoChanges)
}

// verifyResources checks each resource of the checked types in a stack
// through its own service, in the stack's account and region.
func verifyResources(t *testing.T, s plan.Stack, seen map[string]int) {
	t.Helper()
	ctx := context.Background()
	cfg := accountConfig(t, s.Account, s.Region)
	out, err := cloudformation.NewFromConfig(cfg).DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(s.StackName)})
	if err != nil {
		t.Fatalf("%s: resources: %v", s.ID, err)
	}
	for _, r := range out.StackResources {
		typ, id := aws.ToString(r.ResourceType), aws.ToString(r.PhysicalResourceId)
		if typ == "" || id == "" {
			continue // a type moto does not support, skipped silently by moto
		}
		var err error
		found := true
		switch typ {
		case "AWS::S3::Bucket":
			_, err = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(id)})
		case "AWS::KMS::Alias":
			// DescribeKey answers HTTP 500 on moto for keys whose policy is
			// an object, so aliases are checked through ListAliases.
			var a *kms.ListAliasesOutput
			a, err = kms.NewFromConfig(cfg).ListAliases(ctx, &kms.ListAliasesInput{})
			found = false
			if err == nil {
				for _, al := range a.Aliases {
					found = found || aws.ToString(al.AliasName) == id
				}
			}
		case "AWS::EC2::VPC":
			var v []ec2query.Vpc
			v, err = ec2query.New(cfg).DescribeVpcs(ctx, []string{id})
			found = err == nil && len(v) == 1
		case "AWS::ElasticLoadBalancingV2::LoadBalancer":
			var l *elbv2.DescribeLoadBalancersOutput
			l, err = elbv2.NewFromConfig(cfg).DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{id}})
			found = err == nil && len(l.LoadBalancers) == 1
		case "AWS::ECS::Cluster":
			var c *ecs.DescribeClustersOutput
			c, err = ecs.NewFromConfig(cfg).DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{id}})
			found = err == nil && len(c.Clusters) == 1 && aws.ToString(c.Clusters[0].Status) == "ACTIVE"
		case "AWS::IAM::Role":
			_, err = iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(id)})
		default:
			continue
		}
		if err != nil || !found {
			t.Errorf("%s: %s %s (%s) not found in account %s region %s: %v", s.ID, typ, aws.ToString(r.LogicalResourceId), id, s.Account, s.Region, err)
			continue
		}
		seen[typ]++
	}
}
