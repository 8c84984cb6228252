package stacks

import (
	"fmt"

	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"
	"github.com/awslabs/goformation/v7/cloudformation/codedeploy"
	"github.com/awslabs/goformation/v7/cloudformation/iam"
	"github.com/awslabs/goformation/v7/cloudformation/sns"
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
func deliveryStack(app *model.App, t model.Target, network, service, key, logs string) *stack {
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
	param(outLogKeyArn, "String", "key of the target's log groups", logs, outLogKeyArn) // read by hookFunction
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
	tpl.Add("CodeDeployRole", codeDeployRole(app, t, prod, test))

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

// codeDeployRole is CodeDeploy's service role for the target's deployment
// group. Its policy is AWS's AWSCodeDeployRoleForECSLimited narrowed to
// this target, inline, instead of AWSCodeDeployRoleForECS, which lets
// CodeDeploy read every S3 object, invoke every Lambda function and
// publish to every topic of the account. The Limited policy
// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCodeDeployRoleForECSLimited.html)
// grants ecs:DescribeServices, CreateTaskSet, UpdateServicePrimaryTaskSet,
// DeleteTaskSet and cloudwatch:DescribeAlarms on "*"; the load-balancer
// actions, here limited to the target's two listeners and its load
// balancer's rules; lambda:InvokeFunction on CodeDeployHook_* functions,
// here the target's hooks; S3 reads of objects tagged UseWithCodeDeploy
// and sns:Publish to CodeDeployTopic_* topics, which bgc does not use
// (the pipeline passes the AppSpec; no deployment triggers). The task
// roles are added, as the ECS guide asks: "When the tasks in your service
// need a task execution role, you must add the iam:PassRole permission
// for each task execution role or task role override to the CodeDeploy
// role as a policy." (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/codedeploy_IAM_role.html)
//
// Its trust names the deployment groups of this app in this account and
// region: "The value of aws:SourceArn must include the CodeDeploy
// deployment group ARN with which CodeDeploy is allowed to assume the IAM
// role." (https://docs.aws.amazon.com/codedeploy/latest/userguide/security_confused_deputy.html)
func codeDeployRole(app *model.App, t model.Target, prodListener, testListener string) *iam.Role {
	here := func(service, resource string) string {
		return cfn.Sub(cfn.Partition + ":" + service + ":${AWS::Region}:${AWS::AccountId}:" + resource)
	}
	statements := []cfn.Statement{
		cfn.Allow("TaskSets", []string{"ecs:DescribeServices", "ecs:CreateTaskSet", "ecs:UpdateServicePrimaryTaskSet", "ecs:DeleteTaskSet"}, []string{"*"}),
		cfn.Allow("Alarms", []string{"cloudwatch:DescribeAlarms"}, []string{"*"}),
		cfn.Allow("DescribeLoadBalancing", []string{"elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules"}, []string{"*"}),
		cfn.Allow("ShiftTraffic", []string{"elasticloadbalancing:ModifyListener"}, []string{prodListener, testListener}),
		cfn.Allow("ShiftRules", []string{"elasticloadbalancing:ModifyRule"}, []string{here("elasticloadbalancing", "listener-rule/app/"+app.LoadBalancerName()+"/*")}),
		cfn.Allow("InvokeHooks", []string{"lambda:InvokeFunction"}, []string{here("lambda", "function:"+app.HookFunctionName("*"))}),
		cfn.With(cfn.Allow("PassTaskRoles", []string{"iam:PassRole"}, subs(
			roleARN("${AWS::AccountId}", app.ExecutionRoleName(t.Region)),
			roleARN("${AWS::AccountId}", app.TaskRoleName(t.Region)),
		)), "StringEquals", "iam:PassedToService", "ecs-tasks.amazonaws.com"),
	}
	trust := cfn.PolicyDocument(cfn.With(cfn.With(cfn.Principal(cfn.Statement{
		"Effect": "Allow",
		"Action": "sts:AssumeRole",
	}, "Service", "codedeploy.amazonaws.com"), "StringEquals", "aws:SourceAccount", cfn.Ref("AWS::AccountId")),
		"StringLike", "aws:SourceArn", here("codedeploy", "deploymentgroup:"+app.CodeDeployApplication()+"/*")))
	r := namedRole(app, app.CodeDeployRoleName(t.Region), trust, statements...)
	r.AWSCloudFormationMetadata = justify("the ECS task-set, alarm and describe actions are those of AWS's AWSCodeDeployRoleForECSLimited policy, on \"*\" as there: " +
		"CodeDeploy names the task sets at deploy time; listener, rule, Lambda and PassRole permissions are limited to this target's resources")
	return r
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
	var actions []string
	alarmMetadata := exempt(nil, exceptions{"CLOUDWATCH_ALARM_ACTION_CHECK": whyAlarmAction, "CT.CLOUDWATCH.PR.1": whyAlarmAction})
	if alarmTopic(app) {
		actions, alarmMetadata = addAlarmTopic(app, tpl), nil
	}
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
			AlarmName:                 str(app.AlarmName(slug)),
			AlarmDescription:          str(fmt.Sprintf("targets of the %s target group answer more than %d 5xx a minute; rolls back the CodeDeploy deployment", color, app.Deployment.Max5xxPerMinute)),
			Namespace:                 str("AWS/ApplicationELB"),
			MetricName:                str("HTTPCode_Target_5XX_Count"),
			Dimensions:                dims,
			Statistic:                 str("Sum"),
			Period:                    num(60),
			EvaluationPeriods:         2,
			DatapointsToAlarm:         num(2),
			Threshold:                 float(float64(app.Deployment.Max5xxPerMinute)),
			ComparisonOperator:        "GreaterThanThreshold",
			TreatMissingData:          str("notBreaching"),
			Tags:                      appTags(app),
			AlarmActions:              actions,
			AWSCloudFormationMetadata: alarmMetadata,
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
			EvaluationPeriods:         3,
			DatapointsToAlarm:         num(3),
			Threshold:                 float(float64(app.Deployment.MaxUnhealthyPercent)),
			ComparisonOperator:        "GreaterThanOrEqualToThreshold",
			TreatMissingData:          str("notBreaching"),
			Tags:                      appTags(app),
			AlarmActions:              actions,
			AWSCloudFormationMetadata: alarmMetadata,
		})
		slugs = append(slugs, slug)
	}
	return slugs
}

