package plan

import "strings"

// The layout of a build directory, in one place. The compiler writes it,
// the pipeline's build reads it from the repository (source.outputDir),
// the CodeDeployToECS actions read the per-target files from the build's
// artifact, and `bgc deploy --from DIR` reads plan.json and the templates.
//
//	plan.json
//	buildspec.yml
//	<account>/<region>/<stack>.template.yaml|json
//	<account>/<region>/taskdef.json
//	<account>/<region>/appspec.yaml
//
// <account> is the account's name in app.yaml ("tools" for the tools
// account), <stack> the CloudFormation stack name.
const (
	// File is the plan's file name at the top of the directory.
	File = "plan.json"
	// BuildspecFile is the CodeBuild spec at the top of the directory.
	BuildspecFile = "buildspec.yml"
	// TaskDefFile and AppSpecFile are each target's release inputs.
	TaskDefFile = "taskdef.json"
	AppSpecFile = "appspec.yaml"
)

// TargetDir is the directory of one account name and region.
func TargetDir(account, region string) string { return account + "/" + region }

// TemplatePath is where a stack's template lives; ext is "yaml" or "json".
func TemplatePath(account, region, stackName, ext string) string {
	return TargetDir(account, region) + "/" + stackName + ".template." + ext
}

// TaskDefPath is a target's taskdef.json.
func TaskDefPath(account, region string) string {
	return TargetDir(account, region) + "/" + TaskDefFile
}

// AppSpecPath is a target's appspec.yaml.
func AppSpecPath(account, region string) string {
	return TargetDir(account, region) + "/" + AppSpecFile
}

// IsLayoutPath reports whether a slash path relative to the directory has
// the shape of a file of this layout (which alone does not make it bgc's:
// a build owns the files its plan.json records).
func IsLayoutPath(p string) bool {
	switch p {
	case File, BuildspecFile:
		return true
	}
	parts := strings.Split(p, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[0] == "." || parts[0] == ".." || parts[1] == "." || parts[1] == ".." {
		return false
	}
	base := parts[2]
	switch {
	case base == TaskDefFile, base == AppSpecFile:
		return true
	case strings.HasSuffix(base, ".template.yaml"), strings.HasSuffix(base, ".template.json"):
		return !strings.HasPrefix(base, ".template.")
	}
	return false
}
