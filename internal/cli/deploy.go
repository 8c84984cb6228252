package cli

import "github.com/spf13/cobra"

func newDeployCmds(e *env) []*cobra.Command { return nil }
