package stacks

import (
	"fmt"

	"github.com/awslabs/goformation/v7/cloudformation/ec2"
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
