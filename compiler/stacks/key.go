package stacks

import (
	"fmt"

	"github.com/awslabs/goformation/v7/cloudformation/kms"
	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
)

// outKeyArn is every key stack's output: the key's ARN in that region.
const outKeyArn = "KeyArn"

// paramPrimaryKeyArn is the replica stacks' parameter bound to the primary's KeyArn.
const paramPrimaryKeyArn = "PrimaryKeyArn"

// keyUsage are the actions S3 needs from the key for SSE-KMS objects:
// kms:GenerateDataKey to write, kms:Decrypt to read ("To upload an object
// encrypted with an AWS KMS key ... you need kms:GenerateDataKey ...
// kms:Decrypt", https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html),
// only through S3 (kms:ViaService).
var keyUsage = []string{"kms:Decrypt", "kms:GenerateDataKey"}

// keyAdmin are the administrative actions, listed explicitly (no kms:*).
var keyAdmin = []string{
	"kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey", "kms:DisableKey",
	"kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy",
	"kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants", "kms:ListKeyPolicies",
	"kms:ListResourceTags", "kms:PutKeyPolicy", "kms:ReplicateKey", "kms:RevokeGrant",
	"kms:TagResource", "kms:UntagResource", "kms:UpdateAlias",
	"kms:UpdateKeyDescription", "kms:UpdatePrimaryRegion",
}

// keyRegions is every region holding the key: the primary region plus
// every artifact region, sorted.
func keyRegions(app *model.App) []string {
	out := app.ArtifactRegions()
	for _, r := range out {
		if r == app.Key.PrimaryRegion {
			return out
		}
	}
	out = append(out, app.Key.PrimaryRegion)
	sortStrings(out)
	return out
}

// keyStack is the multi-Region key in the primary region, or its replica
// in another region. Both carry the same policy design, computed for their
// region, and an alias; both output the regional key ARN.
func keyStack(app *model.App, region string) *stack {
	primary := region == app.Key.PrimaryRegion
	role := "replica"
	if primary {
		role = "primary"
	}
	tpl := cfn.New(fmt.Sprintf("bgc %s artifact key (%s, multi-Region) in %s.", app.Name, role, region))
	st := toolsStack(app, region, kindKey, tpl)
	st.retain = true
	policy := keyPolicy(app, region)
	desc := str("bgc " + app.Name + " pipeline artifacts")
	// No resource-level Tags: moto's CloudFormation crashes on KMS key tags
	// (it expects TagKey/TagValue); the stack tags of plan.json reach the
	// key through CloudFormation's tag propagation instead.
	why := justify(`In a key policy, Resource "*" means this key and nothing else.`)
	if primary {
		tpl.Add("Key", &kms.Key{
			Description:                          desc,
			MultiRegion:                          yes(),
			EnableKeyRotation:                    yes(),
			PendingWindowInDays:                  num(app.Key.DeletionWindowDays),
			KeyPolicy:                            policy,
			AWSCloudFormationDeletionPolicy:      retain,
			AWSCloudFormationUpdateReplacePolicy: retainOnReplace,
			AWSCloudFormationMetadata:            why,
		})
		tpl.Add("Alias", &kms.Alias{AliasName: app.Key.Alias, TargetKeyId: cfn.Ref("Key")})
		tpl.Output(outKeyArn, "key ARN in this region", cfn.GetAtt("Key", "Arn"))
		return st
	}
	primaryArn := tpl.Param(paramPrimaryKeyArn, "String", "ARN of the primary multi-Region key")
	st.bind(paramPrimaryKeyArn, stackID(toolsAccount, app.Key.PrimaryRegion, kindKey), outKeyArn)
	// A replica has the primary's key id; deriving it from the parameter
	// avoids Ref/GetAtt on AWS::KMS::ReplicaKey, which moto does not create.
	keyID := cfn.Select(1, cfn.Split("/", primaryArn))
	tpl.Add("Key", &kms.ReplicaKey{
		Description:                          desc,
		PrimaryKeyArn:                        primaryArn,
		PendingWindowInDays:                  num(app.Key.DeletionWindowDays),
		KeyPolicy:                            policy,
		AWSCloudFormationDeletionPolicy:      retain,
		AWSCloudFormationUpdateReplacePolicy: retainOnReplace,
		AWSCloudFormationMetadata:            why,
	})
	tpl.Add("Alias", &kms.Alias{AliasName: app.Key.Alias, TargetKeyId: keyID, AWSCloudFormationDependsOn: []string{"Key"}})
	tpl.Output(outKeyArn, "key ARN in this region", cfn.SubVars(cfn.Partition+":kms:${AWS::Region}:${AWS::AccountId}:key/${KeyId}", map[string]string{"KeyId": keyID}))
	return st
}

