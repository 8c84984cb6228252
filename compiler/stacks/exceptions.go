package stacks

import (
	"fmt"
	"sort"

	"github.com/bgc-dev/bgc/compiler/model"
)

// bgc's output is checked with AWS's policy-as-code rules (cfn-guard with
// the AWS Guard Rules Registry and the AWS Control Tower proactive
// controls: internal/guard). Where a rule does not fit, the resource
// records the exception and why, in the form cfn-guard reads plus the
// reason:
//
//	Metadata:
//	  guard:
//	    SuppressedRules: [RULE]
//	  bgc:justifications:
//	    RULE: why this is right here
//
// Builders attach the exceptions of one resource (exempt); typeExceptions
// holds those that follow from a resource's type and shape, applied to
// every template's value tree (applyExceptions).

// exceptions are rules (registry names or Control Tower ids) and why each
// does not apply.
type exceptions map[string]string

// exempt merges exceptions into a resource's metadata and returns it.
func exempt(md map[string]any, e exceptions) map[string]any {
	if md == nil {
		md = map[string]any{}
	}
	guard, _ := md["guard"].(map[string]any)
	if guard == nil {
		guard = map[string]any{}
	}
	var rules []string
	if list, ok := guard["SuppressedRules"].([]string); ok {
		rules = list
	}
	reasons, _ := md["bgc:justifications"].(map[string]string)
	if reasons == nil {
		reasons = map[string]string{}
	}
	for rule, why := range e {
		if _, dup := reasons[rule]; !dup {
			rules = append(rules, rule)
		}
		reasons[rule] = why
	}
	sort.Strings(rules)
	guard["SuppressedRules"] = rules
	md["guard"] = guard
	md["bgc:justifications"] = reasons
	return md
}

// exemptIfAny is the metadata of a resource with exceptions e, or nil
// when there are none.
func exemptIfAny(e exceptions) map[string]any {
	if len(e) == 0 {
		return nil
	}
	return exempt(nil, e)
}

// Reasons shared by several resources.
const (
	whyInlinePolicies = "the role's policies are inline so they are created, reviewed and deleted with the role they belong to; " +
		"a managed policy per role would add a resource without narrowing any permission"
	whyNoVPC = "the function only calls AWS APIs over TLS and reads nothing from a network; attaching it to a VPC would need a NAT gateway " +
		"or endpoints for those APIs and give it nothing to protect"
	whyNoDLQHook = "CodeDeploy waits for the hook to report its result and fails the deployment when it does not within an hour; " +
		"a failed invocation already stops the release, and a dead-letter queue would hold an event nobody may act on later"
	whyNoReservedConcurrency = "reserving concurrency takes it from the account's shared pool, and Lambda keeps at least 100 unreserved " +
		"executions, which a new workload account's quota may not leave room for; the hook runs once per deployment of this target, which waits for it"
)

// whyLogKeyParameter is why a log group encrypted with a key of another
// stack fails CT.CLOUDWATCH.PR.3.
const whyLogKeyParameter = "the log group is encrypted with a customer managed key (KmsKeyId) that a retained stack of its own holds " +
	"and passes in as a parameter; the control accepts only a literal key ARN or a key in the same template"

// whyToolsKeyParameter is why a tools log group encrypted with the
// artifact key fails CT.CLOUDWATCH.PR.3.
const whyToolsKeyParameter = "the log group is encrypted with the app's artifact key (KmsKeyId), which the retained key stack holds " +
	"and passes in as a parameter; the control accepts only a literal key ARN or a key in the same template"

// whyAlarmAction is why a rollback alarm has no action of its own.
const whyAlarmAction = "CodeDeploy acts on the alarm: the deployment group watches it and stops and rolls back a deployment while it is in ALARM " +
	"(AlarmConfiguration); the alarm exists for that and notifies nobody itself"

// Reasons of the network's openings.
const (
	whyWorldEgress = "the tasks reach AWS APIs (ECR, CloudWatch Logs, Secrets Manager, Systems Manager) and their own dependencies on port 443 only, " +
		"through the NAT gateway; those addresses are not fixed (app.yaml keeps network.egress: internet, the default; egress: endpoints limits the tasks to the VPC's endpoints)"
	whyPublicRoute = "the public subnets hold only the internet-facing load balancer and the NAT gateways, which need the internet gateway as their " +
		"default route; the tasks run in private subnets without public addresses"
	whyHTTPListener = "this target has no certificate in app.yaml (accounts[].certificates), so its load balancer serves HTTP; " +
		"with one, port 80 redirects to HTTPS"
	whyRedirectListener = "this listener only redirects every request to HTTPS (301) and serves nothing; CT.ELASTICLOADBALANCING.PR.1 " +
		"accepts it for that reason, this rule has no exception for redirects"
)

