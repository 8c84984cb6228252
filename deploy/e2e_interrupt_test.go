package deploy_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/bgc-dev/bgc/deploy"
	"github.com/bgc-dev/bgc/internal/mototest"
	"github.com/bgc-dev/bgc/plan"
	"github.com/bgc-dev/bgc/plan/planfile"
)

// examplePlan is the committed example build.
func examplePlan(t *testing.T) *plan.Plan {
	t.Helper()
	p, err := planfile.Load(os.DirFS(exampleOut))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// proxyFor starts a fault proxy in front of moto and points the SDK at it.
func proxyFor(t *testing.T, srv *mototest.Server) *mototest.FaultProxy {
	t.Helper()
	proxy, err := mototest.NewFaultProxy(srv.URL, 0, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	useEndpoint(t, proxy.URL)
	return proxy
}

// wantComplete checks every stack of p exists, settled, and that each
// named retained resource belongs to its stack (nothing orphaned).
func wantComplete(t *testing.T, p *plan.Plan) {
	t.Helper()
	for _, s := range p.Stacks {
		st := describe(t, s)
		if st == nil || (st.StackStatus != types.StackStatusCreateComplete && st.StackStatus != types.StackStatusUpdateComplete) {
			t.Errorf("%s: %v, want a complete stack", s.ID, st)
			continue
		}
		if len(s.Retained) == 0 {
			continue
		}
		cfn := cloudformation.NewFromConfig(accountConfig(t, s.Account, s.Region))
		out, err := cfn.ListStackResources(context.Background(), &cloudformation.ListStackResourcesInput{StackName: st.StackId})
		if err != nil {
			t.Errorf("%s: %v", s.ID, err)
			continue
		}
		owned := map[string]string{}
		for _, r := range out.StackResourceSummaries {
			owned[aws.ToString(r.LogicalResourceId)] = aws.ToString(r.PhysicalResourceId)
		}
		for _, r := range s.Retained {
			if r.Type == "AWS::CodeCommit::Repository" {
				continue // moto's CloudFormation skips the type
			}
			if r.Name != "" && owned[r.LogicalID] != r.Name {
				t.Errorf("%s: %s is %q, want %q owned by the stack", s.ID, r.LogicalID, owned[r.LogicalID], r.Name)
			}
		}
	}
}

// TestInterruptedChangeSetsDeleteNothing: with ExecuteChangeSet replies
// delayed and Ctrl-C arriving while several are in flight, bgc deletes no
// stack (CloudFormation may be creating it), reports the stacks
// interrupted with the operation left running, and a re-run ends with
// every stack complete and nothing orphaned.
func TestInterruptedChangeSetsDeleteNothing(t *testing.T) {
	srv := startMoto(t)
	proxy := proxyFor(t, srv)
	p := examplePlan(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var executes atomic.Int32
	proxy.Add(mototest.Rule{Action: "ExecuteChangeSet", Delay: 3 * time.Second, OnMatch: func() {
		if executes.Add(1) == 4 {
			time.Sleep(200 * time.Millisecond) // let the fourth request reach moto
			cancel()
		}
	}})
	opts := testOptions(t, deploy.MethodChangeSet)
	opts.Yes = true
	sum, err := deploy.Deploy(ctx, p, opts)
	if sum == nil {
		t.Fatalf("deploy: %v", err)
	}
	if n := proxy.Seen("DeleteStack"); n != 0 {
		t.Errorf("an interrupted deploy called DeleteStack %d times", n)
	}
	if !sum.Interrupted {
		t.Error("summary not marked interrupted")
	}
	interrupted := 0
	for _, r := range sum.Stacks {
		if r.Status == deploy.StatusInterrupted {
			interrupted++
			if !strings.Contains(r.Reason, "while CloudFormation runs ExecuteChangeSet on stack "+r.StackName) &&
				!strings.Contains(r.Reason, "after creating change set bgc-") {
				t.Errorf("%s: reason %q does not name what the interrupt left", r.ID, r.Reason)
			}
		}
		if strings.Contains(r.Reason, "interrupt signal received") || strings.Contains(r.Reason, "context canceled") {
			t.Errorf("%s: raw SDK text in %q", r.ID, r.Reason)
		}
	}
	if interrupted == 0 {
		t.Fatalf("no stack interrupted: %+v", sum.Stacks)
	}

	proxy.Settle() // what reached CloudFormation before the interrupt completes there
	useEndpoint(t, srv.URL)
	sum, err = runDeploy(t, p, opts)
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	wantComplete(t, p)
}

// TestLostExecuteReply: ExecuteChangeSet ran but its reply was an HTTP 500,
// and the SDK's retry is refused because the change set already executed.
// bgc asks CloudFormation, sees the execution, waits for it, and deletes
// nothing.
func TestLostExecuteReply(t *testing.T) {
	srv := startMoto(t)
	proxy := proxyFor(t, srv)
	proxy.Add(mototest.Rule{Action: "ExecuteChangeSet", Times: 1, Reply: mototest.FaultServer})
	p := plainPlan(true, false)
	sum, err := runDeploy(t, p, testOptions(t, deploy.MethodChangeSet))
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	wantAll(t, sum, deploy.StatusCreated)
	if n := proxy.Seen("DeleteStack"); n != 0 {
		t.Errorf("DeleteStack called %d times", n)
	}
	warned := false
	for _, r := range sum.Stacks {
		for _, w := range r.Warnings {
			warned = warned || strings.Contains(w, "CloudFormation is executing the change set")
		}
	}
	if !warned {
		t.Error("no stack says its ExecuteChangeSet reply was lost")
	}
}

// TestFirstAttemptErrorIsNamed: a CreateStack whose first attempt created
// the stack but answered HTTP 500 is retried by the SDK into "already
// exists"; the failure names the 500 that started it.
func TestFirstAttemptErrorIsNamed(t *testing.T) {
	srv := startMoto(t)
	proxy := proxyFor(t, srv)
	proxy.Add(mototest.Rule{Action: "CreateStack", Times: 1, Reply: mototest.FaultServer})
	p := plainPlan(false, false)
	sum, _ := runDeploy(t, p, testOptions(t, deploy.MethodDirect))
	r := result(t, sum, p.Stacks[0].ID)
	if r.Status != deploy.StatusFailed || !strings.Contains(r.Reason, "already exists") || !strings.Contains(r.Reason, "the first attempt of this call failed with") || !strings.Contains(r.Reason, "500") {
		t.Errorf("%s: %s: %q", r.ID, r.Status, r.Reason)
	}
}

// TestHungRequestsTimeOut: requests that never get an answer time out and
// are retried; the deploy completes.
func TestHungRequestsTimeOut(t *testing.T) {
	srv := startMoto(t)
	proxy := proxyFor(t, srv)
	proxy.Add(mototest.Rule{Action: "DescribeStacks", Times: 3, Hang: true})
	opts := testOptions(t, deploy.MethodDirect)
	opts.RequestTimeout = 2 * time.Second // long enough for moto to answer the calls that do reach it
	p := plainPlan(false, false)
	sum, err := runDeploy(t, p, opts)
	if err != nil {
		t.Fatalf("deploy past hung requests: %v", err)
	}
	wantAll(t, sum, deploy.StatusCreated)
	if n := proxy.Seen("DescribeStacks"); n <= 3 {
		t.Errorf("DescribeStacks seen %d times: the hung ones were not retried", n)
	}
}

// TestRunTimeout: a run past its Timeout stops watching: the stack whose
// create is in flight is interrupted ("timed out"), nothing is deleted.
func TestRunTimeout(t *testing.T) {
	srv := startMoto(t)
	proxy := proxyFor(t, srv)
	proxy.Add(mototest.Rule{Action: "CreateStack", Delay: 10 * time.Second})
	opts := testOptions(t, deploy.MethodDirect)
	opts.Timeout = time.Second
	p := plainPlan(false, false)
	sum, _ := runDeploy(t, p, opts)
	r := result(t, sum, p.Stacks[0].ID)
	if r.Status != deploy.StatusInterrupted || !strings.HasPrefix(r.Reason, "timed out after 1s while CloudFormation runs CreateStack") {
		t.Errorf("%s: %s %q", r.ID, r.Status, r.Reason)
	}
	if !sum.Interrupted || proxy.Seen("DeleteStack") != 0 {
		t.Errorf("interrupted %v, DeleteStack %d", sum.Interrupted, proxy.Seen("DeleteStack"))
	}
}

// TestUnreachableEndpoint: an endpoint that refuses connections, or drops
// them, is named after two attempts instead of minutes of retries.
func TestUnreachableEndpoint(t *testing.T) {
	srv := startMoto(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	useEndpoint(t, closed)
	_, err = deploy.Deploy(context.Background(), plainPlan(false, false), testOptions(t, deploy.MethodDirect))
	if err == nil || !strings.HasPrefix(err.Error(), "cannot reach AWS STS at "+closed+": ") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("refused: %v", err)
	}

	proxy := proxyFor(t, srv)
	proxy.Add(mototest.Rule{Instead: mototest.FaultDrop})
	_, err = deploy.Deploy(context.Background(), plainPlan(false, false), testOptions(t, deploy.MethodDirect))
	if err == nil || !strings.HasPrefix(err.Error(), "cannot reach AWS STS at "+proxy.URL) {
		t.Errorf("dropped: %v", err)
	}
	if n := proxy.Seen("GetCallerIdentity"); n != 2 {
		t.Errorf("GetCallerIdentity tried %d times, want 2", n)
	}
}

var _ = errors.New
var _ sync.Mutex