// keyPolicy grants administration to the tools account (and Key.Admins)
// and usage to the roles that touch artifacts in this region. Every role
// is named through aws:PrincipalArn on its account's root principal, so
// the key can be created before any of them exists.
//
// Administration stays with the tools account's IAM (its root principal:
// whoever the account's own policies allow) and key.admins. It cannot be
// narrowed to named principals: the identity that updates the key policy
// (the deploy role, or the caller itself when it runs in the tools
// account) must keep kms:PutKeyPolicy, which KMS checks on every change of
// the policy, and bgc cannot know it in advance. Deleting the key takes an
// explicit step instead: no statement allows kms:ScheduleKeyDeletion and
// one denies it to everyone, so an administrator must first change the
// key policy (docs/security.md).
func keyPolicy(app *model.App, region string) map[string]any {
	self := cfn.Sub(rootARN("${AWS::AccountId}"))
	statements := []cfn.Statement{
		cfn.Principal(cfn.Allow("KeyAdministration", keyAdmin, []string{"*"}), "AWS", self),
		cfn.Principal(cfn.Statement{"Sid": "DenyKeyDeletion", "Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}, "AWS", "*"),
		denyGrantsForNonAWSResources(),
	}
	if len(app.Key.Admins) > 0 {
		admins := make([]string, len(app.Key.Admins))
		for i, a := range app.Key.Admins {
			admins[i] = cfn.Sub(partitionARN(a))
		}
		statements = append(statements, cfn.Principal(cfn.Allow("KeyAdministrators", keyAdmin, []string{"*"}), "AWS", admins...))
	}
	tools := []string{roleARN("${AWS::AccountId}", app.PipelineRoleName())}
	if region == app.Tools.Region {
		tools = append(tools, roleARN("${AWS::AccountId}", app.BuildRoleName()))
	}
	statements = append(statements,
		cfn.With(cfn.With(cfn.Principal(cfn.Allow("UseByPipelineAndBuild", keyUsage, []string{"*"}), "AWS", self),
			"ArnEquals", "aws:PrincipalArn", subs(tools...)...),
			"StringEquals", "kms:ViaService", cfn.Sub(viaService("s3"))),
		cfn.With(cfn.Principal(cfn.Allow("DescribeByPipelineAndBuild", []string{"kms:DescribeKey"}, []string{"*"}), "AWS", self),
			"ArnEquals", "aws:PrincipalArn", subs(tools...)...),
		// The build's and the pull-request function's log groups in the
		// tools region: CloudWatch Logs through its own principal, for this
		// account's log groups (encrypt-log-data-kms.html).
		cfn.With(cfn.Principal(cfn.Allow("CloudWatchLogs", []string{"kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"}, []string{"*"}),
			"Service", cfn.Sub("logs.${AWS::Region}.${AWS::URLSuffix}")),
			"ArnLike", "kms:EncryptionContext:aws:logs:arn", cfn.Sub(cfn.Partition+":logs:${AWS::Region}:${AWS::AccountId}:log-group:*")),
	)
	if roles := deployActionRoleARNs(app, region); len(roles) > 0 {
		// Deploy actions only read artifacts, through S3. The key cannot
		// narrow this to the Release artifact: with S3 Bucket Keys the
		// encryption context is the bucket's ARN, not the object's; the
		// bucket policy and the role's own policy do (releaseObjects).
		accounts := subs(accountRoots(app, region)...)
		statements = append(statements,
			cfn.With(cfn.With(cfn.Principal(cfn.Allow("DecryptArtifactsByDeployActions", []string{"kms:Decrypt"}, []string{"*"}), "AWS", accounts...),
				"ArnEquals", "aws:PrincipalArn", subs(roles...)...),
				"StringEquals", "kms:ViaService", cfn.Sub(viaService("s3"))),
			cfn.With(cfn.Principal(cfn.Allow("DescribeByDeployActions", []string{"kms:DescribeKey"}, []string{"*"}), "AWS", accounts...),
				"ArnEquals", "aws:PrincipalArn", subs(roles...)...),
		)
	}
	return cfn.PolicyDocument(statements...)
}

// viaService is the kms:ViaService value of an AWS service in the stack's
// region, for Fn::Sub: "<service>.<region>.amazonaws.com" (e.g.
// "s3.AWS_region.amazonaws.com", https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service),
// with the partition's DNS suffix: AWS::URLSuffix "is typically
// amazonaws.com, but might differ by region. For example, the suffix for
// the China (Beijing) region is amazonaws.com.cn." (pseudo-parameter
// reference). AWS documents no China-partition ViaService value; the
// service's endpoint name there ends in amazonaws.com.cn.
func viaService(service string) string { return service + ".${AWS::Region}.${AWS::URLSuffix}" }
