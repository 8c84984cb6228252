package stacks_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/internal/testenv"
)

// buildspecDoc is the part of buildspec.yml the tests run.
type buildspecDoc struct {
	Env struct {
		Variables map[string]string `yaml:"variables"`
	} `yaml:"env"`
	Phases map[string]struct {
		Commands []string `yaml:"commands"`
	} `yaml:"phases"`
}

func readBuildspec(t *testing.T, files map[string][]byte) buildspecDoc {
	t.Helper()
	var doc buildspecDoc
	if err := yaml.Unmarshal(files["buildspec.yml"], &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// buildProjectFingerprint is BGC_DEPLOYED_PLAN of the build project.
func buildProjectFingerprint(t *testing.T, files map[string][]byte) string {
	t.Helper()
	var tpl map[string]any
	if err := yaml.Unmarshal(files["tools/ap-south-1/poc-build.template.yaml"], &tpl); err != nil {
		t.Fatal(err)
	}
	env := tpl["Resources"].(map[string]any)["Project"].(map[string]any)["Properties"].(map[string]any)["Environment"].(map[string]any)
	for _, v := range env["EnvironmentVariables"].([]any) {
		if m := v.(map[string]any); m["Name"] == "BGC_DEPLOYED_PLAN" {
			return m["Value"].(string)
		}
	}
	return ""
}

// TestPlanFingerprint: the build project carries the fingerprint the
// buildspec commits to; a change that needs a deploy (a new target)
// changes it, one that only reaches taskdef.json (cpu, environment) does
// not.
func TestPlanFingerprint(t *testing.T) {
	fp := func(app *model.App) (string, string) {
		files := generate(t, app, cfn.YAML)
		return readBuildspec(t, files).Env.Variables["BGC_BUILT_PLAN"], buildProjectFingerprint(t, files)
	}
	built, deployed := fp(seedApp())
	if len(built) != 16 || built != deployed {
		t.Fatalf("buildspec %q, build project %q", built, deployed)
	}
	resized := seedApp()
	resized.Service.CPU, resized.Service.Memory = 1024, 2048
	resized.Service.Environment = []model.KV{{Key: "MODE", Value: "new"}}
	if got, _ := fp(resized); got != built {
		t.Errorf("a change of cpu, memory and environment changed the fingerprint")
	}
	grown := seedApp()
	grown.Targets = append(grown.Targets, target(grown.Accounts[0], "eu-west-1"))
	if got, _ := fp(grown); got == built {
		t.Errorf("a new target kept the fingerprint")
	}
}

// fakeTools writes docker and aws stand-ins that log their arguments; aws
// answers describe-images with a digest, except in failRegion.
func fakeTools(t *testing.T, dir, failRegion string) string {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	os.MkdirAll(bin, 0o755)
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/usr/bin/env bash\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("docker", `echo "docker $*" >> "$CALLS"
[ "$1" != login ] || cat > /dev/null # the password, as docker login --password-stdin reads it
`)
	write("aws", `echo "aws $*" >> "$CALLS"
case "$*" in
  *get-login-password*) echo password ;;
  *describe-images*"--region `+failRegion+` "*) echo None ;;
  *describe-images*) echo sha256:0123 ;;
esac
`)
	return bin
}

// TestBuildspecRuns runs the generated buildspec's commands with bash and
// stand-ins for docker and aws: the guard stops a build whose committed
// plan is not the deployed one; the build pushes to every target, renders
// each taskdef.json with the digest, reports its pushes, and fails when
// any push fails.
func TestBuildspecRuns(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		testenv.Missing(t, "bash (the buildspec test)", err)
	}
	app := seedApp()
	files := generate(t, app, cfn.YAML)
	doc := readBuildspec(t, files)
	run := func(t *testing.T, failRegion, deployed string) (string, error) {
		dir := t.TempDir()
		src := filepath.Join(dir, "src")
		for p, body := range files {
			full := filepath.Join(src, app.Source.OutputDir, filepath.FromSlash(p))
			os.MkdirAll(filepath.Dir(full), 0o755)
			os.WriteFile(full, body, 0o644)
		}
		script := strings.Join(append(doc.Phases["pre_build"].Commands, doc.Phases["build"].Commands...), "\n")
		cmd := exec.Command(bash, "-e", "-c", script)
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "PATH="+fakeTools(t, dir, failRegion)+":"+os.Getenv("PATH"), "CALLS="+filepath.Join(dir, "calls"),
			"CODEBUILD_RESOLVED_SOURCE_VERSION=abc123", "CODEBUILD_BUILD_NUMBER=7", "BGC_DEPLOYED_PLAN="+deployed)
		for k, v := range doc.Env.Variables {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		out, err := cmd.CombinedOutput()
		if err == nil {
			td, _ := os.ReadFile(filepath.Join(src, ".bgc-release", "test2", "eu-central-1", "taskdef.json"))
			if !strings.Contains(string(td), `"image": "333333333333.dkr.ecr.eu-central-1.amazonaws.com/poc/web@sha256:0123"`) {
				t.Errorf("taskdef.json of test2:\n%s", td)
			}
		}
		return string(out), err
	}
	built := doc.Env.Variables["BGC_BUILT_PLAN"]
	out, err := run(t, "none", built)
	if err != nil || !strings.Contains(out, "bgc: pushed to 3 registries in 3 regions in") {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err = run(t, "none", "0000000000000000")
	if err == nil || !strings.Contains(out, "is not what is deployed (plan 0000000000000000): run bgc deploy for this commit") || strings.Contains(out, "docker build") {
		t.Errorf("a build of an undeployed plan: %v\n%s", err, out)
	}
	out, err = run(t, "us-east-1", built)
	if err == nil || !strings.Contains(out, "no digest for 444444444444.dkr.ecr.us-east-1.amazonaws.com/poc/web:abc123-7") {
		t.Errorf("a failed push: %v\n%s", err, out)
	}
}
