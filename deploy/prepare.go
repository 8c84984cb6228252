package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/bgc-dev/bgc/plan"
)

// iamAPI is the part of the IAM client the deployer uses to prepare an
// account: the service-linked roles its stacks need.
type iamAPI interface {
	ListRoles(context.Context, *iam.ListRolesInput, ...func(*iam.Options)) (*iam.ListRolesOutput, error)
	CreateServiceLinkedRole(context.Context, *iam.CreateServiceLinkedRoleInput, ...func(*iam.Options)) (*iam.CreateServiceLinkedRoleOutput, error)
}

var _ iamAPI = (*iam.Client)(nil)

// preparation is the step that prepares one account before its stacks.
type preparation struct {
	account plan.Account
	region  string // of a stack in the account, for the IAM client
}

func (pr preparation) result() StackResult {
	return StackResult{ID: prepareID(pr.account), Account: pr.account.ID, Region: "global", StackName: "(service-linked roles)"}
}

// prepareID is the walk's id of an account's preparation.
func prepareID(a plan.Account) string { return a.Name + "/iam/service-linked-roles" }

// prepare makes sure the account's service-linked roles exist: a role
// is looked up by its path (/aws-service-role/<service>/, the same under
// every name a service gives its role) and created when missing. A create
// that finds the role already there succeeds: IAM answers InvalidInput
// ("Service role name ... has been taken in this account") or
// EntityAlreadyExists.
func (e *engine) prepare(ctx context.Context, pr preparation, res *StackResult) error {
	api := e.src.iam(pr.account.ID, pr.region)
	var created, missing []string
	for _, svc := range pr.account.ServiceLinkedRoles {
		var out *iam.ListRolesOutput
		err := e.poll.read(ctx, func() (err error) {
			out, err = api.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/aws-service-role/" + svc + "/")})
			return err
		})
		if err != nil {
			return fmt.Errorf("list the service-linked role of %s: %w", svc, err)
		}
		if len(out.Roles) > 0 {
			continue
		}
		if e.dryRun() {
			missing = append(missing, svc)
			continue
		}
		e.prog.phase(res.ID, phaseExecuting, "creating the service-linked role of "+svc)
		_, err = api.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String(svc)})
		var ae smithy.APIError
		switch {
		case err == nil:
			created = append(created, svc)
		case errors.As(err, &ae) && (ae.ErrorCode() == "EntityAlreadyExists" || (ae.ErrorCode() == "InvalidInput" && strings.Contains(ae.ErrorMessage(), "has been taken"))):
		default:
			return failf("create the service-linked role of %s: %s (the deploy role needs iam:CreateServiceLinkedRole)", svc, apiMessage(err))
		}
	}
	switch {
	case len(missing) > 0:
		res.Status, res.Reason = StatusPlanned, "a real run creates the service-linked roles of "+strings.Join(missing, ", ")
	case len(created) > 0:
		res.Status, res.Reason = StatusCreated, "created the service-linked roles of "+strings.Join(created, ", ")
	default:
		res.Status, res.Reason = StatusNoChanges, "service-linked roles present"
	}
	return nil
}
