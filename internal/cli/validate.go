package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bgc-dev/bgc/compiler"
)

func newValidateCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Check an app.yaml against the schema and bgc's rules",
		Long: `Validate checks FILE against the JSON Schema and bgc's semantic rules,
and compiles it (writing nothing) to check the AWS size limits of the
policies it would generate. It prints every problem at once, sorted by
position, as FILE:LINE:COL: path: message, and exits 0 when the file is
valid, 2 when it is not.`,
		Example: `  bgc validate examples/global-bluegreen/app.yaml`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := e.compile(args[0], compiler.Options{})
			if err != nil {
				return err
			}
			app := out.App
			fmt.Fprintf(e.stdout, "%s: valid (%s in %s)\n", args[0], plural(len(app.Targets), "target"), plural(len(app.Waves()), "wave"))
			return nil
		},
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
