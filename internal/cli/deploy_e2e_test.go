package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bgc-dev/bgc/internal/mototest"
	"github.com/bgc-dev/bgc/internal/testenv"
)

// startMoto starts bgc's moto_server for one test and points the SDK at it
// with dummy credentials. Without moto it skips loudly, or fails when
// BGC_REQUIRE_TOOLS=1 (as in CI).
func startMoto(t *testing.T) {
	t.Helper()
	log, err := os.CreateTemp(t.TempDir(), "moto-*.log")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mototest.Start(log)
	if err != nil {
		testenv.Missing(t, "moto_server (the end-to-end deploy through the CLI)", err)
	}
	t.Cleanup(srv.Stop)
	if err := srv.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": srv.URL, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
		"AWS_SESSION_TOKEN": "", "AWS_REGION": "us-east-1", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
}

// summaryStatuses reads the final summary event of an NDJSON stream.
func summaryStatuses(t *testing.T, ndjson string) map[string]string {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(ndjson))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var last map[string]any
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("not NDJSON: %q: %v", sc.Text(), err)
		}
		if ev["type"] == "summary" {
			last = ev
		}
	}
	if last == nil {
		t.Fatalf("no summary event in:\n%s", ndjson)
	}
	out := map[string]string{}
	stacks, _ := last["summary"].(map[string]any)["stacks"].([]any)
	for _, s := range stacks {
		m := s.(map[string]any)
		out[m["id"].(string)] = m["status"].(string)
	}
	return out
}

// TestDeployExampleThroughCLI is the definition of done, run as a
// user would: bgc deploy the example with --method direct --yes against a
// fresh moto_server deploys every stack of the plan in every account and
// region; a second run changes nothing and says so per stack. Then the
// change-set method confirms the same, and a committed build deploys with
// --from.
func TestDeployExampleThroughCLI(t *testing.T) {
	startMoto(t)
	outputs := filepath.Join(t.TempDir(), "outputs.json")
	code, stdout, stderr := run("deploy", example, "--method", "direct", "--yes", "--output", "json", "--outputs-file", outputs)
	if code != 0 {
		t.Fatalf("first deploy: exit %d\n%s", code, stderr)
	}
	first := summaryStatuses(t, stdout)
	var byAccount map[string]map[string]map[string]map[string]string
	if data, err := os.ReadFile(outputs); err != nil || json.Unmarshal(data, &byAccount) != nil {
		t.Fatalf("--outputs-file: %v\n%s", err, data)
	}
	if u := byAccount["test2"]["eu-central-1"]["poc-web-service"]["ServiceUrl"]; !strings.HasPrefix(u, "http://") {
		t.Errorf("outputs file: test2/eu-central-1 service URL %q", u)
	}
	if byAccount["tools"]["ap-south-1"]["poc-artifacts"]["BucketArn"] == "" {
		t.Errorf("outputs file lacks the tools account's artifact bucket: %v", byAccount["tools"])
	}
	if len(first) != 27 {
		t.Errorf("the example plan has 24 stacks and 3 accounts to prepare; the summary lists %d", len(first))
	}
	for id, st := range first {
		if st != "created" {
			t.Errorf("%s: %s, want created", id, st)
		}
	}

	// The text summary names each target's load balancer URL.
	code, stdout, stderr = run("deploy", example, "--method", "direct", "--yes")
	if code != 0 || !strings.Contains(stdout, "load balancers:") || !regexp.MustCompile(`(?m)^  test1/ap-south-1 +http://\S+/$`).MatchString(stdout) {
		t.Errorf("text summary without the load balancer URLs: exit %d\n%s%s", code, stdout, stderr)
	}

	for _, method := range []string{"direct", "changeset"} {
		code, stdout, stderr = run("deploy", example, "--method", method, "--yes", "--output", "json")
		if code != 0 {
			t.Fatalf("redeploy (%s): exit %d\n%s", method, code, stderr)
		}
		for id, st := range summaryStatuses(t, stdout) {
			if st != "no-changes" {
				t.Errorf("redeploy (%s): %s is %s, want no-changes", method, id, st)
			}
		}
	}

	// Force past the hash check: CloudFormation itself must find nothing to
	// change through change sets (outputs and parameters flow as before).
	code, stdout, stderr = run("deploy", "--from", "../../examples/global-bluegreen/deploy", "--yes", "--force", "--output", "json")
	if code != 0 {
		t.Fatalf("deploy --from --force: exit %d\n%s", code, stderr)
	}
	for id, st := range summaryStatuses(t, stdout) {
		if st != "no-changes" {
			t.Errorf("forced change-set redeploy: %s is %s, want no-changes", id, st)
		}
	}
}

