package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/bgc-dev/bgc/compiler"
	"github.com/bgc-dev/bgc/deploy"
	"github.com/bgc-dev/bgc/plan"
	"github.com/bgc-dev/bgc/plan/planfile"
)

// planSource is the plan a deploy or destroy runs: an app.yaml compiled now
// (the typed plan, in-process), or a committed build (--from DIR: its
// plan.json and templates).
func (e *env) planSource(args []string, from, format string) (*plan.Plan, error) {
	switch {
	case from != "" && len(args) > 0:
		return nil, fail(ExitInvalid, "give either FILE or --from DIR, not both")
	case from != "":
		p, err := planfile.Load(os.DirFS(from))
		if err != nil {
			// Each line starts with plan.json: name it by its path.
			lines := strings.Split(err.Error(), "\n")
			for i, l := range lines {
				lines[i] = filepath.Clean(from) + string(filepath.Separator) + l
			}
			return nil, fail(ExitInvalid, "%s", strings.Join(lines, "\n"))
		}
		return p, nil
	}
	file, err := appFile(args)
	if err != nil {
		return nil, err
	}
	f, err := templateFormat(format)
	if err != nil {
		return nil, err
	}
	out, err := e.compile(file, compiler.Options{Format: f})
	if err != nil {
		return nil, err
	}
	return out.Plan, nil
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
	timeout         time.Duration
	profile, region string
}

// parse checks the flag values: usage errors exit 2 before anything runs.
func (f *commonFlags) parse() (deploy.OutputFormat, error) {
	out, err := deploy.ParseOutputFormat(f.output)
	if err != nil {
		return "", fail(ExitInvalid, "--output: %v", err)
	}
	if f.concurrency < 1 {
		return "", fail(ExitInvalid, "--concurrency must be at least 1, not %d", f.concurrency)
	}
	if f.perTarget < 1 {
		return "", fail(ExitInvalid, "--per-target-concurrency must be at least 1, not %d", f.perTarget)
	}
	if f.runID != "" {
		if err := deploy.CheckRunID(f.runID); err != nil {
			return "", fail(ExitInvalid, "--run-id: %v", err)
		}
	}
	if f.timeout < 0 {
		return "", fail(ExitInvalid, "--timeout must not be negative")
	}
	return out, nil
}

func (f *commonFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.from, "from", "", "use the committed build in DIR (its plan.json and templates) instead of compiling FILE")
	cmd.Flags().BoolVarP(&f.yes, "yes", "y", false, "approve replacements, removals and deletions without asking")
	cmd.Flags().BoolVar(&f.continueOnError, "continue-on-error", false, "after a failure keep going in branches that do not depend on it")
	cmd.Flags().IntVar(&f.concurrency, "concurrency", 8, "stacks in flight at once")
	cmd.Flags().IntVar(&f.perTarget, "per-target-concurrency", 3, "stacks in flight at once per account and region")
	cmd.Flags().StringVar(&f.output, "output", "text", "text, or json: NDJSON events and a final summary on stdout")
	cmd.Flags().StringVar(&f.runID, "run-id", "", "name of this run (change sets and role sessions are bgc-<run-id>); default: the time")
	awsFlags(cmd, &f.profile, &f.region)
	cmd.Flags().DurationVar(&f.timeout, "timeout", defaultTimeout, "stop watching after this long (0: never); CloudFormation carries on and a re-run continues")
}

// detailedExit is a dry run's status with --detailed-exitcode: 0 nothing
// would change, 2 something would, 1 any error (an invalid input too, as
// terraform plan; interrupts keep 130).
func detailedExit(err error, sum *deploy.Summary) error {
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.code == ExitInvalid {
			return &exitError{code: ExitInternal, msg: ee.msg}
		}
		return err
	}
	if err != nil {
		return err
	}
	if sum != nil && sum.Pending() {
		return silent(ExitInvalid)
	}
	return nil
}

