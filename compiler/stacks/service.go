package stacks

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/awslabs/goformation/v7/cloudformation/applicationautoscaling"
	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	elb "github.com/awslabs/goformation/v7/cloudformation/elasticloadbalancingv2"
	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/awslabs/goformation/v7/cloudformation/tags"
	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/plan"
)

// Outputs of the service stack.
const (
	outProdListener  = "ProductionListenerArn"
	outTestListener  = "TestListenerArn"
	outLoadBalancer  = "LoadBalancerFullName"
	outBlueTGName    = "BlueTargetGroupFullName"
	outGreenTGName   = "GreenTargetGroupFullName"
	outLoadBalancerD = "LoadBalancerDnsName"
)

// tlsPolicy is the ALB security policy of HTTPS listeners.
const tlsPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"

// serviceStack is everything that runs the service in one target: the ALB
// with production and test listeners and two target groups, security
// groups with explicit egress, the ECS cluster, log group, roles, the
// initial task definition and the CODE_DEPLOY-controlled Fargate service.
// loadBalancerIngressExceptions are the registry rules the load balancer's
// security group does not meet, and why: the production listener is open
// to loadBalancer.allowedCidrs, by default everyone.
func loadBalancerIngressExceptions(app *model.App) exceptions {
	e := exceptions{
		"SECURITY_GROUP_INGRESS_CIDR_NON_32_RULE": "the load balancer admits the client networks of loadBalancer.allowedCidrs on its production ports " +
			"and deployment.testListener.cidr on the test listener (and the smoke test from the private subnets); a service's clients are not one address",
	}
	if slices.Contains(app.LoadBalancer.AllowedCIDRs, "0.0.0.0/0") {
		e["EC2_SECURITY_GROUP_INGRESS_OPEN_TO_WORLD_RULE"] = "loadBalancer.allowedCidrs admits clients from anywhere on the production ports " +
			"(the default: the service is public; list the clients' networks to close it); the test listener admits only deployment.testListener.cidr"
	}
	return e
}

