package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// ec2API is the part of the EC2 client the deployer uses.
type ec2API interface {
	DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	RevokeSecurityGroupIngress(context.Context, *ec2.RevokeSecurityGroupIngressInput, ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupIngressOutput, error)
	RevokeSecurityGroupEgress(context.Context, *ec2.RevokeSecurityGroupEgressInput, ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupEgressOutput, error)
}

// emptyDefaultSecurityGroup revokes every rule of the default security
// group of the VPC the stack created (plan.Stack.DefaultSecurityGroup).
// EC2 creates that group with every VPC, allowing all traffic between its
// members and all egress, and CloudFormation cannot change it; nothing bgc
// creates uses it. Revoking is idempotent: a group without rules is left
// alone, so a re-run changes nothing. It returns what it did (or, in a dry
// run, would do).
func (r *stackRun) emptyDefaultSecurityGroup(ctx context.Context) (string, error) {
	vpc := r.res.Outputs[r.s.DefaultSecurityGroup.VpcOutput]
	if vpc == "" {
		if r.opts().DryRun {
			return "a real run empties the VPC's default security group once the VPC exists", nil
		}
		return "", failf("the stack has no output %s with the VPC id, so its default security group cannot be emptied", r.s.DefaultSecurityGroup.VpcOutput)
	}
	api := r.src.ec2(r.s.Account, r.s.Region)
	var out *ec2.DescribeSecurityGroupsOutput
	err := r.poll.read(ctx, func() (err error) {
		out, err = api.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
			{Name: aws.String("vpc-id"), Values: []string{vpc}},
			{Name: aws.String("group-name"), Values: []string{"default"}},
		}})
		return err
	})
	if err != nil {
		return "", failf("describe the default security group of %s: %s (the deploy role needs ec2:DescribeSecurityGroups)", vpc, apiMessage(err))
	}
	if len(out.SecurityGroups) == 0 {
		return "", nil // a VPC always has one; nothing to do if EC2 says otherwise
	}
	g := out.SecurityGroups[0]
	if len(g.IpPermissions) == 0 && len(g.IpPermissionsEgress) == 0 {
		return "", nil
	}
	id := aws.ToString(g.GroupId)
	what := fmt.Sprintf("default security group %s of %s (%d inbound, %d outbound rules)", id, vpc, len(g.IpPermissions), len(g.IpPermissionsEgress))
	if r.opts().DryRun {
		return "a real run empties the " + what, nil
	}
	r.progress(phaseExecuting, "emptying the "+what)
	if len(g.IpPermissions) > 0 {
		_, err := api.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: g.IpPermissions})
		if err != nil && !ruleGone(err) {
			return "", failf("revoke the inbound rules of the %s: %s (the deploy role needs ec2:RevokeSecurityGroupIngress)", what, apiMessage(err))
		}
	}
	if len(g.IpPermissionsEgress) > 0 {
		_, err := api.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: g.GroupId, IpPermissions: g.IpPermissionsEgress})
		if err != nil && !ruleGone(err) {
			return "", failf("revoke the outbound rules of the %s: %s (the deploy role needs ec2:RevokeSecurityGroupEgress)", what, apiMessage(err))
		}
	}
	return "emptied the " + what, nil
}

// ruleGone says whether EC2 reports a rule already gone (a concurrent or
// earlier revoke): the goal is reached.
func ruleGone(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "InvalidPermission.NotFound"
}