// TestDeployFromOldPlan: a plan.json written by a bgc before format 2
// lacks the facts the deployer guards with; --from refuses it in one line.
func TestDeployFromOldPlan(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "plan.json"), []byte(`{"version": 1, "app": "poc", "stacks": []}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run("deploy", "--from", dir)
	want := "bgc: " + filepath.Join(dir, "plan.json") + ": format 1 was written by an older bgc; rebuild the directory with this one (bgc build FILE -o DIR) and deploy that\n"
	if code != 2 || stdout != "" || stderr != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", code, stdout, stderr, want)
	}
}

// TestDeployFromEditedPlan: a hand-edited plan.json is checked before any
// AWS call (the endpoint here refuses connections): every problem is named
// with the plan's path, and the exit status is 2.
func TestDeployFromEditedPlan(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "build")
	if code, _, stderr := run("build", example, "-o", dir); code != 0 {
		t.Fatalf("build: %s", stderr)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "plan.json"))
	edited := strings.Replace(string(data), `"account": "444444444444"`, `"account": "4444"`, 1)
	edited = strings.Replace(edited, `"template": "test2/eu-central-1/poc-web-registry.template.yaml"`, `"template": "../../etc/registry.yaml"`, 1)
	if edited == string(data) {
		t.Fatal("could not edit the plan")
	}
	os.WriteFile(filepath.Join(dir, "plan.json"), []byte(edited), 0o644)
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	code, stdout, stderr := run("deploy", "--from", dir, "--yes")
	prefix := "bgc: " + filepath.Join(dir, "plan.json") + ": "
	for _, want := range []string{
		prefix + `stack "test3/us-east-1/logs": account "4444" is not a 12-digit AWS account id`,
		prefix + `stack "test2/eu-central-1/registry": template "../../etc/registry.yaml" is not a path inside the plan's directory`,
	} {
		if !strings.Contains(stderr, want+"\n") {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != 2 || stdout != "" {
		t.Errorf("exit %d, stdout %q", code, stdout)
	}
}

// missingTemplateBuild is a build directory with one template deleted.
func missingTemplateBuild(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "build")
	if code, _, stderr := run("build", example, "-o", dir); code != 0 {
		t.Fatalf("build: %s", stderr)
	}
	if err := os.Remove(filepath.Join(dir, "test1", "ap-south-1", "poc-web-network.template.yaml")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDeployUsageErrors(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1") // nothing may reach AWS
	for name, args := range map[string][]string{
		"bad output":        {"deploy", example, "--output", "yaml"},
		"bad run id":        {"deploy", example, "--run-id", "has space"},
		"zero concurrency":  {"deploy", example, "--concurrency", "0"},
		"zero per target":   {"destroy", example, "--per-target-concurrency", "0"},
		"destroy output":    {"destroy", example, "--output", "yaml"},
		"missing template":  {"deploy", "--from", missingTemplateBuild(t)},
		"nothing to deploy": {"deploy"},
		"both sources":      {"deploy", example, "--from", "x"},
		"bad method":        {"deploy", example, "--method", "yolo"},
		"missing build":     {"deploy", "--from", t.TempDir()},
		"invalid app.yaml":  {"deploy", "../../golden/errors/version-2/app.yaml"},
	} {
		t.Run(name, func(t *testing.T) {
			if code, _, stderr := run(args...); code != 2 || stderr == "" {
				t.Errorf("exit %d (want 2), stderr %q", code, stderr)
			}
		})
	}
}

// TestDiffAndRefusalsAgainstDeployed is day 2 as a user sees it, against
// moto: after a deploy, bgc diff finds nothing (exit 0); after a
// desiredCount change it names the three service stacks and their
// scalable targets (exit 1); a port change is refused by bgc deploy before
// anything changes (exit 2, the refusal named by template), and bgc diff
// shows it; bgc destroy --target of one target touches only its stacks.
func TestDiffAndRefusalsAgainstDeployed(t *testing.T) {
	startMoto(t)
	if code, _, stderr := run("deploy", example, "--method", "direct", "--yes", "--output", "json"); code != 0 {
		t.Fatalf("deploy: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := run("diff", example)
	if code != 0 || stdout != "0 changed, 0 new, 0 removed, 24 unchanged stacks\n" {
		t.Fatalf("diff right after the deploy: exit %d\n%s%s", code, stdout, stderr)
	}

	count := variant(t, "desiredCount: 2", "desiredCount: 4")
	code, stdout, stderr = run("diff", count)
	for _, id := range []string{"test1/ap-south-1/service", "test2/eu-central-1/service", "test3/us-east-1/service"} {
		if !strings.Contains(stdout, id+" (stack poc-web-service in ") {
			t.Errorf("diff after a desiredCount change does not name %s:\n%s", id, stdout)
		}
	}
	if code != 1 || !strings.Contains(stdout, "  ~ ScalableTarget (AWS::ApplicationAutoScaling::ScalableTarget): MaxCapacity, MinCapacity\n") {
		t.Errorf("diff after a desiredCount change: exit %d, want 1\n%s%s", code, stdout, stderr)
	}

	port := variant(t, "port: 80\n", "port: 8080\n")
	code, stdout, stderr = run("deploy", port, "--yes", "--output", "json")
	if code != 2 || stdout != "" || !strings.Contains(stderr, "test1/ap-south-1/poc-web-service.template.yaml: BlueTargetGroup (AWS::ElasticLoadBalancingV2::TargetGroup): it would be replaced (Port is create-only)") ||
		!strings.HasSuffix(stderr, "bgc: nothing was changed\n") {
		t.Errorf("deploy of a port change: exit %d, want 2 and the refusals\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	if code, stdout, _ := run("diff", port); code != 1 || !strings.Contains(stdout, "9 refused change(s)") {
		t.Errorf("diff of a port change: exit %d\n%s", code, stdout)
	}
	// The port change was refused before any change: the desiredCount
	// change still deploys, and afterwards diff is clean again.
	if code, _, stderr := run("deploy", count, "--yes", "--output", "json"); code != 0 {
		t.Fatalf("deploy of the desiredCount change: exit %d\n%s", code, stderr)
	}
	if code, stdout, _ := run("diff", count); code != 0 {
		t.Errorf("diff after deploying it: exit %d\n%s", code, stdout)
	}

	code, stdout, stderr = run("destroy", count, "--target", "test3/us-east-1", "--dry-run", "--output", "json")
	got := summaryStatuses(t, stdout)
	if code != 0 || len(got) != 5 || got["test3/us-east-1/service"] != "planned" || got["test3/us-east-1/registry"] != "retained" || got["test3/us-east-1/logs"] != "retained" {
		t.Errorf("destroy --target --dry-run: exit %d %v\n%s", code, got, stderr)
	}
	if code, _, stderr := run("destroy", count, "--target", "test9/us-east-1"); code != 2 || !strings.Contains(stderr, "--target \"test9/us-east-1\": no such target") {
		t.Errorf("destroy --target of an unknown target: exit %d: %s", code, stderr)
	}
}

// TestDetailedExitCode: deploy --dry-run --detailed-exitcode exits 2 while
// a real run would change something, 0 once nothing would, and 1 on an
// error, invalid input included (as terraform plan).
func TestDetailedExitCode(t *testing.T) {
	startMoto(t)
	dry := []string{"deploy", example, "--dry-run", "--detailed-exitcode", "--output", "json"}
	if code, _, stderr := run(dry...); code != 2 {
		t.Fatalf("dry run on empty accounts: exit %d, want 2\n%s", code, stderr)
	}
	if code, _, stderr := run("deploy", example, "--method", "direct", "--yes", "--output", "json"); code != 0 {
		t.Fatalf("deploy: exit %d\n%s", code, stderr)
	}
	if code, stdout, stderr := run(dry...); code != 0 {
		t.Errorf("dry run after the deploy: exit %d, want 0\n%s%s", code, stdout, stderr)
	}
	if code, _, _ := run("deploy", "../../golden/errors/version-2/app.yaml", "--dry-run", "--detailed-exitcode"); code != 1 {
		t.Errorf("invalid app.yaml: exit %d, want 1", code)
	}
	if code, _, stderr := run("deploy", example, "--detailed-exitcode"); code != 2 || !strings.Contains(stderr, "needs --dry-run") {
		t.Errorf("without --dry-run: exit %d %s", code, stderr)
	}
}

// TestDeployWarnsOfANewBlockingWebACL: bgc deploy's check against the live
// stacks warns, as bgc build does, when deployed targets gain bgc's
// blocking web ACL.
func TestDeployWarnsOfANewBlockingWebACL(t *testing.T) {
	startMoto(t)
	none := variant(t, "service:\n", "loadBalancer: {webAcl: none}\nservice:\n")
	if code, _, stderr := run("deploy", none, "--method", "direct", "--yes", "--output", "json"); code != 0 || strings.Contains(stderr, "web ACL") {
		t.Fatalf("deploy without a web ACL: exit %d\n%s", code, stderr)
	}
	code, _, stderr := run("deploy", example, "--dry-run", "--output", "json")
	want := "bgc: warning: the next deploy puts an AWS WAF web ACL that blocks what AWS's managed rules match in front of live target(s) test1/ap-south-1, test2/eu-central-1, test3/us-east-1 ("
	if code != 0 || !strings.Contains(stderr, want) {
		t.Errorf("dry run with the managed web ACL: exit %d, stderr lacks %q:\n%s", code, want, stderr)
	}
}
