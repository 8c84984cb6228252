package stacks

import (
	"fmt"

	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	"github.com/awslabs/goformation/v7/cloudformation/tags"
	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/plan"
)

// Outputs of the network stack.
const (
	outVpcID         = "VpcId"
	outPublicSubnet  = "PublicSubnet"  // + 1-based AZ index
	outPrivateSubnet = "PrivateSubnet" // + 1-based AZ index
)

// networkStack is the target's VPC: public subnets for the ALB and NAT,
// private subnets for the tasks, NAT per AZ or a single one.
func networkStack(app *model.App, t model.Target, logs string) (*stack, error) {
	subnets, err := model.LayoutSubnets(t.Network)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", t.ID(), err)
	}
	tpl := cfn.New(fmt.Sprintf("bgc %s/%s network of %s: VPC %s over %d AZs, NAT %s.",
		app.Name, app.Service.Name, t.ID(), t.Network.CIDR, t.Network.AZs, t.Network.NAT))
	tg := appTags(app)

	tpl.Add("Vpc", &ec2.VPC{CidrBlock: str(t.Network.CIDR), EnableDnsHostnames: yes(), EnableDnsSupport: yes(), Tags: tg})
	tpl.Add("InternetGateway", &ec2.InternetGateway{Tags: tg})
	tpl.Add("InternetGatewayAttachment", &ec2.VPCGatewayAttachment{VpcId: cfn.Ref("Vpc"), InternetGatewayId: str(cfn.Ref("InternetGateway"))})
	tpl.Add("PublicRouteTable", &ec2.RouteTable{VpcId: cfn.Ref("Vpc"), Tags: tg})
	tpl.Add("PublicDefaultRoute", &ec2.Route{
		RouteTableId: cfn.Ref("PublicRouteTable"), DestinationCidrBlock: str("0.0.0.0/0"),
		GatewayId: str(cfn.Ref("InternetGateway")), AWSCloudFormationDependsOn: []string{"InternetGatewayAttachment"},
		AWSCloudFormationMetadata: exempt(nil, exceptions{"NO_UNRESTRICTED_ROUTE_TO_IGW": whyPublicRoute}),
	})
	tpl.Output(outVpcID, "VPC id", cfn.Ref("Vpc"))
	// Every flow of the VPC, to the target's log bucket (an S3 destination
	// needs no IAM role: DeliverLogsPermissionArn is "required if the
	// destination type is cloud-watch-logs and unsupported otherwise",
	// AWS::EC2::FlowLog).
	tpl.Add("FlowLog", &ec2.FlowLog{
		ResourceId:             cfn.Ref("Vpc"),
		ResourceType:           "VPC",
		TrafficType:            str("ALL"),
		LogDestinationType:     str("s3"),
		LogDestination:         str(fmt.Sprintf("arn:%s:s3:::%s/%s/", model.Partition(t.Region), app.LogBucketName(t.AccountID, t.Region), flowLogPrefix)),
		MaxAggregationInterval: num(600),
		Tags:                   tg,
	})

	nats := t.Network.AZs
	if t.Network.NAT == model.NATSingle {
		nats = 1
	}
	pinned := model.FargateAZIDs[t.Region]
	for i := 0; i < t.Network.AZs; i++ {
		n := fmt.Sprint(i + 1)
		// Where Fargate runs in only some zones, subnets name a supported
		// zone ID; elsewhere the region's first zones by position.
		subnet := func(cidr string) *ec2.Subnet {
			s := &ec2.Subnet{VpcId: cfn.Ref("Vpc"), CidrBlock: str(cidr), MapPublicIpOnLaunch: no(), Tags: tg}
			if pinned != nil {
				s.AvailabilityZoneId = str(pinned[i])
			} else {
				s.AvailabilityZone = str(cfn.Select(i, cfn.GetAZs("")))
			}
			return s
		}
		tpl.Add("PublicSubnet"+n, subnet(subnets.Public[i]))
		tpl.Add("PublicSubnet"+n+"RouteTableAssociation", &ec2.SubnetRouteTableAssociation{SubnetId: cfn.Ref("PublicSubnet" + n), RouteTableId: cfn.Ref("PublicRouteTable")})
		tpl.Add("PrivateSubnet"+n, subnet(subnets.Private[i]))
		tpl.Add("PrivateRouteTable"+n, &ec2.RouteTable{VpcId: cfn.Ref("Vpc"), Tags: tg})
		tpl.Add("PrivateSubnet"+n+"RouteTableAssociation", &ec2.SubnetRouteTableAssociation{SubnetId: cfn.Ref("PrivateSubnet" + n), RouteTableId: cfn.Ref("PrivateRouteTable" + n)})
		nat := "NatGateway" + fmt.Sprint(min(i, nats-1)+1)
		tpl.Add("PrivateDefaultRoute"+n, &ec2.Route{RouteTableId: cfn.Ref("PrivateRouteTable" + n), DestinationCidrBlock: str("0.0.0.0/0"), NatGatewayId: str(cfn.Ref(nat))})
		if i < nats {
			tpl.Add("NatGateway"+n+"Eip", &ec2.EIP{Domain: str("vpc"), Tags: tg, AWSCloudFormationDependsOn: []string{"InternetGatewayAttachment"}})
			tpl.Add(nat, &ec2.NatGateway{AllocationId: str(cfn.GetAtt("NatGateway"+n+"Eip", "AllocationId")), SubnetId: cfn.Ref("PublicSubnet" + n), Tags: tg})
		}
		tpl.Output(outPublicSubnet+n, "public subnet in AZ "+n, cfn.Ref("PublicSubnet"+n))
		tpl.Output(outPrivateSubnet+n, "private subnet in AZ "+n, cfn.Ref("PrivateSubnet"+n))
	}
	addEndpoints(t, tpl, tg)
	st := workloadStack(app, t, kindNetwork, tpl)
	// The VPC's default security group allows all traffic between its
	// members and all egress; nothing bgc creates uses it, and
	// CloudFormation cannot edit it, so the deployer revokes its rules
	// (deploy/defaultsg.go). AWS Config's vpc-default-security-group-closed
	// "is NON_COMPLIANT if the default security group has one or more
	// inbound or outbound traffic rules"
	// (https://docs.aws.amazon.com/config/latest/developerguide/vpc-default-security-group-closed.html).
	st.defaultSG = &plan.DefaultSecurityGroup{VpcOutput: outVpcID}
	st.needs(logs)
	return st, nil
}

