package cli

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

//go:embed starter.yaml
var starter []byte

func newInitCmd(e *env) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Write a commented starter app.yaml",
		Long: `Init writes DIR/app.yaml (DIR defaults to the current directory): a
commented starter that validates as it is, with every optional setting shown
with its default. It refuses to overwrite an existing file unless --force.`,
		Example: `  bgc init myapp && bgc validate myapp/app.yaml`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			path := filepath.Join(dir, "app.yaml")
			if _, err := os.Stat(path); err == nil && !force {
				return fail(ExitInvalid, "%s already exists (use --force to overwrite)", path)
			} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fail(ExitInternal, "%v", err)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fail(ExitInternal, "%v", err)
			}
			if err := os.WriteFile(path, starter, 0o644); err != nil {
				return fail(ExitInternal, "%v", err)
			}
			fmt.Fprintf(e.stdout, "wrote %s\nnext: edit it, then run: bgc validate %s\n", path, path)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing app.yaml")
	return cmd
}
