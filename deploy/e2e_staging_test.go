package deploy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bgc-dev/bgc/deploy"
	"github.com/bgc-dev/bgc/plan"
)

// bigPlan is a bucket stack and a stack whose template is larger than
// CloudFormation takes inline; it names the bucket as its template bucket.
func bigPlan(topics int) *plan.Plan {
	const bucketName = "bgc-e2e-templates-111111111111-us-east-1"
	store := stackOf("tools", toolsAcct, "us-east-1", "artifacts", tmpl(nil, map[string]any{"Bucket": bucket(bucketName, nil)}, nil))
	resources := map[string]any{}
	for i := range topics {
		resources[fmt.Sprintf("Topic%03d", i)] = map[string]any{
			"Type":       "AWS::SNS::Topic",
			"Properties": map[string]any{"TopicName": fmt.Sprintf("bgc-e2e-%03d", i), "DisplayName": strings.Repeat("x", 90)},
		}
	}
	big := stackOf("tools", toolsAcct, "us-east-1", "pipeline", tmpl(nil, resources, map[string]any{"First": out(ref("Topic000"))}))
	big.DependsOn = []string{store.ID}
	big.TemplateBucket = bucketName
	return &plan.Plan{App: "e2e", Stacks: []plan.Stack{store, big}}
}

// TestLargeTemplateIsStaged: a template over 51,200 bytes is uploaded to the
// stack's template bucket and deployed by TemplateURL, with both methods;
// a re-run changes nothing.
func TestLargeTemplateIsStaged(t *testing.T) {
	for _, method := range []deploy.Method{deploy.MethodDirect, deploy.MethodChangeSet} {
		t.Run(string(method), func(t *testing.T) {
			startMoto(t)
			p := bigPlan(300)
			if n := len(p.Stacks[1].Body); n <= deploy.MaxTemplateBody {
				t.Fatalf("test template is only %d bytes", n)
			}
			opts := testOptions(t, method)
			opts.Yes = true
			sum, err := runDeploy(t, p, opts)
			if err != nil {
				t.Fatalf("deploy: %v", err)
			}
			wantAll(t, sum, deploy.StatusCreated)
			if got := result(t, sum, p.Stacks[1].ID).Outputs["First"]; !strings.Contains(got, "bgc-e2e-000") {
				t.Errorf("output First = %q; the staged template was not the one deployed", got)
			}
			objs, err := s3Client(t, toolsAcct, "us-east-1").ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{
				Bucket: aws.String(p.Stacks[1].TemplateBucket), Prefix: aws.String("bgc/templates/bgc-e2e-pipeline/"),
			})
			if err != nil || len(objs.Contents) != 1 {
				t.Fatalf("staged objects: %v, %v", objs, err)
			}
			sum, err = runDeploy(t, p, opts)
			if err != nil {
				t.Fatalf("redeploy: %v", err)
			}
			wantAll(t, sum, deploy.StatusNoChanges)
		})
	}
}

// TestLargeTemplateWithoutBucketIsRefused: without a template bucket the
// deploy stops before changing anything and names the stack and its size.
func TestLargeTemplateWithoutBucketIsRefused(t *testing.T) {
	startMoto(t)
	p := bigPlan(300)
	p.Stacks[1].TemplateBucket = ""
	sum, err := deploy.Deploy(context.Background(), p, testOptions(t, deploy.MethodDirect))
	if sum != nil || err == nil || !strings.Contains(err.Error(), "tools/us-east-1/pipeline") || !strings.Contains(err.Error(), "templateBucket") {
		t.Fatalf("err = %v, want a refusal naming the stack and templateBucket", err)
	}
	if bucketExists(t, toolsAcct, "us-east-1", "bgc-e2e-templates-111111111111-us-east-1") {
		t.Error("a refused plan created resources")
	}
}
