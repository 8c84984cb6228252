package stacks

import (
	"fmt"

	"github.com/awslabs/goformation/v7/cloudformation/s3"
	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
)

// Artifact retention: releases are kept this long (a rollback by
// re-running an old execution needs them); overwritten versions less.
const (
	artifactExpiryDays   = 90
	noncurrentExpiryDays = 30
	abortMultipartDays   = 7
)

// artifactsStack is the pipeline's artifact store in one region: SSE-KMS
// with this region's key, versioning, no public access, owner-enforced
// objects, TLS only, expiring artifacts. The workload deploy-action roles
// of this region may read, the pipeline and build roles write.
func artifactsStack(app *model.App, region string) *stack {
	tpl := cfn.New(fmt.Sprintf("bgc %s pipeline artifact store in %s.", app.Name, region))
	st := toolsStack(app, region, kindArtifacts, tpl)
	st.retain = true
	keyArn := tpl.Param(paramKeyArn, "String", "ARN of the artifact key in this region")
	st.bind(paramKeyArn, stackID(toolsAccount, region, kindKey), outKeyArn)
	name := app.ArtifactBucketName(region)
	tpl.Add("Bucket", &s3.Bucket{
		BucketName: str(name),
		BucketEncryption: &s3.Bucket_BucketEncryption{ServerSideEncryptionConfiguration: []s3.Bucket_ServerSideEncryptionRule{{
			BucketKeyEnabled:              yes(),
			ServerSideEncryptionByDefault: &s3.Bucket_ServerSideEncryptionByDefault{SSEAlgorithm: "aws:kms", KMSMasterKeyID: str(keyArn)},
		}}},
		VersioningConfiguration: &s3.Bucket_VersioningConfiguration{Status: "Enabled"},
		PublicAccessBlockConfiguration: &s3.Bucket_PublicAccessBlockConfiguration{
			BlockPublicAcls: yes(), BlockPublicPolicy: yes(), IgnorePublicAcls: yes(), RestrictPublicBuckets: yes(),
		},
		OwnershipControls: &s3.Bucket_OwnershipControls{Rules: []s3.Bucket_OwnershipControlsRule{{ObjectOwnership: str("BucketOwnerEnforced")}}},
		LifecycleConfiguration: &s3.Bucket_LifecycleConfiguration{Rules: []s3.Bucket_Rule{{
			Id:                             str("expire-artifacts"),
			Status:                         "Enabled",
			ExpirationInDays:               num(artifactExpiryDays),
			NoncurrentVersionExpiration:    &s3.Bucket_NoncurrentVersionExpiration{NoncurrentDays: noncurrentExpiryDays},
			AbortIncompleteMultipartUpload: &s3.Bucket_AbortIncompleteMultipartUpload{DaysAfterInitiation: abortMultipartDays},
		}}},
		// Server access logs to this region's access-log bucket: "The
		// target bucket must be in the same AWS Region and AWS account as
		// the source bucket." (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html)
		LoggingConfiguration:                 &s3.Bucket_LoggingConfiguration{DestinationBucketName: str(cfn.Ref("AccessLogBucket")), LogFilePrefix: str(accessLogPrefix + "/")},
		NotificationConfiguration:            &s3.Bucket_NotificationConfiguration{EventBridgeConfiguration: &s3.Bucket_EventBridgeConfiguration{EventBridgeEnabled: true}},
		Tags:                                 appTags(app),
		AWSCloudFormationDeletionPolicy:      retain,
		AWSCloudFormationUpdateReplacePolicy: retainOnReplace,
		AWSCloudFormationMetadata:            exempt(nil, bucketExceptions(fmt.Sprintf("artifacts are rebuilt by every pipeline run and expire after %d days", artifactExpiryDays))),
	})
	logs := app.AccessLogBucketName(region)
	tpl.Add("AccessLogBucket", logBucket(app, logs, "the server access logs of the artifact bucket"))
	tpl.Add("AccessLogBucketPolicy", bucketPolicy("AccessLogBucket", []cfn.Statement{
		denyInsecureTransport(logs, region),
		// S3's log delivery, for the artifact bucket of this account only
		// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
		cfn.With(cfn.With(cfn.Principal(cfn.Allow("ServerAccessLogs", []string{"s3:PutObject"}, subs(bucketARN(logs)+"/"+accessLogPrefix+"/*")),
			"Service", "logging.s3.amazonaws.com"),
			"ArnLike", "aws:SourceArn", cfn.Sub(bucketARN(name))),
			"StringEquals", "aws:SourceAccount", cfn.Sub("${AWS::AccountId}")),
	}))
	bucket, objects := bucketARN(name), bucketARN(name)+"/*"
	self := cfn.Sub(rootARN("${AWS::AccountId}"))
	writers := []string{roleARN("${AWS::AccountId}", app.PipelineRoleName())}
	if region == app.Tools.Region {
		writers = append(writers, roleARN("${AWS::AccountId}", app.BuildRoleName()))
	}
	statements := []cfn.Statement{
		denyInsecureTransport(name, region),
		cfn.With(cfn.Principal(cfn.Allow("PipelineWritesObjects", []string{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"}, subs(objects)), "AWS", self),
			"ArnEquals", "aws:PrincipalArn", subs(writers...)...),
		cfn.With(cfn.Principal(cfn.Allow("PipelineReadsBucket", []string{"s3:GetBucketLocation", "s3:GetBucketVersioning"}, subs(bucket)), "AWS", self),
			"ArnEquals", "aws:PrincipalArn", subs(writers...)...),
	}
	if roles := deployActionRoleARNs(app, region); len(roles) > 0 {
		statements = append(statements, cfn.With(cfn.Principal(
			cfn.Allow("DeployActionsReadRelease", []string{"s3:GetObject", "s3:GetObjectVersion"}, subs(releaseObjects(app, region))), "AWS", subs(accountRoots(app, region)...)...),
			"ArnEquals", "aws:PrincipalArn", subs(roles...)...))
	}
	tpl.Add("BucketPolicy", bucketPolicy("Bucket", statements))
	tpl.Output("BucketArn", "artifact bucket ARN", cfn.GetAtt("Bucket", "Arn"))
	return st
}

// releaseObjects are the objects of the Release artifact in a region's
// artifact bucket, for Fn::Sub: all a deploy action reads (not the Source
// artifact, a zip of the whole repository). CodePipeline keeps artifacts
// under a folder named after the pipeline: "A folder to contain the
// pipeline artifacts is created for you based on the name of the pipeline."
// (https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_ArtifactStore.html);
// within it, one folder per artifact. AWS documents no more than that:
// the layout <pipeline>/<artifact>/<object>, with names cut to 20 and 10
// characters, is what CodePipeline's artifacts show (e.g.
// "codepipeline-us-west-2-820783811474/CodeBuild-Python-Pip/SourceArti/1TspnN3.zip"
// in the AWS CLI's batch-get-builds example). bgc's pipeline names (at
// most 20 characters) and "Release" (7) are never cut.
func releaseObjects(app *model.App, region string) string {
	return bucketARN(app.ArtifactBucketName(region)) + "/" + app.PipelineName() + "/" + releaseArtifact + "/*"
}