// writeOutputs writes the outputs of every stack the run knows, keyed by
// account name, region and stack name, through a temporary file so a
// reader never sees half of it.
func writeOutputs(path string, sum *deploy.Summary) error {
	out := map[string]map[string]map[string]map[string]string{}
	for _, r := range sum.Stacks {
		if r.StackName == "" || len(r.Outputs) == 0 {
			continue
		}
		account := r.ID[:strings.Index(r.ID, "/")]
		if out[account] == nil {
			out[account] = map[string]map[string]map[string]string{}
		}
		if out[account][r.Region] == nil {
			out[account][r.Region] = map[string]map[string]string{}
		}
		out[account][r.Region][r.StackName] = r.Outputs
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".outputs-*")
	if err != nil {
		return fmt.Errorf("write --outputs-file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write --outputs-file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write --outputs-file: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write --outputs-file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write --outputs-file: %w", err)
	}
	return nil
}

// awsFlags are the base-credential flags of every command that calls AWS,
// as the AWS CLI spells them.
func awsFlags(cmd *cobra.Command, profile, region *string) {
	cmd.Flags().StringVar(profile, "profile", "", "shared config profile of the base credentials (default: AWS_PROFILE, or the default chain)")
	cmd.Flags().StringVar(region, "region", "", "region of the base credentials' calls, such as STS (default: AWS_REGION or the profile's)")
}

// defaultTimeout is long enough for the slowest healthy first deploy of a
// large fleet (ECS services can take tens of minutes to stabilise), short
// enough that a hung run ends on its own.
const defaultTimeout = 2 * time.Hour

