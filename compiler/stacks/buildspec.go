package stacks

import (
	"strings"

	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/plan"
)

// releaseDir is where the build stages its output artifact.
const releaseDir = ".bgc-release"

// buildScript builds the image once, then for every target (TARGETS holds
// "<account>/<region>/<accountId>" words): logs in to its registry, pushes
// the built image under a tag unique to this build (repositories are
// IMMUTABLE), reads the pushed digest and renders the target's taskdef.json
// with <IMAGE1_NAME> replaced by "<repository>@<digest>", next to its
// appspec.yaml, into one output artifact. The deploy actions read
// "<account>/<region>/taskdef.json" and "appspec.yaml" from it. Runs in a
// subshell so `set -e` ends the script, not CodeBuild's shell.
var buildScript = `(
set -euo pipefail
tag="${CODEBUILD_RESOLVED_SOURCE_VERSION}-${CODEBUILD_BUILD_NUMBER}"
docker build --file "$DOCKERFILE" --tag "bgc-build:$tag" "$BUILD_CONTEXT"
rm -rf "` + releaseDir + `"
for target in $TARGETS; do
  IFS=/ read -r account region account_id <<<"$target"
  case "$region" in cn-*) domain=amazonaws.com.cn ;; *) domain=amazonaws.com ;; esac
  registry="$account_id.dkr.ecr.$region.$domain"
  aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry"
  docker tag "bgc-build:$tag" "$registry/$REPOSITORY:$tag"
  docker push "$registry/$REPOSITORY:$tag"
  digest="$(aws ecr describe-images --region "$region" --registry-id "$account_id" --repository-name "$REPOSITORY" --image-ids "imageTag=$tag" --query 'imageDetails[0].imageDigest' --output text)"
  case "$digest" in sha256:*) ;; *) echo "no digest for $registry/$REPOSITORY:$tag" >&2; exit 1 ;; esac
  echo "$account/$region: $registry/$REPOSITORY@$digest"
  out="` + releaseDir + `/` + shellTargetDir + `"
  mkdir -p "$out"
  sed "s|<IMAGE1_NAME>|$registry/$REPOSITORY@$digest|g" "$OUTPUT_DIR/` + shellTaskDef + `" > "$out/` + plan.TaskDefFile + `"
  cp "$OUTPUT_DIR/` + shellAppSpec + `" "$out/` + plan.AppSpecFile + `"
done
)`

// The layout's per-target paths in terms of the script's variables: the
// build reads the committed build output and writes the release artifact
// in the same layout, which the deploy actions read.
var (
	shellTargetDir = plan.TargetDir("$account", "$region")
	shellTaskDef   = plan.TaskDefPath("$account", "$region")
	shellAppSpec   = plan.AppSpecPath("$account", "$region")
)

// buildspec renders buildspec.yml.
func buildspec(app *model.App) ([]byte, error) {
	var targets []string
	for _, t := range app.Targets {
		targets = append(targets, t.Account+"/"+t.Region+"/"+t.AccountID)
	}
	spec := map[string]any{
		"version": 0.2,
		"env": map[string]any{
			"shell": "bash",
			"variables": map[string]any{
				"OUTPUT_DIR":    app.Source.OutputDir,
				"DOCKERFILE":    app.Service.Dockerfile,
				"BUILD_CONTEXT": app.Service.BuildContext,
				"REPOSITORY":    app.ECRRepositoryName(),
				"TARGETS":       strings.Join(targets, " "),
			},
		},
		"phases": map[string]any{
			"build": map[string]any{"commands": []string{buildScript}},
		},
		"artifacts": map[string]any{
			"base-directory": releaseDir,
			"files":          []string{"**/*"},
		},
	}
	return cfn.Marshal(spec, cfn.YAML)
}
