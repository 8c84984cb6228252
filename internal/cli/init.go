package cli

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bgc-dev/bgc/schema"
)

//go:embed starter.yaml
var starter []byte

// starterName is the app name the embedded starter uses.
const starterName = "myapp"

// appName is what app.yaml's name allows (schema: name).
var appName = regexp.MustCompile(`^[a-z][a-z0-9-]*[a-z0-9]$`)

// nameFrom makes an app name of a directory's name ("My Service" ->
// "my-service"), or returns "" when nothing usable is left.
func nameFrom(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	base := strings.ToLower(filepath.Base(abs))
	var b strings.Builder
	for _, r := range base {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	name := strings.Trim(regexp.MustCompile(`-+`).ReplaceAllString(b.String(), "-"), "-0123456789")
	if len(name) > 20 {
		name = strings.TrimRight(name[:20], "-")
	}
	if !appName.MatchString(name) {
		return ""
	}
	return name
}

func newInitCmd(e *env) *cobra.Command {
	var force bool
	var name string
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Write a commented starter app.yaml and its JSON Schema",
		Long: `Init writes DIR/app.yaml (DIR defaults to the current directory): a
commented starter that validates as it is, with every optional setting shown
with its default, and DIR/app.schema.json, the schema its first line points
editors at. The app is named --name, or after DIR when that makes a valid
name (lowercase letters, digits and hyphens, 2 to 20 characters), else
myapp. It refuses to overwrite either file unless --force.`,
		Example: `  bgc init myapp && cd myapp && bgc validate && bgc build && bgc graph
  bgc init --name shop`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			if name == "" {
				name = nameFrom(dir)
			} else if !appName.MatchString(name) || len(name) > 20 {
				return fail(ExitInvalid, "--name %q: must be 2 to 20 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen", name)
			}
			if name == "" {
				name = starterName
			}
			files := []struct {
				path string
				data []byte
			}{
				{filepath.Join(dir, defaultFile), regexp.MustCompile(`\b`+starterName+`\b`).ReplaceAll(starter, []byte(name))},
				{filepath.Join(dir, "app.schema.json"), schema.JSON},
			}
			for _, f := range files {
				if _, err := os.Stat(f.path); err == nil && !force {
					return fail(ExitInvalid, "%s already exists (use --force to overwrite)", f.path)
				} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fail(ExitInternal, "%v", err)
				}
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fail(ExitInternal, "%v", err)
			}
			for _, f := range files {
				if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
					return fail(ExitInternal, "%v", err)
				}
				fmt.Fprintf(e.stdout, "wrote %s\n", f.path)
			}
			next := "bgc validate && bgc build && bgc graph"
			if dir != "." {
				next = "cd " + dir + " && " + next
			}
			fmt.Fprintf(e.stdout, "app %s: edit app.yaml (accounts, regions, service), then run: %s\n", name, next)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing app.yaml and app.schema.json")
	cmd.Flags().StringVar(&name, "name", "", "the app's name (default: DIR's name when valid, else myapp)")
	return cmd
}
