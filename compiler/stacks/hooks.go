package stacks

import (
	_ "embed"
	"fmt"

	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	"github.com/awslabs/goformation/v7/cloudformation/events"
	"github.com/awslabs/goformation/v7/cloudformation/iam"
	"github.com/awslabs/goformation/v7/cloudformation/lambda"
	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
)

// CodeDeploy runs two Lambda hooks in each deployment of a target:
//
//   - AfterAllowTestTraffic ("smoke"): "Use to run tasks after the test
//     listener serves traffic to the replacement task set. The results of a
//     hook function at this point can trigger a rollback."
//   - AfterAllowTraffic ("release"): "Use to run tasks after the second
//     target group serves traffic to the replacement task set."
//
// (https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html).
// A hook function receives DeploymentId and LifecycleEventHookExecutionId
// and must report with PutLifecycleEventHookExecutionStatus, Succeeded or
// Failed: "The deployment is considered to have failed if CodeDeploy is not
// notified by the Lambda validation function within one hour."
// (https://docs.aws.amazon.com/codedeploy/latest/userguide/tutorial-ecs-with-hooks-create-hooks.html).

//go:embed lambda/smoke_test.py
var smokeTestCode string

//go:embed lambda/tag_release.py
var tagReleaseCode string

//go:embed lambda/scaling.py
var scalingCode string

// Hook kinds, the suffix of their function names.
const (
	hookSmoke   = "smoke"
	hookRelease = "release"
	hookScaling = "scaling"
)

// hookRuntime is the hook functions' runtime: "Python 3.13 python3.13
// Amazon Linux 2023 Jun 30, 2029" (deprecation date,
// https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html).
const hookRuntime = "python3.13"

// appspecHooks are the AppSpec's Hooks entries of an app, in order.
func appspecHooks(app *model.App) []cfn.Field {
	var out []cfn.Field
	if app.Service.Autoscaling != nil {
		// BeforeInstall: "Use to run tasks before the replacement task set
		// is created." (reference-appspec-file-structure-hooks)
		out = append(out, cfn.Field{Key: "BeforeInstall", Value: app.HookFunctionName(hookScaling)})
	}
	if app.Deployment.SmokeTest != nil {
		out = append(out, cfn.Field{Key: "AfterAllowTestTraffic", Value: app.HookFunctionName(hookSmoke)})
	}
	return append(out, cfn.Field{Key: "AfterAllowTraffic", Value: app.HookFunctionName(hookRelease)})
}

// hookFunction adds a hook function with its log group and execution
// role, which may report on this target's deployments and do what more
// allows; it returns the role for its Metadata.
func hookFunction(app *model.App, t model.Target, tpl *cfn.Template, id, kind, code, description string, timeout int,
	env map[string]string, vpc *lambda.Function_VpcConfig, more ...cfn.Statement) *iam.Role {
	name := app.HookFunctionName(kind)
	logGroup := "/aws/lambda/" + name
	tpl.Add(id+"LogGroup", &logs.LogGroup{
		LogGroupName:                         str(logGroup),
		RetentionInDays:                      num(app.Service.LogRetentionDays),
		KmsKeyId:                             str(cfn.Ref(outLogKeyArn)),
		Tags:                                 appTags(app),
		AWSCloudFormationMetadata:            logGroupMetadata(app, whyLogKeyParameter),
		AWSCloudFormationDeletionPolicy:      del,
		AWSCloudFormationUpdateReplacePolicy: deleteOnReplace,
	})
	statements := append([]cfn.Statement{
		cfn.Allow("ReportHookStatus", []string{"codedeploy:PutLifecycleEventHookExecutionStatus"}, subs(deploymentGroupARN(app))),
		cfn.Allow("Logs", []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			subs(cfn.Partition+":logs:${AWS::Region}:${AWS::AccountId}:log-group:"+logGroup+":log-stream:*")),
	}, more...)
	role := namedRole(app, app.HookRoleName(kind, t.Region), serviceTrust("lambda.amazonaws.com"), statements...)
	tpl.Add(id+"Role", role)
	tpl.Add(id+"Function", &lambda.Function{
		FunctionName:              str(name),
		Description:               str(description),
		Runtime:                   str(hookRuntime),
		Handler:                   str("index.handler"),
		Role:                      cfn.GetAtt(id+"Role", "Arn"),
		Timeout:                   num(timeout),
		MemorySize:                num(128),
		Code:                      &lambda.Function_Code{ZipFile: str(code)},
		LoggingConfig:             &lambda.Function_LoggingConfig{LogGroup: str(cfn.Ref(id + "LogGroup"))},
		Environment:               &lambda.Function_Environment{Variables: env},
		VpcConfig:                 vpc,
		Tags:                      appTags(app),
		AWSCloudFormationMetadata: exempt(nil, hookFunctionExceptions(vpc != nil)),
	})
	return role
}

