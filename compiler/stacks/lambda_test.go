package stacks_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bgc-dev/bgc/internal/testenv"
)

// The Lambda functions bgc generates run here under python3 against stub
// AWS clients (testdata/pystub: boto3 is not on the machine, and what
// matters is what each function decides and reports), with real HTTP.

type lambdaCall struct {
	Client, Op string
	Args       map[string]any
}

type lambdaRun struct {
	Result any
	Calls  []lambdaCall
}

func runLambda(t *testing.T, source string, scenario map[string]any) lambdaRun {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		testenv.Missing(t, "python3 (the Lambda function tests)", err)
	}
	f := filepath.Join(t.TempDir(), "scenario.json")
	data, _ := json.Marshal(scenario)
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, filepath.Join("testdata", "run_lambda.py"), filepath.Join("lambda", source), f).Output()
	if err != nil {
		var ee *exec.ExitError
		if errorsAs(err, &ee) {
			t.Fatalf("%s: %v\n%s", source, err, ee.Stderr)
		}
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var run lambdaRun
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &run); err != nil {
		t.Fatalf("%s: %v\n%s", source, err, out)
	}
	return run
}

func errorsAs(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*target = e
	return ok
}

// reported is the status a hook reported to CodeDeploy ("" if none).
func reported(run lambdaRun) string {
	for _, c := range run.Calls {
		if c.Op == "put_lifecycle_event_hook_execution_status" {
			s, _ := c.Args["status"].(string)
			return s
		}
	}
	return ""
}

