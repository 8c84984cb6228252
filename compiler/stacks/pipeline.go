package stacks

import (
	"fmt"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/codepipeline"
	"github.com/awslabs/goformation/v7/cloudformation/events"
	"github.com/awslabs/goformation/v7/cloudformation/sns"
	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/plan"
)

// CodePipeline's quotas on a pipeline's structure
// (https://docs.aws.amazon.com/codepipeline/latest/userguide/limits.html).
const (
	maxActionsPerStage = 50
	maxStages          = 50
)

// Artifact names of the pipeline.
const (
	sourceArtifact  = "Source"
	releaseArtifact = "Release"
)

// pipelineARN is the pipeline's ARN for Fn::Sub.
func pipelineARN(app *model.App) string {
	return cfn.Partition + ":codepipeline:${AWS::Region}:${AWS::AccountId}:" + app.PipelineName()
}

// pipelineStack is the V2 pipeline in the tools region: CodeCommit source
// started by an EventBridge rule, the single build, then one deploy stage
// per wave (split at 50 actions), with optional manual approval between
// waves. keys maps every artifact region to its key stack id.
func pipelineStack(app *model.App, keys map[string]string, delivery []string) *stack {
	tpl := cfn.New(fmt.Sprintf("bgc %s release pipeline: source, one build, %d waves of CodeDeploy blue/green.", app.Name, len(app.Waves())))
	st := toolsStack(app, app.Tools.Region, kindPipeline, tpl)
	st.needs(stackID(toolsAccount, app.Tools.Region, kindSource), stackID(toolsAccount, app.Tools.Region, kindBuild))
	// The pipeline template grows by about 1 KB per target and passes
	// CloudFormation's 51,200-byte inline limit near 40 targets; the
	// deployer then stages it in the tools region's artifact bucket, which
	// an artifacts stack this one depends on (below) creates.
	st.templateBucket = app.ArtifactBucketName(app.Tools.Region)

	var stores []codepipeline.Pipeline_ArtifactStoreMap
	var keyArns, objects, buckets []string
	for _, region := range app.ArtifactRegions() {
		param := "KeyArn" + logicalID(region)
		keyArn := tpl.Param(param, "String", "ARN of the artifact key in "+region)
		st.bind(param, keys[region], outKeyArn)
		st.needs(stackID(toolsAccount, region, kindArtifacts))
		bucket := app.ArtifactBucketName(region)
		stores = append(stores, codepipeline.Pipeline_ArtifactStoreMap{Region: region, ArtifactStore: &codepipeline.Pipeline_ArtifactStore{
			Type: "S3", Location: bucket, EncryptionKey: &codepipeline.Pipeline_EncryptionKey{Type: "KMS", Id: keyArn},
		}})
		keyArns = append(keyArns, keyArn)
		objects = append(objects, bucketARN(bucket)+"/*")
		buckets = append(buckets, bucketARN(bucket))
	}
	st.needs(delivery...)

	approvals := app.Deployment.ApprovalBetweenWaves && len(app.Waves()) > 1
	var notify []cfn.Statement
	if approvals {
		addApprovalTopic(app, tpl)
		// "the service role you use in your AWS CodePipeline operations
		// must be granted permission to access the Amazon SNS resources"
		// (approvals-service-role-permissions.html), here the one topic.
		notify = append(notify, cfn.Allow("NotifyApprovers", []string{"sns:Publish"}, []string{cfn.Ref(approvalTopic)}))
	}
	tpl.Add("PipelineRole", namedRole(app, app.PipelineRoleName(), serviceTrust("codepipeline.amazonaws.com"), append([]cfn.Statement{
		cfn.Allow("Source", []string{"codecommit:CancelUploadArchive", "codecommit:GetBranch", "codecommit:GetCommit",
			"codecommit:GetUploadArchiveStatus", "codecommit:UploadArchive"}, subs(repositoryARN(app))),
		cfn.Allow("Build", []string{"codebuild:BatchGetBuilds", "codebuild:StartBuild"},
			subs(cfn.Partition+":codebuild:${AWS::Region}:${AWS::AccountId}:project/"+app.BuildProjectName())),
		cfn.Allow("ArtifactObjects", []string{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"}, subs(objects...)),
		cfn.Allow("ArtifactBuckets", []string{"s3:GetBucketLocation", "s3:GetBucketVersioning"}, subs(buckets...)),
		cfn.Allow("ArtifactKeys", keyUsage, keyArns),
		cfn.Allow("AssumeDeployActionRoles", []string{"sts:AssumeRole"}, subs(deployActionRoleARNs(app, "")...)),
	}, notify...)...))

	stages := []codepipeline.Pipeline_StageDeclaration{
		{Name: "Source", Actions: []codepipeline.Pipeline_ActionDeclaration{{
			Name:            "Source",
			Namespace:       str(sourceVariables),
			ActionTypeId:    &codepipeline.Pipeline_ActionTypeId{Category: "Source", Owner: "AWS", Provider: "CodeCommit", Version: "1"},
			OutputArtifacts: []codepipeline.Pipeline_OutputArtifact{{Name: sourceArtifact}},
			Configuration: map[string]any{
				"RepositoryName":       app.Source.Repository,
				"BranchName":           app.Source.Branch,
				"PollForSourceChanges": false,
				"OutputArtifactFormat": "CODE_ZIP",
			},
		}}},
		{Name: "Build", Actions: []codepipeline.Pipeline_ActionDeclaration{{
			Name:            "Build",
			ActionTypeId:    &codepipeline.Pipeline_ActionTypeId{Category: "Build", Owner: "AWS", Provider: "CodeBuild", Version: "1"},
			InputArtifacts:  []codepipeline.Pipeline_InputArtifact{{Name: sourceArtifact}},
			OutputArtifacts: []codepipeline.Pipeline_OutputArtifact{{Name: releaseArtifact}},
			Configuration:   map[string]any{"ProjectName": app.BuildProjectName()},
		}}},
	}
	for i, wave := range app.Waves() {
		name := fmt.Sprintf("Wave%d", wave[0].Wave)
		if i > 0 && app.Deployment.ApprovalBetweenWaves {
			stages = append(stages, codepipeline.Pipeline_StageDeclaration{Name: "Approve" + name, Actions: []codepipeline.Pipeline_ActionDeclaration{{
				Name:         "Approve",
				ActionTypeId: &codepipeline.Pipeline_ActionTypeId{Category: "Approval", Owner: "AWS", Provider: "Manual", Version: "1"},
				Configuration: map[string]any{
					"CustomData": fmt.Sprintf("Release wave %d of %s (%s): commit #{%s.CommitId}: #{%s.CommitMessage}",
						wave[0].Wave, app.Name, targetList(wave), sourceVariables, sourceVariables),
					"NotificationArn": cfn.Ref(approvalTopic),
				},
			}}})
		}
		for part := 0; part*maxActionsPerStage < len(wave); part++ {
			chunk := wave[part*maxActionsPerStage : min(len(wave), (part+1)*maxActionsPerStage)]
			stage := codepipeline.Pipeline_StageDeclaration{Name: name}
			if len(wave) > maxActionsPerStage {
				stage.Name = fmt.Sprintf("%s-Part%d", name, part+1)
			}
			for _, t := range chunk {
				stage.Actions = append(stage.Actions, deployAction(app, t))
			}
			stages = append(stages, stage)
		}
	}
	if len(stages) > maxStages {
		st.problems = append(st.problems, Problem{Path: []string{"accounts"},
			Message: fmt.Sprintf("the pipeline would need %d stages; CodePipeline allows %d", len(stages), maxStages),
			Hint:    "use fewer waves, or turn off deployment.approvalBetweenWaves"})
	}
	tpl.Add("Pipeline", &codepipeline.Pipeline{
		Name:                     str(app.PipelineName()),
		PipelineType:             str("V2"),
		RoleArn:                  cfn.GetAtt("PipelineRole", "Arn"),
		ArtifactStores:           stores,
		Stages:                   stages,
		RestartExecutionOnUpdate: no(),
		Tags:                     appTags(app),
	})

	// The rule has a name so that the role's trust can name it: EventBridge
	// sets aws:SourceArn to "The ARN of the rule that is sending the event"
	// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html),
	// a rule on the default bus being arn:...:rule/NAME (eb-rule-dlq.html).
	// AWS shows no trust policy for events.amazonaws.com with the key; the
	// keys' meaning is documented, so the condition follows it.
	startRule := cfn.Partition + ":events:${AWS::Region}:${AWS::AccountId}:rule/" + app.PipelineStartRuleName()
	tpl.Add("StartRole", namedRole(app, app.PipelineEventsRoleName(),
		cfn.PolicyDocument(cfn.With(cfn.With(cfn.Principal(cfn.Statement{"Effect": "Allow", "Action": "sts:AssumeRole"}, "Service", "events.amazonaws.com"),
			"StringEquals", "aws:SourceAccount", cfn.Ref("AWS::AccountId")), "ArnEquals", "aws:SourceArn", cfn.Sub(startRule))),
		cfn.Allow("StartPipeline", []string{"codepipeline:StartPipelineExecution"}, subs(pipelineARN(app)))))
	tpl.Add("StartRule", &events.Rule{
		Name:         str(app.PipelineStartRuleName()),
		Description:  str("merges to " + app.Source.Branch + " start the pipeline"),
		EventPattern: branchChange(app, app.Source.Branch),
		State:        str("ENABLED"),
		Targets: []events.Rule_Target{{
			Id: "StartPipeline", Arn: cfn.Sub(pipelineARN(app)), RoleArn: str(cfn.GetAtt("StartRole", "Arn")),
		}},
	})
	return st
}

// sourceVariables is the source action's variable namespace: CodeCommit's
// CommitId and CommitMessage name what a manual approval releases
// (https://docs.aws.amazon.com/codepipeline/latest/userguide/reference-variables.html).
const sourceVariables = "SourceVariables"

// approvalTopic is the logical id of the app's approval notifications.
const approvalTopic = "ApprovalTopic"

// addApprovalTopic adds the topic a waiting manual approval publishes to,
// with an email subscription per deployment.approvalNotify address. Without
// it "If the action is approved, the pipeline execution resumes. If the
// action is rejected—or if no one approves or rejects the action within
// seven days ..." nobody is told the approval waits
// (https://docs.aws.amazon.com/codepipeline/latest/userguide/approvals.html).
// The topic is encrypted with the AWS managed key for SNS.
func addApprovalTopic(app *model.App, tpl *cfn.Template) {
	tpl.Add(approvalTopic, &sns.Topic{
		TopicName:      str(app.ApprovalTopicName()),
		DisplayName:    str(app.Name + " release approvals"),
		KmsMasterKeyId: str("alias/aws/sns"),
		Tags:           appTags(app),
	})
	for i, email := range app.Deployment.ApprovalNotify {
		tpl.Add(fmt.Sprintf("ApprovalSubscription%d", i+1), &sns.Subscription{
			TopicArn: cfn.Ref(approvalTopic), Protocol: "email", Endpoint: str(email),
		})
	}
}

// targetList names the targets of a wave for a message, at most five.
func targetList(wave []model.Target) string {
	var ids []string
	for i, t := range wave {
		if i == 5 {
			ids = append(ids, fmt.Sprintf("and %d more", len(wave)-5))
			break
		}
		ids = append(ids, t.ID())
	}
	return strings.Join(ids, ", ")
}

// deployAction is one target's CodeDeployToECS action: it runs in the
// target's region as the target's deploy-action role and reads the
// target's taskdef.json and appspec.yaml from the build's artifact.
func deployAction(app *model.App, t model.Target) codepipeline.Pipeline_ActionDeclaration {
	return codepipeline.Pipeline_ActionDeclaration{
		Name:           t.Account + "-" + t.Region,
		Region:         str(t.Region),
		RoleArn:        str(cfn.Sub(roleARN(t.AccountID, app.DeployActionRoleName(t.Region)))),
		ActionTypeId:   &codepipeline.Pipeline_ActionTypeId{Category: "Deploy", Owner: "AWS", Provider: "CodeDeployToECS", Version: "1"},
		InputArtifacts: []codepipeline.Pipeline_InputArtifact{{Name: releaseArtifact}},
		Configuration: map[string]any{
			"ApplicationName":                app.CodeDeployApplication(),
			"DeploymentGroupName":            app.DeploymentGroupName(),
			"TaskDefinitionTemplateArtifact": releaseArtifact,
			"TaskDefinitionTemplatePath":     plan.TaskDefPath(t.Account, t.Region),
			"AppSpecTemplateArtifact":        releaseArtifact,
			"AppSpecTemplatePath":            plan.AppSpecPath(t.Account, t.Region),
		},
	}
}
