package cli

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/signal"
	"path"
	"syscall"
	"testing/fstest"

	"github.com/spf13/cobra"

	"github.com/bgc-dev/bgc/compiler"
	"github.com/bgc-dev/bgc/compiler/plan"
	"github.com/bgc-dev/bgc/deploy"
)

// source is where a deploy or destroy takes its plan and templates from:
// an app.yaml compiled now, or a committed build (--from DIR).
func (e *env) planSource(args []string, from string) (*plan.Plan, fs.FS, error) {
	switch {
	case from != "" && len(args) > 0:
		return nil, nil, fail(ExitInvalid, "give either FILE or --from DIR, not both")
	case from == "" && len(args) == 0:
		return nil, nil, fail(ExitInvalid, "give an app.yaml FILE to compile and deploy, or --from DIR with a committed build")
	case from != "":
		fsys := os.DirFS(from)
		data, err := fs.ReadFile(fsys, compiler.PlanFile)
		if err != nil {
			return nil, nil, fail(ExitInvalid, "%s: %v", path.Join(from, compiler.PlanFile), unwrap(err))
		}
		p, err := plan.Parse(data)
		if err != nil {
			return nil, nil, fail(ExitInvalid, "%s: %v", from, err)
		}
		return p, fsys, nil
	}
	out, err := e.compile(args[0], compiler.Options{})
	if err != nil {
		return nil, nil, err
	}
	p, err := plan.Parse(out.Files[compiler.PlanFile])
	if err != nil {
		return nil, nil, fail(ExitInternal, "internal error: %v", err)
	}
	files := fstest.MapFS{}
	for name, data := range out.Files {
		files[name] = &fstest.MapFile{Data: data, Mode: 0o644}
	}
	return p, files, nil
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// commonFlags are the flags deploy and destroy share.
type commonFlags struct {
	from            string
	yes             bool
	continueOnError bool
	concurrency     int
	perTarget       int
	output          string
	runID           string
}

func (f *commonFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.from, "from", "", "use the committed build in DIR (its plan.json and templates) instead of compiling FILE")
	cmd.Flags().BoolVarP(&f.yes, "yes", "y", false, "approve replacements, removals and deletions without asking")
	cmd.Flags().BoolVar(&f.continueOnError, "continue-on-error", false, "after a failure keep going in branches that do not depend on it")
	cmd.Flags().IntVar(&f.concurrency, "concurrency", 8, "stacks in flight at once")
	cmd.Flags().IntVar(&f.perTarget, "per-target-concurrency", 3, "stacks in flight at once per account and region")
	cmd.Flags().StringVar(&f.output, "output", "text", "text, or json: NDJSON events and a final summary on stdout")
	cmd.Flags().StringVar(&f.runID, "run-id", "", "name of this run (change sets and role sessions are bgc-<run-id>); default: the time")
}

