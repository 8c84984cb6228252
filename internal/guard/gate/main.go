// Command gate is the cfn-guard step of .ci/run: it checks the templates
// named on the command line (from the repository root) with both rule
// sets and exits 1 on any finding no template justifies.
//
//	go run ./internal/guard/gate TEMPLATE...
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"

	"github.com/bgc-dev/bgc/internal/guard"
)

func main() {
	tool, err := guard.Find(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "cfn-guard gate:", err)
		os.Exit(1)
	}
	rep, err := tool.Check(context.Background(), os.Args[1:], runtime.NumCPU())
	if err != nil {
		fmt.Fprintln(os.Stderr, "cfn-guard gate:", err)
		os.Exit(1)
	}
	for _, f := range rep.Findings {
		fmt.Fprintln(os.Stderr, f)
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(os.Stderr, p)
	}
	var rules []string
	total := 0
	for r, n := range rep.Suppressed {
		rules = append(rules, r)
		total += n
	}
	sort.Strings(rules)
	fmt.Printf("cfn-guard: %d templates, %d unjustified findings, %d justification problems; %d justified exceptions:\n",
		rep.Templates, len(rep.Findings), len(rep.Problems), total)
	for _, r := range rules {
		fmt.Printf("  %-48s %d\n", r, rep.Suppressed[r])
	}
	if !rep.OK() {
		os.Exit(1)
	}
}