func serviceStack(app *model.App, t model.Target, network, logStack string) *stack {
	svc := app.Service
	tpl := cfn.New(fmt.Sprintf("bgc %s/%s service of %s: ALB, ECS cluster and Fargate service under CodeDeploy blue/green.",
		app.Name, svc.Name, t.ID()))
	st := workloadStack(app, t, kindService, tpl)
	tg := appTags(app)

	vpc := tpl.Param(outVpcID, "AWS::EC2::VPC::Id", "VPC of the target")
	st.bind(outVpcID, network, outVpcID)
	logKey := tpl.Param(outLogKeyArn, "String", "key of the target's log groups")
	st.bind(outLogKeyArn, logStack, outLogKeyArn)
	var public, private []string
	for i := 1; i <= t.Network.AZs; i++ {
		for _, p := range []struct {
			name string
			list *[]string
		}{{outPublicSubnet, &public}, {outPrivateSubnet, &private}} {
			if p.name == outPublicSubnet && app.LoadBalancer.Internal {
				continue // an internal load balancer uses the private subnets
			}
			name := fmt.Sprint(p.name, i)
			*p.list = append(*p.list, tpl.Param(name, "AWS::EC2::Subnet::Id", "subnet "+name))
			st.bind(name, network, name)
		}
	}

	// Security groups: egress declared inline, so the default allow-all
	// egress rule is removed.
	https := t.CertificateARN != ""
	var albIngress []ec2.SecurityGroup_Ingress
	for _, cidr := range app.LoadBalancer.AllowedCIDRs {
		albIngress = append(albIngress, ec2.SecurityGroup_Ingress{IpProtocol: "tcp", FromPort: num(80), ToPort: num(80), CidrIp: str(cidr), Description: str("production HTTP")})
	}
	albIngress = append(albIngress, ec2.SecurityGroup_Ingress{IpProtocol: "tcp", FromPort: num(t.TestListener.Port), ToPort: num(t.TestListener.Port), CidrIp: str(t.TestListener.CIDR), Description: str("test listener")})
	if https {
		for _, cidr := range app.LoadBalancer.AllowedCIDRs {
			albIngress = append(albIngress, ec2.SecurityGroup_Ingress{IpProtocol: "tcp", FromPort: num(443), ToPort: num(443), CidrIp: str(cidr), Description: str("production HTTPS")})
		}
	}
	if app.Deployment.SmokeTest != nil && !covers(t.TestListener.CIDR, t.Network.CIDR) {
		// The smoke test (in the private subnets) reaches the test
		// listener from inside the VPC, whoever else may.
		for _, cidr := range subnetsOf(t).Private {
			albIngress = append(albIngress, ec2.SecurityGroup_Ingress{IpProtocol: "tcp", FromPort: num(t.TestListener.Port), ToPort: num(t.TestListener.Port),
				CidrIp: str(cidr), Description: str("smoke test (CodeDeploy hook)")})
		}
	}
	tpl.Add("LoadBalancerSecurityGroup", &ec2.SecurityGroup{
		GroupDescription:     "ALB of " + app.LoadBalancerName(),
		VpcId:                str(vpc),
		SecurityGroupIngress: albIngress,
		SecurityGroupEgress: []ec2.SecurityGroup_Egress{{
			IpProtocol: "tcp", FromPort: num(svc.Port), ToPort: num(svc.Port), CidrIp: str(t.Network.CIDR), Description: str("to tasks"),
		}},
		Tags:                      tg,
		AWSCloudFormationMetadata: exempt(nil, loadBalancerIngressExceptions(app)),
	})
	tpl.Add("ServiceSecurityGroup", &ec2.SecurityGroup{
		GroupDescription: "tasks of " + app.ECSServiceName(),
		VpcId:            str(vpc),
		SecurityGroupIngress: []ec2.SecurityGroup_Ingress{{
			IpProtocol: "tcp", FromPort: num(svc.Port), ToPort: num(svc.Port),
			SourceSecurityGroupId: str(cfn.Ref("LoadBalancerSecurityGroup")), Description: str("from the ALB"),
		}},
		SecurityGroupEgress:       taskEgress(t, tpl, st),
		Tags:                      tg,
		AWSCloudFormationMetadata: taskEgressExceptions(t),
	})

	// An internal load balancer lives in the private subnets: "The nodes of
	// an internal load balancer have only private IP addresses"
	// (Scheme, https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html).
	scheme, lbSubnets := "internet-facing", public
	if app.LoadBalancer.Internal {
		scheme, lbSubnets = "internal", private
	}
	tpl.Add("LoadBalancer", &elb.LoadBalancer{
		Name:           str(app.LoadBalancerName()),
		Type:           str("application"),
		Scheme:         str(scheme),
		Subnets:        lbSubnets,
		SecurityGroups: []string{cfn.Ref("LoadBalancerSecurityGroup")},
		LoadBalancerAttributes: []elb.LoadBalancer_LoadBalancerAttribute{
			{Key: str("routing.http.drop_invalid_header_fields.enabled"), Value: str("true")},
			// bgc destroy turns it off before deleting the stack.
			{Key: str("deletion_protection.enabled"), Value: str("true")},
			// The bucket's name is literal, as CT.ELASTICLOADBALANCING.PR.6 reads it.
			{Key: str("access_logs.s3.enabled"), Value: str("true")},
			{Key: str("access_logs.s3.bucket"), Value: str(app.LogBucketName(t.AccountID, t.Region))},
			{Key: str("access_logs.s3.prefix"), Value: str(albLogPrefix)},
		},
		Tags: tg,
	})
	addWebACL(app, t, tpl, logKey)
	for _, color := range []string{"blue", "green"} {
		tpl.Add(logicalID(color)+"TargetGroup", &elb.TargetGroup{
			Name:                       str(app.TargetGroupName(color)),
			TargetType:                 str("ip"),
			Protocol:                   str("HTTP"),
			Port:                       num(svc.Port),
			VpcId:                      str(vpc),
			HealthCheckEnabled:         yes(),
			HealthCheckProtocol:        str("HTTP"),
			HealthCheckPath:            str(svc.HealthCheck.Path),
			HealthCheckIntervalSeconds: num(svc.HealthCheck.IntervalSeconds),
			HealthCheckTimeoutSeconds:  num(svc.HealthCheck.TimeoutSeconds),
			HealthyThresholdCount:      num(svc.HealthCheck.HealthyThreshold),
			UnhealthyThresholdCount:    num(svc.HealthCheck.UnhealthyThreshold),
			Matcher:                    &elb.TargetGroup_Matcher{HttpCode: str(svc.HealthCheck.Matcher)},
			TargetGroupAttributes: []elb.TargetGroup_TargetGroupAttribute{
				{Key: str("deregistration_delay.timeout_seconds"), Value: str(fmt.Sprint(app.Deployment.DeregistrationDelaySeconds))},
			},
			Tags: tg,
		})
	}
	addListeners(app, t, st)

	tpl.Add("Cluster", &ecs.Cluster{
		ClusterName:     str(app.ClusterName()),
		ClusterSettings: []ecs.Cluster_ClusterSettings{{Name: str("containerInsights"), Value: str("enabled")}},
		Tags:            tg,
	})
	tpl.Add("LogGroup", &logs.LogGroup{
		LogGroupName:              str(app.LogGroupName()),
		RetentionInDays:           num(svc.LogRetentionDays),
		KmsKeyId:                  str(logKey),
		Tags:                      tg,
		AWSCloudFormationMetadata: logGroupMetadata(app, whyLogKeyParameter),
		// Delete: a retained group would block re-creating the stack (same name).
		AWSCloudFormationDeletionPolicy:      del,
		AWSCloudFormationUpdateReplacePolicy: deleteOnReplace,
	})
	addTaskRoles(app, t, tpl)
	// The bootstrap task definition only has to serve the health check until
	// the first release, and CloudFormation can never change it later (a
	// CODE_DEPLOY service refuses task definition updates). So it uses the
	// smallest Fargate size, not service.cpu/memory: resizing the service
	// then flows through taskdef.json and the pipeline instead of breaking
	// the next stack update.
	tpl.Add("TaskDefinition", &ecs.TaskDefinition{
		Family:                     str(app.TaskFamily()),
		Cpu:                        str(bootstrapCPU),
		Memory:                     str(bootstrapMemory),
		NetworkMode:                str("awsvpc"),
		RequiresCompatibilities:    []string{"FARGATE"},
		ExecutionRoleArn:           str(cfn.GetAtt("ExecutionRole", "Arn")),
		TaskRoleArn:                str(cfn.GetAtt("TaskRole", "Arn")),
		ContainerDefinitions:       []ecs.TaskDefinition_ContainerDefinition{bootstrapContainer(app, t)},
		Volumes:                    bootstrapFS(app).volumes(),
		Tags:                       tg,
		AWSCloudFormationMetadata:  exemptIfAny(bootstrapExceptions(app)),
		AWSCloudFormationDependsOn: []string{"LogGroup"},
	})
	service := &ecs.Service{
		ServiceName: str(app.ECSServiceName()),
		Cluster:     str(cfn.Ref("Cluster")),
		// The family, not Ref TaskDefinition (an ARN with a revision): ECS
		// starts the family's latest revision, and a later replacement of
		// the bootstrap task definition (its command follows the health
		// check's matcher) leaves the service untouched. The AWS CDK does the
		// same for CODE_DEPLOY services: "This change prevents
		// CloudFormation from attempting to re-deploy the service when a new
		// revision of the task definition is created by the stack."
		// (https://github.com/aws/aws-cdk/pull/22295)
		TaskDefinition: str(app.TaskFamily()),
		// Nothing here may change after the service exists. ECS refuses a
		// CloudFormation update of a CODE_DEPLOY service (CloudFormation
		// sends every property: aws/aws-cdk#23564), so every setting that
		// follows app.yaml lives elsewhere: the task count in ScalableTarget
		// (min = max = desiredCount without autoscaling), the grace period in
		// the plan (the deployer applies it with UpdateService), the tags on
		// the task definitions (propagated to tasks) and the release in
		// taskdef.json. Only what changing would need a new service anyway
		// (port, subnets, security group, names) is set here.
		LaunchType:           str("FARGATE"),
		PlatformVersion:      str("LATEST"),
		DeploymentController: &ecs.Service_DeploymentController{Type: str("CODE_DEPLOY")},
		LoadBalancers: []ecs.Service_LoadBalancer{{
			ContainerName: str(app.ContainerName()), ContainerPort: num(svc.Port), TargetGroupArn: str(cfn.Ref("BlueTargetGroup")),
		}},
		NetworkConfiguration: &ecs.Service_NetworkConfiguration{AwsvpcConfiguration: &ecs.Service_AwsVpcConfiguration{
			AssignPublicIp: str("DISABLED"), Subnets: private, SecurityGroups: []string{cfn.Ref("ServiceSecurityGroup")},
		}},
		EnableECSManagedTags: yes(),
		PropagateTags:        str("TASK_DEFINITION"),
		Tags:                 serviceTags(app),
		// The target groups must be attached to listeners before the service
		// uses them, and the family must exist.
		AWSCloudFormationDependsOn: append(listenerIDs(t), "TaskDefinition"),
	}
	tpl.Add("Service", service)
	st.freeze("Service", service, "an ECS service under the CODE_DEPLOY controller; "+
		"ECS refuses CloudFormation updates of such a service after it is created (CodeDeploy owns it)")
	st.service = &plan.Service{Cluster: app.ClusterName(), Name: app.ECSServiceName(), HealthCheckGracePeriodSeconds: svc.HealthCheck.GracePeriodSeconds}
	st.quiesce = &plan.DeploymentGroup{Application: app.CodeDeployApplication(), Name: app.DeploymentGroupName()}
	minTasks, maxTasks := svc.DesiredCount, svc.DesiredCount
	if a := svc.Autoscaling; a != nil {
		minTasks, maxTasks = a.Min, a.Max
	}
	tpl.Add("ScalableTarget", &applicationautoscaling.ScalableTarget{
		ServiceNamespace:  "ecs",
		ScalableDimension: "ecs:service:DesiredCount",
		ResourceId:        scalableResourceID(app),
		MinCapacity:       minTasks,
		MaxCapacity:       maxTasks,
		// Scaling runs outside deployments: the scaling hook suspends it
		// while one runs and resumes it after (hooks.go), and an update of
		// this resource says so again.
		SuspendedState: &applicationautoscaling.ScalableTarget_SuspendedState{
			DynamicScalingInSuspended: no(), DynamicScalingOutSuspended: no(), ScheduledScalingSuspended: no(),
		},
		AWSCloudFormationDependsOn: []string{"Service"},
	})
	if a := svc.Autoscaling; a != nil {
		tpl.Add("CpuScalingPolicy", &applicationautoscaling.ScalingPolicy{
			PolicyName:      app.ECSServiceName() + "-cpu",
			PolicyType:      "TargetTrackingScaling",
			ScalingTargetId: str(cfn.Ref("ScalableTarget")),
			TargetTrackingScalingPolicyConfiguration: &applicationautoscaling.ScalingPolicy_TargetTrackingScalingPolicyConfiguration{
				TargetValue: float64(a.TargetCPUPercent),
				PredefinedMetricSpecification: &applicationautoscaling.ScalingPolicy_PredefinedMetricSpecification{
					PredefinedMetricType: "ECSServiceAverageCPUUtilization",
				},
			},
		})
	}

	// The CloudWatch dimension names are cut from the ARNs rather than read
	// with GetAtt LoadBalancerFullName/TargetGroupFullName, which moto does
	// not resolve (a missing one drops every output of the stack there).
	tpl.Output(outLoadBalancer, "ALB full name (CloudWatch dimension)", cfn.Select(1, cfn.Split(":loadbalancer/", cfn.Ref("LoadBalancer"))))
	tpl.Output(outLoadBalancerD, "ALB DNS name", cfn.GetAtt("LoadBalancer", "DNSName"))
	url := "http://"
	if t.CertificateARN != "" {
		url = "https://"
	}
	tpl.Output(plan.OutputServiceURL, "the service's address on its load balancer (bgc deploy prints it)", cfn.Sub(url+"${LoadBalancer.DNSName}/"))
	tpl.Output(outBlueTGName, "blue target group full name (CloudWatch dimension)", cfn.Select(5, cfn.Split(":", cfn.Ref("BlueTargetGroup"))))
	tpl.Output(outGreenTGName, "green target group full name (CloudWatch dimension)", cfn.Select(5, cfn.Split(":", cfn.Ref("GreenTargetGroup"))))
	return st
}

