package stacks

import (
	"fmt"
	"net/netip"

	"github.com/awslabs/goformation/v7/cloudformation/applicationautoscaling"
	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	elb "github.com/awslabs/goformation/v7/cloudformation/elasticloadbalancingv2"
	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
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
func serviceStack(app *model.App, t model.Target, network string) *stack {
	svc := app.Service
	tpl := cfn.New(fmt.Sprintf("bgc %s/%s service of %s: ALB, ECS cluster and Fargate service under CodeDeploy blue/green.",
		app.Name, svc.Name, t.ID()))
	st := workloadStack(app, t, kindService, tpl)
	tg := appTags(app)

	vpc := tpl.Param(outVpcID, "AWS::EC2::VPC::Id", "VPC of the target")
	st.bind(outVpcID, network, outVpcID)
	var public, private []string
	for i := 1; i <= t.Network.AZs; i++ {
		for _, p := range []struct {
			name string
			list *[]string
		}{{outPublicSubnet, &public}, {outPrivateSubnet, &private}} {
			name := fmt.Sprint(p.name, i)
			*p.list = append(*p.list, tpl.Param(name, "AWS::EC2::Subnet::Id", "subnet "+name))
			st.bind(name, network, name)
		}
	}

	// Security groups: egress declared inline, so the default allow-all
	// egress rule is removed.
	https := t.CertificateARN != ""
	albIngress := []ec2.SecurityGroup_Ingress{
		{IpProtocol: "tcp", FromPort: num(80), ToPort: num(80), CidrIp: str("0.0.0.0/0"), Description: str("production HTTP")},
		{IpProtocol: "tcp", FromPort: num(t.TestListener.Port), ToPort: num(t.TestListener.Port), CidrIp: str(t.TestListener.CIDR), Description: str("test listener")},
	}
	if https {
		albIngress = append(albIngress, ec2.SecurityGroup_Ingress{IpProtocol: "tcp", FromPort: num(443), ToPort: num(443), CidrIp: str("0.0.0.0/0"), Description: str("production HTTPS")})
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
		Tags: tg,
	})
	tpl.Add("ServiceSecurityGroup", &ec2.SecurityGroup{
		GroupDescription: "tasks of " + app.ECSServiceName(),
		VpcId:            str(vpc),
		SecurityGroupIngress: []ec2.SecurityGroup_Ingress{{
			IpProtocol: "tcp", FromPort: num(svc.Port), ToPort: num(svc.Port),
			SourceSecurityGroupId: str(cfn.Ref("LoadBalancerSecurityGroup")), Description: str("from the ALB"),
		}},
		SecurityGroupEgress: []ec2.SecurityGroup_Egress{{
			IpProtocol: "tcp", FromPort: num(443), ToPort: num(443), CidrIp: str("0.0.0.0/0"), Description: str("HTTPS to AWS APIs and registries"),
		}},
		Tags: tg,
	})

	tpl.Add("LoadBalancer", &elb.LoadBalancer{
		Name:           str(app.LoadBalancerName()),
		Type:           str("application"),
		Scheme:         str("internet-facing"),
		Subnets:        public,
		SecurityGroups: []string{cfn.Ref("LoadBalancerSecurityGroup")},
		LoadBalancerAttributes: []elb.LoadBalancer_LoadBalancerAttribute{
			{Key: str("routing.http.drop_invalid_header_fields.enabled"), Value: str("true")},
		},
		Tags: tg,
	})
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
	forwardBlue := []elb.Listener_Action{{Type: "forward", TargetGroupArn: str(cfn.Ref("BlueTargetGroup"))}}
	prod := &elb.Listener{LoadBalancerArn: cfn.Ref("LoadBalancer"), Protocol: str("HTTP"), Port: num(80), DefaultActions: forwardBlue}
	test := &elb.Listener{LoadBalancerArn: cfn.Ref("LoadBalancer"), Protocol: str("HTTP"), Port: num(t.TestListener.Port), DefaultActions: forwardBlue}
	if https {
		cert := []elb.Listener_Certificate{{CertificateArn: str(cfn.Sub(partitionARN(t.CertificateARN)))}}
		prod = &elb.Listener{LoadBalancerArn: cfn.Ref("LoadBalancer"), Protocol: str("HTTPS"), Port: num(443), SslPolicy: str(tlsPolicy), Certificates: cert, DefaultActions: forwardBlue}
		test.Protocol, test.SslPolicy, test.Certificates = str("HTTPS"), str(tlsPolicy), cert
		tpl.Add("HttpRedirectListener", &elb.Listener{
			LoadBalancerArn: cfn.Ref("LoadBalancer"), Protocol: str("HTTP"), Port: num(80),
			DefaultActions: []elb.Listener_Action{{Type: "redirect", RedirectConfig: &elb.Listener_RedirectConfig{
				Protocol: str("HTTPS"), Port: str("443"), StatusCode: "HTTP_301",
			}}},
		})
	}
	tpl.Add("ProductionListener", prod)
	tpl.Add("TestListener", test)

	tpl.Add("Cluster", &ecs.Cluster{
		ClusterName:     str(app.ClusterName()),
		ClusterSettings: []ecs.Cluster_ClusterSettings{{Name: str("containerInsights"), Value: str("enabled")}},
		Tags:            tg,
	})
	tpl.Add("LogGroup", &logs.LogGroup{
		LogGroupName:    str(app.LogGroupName()),
		RetentionInDays: num(svc.LogRetentionDays),
		Tags:            tg,
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
		Tags:                       tg,
		AWSCloudFormationDependsOn: []string{"LogGroup"},
	})
	service := &ecs.Service{
		ServiceName:    str(app.ECSServiceName()),
		Cluster:        str(cfn.Ref("Cluster")),
		TaskDefinition: str(cfn.Ref("TaskDefinition")),
		// No DesiredCount: CloudFormation sends every property of a service
		// on any update, and ECS refuses that for CODE_DEPLOY services, so
		// the count is owned by ScalableTarget below instead (min = max =
		// desiredCount without autoscaling), which Application Auto Scaling
		// applies to the running service.
		LaunchType:                    str("FARGATE"),
		PlatformVersion:               str("LATEST"),
		DeploymentController:          &ecs.Service_DeploymentController{Type: str("CODE_DEPLOY")},
		HealthCheckGracePeriodSeconds: num(svc.HealthCheck.GracePeriodSeconds),
		LoadBalancers: []ecs.Service_LoadBalancer{{
			ContainerName: str(app.ContainerName()), ContainerPort: num(svc.Port), TargetGroupArn: str(cfn.Ref("BlueTargetGroup")),
		}},
		NetworkConfiguration: &ecs.Service_NetworkConfiguration{AwsvpcConfiguration: &ecs.Service_AwsVpcConfiguration{
			AssignPublicIp: str("DISABLED"), Subnets: private, SecurityGroups: []string{cfn.Ref("ServiceSecurityGroup")},
		}},
		EnableECSManagedTags: yes(),
		PropagateTags:        str("SERVICE"),
		Tags:                 tg,
		// The target group must be attached to a listener before the service uses it.
		AWSCloudFormationDependsOn: []string{"ProductionListener", "TestListener"},
	}
	tpl.Add("Service", service)
	// CloudFormation sends every property of a service on any update, and
	// ECS refuses that for a CODE_DEPLOY service (aws/aws-cdk#23564), so the
	// deployer stops any change set that would modify it.
	st.freeze("Service", service, "an ECS service under the CODE_DEPLOY controller; "+
		"ECS refuses CloudFormation updates of such a service after it is created (CodeDeploy owns it)")
	minTasks, maxTasks := svc.DesiredCount, svc.DesiredCount
	if a := svc.Autoscaling; a != nil {
		minTasks, maxTasks = a.Min, a.Max
	}
	tpl.Add("ScalableTarget", &applicationautoscaling.ScalableTarget{
		ServiceNamespace:           "ecs",
		ScalableDimension:          "ecs:service:DesiredCount",
		ResourceId:                 "service/" + app.ClusterName() + "/" + app.ECSServiceName(),
		MinCapacity:                minTasks,
		MaxCapacity:                maxTasks,
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

	tpl.Output(outProdListener, "production listener", cfn.Ref("ProductionListener"))
	tpl.Output(outTestListener, "test listener", cfn.Ref("TestListener"))
	// The CloudWatch dimension names are cut from the ARNs rather than read
	// with GetAtt LoadBalancerFullName/TargetGroupFullName, which moto does
	// not resolve (a missing one drops every output of the stack there).
	tpl.Output(outLoadBalancer, "ALB full name (CloudWatch dimension)", cfn.Select(1, cfn.Split(":loadbalancer/", cfn.Ref("LoadBalancer"))))
	tpl.Output(outLoadBalancerD, "ALB DNS name", cfn.GetAtt("LoadBalancer", "DNSName"))
	tpl.Output(outBlueTGName, "blue target group full name (CloudWatch dimension)", cfn.Select(5, cfn.Split(":", cfn.Ref("BlueTargetGroup"))))
	tpl.Output(outGreenTGName, "green target group full name (CloudWatch dimension)", cfn.Select(5, cfn.Split(":", cfn.Ref("GreenTargetGroup"))))
	return st
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
