// Package cli is bgc's command line. Run is the whole program: main only
// calls it, so tests drive the real CLI in-process with buffers.
package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Exit statuses.
const (
	ExitOK       = 0
	ExitInternal = 1 // internal failure, or `build --check` found a stale tree
	ExitInvalid  = 2 // invalid input or usage
)

// exitError carries an exit status through cobra; its message, if any, has
// already been printed.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func fail(code int, format string, args ...any) error {
	return &exitError{code: code, msg: fmt.Sprintf(format, args...)}
}

// silent returns an exit status whose details were already printed.
func silent(code int) error { return &exitError{code: code} }

// env is what every command reads and writes.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// profile and region are bgc diff's base-credential flags.
	profile, region string
}

// Run executes bgc with args and returns the exit status.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			for _, line := range strings.Split(ee.msg, "\n") {
				fmt.Fprintln(stderr, "bgc: "+line)
			}
		}
		return ee.code
	}
	// cobra's own errors: unknown command or flag, wrong argument count.
	fmt.Fprintln(stderr, "bgc: "+err.Error())
	fmt.Fprintln(stderr, `Run "bgc --help" for usage.`)
	return ExitInvalid
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "bgc",
		Short: "Compile one app.yaml into global blue/green delivery on AWS",
		Long: `bgc compiles one app.yaml (accounts, regions, the multi-region KMS key, the
service) into every CloudFormation template, taskdef.json, appspec.yaml and
buildspec a cross-account, cross-region ECS blue/green pipeline needs, plus a
deployment plan, and deploys that plan.`,
		Example: `  bgc init myapp
  bgc validate myapp/app.yaml
  bgc build myapp/app.yaml -o myapp/deploy
  bgc deploy myapp/app.yaml`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       readBuildInfo().String(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(
		newValidateCmd(e),
		newBuildCmd(e),
		newDiffCmd(e),
		newPlanCmd(e),
		newGraphCmd(e),
		newSchemaCmd(e),
		newInitCmd(e),
		newVersionCmd(e),
	)
	root.AddCommand(newDeployCmds(e)...)
	return root
}
