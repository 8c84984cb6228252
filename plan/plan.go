// Package plan is the contract between bgc's compiler and its deployer: the
// typed description of every stack of one app, in an order that respects
// its dependencies, with everything the deployer needs to know about each
// stack's template. Actions during a deploy are described entirely by the
// plan; the deployer never parses a template.
//
// The package depends on nothing of bgc's. The compiler produces a Plan,
// the deployer runs it, the CLI passes it from one to the other in-process.
// Its file form (plan.json) is read and written by plan/planfile, and the
// layout of the output directory it describes is in layout.go.
package plan

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"sort"
)

// Plan is every stack of one app, in an order that respects DependsOn.
type Plan struct {
	App string `json:"app"`
	// Accounts are what the deployer prepares in an account before its
	// first stack.
	Accounts []Account `json:"accounts,omitempty"`
	Stacks   []Stack   `json:"stacks"`
}

// Account is one account's preparation.
type Account struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// ServiceLinkedRoles are the AWS services (service principals, such as
	// "ecs.amazonaws.com") whose service-linked role must exist before the
	// account's stacks are created: services that create theirs on first
	// use race with CloudFormation in a new account.
	ServiceLinkedRoles []string `json:"serviceLinkedRoles,omitempty"`
}

// Stack is one CloudFormation stack in one account and region.
type Stack struct {
	// ID is "<accountName>/<region>/<kind>", unique in the plan.
	ID          string `json:"id"`
	Account     string `json:"account"` // 12-digit account id
	AccountName string `json:"accountName"`
	Region      string `json:"region"`
	StackName   string `json:"stackName"`
	// Template is the template's path relative to the plan's directory.
	Template string `json:"template"`
	// Body is the template itself. It is not part of plan.json: the
	// compiler fills it in memory, planfile.Load from Template.
	Body []byte `json:"-"`
	// Resources is the number of resources the template declares (progress).
	Resources int `json:"resources"`
	// Frozen are the template's resources that CloudFormation must never
	// modify once they exist; the deployer refuses a change set that would.
	Frozen []Frozen `json:"frozen,omitempty"`
	// Named are the template's resources with a physical name the
	// template fixes: CloudFormation cannot replace one ("You can't
	// perform an update that causes a custom-named resource to be
	// replaced", aws-properties-name.html), so the deployer refuses a change
	// set that would.
	Named []Named `json:"named,omitempty"`
	// Retained are the template's resources with DeletionPolicy Retain:
	// deleting the stack leaves them behind, and a named one left behind
	// blocks creating the stack again.
	Retained []Retained `json:"retained,omitempty"`
	// DeployRole is the role name `bgc deploy` assumes in Account when the
	// caller is not already in it.
	DeployRole   string                `json:"deployRole"`
	Parameters   map[string]ParamValue `json:"parameters,omitempty"`
	Capabilities []string              `json:"capabilities,omitempty"`
	Tags         map[string]string     `json:"tags,omitempty"`
	DependsOn    []string              `json:"dependsOn,omitempty"`
	// Retain marks stacks that hold state (the key, artifact buckets, ECR and
	// CodeCommit repositories, all DeletionPolicy Retain): the deployer
	// turns on termination protection, never deletes them to recover from a
	// failed create, and `bgc destroy` keeps them unless asked otherwise.
	Retain bool `json:"retain,omitempty"`
	// Service is the ECS service the stack creates, with the settings the
	// deployer applies itself after each deploy of the stack.
	Service *Service `json:"service,omitempty"`
	// Quiesce is the CodeDeploy deployment group whose deployments must have
	// ended before the stack changes: the stack holds what a blue/green
	// deployment is using (listeners, target groups, the scaling target,
	// the deployment group itself).
	Quiesce *DeploymentGroup `json:"quiesce,omitempty"`
	// DefaultSecurityGroup names the stack output holding the id of a VPC
	// the stack creates whose default security group the deployer empties
	// after each deploy of the stack: EC2 gives every VPC one that lets its
	// members reach each other and the world, and CloudFormation cannot
	// change it.
	DefaultSecurityGroup *DefaultSecurityGroup `json:"defaultSecurityGroup,omitempty"`
	// Reserved are Lambda functions of the stack with reserved
	// concurrency. Lambda refuses a reservation that would leave fewer
	// than 100 of the account's executions unreserved, so the deployer
	// checks the account's quota before it changes the stack.
	Reserved []Reservation `json:"reserved,omitempty"`
	// TemplateBucket is an S3 bucket in Account and Region, created by a
	// stack this one depends on, where the deployer may stage the template
	// when it is too large to send inline (over 51,200 bytes).
	TemplateBucket string `json:"templateBucket,omitempty"`
}

