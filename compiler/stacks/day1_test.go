package stacks_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/compiler/stacks"
)

func resourcesOf(t *testing.T, files map[string][]byte, path string) map[string]map[string]any {
	t.Helper()
	var tpl struct {
		Resources map[string]map[string]any
	}
	if err := json.Unmarshal(files[path], &tpl); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tpl.Resources
}

func props(r map[string]any) map[string]any { p, _ := r["Properties"].(map[string]any); return p }

// TestAlarmsJudgeEachTargetGroup: the rollback alarms are per target group
// (LoadBalancer and TargetGroup dimensions) and rates: 5xx per minute over
// the limit, and a share of unhealthy targets (an empty group counts as
// healthy); alarmRollback: false leaves them out of the deployment's
// decision (the break-glass switch).
func TestAlarmsJudgeEachTargetGroup(t *testing.T) {
	app := seedApp()
	res := resourcesOf(t, generate(t, app, cfn.JSON), "test1/ap-south-1/poc-web-delivery.template.json")
	var names []string
	for id, r := range res {
		if r["Type"] != "AWS::CloudWatch::Alarm" {
			continue
		}
		p := props(r)
		names = append(names, p["AlarmName"].(string))
		raw, _ := json.Marshal(p)
		if !strings.Contains(string(raw), `"Name":"TargetGroup"`) {
			t.Errorf("%s watches the whole load balancer: %s", id, raw)
		}
		if strings.HasPrefix(id, "Unhealthy") {
			if p["Threshold"] != 50.0 || p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" ||
				!strings.Contains(string(raw), `IF(unhealthy + healthy \u003e 0, 100 * unhealthy / (unhealthy + healthy), 0)`) {
				t.Errorf("%s is not a share of unhealthy targets: %s", id, raw)
			}
		}
		if p["TreatMissingData"] != "notBreaching" {
			t.Errorf("%s: missing data breaches", id)
		}
	}
	slices.Sort(names)
	if want := []string{"poc-web-5xx-blue", "poc-web-5xx-green", "poc-web-unhealthy-blue", "poc-web-unhealthy-green"}; !slices.Equal(names, want) {
		t.Errorf("alarms %v, want %v", names, want)
	}
	group := props(res["DeploymentGroup"])["AlarmConfiguration"].(map[string]any)
	if group["Enabled"] != true || len(group["Alarms"].([]any)) != 4 {
		t.Errorf("alarm configuration %v", group)
	}

	app.Deployment.AlarmRollback = false
	res = resourcesOf(t, generate(t, app, cfn.JSON), "test1/ap-south-1/poc-web-delivery.template.json")
	if group := props(res["DeploymentGroup"])["AlarmConfiguration"].(map[string]any); group["Enabled"] != false {
		t.Errorf("alarmRollback false: %v", group)
	}
}

// TestDeployRolesReadOnlyTheRelease: a deploy-action role, and the bucket
// policy for it, reach only the Release artifact's objects, never the whole
// bucket (which holds the Source artifact, a zip of the repository).
func TestDeployRolesReadOnlyTheRelease(t *testing.T) {
	files := generate(t, seedApp(), cfn.JSON)
	role, _ := json.Marshal(props(resourcesOf(t, files, "test1/ap-south-1/poc-web-delivery.template.json")["DeployActionRole"]))
	bucket, _ := json.Marshal(props(resourcesOf(t, files, "tools/ap-south-1/poc-artifacts.template.json")["BucketPolicy"]))
	release := "arn:${AWS::Partition}:s3:::poc-artifacts-111111111111-ap-south-1/poc/Release/*"
	for name, doc := range map[string]string{"deploy role": string(role), "bucket policy": string(bucket)} {
		if !strings.Contains(doc, release) {
			t.Errorf("%s lacks %s", name, release)
		}
	}
	if strings.Contains(string(role), "ap-south-1/*") {
		t.Errorf("the deploy role reads the whole bucket: %s", role)
	}
	var policy struct {
		PolicyDocument struct{ Statement []map[string]any }
	}
	json.Unmarshal(bucket, &policy)
	for _, st := range policy.PolicyDocument.Statement {
		raw, _ := json.Marshal(st)
		if strings.Contains(string(raw), "-deploy-") && !strings.Contains(string(raw), "/poc/Release/*") {
			t.Errorf("a statement for the deploy roles reaches beyond the release: %s", raw)
		}
	}
}

