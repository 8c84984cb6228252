package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/bgc-dev/bgc/compiler"
	"github.com/bgc-dev/bgc/compiler/update"
)

func newBuildCmd(e *env) *cobra.Command {
	var outDir, format string
	var check bool
	var recreate []string
	cmd := &cobra.Command{
		Use:   "build [FILE] [-o DIR]",
		Short: "Generate every template, taskdef, appspec, buildspec and the plan",
		Long: `Build validates FILE (default ./app.yaml) and writes into DIR (default
source.outputDir, "deploy", next to FILE: where the pipeline's build reads
it in the repository) every CloudFormation template per
account and region (DIR/<account>/<region>/<stack>.template.yaml), each
target's taskdef.json and appspec.yaml, buildspec.yml and plan.json. Output
is byte-for-byte deterministic: commit it and review it.

Nothing is written when FILE is invalid (exit 2). bgc owns only the files
its plan.json in DIR records as written by an earlier build: it replaces and
removes those (naming each file it removes), refuses to overwrite any other
file, never writes through a symbolic link, and leaves everything else in
DIR alone. Files are staged before they replace the old ones.

When DIR holds an earlier build, it is the record of what is deployed, and
build refuses (exit 2, nothing written) a change that cannot be deployed
over it: one that would make CloudFormation replace a resource with a fixed
name, modify the ECS service CodeDeploy owns (its stack tags included),
replace or delete a resource that holds data, or point a listener at
another target group. Each refusal names the template, the resource, the
reason and the way forward; --recreate ACCOUNT/REGION accepts them for a
target that is not deployed (or will be destroyed first). bgc diff shows
every change of a build.

With --check nothing is written: build exits 1 and lists missing, stale and
extra files (recorded by the earlier build, no longer generated) when DIR
differs from what would be generated, 0 when it matches.`,
		Example: `  bgc build
  bgc build examples/global-bluegreen/app.yaml
  bgc build --check`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("output") {
				fmt.Fprintln(e.stderr, "bgc: warning: --output DIR is deprecated: use -o/--out DIR (--output names formats in bgc)")
			}
			file, err := appFile(args)
			if err != nil {
				return err
			}
			if file == "-" {
				return fail(ExitInvalid, "build reads FILE from disk: source.outputDir is relative to its directory")
			}
			f, err := templateFormat(format)
			if err != nil {
				return err
			}
			out, err := e.compile(file, compiler.Options{Format: f})
			if err != nil {
				return err
			}
			outDir = e.buildDir(file, outDir, out.App.Source.OutputDir)
			if check {
				d, err := diffTree(outDir, out.Files)
				if err != nil {
					return outDirFailure(err)
				}
				if d.empty() && len(d.Foreign) == 0 {
					fmt.Fprintf(e.stdout, "%s is up to date (%d files)\n", outDir, len(out.Files))
					return nil
				}
				for _, p := range d.Missing {
					fmt.Fprintf(e.stdout, "missing: %s\n", p)
				}
				for _, p := range d.Stale {
					fmt.Fprintf(e.stdout, "stale: %s\n", p)
				}
				for _, p := range d.Foreign {
					fmt.Fprintf(e.stdout, "not bgc's: %s\n", p)
				}
				for _, p := range d.Extra {
					fmt.Fprintf(e.stdout, "extra: %s\n", p)
				}
				fmt.Fprintf(e.stderr, "bgc: %s is out of date; run: %s\n", outDir, rebuild(file, outDir, cmd.Flags().Changed("out") || cmd.Flags().Changed("output")))
				return silent(ExitInternal)
			}
			prev, err := previousBuild(outDir)
			if err != nil {
				return err
			}
			if err := checkRecreate(recreate, prev, out.Plan); err != nil {
				return err
			}
			if prev != nil {
				rep, err := update.Compare(update.Side{Plan: prev}, update.Side{Plan: out.Plan}, update.Options{Recreate: recreate})
				if err != nil {
					return fail(ExitInternal, "compare with the earlier build in %s: %v", outDir, err)
				}
				if err := e.refuseUnsafe(rep, templatePaths(outDir, out.Plan, prev), "nothing was written"); err != nil {
					return err
				}
				warnNewWebACL(e.stderr, rep, out.Plan, recreate)
			}
			d, err := writeTree(outDir, out.Files)
			if err != nil {
				return outDirFailure(err)
			}
			for _, p := range d.Extra {
				fmt.Fprintf(e.stdout, "removed: %s\n", p)
			}
			fmt.Fprintf(e.stdout, "%s: %d files (%d written, %d removed, %d unchanged)\n",
				outDir, len(out.Files), len(d.Missing)+len(d.Stale), len(d.Extra), len(out.Files)-len(d.Missing)-len(d.Stale))
			return nil
		},
	}
	cmd.Flags().StringVarP(&outDir, "out", "o", "", "output directory (default: source.outputDir next to FILE, where the pipeline reads it)")
	cmd.Flags().StringVar(&outDir, "output", "", "output directory")
	_ = cmd.Flags().MarkHidden("output") // the name before -o/--out; --output names formats in bgc
	cmd.Flags().StringVar(&format, "format", "yaml", "template format: yaml or json")
	cmd.Flags().BoolVar(&check, "check", false, "write nothing; exit 1 if DIR differs from what would be generated")
	cmd.Flags().StringSliceVar(&recreate, "recreate", nil, "accept changes that need target ACCOUNT/REGION recreated (repeatable)")
	return cmd
}

// outDirFailure is the exit status of a directory build refuses (2) or
// cannot write (1).
func outDirFailure(err error) error {
	var refused *outDirError
	if errors.As(err, &refused) {
		return fail(ExitInvalid, "%v", err)
	}
	return fail(ExitInternal, "%v", err)
}

// buildDir is where build writes: -o DIR, or source.outputDir next to the
// app.yaml. The generated buildspec and CodeBuild project read the build
// from source.outputDir in the repository, so a build elsewhere is one the
// pipeline will not see: say so.
func (e *env) buildDir(file, flag, outputDir string) string {
	want := filepath.Join(filepath.Dir(file), filepath.FromSlash(outputDir))
	if flag == "" {
		return want
	}
	if !samePath(flag, want) {
		fmt.Fprintf(e.stderr, "bgc: warning: the pipeline reads the build from %s/ in the repository (source.outputDir), not %s; "+
			"commit this build there, or set source.outputDir\n", outputDir, flag)
	}
	return flag
}

// samePath says two paths name the same directory (whether it exists yet).
func samePath(a, b string) bool {
	abs := func(p string) string {
		if x, err := filepath.Abs(p); err == nil {
			return x
		}
		return filepath.Clean(p)
	}
	return abs(a) == abs(b)
}

// rebuild is the command that brings a stale DIR up to date.
func rebuild(file, dir string, explicit bool) string {
	cmd := "bgc build"
	if file != defaultFile {
		cmd += " " + file
	}
	if explicit {
		cmd += " -o " + dir
	}
	return cmd
}