// Listener parameters: the colour of the target group each listener
// forwards to now, which the deployer reads before every change (see
// plan.LiveRef), and the conditions that pick the group.
const (
	paramProdColor = "ProductionTargetColor"
	paramTestColor = "TestTargetColor"
	condProdGreen  = "ProductionIsGreen"
	condTestGreen  = "TestIsGreen"
)

// addListeners adds the production and test listeners. Port 80 is always
// the same resource, ProductionListener: it forwards while the target has
// no certificate and redirects to HTTPS once it has one, so adding a
// certificate creates HttpsListener on 443 (first: ProductionListener
// depends on it) and changes the port-80 listener's action in place; no
// listener ever moves to a port another one holds (which fails with
// DuplicateListener). Every forward goes to the group the listener
// forwards to now, passed in by the deployer, so no update of a listener
// moves traffic that CodeDeploy moved.
func addListeners(app *model.App, t model.Target, st *stack) {
	tpl := st.tpl
	https := t.CertificateARN != ""
	colors := map[string]string{app.TargetGroupName("blue"): "blue", app.TargetGroupName("green"): "green"}
	forward := func(param, cond, output, what string) []elb.Listener_Action {
		tpl.Choice(param, "colour of the target group the "+what+" forwards to now (the deployer reads it from the listener)", "blue", "green")
		tpl.Conditions[cond] = map[string]any{"Fn::Equals": []any{map[string]any{"Ref": param}, "green"}}
		if st.params == nil {
			st.params = map[string]plan.ParamValue{}
		}
		st.params[param] = plan.Live(output, colors, "blue")
		return []elb.Listener_Action{{Type: "forward", TargetGroupArn: str(cfn.If(cond, cfn.Ref("GreenTargetGroup"), cfn.Ref("BlueTargetGroup")))}}
	}
	live := forward(paramProdColor, condProdGreen, outProdListener, "production listener")
	http := exempt(nil, exceptions{"ELBV2_LISTENER_PROTOCOL_RULE": whyHTTPListener, "ELBV2_LISTENER_SSL_POLICY_RULE": whyHTTPListener, "CT.ELASTICLOADBALANCING.PR.1": whyHTTPListener})
	prod := &elb.Listener{LoadBalancerArn: cfn.Ref("LoadBalancer"), Protocol: str("HTTP"), Port: num(80), DefaultActions: live, AWSCloudFormationMetadata: http}
	test := &elb.Listener{LoadBalancerArn: cfn.Ref("LoadBalancer"), Protocol: str("HTTP"), Port: num(t.TestListener.Port),
		DefaultActions: forward(paramTestColor, condTestGreen, outTestListener, "test listener"), AWSCloudFormationMetadata: http}
	forwarding := "ProductionListener"
	if https {
		// The certificate's ARN is literal (the partition is the target's),
		// as ELBV2_ACM_CERTIFICATE_REQUIRED and CT.ELASTICLOADBALANCING.PR.2 read it.
		cert := []elb.Listener_Certificate{{CertificateArn: str(literalARN(t.CertificateARN, t.Region))}}
		tpl.Add("HttpsListener", &elb.Listener{LoadBalancerArn: cfn.Ref("LoadBalancer"), Protocol: str("HTTPS"), Port: num(443),
			SslPolicy: str(tlsPolicy), Certificates: cert, DefaultActions: live})
		prod.DefaultActions = []elb.Listener_Action{{Type: "redirect", RedirectConfig: &elb.Listener_RedirectConfig{
			Protocol: str("HTTPS"), Port: str("443"), StatusCode: "HTTP_301",
		}}}
		prod.AWSCloudFormationDependsOn = []string{"HttpsListener"}
		prod.AWSCloudFormationMetadata = exempt(nil, exceptions{"ELBV2_LISTENER_PROTOCOL_RULE": whyRedirectListener, "ELBV2_LISTENER_SSL_POLICY_RULE": whyRedirectListener})
		test.Protocol, test.SslPolicy, test.Certificates, test.AWSCloudFormationMetadata = str("HTTPS"), str(tlsPolicy), cert, nil
		forwarding = "HttpsListener"
	}
	tpl.Add("ProductionListener", prod)
	tpl.Add("TestListener", test)
	tpl.Output(outProdListener, "the listener production traffic is forwarded by", cfn.Ref(forwarding))
	tpl.Output(outTestListener, "test listener", cfn.Ref("TestListener"))
}

