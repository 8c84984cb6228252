package stacks

import (
	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/awslabs/goformation/v7/cloudformation/wafv2"
	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
)

// The AWS managed rule groups of bgc's web ACL: AWS's "baseline" groups
// for any web application
// (https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html,
// aws-managed-rule-groups-ip-rep.html). Their capacities, which those
// pages list, are meant to stay under the 1,500 WCUs a web ACL has before
// AWS WAF charges more; the figures (700, 200 and 25) were not re-checked
// against the pages for this change.
var managedRuleGroups = []string{
	"AWSManagedRulesCommonRuleSet",
	"AWSManagedRulesKnownBadInputsRuleSet",
	"AWSManagedRulesAmazonIpReputationList",
}

// bodySizeRule is the core rule set's rule that blocks any body over 8 KB,
// the most AWS WAF inspects of a request to a load balancer. AWS's
// knowledge-center article says the core rule set's SizeRestrictions_BODY
// rule checks for request bodies over 8 KB (8,192 bytes) and blocks them
// (paraphrased from its Spanish, Italian and French editions, the ones the
// documentation index holds:
// https://repost.aws/knowledge-center/waf-http-request-body-inspection).
// Uploads and large API requests would fail the day the web ACL arrives,
// so bgc counts them instead: their first 8 KB are still inspected by
// every other rule.
const bodySizeRule = "SizeRestrictions_BODY"

// addWebACL puts a web ACL in front of the target's load balancer: bgc's
// own (loadBalancer.webAcl managed or count) or the account's
// (accounts[].webAcls), or none.
func addWebACL(app *model.App, t model.Target, tpl *cfn.Template, logKey string) {
	lb := app.LoadBalancer
	if t.WebACLARN == "" && !lb.OwnWebACL(t) {
		return
	}
	acl := t.WebACLARN
	if lb.OwnWebACL(t) {
		acl = cfn.GetAtt("WebAcl", "Arn")
		addOwnWebACL(app, tpl, logKey, lb.WebACL == model.WebACLCount)
	}
	// Changing the web ACL replaces the association (both properties are
	// create-only), the new one first. The old one's delete then leaves
	// the load balancer alone: the resource provider disassociates only
	// when the web ACL associated now is the one it created ("Associated
	// WebACL %s doesn't match the one from request, disassociate will not
	// be called", webaclassociation DeleteHandler.java,
	// aws-cloudformation/aws-cloudformation-resource-providers-wafv2).
	tpl.Add("WebAclAssociation", &wafv2.WebACLAssociation{
		ResourceArn: cfn.Ref("LoadBalancer"),
		WebACLArn:   acl,
	})
}

func addOwnWebACL(app *model.App, tpl *cfn.Template, logKey string, count bool) {
	var rules []wafv2.WebACL_Rule
	for i, name := range managedRuleGroups {
		group := &wafv2.WebACL_ManagedRuleGroupStatement{VendorName: "AWS", Name: name}
		if name == "AWSManagedRulesCommonRuleSet" {
			group.RuleActionOverrides = []wafv2.WebACL_RuleActionOverride{{
				Name: bodySizeRule, ActionToUse: &wafv2.WebACL_RuleAction{Count: &wafv2.WebACL_CountAction{}},
			}}
		}
		// OverrideAction None keeps the group's verdict (its rules'
		// actions, block). Count keeps the rules evaluating exactly as
		// they would, and only turns the group's verdict into a count:
		// "It does not affect how the rules in the rule group are
		// evaluated" (https://docs.aws.amazon.com/waf/latest/APIReference/API_OverrideAction.html).
		// So count mode counts and logs each request the group would
		// block (its first matching rule, as blocking would stop there),
		// which is what a team trying the rules needs to see.
		override := &wafv2.WebACL_OverrideAction{None: map[string]any{}}
		if count {
			override = &wafv2.WebACL_OverrideAction{Count: map[string]any{}}
		}
		rules = append(rules, wafv2.WebACL_Rule{
			Name:             name,
			Priority:         i,
			Statement:        &wafv2.WebACL_Statement{ManagedRuleGroupStatement: group},
			OverrideAction:   override,
			VisibilityConfig: &wafv2.WebACL_VisibilityConfig{CloudWatchMetricsEnabled: true, MetricName: name, SampledRequestsEnabled: true},
		})
	}
	tpl.Add("WebAcl", &wafv2.WebACL{
		Name:             str(app.WebACLName()),
		Description:      str("bgc: AWS managed baseline rules in front of " + app.LoadBalancerName()),
		Scope:            "REGIONAL",
		DefaultAction:    &wafv2.WebACL_DefaultAction{Allow: &wafv2.WebACL_AllowAction{}},
		Rules:            rules,
		VisibilityConfig: &wafv2.WebACL_VisibilityConfig{CloudWatchMetricsEnabled: true, MetricName: app.WebACLName(), SampledRequestsEnabled: true},
		Tags:             appTags(app),
	})
	// "The name that you give the destination must start with
	// aws-waf-logs-", and AWS WAF then "creates a resource policy on the
	// log group" for its log delivery
	// (https://docs.aws.amazon.com/waf/latest/APIReference/API_LoggingConfiguration.html).
	tpl.Add("WebAclLogGroup", &logs.LogGroup{
		LogGroupName:              str(app.WebACLLogGroupName()),
		RetentionInDays:           num(app.Service.LogRetentionDays),
		KmsKeyId:                  str(logKey),
		Tags:                      appTags(app),
		AWSCloudFormationMetadata: logGroupMetadata(app, whyLogKeyParameter),
		// Delete, as the service's group: a retained one would block
		// re-creating the stack under the same name.
		AWSCloudFormationDeletionPolicy:      del,
		AWSCloudFormationUpdateReplacePolicy: deleteOnReplace,
	})
	// The destination is the log group's ARN without the ":*" its Arn
	// attribute ends in.
	tpl.Add("WebAclLogging", &wafv2.LoggingConfiguration{
		ResourceArn:           cfn.GetAtt("WebAcl", "Arn"),
		LogDestinationConfigs: []string{cfn.Sub(cfn.Partition + ":logs:${AWS::Region}:${AWS::AccountId}:log-group:${WebAclLogGroup}")},
		// Credentials stay out of the logs.
		RedactedFields: []wafv2.LoggingConfiguration_FieldToMatch{
			{SingleHeader: &wafv2.LoggingConfiguration_SingleHeader{Name: "authorization"}},
			{SingleHeader: &wafv2.LoggingConfiguration_SingleHeader{Name: "cookie"}},
		},
	})
}