// alarmTopic says the target's rollback alarms notify deployment.alarmNotify.
func alarmTopic(app *model.App) bool {
	return app.Deployment.AutoRollback && len(app.Deployment.AlarmNotify) > 0
}

// addAlarmTopic adds the topic the rollback alarms publish to, encrypted
// with the target's log key (whose policy lets CloudWatch use it, logs.go:
// the AWS managed key for SNS cannot be shared with CloudWatch), with an
// email subscription per deployment.alarmNotify address and a topic policy
// that lets only this app's alarms in this account and region publish.
// It returns the alarms' actions.
func addAlarmTopic(app *model.App, tpl *cfn.Template) []string {
	tpl.Add("AlarmTopic", &sns.Topic{
		DisplayName:    str(app.Name + " " + app.Service.Name + " rollback alarms"),
		KmsMasterKeyId: str(cfn.Ref(outLogKeyArn)),
		Tags:           appTags(app),
	})
	// CloudWatch's own example: "Principal": {"Service": "cloudwatch.amazonaws.com"},
	// "Action": "sns:Publish", with aws:SourceArn naming the alarms
	// (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger).
	tpl.Add("AlarmTopicPolicy", &sns.TopicPolicy{
		Topics: []string{cfn.Ref("AlarmTopic")},
		PolicyDocument: cfn.PolicyDocument(cfn.With(cfn.With(cfn.Principal(cfn.Allow("RollbackAlarmsPublish", []string{"sns:Publish"}, []string{cfn.Ref("AlarmTopic")}),
			"Service", "cloudwatch.amazonaws.com"),
			"StringEquals", "aws:SourceAccount", cfn.Ref("AWS::AccountId")),
			"ArnLike", "aws:SourceArn", cfn.Sub(cfn.Partition+":cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:"+app.AlarmName("*")))),
	})
	for i, email := range app.Deployment.AlarmNotify {
		tpl.Add(fmt.Sprintf("AlarmSubscription%d", i+1), &sns.Subscription{
			TopicArn: cfn.Ref("AlarmTopic"), Protocol: "email", Endpoint: str(email),
		})
	}
	return []string{cfn.Ref("AlarmTopic")}
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
