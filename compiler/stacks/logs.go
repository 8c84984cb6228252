package stacks

import (
	"fmt"

	"github.com/awslabs/goformation/v7/cloudformation/kms"
	"github.com/awslabs/goformation/v7/cloudformation/s3"
	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
)

// Outputs of a target's logs stack.
const (
	outLogKeyArn    = "LogKeyArn"
	outLogBucket    = "LogBucketName"
	albLogPrefix    = "alb"
	flowLogPrefix   = "vpc-flow-logs"
	accessLogPrefix = "artifacts"
)

// logsStack is where one target's audit trail goes: the key its log
// groups are encrypted with, and the bucket of its load balancer's access
// logs and its VPC's flow logs. Both hold data and are retained.
//
// The bucket uses SSE-S3: for ALB access logs "The only server-side
// encryption option that's supported is Amazon S3-managed keys (SSE-S3)."
// and "The bucket must be located in the same Region as the load
// balancer." (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html),
// hence one bucket per target.
func logsStack(app *model.App, t model.Target) *stack {
	tpl := cfn.New(fmt.Sprintf("bgc %s/%s logs of %s: the log groups' key, the access and flow log bucket.", app.Name, app.Service.Name, t.ID()))
	st := workloadStack(app, t, kindLogs, tpl)
	st.retain = true

	// The log groups' key. CloudWatch Logs uses it through its own
	// principal, limited to this account's log groups: "This service
	// principal must be in the same AWS Region where the key is stored."
	// and the condition kms:EncryptionContext:aws:logs:arn
	// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
	self := cfn.Sub(rootARN("${AWS::AccountId}"))
	statements := []cfn.Statement{
		cfn.Principal(cfn.Allow("KeyAdministration", keyAdmin, []string{"*"}), "AWS", self),
		cfn.With(cfn.Principal(cfn.Allow("CloudWatchLogs", []string{"kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"}, []string{"*"}),
			"Service", cfn.Sub("logs.${AWS::Region}.${AWS::URLSuffix}")),
			"ArnLike", "kms:EncryptionContext:aws:logs:arn", cfn.Sub(cfn.Partition+":logs:${AWS::Region}:${AWS::AccountId}:log-group:*")),
		denyGrantsForNonAWSResources(),
	}
	if alarmTopic(app) {
		// The alarm topic (delivery stack) is encrypted with this key, and
		// CloudWatch publishes to it. Amazon SNS's page on encrypted topics
		// and AWS services that publish to them gives the key-policy
		// statement: the service principal with kms:GenerateDataKey* and
		// kms:Decrypt
		// (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services;
		// the stored corpus here did not hold the page, so this follows the
		// statement as widely used, not a re-checked quote). Which condition
		// keys CloudWatch's KMS calls carry is not documented, so none is
		// added: a wrong one would drop every notification silently.
		statements = append(statements, cfn.Principal(cfn.Allow("CloudWatchAlarmsPublish", []string{"kms:Decrypt", "kms:GenerateDataKey*"}, []string{"*"}),
			"Service", "cloudwatch.amazonaws.com"))
	}
	tpl.Add("LogKey", &kms.Key{
		Description:                          str("bgc " + app.Name + "/" + app.Service.Name + " log groups (and alarm topic) of " + t.ID()),
		EnableKeyRotation:                    yes(),
		KeyPolicy:                            cfn.PolicyDocument(statements...),
		AWSCloudFormationDeletionPolicy:      retain,
		AWSCloudFormationUpdateReplacePolicy: retainOnReplace,
	})
	tpl.Output(outLogKeyArn, "the key of the target's log groups", cfn.GetAtt("LogKey", "Arn"))

	name := app.LogBucketName(t.AccountID, t.Region)
	tpl.Add("LogBucket", logBucket(app, name, "the target's load balancer access logs and VPC flow logs"))
	arn := bucketARN(name)
	statements = []cfn.Statement{denyInsecureTransport(name, t.Region)}
	// Load balancer access logs: "Regions available before August 2022"
	// name the Elastic Load Balancing account of the region as principal,
	// later ones the log delivery service (enable-access-logging.html).
	albObjects := cfn.Sub(arn + "/" + albLogPrefix + "/AWSLogs/${AWS::AccountId}/*")
	if elb, ok := elbAccounts[t.Region]; ok {
		statements = append(statements, cfn.Principal(cfn.Allow("LoadBalancerAccessLogs", []string{"s3:PutObject"}, []string{albObjects}),
			"AWS", cfn.Sub(rootARN(elb))))
	} else {
		statements = append(statements, cfn.Principal(cfn.Allow("LoadBalancerAccessLogs", []string{"s3:PutObject"}, []string{albObjects}),
			"Service", "logdelivery.elasticloadbalancing.amazonaws.com"))
	}
	// VPC flow logs (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3.html),
	// with the confused-deputy conditions AWS documents there.
	source := func(s cfn.Statement) cfn.Statement {
		s = cfn.With(s, "StringEquals", "aws:SourceAccount", cfn.Sub("${AWS::AccountId}"))
		return cfn.With(s, "ArnLike", "aws:SourceArn", cfn.Sub(cfn.Partition+":logs:${AWS::Region}:${AWS::AccountId}:*"))
	}
	statements = append(statements,
		cfn.With(source(cfn.Principal(cfn.Allow("FlowLogsWrite", []string{"s3:PutObject"},
			subs(arn+"/"+flowLogPrefix+"/AWSLogs/${AWS::AccountId}/*")), "Service", "delivery.logs.amazonaws.com")),
			"StringEquals", "s3:x-amz-acl", "bucket-owner-full-control"),
		source(cfn.Principal(cfn.Allow("FlowLogsCheckBucket", []string{"s3:GetBucketAcl", "s3:ListBucket"}, subs(arn)), "Service", "delivery.logs.amazonaws.com")),
	)
	tpl.Add("LogBucketPolicy", bucketPolicy("LogBucket", statements))
	tpl.Output(outLogBucket, "bucket of the access and flow logs", cfn.Ref("LogBucket"))
	return st
}

