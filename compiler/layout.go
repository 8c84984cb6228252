package compiler

import (
	"path"
	"strings"
)

// Files bgc writes at the top of the output directory.
const (
	PlanFile      = "plan.json"
	BuildspecFile = "buildspec.yml"
)

// IsGenerated reports whether a slash path relative to the output directory
// has the shape of a file bgc writes: plan.json, buildspec.yml, and
// <account>/<region>/{*.template.yaml,*.template.json,taskdef.json,appspec.yaml}.
// `build` deletes such files when they are no longer generated and
// `build --check` reports them as extra; anything else in the directory is
// the user's and left alone.
func IsGenerated(p string) bool {
	switch p {
	case PlanFile, BuildspecFile:
		return true
	}
	parts := strings.Split(p, "/")
	if len(parts) != 3 {
		return false
	}
	base := parts[2]
	switch {
	case base == "taskdef.json", base == "appspec.yaml":
		return true
	case strings.HasSuffix(base, ".template.yaml"), strings.HasSuffix(base, ".template.json"):
		return path.Ext(base) != ""
	}
	return false
}
