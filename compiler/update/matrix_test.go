package update_test

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/bgc-dev/bgc/internal/golden"

	"github.com/bgc-dev/bgc/compiler"
	"github.com/bgc-dev/bgc/compiler/update"
	"github.com/bgc-dev/bgc/plan"
)

// base is the app every row of the matrix changes: two targets in two
// accounts of one wave, one of them in two regions, a port and health path
// of its own, environment and secrets, tags.
const base = `version: 1
name: shop
tools: {account: "111111111111", region: eu-west-1}
key: {alias: shop}
source: {repository: shop}
accounts:
  - name: prod
    id: "222222222222"
    regions: [eu-west-1]
    wave: 1
    certificates:
      eu-west-1: arn:aws:acm:eu-west-1:222222222222:certificate/11111111-2222-3333-4444-555555555555
  - name: stage
    id: "333333333333"
    regions: [eu-west-1, us-east-1]
    wave: 1
service:
  name: web
  port: 8080
  cpu: 512
  memory: 1024
  desiredCount: 2
  healthCheck: {path: /healthz, matcher: "200", gracePeriodSeconds: 60}
  environment: {LOG_LEVEL: info}
  secrets: {DB_PASSWORD: "arn:aws:ssm:{region}:{account}:parameter/shop/db"}
  logRetentionDays: 30
deployment:
  strategy: CodeDeployDefault.ECSAllAtOnce
  terminationWaitMinutes: 10
tags: {team: shop}
`

// privateBase is base with its tasks limited to the VPC's endpoints.
var privateBase = strings.Replace(strings.Replace(base, "service:\n", "network: {endpoints: [ecr.api, ecr.dkr, logs, s3, ssm], egress: endpoints}\nservice:\n", 1),
	"  logRetentionDays: 30\n", "  logRetentionDays: 30\n  bootstrapImage: \"{account}.dkr.ecr.{region}.amazonaws.com/base/nginx:1\"\n", 1)

// edit is one change of app.yaml: every old string must occur.
type edit struct{ old, new string }

// row is one change a team makes, as a deployment would see it.
type row struct {
	name string
	// keys are the app.yaml keys the change touches, as docs/app-yaml.md
	// names them: its "changing it later" column comes from these rows.
	keys  []string
	edits []edit
	// refused, when set, is what the refusal must say; the change must
	// not deploy.
	refused []string
	// way, when set, is what the refusal must tell the user to do.
	way string
	// base, when set, is the deployed app.yaml instead of base.
	base string
	// listeners may change their default action (adding or removing a
	// certificate turns port 80 into a redirect and back).
	listeners bool
	// release says the change reaches no stack, only taskdef.json: the
	// pipeline releases it, no deploy needed.
	release bool
}