// Frozen is one resource CloudFormation must not modify after creating it,
// and why.
type Frozen struct {
	LogicalID string `json:"logicalId"`
	Type      string `json:"type"`
	Reason    string `json:"reason"`
}

// Named is one resource whose physical name the template fixes.
type Named struct {
	LogicalID string `json:"logicalId"`
	Type      string `json:"type"`
	// Name is the name, or "" when the template computes it (Fn::Sub).
	Name string `json:"name,omitempty"`
}

// Service is an ECS service under the CODE_DEPLOY controller and the
// settings of it that change with the app but that CloudFormation must
// never update (it would send the whole service to ECS, which refuses
// that for such a service). The deployer applies them with UpdateService,
// which accepts exactly these for it: "For services using the blue/green
// (CODE_DEPLOY) deployment controller, only the desired count, deployment
// configuration, health check grace period, task placement constraints and
// strategies, enable ECS managed tags option, and propagate tags can be
// updated using this API."
// (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html)
type Service struct {
	Cluster string `json:"cluster"`
	Name    string `json:"name"`
	// HealthCheckGracePeriodSeconds is how long ECS ignores failing load
	// balancer health checks of a new task.
	HealthCheckGracePeriodSeconds int `json:"healthCheckGracePeriodSeconds"`
}

// OutputServiceURL is the service stack output with the service's URL on
// its load balancer, which the deployer's summary shows per target.
const OutputServiceURL = "ServiceUrl"

// DefaultSecurityGroup is the VPC whose default security group must hold
// no rules.
type DefaultSecurityGroup struct {
	// VpcOutput is the stack output with the VPC id.
	VpcOutput string `json:"vpcOutput"`
}

// Reservation is one function's reserved concurrency.
type Reservation struct {
	Function string `json:"function"`
	// Executions is the function's ReservedConcurrentExecutions.
	Executions int `json:"executions"`
}

// DeploymentGroup names one CodeDeploy deployment group.
type DeploymentGroup struct {
	Application string `json:"application"`
	Name        string `json:"name"`
}

// Retained is one resource CloudFormation keeps when its stack is deleted.
type Retained struct {
	LogicalID string `json:"logicalId"`
	Type      string `json:"type"`
	// Name is the physical name the template fixes ("" when AWS names it).
	Name string `json:"name,omitempty"`
}

// FrozenResource returns the frozen entry for a logical id, if any.
func (s *Stack) FrozenResource(logicalID string) (Frozen, bool) {
	for _, f := range s.Frozen {
		if f.LogicalID == logicalID {
			return f, true
		}
	}
	return Frozen{}, false
}

// ParamValue is a literal Value, a reference to an Output of a stack that
// precedes it in the plan, a Live value the deployer reads from AWS just
// before the stack changes, or the id of the AWS-managed PrefixList of
// that name in the stack's account and region. Exactly one is set.
type ParamValue struct {
	Value *string    `json:"value,omitempty"`
	From  *OutputRef `json:"from,omitempty"`
	Live  *LiveRef   `json:"live,omitempty"`
	// PrefixList is the name of an AWS-managed prefix list, such as
	// "com.amazonaws.eu-west-1.s3" (the addresses of a gateway endpoint's
	// service). CloudFormation has no way to look its id up, and a
	// security group rule to the service needs it.
	PrefixList *string `json:"prefixList,omitempty"`
}

