package deploy

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Phase is where a stack is in a run: one of the phases below while it
// runs, then its final Status.
type Phase string

// Phases a stack passes through while it runs.
const (
	phaseQueued    Phase = "queued"
	phaseChecking  Phase = "checking"
	phaseWaiting   Phase = "waiting"   // another operation is in progress
	phaseReplacing Phase = "replacing" // deleting a failed first create
	phaseChangeSet Phase = "changeset"
	phaseExecuting Phase = "executing"
	phaseDeleting  Phase = "deleting"
)

// final says the phase is a stack's final status.
func (p Phase) final() bool { return Status(p).known() }

// progress renders a run for people (a live table on a terminal, otherwise
// one timestamped line per event) and, with Output json, for programs.
// All methods are safe for concurrent use.
type progress struct {
	mu    sync.Mutex
	now   func() time.Time
	human io.Writer
	tty   bool
	json  *jsonSink // nil unless Output json

	rows   []*row
	byID   map[string]*row
	drawn  int  // table lines on screen
	paused bool // a prompt is on screen
	width  int  // of the stack column

	stop chan struct{}
	wg   sync.WaitGroup
}

// row is one stack in the live table.
type row struct {
	id          string
	phase       Phase
	done, total int
	seen        map[string]bool // logical ids counted in done
	start, end  time.Time
	last        string
}

func newProgress(c *Common, ids []string) *progress {
	p := &progress{now: c.Now, human: c.Stderr, tty: c.IsTTY, byID: map[string]*row{}}
	if c.Output == OutputJSON {
		p.json = newJSONSink(c.Stdout)
	}
	for _, id := range ids {
		r := &row{id: id, phase: phaseQueued, seen: map[string]bool{}}
		p.rows = append(p.rows, r)
		p.byID[id] = r
		p.width = max(p.width, len(id))
	}
	if p.tty {
		p.stop = make(chan struct{})
		p.wg.Add(1)
		go p.tick()
		p.mu.Lock()
		p.redraw()
		p.mu.Unlock()
	}
	return p
}

// tick refreshes elapsed times once a second on a terminal.
func (p *progress) tick() {
	defer p.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.redraw()
			p.mu.Unlock()
		}
	}
}

// close stops the ticker and leaves the final table on screen.
func (p *progress) close() {
	if p.stop != nil {
		close(p.stop)
		p.wg.Wait()
		p.mu.Lock()
		p.redraw()
		p.mu.Unlock()
	}
}

