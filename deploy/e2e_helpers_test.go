package deploy_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/bgc-dev/bgc/deploy"
	"github.com/bgc-dev/bgc/plan"
	"github.com/bgc-dev/bgc/plan/planfile"
)

// testOptions are fast, non-interactive options; the SDK configuration is
// loaded the way the CLI loads it, from the environment startMoto set.
func testOptions(t *testing.T, method deploy.Method) deploy.Options {
	t.Helper()
	return deploy.Options{
		Method: method,
		Common: deploy.Common{
			Stdout: &bytes.Buffer{}, Stderr: testWriter{t},
			RunID:        "t" + strings.ReplaceAll(time.Now().UTC().Format("150405.000000"), ".", ""),
			PollInterval: 20 * time.Millisecond, MaxPollInterval: 200 * time.Millisecond,
			MaxRetryBackoff: 300 * time.Millisecond,
		},
	}
}

// deployCommitted loads a committed build (the example's or a golden
// case's), deploys all of it to a fresh moto with the direct method and
// expects every stack created. It returns the plan and the options used.
func deployCommitted(t *testing.T, dir string) (*plan.Plan, deploy.Options) {
	t.Helper()
	p, err := planfile.Load(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	startMoto(t)
	opts := testOptions(t, deploy.MethodDirect)
	opts.Yes = true
	sum, err := runDeploy(t, p, opts)
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	wantAll(t, sum, deploy.StatusCreated)
	return p, opts
}

// testWriter sends human progress to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// runDeploy deploys and returns the summary, failing the test on setup
// errors (a run error with a summary is returned to the caller).
func runDeploy(t *testing.T, p *plan.Plan, opts deploy.Options) (*deploy.Summary, error) {
	t.Helper()
	sum, err := deploy.Deploy(context.Background(), p, opts)
	if sum == nil {
		t.Fatalf("deploy: %v", err)
	}
	return sum, err
}

// statuses maps stack ids to their status.
func statuses(sum *deploy.Summary) map[string]deploy.Status {
	m := map[string]deploy.Status{}
	for _, r := range sum.Stacks {
		m[r.ID] = r.Status
	}
	return m
}

// wantAll asserts that every stack of the summary has status want.
func wantAll(t *testing.T, sum *deploy.Summary, want deploy.Status) {
	t.Helper()
	for _, r := range sum.Stacks {
		if r.Status != want {
			t.Errorf("%s: status %s (%s), want %s", r.ID, r.Status, r.Reason, want)
		}
	}
}

func result(t *testing.T, sum *deploy.Summary, id string) deploy.StackResult {
	t.Helper()
	for _, r := range sum.Stacks {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no result for %s", id)
	return deploy.StackResult{}
}

// describe reads a stack in its own account and region; nil when absent.
func describe(t *testing.T, s plan.Stack) *types.Stack {
	t.Helper()
	cfn := cloudformation.NewFromConfig(accountConfig(t, s.Account, s.Region))
	out, err := cfn.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(s.StackName)})
	var ae smithy.APIError
	if errors.As(err, &ae) && strings.Contains(ae.ErrorMessage(), "does not exist") {
		return nil
	}
	if err != nil {
		t.Fatalf("describe %s: %v", s.ID, err)
	}
	return &out.Stacks[0]
}

// eventCount counts a stack's events; unchanged counts mean untouched.
func eventCount(t *testing.T, s plan.Stack) int {
	t.Helper()
	cfn := cloudformation.NewFromConfig(accountConfig(t, s.Account, s.Region))
	n := 0
	p := cloudformation.NewDescribeStackEventsPaginator(cfn, &cloudformation.DescribeStackEventsInput{StackName: aws.String(s.StackName)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("events of %s: %v", s.ID, err)
		}
		n += len(page.StackEvents)
	}
	return n
}

// eventCounts snapshots eventCount for every stack.
func eventCounts(t *testing.T, p *plan.Plan) map[string]int {
	m := map[string]int{}
	for _, s := range p.Stacks {
		m[s.ID] = eventCount(t, s)
	}
	return m
}

// s3Client is an S3 client in one account; path-style because the endpoint
// is overridden.
func s3Client(t *testing.T, account, region string) *s3.Client {
	return s3.NewFromConfig(accountConfig(t, account, region), func(o *s3.Options) { o.UsePathStyle = true })
}

// bucketTags returns a bucket's tags.
func bucketTags(t *testing.T, account, region, bucket string) map[string]string {
	t.Helper()
	out, err := s3Client(t, account, region).GetBucketTagging(context.Background(), &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("tags of bucket %s: %v", bucket, err)
	}
	m := map[string]string{}
	for _, tg := range out.TagSet {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

// bucketExists says whether a bucket exists (S3 names are global).
func bucketExists(t *testing.T, account, region, bucket string) bool {
	t.Helper()
	_, err := s3Client(t, account, region).HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	return err == nil
}