// LiveRef is the target group a listener of the stack itself forwards to
// now. CodeDeploy moves a blue/green service's listeners between its two
// target groups with every release, outside CloudFormation, so a template
// that named one group would move traffic back to the other on the next
// update of the listener. Passing what the listener forwards to keeps it.
type LiveRef struct {
	// Listener is the output of this stack that holds the listener's ARN.
	Listener string `json:"listener"`
	// TargetGroups maps each target group's name to the value that means it.
	TargetGroups map[string]string `json:"targetGroups"`
	// Initial is the value while the stack or the output does not exist.
	Initial string `json:"initial"`
}

// OutputRef names one output of another stack of the plan.
type OutputRef struct {
	Stack  string `json:"stack"`  // Stack.ID
	Output string `json:"output"` // output key
}

// Literal returns a literal parameter value.
func Literal(v string) ParamValue { return ParamValue{Value: &v} }

// Live returns a parameter read from a listener of the stack.
func Live(listenerOutput string, targetGroups map[string]string, initial string) ParamValue {
	return ParamValue{Live: &LiveRef{Listener: listenerOutput, TargetGroups: targetGroups, Initial: initial}}
}

// ParamS3PrefixList is the parameter of a service stack whose tasks may
// reach only the VPC's endpoints: the id of S3's prefix list, for their
// security group (a PrefixListID parameter).
const ParamS3PrefixList = "S3PrefixList"

// PrefixListID returns a parameter the deployer fills with the id of the
// AWS-managed prefix list called name.
func PrefixListID(name string) ParamValue { return ParamValue{PrefixList: &name} }

// FromOutput returns a parameter bound to another stack's output.
func FromOutput(stack, output string) ParamValue {
	return ParamValue{From: &OutputRef{Stack: stack, Output: output}}
}

// Check verifies the plan is well formed and returns every problem, one
// per line: ids unique and every dependency an earlier stack (which also
// rules out cycles); 12-digit account ids, region names and CloudFormation
// stack names, one stack per (account, region, name); template paths inside
// the plan's directory; and every parameter with exactly one source, an
// output of a stack it depends on.
func (p *Plan) Check() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	index := map[string]int{}
	names := map[string]string{}
	for i, s := range p.Stacks {
		if s.ID == "" {
			bad("stacks[%d] has no id", i)
			continue
		}
		if _, dup := index[s.ID]; dup {
			bad("stack %q appears twice", s.ID)
			continue
		}
		if !accountRE.MatchString(s.Account) {
			bad("stack %q: account %q is not a 12-digit AWS account id", s.ID, s.Account)
		}
		if !regionRE.MatchString(s.Region) {
			bad("stack %q: region %q is not an AWS region name", s.ID, s.Region)
		}
		if len(s.StackName) > maxStackName || !stackNameRE.MatchString(s.StackName) {
			bad("stack %q: %q is not a CloudFormation stack name (a letter, then letters, digits and '-', at most %d)", s.ID, s.StackName, maxStackName)
		}
		where := s.Account + " " + s.Region + " " + s.StackName
		if other, dup := names[where]; dup {
			bad("stack %q: %s and %s are both stack %s in account %s, region %s", s.ID, other, s.ID, s.StackName, s.Account, s.Region)
		} else {
			names[where] = s.ID
		}
		if !fs.ValidPath(s.Template) || s.Template == "." {
			bad("stack %q: template %q is not a path inside the plan's directory", s.ID, s.Template)
		}
		for _, d := range s.DependsOn {
			if _, ok := index[d]; !ok {
				bad("stack %q depends on %q, which is not an earlier stack", s.ID, d)
			}
		}
		keys := make([]string, 0, len(s.Parameters))
		for k := range s.Parameters {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := s.Parameters[k]
			if n := btoi(v.Value != nil) + btoi(v.From != nil) + btoi(v.Live != nil) + btoi(v.PrefixList != nil); n != 1 {
				bad("stack %q parameter %q must have exactly one of value, from, live and prefixList", s.ID, k)
				continue
			}
			if v.PrefixList != nil && *v.PrefixList == "" {
				bad("stack %q parameter %q: prefixList needs a name", s.ID, k)
			}
			if l := v.Live; l != nil {
				values := slices.Collect(maps.Values(l.TargetGroups))
				if l.Listener == "" || len(l.TargetGroups) == 0 || !slices.Contains(values, l.Initial) {
					bad("stack %q parameter %q: live needs a listener output, target groups and an initial value that is one of theirs", s.ID, k)
				}
			}
			if v.From != nil {
				if _, ok := index[v.From.Stack]; !ok {
					bad("stack %q parameter %q reads an output of %q, which is not an earlier stack", s.ID, k, v.From.Stack)
				} else if !slices.Contains(s.DependsOn, v.From.Stack) {
					bad("stack %q parameter %q reads %q but does not depend on it", s.ID, k, v.From.Stack)
				}
			}
		}
		if sv := s.Service; sv != nil && (sv.Cluster == "" || sv.Name == "" || sv.HealthCheckGracePeriodSeconds < 0) {
			bad("stack %q: service needs a cluster, a name and a grace period of 0 seconds or more", s.ID)
		}
		if q := s.Quiesce; q != nil && (q.Application == "" || q.Name == "") {
			bad("stack %q: quiesce needs a CodeDeploy application and deployment group", s.ID)
		}
		index[s.ID] = i
	}
	seen := map[string]bool{}
	for i, a := range p.Accounts {
		switch {
		case !accountRE.MatchString(a.ID):
			bad("accounts[%d]: %q is not a 12-digit AWS account id", i, a.ID)
		case seen[a.ID]:
			bad("accounts[%d]: account %s appears twice", i, a.ID)
		}
		seen[a.ID] = true
		for _, svc := range a.ServiceLinkedRoles {
			if !servicePrincipalRE.MatchString(svc) {
				bad("accounts[%d]: %q is not an AWS service principal", i, svc)
			}
		}
	}
	return errors.Join(errs...)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CloudFormation's and AWS's rules for the names a plan holds.