// TestHooksWiring: the AppSpec names both hooks; the smoke test runs in the
// private subnets with the health check first; with a test listener CIDR
// that leaves out the VPC, the private subnets may still reach it; with the
// smoke test off only the release hook remains.
func TestHooksWiring(t *testing.T) {
	app := seedApp()
	app.Deployment.SmokeTest.Checks = append(app.Deployment.SmokeTest.Checks, model.Check{Path: "/ping", Matcher: "200"})
	for i := range app.Targets {
		app.Targets[i].TestListener.CIDR = "192.168.0.0/24"
	}
	files := generate(t, app, cfn.JSON)
	as := string(files["test1/ap-south-1/appspec.yaml"])
	if !strings.Contains(as, "Hooks:\n  - AfterAllowTestTraffic: CodeDeployHook_poc-web-smoke\n  - AfterAllowTraffic: CodeDeployHook_poc-web-release\n") {
		t.Errorf("appspec:\n%s", as)
	}
	delivery := resourcesOf(t, files, "test1/ap-south-1/poc-web-delivery.template.json")
	fn := props(delivery["SmokeTestHookFunction"])
	env := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	if env["CHECKS"] != `[["/","200-399"],["/ping","200"]]` || env["PROTOCOL"] != "HTTP" || env["PORT"] != "8080" {
		t.Errorf("smoke test environment %v", env)
	}
	if subnets := fn["VpcConfig"].(map[string]any)["SubnetIds"].([]any); len(subnets) != 2 {
		t.Errorf("smoke test subnets %v", subnets)
	}
	sg, _ := json.Marshal(props(resourcesOf(t, files, "test1/ap-south-1/poc-web-service.template.json")["LoadBalancerSecurityGroup"]))
	if !strings.Contains(string(sg), `"CidrIp":"10.0.128.0/19","Description":"smoke test (CodeDeploy hook)"`) {
		t.Errorf("the private subnets cannot reach the test listener: %s", sg)
	}

	app.Deployment.SmokeTest = nil
	files = generate(t, app, cfn.JSON)
	if as := string(files["test1/ap-south-1/appspec.yaml"]); strings.Contains(as, "AfterAllowTestTraffic") || !strings.Contains(as, "AfterAllowTraffic") {
		t.Errorf("smoke test off, appspec:\n%s", as)
	}
	if _, ok := resourcesOf(t, files, "test1/ap-south-1/poc-web-delivery.template.json")["SmokeTestHookFunction"]; ok {
		t.Error("smoke test off, but its function is there")
	}
}

// TestAlarmNotifications: with deployment.alarmNotify each target's
// rollback alarms publish to a topic encrypted with the target's log key,
// which lets CloudWatch use it; only the app's alarms may publish; without
// it there is no topic and the alarms record why they have no action.
func TestAlarmNotifications(t *testing.T) {
	app := seedApp()
	app.Deployment.AlarmNotify = []string{"oncall@example.com", "team@example.com"}
	files := generate(t, app, cfn.JSON)
	res := resourcesOf(t, files, "test1/ap-south-1/poc-web-delivery.template.json")
	raw, _ := json.Marshal(props(res["AlarmTopic"]))
	if !strings.Contains(string(raw), `"KmsMasterKeyId":{"Ref":"LogKeyArn"}`) {
		t.Errorf("topic not encrypted with the log key: %s", raw)
	}
	raw, _ = json.Marshal(props(res["AlarmTopicPolicy"]))
	if !strings.Contains(string(raw), `"Service":"cloudwatch.amazonaws.com"`) || !strings.Contains(string(raw), `:alarm:poc-web-*`) || !strings.Contains(string(raw), `"aws:SourceAccount"`) {
		t.Errorf("topic policy: %s", raw)
	}
	subs := 0
	for id, r := range res {
		switch r["Type"] {
		case "AWS::SNS::Subscription":
			subs++
		case "AWS::CloudWatch::Alarm":
			md, _ := json.Marshal(r["Metadata"])
			if a, _ := props(r)["AlarmActions"].([]any); len(a) != 1 || strings.Contains(string(md), "CT.CLOUDWATCH.PR.1") {
				t.Errorf("%s: actions %v, metadata %s", id, a, md)
			}
		}
	}
	if subs != 2 {
		t.Errorf("%d subscriptions, want 2", subs)
	}
	key, _ := json.Marshal(props(resourcesOf(t, files, "test1/ap-south-1/poc-web-logs.template.json")["LogKey"]))
	if !strings.Contains(string(key), `"Sid":"CloudWatchAlarmsPublish"`) {
		t.Errorf("the log key does not let CloudWatch use it: %s", key)
	}

	app.Deployment.AlarmNotify = nil
	files = generate(t, app, cfn.JSON)
	if _, ok := resourcesOf(t, files, "test1/ap-south-1/poc-web-delivery.template.json")["AlarmTopic"]; ok {
		t.Error("a topic without alarmNotify")
	}
	if key, _ := json.Marshal(resourcesOf(t, files, "test1/ap-south-1/poc-web-logs.template.json")["LogKey"]); strings.Contains(string(key), "CloudWatchAlarmsPublish") {
		t.Error("the log key lets CloudWatch use it without alarmNotify")
	}
}

// TestVolumeNames: writable paths name their volumes readably, and paths
// that would share a name get a number.
func TestVolumeNames(t *testing.T) {
	got := stacks.VolumeNames([]string{"/tmp", "/var/cache", "/var.cache", "/var/cache.d"})
	if want := []string{"tmp", "var-cache", "var-cache-2", "var-cache-d"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