// listenerIDs are the logical ids of a target's listeners.
func listenerIDs(t model.Target) []string {
	if t.CertificateARN != "" {
		return []string{"HttpsListener", "ProductionListener", "TestListener"}
	}
	return []string{"ProductionListener", "TestListener"}
}

// serviceTags are the ECS service's tags: only bgc's own, which never
// change. App tags reach every other resource of the stack and the tasks
// (propagated from their task definitions, which carry them); on the
// service a changed tag would be an update CloudFormation cannot make.
func serviceTags(app *model.App) []tags.Tag {
	return []tags.Tag{{Key: model.AppTag, Value: app.Name}}
}

// covers says the IPv4 network outer contains all of inner.
func covers(outer, inner string) bool {
	o, err1 := netip.ParsePrefix(outer)
	i, err2 := netip.ParsePrefix(inner)
	return err1 == nil && err2 == nil && o.Bits() <= i.Bits() && o.Contains(i.Addr())
}

// subnetsOf is a target's subnet layout; the spec rules checked it.
func subnetsOf(t model.Target) model.Subnets {
	s, err := model.LayoutSubnets(t.Network)
	if err != nil {
		panic("target " + t.ID() + ": " + err.Error())
	}
	return s
}

// taskEgress is where the tasks may connect: HTTPS anywhere (through the
// NAT gateway), or with network.egress: endpoints HTTPS to the VPC, where
// its interface endpoints are, and to S3's gateway endpoint, whose
// addresses only the region's AWS-managed prefix list names; the deployer
// looks its id up (plan.PrefixListID). Both allow HTTPS only: DNS queries
// to the VPC's Amazon-provided resolver are taken not to pass through
// security groups, as the HTTPS-only internet rule has always assumed
// (stated from the VPC user guide's security-group notes; the sentence was
// not found in the documentation index this was checked with).
func taskEgress(t model.Target, tpl *cfn.Template, st *stack) []ec2.SecurityGroup_Egress {
	if !t.Network.EgressEndpoints {
		return []ec2.SecurityGroup_Egress{{
			IpProtocol: "tcp", FromPort: num(443), ToPort: num(443), CidrIp: str("0.0.0.0/0"), Description: str("HTTPS to AWS APIs and registries"),
		}}
	}
	list := tpl.Param(paramS3PrefixList, "String", "id of the AWS-managed prefix list of S3 in the region (the deployer looks it up)")
	st.params[paramS3PrefixList] = plan.PrefixListID("com.amazonaws." + t.Region + "." + model.GatewayEndpoint)
	return []ec2.SecurityGroup_Egress{
		{IpProtocol: "tcp", FromPort: num(443), ToPort: num(443), CidrIp: str(t.Network.CIDR), Description: str("HTTPS to the VPC endpoints")},
		{IpProtocol: "tcp", FromPort: num(443), ToPort: num(443), DestinationPrefixListId: str(list), Description: str("HTTPS to S3 (image layers) through its gateway endpoint")},
	}
}

// paramS3PrefixList is the service stack's parameter with S3's prefix list.
const paramS3PrefixList = plan.ParamS3PrefixList

func taskEgressExceptions(t model.Target) map[string]any {
	if t.Network.EgressEndpoints {
		return nil
	}
	return exempt(nil, exceptions{"EC2_SECURITY_GROUP_EGRESS_OPEN_TO_WORLD_RULE": whyWorldEgress})
}
