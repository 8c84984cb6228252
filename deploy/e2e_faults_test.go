package deploy_test

import (
	"strings"
	"testing"

	"github.com/bgc-dev/bgc/deploy"
	"github.com/bgc-dev/bgc/internal/mototest"
	"github.com/bgc-dev/bgc/plan"
)

// TestFaultyNetwork deploys the wired plan through a proxy that throttles
// (query-protocol Throttling errors, 429, 503) and drops connections on a
// share of the requests; the result must be the same as without faults.
func TestFaultyNetwork(t *testing.T) {
	srv := startMoto(t)
	proxy, err := mototest.NewFaultProxy(srv.URL, 0.2, 42, 150)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	useEndpoint(t, proxy.URL)

	p := wiredPlan("1")
	sum, err := runDeploy(t, p, testOptions(t, deploy.MethodDirect))
	if err != nil {
		t.Fatalf("deploy through faults %v: %v", proxy.Counts(), err)
	}
	wantAll(t, sum, deploy.StatusCreated)
	verifyWired(t, p, sum, "1")

	sum, err = runDeploy(t, p, testOptions(t, deploy.MethodDirect))
	if err != nil {
		t.Fatalf("redeploy through faults %v: %v", proxy.Counts(), err)
	}
	wantAll(t, sum, deploy.StatusNoChanges)

	counts := proxy.Counts()
	t.Logf("faults injected: %v", counts)
	if counts[mototest.FaultThrottle] == 0 || counts[mototest.FaultDrop] == 0 {
		t.Errorf("the proxy injected too few faults to mean anything: %v", counts)
	}
}

// TestFailureStopsDependents deploys a plan where one stack's template is
// rejected by the service (moto fails CreateStack synchronously): its
// dependents are skipped, the reason is reported, and with ContinueOnError
// an independent branch still deploys.
func TestFailureStopsDependents(t *testing.T) {
	for name, c := range map[string]struct {
		continueOnError bool
		independent     deploy.Status
	}{
		"stop":     {false, deploy.StatusSkipped},
		"continue": {true, deploy.StatusCreated},
	} {
		t.Run(name, func(t *testing.T) {
			startMoto(t)
			root := stackOf("tools", toolsAcct, "us-east-1", "root", tmpl(nil,
				map[string]any{"Bucket": bucket("bgc-fail-root-"+toolsAcct, nil)}, nil))
			bad := stackOf("alpha", alphaAcct, "ap-south-1", "bad", tmpl(nil,
				map[string]any{"Topic": map[string]any{"Type": "AWS::SNS::Topic", "Properties": map[string]any{"TopicName": "not a valid topic name!"}}}, nil))
			bad.DependsOn = []string{root.ID}
			after := stackOf("alpha", alphaAcct, "ap-south-1", "after", tmpl(nil,
				map[string]any{"Bucket": bucket("bgc-fail-after-"+alphaAcct, nil)}, nil))
			after.DependsOn = []string{bad.ID}
			other := stackOf("beta", betaAcct, "eu-central-1", "other", tmpl(nil,
				map[string]any{"Bucket": bucket("bgc-fail-other-"+betaAcct, nil)}, nil))
			other.DependsOn = []string{root.ID}
			p := &plan.Plan{App: "e2e", Stacks: []plan.Stack{root, bad, after, other}}

			opts := testOptions(t, deploy.MethodDirect)
			opts.ContinueOnError = c.continueOnError
			opts.Concurrency = 1 // "other" is ready only after "bad" has failed
			sum, err := runDeploy(t, p, opts)
			if err == nil {
				t.Fatal("deploy with a failing stack succeeded")
			}
			got := statuses(sum)
			want := map[string]deploy.Status{root.ID: deploy.StatusCreated, bad.ID: deploy.StatusFailed, after.ID: deploy.StatusSkipped, other.ID: c.independent}
			for id, st := range want {
				if got[id] != st {
					t.Errorf("%s: %s (%s), want %s", id, got[id], result(t, sum, id).Reason, st)
				}
			}
			if r := result(t, sum, bad.ID); !strings.Contains(r.Reason, "create stack") {
				t.Errorf("failure reason %q does not say what failed", r.Reason)
			}
			if r := result(t, sum, after.ID); !strings.Contains(r.Reason, bad.ID) {
				t.Errorf("skip reason %q does not name the failed stack", r.Reason)
			}
			if !strings.Contains(err.Error(), "1 of 4 stacks failed") {
				t.Errorf("error %q", err)
			}
		})
	}
}