// nameReasons are why each named type carries a fixed name, for the types
// CFN_NO_EXPLICIT_RESOURCE_NAMES checks (its file lists them).
var nameReasons = map[string]string{
	"AWS::IAM::Role": "roles are named because trust and resource policies in other accounts (key and bucket policies, " +
		"the pipeline's cross-account actions, aws:PrincipalArn conditions) must name them before they exist",
	"AWS::ECR::Repository": "the build in the tools account pushes to <account>.dkr.ecr.<region>.<suffix>/<name>, " +
		"and task definitions name the image by repository: the name is the address",
	"AWS::CodeDeploy::DeploymentGroup": "the pipeline's CodeDeployToECS action and the hooks' IAM policies name the deployment group",
	"AWS::CloudWatch::Alarm":           "the deployment group refers to its rollback alarms by name",
	"AWS::ElasticLoadBalancingV2::LoadBalancer": "a fixed name makes a replacement (a new DNS name for every client) impossible " +
		"for CloudFormation, so bgc refuses the change that would cause one instead of performing it",
}

// applyExceptions adds the exceptions that follow from a resource's type
// and shape to every resource of a template's value tree.
func applyExceptions(tree map[string]any) {
	resources, _ := tree["Resources"].(map[string]any)
	for _, id := range sortedKeys(resources) {
		res, _ := resources[id].(map[string]any)
		typ, _ := res["Type"].(string)
		props, _ := res["Properties"].(map[string]any)
		e := exceptions{}
		if why, ok := nameReasons[typ]; ok {
			if _, named := props[physicalNames[typ].property]; named {
				e["CFN_NO_EXPLICIT_RESOURCE_NAMES"] = why
			}
		}
		if typ == "AWS::IAM::Role" {
			if _, inline := props["Policies"]; inline {
				e["IAM_NO_INLINE_POLICY_CHECK"] = whyInlinePolicies
			}
		}
		if len(e) == 0 {
			continue
		}
		md, _ := res["Metadata"].(map[string]any)
		res["Metadata"] = treeExempt(md, e)
	}
}

// treeExempt is exempt for metadata already in a value tree (decoded
// JSON: lists are []any, maps map[string]any).
func treeExempt(md map[string]any, e exceptions) map[string]any {
	if md == nil {
		md = map[string]any{}
	}
	guard, _ := md["guard"].(map[string]any)
	if guard == nil {
		guard = map[string]any{}
	}
	reasons, _ := md["bgc:justifications"].(map[string]any)
	if reasons == nil {
		reasons = map[string]any{}
	}
	var rules []string
	if list, ok := guard["SuppressedRules"].([]any); ok {
		for _, r := range list {
			if s, ok := r.(string); ok {
				rules = append(rules, s)
			}
		}
	}
	for rule, why := range e {
		if _, dup := reasons[rule]; !dup {
			rules = append(rules, rule)
		}
		reasons[rule] = why
	}
	sort.Strings(rules)
	list := make([]any, len(rules))
	for i, r := range rules {
		list[i] = r
	}
	guard["SuppressedRules"] = list
	md["guard"] = guard
	md["bgc:justifications"] = reasons
	return md
}

// minLogRetentionDays is the retention CT.CLOUDWATCH.PR.2 asks of every
// log group: "Require an Amazon CloudWatch log group to be retained for at
// least one year".
const minLogRetentionDays = 365

// logGroupMetadata is the metadata of a log group encrypted with a key
// passed in as a parameter (why says whose), with service.logRetentionDays
// recorded as the team's decision when it is shorter than a year.
func logGroupMetadata(app *model.App, why string) map[string]any {
	e := exceptions{"CT.CLOUDWATCH.PR.3": why}
	if days := app.Service.LogRetentionDays; days < minLogRetentionDays {
		e["CT.CLOUDWATCH.PR.2"] = fmt.Sprintf("app.yaml sets service.logRetentionDays to %d: the team chose to keep logs for less than "+
			"the year this control asks (the default is %d)", days, minLogRetentionDays)
	}
	return exempt(nil, e)
}