func (e *env) common(f *commonFlags) deploy.Common {
	return deploy.Common{
		ContinueOnError:      f.continueOnError,
		Yes:                  f.yes,
		Concurrency:          f.concurrency,
		PerTargetConcurrency: f.perTarget,
		Output:               f.output,
		Stdout:               e.stdout,
		Stderr:               e.stderr,
		Stdin:                e.stdin,
		IsTTY:                isTerminal(e.stderr) && isTerminal(e.stdin),
		RunID:                f.runID,
	}
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// signalContext is cancelled by the first Ctrl-C (or SIGTERM), which lets
// running stack operations report and change sets be cleaned up; after that
// the default handling is restored, so a second Ctrl-C stops bgc at once.
func signalContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

// runResult turns a deploy or destroy outcome into an exit status: the
// summary already said what failed, so only other errors are printed.
func runResult(verb string, sum *deploy.Summary, err error) error {
	var runErr *deploy.RunError
	switch {
	case errors.As(err, &runErr):
		return silent(ExitInternal)
	case err != nil:
		return fail(ExitInternal, "%s: %v", verb, err)
	case sum != nil && !sum.OK:
		return silent(ExitInternal)
	}
	return nil
}

func newDeployCmds(e *env) []*cobra.Command {
	var f commonFlags
	var method string
	var dryRun, replaceFailed, force bool
	deployCmd := &cobra.Command{
		Use:   "deploy [FILE | --from DIR]",
		Short: "Deploy every stack of the plan, in dependency order, across accounts and regions",
		Long: `Deploy compiles FILE (or reads the committed build in --from DIR) and runs
its plan: each stack starts as soon as the stacks it depends on succeeded,
in its account (assuming the account's deployRole unless the caller is
already there) and region. Parameters bound to other stacks' outputs are
filled in as those complete. Unchanged stacks are left alone; a re-run after
an interruption continues where it stopped.

--method changeset (default) creates, shows and executes a change set per
stack and asks before replacing or removing resources unless --yes;
--method direct calls CreateStack/UpdateStack. --dry-run creates the change
sets it can, prints them and executes nothing.

Credentials come from the standard AWS chain; AWS_ENDPOINT_URL and
AWS_ENDPOINT_URL_<SERVICE> point it at another endpoint (e.g. moto_server).
Exit status: 0 when every stack succeeded, 1 otherwise, 2 for invalid input.`,
		Example: `  bgc deploy examples/global-bluegreen/app.yaml
  bgc deploy --from deploy --method direct --yes
  bgc deploy app.yaml --dry-run --output json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if method != deploy.MethodChangeSet && method != deploy.MethodDirect {
				return fail(ExitInvalid, "--method must be %s or %s, not %q", deploy.MethodChangeSet, deploy.MethodDirect, method)
			}
			p, templates, err := e.planSource(args, f.from)
			if err != nil {
				return err
			}
			ctx, cancel := signalContext()
			defer cancel()
			sum, err := deploy.Deploy(ctx, p, templates, deploy.Options{
				Common:        e.common(&f),
				Method:        method,
				DryRun:        dryRun,
				ReplaceFailed: replaceFailed,
				Force:         force,
			})
			return runResult("deploy", sum, err)
		},
	}
	f.register(deployCmd)
	deployCmd.Flags().StringVar(&method, "method", deploy.MethodChangeSet, "changeset or direct")
	deployCmd.Flags().BoolVar(&dryRun, "dry-run", false, "create change sets and show them; execute nothing")
	deployCmd.Flags().BoolVar(&replaceFailed, "replace-failed", false, "delete and re-create stacks whose first create failed (never the key or bucket stacks)")
	deployCmd.Flags().BoolVar(&force, "force", false, "ask CloudFormation even for stacks whose template and parameters did not change")

	var df commonFlags
	var includeRetained bool
	destroyCmd := &cobra.Command{
		Use:   "destroy [FILE | --from DIR]",
		Short: "Delete the plan's stacks in reverse order",
		Long: `Destroy deletes every stack of the plan in reverse dependency order after
confirmation (or --yes). The stacks holding the KMS key and the artifact
buckets, and the stacks they need, are kept unless --include-retained; the
key and buckets themselves carry DeletionPolicy Retain and outlive even
their stacks.`,
		Example: `  bgc destroy examples/global-bluegreen/app.yaml
  bgc destroy --from deploy --yes --include-retained`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, _, err := e.planSource(args, df.from)
			if err != nil {
				return err
			}
			ctx, cancel := signalContext()
			defer cancel()
			sum, err := deploy.Destroy(ctx, p, deploy.DestroyOptions{Common: e.common(&df), IncludeRetained: includeRetained})
			return runResult("destroy", sum, err)
		},
	}
	df.register(destroyCmd)
	destroyCmd.Flags().BoolVar(&includeRetained, "include-retained", false, "also delete the key and artifact-bucket stacks")
	return []*cobra.Command{deployCmd, destroyCmd}
}