// phase records that a stack entered a phase (or ended with a Status).
func (p *progress) phase(id string, phase Phase, msg string) {
	now := p.now()
	if p.json != nil {
		p.json.emit(Event{Time: now, Type: EventPhase, Stack: id, Phase: phase, Message: msg})
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.byID[id]
	if r == nil {
		return
	}
	if r.start.IsZero() && phase != phaseQueued && phase != Phase(StatusSkipped) {
		r.start = now
	}
	r.phase = phase
	if phase.final() {
		r.end = now
	}
	if msg != "" {
		r.last = msg
	}
	if p.tty {
		p.redraw()
		return
	}
	line := fmt.Sprintf("%s  %-*s  %s", now.UTC().Format(time.RFC3339), p.width, id, phase)
	if msg != "" {
		line += "  " + msg
	}
	fmt.Fprintln(p.human, line)
}

// note records a message about a stack that changes nothing of its phase
// (still waiting, a stale change set removed).
func (p *progress) note(id, msg string) {
	now := p.now()
	if p.json != nil {
		p.json.emit(Event{Time: now, Type: EventNote, Stack: id, Message: msg})
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.byID[id]
	if r == nil {
		return
	}
	r.last = msg
	if p.tty {
		p.redraw()
		return
	}
	fmt.Fprintf(p.human, "%s  %-*s  %s\n", now.UTC().Format(time.RFC3339), p.width, id, msg)
}

// total sets the number of resources a stack's operation touches.
func (p *progress) total(id string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.byID[id]; r != nil {
		r.total, r.done, r.seen = n, 0, map[string]bool{}
	}
}

// resource records one CloudFormation event of a stack.
func (p *progress) resource(id, stackName string, ev ResourceEvent) {
	if p.json != nil {
		p.json.emit(Event{Time: p.now(), Type: EventResource, Stack: id, Event: &ev})
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.byID[id]
	if r == nil {
		return
	}
	if ev.LogicalID != stackName && strings.HasSuffix(ev.Status, "_COMPLETE") && !r.seen[ev.LogicalID] {
		r.seen[ev.LogicalID] = true
		r.done++
	}
	r.last = strings.TrimSpace(ev.LogicalID + " " + ev.Status + " " + ev.Reason)
	if p.tty {
		p.redraw()
		return
	}
	line := fmt.Sprintf("%s  %-*s  %s %s %s", ev.Time.UTC().Format(time.RFC3339), p.width, id, ev.LogicalID, ev.ResourceType, ev.Status)
	if ev.Reason != "" {
		line += ": " + ev.Reason
	}
	fmt.Fprintln(p.human, line)
}

// changes prints a change set: one line per resource change.
func (p *progress) changes(id string, changes []Change) {
	if p.json != nil {
		p.json.emit(Event{Time: p.now(), Type: EventChangeSet, Stack: id, Changes: changes})
	}
	lines := []string{fmt.Sprintf("%s: %d change(s)", id, len(changes))}
	for _, c := range changes {
		lines = append(lines, "  "+formatChange(c))
	}
	p.print(lines)
}

// failure prints why a stack failed and its earliest failed events.
func (p *progress) failure(id, reason string, events []ResourceEvent) {
	if p.json != nil {
		p.json.emit(Event{Time: p.now(), Type: EventFailure, Stack: id, Message: reason, Events: events})
	}
	lines := []string{fmt.Sprintf("%s failed: %s", id, reason)}
	for _, e := range events {
		lines = append(lines, fmt.Sprintf("  %s %s %s %s: %s", e.Time.UTC().Format(time.RFC3339), e.LogicalID, e.ResourceType, e.Status, e.Reason))
	}
	p.print(lines)
}

// warning prints a problem that does not fail the stack.
func (p *progress) warning(id, msg string) {
	if p.json != nil {
		p.json.emit(Event{Time: p.now(), Type: EventWarning, Stack: id, Message: msg})
	}
	p.print([]string{fmt.Sprintf("%s: warning: %s", id, msg)})
}

// summary emits the final summary event.
func (p *progress) summary(s *Summary) {
	if p.json != nil {
		p.json.emit(Event{Time: p.now(), Type: EventSummary, Summary: s})
	}
}

// print writes lines above the live table, or plainly without one.
func (p *progress) print(lines []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	for _, l := range lines {
		fmt.Fprintln(p.human, l)
	}
	p.redraw()
}

// interact takes the table off the screen, writes a prompt with show and
// keeps the table away until wait (which reads the answer) returns. Other
// stacks keep running meanwhile.
func (p *progress) interact(show func(w io.Writer), wait func()) {
	p.mu.Lock()
	p.clear()
	p.paused = true
	show(p.human)
	p.mu.Unlock()
	wait()
	p.mu.Lock()
	p.paused = false
	p.redraw()
	p.mu.Unlock()
}

// clear erases the table so that lines can be written in its place.
func (p *progress) clear() {
	if !p.tty || p.drawn == 0 {
		return
	}
	fmt.Fprintf(p.human, "\x1b[%dA\x1b[J", p.drawn)
	p.drawn = 0
}

// redraw repaints the table in place on a terminal.
func (p *progress) redraw() {
	if !p.tty || p.paused {
		return
	}
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn)
	}
	now := p.now()
	fmt.Fprintf(&b, "\x1b[2K%-*s  %-14s  %-9s  %7s  %s\n", p.width, "STACK", "PHASE", "RESOURCES", "ELAPSED", "LAST EVENT")
	for _, r := range p.rows {
		res := "-"
		switch {
		case r.total > 0:
			res = fmt.Sprintf("%d/%d", r.done, r.total)
		case r.done > 0:
			res = fmt.Sprint(r.done)
		}
		elapsed := ""
		if !r.start.IsZero() {
			end := r.end
			if end.IsZero() {
				end = now
			}
			elapsed = end.Sub(r.start).Truncate(time.Second).String()
		}
		fmt.Fprintf(&b, "\x1b[2K%-*s  %-14s  %-9s  %7s  %s\n", p.width, r.id, r.phase, res, elapsed, truncate(r.last, 80))
	}
	p.drawn = len(p.rows) + 1
	io.WriteString(p.human, b.String())
}

func formatChange(c Change) string {
	sym := map[string]string{"Add": "+", "Modify": "~", "Remove": "-", "Import": "<", "Dynamic": "?"}[c.Action]
	if sym == "" {
		sym = "?"
	}
	s := fmt.Sprintf("%s %s %s", sym, c.ResourceType, c.LogicalID)
	switch c.Replacement {
	case "True":
		s += " (REPLACE)"
	case "Conditional":
		s += " (may replace)"
	}
	if c.Action == "Remove" {
		s += " (DELETE)"
	}
	return s
}

func truncate(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
