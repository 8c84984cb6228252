package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bgc-dev/bgc/compiler"
	"github.com/bgc-dev/bgc/plan"
)

func newPlanCmd(e *env) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "plan [FILE|-]",
		Short: "Print the ordered stacks bgc deploys",
		Long: `Plan compiles FILE (default ./app.yaml; - reads stdin) and prints the
deployment plan: every stack in the order bgc deploy runs it, with its
account, region and dependencies. --output json prints plan.json itself.`,
		Example: `  bgc plan
  bgc plan examples/global-bluegreen/app.yaml
  bgc plan --output json | jq '.stacks[].id'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "table" { // the name before --output text|json everywhere
				output = "text"
			}
			if err := checkOutput(output); err != nil {
				return err
			}
			file, err := appFile(args)
			if err != nil {
				return err
			}
			out, err := e.compile(file, compiler.Options{})
			if err != nil {
				return err
			}
			if output == "json" {
				_, err := e.stdout.Write(out.Files[plan.File])
				return err
			}
			printPlan(e, out.Plan)
			return nil
		},
	}
	cmd.Flags().StringVar(&output, "output", "text", "text or json")
	return cmd
}

func printPlan(e *env, p *plan.Plan) {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tACCOUNT\tREGION\tSTACK\tDEPENDS ON")
	for i, s := range p.Stacks {
		deps := "-"
		if len(s.DependsOn) > 0 {
			deps = strings.Join(s.DependsOn, ", ")
		}
		fmt.Fprintf(tw, "%d\t%s (%s)\t%s\t%s\t%s\n", i+1, s.AccountName, s.Account, s.Region, s.StackName, deps)
	}
	tw.Flush()
}
