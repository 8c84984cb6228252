package stacks

import (
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/iam"
	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
)

// namedRole is an IAM role with a physical name, a trust policy and one
// inline policy (nil = none). Named roles make the stack need
// CAPABILITY_NAMED_IAM.
func namedRole(app *model.App, name string, trust map[string]any, statements ...cfn.Statement) *iam.Role {
	r := &iam.Role{RoleName: str(name), AssumeRolePolicyDocument: trust, Tags: appTags(app)}
	if len(statements) > 0 {
		r.Policies = []iam.Role_Policy{{PolicyName: name, PolicyDocument: cfn.PolicyDocument(statements...)}}
	}
	return r
}

// serviceTrust lets an AWS service assume a role only on behalf of this
// account (confused-deputy guard).
func serviceTrust(service string) map[string]any {
	return cfn.PolicyDocument(cfn.With(cfn.Principal(cfn.Statement{
		"Effect": "Allow",
		"Action": "sts:AssumeRole",
	}, "Service", service), "StringEquals", "aws:SourceAccount", cfn.Ref("AWS::AccountId")))
}

// crossAccountTrust lets exactly one role of another account assume a
// role: the account root is the principal (it always exists) and
// aws:PrincipalArn names the role, which may be created later.
func crossAccountTrust(account, role string) map[string]any {
	return cfn.PolicyDocument(cfn.With(cfn.Principal(cfn.Statement{
		"Effect": "Allow",
		"Action": "sts:AssumeRole",
	}, "AWS", cfn.Sub(rootARN(account))), "ArnEquals", "aws:PrincipalArn", cfn.Sub(roleARN(account, role))))
}

// partitionARN rewrites a user-given ARN to use ${AWS::Partition} and
// escapes any literal "${" so it survives Fn::Sub.
// literalARN is an ARN with the partition of region written out.
func literalARN(arn, region string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) == 3 && parts[0] == "arn" {
		return "arn:" + model.Partition(region) + ":" + parts[2]
	}
	return arn
}

func partitionARN(arn string) string {
	arn = strings.ReplaceAll(arn, "${", "${!")
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) == 3 && parts[0] == "arn" {
		return "arn:${AWS::Partition}:" + parts[2]
	}
	return arn
}