// hookFunctionExceptions are the rules a hook function is exempt from.
func hookFunctionExceptions(inVPC bool) exceptions {
	e := exceptions{
		"LAMBDA_DLQ_CHECK":         whyNoDLQHook,
		"LAMBDA_CONCURRENCY_CHECK": whyNoReservedConcurrency,
	}
	if inVPC {
		e["CT.LAMBDA.PR.3"] = "the function runs in the target's private subnets and its own security group, passed as parameters " +
			"from the network stack; the control accepts only literal subnet and group ids or ones in the same template"
	} else {
		e["LAMBDA_INSIDE_VPC"], e["CT.LAMBDA.PR.3"] = whyNoVPC, whyNoVPC
	}
	return e
}

// deploymentGroupARN is the target's deployment group for Fn::Sub.
func deploymentGroupARN(app *model.App) string {
	return cfn.Partition + ":codedeploy:${AWS::Region}:${AWS::AccountId}:deploymentgroup:" + app.CodeDeployApplication() + "/" + app.DeploymentGroupName()
}

// addScalingHook adds the function that suspends the service's automatic
// scaling from BeforeInstall until the deployment ends, and the rule that
// calls it when the deployment group reports a deployment SUCCESS, FAILURE
// or STOP. CodeDeploy sends those events to EventBridge with "Delivery
// type: Best effort" (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-codedeploy.html),
// so bgc deploy also resumes a scaling target it finds suspended while no
// deployment runs (deploy/live.go).
func addScalingHook(app *model.App, t model.Target, tpl *cfn.Template) {
	role := hookFunction(app, t, tpl, "ScalingHook", hookScaling, scalingCode,
		"Suspends the service's automatic scaling while a blue/green deployment runs", 60,
		map[string]string{"RESOURCE_ID": scalableResourceID(app)}, nil,
		// Scalable target ARNs end in an id Application Auto Scaling makes
		// up ("scalable-target/1234abcd...", describe-scalable-targets), so
		// the account's and region's targets are the narrowest resource.
		cfn.Allow("SuspendScaling", []string{"application-autoscaling:RegisterScalableTarget"},
			subs(cfn.Partition+":application-autoscaling:${AWS::Region}:${AWS::AccountId}:scalable-target/*")),
		// "Making authorized requests to Application Auto Scaling API
		// actions requires that the API caller has permissions to access AWS
		// resources in the target service and in CloudWatch. Application
		// Auto Scaling validates permissions for requests"
		// (https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_permission_validation.html);
		// for ECS those are ecs:DescribeServices and ecs:UpdateService
		// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/auto-scaling-IAM.html).
		cfn.Allow("TargetService", []string{"ecs:DescribeServices", "ecs:UpdateService"},
			subs(cfn.Partition+":ecs:${AWS::Region}:${AWS::AccountId}:service/"+app.ClusterName()+"/"+app.ECSServiceName())),
		cfn.Allow("ScalingAlarms", []string{"cloudwatch:DescribeAlarms"}, []string{"*"}),
	)
	role.AWSCloudFormationMetadata = justify("cloudwatch:DescribeAlarms is what Application Auto Scaling checks the caller may do for the alarms of the target's scaling policies, " +
		"which it creates and names itself; it reads alarm state only.")
	tpl.Add("ScalingResumeRule", &events.Rule{
		Description: str("Resumes the automatic scaling of " + app.ECSServiceName() + " when a deployment ends"),
		State:       str("ENABLED"),
		EventPattern: map[string]any{
			"source":      []string{"aws.codedeploy"},
			"detail-type": []string{"CodeDeploy Deployment State-change Notification"},
			"detail": map[string]any{
				"application":     []string{app.CodeDeployApplication()},
				"deploymentGroup": []string{app.DeploymentGroupName()},
				"state":           []string{"SUCCESS", "FAILURE", "STOP"},
			},
		},
		Targets: []events.Rule_Target{{Id: "resume-scaling", Arn: cfn.GetAtt("ScalingHookFunction", "Arn")}},
	})
	tpl.Add("ScalingResumePermission", &lambda.Permission{
		Action:       "lambda:InvokeFunction",
		FunctionName: cfn.Ref("ScalingHookFunction"),
		Principal:    "events.amazonaws.com",
		SourceArn:    str(cfn.GetAtt("ScalingResumeRule", "Arn")),
	})
}

