package stacks

import (
	"slices"
	"sort"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/policies"
	"github.com/awslabs/goformation/v7/cloudformation/tags"
	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/plan"
)

// Stack kinds: the last element of a plan id and the suffix of a stack name.
const (
	kindKey       = "key"
	kindArtifacts = "artifacts"
	kindLogs      = "logs"
	kindNetwork   = "network"
	kindRegistry  = "registry"
	kindService   = "service"
	kindDelivery  = "delivery"
	kindSource    = "source"
	kindBuild     = "build"
	kindPipeline  = "pipeline"
)

// toolsAccount is the reserved account name of the tools account's stacks.
const toolsAccount = "tools"

// stack is one built stack before it becomes a plan entry and a file.
type stack struct {
	accountName, accountID, region, kind string
	stackName, deployRole                string
	tpl                                  *cfn.Template
	params                               map[string]plan.ParamValue
	dependsOn                            []string
	retain                               bool
	// templateBucket is where the deployer may stage this stack's template
	// when it is too large to send inline; a dependency must create it.
	templateBucket string
	// frozen are resources CloudFormation must never modify once created.
	frozen []plan.Frozen
	// service and quiesce become the plan entry's Service and Quiesce.
	service *plan.Service
	quiesce *plan.DeploymentGroup
	// defaultSG becomes the plan entry's DefaultSecurityGroup.
	defaultSG *plan.DefaultSecurityGroup
	// reserved becomes the plan entry's Reserved.
	reserved []plan.Reservation
	// problems are what this stack would hold that AWS refuses.
	problems Problems
	// fingerprinted, when set, receives the plan fingerprint of every other
	// template before this one is rendered (the build project).
	fingerprinted func(fingerprint string)
}

// freeze marks a resource the deployer must never let CloudFormation
// modify after it exists.
func (s *stack) freeze(logicalID string, r cfn.Resource, reason string) {
	s.frozen = append(s.frozen, plan.Frozen{LogicalID: logicalID, Type: r.AWSCloudFormationType(), Reason: reason})
}

func (s *stack) id() string { return stackID(s.accountName, s.region, s.kind) }

// stackID is "<accountName>/<region>/<kind>".
func stackID(account, region, kind string) string { return account + "/" + region + "/" + kind }

// bind binds a template parameter to an output of an earlier stack and
// records the dependency.
func (s *stack) bind(param, fromStack, output string) {
	if s.params == nil {
		s.params = map[string]plan.ParamValue{}
	}
	s.params[param] = plan.FromOutput(fromStack, output)
	s.needs(fromStack)
}

// needs records a dependency once.
func (s *stack) needs(ids ...string) {
	for _, id := range ids {
		if !slices.Contains(s.dependsOn, id) {
			s.dependsOn = append(s.dependsOn, id)
		}
	}
}

func workloadStack(app *model.App, t model.Target, kind string, tpl *cfn.Template) *stack {
	return &stack{
		accountName: t.Account, accountID: t.AccountID, region: t.Region, kind: kind,
		stackName: app.WorkloadStackName(kind), deployRole: t.DeployRole, tpl: tpl,
	}
}

func toolsStack(app *model.App, region, kind string, tpl *cfn.Template) *stack {
	return &stack{
		accountName: toolsAccount, accountID: app.Tools.AccountID, region: region, kind: kind,
		stackName: app.ToolsStackName(kind), deployRole: app.Tools.DeployRole, tpl: tpl,
	}
}

// appTags converts the app's tags for goformation.
func appTags(app *model.App) []tags.Tag {
	out := make([]tags.Tag, len(app.Tags))
	for i, kv := range app.Tags {
		out[i] = tags.Tag{Key: kv.Key, Value: kv.Value}
	}
	return out
}

func str(s string) *string { return &s }
func num(n int) *int       { return &n }
func yes() *bool           { b := true; return &b }
func boolp(b bool) *bool   { return &b }
func no() *bool            { b := false; return &b }

const (
	retain = policies.DeletionPolicy("Retain")
	del    = policies.DeletionPolicy("Delete")
	// retainOnReplace and deleteOnReplace are the UpdateReplacePolicy twins.
	retainOnReplace = policies.UpdateReplacePolicy("Retain")
	deleteOnReplace = policies.UpdateReplacePolicy("Delete")
)

// roleARN is the ARN of a role for use inside Fn::Sub; account may be a
// literal id or "${AWS::AccountId}".
func roleARN(account, name string) string {
	return cfn.Partition + ":iam::" + account + ":role/" + name
}

// rootARN is an account's root principal for use inside Fn::Sub.
func rootARN(account string) string { return cfn.Partition + ":iam::" + account + ":root" }

// bucketARN is an S3 bucket ARN for use inside Fn::Sub.
func bucketARN(name string) string { return cfn.Partition + ":s3:::" + name }

// subs maps a list of Sub strings to encoded intrinsics.
func subs(list ...string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = cfn.Sub(s)
	}
	return out
}

// logicalID turns any name ("eu-central-1", "test-1") into a CamelCase
// alphanumeric fragment of a logical id ("EuCentral1").
func logicalID(name string) string {
	var b strings.Builder
	up := true
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z':
			if up {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}

// justify is the Metadata of a role whose policy needs a wildcard resource
// AWS forces on it (IAM_POLICYDOCUMENT_NO_WILDCARD_RESOURCE), with why.
func justify(reason string) map[string]any {
	return exempt(nil, exceptions{"IAM_POLICYDOCUMENT_NO_WILDCARD_RESOURCE": reason})
}

// deployActionRoleARNs are the deploy-action role ARNs of one region's
// targets (region "" = all), sorted and unique, for Fn::Sub.
func deployActionRoleARNs(app *model.App, region string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range app.Targets {
		if region != "" && t.Region != region {
			continue
		}
		a := roleARN(t.AccountID, app.DeployActionRoleName(t.Region))
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	sortStrings(out)
	return out
}

// accountRoots are the root ARNs of the accounts owning the given targets
// (region "" = all), sorted and unique, for Fn::Sub.
func accountRoots(app *model.App, region string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range app.Targets {
		if region != "" && t.Region != region {
			continue
		}
		if !seen[t.AccountID] {
			seen[t.AccountID] = true
			out = append(out, rootARN(t.AccountID))
		}
	}
	sortStrings(out)
	return out
}

func sortStrings(s []string) { sort.Strings(s) }
