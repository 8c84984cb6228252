package deploy_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"

	"github.com/bgc-dev/bgc/deploy"
)

// TestDryRunJSON dry-runs the wired plan on empty accounts with NDJSON
// output: the root stack gets a change set; stacks whose parameters read
// outputs that do not exist yet are reported as unknown-inputs; nothing is
// created; stdout is valid NDJSON ending with the summary.
func TestDryRunJSON(t *testing.T) {
	startMoto(t)
	p := wiredPlan("1")
	opts := testOptions(t, deploy.MethodDirect)
	opts.DryRun = true
	var stdout bytes.Buffer
	opts.Output, opts.Stdout = deploy.OutputJSON, &stdout
	sum, err := runDeploy(t, p, opts)
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	for _, r := range sum.Stacks {
		want := deploy.StatusUnknown
		if r.ID == "tools/us-east-1/artifacts" {
			want = deploy.StatusPlanned
		}
		if r.Status != want {
			t.Errorf("%s: %s (%s), want %s", r.ID, r.Status, r.Reason, want)
		}
	}
	for _, s := range p.Stacks {
		if describe(t, s) != nil {
			t.Errorf("dry run created %s", s.ID)
		}
	}

	var last deploy.Event
	kinds := map[string]int{}
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if err := json.Unmarshal(sc.Bytes(), &last); err != nil {
			t.Fatalf("stdout line is not JSON: %q", sc.Text())
		}
		kinds[last.Type]++
	}
	if last.Type != deploy.EventSummary || last.Summary == nil || len(last.Summary.Stacks) != len(p.Stacks) {
		t.Errorf("last line is not the summary: %+v", last)
	}
	if kinds[deploy.EventChangeSet] != 1 || kinds[deploy.EventPhase] == 0 {
		t.Errorf("event counts %v", kinds)
	}
}
