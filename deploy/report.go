package deploy

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/bgc-dev/bgc/plan"
)

// targetOf is the "<account>/<region>" of a stack id.
func targetOf(id string) string {
	if i := strings.LastIndex(id, "/"); i > 0 {
		return id[:i]
	}
	return id
}

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
	var left []Leftover
	for _, r := range s.Stacks {
		left = append(left, r.Left...)
	}
	if len(left) > 0 {
		verb := "left behind"
		for _, r := range s.Stacks {
			if len(r.Left) > 0 && r.Status == StatusPlanned {
				verb = "would leave behind"
			}
		}
		fmt.Fprintf(w, "CloudFormation %s %d resource(s) with DeletionPolicy Retain; remove each, as its account, when it is no longer needed:\n", verb, len(left))
		for _, l := range left {
			fmt.Fprintf(w, "  %s %s (account %s, %s): %s\n", whatIs(l.Type), l.PhysicalID, l.Account, l.Region, l.Remove)
		}
	}
	var urls [][2]string
	for _, r := range s.Stacks {
		if u := r.Outputs[plan.OutputServiceURL]; u != "" {
			urls = append(urls, [2]string{targetOf(r.ID), u})
		}
	}
	if len(urls) > 0 {
		fmt.Fprintln(w, "load balancers:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, u := range urls {
			fmt.Fprintf(tw, "  %s\t%s\n", u[0], u[1])
		}
		_ = tw.Flush()
	}
	if s.OK {
		fmt.Fprintf(w, "run %s: all %d stacks ok\n", s.RunID, len(s.Stacks))
	} else if err := s.Err(); err != nil {
		fmt.Fprintf(w, "run %s: %v\n", s.RunID, err)
	}
}
