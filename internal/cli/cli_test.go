package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bgc-dev/bgc/internal/cli"
	"github.com/bgc-dev/bgc/schema"
)

func TestInitWritesAValidStarter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "myapp")
	if code, _, stderr := run("init", dir); code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	app := filepath.Join(dir, "app.yaml")
	if code, stdout, stderr := run("validate", app); code != 0 {
		t.Fatalf("the starter does not validate: %s%s", stdout, stderr)
	}
	if code, _, stderr := run("init", dir); code != cli.ExitInvalid || !strings.Contains(stderr, "already exists") {
		t.Errorf("second init: exit %d, stderr %q; want a refusal", code, stderr)
	}
	if code, _, _ := run("init", "--force", dir); code != 0 {
		t.Errorf("init --force: exit %d", code)
	}
}

func TestSchemaCommandPrintsTheEmbeddedSchema(t *testing.T) {
	code, stdout, _ := run("schema")
	if code != 0 || stdout != string(schema.JSON) {
		t.Fatalf("exit %d; output differs from the embedded schema", code)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(filepath.Join("..", "..", "schema", "app.schema.json"))
	if err != nil || string(onDisk) != stdout {
		t.Fatalf("schema/app.schema.json differs from the embedded copy (%v)", err)
	}
}

func TestVersionAndHelp(t *testing.T) {
	if code, stdout, _ := run("version"); code != 0 || !strings.HasPrefix(stdout, "bgc ") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
	for _, cmd := range []string{"validate", "build", "plan", "schema", "init", "version", "completion"} {
		code, stdout, _ := run(cmd, "--help")
		if code != 0 || !strings.Contains(stdout, "Usage:") {
			t.Errorf("%s --help: exit %d", cmd, code)
		}
		if cmd != "completion" && !strings.Contains(stdout, "Examples:") {
			t.Errorf("%s --help has no example", cmd)
		}
	}
	if code, stdout, _ := run("completion", "bash"); code != 0 || !strings.Contains(stdout, "bash completion") {
		t.Errorf("completion bash: exit %d", code)
	}
	if code, _, stderr := run("frobnicate"); code != cli.ExitInvalid || !strings.Contains(stderr, "unknown command") {
		t.Errorf("unknown command: exit %d, %q", code, stderr)
	}
	if code, _, stderr := run("build"); code != cli.ExitInvalid || !strings.Contains(stderr, "no FILE given and no app.yaml in this directory") {
		t.Errorf("build with no FILE and no ./app.yaml: exit %d, %q", code, stderr)
	}
}

const example = "../../examples/global-bluegreen/app.yaml"

// withoutDirWarning is stderr without build's warning that -o DIR is not
// where the pipeline reads the build (tests build into temporary dirs).
func withoutDirWarning(stderr string) string {
	var keep []string
	for _, l := range strings.SplitAfter(stderr, "\n") {
		if !strings.HasPrefix(l, "bgc: warning: the pipeline reads the build from ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

func TestBuildCheckAndStaleFiles(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := run("build", example, "-o", out); code != 0 {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	if code, stdout, _ := run("build", "--check", "-o", out, example); code != 0 {
		t.Fatalf("check right after build: exit %d: %s", code, stdout)
	}
	// A user's own file is never touched, even when shaped like bgc output;
	// a recorded file that changed is stale.
	mine := filepath.Join(out, "README.md")
	os.WriteFile(mine, []byte("mine"), 0o644)
	lookalike := filepath.Join(out, "gone", "us-west-2", "old.template.yaml")
	os.MkdirAll(filepath.Dir(lookalike), 0o755)
	os.WriteFile(lookalike, []byte("old"), 0o644)
	staleBuildspec := filepath.Join(out, "buildspec.yml")
	os.WriteFile(staleBuildspec, []byte("edited\n"), 0o644)
	code, stdout, _ := run("build", "--check", "-o", out, example)
	if code != cli.ExitInternal || !strings.Contains(stdout, "stale: buildspec.yml") || strings.Contains(stdout, "gone/") {
		t.Fatalf("check on a stale tree: exit %d, want 1 and only the stale buildspec:\n%s", code, stdout)
	}
	if code, _, stderr := run("build", example, "-o", out); code != 0 {
		t.Fatalf("rebuild: exit %d: %s", code, stderr)
	}
	for _, f := range []string{mine, lookalike} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("build touched %s, which is not its own: %v", f, err)
		}
	}
	if code, _, _ := run("build", "--check", "-o", out, example); code != 0 {
		t.Errorf("check after rebuild: exit %d", code)
	}
}

// TestBuildInRepositoryRoot: `bgc build app.yaml -o .` in a repository with
// its own files shaped like bgc output leaves them alone and removes
// nothing; a rebuild with a target fewer removes exactly that target's
// recorded files and names each one.
func TestBuildInRepositoryRoot(t *testing.T) {
	repo := t.TempDir()
	theirs := map[string]string{
		"infra/legacy/vpc.template.yaml": "legacy",
		"ci/aws/taskdef.json":            "{}",
	}
	for p, body := range theirs {
		full := filepath.Join(repo, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		os.WriteFile(full, []byte(body), 0o644)
	}
	app := filepath.Join(repo, "app.yaml")
	data, _ := os.ReadFile(example)
	os.WriteFile(app, data, 0o644)
	code, stdout, stderr := run("build", app, "-o", repo)
	if code != 0 || strings.Contains(stdout, "removed: ") {
		t.Fatalf("build into the repository: exit %d\n%s%s", code, stdout, stderr)
	}
	for p, body := range theirs {
		if got, err := os.ReadFile(filepath.Join(repo, filepath.FromSlash(p))); err != nil || string(got) != body {
			t.Errorf("%s was changed or removed (%v)", p, err)
		}
	}
	// Drop test3 (us-east-1): its files go, named one by one.
	smaller := strings.Replace(string(data), "  - name: test3\n    id: \"444444444444\"\n    regions: [us-east-1]\n", "", 1)
	if smaller == string(data) {
		t.Fatal("could not remove test3 from the example")
	}
	os.WriteFile(app, []byte(smaller), 0o644)
	code, stdout, stderr = run("build", app, "-o", repo)
	if code != 0 {
		t.Fatalf("rebuild: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"removed: test3/us-east-1/poc-web-service.template.yaml", "removed: test3/us-east-1/taskdef.json", "removed: test3/us-east-1/appspec.yaml"} {
		if !strings.Contains(stdout, want+"\n") {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(repo, "test3")); !os.IsNotExist(err) {
		t.Errorf("test3/ should be gone with its files")
	}
	for p := range theirs {
		if _, err := os.Stat(filepath.Join(repo, filepath.FromSlash(p))); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// TestBuildRefusesForeignFiles: a file bgc did not write is never
// overwritten: the build stops with exit 2 before writing anything.
func TestBuildRefusesForeignFiles(t *testing.T) {
	out := t.TempDir()
	mine := filepath.Join(out, "buildspec.yml")
	os.WriteFile(mine, []byte("version: 0.2 # mine\n"), 0o644)
	code, stdout, stderr := run("build", example, "-o", out)
	if code != cli.ExitInvalid || stdout != "" || !strings.Contains(stderr, "buildspec.yml, which no earlier bgc build wrote there") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	entries, _ := os.ReadDir(out)
	if data, _ := os.ReadFile(mine); len(entries) != 1 || string(data) != "version: 0.2 # mine\n" {
		t.Errorf("the refused build wrote or changed files: %v", entries)
	}
}

// TestBuildOutputChecks: an output path that is a file is refused in one
// line, and nothing is written through a symbolic link out of DIR.
func TestBuildOutputChecks(t *testing.T) {
	file := filepath.Join(t.TempDir(), "out")
	os.WriteFile(file, []byte("x"), 0o644)
	code, stdout, stderr := run("build", example, "-o", file)
	if code != cli.ExitInvalid || stdout != "" || withoutDirWarning(stderr) != "bgc: "+file+" is a file, not a directory\n" {
		t.Errorf("-o FILE: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	out, elsewhere := t.TempDir(), t.TempDir()
	if err := os.Symlink(elsewhere, filepath.Join(out, "test1")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run("build", example, "-o", out)
	if code != cli.ExitInvalid || !strings.Contains(stderr, "test1 is a symbolic link") {
		t.Errorf("link in DIR: exit %d, stderr %q", code, stderr)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("build wrote through the link: %v", entries)
	}
	if _, err := os.Stat(filepath.Join(out, "plan.json")); !os.IsNotExist(err) {
		t.Errorf("the refused build wrote plan.json")
	}
}

// TestBuildReadsFormat1Record: a directory built by a bgc before plan.json
// kept a file list is still owned: the files format 1's layout implies are
// replaced and, when no longer generated, removed.
func TestBuildReadsFormat1Record(t *testing.T) {
	out := t.TempDir()
	old := `{"version": 1, "app": "poc", "stacks": [` +
		`{"id": "old/eu-west-1/service", "accountName": "old", "region": "eu-west-1", "stackName": "poc-web-service", "template": "old/eu-west-1/poc-web-service.template.yaml"}]}`
	files := map[string]string{
		"plan.json": old, "buildspec.yml": "old",
		"old/eu-west-1/poc-web-service.template.yaml": "old", "old/eu-west-1/taskdef.json": "old", "old/eu-west-1/appspec.yaml": "old",
		"old/eu-west-1/notes.template.yaml": "not recorded",
	}
	for p, body := range files {
		full := filepath.Join(out, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		os.WriteFile(full, []byte(body), 0o644)
	}
	code, stdout, stderr := run("build", example, "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, p := range []string{"old/eu-west-1/poc-web-service.template.yaml", "old/eu-west-1/taskdef.json", "old/eu-west-1/appspec.yaml"} {
		if !strings.Contains(stdout, "removed: "+p+"\n") {
			t.Errorf("output lacks removed: %s\n%s", p, stdout)
		}
	}
	if data, err := os.ReadFile(filepath.Join(out, "old", "eu-west-1", "notes.template.yaml")); err != nil || string(data) != "not recorded" {
		t.Errorf("an unrecorded file was touched: %v", err)
	}
}

// TestFailedBuildLeavesDirAlone: an invalid input changes nothing, not even
// files that would be removed by a successful build.
func TestFailedBuildLeavesDirAlone(t *testing.T) {
	out := t.TempDir()
	leftover := filepath.Join(out, "a", "b", "x.template.yaml")
	os.MkdirAll(filepath.Dir(leftover), 0o755)
	os.WriteFile(leftover, []byte("keep"), 0o644)
	bad := filepath.Join(t.TempDir(), "app.yaml")
	os.WriteFile(bad, []byte("version: 1\nname: x\n"), 0o644)
	if code, _, _ := run("build", bad, "-o", out); code != cli.ExitInvalid {
		t.Fatalf("exit %d, want 2", code)
	}
	if data, err := os.ReadFile(leftover); err != nil || string(data) != "keep" {
		t.Errorf("a failed build changed the output directory")
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 {
		t.Errorf("a failed build wrote files: %v", entries)
	}
}

// TestBuildIsDeterministic: two builds give byte-identical trees.
func TestBuildIsDeterministic(t *testing.T) {
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	for _, dir := range []string{a, b} {
		if code, _, stderr := run("build", example, "-o", dir); code != 0 {
			t.Fatalf("build: %s", stderr)
		}
	}
	files := func(dir string) map[string]string {
		m := map[string]string{}
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(dir, p)
				data, _ := os.ReadFile(p)
				m[rel] = string(data)
			}
			return nil
		})
		return m
	}
	fa, fb := files(a), files(b)
	if len(fa) == 0 {
		t.Fatal("the build wrote nothing")
	}
	if diff := cmp.Diff(fa, fb); diff != "" {
		t.Errorf("two builds differ (-first +second):\n%s", diff)
	}
}

func TestPlanCommand(t *testing.T) {
	code, stdout, stderr := run("plan", example)
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if !strings.HasPrefix(lines[0], "#") || len(lines) < 2 {
		t.Fatalf("no table:\n%s", stdout)
	}
	if !strings.Contains(lines[1], "tools (111111111111)") || !strings.Contains(lines[1], "poc-key") {
		t.Errorf("the primary key stack should come first:\n%s", stdout)
	}
	code, jsonOut, _ := run("plan", example, "--output", "json")
	if code != 0 {
		t.Fatalf("plan --output json: exit %d", code)
	}
	var p struct {
		Stacks []struct{ ID string } `json:"stacks"`
	}
	if err := json.Unmarshal([]byte(jsonOut), &p); err != nil || len(p.Stacks) != len(lines)-1 {
		t.Errorf("json plan has %d stacks, table %d rows (%v)", len(p.Stacks), len(lines)-1, err)
	}
}

// TestBuildJSONFormat: --format json writes every template as JSON, the
// plan names them, and switching formats removes the other format's files.
func TestBuildJSONFormat(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := run("build", example, "-o", out); code != 0 {
		t.Fatalf("yaml build: %s", stderr)
	}
	if code, _, stderr := run("build", "--format", "json", example, "-o", out); code != 0 {
		t.Fatalf("json build: %s", stderr)
	}
	var p struct {
		Stacks []struct{ Template string } `json:"stacks"`
	}
	data, _ := os.ReadFile(filepath.Join(out, "plan.json"))
	if err := json.Unmarshal(data, &p); err != nil || len(p.Stacks) == 0 {
		t.Fatalf("plan.json: %v", err)
	}
	for _, s := range p.Stacks {
		body, err := os.ReadFile(filepath.Join(out, s.Template))
		var v map[string]any
		if err != nil || !strings.HasSuffix(s.Template, ".template.json") || json.Unmarshal(body, &v) != nil || v["Resources"] == nil {
			t.Errorf("%s is not a JSON template (%v)", s.Template, err)
		}
	}
	yamls, _ := filepath.Glob(filepath.Join(out, "*", "*", "*.template.yaml"))
	if len(yamls) > 0 {
		t.Errorf("switching to json left %d yaml templates behind", len(yamls))
	}
	if code, stdout, _ := run("build", "--check", "--format", "json", "-o", out, example); code != 0 {
		t.Errorf("check: %s", stdout)
	}
	if code, _, stderr := run("build", "--format", "xml", example, "-o", out); code != cli.ExitInvalid || !strings.Contains(stderr, "--format") {
		t.Errorf("--format xml: exit %d, %q", code, stderr)
	}
}

// variant writes the example app.yaml with old replaced by new.
func variant(t *testing.T, old, new string) string {
	t.Helper()
	data, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("the example has no %q", old)
	}
	p := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// snapshotDir reads every file below dir.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			out[p] = string(data)
		}
		return nil
	})
	return out
}

// TestBuildRefusesUnsafeChanges: over an earlier build, a change the
// deployed stacks cannot take (a new port replaces the fixed-name target
// groups and changes the CODE_DEPLOY service) is refused with exit 2,
// every problem named by its template, the way forward, and nothing
// written; --recreate of every target accepts it; a routine change builds.
func TestBuildRefusesUnsafeChanges(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := run("build", example, "-o", out); code != 0 {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	before := snapshotDir(t, out)
	port := variant(t, "port: 80\n", "port: 8080\n")
	code, _, stderr := run("build", port, "-o", out)
	for _, want := range []string{
		"bgc: refused: these changes cannot be deployed over what is deployed:\n",
		filepath.Join(out, "test1", "ap-south-1", "poc-web-service.template.yaml") + ": BlueTargetGroup (AWS::ElasticLoadBalancingV2::TargetGroup): it would be replaced (Port is create-only), and CloudFormation cannot replace a resource with a custom name (poc-web-blue)\n",
		": Service (AWS::ECS::Service): LoadBalancers would change, and ECS refuses CloudFormation updates of a service under the CODE_DEPLOY controller\n",
		"bgc: way forward: revert the change in app.yaml, or recreate target test3/us-east-1: bgc destroy --target test3/us-east-1",
		"bgc: nothing was written\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != cli.ExitInvalid {
		t.Errorf("exit %d, want 2", code)
	}
	if diff := cmp.Diff(before, snapshotDir(t, out)); diff != "" {
		t.Errorf("a refused build wrote (-before +after):\n%s", diff)
	}
	if code, _, stderr := run("build", port, "-o", out, "--recreate", "nobody/us-east-1"); code != cli.ExitInvalid || !strings.Contains(stderr, "no such target (targets: test1/ap-south-1, test2/eu-central-1, test3/us-east-1)") {
		t.Errorf("--recreate of an unknown target: exit %d: %s", code, stderr)
	}
	code, _, stderr = run("build", port, "-o", out, "--recreate", "test1/ap-south-1,test2/eu-central-1", "--recreate", "test3/us-east-1")
	if code != 0 || !strings.Contains(stderr, "(accepted with --recreate)") {
		t.Errorf("--recreate of every target: exit %d: %s", code, stderr)
	}
	all := []string{"--recreate", "test1/ap-south-1", "--recreate", "test2/eu-central-1", "--recreate", "test3/us-east-1"}
	if code, _, stderr := run(append([]string{"build", example, "-o", out}, all...)...); code != 0 {
		t.Fatalf("back to port 80: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run("build", variant(t, "desiredCount: 2", "desiredCount: 4"), "-o", out); code != 0 || withoutDirWarning(stderr) != "" {
		t.Errorf("a routine change: exit %d: %s", code, stderr)
	}
}

// TestDiffAgainstBuild: bgc diff --against DIR exits 0 without
// differences and 1 with, naming each changed stack and resource, in text
// and JSON; refused changes are marked.
func TestDiffAgainstBuild(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := run("build", example, "-o", out); code != 0 {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := run("diff", example, "--against", out)
	if code != 0 || stdout != "0 changed, 0 new, 0 removed, 24 unchanged stacks\n" {
		t.Errorf("no change: exit %d\n%s%s", code, stdout, stderr)
	}
	count := variant(t, "desiredCount: 2", "desiredCount: 4")
	code, stdout, _ = run("diff", count, "--against", out)
	want := "test1/ap-south-1/service (stack poc-web-service in 222222222222 ap-south-1): changed\n" +
		"  ~ ScalableTarget (AWS::ApplicationAutoScaling::ScalableTarget): MaxCapacity, MinCapacity\n"
	if code != cli.ExitInternal || !strings.Contains(stdout, want) || !strings.HasSuffix(stdout, "4 changed, 0 new, 0 removed, 20 unchanged stacks\n") {
		t.Errorf("desiredCount: exit %d, want 1 and %q:\n%s", code, want, stdout)
	}
	code, stdout, _ = run("diff", variant(t, "port: 80\n", "port: 8080\n"), "--against", out, "--output", "json")
	var rep struct {
		Changed  bool
		Refusals []string
		Stacks   []struct{ ID, Status string }
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != cli.ExitInternal || !rep.Changed || len(rep.Refusals) != 9 {
		t.Errorf("json: exit %d, %v, %+v\n%s", code, err, rep, stdout)
	}
	if code, _, stderr := run("diff", example, "--against", t.TempDir()); code != cli.ExitInvalid || !strings.Contains(stderr, "holds no build of bgc's") {
		t.Errorf("--against an empty directory: exit %d: %s", code, stderr)
	}
	// Against what is deployed, an endpoint that cannot be reached is an
	// error (2), never "differences" (1).
	for k, v := range map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
		"AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true"} {
		t.Setenv(k, v)
	}
	if code, _, stderr := run("diff", example); code != cli.ExitInvalid || !strings.Contains(stderr, "read what is deployed: cannot reach AWS STS") {
		t.Errorf("diff without AWS: exit %d: %s", code, stderr)
	}
}

// TestBuildWarnsOfANewBlockingWebACL: a live target gaining bgc's blocking
// web ACL (an upgrade does that with app.yaml unchanged) draws a warning
// naming the targets and the count step; count itself, and a target's
// first build, do not.
func TestBuildWarnsOfANewBlockingWebACL(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	none := variant(t, "service:\n", "loadBalancer: {webAcl: none}\nservice:\n")
	if code, _, stderr := run("build", none, "-o", out); code != 0 || strings.Contains(stderr, "web ACL") {
		t.Fatalf("first build: exit %d: %s", code, stderr)
	}
	count := variant(t, "service:\n", "loadBalancer: {webAcl: count}\nservice:\n")
	if code, _, stderr := run("build", count, "-o", out); code != 0 || strings.Contains(stderr, "web ACL") {
		t.Errorf("count: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run("build", none, "-o", out); code != 0 {
		t.Fatalf("back to none: exit %d: %s", code, stderr)
	}
	// test1/ap-south-1 is recreated, so not live.
	code, _, stderr := run("build", example, "-o", out, "--recreate", "test1/ap-south-1")
	want := "bgc: warning: the next deploy puts an AWS WAF web ACL that blocks what AWS's managed rules match in front of live target(s) test2/eu-central-1, test3/us-east-1 ("
	if code != 0 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "set loadBalancer.webAcl: count") {
		t.Errorf("managed over none: exit %d, stderr lacks %q:\n%s", code, want, stderr)
	}
}
