package cli

import (
	"github.com/spf13/cobra"

	"github.com/bgc-dev/bgc/schema"
)

func newSchemaCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of app.yaml",
		Long: `Schema prints the JSON Schema (draft 2020-12) bgc validates app.yaml with.
Editors use it for completion and hover help, e.g. with the line
# yaml-language-server: $schema=app.schema.json`,
		Example: `  bgc schema > app.schema.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := e.stdout.Write(schema.JSON)
			return err
		},
	}
}