// logBucket is a bucket logs are delivered to: SSE-S3 (what ALB access
// logs and S3 server access logs accept), versioned, private, owner-
// enforced, objects expiring after the app's log retention, EventBridge
// notifications on.
func logBucket(app *model.App, name, what string) *s3.Bucket {
	days := app.Service.LogRetentionDays
	return &s3.Bucket{
		BucketName: str(name),
		BucketEncryption: &s3.Bucket_BucketEncryption{ServerSideEncryptionConfiguration: []s3.Bucket_ServerSideEncryptionRule{{
			ServerSideEncryptionByDefault: &s3.Bucket_ServerSideEncryptionByDefault{SSEAlgorithm: "AES256"},
		}}},
		VersioningConfiguration: &s3.Bucket_VersioningConfiguration{Status: "Enabled"},
		PublicAccessBlockConfiguration: &s3.Bucket_PublicAccessBlockConfiguration{
			BlockPublicAcls: yes(), BlockPublicPolicy: yes(), IgnorePublicAcls: yes(), RestrictPublicBuckets: yes(),
		},
		OwnershipControls: &s3.Bucket_OwnershipControls{Rules: []s3.Bucket_OwnershipControlsRule{{ObjectOwnership: str("BucketOwnerEnforced")}}},
		LifecycleConfiguration: &s3.Bucket_LifecycleConfiguration{Rules: []s3.Bucket_Rule{{
			Id:                             str("expire-logs"),
			Status:                         "Enabled",
			ExpirationInDays:               num(days),
			NoncurrentVersionExpiration:    &s3.Bucket_NoncurrentVersionExpiration{NoncurrentDays: noncurrentExpiryDays},
			AbortIncompleteMultipartUpload: &s3.Bucket_AbortIncompleteMultipartUpload{DaysAfterInitiation: abortMultipartDays},
		}}},
		NotificationConfiguration:            &s3.Bucket_NotificationConfiguration{EventBridgeConfiguration: &s3.Bucket_EventBridgeConfiguration{EventBridgeEnabled: true}},
		Tags:                                 appTags(app),
		AWSCloudFormationDeletionPolicy:      retain,
		AWSCloudFormationUpdateReplacePolicy: retainOnReplace,
		AWSCloudFormationMetadata: exempt(nil, exceptions{
			"S3_BUCKET_LOGGING_ENABLED": "this bucket receives " + what + "; logging its own access would log every log delivery, to itself",
			"CT.S3.PR.2":                "this bucket receives " + what + "; logging its own access would log every log delivery, to itself",
			"CT.S3.PR.10": "log delivery accepts only Amazon S3-managed keys: \"The only server-side encryption option that's supported is Amazon S3-managed keys (SSE-S3)\" " +
				"(ALB access logs) and S3 server access logging does not support SSE-KMS destinations",
		}.with(bucketExceptions("logs are written once, read rarely and expire after "+fmt.Sprint(days)+" days"))),
	}
}

