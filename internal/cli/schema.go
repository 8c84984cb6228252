package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/bgc-dev/bgc/schema"
)

func newSchemaCmd(e *env) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "schema [-o FILE]",
		Short: "Print (or write) the JSON Schema of app.yaml",
		Long: `Schema prints the JSON Schema (draft 2020-12) bgc validates app.yaml with,
or writes it to FILE with -o. Editors use it for completion and hover help
through app.yaml's first line, # yaml-language-server: $schema=app.schema.json
(bgc init writes both); refresh it after upgrading bgc.`,
		Example: `  bgc schema -o app.schema.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				_, err := e.stdout.Write(schema.JSON)
				return err
			}
			if err := os.WriteFile(out, schema.JSON, 0o644); err != nil {
				return fail(ExitInternal, "%v", err)
			}
			fmt.Fprintf(e.stdout, "wrote %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the schema to FILE")
	return cmd
}
