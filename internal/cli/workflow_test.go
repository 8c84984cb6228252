package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/bgc-dev/bgc/internal/cli"
)

// inDir runs the test in a fresh directory holding the example's app.yaml
// (and returns its path).
func inDir(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.yaml"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	return dir
}

// TestDefaultFileAndOutputDir: every command finds ./app.yaml; build writes
// into source.outputDir (deploy/) next to it, which is where the generated
// pipeline reads the build, and warns when -o points elsewhere.
func TestDefaultFileAndOutputDir(t *testing.T) {
	dir := inDir(t)
	if code, stdout, stderr := run("validate"); code != 0 || !strings.Contains(stdout, "app.yaml: valid") {
		t.Fatalf("validate: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr := run("build")
	if code != 0 || stderr != "" {
		t.Fatalf("build: exit %d\n%s%s", code, stdout, stderr)
	}
	buildspec, err := os.ReadFile(filepath.Join(dir, "deploy", "buildspec.yml"))
	if err != nil {
		t.Fatalf("build did not write into deploy/: %v", err)
	}
	if !strings.Contains(string(buildspec), "OUTPUT_DIR: deploy\n") {
		t.Errorf("the buildspec does not read deploy/, where the build went:\n%s", buildspec)
	}
	if code, stdout, _ := run("build", "--check"); code != 0 || !strings.Contains(stdout, "deploy is up to date") {
		t.Errorf("build --check: exit %d\n%s", code, stdout)
	}
	if code, _, stderr := run("build", "-o", "elsewhere"); code != 0 || !strings.Contains(stderr, "warning: the pipeline reads the build from deploy/ in the repository (source.outputDir), not elsewhere") {
		t.Errorf("build -o elsewhere: exit %d, no warning:\n%s", code, stderr)
	}
	if code, _, stderr := run("build", "-o", "./deploy/"); code != 0 || strings.Contains(stderr, "warning") {
		t.Errorf("build -o ./deploy/ (the default, spelt otherwise): exit %d\n%s", code, stderr)
	}
	if code, _, stderr := run("build", "--output", "deploy"); code != 0 || !strings.Contains(stderr, "--output DIR is deprecated: use -o/--out DIR") {
		t.Errorf("build --output DIR (deprecated): exit %d\n%s", code, stderr)
	}
	if code, stdout, _ := run("plan"); code != 0 || !strings.Contains(stdout, "poc-web-delivery") {
		t.Errorf("plan: exit %d\n%s", code, stdout)
	}
}

// TestStdin: - reads the app.yaml from stdin; problems name <stdin>.
func TestStdin(t *testing.T) {
	src, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	runIn := func(in string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := cli.Run(args, strings.NewReader(in), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, stdout, stderr := runIn(string(src), "validate", "-"); code != 0 || !strings.Contains(stdout, "<stdin>: valid") {
		t.Errorf("validate -: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, _ := runIn(string(src), "plan", "-", "--output", "json"); code != 0 || !json.Valid([]byte(stdout)) {
		t.Errorf("plan - --output json: exit %d\n%s", code, stdout)
	}
	bad := strings.Replace(string(src), "version: 1", "version: 2", 1)
	if code, _, stderr := runIn(bad, "validate", "-"); code != cli.ExitInvalid || !strings.HasPrefix(stderr, "<stdin>:") {
		t.Errorf("invalid stdin: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := runIn(string(src), "build", "-"); code != cli.ExitInvalid || !strings.Contains(stderr, "source.outputDir") {
		t.Errorf("build -: exit %d\n%s", code, stderr)
	}
}

// TestValidateJSON: --output json gives every diagnostic as data.
func TestValidateJSON(t *testing.T) {
	code, stdout, _ := run("validate", "../../golden/errors/many-problems/app.yaml", "--output", "json")
	if code != cli.ExitInvalid {
		t.Fatalf("exit %d, want 2", code)
	}
	var got struct {
		File        string
		Valid       bool
		Diagnostics []struct {
			File, Path, Message string
			Line, Column        int
		}
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if got.Valid || len(got.Diagnostics) < 2 {
		t.Fatalf("%+v", got)
	}
	for _, d := range got.Diagnostics {
		if d.Line < 1 || d.Column < 1 || d.Message == "" || !strings.HasSuffix(d.File, "app.yaml") {
			t.Errorf("diagnostic without position or message: %+v", d)
		}
	}
	code, stdout, _ = run("validate", example, "--output", "json")
	if code != 0 || !strings.Contains(stdout, `"valid": true`) || !strings.Contains(stdout, `"diagnostics": []`) {
		t.Errorf("valid file: exit %d\n%s", code, stdout)
	}
	if code, _, stderr := run("validate", example, "--output", "yaml"); code != cli.ExitInvalid || !strings.Contains(stderr, "text or json") {
		t.Errorf("--output yaml: exit %d %s", code, stderr)
	}
}

// TestVersion: version and --version print the same line, with the Go
// version and the platform.
func TestVersion(t *testing.T) {
	_, v, _ := run("version")
	_, flag, _ := run("--version")
	if v != flag || !strings.HasPrefix(v, "bgc ") || !strings.Contains(v, runtime.Version()) || !strings.Contains(v, runtime.GOOS+"/"+runtime.GOARCH) {
		t.Errorf("version %q, --version %q", v, flag)
	}
}

// TestNewUser: bgc init, build and graph in an empty directory give a
// starter named after the directory, a build in deploy/ (where the pipeline
// reads it) and a picture; the starter's $schema line points at the schema
// init wrote next to it.
func TestNewUser(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Shop API")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	code, stdout, stderr := run("init")
	if code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	app, err := os.ReadFile("app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(app), "\nname: shop-api ") || strings.Contains(string(app), "myapp") || !strings.Contains(stdout, "app shop-api") {
		t.Errorf("the starter is not named after the directory:\n%s\n%s", stdout, app)
	}
	if !strings.HasPrefix(string(app), "# yaml-language-server: $schema=app.schema.json\n") {
		t.Errorf("modeline: %q", strings.SplitN(string(app), "\n", 2)[0])
	}
	if data, err := os.ReadFile("app.schema.json"); err != nil || !json.Valid(data) {
		t.Errorf("app.schema.json next to app.yaml: %v", err)
	}
	for _, cmd := range [][]string{{"validate"}, {"build"}, {"graph"}} {
		if code, _, stderr := run(cmd...); code != 0 || stderr != "" {
			t.Fatalf("%s: exit %d: %s", cmd[0], code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join("deploy", "plan.json")); err != nil {
		t.Errorf("build did not go to deploy/: %v", err)
	}
	if code, _, stderr := run("init"); code != cli.ExitInvalid || !strings.Contains(stderr, "already exists") {
		t.Errorf("second init: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run("init", "--force", "--name", "Bad_Name"); code != cli.ExitInvalid || !strings.Contains(stderr, "--name") {
		t.Errorf("--name Bad_Name: exit %d: %s", code, stderr)
	}
	if code, _, _ := run("init", "--force", "--name", "billing"); code != 0 {
		t.Errorf("--name billing: exit %d", code)
	} else if app, _ := os.ReadFile("app.yaml"); !strings.Contains(string(app), "\nname: billing ") {
		t.Errorf("--name billing not applied")
	}
}

// TestStarterShowsEverySetting: every key of the schema appears in the
// starter, set or commented out, as its header promises.
func TestStarterShowsEverySetting(t *testing.T) {
	var root map[string]any
	data, err := os.ReadFile("../../schema/app.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	defs, _ := root["$defs"].(map[string]any)
	var keys []string
	var walk func(node map[string]any, path string)
	walk = func(node map[string]any, path string) {
		if ref, ok := node["$ref"].(string); ok {
			if d, ok := defs[ref[strings.LastIndex(ref, "/")+1:]].(map[string]any); ok {
				walk(d, path)
			}
		}
		if props, ok := node["properties"].(map[string]any); ok {
			for k, v := range props {
				keys = append(keys, path+k)
				if m, ok := v.(map[string]any); ok {
					walk(m, path+k+".")
				}
			}
		}
		for _, k := range []string{"items", "additionalProperties"} {
			if m, ok := node[k].(map[string]any); ok {
				walk(m, path)
			}
		}
		for _, k := range []string{"oneOf", "anyOf"} {
			if list, ok := node[k].([]any); ok {
				for _, v := range list {
					if m, ok := v.(map[string]any); ok {
						walk(m, path)
					}
				}
			}
		}
	}
	walk(root, "")
	starter, err := os.ReadFile("starter.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		leaf := k[strings.LastIndex(k, ".")+1:]
		if leaf == "$schema" {
			continue
		}
		if !strings.Contains(string(starter), leaf+":") {
			t.Errorf("the starter does not show %s", k)
		}
	}
}

// TestAWSFlags: every command that calls AWS takes the AWS CLI's
// --profile and --region for the base credentials.
func TestAWSFlags(t *testing.T) {
	for _, cmd := range []string{"deploy", "destroy", "diff"} {
		_, help, _ := run(cmd, "--help")
		if !strings.Contains(help, "--profile string") || !strings.Contains(help, "--region string") {
			t.Errorf("%s --help lacks --profile/--region:\n%s", cmd, help)
		}
	}
}
