package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bgc-dev/bgc/compiler"
	"github.com/bgc-dev/bgc/compiler/spec"
)

func newValidateCmd(e *env) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "validate [FILE|-]",
		Short: "Check an app.yaml against the schema and bgc's rules",
		Long: `Validate checks FILE (default ./app.yaml; - reads stdin) against the JSON
Schema and bgc's semantic rules, and compiles it (writing nothing) to check
the AWS size limits of the policies it would generate. It prints every
problem at once, sorted by position, as FILE:LINE:COL: path: message, and
exits 0 when the file is valid, 2 when it is not. --output json prints
{"file", "valid", "diagnostics": [{"file", "line", "column", "path",
"message", "hint", "warning"}]} on stdout instead.`,
		Example: `  bgc validate
  bgc validate examples/global-bluegreen/app.yaml
  cat app.yaml | bgc validate - --output json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			file, err := appFile(args)
			if err != nil {
				return err
			}
			if output == "json" {
				out, ds, err := e.compileQuiet(file, compiler.Options{})
				if err != nil {
					return err
				}
				if out != nil {
					ds = append(out.Warnings, ds...)
				}
				shown := file
				if file == "-" {
					shown = stdinName
				}
				if err := writeJSON(e, validationJSON(shown, ds)); err != nil {
					return err
				}
				if ds.HasErrors() {
					return silent(ExitInvalid)
				}
				return nil
			}
			out, err := e.compile(file, compiler.Options{})
			if err != nil {
				return err
			}
			app, shown := out.App, file
			if file == "-" {
				shown = stdinName
			}
			fmt.Fprintf(e.stdout, "%s: valid (%s in %s)\n", shown, plural(len(app.Targets), "target"), plural(len(app.Waves()), "wave"))
			return nil
		},
	}
	cmd.Flags().StringVar(&output, "output", "text", "text or json")
	return cmd
}

// diagnosticJSON is one problem in validate --output json.
type diagnosticJSON struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Path    string `json:"path"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	Warning bool   `json:"warning,omitempty"`
}

func validationJSON(file string, ds spec.Diagnostics) any {
	list := make([]diagnosticJSON, 0, len(ds))
	for _, d := range ds {
		list = append(list, diagnosticJSON{File: d.File, Line: d.Line, Column: d.Column, Path: d.Path, Message: d.Message, Hint: d.Hint, Warning: d.Warning})
	}
	return struct {
		File        string           `json:"file"`
		Valid       bool             `json:"valid"`
		Diagnostics []diagnosticJSON `json:"diagnostics"`
	}{file, !ds.HasErrors(), list}
}

// checkOutput checks an --output value: text or json everywhere.
func checkOutput(output string) error {
	if output != "text" && output != "json" {
		return fail(ExitInvalid, "--output must be text or json, not %q", output)
	}
	return nil
}

// writeJSON prints v as indented JSON on stdout.
func writeJSON(e *env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fail(ExitInternal, "%v", err)
	}
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
