package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bgc-dev/bgc/compiler"
	"github.com/bgc-dev/bgc/compiler/update"
	"github.com/bgc-dev/bgc/deploy"
	"github.com/bgc-dev/bgc/plan"
)

func newDiffCmd(e *env) *cobra.Command {
	var against, output, format string
	var recreate []string
	cmd := &cobra.Command{
		Use:   "diff [FILE] [--against DIR]",
		Short: "Show what deploying FILE would change, stack by stack",
		Long: `Diff compiles FILE (default app.yaml) and compares it with what is deployed:
the template (GetTemplate), parameters, outputs and tags of every stack of
the plan, in every account and region, read with the same credentials and
roles as bgc deploy. With --against DIR it compares with the committed
build in DIR instead, and calls nothing.

For each stack it lists the resources added (+), removed (-) and modified
(~) with the properties that change, marks "replace" where CloudFormation
replaces the resource (a create-only property changes, by AWS's resource
provider schemas, or it refers to a replaced resource), and "refused" with
the reason where bgc build and bgc deploy refuse the change. Stacks the plan
adds, and stacks of the app it no longer has, are listed too.

Exit status: 0 without differences, 1 with differences, 2 on error (as
diff(1)).`,
		Example: `  bgc diff app.yaml
  bgc diff app.yaml --against deploy
  bgc diff --output json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			file, err := appFile(args)
			if err != nil {
				return err
			}
			f, err := templateFormat(format)
			if err != nil {
				return err
			}
			out, err := e.compile(file, compiler.Options{Format: f})
			if err != nil {
				return err
			}
			var prev update.Side
			if against != "" {
				p, err := previousBuild(against)
				if err != nil {
					return err
				}
				if p == nil {
					return fail(ExitInvalid, "%s holds no build of bgc's (no plan.json recording one)", against)
				}
				prev = update.Side{Plan: p}
			} else {
				ctx, cancel := signalContext()
				defer cancel()
				prev, err = e.deployed(ctx, out.Plan)
				if err != nil {
					return err
				}
			}
			if err := checkRecreate(recreate, prev.Plan, out.Plan); err != nil {
				return err
			}
			rep, err := update.Compare(prev, update.Side{Plan: out.Plan}, update.Options{Recreate: recreate})
			if err != nil {
				return fail(ExitInvalid, "diff: %v", err)
			}
			if output == "json" {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(diffJSON(rep)); err != nil {
					return fail(ExitInvalid, "%v", err)
				}
			} else {
				writeDiff(e.stdout, rep)
			}
			if rep.Changed() {
				return silent(ExitInternal)
			}
			return nil
		},
	}
	awsFlags(cmd, &e.profile, &e.region)
	cmd.Flags().StringVar(&against, "against", "", "compare with the committed build in DIR instead of what is deployed")
	cmd.Flags().StringVar(&output, "output", "text", "text or json")
	cmd.Flags().StringVar(&format, "format", "yaml", "template format FILE compiles to, as bgc build --format")
	cmd.Flags().StringSliceVar(&recreate, "recreate", nil, "show changes that need target ACCOUNT/REGION recreated as accepted (repeatable)")
	return cmd
}

// deployed reads what is deployed of the plan (deploy.Snapshot) as the old
// side of a comparison: each existing stack with the template, tags,
// parameters and outputs AWS reports, and the app's stacks the plan no
// longer has. A stack whose first create failed counts as not deployed
// (deploy replaces it).
func (e *env) deployed(ctx context.Context, p *plan.Plan) (update.Side, error) {
	d, err := deploy.Snapshot(ctx, p, deploy.Common{Stderr: e.stderr, Profile: e.profile, Region: e.region})
	if err != nil {
		// diff(1): 1 means differences, so every error is 2.
		return update.Side{}, fail(ExitInvalid, "read what is deployed: %v", err)
	}
	return deployedSide(p, d), nil
}

func deployedSide(p *plan.Plan, d *deploy.Deployed) update.Side {
	prev := &plan.Plan{App: p.App}
	side := update.Side{Plan: prev, Params: map[string]map[string]string{}, Outputs: map[string]map[string]string{}}
	for _, s := range p.Stacks {
		ds, ok := d.Stacks[s.ID]
		if !ok || failedCreate(ds.Status) {
			continue
		}
		// What is deployed, as AWS reports it: the template and tags, the
		// named and retained resources as that template has them (update
		// derives them), and the service's live grace period.
		old := s
		old.Body, old.Tags, old.Named, old.Retained, old.Service = ds.Template, ds.Tags, nil, nil, nil
		if s.Service != nil && ds.GracePeriod != nil {
			sv := *s.Service
			sv.HealthCheckGracePeriodSeconds = *ds.GracePeriod
			old.Service = &sv
		}
		prev.Stacks = append(prev.Stacks, old)
		side.Params[s.ID], side.Outputs[s.ID] = ds.Parameters, ds.Outputs
	}
	names := map[string]string{} // account id -> name
	for _, s := range p.Stacks {
		names[s.Account] = s.AccountName
	}
	for _, u := range d.Unplanned {
		// A stack of a target no longer in app.yaml, in an account the plan
		// still has (the id "<account name>/<region>/<stack>" names the
		// target as destroy --target wants it).
		prev.Stacks = append(prev.Stacks, plan.Stack{ID: names[u.Account] + "/" + u.Region + "/" + u.StackName, Account: u.Account, AccountName: names[u.Account], Region: u.Region, StackName: u.StackName})
	}
	return side
}

func failedCreate(status string) bool {
	switch status {
	case "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED", "ROLLBACK_IN_PROGRESS":
		return true
	}
	return false
}

// writeDiff prints the report: changed, new and removed stacks, then a
// summary line.
func writeDiff(w io.Writer, rep *update.Report) {
	counts := map[string]int{}
	refused := 0
	var ways []string
	refusal := func(f update.Refusal) string {
		if f.Accepted {
			return "refused, accepted with --recreate: " + f.Reason
		}
		refused++
		if !slices.Contains(ways, f.Way) {
			ways = append(ways, f.Way)
		}
		return "refused: " + f.Reason
	}
	for _, s := range rep.Stacks {
		counts[s.Status]++
		if s.Status == update.StackUnchanged {
			continue
		}
		fmt.Fprintf(w, "%s (stack %s in %s %s): %s", s.ID, s.StackName, s.Account, s.Region, s.Status)
		if s.Note != "" {
			fmt.Fprintf(w, ", %s", s.Note)
		}
		fmt.Fprintln(w)
		for _, f := range s.Refused {
			fmt.Fprintf(w, "  ! %s\n", refusal(f))
		}
		if s.Tags {
			fmt.Fprintln(w, "  ~ stack tags")
		}
		for _, set := range s.Settings {
			fmt.Fprintf(w, "  ~ %s (bgc deploy sets it)\n", set)
		}
		for _, c := range s.Resources {
			mark := map[string]string{update.Add: "+", update.Remove: "-", update.Modify: "~"}[c.Action]
			line := fmt.Sprintf("  %s %s (%s)", mark, c.LogicalID, c.Type)
			if len(c.Properties) > 0 {
				line += ": " + strings.Join(c.Properties, ", ")
			}
			if c.Replace {
				line += " [replace: " + c.Because + "]"
			}
			if c.Refused != nil {
				line += " [" + refusal(*c.Refused) + "]"
			}
			fmt.Fprintln(w, line)
		}
		if len(s.Parameters) > 0 && s.Status == update.StackChanged {
			fmt.Fprintf(w, "  parameters: %s\n", strings.Join(s.Parameters, ", "))
		}
		if len(s.Outputs) > 0 && s.Status == update.StackChanged {
			fmt.Fprintf(w, "  outputs: %s\n", strings.Join(s.Outputs, ", "))
		}
	}
	fmt.Fprintf(w, "%d changed, %d new, %d removed, %d unchanged stacks", counts[update.StackChanged], counts[update.StackNew], counts[update.StackRemoved], counts[update.StackUnchanged])
	if refused > 0 {
		fmt.Fprintf(w, "; %d refused change(s): bgc build and bgc deploy stop on them", refused)
	}
	fmt.Fprintln(w)
	for _, way := range ways {
		fmt.Fprintf(w, "way forward: %s\n", way)
	}
}

// diffJSON is the JSON form: the report and whether anything changes.
func diffJSON(rep *update.Report) any {
	return struct {
		Changed  bool     `json:"changed"`
		Refusals []string `json:"refusals"`
		*update.Report
	}{rep.Changed(), nonNil(rep.Refusals()), rep}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