// TestSmokeTestHook: the hook reports Succeeded when every path answers
// as its matcher wants on every load balancer address, Failed otherwise
// (and when the load balancer has no address), and always reports.
func TestSmokeTestHook(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "poc-web-1.ap-south-1.elb.amazonaws.com" {
			w.WriteHeader(http.StatusMisdirectedRequest)
			return
		}
		switch r.URL.Path {
		case "/healthz":
			w.WriteHeader(http.StatusOK)
		case "/created":
			w.WriteHeader(http.StatusCreated)
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	scenario := func(checks string, ips ...string) map[string]any {
		var nis []map[string]string
		for _, ip := range ips {
			nis = append(nis, map[string]string{"PrivateIpAddress": ip})
		}
		return map[string]any{
			"env": map[string]string{"LOAD_BALANCER": "app/poc-web/1", "HOST": "poc-web-1.ap-south-1.elb.amazonaws.com",
				"PORT": port, "PROTOCOL": "HTTP", "CHECKS": checks, "ATTEMPTS": "2", "PAUSE": "0"},
			"event":   map[string]string{"DeploymentId": "d-1", "LifecycleEventHookExecutionId": "h-1"},
			"clients": map[string]any{"ec2": map[string]any{"describe_network_interfaces": map[string]any{"NetworkInterfaces": nis}}},
		}
	}
	for name, c := range map[string]struct {
		checks string
		ips    []string
		want   string
	}{
		"all pass":         {`[["/healthz", "200-399"], ["/created", "201"]]`, []string{"127.0.0.1", "127.0.0.1"}, "Succeeded"},
		"a path fails":     {`[["/healthz", "200-399"], ["/broken", "200"]]`, []string{"127.0.0.1"}, "Failed"},
		"wrong status":     {`[["/healthz", "204"]]`, []string{"127.0.0.1"}, "Failed"},
		"no address":       {`[["/healthz", "200"]]`, nil, "Failed"},
		"an address fails": {`[["/healthz", "200"]]`, []string{"127.0.0.1", "127.0.0.2"}, "Failed"},
	} {
		t.Run(name, func(t *testing.T) {
			run := runLambda(t, "smoke_test.py", scenario(c.checks, c.ips...))
			if got := reported(run); got != c.want || run.Result != c.want {
				t.Errorf("reported %q, returned %v; want %s", got, run.Result, c.want)
			}
		})
	}
}

// TestReleaseHook: the hook tags the digest the deployment registered as
// released-<deployment id> in the target's repository, and fails the
// hook when the image is not a digest of that repository.
func TestReleaseHook(t *testing.T) {
	scenario := func(image string) map[string]any {
		return map[string]any{
			"env":   map[string]string{"REPOSITORY": "poc/web", "CONTAINER": "web"},
			"event": map[string]string{"DeploymentId": "d-ABC", "LifecycleEventHookExecutionId": "h-1"},
			"clients": map[string]any{
				"codedeploy": map[string]any{"get_deployment": map[string]any{"deploymentInfo": map[string]any{"revision": map[string]any{
					"appSpecContent": map[string]any{"content": "version: 0.0\nResources:\n  - TargetService:\n      Properties:\n        TaskDefinition: arn:aws:ecs:ap-south-1:222222222222:task-definition/poc-web:7\n"}}}}},
				"ecs": map[string]any{"describe_task_definition": map[string]any{"taskDefinition": map[string]any{"containerDefinitions": []any{
					map[string]any{"name": "web", "image": image}}}}},
				"ecr": map[string]any{"batch_get_image": map[string]any{"images": []any{map[string]any{"imageManifest": "{}", "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json"}}}},
			},
		}
	}
	run := runLambda(t, "tag_release.py", scenario("222222222222.dkr.ecr.ap-south-1.amazonaws.com/poc/web@sha256:abc"))
	if reported(run) != "Succeeded" {
		t.Fatalf("reported %q: %+v", reported(run), run.Calls)
	}
	var tagged bool
	for _, c := range run.Calls {
		if c.Op == "put_image" {
			tagged = c.Args["imageTag"] == "released-d-ABC" && c.Args["imageDigest"] == "sha256:abc" && c.Args["repositoryName"] == "poc/web"
		}
		if c.Op == "describe_task_definition" && c.Args["taskDefinition"] != "arn:aws:ecs:ap-south-1:222222222222:task-definition/poc-web:7" {
			t.Errorf("described %v", c.Args["taskDefinition"])
		}
	}
	if !tagged {
		t.Errorf("the released digest was not tagged: %+v", run.Calls)
	}
	if got := reported(runLambda(t, "tag_release.py", scenario("public.ecr.aws/nginx/nginx:stable-alpine"))); got != "Failed" {
		t.Errorf("an image outside the repository: reported %q", got)
	}
}

// TestPullRequestFunction: the function opens a pull request named after
// the branches' merge base (so racing invocations for quick pushes open
// one), none when one is open or the branches have nothing to merge,
// and returns quietly (no error, so no retry) on CodeCommit's no-op
// answers.
func TestPullRequestFunction(t *testing.T) {
	env := map[string]string{"REPOSITORY": "Poc", "SOURCE_BRANCH": "development", "TARGET_BRANCH": "main"}
	branches := func(source, target, base string) map[string]any {
		return map[string]any{
			"list_pull_requests":  map[string]any{"pullRequestIds": []any{}},
			"get_branch":          []any{map[string]any{"branch": map[string]any{"commitId": source}}, map[string]any{"branch": map[string]any{"commitId": target}}},
			"get_merge_base":      map[string]any{"baseCommitId": base},
			"create_pull_request": map[string]any{"pullRequest": map[string]any{"pullRequestId": "7"}},
		}
	}
	creates := func(run lambdaRun) []map[string]any {
		var out []map[string]any
		for _, c := range run.Calls {
			if c.Op == "create_pull_request" {
				out = append(out, c.Args)
			}
		}
		return out
	}
	run := runLambda(t, "open_pull_request.py", map[string]any{"env": env, "clients": map[string]any{"codecommit": branches("aaa", "bbb", "bbb")}})
	if c := creates(run); len(c) != 1 || c[0]["clientRequestToken"] != "bgc-bbb" {
		t.Errorf("new commits: creates %+v", c)
	}
	for name, clients := range map[string]map[string]any{
		"same commit":    branches("aaa", "aaa", "aaa"),
		"already merged": branches("aaa", "bbb", "aaa"),
		"open pull request": func() map[string]any {
			b := branches("aaa", "bbb", "bbb")
			b["list_pull_requests"] = map[string]any{"pullRequestIds": []any{"3"}}
			b["get_pull_request"] = map[string]any{"pullRequest": map[string]any{"pullRequestTargets": []any{
				map[string]any{"sourceReference": "refs/heads/development", "destinationReference": "refs/heads/main"}}}}
			return b
		}(),
	} {
		if c := creates(runLambda(t, "open_pull_request.py", map[string]any{"env": env, "clients": map[string]any{"codecommit": clients}})); len(c) != 0 {
			t.Errorf("%s: opened %+v", name, c)
		}
	}
	quiet := branches("aaa", "bbb", "bbb")
	quiet["create_pull_request"] = map[string]any{"error": "SourceAndDestinationAreSameException"}
	if run := runLambda(t, "open_pull_request.py", map[string]any{"env": env, "clients": map[string]any{"codecommit": quiet}}); run.Result.(map[string]any)["reason"] != "SourceAndDestinationAreSameException" {
		t.Errorf("a no-op answer: %+v", run.Result)
	}
}

// TestScalingHook: as the BeforeInstall hook the function suspends all
// three kinds of scaling of the service and reports Succeeded (Failed when
// it cannot, which stops the deployment); on a deployment's end event it
// resumes them and reports nothing to CodeDeploy.
func TestScalingHook(t *testing.T) {
	suspended := func(run lambdaRun) (bool, bool) {
		for _, c := range run.Calls {
			if c.Op == "register_scalable_target" {
				st, _ := c.Args["SuspendedState"].(map[string]any)
				ok := c.Args["ResourceId"] == "service/poc-web/poc-web" && c.Args["ServiceNamespace"] == "ecs" && c.Args["ScalableDimension"] == "ecs:service:DesiredCount" &&
					st["DynamicScalingInSuspended"] == st["DynamicScalingOutSuspended"] && st["DynamicScalingOutSuspended"] == st["ScheduledScalingSuspended"]
				if !ok {
					t.Errorf("register_scalable_target %v", c.Args)
				}
				return st["DynamicScalingOutSuspended"] == true, true
			}
		}
		return false, false
	}
	env := map[string]string{"RESOURCE_ID": "service/poc-web/poc-web"}
	hook := map[string]string{"DeploymentId": "d-ABC", "LifecycleEventHookExecutionId": "h-1"}
	run := runLambda(t, "scaling.py", map[string]any{"env": env, "event": hook})
	if s, called := suspended(run); !called || !s || reported(run) != "Succeeded" {
		t.Errorf("BeforeInstall: suspended=%v called=%v reported %q", s, called, reported(run))
	}
	run = runLambda(t, "scaling.py", map[string]any{"env": env, "event": hook,
		"clients": map[string]any{"application-autoscaling": map[string]any{"register_scalable_target": map[string]any{"error": "AccessDeniedException"}}}})
	if reported(run) != "Failed" {
		t.Errorf("BeforeInstall without permission: reported %q", reported(run))
	}
	end := map[string]any{"detail-type": "CodeDeploy Deployment State-change Notification", "detail": map[string]string{"state": "FAILURE", "deploymentId": "d-ABC"}}
	run = runLambda(t, "scaling.py", map[string]any{"env": env, "event": end})
	if s, called := suspended(run); !called || s || reported(run) != "" {
		t.Errorf("end event: suspended=%v called=%v reported %q", s, called, reported(run))
	}
}
