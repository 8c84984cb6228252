package stacks

import (
	"strings"

	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/plan"
)

// releaseDir is where the build stages its output artifact.
const releaseDir = ".bgc-release"

// guardScript runs first: the build stops, before building anything, when
// the committed bgc build is not the one deployed. BGC_BUILT_PLAN is this
// commit's fingerprint (buildspec.yml), BGC_DEPLOYED_PLAN the deployed
// one (the build project's environment, which `bgc deploy` sets; CodeBuild
// gives project variables precedence over the buildspec's, so the two
// names differ). Without it, a commit that adds a target or changes roles,
// merged before `bgc deploy` ran, would fail mid-wave against a deployment
// group or roles that do not exist yet.
const guardScript = `if [ "${BGC_DEPLOYED_PLAN:-}" != "$BGC_BUILT_PLAN" ]; then
  echo "bgc: this commit's build output (plan $BGC_BUILT_PLAN) is not what is deployed (plan ${BGC_DEPLOYED_PLAN:-none}): run bgc deploy for this commit, then release it again (aws codepipeline start-pipeline-execution --name $PIPELINE)" >&2
  exit 1
fi`

// buildScript builds the image once, then (TARGETS holds
// "<account>/<region>/<accountId>" words) logs in to every target's
// registry, one after another (docker login writes one config file), and
// pushes the built image to all of them in parallel, PARALLEL_PUSHES at a
// time, under a tag unique to this build (repositories are IMMUTABLE). So
// the build's time grows with the slowest registries, not with their
// number. For each target it reads the pushed digest and renders the
// target's taskdef.json with <IMAGE1_NAME> replaced by
// "<repository>@<digest>", next to its appspec.yaml, into one output
// artifact (the deploy actions read "<account>/<region>/taskdef.json" and
// "appspec.yaml" from it), and reports each push's duration and a summary.
// Runs in a subshell so `set -e` ends the script, not CodeBuild's shell.
var buildScript = `(
set -euo pipefail
tag="${CODEBUILD_RESOLVED_SOURCE_VERSION}-${CODEBUILD_BUILD_NUMBER}"
docker build --file "$DOCKERFILE" --tag "bgc-build:$tag" "$BUILD_CONTEXT"
rm -rf "` + releaseDir + `"
logs="$(mktemp -d)"
registry_of() {
  case "$2" in cn-*) domain=amazonaws.com.cn ;; *) domain=amazonaws.com ;; esac
  echo "$3.dkr.ecr.$2.$domain"
}
for target in $TARGETS; do
  IFS=/ read -r account region account_id <<<"$target"
  registry="$(registry_of "$account" "$region" "$account_id")"
  aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry"
done
push() {
  IFS=/ read -r account region account_id <<<"$1"
  registry="$(registry_of "$account" "$region" "$account_id")"
  start=$SECONDS
  docker tag "bgc-build:$tag" "$registry/$REPOSITORY:$tag"
  docker push --quiet "$registry/$REPOSITORY:$tag"
  digest="$(aws ecr describe-images --region "$region" --registry-id "$account_id" --repository-name "$REPOSITORY" --image-ids "imageTag=$tag" --query 'imageDetails[0].imageDigest' --output text)"
  case "$digest" in sha256:*) ;; *) echo "no digest for $registry/$REPOSITORY:$tag" >&2; return 1 ;; esac
  out="` + releaseDir + `/` + shellTargetDir + `"
  mkdir -p "$out"
  sed "s|<IMAGE1_NAME>|$registry/$REPOSITORY@$digest|g" "$OUTPUT_DIR/` + shellTaskDef + `" > "$out/` + plan.TaskDefFile + `"
  cp "$OUTPUT_DIR/` + shellAppSpec + `" "$out/` + plan.AppSpecFile + `"
  echo "$account/$region: $registry/$REPOSITORY@$digest ($((SECONDS - start))s)"
}
export tag
export -f registry_of push
started=$SECONDS
n=0
for target in $TARGETS; do
  n=$((n + 1))
  # A bash of its own, so that set -e holds inside push.
  { bash -euo pipefail -c 'push "$1"' push "$target" > "$logs/$n.log" 2>&1 && echo 0 || echo 1; } > "$logs/$n.status" &
  while [ "$(jobs -rp | wc -l)" -ge "$PARALLEL_PUSHES" ]; do wait -n || true; done
done
wait
failed=0
for i in $(seq 1 "$n"); do
  cat "$logs/$i.log"
  [ "$(cat "$logs/$i.status")" = 0 ] || failed=1
done
regions="$(for target in $TARGETS; do echo "$target" | cut -d/ -f2; done | sort -u | wc -l)"
echo "bgc: pushed to $n registries in $regions regions in $((SECONDS - started))s, $PARALLEL_PUSHES at a time"
exit "$failed"
)`

// The layout's per-target paths in terms of the script's variables: the
// build reads the committed build output and writes the release artifact
// in the same layout, which the deploy actions read.
var (
	shellTargetDir = plan.TargetDir("$account", "$region")
	shellTaskDef   = plan.TaskDefPath("$account", "$region")
	shellAppSpec   = plan.AppSpecPath("$account", "$region")
)

// parallelPushes is how many registries the build pushes to at once.
const parallelPushes = 4

// buildspec renders buildspec.yml; fingerprint is the committed build's
// plan fingerprint (planFingerprint).
func buildspec(app *model.App, fingerprint string) ([]byte, error) {
	var targets []string
	for _, t := range app.Targets {
		targets = append(targets, t.Account+"/"+t.Region+"/"+t.AccountID)
	}
	spec := map[string]any{
		"version": 0.2,
		"env": map[string]any{
			"shell": "bash",
			"variables": map[string]any{
				"OUTPUT_DIR":      app.Source.OutputDir,
				"DOCKERFILE":      app.Service.Dockerfile,
				"BUILD_CONTEXT":   app.Service.BuildContext,
				"REPOSITORY":      app.ECRRepositoryName(),
				"TARGETS":         strings.Join(targets, " "),
				"PARALLEL_PUSHES": parallelPushes,
				"PIPELINE":        app.PipelineName(),
				"BGC_BUILT_PLAN":  fingerprint,
			},
		},
		"phases": map[string]any{
			"pre_build": map[string]any{"commands": []string{guardScript}},
			"build":     map[string]any{"commands": []string{buildScript}},
		},
		"artifacts": map[string]any{
			"base-directory": releaseDir,
			"files":          []string{"**/*"},
		},
	}
	return cfn.Marshal(spec, cfn.YAML)
}
