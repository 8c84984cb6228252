package deploy

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/term"
)

// table is the live view of a run on a terminal. It always fits the
// terminal: one summary line with the counts of every phase, the stacks
// that are running (oldest first), and the latest failures; finished
// stacks fold into the counts. No line is wider than the terminal, so
// nothing wraps, and the frame never has more lines than the terminal,
// so it can always be redrawn in place. The caller holds the progress
// lock.
type table struct {
	w      io.Writer
	size   func() (width, height int)
	now    func() time.Time
	color  bool
	drawn  int  // lines of the last frame on screen
	paused bool // a prompt is on screen
	dirty  bool
	last   time.Time // when the last frame was drawn
}

func newTable(w io.Writer, size func() (int, int), now func() time.Time, color bool) *table {
	return &table{w: w, size: size, now: now, color: color}
}

// terminalSize reads the size of w when it is a terminal; otherwise, or
// when that fails, 80×24.
func terminalSize(w io.Writer) func() (int, int) {
	return func() (int, int) {
		if f, ok := w.(*os.File); ok {
			if width, height, err := term.GetSize(int(f.Fd())); err == nil && width > 0 && height > 0 {
				return width, height
			}
		}
		return 80, 24
	}
}

// changed marks the frame out of date.
func (t *table) changed() { t.dirty = true }

// due says a tick should draw: something changed, or the elapsed times are
// a second old.
func (t *table) due() bool { return t.dirty || t.now().Sub(t.last) >= time.Second }

// clear erases the frame so that lines can be written in its place.
func (t *table) clear() {
	if t.drawn > 0 {
		fmt.Fprintf(t.w, "\x1b[%dA\r\x1b[J", t.drawn)
		t.drawn = 0
	}
}

// draw repaints the frame in place.
func (t *table) draw(rows []*row) {
	if t.paused {
		return
	}
	t.dirty, t.last = false, t.now()
	width, height := t.size()
	lines := t.frame(rows, max(width-1, 10), max(height-1, 3))
	var b strings.Builder
	if t.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\r", t.drawn)
	}
	for _, l := range lines {
		b.WriteString("\x1b[2K")
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteString("\x1b[J")
	t.drawn = len(lines)
	io.WriteString(t.w, b.String())
}

// Colours (SGR), unless NO_COLOR is set (https://no-color.org).
const (
	sgrBold  = "\x1b[1m"
	sgrRed   = "\x1b[31m"
	sgrReset = "\x1b[0m"
)

func (t *table) paint(sgr, s string) string {
	if !t.color || s == "" {
		return s
	}
	return sgr + s + sgrReset
}

// frame lays out at most height lines of at most width columns.
func (t *table) frame(rows []*row, width, height int) []string {
	now := t.now()
	counts := map[string]int{}
	var running, failed []*row
	var start time.Time
	for _, r := range rows {
		if !r.start.IsZero() && (start.IsZero() || r.start.Before(start)) {
			start = r.start
		}
		switch {
		case r.phase == phaseQueued:
			counts["queued"]++
		case r.phase.final():
			st := Status(r.phase)
			switch {
			case st.failed():
				counts[string(st)]++
				failed = append(failed, r)
			case st == StatusSkipped:
				counts["skipped"]++
			default:
				counts["done"]++
			}
		default:
			counts["running"]++
			running = append(running, r)
		}
	}
	summary := fmt.Sprintf("%d stacks:", len(rows))
	for _, k := range []string{"done", "running", "queued", "failed", "interrupted", "skipped"} {
		if counts[k] > 0 {
			summary += fmt.Sprintf(" %d %s ·", counts[k], k)
		}
	}
	summary = strings.TrimSuffix(summary, " ·")
	if !start.IsZero() {
		summary += "  " + now.Sub(start).Truncate(time.Second).String()
	}
	lines := []string{t.paint(sgrBold, truncate(summary, width))}

	// The latest failures get up to a third of the room, the running
	// stacks the rest.
	sort.SliceStable(failed, func(i, j int) bool { return failed[i].end.After(failed[j].end) })
	nFail := min(len(failed), max((height-1)/3, 1))
	if height-1 <= 1 {
		nFail = 0
	}
	room := height - 1 - nFail
	sort.SliceStable(running, func(i, j int) bool { return running[i].start.Before(running[j].start) })
	if len(running) > 0 && room >= 2 {
		idw := 0
		for _, r := range running {
			idw = max(idw, len(r.id))
		}
		idw = min(idw, max(width/2, 12))
		show := running
		if len(show) > room-1 { // one line for the header
			show = show[:max(room-2, 0)] // and one for "… more"
		}
		lines = append(lines, truncate(fmt.Sprintf("%-*s  %-10s  %5s  %6s  %s", idw, "STACK", "PHASE", "RES", "TIME", "LAST EVENT"), width))
		for _, r := range show {
			res := "-"
			switch {
			case r.total > 0:
				res = fmt.Sprintf("%d/%d", r.done, r.total)
			case r.done > 0:
				res = fmt.Sprint(r.done)
			}
			line := fmt.Sprintf("%-*s  %-10s  %5s  %6s  %s", idw, truncate(r.id, idw), r.phase, res,
				now.Sub(r.start).Truncate(time.Second).String(), r.last)
			lines = append(lines, truncate(line, width))
		}
		if more := len(running) - len(show); more > 0 {
			lines = append(lines, truncate(fmt.Sprintf("… and %d more running", more), width))
		}
	}
	for _, r := range failed[:nFail] {
		lines = append(lines, t.paint(sgrRed, truncate(fmt.Sprintf("%s %s: %s", r.phase, r.id, r.last), width)))
	}
	if len(lines) > height {
		lines = lines[:height]
	}
	return lines
}
