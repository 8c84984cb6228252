package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
	"github.com/bgc-dev/bgc/deploy/internal/ec2query"
)

// ec2API is the part of EC2 the deployer uses (deploy/internal/ec2query).
type ec2API interface {
	DescribeSecurityGroups(ctx context.Context, ids []string, filters ...ec2query.Filter) ([]ec2query.SecurityGroup, error)
	RevokeIngress(ctx context.Context, groupID string, perms []ec2query.Permission) error
	RevokeEgress(ctx context.Context, groupID string, perms []ec2query.Permission) error
	DescribeManagedPrefixLists(ctx context.Context, filters ...ec2query.Filter) ([]ec2query.PrefixList, error)
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
	var groups []ec2query.SecurityGroup
	err := r.poll.read(ctx, func() (err error) {
		groups, err = api.DescribeSecurityGroups(ctx, nil, ec2query.Filter{Name: "vpc-id", Values: []string{vpc}}, ec2query.Filter{Name: "group-name", Values: []string{"default"}})
		return err
	})
	if err != nil {
		return "", failf("describe the default security group of %s: %s (the deploy role needs ec2:DescribeSecurityGroups)", vpc, apiMessage(err))
	}
	if len(groups) == 0 {
		return "", nil // a VPC always has one; nothing to do if EC2 says otherwise
	}
	g := groups[0]
	if len(g.Ingress) == 0 && len(g.Egress) == 0 {
		return "", nil
	}
	id := g.GroupID
	what := fmt.Sprintf("default security group %s of %s (%d inbound, %d outbound rules)", id, vpc, len(g.Ingress), len(g.Egress))
	if r.opts().DryRun {
		return "a real run empties the " + what, nil
	}
	r.progress(phaseExecuting, "emptying the "+what)
	if len(g.Ingress) > 0 {
		err := r.poll.read(ctx, func() error { return api.RevokeIngress(ctx, id, g.Ingress) })
		if err != nil && !ruleGone(err) {
			return "", failf("revoke the inbound rules of the %s: %s (the deploy role needs ec2:RevokeSecurityGroupIngress)", what, apiMessage(err))
		}
	}
	if len(g.Egress) > 0 {
		err := r.poll.read(ctx, func() error { return api.RevokeEgress(ctx, id, g.Egress) })
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
