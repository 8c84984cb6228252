package spec

import (
	"fmt"
	"regexp"
	"sort"
)

// AWS limits on the physical names bgc derives (model/names.go).
const (
	maxALBName        = 32
	maxTargetGroup    = 32
	maxRoleName       = 64
	maxBucketName     = 63
	maxLambdaName     = 64
	maxLogGroup       = 512
	maxECRName        = 256
	maxCodeDeployName = 100
	maxPipelineName   = 100
	maxStackName      = 128
	maxBuildProject   = 255
	maxAliasName      = 256
)

var bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*[a-z0-9]$`)

// checkNames derives every physical name and checks it against its AWS
// limit. Names are reported at the app's name, the stem of all of them.
func (c *checker) checkNames() {
	app := c.app
	type limit struct {
		what string
		name string
		max  int
	}
	var limits []limit
	add := func(what, name string, max int) { limits = append(limits, limit{what, name, max}) }
	add("load balancer name", app.LoadBalancerName(), maxALBName)
	add("target group name", app.TargetGroupName("green"), maxTargetGroup)
	add("target group name", app.TargetGroupName("blue"), maxTargetGroup)
	add("log group name", app.LogGroupName(), maxLogGroup)
	add("ECR repository name", app.ECRRepositoryName(), maxECRName)
	add("CodeDeploy application name", app.CodeDeployApplication(), maxCodeDeployName)
	add("CodeDeploy deployment group name", app.DeploymentGroupName(), maxCodeDeployName)
	add("pipeline name", app.PipelineName(), maxPipelineName)
	add("CodeBuild project name", app.BuildProjectName(), maxBuildProject)
	add("Lambda function name", app.PRLambdaName(), maxLambdaName)
	add("KMS alias", app.Key.Alias, maxAliasName)
	for _, r := range []string{app.PipelineRoleName(), app.PipelineEventsRoleName(), app.BuildRoleName(), app.PRLambdaRoleName()} {
		add("IAM role name", r, maxRoleName)
	}
	for _, k := range []string{"network", "registry", "service", "delivery"} {
		add("stack name", app.WorkloadStackName(k), maxStackName)
	}
	regions := map[string]bool{}
	for _, t := range app.Targets {
		regions[t.Region] = true
	}
	for _, r := range sortedKeys(regions) {
		for _, n := range []string{app.ExecutionRoleName(r), app.TaskRoleName(r), app.CodeDeployRoleName(r), app.DeployActionRoleName(r)} {
			add("IAM role name", n, maxRoleName)
		}
	}
	for _, r := range app.ArtifactRegions() {
		add("S3 bucket name", app.ArtifactBucketName(r), maxBucketName)
	}
	reported := map[string]bool{}
	for _, l := range limits {
		if len(l.name) > l.max && !reported[l.what] {
			reported[l.what] = true
			c.at(path("name"), fmt.Sprintf("the derived %s %q is %d characters; AWS allows %d", l.what, l.name, len(l.name), l.max),
				"shorten name or service.name")
		}
	}
	for _, r := range app.ArtifactRegions() {
		if b := app.ArtifactBucketName(r); !bucketRE.MatchString(b) {
			c.at(path("name"), fmt.Sprintf("the derived S3 bucket name %q is not DNS-safe", b), "")
			break
		}
	}
}

// CodePipeline quotas.
const (
	maxActionsPerStage = 50
	maxStages          = 50
)

// checkPipelineLimits counts the stages the pipeline needs. Waves with more
// than 50 targets are split into several stages, so only the stage count
// can exceed a quota.
func (c *checker) checkPipelineLimits() {
	waves := c.app.Waves()
	stages := 2 // source, build
	for _, w := range waves {
		stages += (len(w) + maxActionsPerStage - 1) / maxActionsPerStage
	}
	if c.app.Deployment.ApprovalBetweenWaves && len(waves) > 1 {
		stages += len(waves) - 1
	}
	if stages > maxStages {
		c.at(path("accounts"), fmt.Sprintf("the pipeline would need %d stages; CodePipeline allows %d", stages, maxStages), "use fewer waves, or turn off deployment.approvalBetweenWaves")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