const maxStackName = 128

var (
	accountRE   = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	stackNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)

	servicePrincipalRE = regexp.MustCompile(`^[a-z0-9.-]+\.amazonaws\.com$`)
)

// Stack returns the stack with the given id.
func (p *Plan) Stack(id string) (*Stack, bool) {
	for i := range p.Stacks {
		if p.Stacks[i].ID == id {
			return &p.Stacks[i], true
		}
	}
	return nil, false
}

// Only returns a copy of the plan with the stacks keep accepts, in order,
// and no dependency on (or parameter bound to) the stacks it leaves out:
// what deleting only some stacks needs (bgc destroy --target).
func (p *Plan) Only(keep func(Stack) bool) *Plan {
	out := &Plan{App: p.App}
	kept := map[string]bool{}
	for _, s := range p.Stacks {
		if !keep(s) {
			continue
		}
		kept[s.ID] = true
		s.DependsOn = slices.DeleteFunc(slices.Clone(s.DependsOn), func(d string) bool { return !kept[d] })
		params := map[string]ParamValue{}
		for k, v := range s.Parameters {
			if v.From == nil || kept[v.From.Stack] {
				params[k] = v
			}
		}
		s.Parameters = params
		out.Stacks = append(out.Stacks, s)
	}
	for _, a := range p.Accounts {
		for _, s := range out.Stacks {
			if s.Account == a.ID {
				out.Accounts = append(out.Accounts, a)
				break
			}
		}
	}
	return out
}

// HoldsData says deleting a resource of the type loses what it stores
// (code, images, keys, objects): the compiler refuses a change that would
// delete or replace one, and the deployer a change set that would.
func HoldsData(resourceType string) bool { return holdsData[resourceType] }

var holdsData = map[string]bool{
	"AWS::CodeCommit::Repository": true,
	"AWS::ECR::Repository":        true,
	"AWS::KMS::Key":               true,
	"AWS::KMS::ReplicaKey":        true,
	"AWS::S3::Bucket":             true,
}
