package stacks

import (
	"fmt"

	"github.com/awslabs/goformation/v7/cloudformation/codebuild"
	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/plan"
)

// Build environment of the image build.
const (
	buildImage   = "aws/codebuild/standard:7.0"
	buildCompute = "BUILD_GENERAL1_SMALL"
	buildTimeout = 60
)

// ecrPush are the actions `docker push` and the digest lookup need.
var ecrPush = []string{
	"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
	"ecr:DescribeImages", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart",
}

// buildStack is the single CodeBuild project that builds the image once and
// pushes it to every target's registry (see buildspec.go), with its role
// and log group.
func buildStack(app *model.App, toolsKey string, registries []string) *stack {
	tpl := cfn.New(fmt.Sprintf("bgc %s image build: one image, pushed to every target's registry.", app.Name))
	st := toolsStack(app, app.Tools.Region, kindBuild, tpl)
	keyArn := tpl.Param(paramKeyArn, "String", "ARN of the artifact key in the tools region")
	st.bind(paramKeyArn, toolsKey, outKeyArn)
	st.needs(stackID(toolsAccount, app.Tools.Region, kindArtifacts))
	st.needs(registries...)

	logGroup := "/aws/codebuild/" + app.BuildProjectName()
	bucket := bucketARN(app.ArtifactBucketName(app.Tools.Region))
	var repos []string
	for _, t := range app.Targets {
		repos = append(repos, fmt.Sprintf("%s:ecr:%s:%s:repository/%s", cfn.Partition, t.Region, t.AccountID, app.ECRRepositoryName()))
	}
	role := namedRole(app, app.BuildRoleName(), serviceTrust("codebuild.amazonaws.com"),
		cfn.Allow("Logs", []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			subs(cfn.Partition+":logs:${AWS::Region}:${AWS::AccountId}:log-group:"+logGroup+":log-stream:*")),
		cfn.Allow("ArtifactObjects", []string{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"}, subs(bucket+"/*")),
		cfn.Allow("ArtifactBucket", []string{"s3:GetBucketAcl", "s3:GetBucketLocation"}, subs(bucket)),
		cfn.Allow("ArtifactKey", keyUsage, []string{keyArn}),
		cfn.Allow("RegistryLogin", []string{"ecr:GetAuthorizationToken"}, []string{"*"}),
		cfn.Allow("PushImage", ecrPush, subs(repos...)),
	)
	role.AWSCloudFormationMetadata = justify("ecr:GetAuthorizationToken supports no resource-level permissions; it only issues registry login tokens, pushes are limited to the targets' repositories.")
	tpl.Add("BuildRole", role)
	tpl.Add("BuildLogGroup", &logs.LogGroup{
		LogGroupName:                         str(logGroup),
		RetentionInDays:                      num(app.Service.LogRetentionDays),
		KmsKeyId:                             str(keyArn),
		Tags:                                 appTags(app),
		AWSCloudFormationMetadata:            logGroupMetadata(app, whyToolsKeyParameter),
		AWSCloudFormationDeletionPolicy:      del,
		AWSCloudFormationUpdateReplacePolicy: deleteOnReplace,
	})
	project := &codebuild.Project{
		Name:          str(app.BuildProjectName()),
		Description:   str("Builds " + app.Service.Name + " once and pushes it to every target"),
		ServiceRole:   cfn.GetAtt("BuildRole", "Arn"),
		EncryptionKey: str(keyArn),
		Source:        &codebuild.Project_Source{Type: "CODEPIPELINE", BuildSpec: str(app.Source.OutputDir + "/" + plan.BuildspecFile)},
		Artifacts:     &codebuild.Project_Artifacts{Type: "CODEPIPELINE"},
		Environment: &codebuild.Project_Environment{
			Type: "LINUX_CONTAINER", ComputeType: buildCompute, Image: buildImage,
			ImagePullCredentialsType: str("CODEBUILD"), PrivilegedMode: yes(),
		},
		AWSCloudFormationMetadata: exempt(nil, exceptions{"CT.CODEBUILD.PR.4": "the build runs docker build and docker push, which need " +
			"privileged mode: \"Enables running the Docker daemon inside a Docker container. Set to true only if the build project is used to build Docker images.\" " +
			"(AWS::CodeBuild::Project Environment PrivilegedMode); the project runs only bgc's buildspec from the pipeline's source"}),
		LogsConfig: &codebuild.Project_LogsConfig{CloudWatchLogs: &codebuild.Project_CloudWatchLogsConfig{
			Status: "ENABLED", GroupName: str(cfn.Ref("BuildLogGroup")),
		}},
		TimeoutInMinutes: num(buildTimeout),
		Tags:             appTags(app),
	}
	tpl.Add("Project", project)
	// The deployed plan's fingerprint, which the build's first step
	// compares with the committed one (guardScript).
	st.fingerprinted = func(fp string) {
		project.Environment.EnvironmentVariables = []codebuild.Project_EnvironmentVariable{{Name: "BGC_DEPLOYED_PLAN", Value: fp, Type: str("PLAINTEXT")}}
	}
	return st
}