// bucketExceptions are the rules none of bgc's buckets follow, and why.
func bucketExceptions(lifetime string) exceptions {
	return exceptions{
		"S3_BUCKET_DEFAULT_LOCK_ENABLED": "Object Lock would keep every object version for its retention period, against the lifecycle rule that expires them; " + lifetime,
		"CT.S3.PR.9":                     "Object Lock would keep every object version for its retention period, against the lifecycle rule that expires them; " + lifetime,
		"S3_BUCKET_REPLICATION_ENABLED":  "the bucket is regional by design (one per region where its readers run) and its content is rebuilt or re-delivered, not restored; " + lifetime,
		"S3_BUCKET_NO_PUBLIC_RW_ACL": "ACLs are disabled (BucketOwnerEnforced) and every public access blocked; the rule fails whenever AccessControl is absent, " +
			"and setting it would fail CT.S3.PR.5, which requires it to be absent",
	}
}

// with returns e with more exceptions added.
func (e exceptions) with(more exceptions) exceptions {
	for k, v := range more {
		e[k] = v
	}
	return e
}

// denyInsecureTransport is the TLS-only statement of a bucket policy, in
// the form both rule sets read: literal bucket and object ARNs with the
// region's partition written out (CT.S3.PR.8 accepts no Fn::Sub, and
// cfn-lint prefers Fn::Sub to the Fn::Join it would accept), the condition
// value the string "false" (CT.S3.PR.8; the registry's
// S3_BUCKET_SSL_REQUESTS_ONLY wants a boolean, an exception recorded on the
// policy).
func denyInsecureTransport(name, region string) cfn.Statement {
	arn := "arn:" + model.Partition(region) + ":s3:::" + name
	return cfn.With(cfn.Principal(cfn.Statement{
		"Sid": "DenyInsecureTransport", "Effect": "Deny", "Action": "s3:*",
		"Resource": []string{arn, arn + "/*"},
	}, "AWS", "*"), "Bool", "aws:SecureTransport", "false")
}

// bucketPolicy is the policy of a bucket in the same template.
func bucketPolicy(bucket string, statements []cfn.Statement) *s3.BucketPolicy {
	return &s3.BucketPolicy{
		Bucket:         cfn.Ref(bucket),
		PolicyDocument: cfn.PolicyDocument(statements...),
		AWSCloudFormationMetadata: exempt(nil, exceptions{
			"S3_BUCKET_SSL_REQUESTS_ONLY": "DenyInsecureTransport denies every request with aws:SecureTransport \"false\" as a string, " +
				"the form AWS Control Tower's CT.S3.PR.8 requires; this rule wants the JSON boolean, and no statement can be both",
		}),
	}
}

// denyGrantsForNonAWSResources keeps grants of a key to AWS services
// acting for AWS resources (CT.KMS.PR.3): every use bgc makes of its keys
// is direct or by a service principal.
func denyGrantsForNonAWSResources() cfn.Statement {
	s := cfn.Principal(cfn.Statement{"Sid": "DenyGrantsForNonAWSResources", "Effect": "Deny", "Action": "kms:CreateGrant", "Resource": "*"}, "AWS", "*")
	s["Condition"] = map[string]any{"BoolIfExists": map[string]any{"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}}
	return s
}

// elbAccounts are the Elastic Load Balancing accounts of the regions that
// were available before August 2022, which deliver access logs as
// arn:<partition>:iam::<account>:root (enable-access-logging.html; China:
// https://docs.amazonaws.cn/en_us/aws/latest/userguide/elb.html). Other
// regions use the logdelivery.elasticloadbalancing.amazonaws.com principal.
var elbAccounts = map[string]string{
	"us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980", "us-west-2": "797873946194",
	"af-south-1": "098369216593", "ap-east-1": "754344448648", "ap-southeast-3": "589379963580", "ap-south-1": "718504428378",
	"ap-northeast-3": "383597477331", "ap-northeast-2": "600734575887", "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266",
	"ap-northeast-1": "582318560864", "ca-central-1": "985666609251", "eu-central-1": "054676820928", "eu-west-1": "156460612806",
	"eu-west-2": "652711504416", "eu-south-1": "635631232127", "eu-west-3": "009996457667", "eu-north-1": "897822967062",
	"me-south-1": "076674570225", "sa-east-1": "507241528517", "us-gov-west-1": "048591011584", "us-gov-east-1": "190560391635",
	"cn-north-1": "638102146993", "cn-northwest-1": "037604701340",
}