var matrix = []row{
	{name: "tags", keys: []string{"tags"}, edits: []edit{{"tags: {team: shop}", "tags: {team: shop, cost-center: \"4711\"}"}}},
	{name: "desiredCount", keys: []string{"service.desiredCount"}, edits: []edit{{"desiredCount: 2", "desiredCount: 5"}}},
	{name: "cpu and memory", keys: []string{"service.cpu", "service.memory"}, release: true, edits: []edit{{"cpu: 512\n  memory: 1024", "cpu: 1024\n  memory: 2048"}}},
	{name: "environment", keys: []string{"service.environment"}, release: true, edits: []edit{{"environment: {LOG_LEVEL: info}", "environment: {LOG_LEVEL: debug, FEATURE_X: \"on\"}"}}},
	{name: "secrets", keys: []string{"service.secrets"}, edits: []edit{{`secrets: {DB_PASSWORD: "arn:aws:ssm:{region}:{account}:parameter/shop/db"}`,
		`secrets: {DB_PASSWORD: "arn:aws:ssm:{region}:{account}:parameter/shop/db", API_KEY: "arn:aws:ssm:{region}:{account}:parameter/shop/api"}`}}},
	{name: "health-check path", keys: []string{"service.healthCheck.path"}, edits: []edit{{"path: /healthz", "path: /ready"}}},
	{name: "health-check thresholds and matcher", keys: []string{"service.healthCheck.matcher", "service.healthCheck.intervalSeconds", "service.healthCheck.timeoutSeconds", "service.healthCheck.healthyThreshold", "service.healthCheck.unhealthyThreshold"}, edits: []edit{{`matcher: "200"`, `matcher: "200-299", intervalSeconds: 10, timeoutSeconds: 4, healthyThreshold: 3, unhealthyThreshold: 4`}}},
	{name: "grace period", keys: []string{"service.healthCheck.gracePeriodSeconds"}, edits: []edit{{"gracePeriodSeconds: 60", "gracePeriodSeconds: 180"}}},
	{name: "log retention", keys: []string{"service.logRetentionDays"}, edits: []edit{{"logRetentionDays: 30", "logRetentionDays: 90"}}},
	{name: "add a certificate", keys: []string{"accounts[].certificates"}, listeners: true, edits: []edit{{"    regions: [eu-west-1, us-east-1]\n",
		"    regions: [eu-west-1, us-east-1]\n    certificates:\n      us-east-1: arn:aws:acm:us-east-1:333333333333:certificate/aaaaaaaa-2222-3333-4444-555555555555\n"}}},
	{name: "rotate a certificate", keys: []string{"accounts[].certificates"}, edits: []edit{{"certificate/11111111-2222-3333-4444-555555555555", "certificate/99999999-2222-3333-4444-555555555555"}}},
	{name: "remove a certificate", keys: []string{"accounts[].certificates"}, listeners: true, edits: []edit{{"    certificates:\n      eu-west-1: arn:aws:acm:eu-west-1:222222222222:certificate/11111111-2222-3333-4444-555555555555\n", ""}}},
	{name: "add a region", keys: []string{"accounts[].regions"}, edits: []edit{{"regions: [eu-west-1]\n", "regions: [eu-west-1, ap-south-1]\n"}}},
	{name: "add an account", keys: []string{"accounts"}, edits: []edit{{"service:\n", "  - name: qa\n    id: \"444444444444\"\n    regions: [eu-central-1]\n    wave: 1\nservice:\n"}}},
	{name: "remove a target", keys: []string{"accounts[].regions"}, edits: []edit{{"regions: [eu-west-1, us-east-1]", "regions: [eu-west-1]"}}},
	{name: "remove an account", keys: []string{"accounts"}, edits: []edit{{"  - name: stage\n    id: \"333333333333\"\n    regions: [eu-west-1, us-east-1]\n    wave: 1\n", ""}}},
	{name: "strategy", keys: []string{"deployment.strategy"}, edits: []edit{{"CodeDeployDefault.ECSAllAtOnce", "CodeDeployDefault.ECSCanary10Percent5Minutes"}}},
	{name: "termination wait", keys: []string{"deployment.terminationWaitMinutes"}, edits: []edit{{"terminationWaitMinutes: 10", "terminationWaitMinutes: 30"}}},
	{name: "waves", keys: []string{"accounts[].wave"}, edits: []edit{{"    regions: [eu-west-1, us-east-1]\n    wave: 1", "    regions: [eu-west-1, us-east-1]\n    wave: 2"}}},
	{name: "approvals", keys: []string{"deployment.approvalBetweenWaves"}, edits: []edit{
		{"    regions: [eu-west-1, us-east-1]\n    wave: 1", "    regions: [eu-west-1, us-east-1]\n    wave: 2"},
		{"terminationWaitMinutes: 10", "terminationWaitMinutes: 10\n  approvalBetweenWaves: true"}}},
	{name: "autoscaling", keys: []string{"service.autoscaling", "service.autoscaling.min", "service.autoscaling.max", "service.autoscaling.targetCpu"}, edits: []edit{{"logRetentionDays: 30", "logRetentionDays: 30\n  autoscaling: {min: 2, max: 8, targetCpu: 60}"}}},
	{name: "smoke test", keys: []string{"deployment.smokeTest", "deployment.smokeTest.paths", "deployment.smokeTest.paths[].path"}, edits: []edit{{"terminationWaitMinutes: 10", "terminationWaitMinutes: 10\n  smokeTest: {paths: [{path: /healthz}]}"}}},
	{name: "alarms", keys: []string{"deployment.max5xxPerMinute", "deployment.maxUnhealthyPercent"}, edits: []edit{{"terminationWaitMinutes: 10", "terminationWaitMinutes: 10\n  max5xxPerMinute: 50\n  maxUnhealthyPercent: 50"}}},
	{name: "alarm notifications", keys: []string{"deployment.alarmNotify"}, edits: []edit{{"terminationWaitMinutes: 10", "terminationWaitMinutes: 10\n  alarmNotify: [oncall@example.com]"}}},
	{name: "load balancer clients", keys: []string{"loadBalancer.allowedCidrs"}, edits: []edit{{"service:\n", "loadBalancer: {allowedCidrs: [198.51.100.0/24]}\nservice:\n"}}},
	{name: "container user and file system", keys: []string{"service.user", "service.writablePaths"}, release: true, edits: []edit{{"logRetentionDays: 30", "logRetentionDays: 30\n  user: \"1000\"\n  writablePaths: [/tmp, /var/cache/web]"}}},
	{name: "bootstrap image", keys: []string{"service.bootstrapImage"}, edits: []edit{{"logRetentionDays: 30", "logRetentionDays: 30\n  bootstrapImage: public.ecr.aws/docker/library/httpd:2.4"}}},

	{name: "port", keys: []string{"service.port"}, edits: []edit{{"port: 8080", "port: 9090"}},
		refused: []string{"BlueTargetGroup (AWS::ElasticLoadBalancingV2::TargetGroup): it would be replaced (Port is create-only), and CloudFormation cannot replace a resource with a custom name",
			"Service (AWS::ECS::Service): LoadBalancers would change"}},
	{name: "network CIDR", keys: []string{"network.cidr"}, edits: []edit{{"service:\n", "network: {cidr: 10.50.0.0/16}\nservice:\n"}},
		refused: []string{"BlueTargetGroup (AWS::ElasticLoadBalancingV2::TargetGroup): it would be replaced (VpcId is create-only and follows output VpcId of prod/eu-west-1/network, which changes)",
			"Service (AWS::ECS::Service): LoadBalancers, NetworkConfiguration would change"}},
	{name: "availability zones", keys: []string{"network.azs"}, edits: []edit{{"service:\n", "network: {azs: 3}\nservice:\n"}},
		refused: []string{"Service (AWS::ECS::Service): NetworkConfiguration would change"}},
	{name: "load balancer scheme", keys: []string{"loadBalancer.scheme"}, edits: []edit{{"service:\n", "loadBalancer: {scheme: internal}\nservice:\n"}},
		refused: []string{"LoadBalancer (AWS::ElasticLoadBalancingV2::LoadBalancer): it would be replaced (Scheme is create-only), and CloudFormation cannot replace a resource with a custom name"}},
	{name: "web ACL counts only", keys: []string{"loadBalancer.webAcl"}, edits: []edit{{"service:\n", "loadBalancer: {webAcl: count}\nservice:\n"}}},
	{name: "no web ACL", keys: []string{"loadBalancer.webAcl"}, edits: []edit{{"service:\n", "loadBalancer: {webAcl: none}\nservice:\n"}}},
	{name: "a target's own web ACL", keys: []string{"accounts[].webAcls"}, edits: []edit{{"    regions: [eu-west-1]\n",
		"    regions: [eu-west-1]\n    webAcls: {eu-west-1: \"arn:aws:wafv2:eu-west-1:222222222222:regional/webacl/org/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d\"}\n"}}},
	{name: "pull-request concurrency", keys: []string{"source.pullRequestConcurrency"}, edits: []edit{{"source: {repository: shop}", "source: {repository: shop, pullRequestsFrom: dev, pullRequestConcurrency: 2}"}}},
	{name: "VPC endpoints", keys: []string{"network.endpoints"}, edits: []edit{{"service:\n", "network: {endpoints: [ecr.api, ecr.dkr, logs, s3, ssm]}\nservice:\n"}}},
	{name: "egress through endpoints only", keys: []string{"network.egress"}, edits: []edit{
		{"service:\n", "network: {endpoints: [ecr.api, ecr.dkr, logs, s3, ssm], egress: endpoints}\nservice:\n"},
		{"  logRetentionDays: 30\n", "  logRetentionDays: 30\n  bootstrapImage: \"{account}.dkr.ecr.{region}.amazonaws.com/base/nginx:1\"\n"}}},
	// Refused in one step, in place in two (the next row): the table
	// shows the way that works.
	{name: "leave the endpoints in one step", base: privateBase, edits: []edit{
		{"network: {endpoints: [ecr.api, ecr.dkr, logs, s3, ssm], egress: endpoints}\n", ""},
		{"  bootstrapImage: \"{account}.dkr.ecr.{region}.amazonaws.com/base/nginx:1\"\n", ""}},
		refused: []string{"EndpointEcrApi (AWS::EC2::VPCEndpoint): it would be deleted while the tasks may still reach only the VPC's endpoints"},
		way:     "in two steps: set network.egress: internet and bgc deploy, then remove the endpoints"},
	{name: "leave the endpoints, step one", keys: []string{"network.egress"}, base: privateBase, edits: []edit{
		{"egress: endpoints", "egress: internet"}}},
	{name: "image encryption", keys: []string{"service.imageEncryption"}, edits: []edit{{"  logRetentionDays: 30\n", "  logRetentionDays: 30\n  imageEncryption: aes256\n"}},
		refused: []string{"Repository (AWS::ECR::Repository): it would be replaced (EncryptionConfiguration is create-only): ECR sets a repository's encryption only when it creates it"},
		way:     "set service.imageEncryption in app.yaml to the repository's"},
	{name: "service name", keys: []string{"service.name"}, edits: []edit{{"name: web", "name: shop-web"}},
		refused: []string{"Service (AWS::ECS::Service):", "Repository (AWS::ECR::Repository): it would be replaced (RepositoryName is create-only), leaving the old one and what it holds behind"}},
}