// scalableResourceID is the service's Application Auto Scaling resource id.
func scalableResourceID(app *model.App) string {
	return "service/" + app.ClusterName() + "/" + app.ECSServiceName()
}

// smokeTestSecurityGroup is the logical id of the smoke test's group.
const smokeTestSecurityGroup = "SmokeTestSecurityGroup"

// addReleaseHook adds the function that protects each released image.
func addReleaseHook(app *model.App, t model.Target, tpl *cfn.Template) {
	repo := cfn.Partition + ":ecr:${AWS::Region}:${AWS::AccountId}:repository/" + app.ECRRepositoryName()
	role := hookFunction(app, t, tpl, "ReleaseHook", hookRelease, tagReleaseCode,
		"Tags the image a deployment released so the repository's lifecycle policy keeps it", 60,
		map[string]string{"REPOSITORY": app.ECRRepositoryName(), "CONTAINER": app.ContainerName()}, nil,
		cfn.Allow("ReadDeployment", []string{"codedeploy:GetDeployment"}, subs(deploymentGroupARN(app))),
		cfn.Allow("ReadTaskDefinition", []string{"ecs:DescribeTaskDefinition"}, []string{"*"}),
		cfn.Allow("TagReleasedImage", []string{"ecr:BatchGetImage", "ecr:PutImage"}, subs(repo)),
	)
	role.AWSCloudFormationMetadata = justify("ecs:DescribeTaskDefinition supports no resource-level permissions (the revision a deployment registered is known only at run time).")
}

// addSmokeTest adds the test-traffic hook. It runs in the private subnets
// with its own security group (the load balancer's security group admits
// the VPC, or the private subnets, to the test listener: see serviceStack)
// and finds the load balancer's private addresses through its network
// interfaces.
func addSmokeTest(app *model.App, t model.Target, tpl *cfn.Template, private []string, vpc, lb, lbDNS string) {
	st := app.Deployment.SmokeTest
	protocol := "HTTP"
	if t.CertificateARN != "" {
		protocol = "HTTPS"
	}
	tpl.Add(smokeTestSecurityGroup, &ec2.SecurityGroup{
		GroupDescription: "smoke test of " + app.ECSServiceName() + " (CodeDeploy hook)",
		VpcId:            str(vpc),
		SecurityGroupEgress: []ec2.SecurityGroup_Egress{
			{IpProtocol: "tcp", FromPort: num(t.TestListener.Port), ToPort: num(t.TestListener.Port), CidrIp: str(t.Network.CIDR), Description: str("the test listener")},
			{IpProtocol: "tcp", FromPort: num(443), ToPort: num(443), CidrIp: str("0.0.0.0/0"), Description: str("HTTPS to the EC2 and CodeDeploy APIs")},
		},
		Tags: appTags(app),
		AWSCloudFormationMetadata: exempt(nil, exceptions{"EC2_SECURITY_GROUP_EGRESS_OPEN_TO_WORLD_RULE": "the smoke test reports to the CodeDeploy API " +
			"and finds the load balancer's addresses through the EC2 API, on port 443 through the NAT gateway; those addresses are not fixed"}),
	})
	smoke := hookFunction(app, t, tpl, "SmokeTestHook", hookSmoke, smokeTestCode,
		"Requests the health check and smoke-test paths through the test listener before production traffic moves", 300,
		map[string]string{
			"LOAD_BALANCER": lb,
			"HOST":          lbDNS,
			"PORT":          fmt.Sprint(t.TestListener.Port),
			"PROTOCOL":      protocol,
			"CHECKS":        smokeChecks(st),
		},
		&lambda.Function_VpcConfig{SubnetIds: private, SecurityGroupIds: []string{cfn.Ref(smokeTestSecurityGroup)}},
		// What a function in a VPC needs for its network interfaces, as in
		// the managed policy AWSLambdaVPCAccessExecutionRole
		// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html),
		// and finding the load balancer's addresses.
		cfn.Allow("NetworkInterfaces", []string{"ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
			"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:UnassignPrivateIpAddresses"}, []string{"*"}),
	)
	smoke.AWSCloudFormationMetadata = justify(`Lambda's VPC networking: "ec2:DescribeNetworkInterfaces - This action only works if it's allowed on all resources" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html); the interfaces Lambda creates are named only at run time.`)
}

// smokeChecks is the smoke test's CHECKS variable: [[path, matcher], ...].
func smokeChecks(st *model.SmokeTest) string {
	var list [][]string
	for _, c := range st.Checks {
		list = append(list, []string{c.Path, c.Matcher})
	}
	b, err := cfn.CompactJSON(list)
	if err != nil {
		panic(err) // strings only
	}
	return string(b)
}
