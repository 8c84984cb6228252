package deploy

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// writeSummary prints the text summary: one line per stack, then the
// outputs and reasons worth reading.
func writeSummary(w io.Writer, s *Summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STACK\tSTATUS\tTIME\tDETAIL")
	for _, r := range s.Stacks {
		detail := r.Reason
		if detail == "" && len(r.Changes) > 0 {
			detail = fmt.Sprintf("%d change(s)", len(r.Changes))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Status, elapsed(r.Seconds), truncate(detail, 120))
	}
	_ = tw.Flush()
	if s.OK {
		fmt.Fprintf(w, "run %s: all %d stacks ok\n", s.RunID, len(s.Stacks))
	} else if err := s.Err(); err != nil {
		fmt.Fprintf(w, "run %s: %v\n", s.RunID, err)
	}
}
