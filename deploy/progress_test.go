package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
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

// fakeScreen is the part of a VT100 that the table uses: printable text
// with automatic wrap at the last column, CR, LF (scrolling at the bottom),
// cursor up (CSI n A), erase line (CSI 2 K), erase below (CSI J) and SGR
// colours (ignored). It records whether any line ever wrapped.
type fakeScreen struct {
	w, h     int
	cells    [][]rune
	row, col int
	wrapped  bool
}

func newFakeScreen(w, h int) *fakeScreen {
	s := &fakeScreen{w: w, h: h}
	for range h {
		s.cells = append(s.cells, make([]rune, 0, w))
	}
	return s
}

func (s *fakeScreen) lf() {
	if s.row == s.h-1 {
		s.cells = append(s.cells[1:], make([]rune, 0, s.w))
		return
	}
	s.row++
}

func (s *fakeScreen) write(b []byte) {
	rs := []rune(string(b))
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '\x1b' && i+1 < len(rs) && rs[i+1] == '[':
			j := i + 2
			for j < len(rs) && (rs[j] >= '0' && rs[j] <= '9' || rs[j] == ';') {
				j++
			}
			n := 1
			fmt.Sscan(string(rs[i+2:j]), &n)
			switch rs[j] {
			case 'A':
				s.row = max(s.row-n, 0)
			case 'K':
				s.cells[s.row] = s.cells[s.row][:0]
			case 'J':
				s.cells[s.row] = s.cells[s.row][:min(s.col, len(s.cells[s.row]))]
				for k := s.row + 1; k < s.h; k++ {
					s.cells[k] = s.cells[k][:0]
				}
			}
			i = j
		case r == '\r':
			s.col = 0
		case r == '\n':
			s.col = 0
			s.lf()
		default:
			if s.col == s.w {
				s.wrapped = true
				s.col = 0
				s.lf()
			}
			line := s.cells[s.row]
			for len(line) < s.col {
				line = append(line, ' ')
			}
			if s.col < len(line) {
				line[s.col] = r
			} else {
				line = append(line, r)
			}
			s.cells[s.row] = line
			s.col++
		}
	}
}

func (s *fakeScreen) text() []string {
	var out []string
	for _, l := range s.cells {
		out = append(out, strings.TrimRight(string(l), " "))
	}
	return out
}

// bigRun drives 235 stacks into a mix of phases at 80x24.
func bigRun(t *testing.T, p *progress, now *time.Time) []string {
	t.Helper()
	var ids []string
	for _, r := range p.rows {
		ids = append(ids, r.id)
	}
	for i, id := range ids {
		switch {
		case i < 150:
			p.phase(id, phaseExecuting, "")
			p.phase(id, StatusCreated.phase(), "")
		case i < 152:
			p.phase(id, phaseExecuting, "")
			p.phase(id, StatusFailed.phase(), strings.Repeat("the reason is long ", 10))
		case i < 200:
			p.phase(id, phaseExecuting, "UpdateStack")
			p.resource(id, id, ResourceEvent{LogicalID: "Service", Status: "UPDATE_IN_PROGRESS", Reason: strings.Repeat("x", 200)})
		}
		*now = now.Add(time.Second)
	}
	return ids
}

func manyIDs(n int) []string {
	var ids []string
	for i := range n {
		ids = append(ids, fmt.Sprintf("account-%03d/ap-southeast-%d/service", i, i%4+1))
	}
	return ids
}

// TestTableFits: with 235 stacks at 80x24 the frame fits the terminal (no
// line wraps, no more lines than rows), shows the counts, the running
// stacks it has room for, how many more run, and the latest failures.
func TestTableFits(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var out bytes.Buffer
	c := Common{Stderr: &out, IsTTY: true, Now: func() time.Time { return now }}
	if err := c.normalize(); err != nil {
		t.Fatal(err)
	}
	ticks := make(chan time.Time)
	p := newProgressWith(&c, manyIDs(235), ticks, nil, func() (int, int) { return 80, 24 })
	bigRun(t, p, &now)
	ticks <- now
	ticks <- now // the second send waits until the first tick drew
	p.close()
	screen := newFakeScreen(80, 24)
	screen.write(out.Bytes())
	if screen.wrapped {
		t.Error("a line wrapped at 80 columns")
	}
	text := strings.Join(screen.text(), "\n")
	for _, want := range []string{
		"235 stacks: 150 done · 48 running · 35 queued · 2 failed",
		"STACK", "account-152/ap-southeast-1/service",
		"more running",
		"failed account-151/ap-southeast-4/service: the reason is long",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("screen lacks %q:\n%s", want, text)
		}
	}
	if lines := strings.Count(strings.TrimRight(text, "\n"), "\n") + 1; lines > 23 {
		t.Errorf("%d lines on a 24-line terminal", lines)
	}
}

// TestTableRedrawRate: events only mark the table out of date; a tick
// draws it, so a burst of events costs one frame.
func TestTableRedrawRate(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var out bytes.Buffer
	c := Common{Stderr: &out, IsTTY: true, Now: func() time.Time { return now }}
	if err := c.normalize(); err != nil {
		t.Fatal(err)
	}
	ticks := make(chan time.Time)
	p := newProgressWith(&c, manyIDs(235), ticks, nil, func() (int, int) { return 80, 24 })
	first := out.Len()
	for range 40 {
		bigRun(t, p, &now)
	}
	if out.Len() != first {
		t.Errorf("events drew %d bytes before any tick", out.Len()-first)
	}
	ticks <- now
	ticks <- now
	frames := strings.Count(out.String(), "235 stacks:")
	if frames != 2 {
		t.Errorf("%d frames drawn (the first and one tick), want 2", frames)
	}
	p.close()
}

// TestTableColors: failures are red unless NO_COLOR is set.
func TestTableColors(t *testing.T) {
	for _, noColor := range []bool{false, true} {
		if noColor {
			t.Setenv("NO_COLOR", "1")
		}
		var out bytes.Buffer
		c := Common{Stderr: &out, IsTTY: true}
		if err := c.normalize(); err != nil {
			t.Fatal(err)
		}
		p := newProgressWith(&c, []string{"a/r/x"}, nil, nil, func() (int, int) { return 80, 24 })
		p.phase("a/r/x", StatusFailed.phase(), "boom")
		p.close()
		if has := strings.Contains(out.String(), "\x1b[31m"); has == noColor {
			t.Errorf("NO_COLOR=%v: red in output = %v", noColor, has)
		}
	}
}

// TestChangedProperties: a Modify names the properties CloudFormation
// details (moto's change sets carry no details, so this is AWS's shape:
// ResourceChange.Details[].Target with Attribute Properties).
func TestChangedProperties(t *testing.T) {
	details := []types.ResourceChangeDetail{
		{Target: &types.ResourceTargetDefinition{Attribute: types.ResourceAttributeProperties, Name: aws.String("Tags")}},
		{Target: &types.ResourceTargetDefinition{Attribute: types.ResourceAttributeProperties, Name: aws.String("DesiredCount")}},
		{Target: &types.ResourceTargetDefinition{Attribute: types.ResourceAttributeProperties, Name: aws.String("Tags")}},
		{Target: &types.ResourceTargetDefinition{Attribute: types.ResourceAttributeMetadata}},
	}
	c := Change{Action: "Modify", ResourceType: "AWS::ECS::Service", LogicalID: "Service", Replacement: "False", Properties: changedProperties(details)}
	if got, want := formatChange(c), "~ AWS::ECS::Service Service [DesiredCount, Tags]"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