// addEndpoints adds network.endpoints: S3's gateway endpoint on the private
// route tables, and an interface endpoint with private DNS in every private
// subnet for each other service, behind a security group that admits
// HTTPS from the VPC. "When you enable private DNS for the endpoint, you
// can make API requests to the AWS service using its default DNS name"
// (https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html),
// so the tasks, the ECS agent and the awslogs driver use the endpoints
// without any setting of theirs. ECR keeps image layers in S3: "Amazon ECR
// uses Amazon S3 to store your image layers. When your containers download
// images from Amazon ECR, the containers must access Amazon ECR to get the
// image manifest and Amazon S3 to download the actual image layers"
// (https://aws.amazon.com/premiumsupport/knowledge-center/ecs-fargate-docker-timeout-error/,
// which lists ECR, S3, Secrets Manager or Systems Manager, and CloudWatch
// Logs for Fargate tasks without a NAT gateway). Adding the S3 endpoint to
// a live VPC may cut the tasks' open S3 connections briefly, the ECR guide
// warns (paraphrased from its translated editions, the ones the
// documentation index holds; they also say ECR Public is not served by
// endpoints, except its API in us-east-1)
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html).
// The endpoints' policies are the default (full access): the tasks' roles,
// not the network, decide what they may do.
func addEndpoints(t model.Target, tpl *cfn.Template, tg []tags.Tag) {
	if len(t.Network.Endpoints) == 0 {
		return
	}
	var privateRoutes, privateSubnets []string
	for i := 1; i <= t.Network.AZs; i++ {
		privateRoutes = append(privateRoutes, cfn.Ref(fmt.Sprint("PrivateRouteTable", i)))
		privateSubnets = append(privateSubnets, cfn.Ref(fmt.Sprint("PrivateSubnet", i)))
	}
	interfaces := false
	for _, svc := range t.Network.Endpoints {
		if svc == model.GatewayEndpoint {
			tpl.Add("Endpoint"+logicalID(svc), &ec2.VPCEndpoint{
				VpcId:           cfn.Ref("Vpc"),
				ServiceName:     cfn.Sub("com.amazonaws.${AWS::Region}." + svc),
				VpcEndpointType: str("Gateway"),
				RouteTableIds:   privateRoutes,
			})
			continue
		}
		interfaces = true
		tpl.Add("Endpoint"+logicalID(svc), &ec2.VPCEndpoint{
			VpcId:             cfn.Ref("Vpc"),
			ServiceName:       cfn.Sub("com.amazonaws.${AWS::Region}." + svc),
			VpcEndpointType:   str("Interface"),
			PrivateDnsEnabled: yes(),
			SubnetIds:         privateSubnets,
			SecurityGroupIds:  []string{cfn.Ref("EndpointSecurityGroup")},
		})
	}
	if interfaces {
		// An endpoint only answers; CloudFormation gives a group without
		// egress rules one that allows everything, so it gets one that
		// matches nothing (ICMP type 252, code 252, to the limited
		// broadcast address, which no endpoint sends).
		tpl.Add("EndpointSecurityGroup", &ec2.SecurityGroup{
			GroupDescription: "VPC endpoints: HTTPS from the VPC",
			VpcId:            str(cfn.Ref("Vpc")),
			SecurityGroupIngress: []ec2.SecurityGroup_Ingress{{
				IpProtocol: "tcp", FromPort: num(443), ToPort: num(443), CidrIp: str(t.Network.CIDR), Description: str("HTTPS from the VPC"),
			}},
			SecurityGroupEgress: []ec2.SecurityGroup_Egress{{
				IpProtocol: "icmp", FromPort: num(252), ToPort: num(252), CidrIp: str("255.255.255.255/32"), Description: str("no egress"),
			}},
			Tags: tg,
			AWSCloudFormationMetadata: exempt(nil, exceptions{"SECURITY_GROUP_INGRESS_CIDR_NON_32_RULE": "the endpoints answer HTTPS from " +
				"anything in the VPC (the tasks, the ECS agent pulling images and writing logs for them): a network, and the tasks' own group " +
				"is in the service stack, which depends on this one"}),
		})
	}
}
