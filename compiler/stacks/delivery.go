package stacks

import (
	"fmt"

	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"
	"github.com/awslabs/goformation/v7/cloudformation/codedeploy"
	"github.com/awslabs/goformation/v7/cloudformation/iam"
	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
)

// paramKeyArn is the parameter holding the tools key's ARN in a region.
const paramKeyArn = "ArtifactKeyArn"

// deliveryStack is the CodeDeploy side of one target: application,
// blue/green deployment group with test route and alarm rollback, the
// alarms, CodeDeploy's service role and the role the pipeline's
// CodeDeployToECS action assumes from the tools account.
//
// CodeDeploy and CloudWatch alarm resources are referred to by name, never
// by Ref/GetAtt, so the stack also runs on moto (which skips those types).
func deliveryStack(app *model.App, t model.Target, service, key string) *stack {
	tpl := cfn.New(fmt.Sprintf("bgc %s/%s delivery of %s: CodeDeploy blue/green and the pipeline's deploy role.", app.Name, app.Service.Name, t.ID()))
	st := workloadStack(app, t, kindDelivery, tpl)
	tg := appTags(app)
	param := func(name, typ, desc, from, out string) string {
		st.bind(name, from, out)
		return tpl.Param(name, typ, desc)
	}
	prod := param(outProdListener, "String", "production listener ARN", service, outProdListener)
	test := param(outTestListener, "String", "test listener ARN", service, outTestListener)
	keyArn := param(paramKeyArn, "String", "ARN of the tools account's artifact key in this region", key, outKeyArn)

	tpl.Add("Application", &codedeploy.Application{ApplicationName: str(app.CodeDeployApplication()), ComputePlatform: str("ECS"), Tags: tg})
	codeDeployRole := namedRole(app, app.CodeDeployRoleName(t.Region), serviceTrust("codedeploy.amazonaws.com"))
	// AWS's documented service-role policy for ECS blue/green. Its actions
	// are the ones CodeDeploy needs, on "*" because the task sets and
	// listener rules it creates and modifies are named by CodeDeploy at run
	// time; only CodeDeploy can assume the role, for this account.
	codeDeployRole.ManagedPolicyArns = []string{cfn.Sub(cfn.Partition + ":iam::aws:policy/AWSCodeDeployRoleForECS")}
	codeDeployRole.AWSCloudFormationMetadata = justify("AWSCodeDeployRoleForECS grants the ECS task-set, listener and alarm actions CodeDeploy runs on resources it names at deploy time; the role trusts only codedeploy.amazonaws.com from this account.")
	tpl.Add("CodeDeployRole", codeDeployRole)

	group := &codedeploy.DeploymentGroup{
		ApplicationName:      app.CodeDeployApplication(),
		DeploymentGroupName:  str(app.DeploymentGroupName()),
		DeploymentConfigName: str(app.Deployment.Strategy),
		ServiceRoleArn:       cfn.GetAtt("CodeDeployRole", "Arn"),
		DeploymentStyle:      &codedeploy.DeploymentGroup_DeploymentStyle{DeploymentType: str("BLUE_GREEN"), DeploymentOption: str("WITH_TRAFFIC_CONTROL")},
		BlueGreenDeploymentConfiguration: &codedeploy.DeploymentGroup_BlueGreenDeploymentConfiguration{
			DeploymentReadyOption: &codedeploy.DeploymentGroup_DeploymentReadyOption{ActionOnTimeout: str("CONTINUE_DEPLOYMENT"), WaitTimeInMinutes: num(0)},
			TerminateBlueInstancesOnDeploymentSuccess: &codedeploy.DeploymentGroup_BlueInstanceTerminationOption{
				Action: str("TERMINATE"), TerminationWaitTimeInMinutes: num(app.Deployment.TerminationWaitMinutes),
			},
		},
		ECSServices: []codedeploy.DeploymentGroup_ECSService{{ClusterName: app.ClusterName(), ServiceName: app.ECSServiceName()}},
		LoadBalancerInfo: &codedeploy.DeploymentGroup_LoadBalancerInfo{TargetGroupPairInfoList: []codedeploy.DeploymentGroup_TargetGroupPairInfo{{
			TargetGroups:     []codedeploy.DeploymentGroup_TargetGroupInfo{{Name: str(app.TargetGroupName("blue"))}, {Name: str(app.TargetGroupName("green"))}},
			ProdTrafficRoute: &codedeploy.DeploymentGroup_TrafficRoute{ListenerArns: []string{prod}},
			TestTrafficRoute: &codedeploy.DeploymentGroup_TrafficRoute{ListenerArns: []string{test}},
		}}},
		Tags:                       tg,
		AWSCloudFormationDependsOn: []string{"Application"},
	}
	if app.Deployment.AutoRollback {
		alarms := addAlarms(app, st, service)
		group.AutoRollbackConfiguration = &codedeploy.DeploymentGroup_AutoRollbackConfiguration{
			Enabled: yes(), Events: []string{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"},
		}
		group.AlarmConfiguration = &codedeploy.DeploymentGroup_AlarmConfiguration{Enabled: yes()}
		for _, a := range alarms {
			group.AlarmConfiguration.Alarms = append(group.AlarmConfiguration.Alarms, codedeploy.DeploymentGroup_Alarm{Name: str(app.AlarmName(a))})
			group.AWSCloudFormationDependsOn = append(group.AWSCloudFormationDependsOn, alarmID(a))
		}
	} else {
		group.AutoRollbackConfiguration = &codedeploy.DeploymentGroup_AutoRollbackConfiguration{Enabled: no()}
	}
	tpl.Add("DeploymentGroup", group)
	tpl.Add("DeployActionRole", deployActionRole(app, t, keyArn))
	tpl.Output("DeployActionRoleArn", "role the pipeline's CodeDeployToECS action assumes", cfn.GetAtt("DeployActionRole", "Arn"))
	return st
}

// alarmID is the logical id of an alarm slug.
func alarmID(slug string) string { return logicalID(slug) + "Alarm" }

// addAlarms adds the rollback alarms: 5xx answers of the targets and
// unhealthy hosts in either target group. It returns their slugs.
func addAlarms(app *model.App, st *stack, service string) []string {
	tpl := st.tpl
	lb := tpl.Param(outLoadBalancer, "String", "ALB full name")
	st.bind(outLoadBalancer, service, outLoadBalancer)
	// statistic and threshold: 5xx responses are counted per minute against
	// the spec's tolerance; UnHealthyHostCount is a gauge, so any minute
	// whose maximum shows an unhealthy target counts.
	alarm := func(slug, metric, desc, statistic string, threshold int, dims []cloudwatch.Alarm_Dimension) {
		tpl.Add(alarmID(slug), &cloudwatch.Alarm{
			AlarmName:          str(app.AlarmName(slug)),
			AlarmDescription:   str(desc + "; rolls back the CodeDeploy deployment"),
			Namespace:          str("AWS/ApplicationELB"),
			MetricName:         str(metric),
			Dimensions:         dims,
			Statistic:          str(statistic),
			Period:             num(60),
			EvaluationPeriods:  2,
			DatapointsToAlarm:  num(2),
			Threshold:          float(float64(threshold)),
			ComparisonOperator: "GreaterThanThreshold",
			TreatMissingData:   str("notBreaching"),
			Tags:               appTags(app),
		})
	}
	alarm("target-5xx", "HTTPCode_Target_5XX_Count", fmt.Sprintf("targets answer more than %d 5xx a minute", app.Deployment.Max5xxPerMinute),
		"Sum", app.Deployment.Max5xxPerMinute, []cloudwatch.Alarm_Dimension{{Name: "LoadBalancer", Value: lb}})
	slugs := []string{"target-5xx"}
	for _, color := range []string{"blue", "green"} {
		out := outBlueTGName
		if color == "green" {
			out = outGreenTGName
		}
		tgName := tpl.Param(out, "String", color+" target group full name")
		st.bind(out, service, out)
		slug := "unhealthy-" + color
		alarm(slug, "UnHealthyHostCount", "unhealthy targets in the "+color+" target group", "Maximum", 0, []cloudwatch.Alarm_Dimension{
			{Name: "LoadBalancer", Value: lb}, {Name: "TargetGroup", Value: tgName},
		})
		slugs = append(slugs, slug)
	}
	return slugs
}

func float(f float64) *float64 { return &f }

// deployActionRole is assumed by the tools pipeline's role only; it may
// create deployments in this deployment group, register task definitions,
// pass exactly the task and execution roles to ECS tasks and read this
// region's artifacts.
func deployActionRole(app *model.App, t model.Target, keyArn string) *iam.Role {
	cd := cfn.Partition + ":codedeploy:${AWS::Region}:${AWS::AccountId}:"
	statements := []cfn.Statement{
		cfn.Allow("Deploy", []string{"codedeploy:CreateDeployment", "codedeploy:GetDeployment"},
			subs(cd+"deploymentgroup:"+app.CodeDeployApplication()+"/"+app.DeploymentGroupName())),
		cfn.Allow("Revisions", []string{"codedeploy:GetApplication", "codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"},
			subs(cd+"application:"+app.CodeDeployApplication())),
		cfn.Allow("DeploymentConfig", []string{"codedeploy:GetDeploymentConfig"}, subs(cd+"deploymentconfig:"+app.Deployment.Strategy)),
		cfn.Allow("TaskDefinitions", []string{"ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"}, []string{"*"}),
		cfn.With(cfn.Allow("TagTaskDefinitions", []string{"ecs:TagResource"},
			subs(cfn.Partition+":ecs:${AWS::Region}:${AWS::AccountId}:task-definition/"+app.TaskFamily()+":*")),
			"StringEquals", "ecs:CreateAction", "RegisterTaskDefinition"),
		cfn.With(cfn.Allow("PassTaskRoles", []string{"iam:PassRole"}, subs(
			roleARN("${AWS::AccountId}", app.ExecutionRoleName(t.Region)),
			roleARN("${AWS::AccountId}", app.TaskRoleName(t.Region)),
		)), "StringEquals", "iam:PassedToService", "ecs-tasks.amazonaws.com"),
		cfn.Allow("ReadArtifacts", []string{"s3:GetObject", "s3:GetObjectVersion"}, subs(bucketARN(app.ArtifactBucketName(t.Region))+"/*")),
		cfn.Allow("DecryptArtifacts", []string{"kms:Decrypt", "kms:DescribeKey"}, []string{keyArn}),
	}
	r := namedRole(app, app.DeployActionRoleName(t.Region), crossAccountTrust(app.Tools.AccountID, app.PipelineRoleName()), statements...)
	r.AWSCloudFormationMetadata = justify("ecs:RegisterTaskDefinition and ecs:DescribeTaskDefinition support no resource-level permissions (task definition ARNs carry a revision unknown in advance).")
	return r
}