func (e *env) common(f *commonFlags, output deploy.OutputFormat) deploy.Common {
	return deploy.Common{
		ContinueOnError:      f.continueOnError,
		Yes:                  f.yes,
		Concurrency:          f.concurrency,
		PerTargetConcurrency: f.perTarget,
		Output:               output,
		Stdout:               e.stdout,
		Stderr:               e.stderr,
		Stdin:                e.stdin,
		IsTTY:                isTerminal(e.stderr) && isTerminal(e.stdin) && os.Getenv("TERM") != "dumb",
		RunID:                f.runID,
		Timeout:              f.timeout,
		Profile:              f.profile,
		Region:               f.region,
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

// ExitInterrupted is the status of a run stopped by Ctrl-C (128 + SIGINT,
// as shells report it).
const ExitInterrupted = 130

// runResult turns a deploy or destroy outcome into an exit status: the
// summary already said what failed, so only other errors are printed. An
// interrupted run ends with one line that says how to continue; stopped
// by a signal it exits 130, by its --timeout 1.
func (e *env) runResult(ctx context.Context, verb string, sum *deploy.Summary, err error) error {
	if ctx.Err() != nil {
		fmt.Fprintln(e.stderr, "interrupted: re-run the same command to continue")
		return silent(ExitInterrupted)
	}
	if sum != nil && sum.Interrupted {
		fmt.Fprintln(e.stderr, "timed out: re-run the same command to continue")
		return silent(ExitInternal)
	}
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
	var method, format string
	var dryRun, replaceFailed, force bool
	var outputsFile string
	var detailed bool
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

Before anything changes, deploy compares the plan with what is deployed (as
bgc diff does) and refuses, exit 2, a change the live stacks cannot take:
replacing a resource with a fixed name, modifying the ECS service CodeDeploy
owns, replacing or deleting a resource that holds data, pointing a listener
at another target group. Listeners keep the target group CodeDeploy made
live, and a service or delivery stack waits while a CodeDeploy deployment
of its target runs.

Credentials come from the standard AWS chain; AWS_ENDPOINT_URL and
AWS_ENDPOINT_URL_<SERVICE> point it at another endpoint (e.g. moto_server).
Ctrl-C stops bgc watching: CloudFormation finishes what it started, nothing
is deleted, and re-running the same command continues.
Exit status: 0 when every stack succeeded, 1 otherwise, 2 for invalid input,
130 when interrupted.`,
		Example: `  bgc deploy examples/global-bluegreen/app.yaml
  bgc deploy --from deploy --method direct --yes
  bgc deploy app.yaml --dry-run --output json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			var sum *deploy.Summary
			defer func() {
				if detailed && dryRun {
					err = detailedExit(err, sum)
				}
			}()
			if detailed && !dryRun {
				return fail(ExitInvalid, "--detailed-exitcode needs --dry-run: it reports whether a real run would change anything")
			}
			m, err := deploy.ParseMethod(method)
			if err != nil {
				return fail(ExitInvalid, "--method: %v", err)
			}
			output, err := f.parse()
			if err != nil {
				return err
			}
			p, err := e.planSource(args, f.from, format)
			if err != nil {
				return err
			}
			ctx, cancel := signalContext()
			defer cancel()
			if err := e.refuseLive(ctx, p, f.from, e.common(&f, output)); err != nil {
				return err
			}
			sum, err = deploy.Deploy(ctx, p, deploy.Options{
				Common:        e.common(&f, output),
				Method:        m,
				DryRun:        dryRun,
				ReplaceFailed: replaceFailed,
				Force:         force,
			})
			if outputsFile != "" && sum != nil {
				if werr := writeOutputs(outputsFile, sum); werr != nil {
					fmt.Fprintf(e.stderr, "bgc: %v\n", werr)
					if err == nil && sum.OK {
						return silent(ExitInternal)
					}
				}
			}
			return e.runResult(ctx, "deploy", sum, err)
		},
	}
	f.register(deployCmd)
	deployCmd.Flags().BoolVar(&detailed, "detailed-exitcode", false, "with --dry-run, exit 0 when nothing would change, 2 when something would, 1 on any error (as terraform plan)")
	deployCmd.Flags().StringVar(&method, "method", string(deploy.MethodChangeSet), "changeset or direct")
	deployCmd.Flags().BoolVar(&dryRun, "dry-run", false, "create change sets and show them; execute nothing")
	deployCmd.Flags().BoolVar(&replaceFailed, "replace-failed", false, "delete and re-create stacks whose first create failed (never the key or bucket stacks)")
	deployCmd.Flags().StringVar(&outputsFile, "outputs-file", "", "write every stack's outputs as JSON to FILE: {account: {region: {stack: {output: value}}}}")
	deployCmd.Flags().BoolVar(&force, "force", false, "ask CloudFormation even for stacks whose template and parameters did not change")
	deployCmd.Flags().StringVar(&format, "format", "yaml", "template format FILE compiles to, as bgc build --format: the committed build's, which the pipeline checks against")

	var df commonFlags
	var includeRetained, destroyDryRun bool
	var targets []string
	destroyCmd := &cobra.Command{
		Use:   "destroy [FILE | --from DIR]",
		Short: "Delete the plan's stacks in reverse order",
		Long: `Destroy deletes every stack of the plan in reverse dependency order after
confirmation (or --yes). The stacks holding state (the KMS key, the artifact
buckets, the ECR and CodeCommit repositories), and the stacks they need, are
kept unless --include-retained. Those resources carry DeletionPolicy Retain
and outlive even their stacks: destroy lists each one it leaves behind with
the command that removes it. --dry-run shows all of that and deletes
nothing.

--target ACCOUNT/REGION (repeatable) deletes only that target's stacks:
the way to remove a target taken out of app.yaml (run it with a build that
still has it, after deploying the rest) or to recreate one.`,
		Example: `  bgc destroy examples/global-bluegreen/app.yaml --dry-run
  bgc destroy --from deploy --yes --include-retained
  bgc destroy --from old-build --target test3/us-east-1`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			output, err := df.parse()
			if err != nil {
				return err
			}
			p, err := e.planSource(args, df.from, "")
			if err != nil {
				return err
			}
			if len(targets) > 0 {
				if err := checkRecreate(targets, p); err != nil {
					return fail(ExitInvalid, "%s", strings.ReplaceAll(err.Error(), "--recreate", "--target"))
				}
				p = p.Only(func(s plan.Stack) bool { return slices.Contains(targets, targetOf(s.ID)) })
			}
			ctx, cancel := signalContext()
			defer cancel()
			sum, err := deploy.Destroy(ctx, p, deploy.DestroyOptions{Common: e.common(&df, output), IncludeRetained: includeRetained, DryRun: destroyDryRun})
			return e.runResult(ctx, "destroy", sum, err)
		},
	}
	df.register(destroyCmd)
	destroyCmd.Flags().BoolVar(&includeRetained, "include-retained", false, "also delete the key, artifact-bucket and repository stacks")
	destroyCmd.Flags().BoolVar(&destroyDryRun, "dry-run", false, "show what would be deleted, kept and left behind; delete nothing")
	destroyCmd.Flags().StringSliceVar(&targets, "target", nil, "delete only the stacks of target ACCOUNT/REGION (repeatable)")
	return []*cobra.Command{deployCmd, destroyCmd}
}