// TestUpdateMatrix compiles the base app and each routine change and
// checks the pair as a deployment would see it, following values across
// stacks (a replaced VPC changes every VpcId consumer): no modification
// of a CODE_DEPLOY service (its stack tags included), no listener action
// change (but where a certificate comes or goes), no replacement of a
// named resource, no resource holding data lost. Rows for the refused
// cases check the refusal. README "What you can change, and how" is this
// table.
func TestUpdateMatrix(t *testing.T) {
	baseOld, baseFiles := compile(t, base)
	for _, r := range matrix {
		t.Run(r.name, func(t *testing.T) {
			src, old, oldFiles := base, baseOld, baseFiles
			if r.base != "" {
				src = r.base
				old, oldFiles = compile(t, src)
			}
			for _, e := range r.edits {
				if !strings.Contains(src, e.old) {
					t.Fatalf("the base has no %q", e.old)
				}
				src = strings.Replace(src, e.old, e.new, 1)
			}
			next, files := compile(t, src)
			rep, err := update.Compare(update.Side{Plan: old}, update.Side{Plan: next}, update.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.release {
				if rep.Changed() {
					t.Errorf("a change for the pipeline to release changes stacks: %v", changedStacks(rep))
				}
				if string(files["prod/eu-west-1/taskdef.json"]) == string(oldFiles["prod/eu-west-1/taskdef.json"]) {
					t.Error("taskdef.json does not change")
				}
				return
			}
			if !rep.Changed() {
				t.Fatal("the change changes no stack")
			}
			refusals := strings.Join(lines(rep), "\n")
			if r.refused != nil {
				for _, want := range r.refused {
					if !strings.Contains(refusals, want) {
						t.Errorf("refusals lack %q:\n%s", want, refusals)
					}
				}
				if r.way != "" && !strings.Contains(strings.Join(rep.Refusals(), "\n"), r.way) {
					t.Errorf("no refusal says %q:\n%s", r.way, strings.Join(rep.Refusals(), "\n"))
				}
				accepted := acceptAll(t, old, next)
				if got := accepted.Refusals(); len(got) != 0 {
					t.Errorf("--recreate of every target still refuses:\n%s", strings.Join(got, "\n"))
				}
				return
			}
			if refusals != "" {
				t.Errorf("refused:\n%s", refusals)
			}
			checkSafe(t, old, next, rep, r.listeners)
		})
	}
}

// checkSafe checks a routine change's report against the rules
// themselves, not only against the refusals.
func checkSafe(t *testing.T, old, next *plan.Plan, rep *update.Report, listeners bool) {
	t.Helper()
	named := map[string]bool{}
	for _, s := range next.Stacks {
		for _, n := range s.Named {
			named[s.ID+"/"+n.LogicalID] = true
		}
	}
	for _, s := range rep.Stacks {
		if s.Status == update.StackRemoved {
			continue
		}
		ns, _ := next.Stack(s.ID)
		if os, ok := old.Stack(s.ID); ok && len(ns.Frozen) > 0 && !sameTags(os.Tags, ns.Tags) {
			t.Errorf("%s: the tags of a stack with a CODE_DEPLOY service change: %v -> %v", s.ID, os.Tags, ns.Tags)
		}
		for _, c := range s.Resources {
			switch {
			case c.Type == "AWS::ECS::Service" && c.Action != update.Add && !slices.Equal(c.Properties, []string{"(attributes)"}):
				t.Errorf("%s: the ECS service changes: %s %v", s.ID, c.Action, c.Properties)
			case c.Replace && named[s.ID+"/"+c.LogicalID]:
				t.Errorf("%s: named %s %s is replaced: %s", s.ID, c.Type, c.LogicalID, c.Because)
			case c.Type == "AWS::ElasticLoadBalancingV2::Listener" && slices.Contains(c.Properties, "DefaultActions") && !listeners:
				t.Errorf("%s: listener %s changes its default action", s.ID, c.LogicalID)
			case holdsData(c.Type) && (c.Replace || c.Action == update.Remove):
				t.Errorf("%s: %s %s holding data is %s (replace %v)", s.ID, c.Type, c.LogicalID, c.Action, c.Replace)
			}
		}
	}
}

func holdsData(typ string) bool {
	switch typ {
	case "AWS::ECR::Repository", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::KMS::ReplicaKey", "AWS::CodeCommit::Repository":
		return true
	}
	return false
}

func sameTags(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// acceptAll compares with --recreate of every workload target.
func acceptAll(t *testing.T, old, next *plan.Plan) *update.Report {
	var targets []string
	for _, s := range append(slices.Clone(old.Stacks), next.Stacks...) {
		parts := strings.SplitN(s.ID, "/", 3)
		if tg := parts[0] + "/" + parts[1]; parts[0] != "tools" && !slices.Contains(targets, tg) {
			targets = append(targets, tg)
		}
	}
	rep, err := update.Compare(update.Side{Plan: old}, update.Side{Plan: next}, update.Options{Recreate: targets})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func lines(rep *update.Report) []string {
	var out []string
	for _, s := range rep.Stacks {
		for _, f := range s.Refused {
			out = append(out, s.ID+": "+f.Reason)
		}
		for _, c := range s.Resources {
			if c.Refused != nil {
				out = append(out, s.ID+": "+c.LogicalID+" ("+c.Type+"): "+c.Refused.Reason)
			}
		}
	}
	return out
}

func compile(t *testing.T, src string) (*plan.Plan, map[string][]byte) {
	t.Helper()
	out, ds, err := compiler.Compile(fstest.MapFS{"app.yaml": {Data: []byte(src)}}, "app.yaml", "app.yaml", compiler.Options{})
	if err != nil || len(ds) > 0 {
		t.Fatalf("compile: %v %v\n%s", err, ds, src)
	}
	return out.Plan, out.Files
}

func changedStacks(rep *update.Report) []string {
	var out []string
	for _, s := range rep.Stacks {
		if s.Status != update.StackUnchanged {
			out = append(out, s.ID+" "+s.Status)
		}
	}
	return out
}

// TestChangesTable writes what changing each key of app.yaml does to a
// live system, as the matrix measures it, for docs/app-yaml.md's column
// (compiler/spec reads testdata/changes.json; go test -update rewrites it).
// A key no row changes has no entry: the docs claim only what is tested.
func TestChangesTable(t *testing.T) {
	out := map[string]string{}
	for _, r := range matrix {
		how := "in place: `bgc deploy`"
		switch {
		case r.refused != nil:
			how = "**refused** on a live target: recreate it"
		case r.release:
			how = "the next release (taskdef.json)"
		}
		for _, k := range r.keys {
			if prev, ok := out[k]; ok && prev != how {
				t.Fatalf("%s: rows disagree: %q and %q", k, prev, how)
			}
			out[k] = how
		}
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.CompareFile(t, filepath.Join("testdata", "changes.json"), append(data, '\n'))
}

// TestEndpointRemovalRefusedLive: against what is deployed (bgc deploy's
// comparison, whose deployed side carries the new plan's parameters with
// the deployed templates), relaxing egress and removing the endpoints in
// one change is refused as against the committed build.
func TestEndpointRemovalRefusedLive(t *testing.T) {
	old, _ := compile(t, privateBase)
	src := strings.Replace(privateBase, "network: {endpoints: [ecr.api, ecr.dkr, logs, s3, ssm], egress: endpoints}\n", "", 1)
	next, _ := compile(t, src)
	bodies := map[string][]byte{}
	for _, s := range old.Stacks {
		bodies[s.ID] = s.Body
	}
	live := *next
	live.Stacks = nil
	for _, s := range next.Stacks {
		if b, ok := bodies[s.ID]; ok {
			s.Body = b
		}
		live.Stacks = append(live.Stacks, s)
	}
	rep, err := update.Compare(update.Side{Plan: &live}, update.Side{Plan: next}, update.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(rep.Refusals(), "\n")
	if !strings.Contains(got, "AWS::EC2::VPCEndpoint EndpointEcrApi: it would be deleted while the tasks may still reach only the VPC's endpoints") {
		t.Errorf("no refusal of the endpoints' removal:\n%s", got)
	}
}
