package update_test

import (
	"strings"
	"testing"

	"github.com/bgc-dev/bgc/compiler/update"
	"github.com/bgc-dev/bgc/plan"
)

// stackOf is a one-stack plan entry with a template.
func stackOf(id, body string, mods ...func(*plan.Stack)) plan.Stack {
	s := plan.Stack{ID: id, Account: "111111111111", Region: "us-east-1", StackName: strings.ReplaceAll(id, "/", "-"), Template: id + ".yaml", Body: []byte(body)}
	for _, m := range mods {
		m(&s)
	}
	return s
}

func compare(t *testing.T, prev, next update.Side) *update.Report {
	t.Helper()
	rep, err := update.Compare(prev, next, update.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func change(t *testing.T, rep *update.Report, stack, id string) update.ResourceChange {
	t.Helper()
	for _, s := range rep.Stacks {
		if s.ID != stack {
			continue
		}
		for _, c := range s.Resources {
			if c.LogicalID == id {
				return c
			}
		}
	}
	t.Fatalf("%s: no change of %s in %+v", stack, id, rep)
	return update.ResourceChange{}
}

const network = `Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: %s}
Outputs:
  VpcId: {Value: {Ref: Vpc}}
`

const service = `Parameters:
  VpcId: {Type: String}
Resources:
  Blue:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: {Name: a-blue, Port: 80, Protocol: HTTP, VpcId: {Ref: VpcId}, HealthCheckPath: %s}
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: tasks, VpcId: {Ref: VpcId}}
`

func twoStacks(cidr, path string) *plan.Plan {
	named := func(s *plan.Stack) {
		s.Named = []plan.Named{{LogicalID: "Blue", Type: "AWS::ElasticLoadBalancingV2::TargetGroup", Name: "a-blue"}}
		s.DependsOn = []string{"a/us-east-1/network"}
		s.Parameters = map[string]plan.ParamValue{"VpcId": plan.FromOutput("a/us-east-1/network", "VpcId")}
	}
	return &plan.Plan{App: "a", Stacks: []plan.Stack{
		stackOf("a/us-east-1/network", strings.Replace(network, "%s", cidr, 1)),
		stackOf("a/us-east-1/service", strings.Replace(service, "%s", path, 1), named),
	}}
}

// TestReplacementFollowsBindings: a create-only change replaces the VPC;
// its new id reaches the other stack through the bound parameter and
// replaces the target group (named: refused) and the security group (not
// named: replaced); an in-place change replaces nothing.
func TestReplacementFollowsBindings(t *testing.T) {
	rep := compare(t, update.Side{Plan: twoStacks("10.0.0.0/16", "/")}, update.Side{Plan: twoStacks("10.1.0.0/16", "/")})
	if c := change(t, rep, "a/us-east-1/network", "Vpc"); !c.Replace || c.Because != "CidrBlock is create-only" {
		t.Errorf("vpc: %+v", c)
	}
	tg := change(t, rep, "a/us-east-1/service", "Blue")
	if !tg.Replace || !strings.Contains(tg.Because, "follows output VpcId of a/us-east-1/network") || tg.Refused == nil ||
		!strings.Contains(tg.Refused.Reason, "custom name (a-blue)") {
		t.Errorf("target group: %+v %+v", tg, tg.Refused)
	}
	if sg := change(t, rep, "a/us-east-1/service", "Group"); !sg.Replace || sg.Refused != nil {
		t.Errorf("security group: %+v", sg)
	}

	rep = compare(t, update.Side{Plan: twoStacks("10.0.0.0/16", "/")}, update.Side{Plan: twoStacks("10.0.0.0/16", "/ready")})
	if c := change(t, rep, "a/us-east-1/service", "Blue"); c.Replace || c.Refused != nil || strings.Join(c.Properties, ",") != "HealthCheckPath" {
		t.Errorf("health check path: %+v", c)
	}
	if rep.Stacks[0].Status != update.StackUnchanged || len(rep.Refusals()) != 0 {
		t.Errorf("network: %+v, refusals %v", rep.Stacks[0], rep.Refusals())
	}
}

// TestDeployedSide: against what AWS reports, parameters are compared by
// value: a bound parameter whose output did not change equals the value
// the stack was deployed with.
func TestDeployedSide(t *testing.T) {
	prev := update.Side{
		Plan:    twoStacks("10.0.0.0/16", "/"),
		Params:  map[string]map[string]string{"a/us-east-1/network": {}, "a/us-east-1/service": {"VpcId": "vpc-1"}},
		Outputs: map[string]map[string]string{"a/us-east-1/network": {"VpcId": "vpc-1"}},
	}
	if rep := compare(t, prev, update.Side{Plan: twoStacks("10.0.0.0/16", "/")}); rep.Changed() {
		t.Errorf("no change: %+v", rep)
	}
	prev.Params["a/us-east-1/service"]["VpcId"] = "vpc-old" // deployed before the VPC was
	rep := compare(t, prev, update.Side{Plan: twoStacks("10.0.0.0/16", "/")})
	if c := change(t, rep, "a/us-east-1/service", "Group"); !c.Replace {
		t.Errorf("a different live VpcId: %+v", c)
	}
}

// TestFrozenService: any property change of a frozen resource is refused,
// and so is a change of its stack's tags; a DependsOn change is not an
// update; --recreate of the target accepts the refusal.
func TestFrozenService(t *testing.T) {
	body := func(port, deps string) string {
		return `Resources:
  Service:
    Type: AWS::ECS::Service
    DependsOn: [` + deps + `]
    Properties: {ServiceName: s, Cluster: c, LoadBalancers: [{ContainerPort: ` + port + `}]}
  L: {Type: AWS::Logs::LogGroup}
  M: {Type: AWS::Logs::LogGroup}
`
	}
	mk := func(port, deps string, tags map[string]string) *plan.Plan {
		return &plan.Plan{App: "a", Stacks: []plan.Stack{stackOf("t/us-east-1/service", body(port, deps), func(s *plan.Stack) {
			s.Frozen = []plan.Frozen{{LogicalID: "Service", Type: "AWS::ECS::Service", Reason: "frozen"}}
			s.Tags = tags
		})}}
	}
	tags := map[string]string{"bgc:app": "a"}
	rep := compare(t, update.Side{Plan: mk("80", "L", tags)}, update.Side{Plan: mk("80", "L, M", tags)})
	if got := rep.Refusals(); len(got) != 0 {
		t.Errorf("DependsOn only: refused %v", got)
	}
	rep = compare(t, update.Side{Plan: mk("80", "L", tags)}, update.Side{Plan: mk("8080", "L", tags)})
	if got := rep.Refusals(); len(got) != 1 || !strings.Contains(got[0], "LoadBalancers would change, and ECS refuses") {
		t.Errorf("port: %v", got)
	}
	rep = compare(t, update.Side{Plan: mk("80", "L", tags)}, update.Side{Plan: mk("80", "L", map[string]string{"bgc:app": "a", "team": "x"})})
	if got := rep.Refusals(); len(got) != 1 || !strings.Contains(got[0], "the stack's tags would change") {
		t.Errorf("stack tags: %v", got)
	}
	rep, err := update.Compare(update.Side{Plan: mk("80", "L", tags)}, update.Side{Plan: mk("8080", "L", tags)}, update.Options{Recreate: []string{"t/us-east-1"}})
	if err != nil || len(rep.Refusals()) != 0 {
		t.Errorf("--recreate: %v %v", rep.Refusals(), err)
	}
}

// TestListenersAndData: a listener that starts forwarding to a fixed
// target group is refused, one that forwards through the live parameter
// is not; deleting a bucket is refused unless it is retained; a renamed
// named resource may be replaced.
func TestListenersAndData(t *testing.T) {
	listener := func(action string) string {
		return `Parameters:
  Color: {Type: String}
Conditions:
  Green: {Fn::Equals: [{Ref: Color}, green]}
Resources:
  Blue: {Type: AWS::ElasticLoadBalancingV2::TargetGroup, Properties: {Port: 80}}
  Green: {Type: AWS::ElasticLoadBalancingV2::TargetGroup, Properties: {Port: 80}}
  Prod:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties: {Port: 80, DefaultActions: [{Type: forward, TargetGroupArn: ` + action + `}]}
`
	}
	mk := func(action string) *plan.Plan {
		return &plan.Plan{App: "a", Stacks: []plan.Stack{stackOf("t/us-east-1/service", listener(action), func(s *plan.Stack) {
			s.Parameters = map[string]plan.ParamValue{"Color": plan.Live("ProdArn", map[string]string{"a-blue": "blue", "a-green": "green"}, "blue")}
		})}}
	}
	live := "{Fn::If: [Green, {Ref: Green}, {Ref: Blue}]}"
	rep := compare(t, update.Side{Plan: mk("{Ref: Blue}")}, update.Side{Plan: mk(live)})
	if got := rep.Refusals(); len(got) != 0 {
		t.Errorf("to the live group: %v", got)
	}
	rep = compare(t, update.Side{Plan: mk(live)}, update.Side{Plan: mk("{Ref: Green}")})
	if got := rep.Refusals(); len(got) != 1 || !strings.Contains(got[0], "moving production traffic") {
		t.Errorf("to a fixed group: %v", got)
	}

	bucket := func(policy, extra string) *plan.Plan {
		body := "Resources:\n  Logs: {Type: AWS::Logs::LogGroup}\n" + extra
		if policy != "" {
			body += "  Data: {Type: AWS::S3::Bucket, DeletionPolicy: " + policy + "}\n"
		}
		return &plan.Plan{App: "a", Stacks: []plan.Stack{stackOf("t/us-east-1/data", body)}}
	}
	rep = compare(t, update.Side{Plan: bucket("Delete", "")}, update.Side{Plan: bucket("", "")})
	if got := rep.Refusals(); len(got) != 1 || !strings.Contains(got[0], "deleted, and with it what it holds") {
		t.Errorf("bucket deleted: %v", got)
	}
	rep = compare(t, update.Side{Plan: bucket("Retain", "")}, update.Side{Plan: bucket("", "")})
	if got := rep.Refusals(); len(got) != 0 {
		t.Errorf("retained bucket removed: %v", got)
	}

	role := func(name string) *plan.Plan {
		return &plan.Plan{App: "a", Stacks: []plan.Stack{stackOf("t/us-east-1/roles", "Resources:\n  R: {Type: AWS::IAM::Role, Properties: {RoleName: "+name+"}}\n",
			func(s *plan.Stack) { s.Named = []plan.Named{{LogicalID: "R", Type: "AWS::IAM::Role", Name: name}} })}}
	}
	rep = compare(t, update.Side{Plan: role("a")}, update.Side{Plan: role("b")})
	if c := change(t, rep, "t/us-east-1/roles", "R"); !c.Replace || c.Refused != nil {
		t.Errorf("renamed role: %+v %+v", c, c.Refused)
	}
}

// TestStacksAddedAndRemoved: a stack only the new plan has is new, one
// only the old plan has is removed and left deployed.
func TestStacksAddedAndRemoved(t *testing.T) {
	one := &plan.Plan{App: "a", Stacks: []plan.Stack{stackOf("a/us-east-1/network", strings.Replace(network, "%s", "10.0.0.0/16", 1))}}
	two := &plan.Plan{App: "a", Stacks: append([]plan.Stack{stackOf("b/eu-west-1/network", strings.Replace(network, "%s", "10.0.0.0/16", 1))}, one.Stacks...)}
	rep := compare(t, update.Side{Plan: one}, update.Side{Plan: two})
	if rep.Stacks[0].Status != update.StackNew || rep.Stacks[1].Status != update.StackUnchanged {
		t.Errorf("added: %+v", rep.Stacks)
	}
	rep = compare(t, update.Side{Plan: two}, update.Side{Plan: one})
	if len(rep.Stacks) != 2 || rep.Stacks[1].Status != update.StackRemoved || !strings.Contains(rep.Stacks[1].Note, "bgc destroy --from <a build that has it> --target b/eu-west-1") {
		t.Errorf("removed: %+v", rep.Stacks)
	}
}

// TestListenerPortTaken: the listener layout of bgc before day 2 (HTTPS on
// ProductionListener, a separate redirect on 80) cannot become today's
// (port 80 on ProductionListener, HttpsListener on 443) in one update: each
// listener would take a port the other holds.
func TestListenerPortTaken(t *testing.T) {
	tpl := func(listeners string) *plan.Plan {
		return &plan.Plan{App: "a", Stacks: []plan.Stack{stackOf("t/us-east-1/service", "Resources:\n  Lb: {Type: AWS::ElasticLoadBalancingV2::LoadBalancer}\n"+listeners)}}
	}
	before := tpl("  ProductionListener: {Type: AWS::ElasticLoadBalancingV2::Listener, Properties: {LoadBalancerArn: {Ref: Lb}, Port: 443}}\n" +
		"  HttpRedirectListener: {Type: AWS::ElasticLoadBalancingV2::Listener, Properties: {LoadBalancerArn: {Ref: Lb}, Port: 80}}\n")
	after := tpl("  ProductionListener: {Type: AWS::ElasticLoadBalancingV2::Listener, Properties: {LoadBalancerArn: {Ref: Lb}, Port: 80}}\n" +
		"  HttpsListener: {Type: AWS::ElasticLoadBalancingV2::Listener, Properties: {LoadBalancerArn: {Ref: Lb}, Port: 443}}\n")
	got := compare(t, update.Side{Plan: before}, update.Side{Plan: after}).Refusals()
	if len(got) != 2 || !strings.Contains(got[0], "HttpsListener: it would take port 443, which listener ProductionListener holds") ||
		!strings.Contains(got[1], "ProductionListener: it would take port 80, which listener HttpRedirectListener holds") {
		t.Errorf("refusals: %q", got)
	}
	// Adding HTTPS to today's layout takes a free port.
	http := tpl("  ProductionListener: {Type: AWS::ElasticLoadBalancingV2::Listener, Properties: {LoadBalancerArn: {Ref: Lb}, Port: 80}}\n")
	if got := compare(t, update.Side{Plan: http}, update.Side{Plan: after}).Refusals(); len(got) != 0 {
		t.Errorf("adding HTTPS: %q", got)
	}
}

// TestTypeChange: a resource whose type changes is replaced (and does not
// crash the comparison).
func TestTypeChange(t *testing.T) {
	mk := func(typ string) *plan.Plan {
		return &plan.Plan{App: "a", Stacks: []plan.Stack{stackOf("t/us-east-1/x", "Resources:\n  R: {Type: "+typ+"}\n")}}
	}
	rep := compare(t, update.Side{Plan: mk("AWS::SNS::Topic")}, update.Side{Plan: mk("AWS::SQS::Queue")})
	if c := change(t, rep, "t/us-east-1/x", "R"); !c.Replace || c.Because != "its type changes from AWS::SNS::Topic" {
		t.Errorf("%+v", c)
	}
}

// TestNamingAnUnnamedResource: giving a resource a name replaces it, which
// CloudFormation can do (the generated name it holds is not the new one);
// renaming to a name that stays the same cannot be, and is refused.
func TestNamingAnUnnamedResource(t *testing.T) {
	rule := func(name string) *plan.Plan {
		body := "Resources:\n  Rule:\n    Type: AWS::Events::Rule\n    Properties: {State: ENABLED, ScheduleExpression: rate(1 day)"
		var mods []func(*plan.Stack)
		if name != "" {
			body += ", Name: " + name
			mods = append(mods, func(s *plan.Stack) {
				s.Named = []plan.Named{{LogicalID: "Rule", Type: "AWS::Events::Rule", Name: name}}
			})
		}
		return &plan.Plan{App: "a", Stacks: []plan.Stack{stackOf("tools/us-east-1/pipeline", body+"}\n", mods...)}}
	}
	rep := compare(t, update.Side{Plan: rule("")}, update.Side{Plan: rule("a-start")})
	if c := change(t, rep, "tools/us-east-1/pipeline", "Rule"); !c.Replace || c.Refused != nil {
		t.Errorf("naming an unnamed rule: %+v", c)
	}
	if got := rep.Refusals(); len(got) != 0 {
		t.Errorf("refused: %q", got)
	}
	rep = compare(t, update.Side{Plan: rule("a-start")}, update.Side{Plan: rule("a-start")})
	if rep.Changed() {
		t.Errorf("no change reported as %+v", rep)
	}
}
