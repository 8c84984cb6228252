package stacks

import (
	"fmt"

	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"
	"github.com/awslabs/goformation/v7/cloudformation/codedeploy"
	"github.com/awslabs/goformation/v7/cloudformation/iam"
	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/plan"
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
func deliveryStack(app *model.App, t model.Target, network, service, key string) *stack {
	tpl := cfn.New(fmt.Sprintf("bgc %s/%s delivery of %s: CodeDeploy blue/green and the pipeline's deploy role.", app.Name, app.Service.Name, t.ID()))
	st := workloadStack(app, t, kindDelivery, tpl)
	st.quiesce = &plan.DeploymentGroup{Application: app.CodeDeployApplication(), Name: app.DeploymentGroupName()}
	tg := appTags(app)
	param := func(name, typ, desc, from, out string) string {
		st.bind(name, from, out)
		return tpl.Param(name, typ, desc)
	}
	prod := param(outProdListener, "String", "production listener ARN", service, outProdListener)
	test := param(outTestListener, "String", "test listener ARN", service, outTestListener)
	keyArn := param(paramKeyArn, "String", "ARN of the tools account's artifact key in this region", key, outKeyArn)
	var lb string
	if app.Deployment.SmokeTest != nil || app.Deployment.AutoRollback {
		lb = param(outLoadBalancer, "String", "ALB full name", service, outLoadBalancer)
	}
	if app.Deployment.SmokeTest != nil {
		lbDNS := param(outLoadBalancerD, "String", "ALB DNS name", service, outLoadBalancerD)
		vpc := param(outVpcID, "AWS::EC2::VPC::Id", "VPC of the target", network, outVpcID)
		var private []string
		for i := 1; i <= t.Network.AZs; i++ {
			name := fmt.Sprint(outPrivateSubnet, i)
			private = append(private, param(name, "AWS::EC2::Subnet::Id", "subnet "+name, network, name))
		}
		addSmokeTest(app, t, tpl, private, vpc, lb, lbDNS)
	}
	addReleaseHook(app, t, tpl)
	if app.Service.Autoscaling != nil {
		addScalingHook(app, t, tpl)
	}

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
		alarms := addAlarms(app, st, service, lb)
		group.AutoRollbackConfiguration = &codedeploy.DeploymentGroup_AutoRollbackConfiguration{
			Enabled: yes(), Events: []string{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"},
		}
		// CodeDeploy: "If any of the specified alarms are activated, the
		// deployment stops, and the status is updated to Stopped."
		// (https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-create-alarms.html)
		// so alarmRollback: false is the break-glass switch for shipping a
		// fix while production itself trips them.
		group.AlarmConfiguration = &codedeploy.DeploymentGroup_AlarmConfiguration{Enabled: &app.Deployment.AlarmRollback}
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

// addAlarms adds the rollback alarms, per target group so that each task
// set is judged on its own traffic: the replacement's errors do not hide
// in production's volume, and production's do not count against the
// replacement. Both are rates: 5xx responses per minute over
// max5xxPerMinute for two minutes, and a share of unhealthy targets of
// maxUnhealthyPercent or more for three (a target group with no targets
// counts as healthy), so one flapping task among many rolls nothing back,
// and a target group left empty by the last release (or the bootstrap's
// healthy tasks) never holds an alarm in ALARM. ALB metrics are published
// per target group with the LoadBalancer and TargetGroup dimensions
// ("CloudWatch treats each unique combination of dimensions as a separate
// metric", load-balancer-cloudwatch-metrics.html), and only while requests
// flow, so missing data is not breaching. It returns the alarms' slugs.
func addAlarms(app *model.App, st *stack, service, lb string) []string {
	tpl := st.tpl
	var slugs []string
	for _, color := range []string{"blue", "green"} {
		out := outBlueTGName
		if color == "green" {
			out = outGreenTGName
		}
		tgName := tpl.Param(out, "String", color+" target group full name")
		st.bind(out, service, out)
		dims := []cloudwatch.Alarm_Dimension{{Name: "LoadBalancer", Value: lb}, {Name: "TargetGroup", Value: tgName}}
		metric := func(id, name, stat string) cloudwatch.Alarm_MetricDataQuery {
			return cloudwatch.Alarm_MetricDataQuery{Id: id, ReturnData: no(), MetricStat: &cloudwatch.Alarm_MetricStat{
				Metric: &cloudwatch.Alarm_Metric{Namespace: str("AWS/ApplicationELB"), MetricName: str(name), Dimensions: dims},
				Period: 60, Stat: stat,
			}}
		}

		slug := "5xx-" + color
		tpl.Add(alarmID(slug), &cloudwatch.Alarm{
			AlarmName:          str(app.AlarmName(slug)),
			AlarmDescription:   str(fmt.Sprintf("targets of the %s target group answer more than %d 5xx a minute; rolls back the CodeDeploy deployment", color, app.Deployment.Max5xxPerMinute)),
			Namespace:          str("AWS/ApplicationELB"),
			MetricName:         str("HTTPCode_Target_5XX_Count"),
			Dimensions:         dims,
			Statistic:          str("Sum"),
			Period:             num(60),
			EvaluationPeriods:  2,
			DatapointsToAlarm:  num(2),
			Threshold:          float(float64(app.Deployment.Max5xxPerMinute)),
			ComparisonOperator: "GreaterThanThreshold",
			TreatMissingData:   str("notBreaching"),
			Tags:               appTags(app),
		})
		slugs = append(slugs, slug)

		slug = "unhealthy-" + color
		tpl.Add(alarmID(slug), &cloudwatch.Alarm{
			AlarmName: str(app.AlarmName(slug)),
			AlarmDescription: str(fmt.Sprintf("%d%% or more of the %s target group's targets fail the health check; rolls back the CodeDeploy deployment",
				app.Deployment.MaxUnhealthyPercent, color)),
			Metrics: []cloudwatch.Alarm_MetricDataQuery{
				metric("unhealthy", "UnHealthyHostCount", "Maximum"),
				metric("healthy", "HealthyHostCount", "Minimum"),
				{Id: "share", Label: str("percent of targets unhealthy"), ReturnData: yes(),
					Expression: str("IF(unhealthy + healthy > 0, 100 * unhealthy / (unhealthy + healthy), 0)")},
			},
			EvaluationPeriods:  3,
			DatapointsToAlarm:  num(3),
			Threshold:          float(float64(app.Deployment.MaxUnhealthyPercent)),
			ComparisonOperator: "GreaterThanOrEqualToThreshold",
			TreatMissingData:   str("notBreaching"),
			Tags:               appTags(app),
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
		cfn.Allow("ReadReleaseArtifact", []string{"s3:GetObject", "s3:GetObjectVersion"}, subs(releaseObjects(app, t.Region))),
		cfn.Allow("DecryptArtifacts", []string{"kms:Decrypt", "kms:DescribeKey"}, []string{keyArn}),
	}
	r := namedRole(app, app.DeployActionRoleName(t.Region), crossAccountTrust(app.Tools.AccountID, app.PipelineRoleName()), statements...)
	r.AWSCloudFormationMetadata = justify("ecs:RegisterTaskDefinition and ecs:DescribeTaskDefinition support no resource-level permissions (task definition ARNs carry a revision unknown in advance).")
	return r
}
