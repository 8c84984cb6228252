package deploy

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
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

	rows  []*row
	byID  map[string]*row
	width int // of the stack column in line mode

	term *table // the live table, on a terminal

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
	var ticks <-chan time.Time
	var stop func()
	if c.IsTTY {
		t := time.NewTicker(frameInterval)
		ticks, stop = t.C, t.Stop
	}
	return newProgressWith(c, ids, ticks, stop, terminalSize(c.Stderr))
}

// newProgressWith is newProgress with the table's clock and terminal size
// given (tests drive both).
func newProgressWith(c *Common, ids []string, ticks <-chan time.Time, stopTicks func(), size func() (int, int)) *progress {
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
		p.term = newTable(c.Stderr, size, c.Now, os.Getenv("NO_COLOR") == "")
		p.stop = make(chan struct{})
		p.wg.Add(1)
		go p.tick(ticks, stopTicks)
		p.mu.Lock()
		p.term.draw(p.rows)
		p.mu.Unlock()
	}
	return p
}

// frameInterval bounds how often the table is redrawn: events only mark
// it out of date, and a tick draws it (so a burst of events costs one
// frame), and at least once a second for the elapsed times.
const frameInterval = 100 * time.Millisecond

// tick redraws the table when it is out of date, or a second old.
func (p *progress) tick(ticks <-chan time.Time, stop func()) {
	defer p.wg.Done()
	if stop != nil {
		defer stop()
	}
	for {
		select {
		case <-p.stop:
			return
		case <-ticks:
			p.mu.Lock()
			if p.term.due() {
				p.term.draw(p.rows)
			}
			p.mu.Unlock()
		}
	}
}

// close stops the ticker and leaves the final table on screen.
func (p *progress) close() {
	if p.stop != nil {
		close(p.stop)
		p.wg.Wait()
		p.stop = nil
		p.mu.Lock()
		p.term.draw(p.rows)
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
		p.term.changed()
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
		p.term.changed()
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
		p.term.changed()
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
	if p.tty {
		p.term.clear()
	}
	for _, l := range lines {
		fmt.Fprintln(p.human, l)
	}
	if p.tty {
		p.term.draw(p.rows)
	}
}

// interact takes the table off the screen, writes a prompt with show and
// keeps the table away until wait (which reads the answer) returns. Other
// stacks keep running meanwhile.
func (p *progress) interact(show func(w io.Writer), wait func()) {
	p.mu.Lock()
	if p.tty {
		p.term.clear()
		p.term.paused = true
	}
	show(p.human)
	p.mu.Unlock()
	wait()
	p.mu.Lock()
	if p.tty {
		p.term.paused = false
		p.term.draw(p.rows)
	}
	p.mu.Unlock()
}

func formatChange(c Change) string {
	sym := map[string]string{"Add": "+", "Modify": "~", "Remove": "-", "Import": "<", "Dynamic": "?"}[c.Action]
	if sym == "" {
		sym = "?"
	}
	s := fmt.Sprintf("%s %s %s", sym, c.ResourceType, c.LogicalID)
	if len(c.Properties) > 0 {
		s += " [" + strings.Join(c.Properties, ", ") + "]"
	}
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
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return string([]rune(s)[:max(n, 0)])
	}
	return string([]rune(s)[:n-1]) + "…"
}
