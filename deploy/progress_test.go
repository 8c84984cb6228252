package deploy

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestProgressLinesAndJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	c := Common{Output: OutputJSON, Stdout: &stdout, Stderr: &stderr, Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }}
	if err := c.normalize(); err != nil {
		t.Fatal(err)
	}
	p := newProgress(&c, []string{"tools/us-east-1/kms", "prod/eu-central-1/net"})
	p.phase("tools/us-east-1/kms", phaseExecuting, "UpdateStack")
	p.resource("tools/us-east-1/kms", "kms", ResourceEvent{Time: c.Now(), LogicalID: "Key", ResourceType: "AWS::KMS::Key", Status: "UPDATE_FAILED", Reason: "denied"})
	p.changes("prod/eu-central-1/net", []Change{{Action: "Modify", LogicalID: "Vpc", ResourceType: "AWS::EC2::VPC", Replacement: "True"}})
	p.summary(&Summary{RunID: "r", OK: true})
	p.close()

	wantErr := "2026-01-02T03:04:05Z  tools/us-east-1/kms    executing  UpdateStack\n" +
		"2026-01-02T03:04:05Z  tools/us-east-1/kms    Key AWS::KMS::Key UPDATE_FAILED: denied\n" +
		"prod/eu-central-1/net: 1 change(s)\n" +
		"  ~ AWS::EC2::VPC Vpc (REPLACE)\n"
	if stderr.String() != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), wantErr)
	}
	var types []string
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var e Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("not JSON: %q: %v", line, err)
		}
		types = append(types, e.Type)
	}
	if got := strings.Join(types, ","); got != "stack.phase,resource.event,changeset,summary" {
		t.Errorf("event types %s", got)
	}
}

func TestProgressTable(t *testing.T) {
	var stderr bytes.Buffer
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := Common{Stderr: &stderr, IsTTY: true, Now: func() time.Time { return now }}
	if err := c.normalize(); err != nil {
		t.Fatal(err)
	}
	p := newProgress(&c, []string{"a/us-east-1/x"})
	p.phase("a/us-east-1/x", phaseExecuting, "")
	p.total("a/us-east-1/x", 3)
	p.resource("a/us-east-1/x", "x", ResourceEvent{LogicalID: "Topic", Status: "CREATE_COMPLETE"})
	now = now.Add(12 * time.Second)
	p.close()
	out := stderr.String()
	last := out[strings.LastIndex(out, "\x1b[2A"):]
	want := "\x1b[2A\x1b[2KSTACK          PHASE           RESOURCES  ELAPSED  LAST EVENT\n" +
		"\x1b[2Ka/us-east-1/x  executing       1/3            12s  Topic CREATE_COMPLETE\n"
	if last != want {
		t.Errorf("last frame %q\nwant %q", last, want)
	}
}
