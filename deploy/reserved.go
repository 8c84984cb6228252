package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// lambdaAPI is the part of Lambda the deployer reads: the account's
// concurrency quota and a function's reservation.
type lambdaAPI interface {
	GetAccountSettings(ctx context.Context, in *lambda.GetAccountSettingsInput, optFns ...func(*lambda.Options)) (*lambda.GetAccountSettingsOutput, error)
	GetFunctionConcurrency(ctx context.Context, in *lambda.GetFunctionConcurrencyInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionConcurrencyOutput, error)
}

// minUnreserved is what Lambda keeps of an account's concurrency for the
// functions without a reservation: "You can reserve concurrency for as
// many functions as you like, as long as you leave at least 100
// simultaneous executions unreserved for functions that aren't configured
// with a per-function limit"
// (https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html).
const minUnreserved = 100

// checkReservations stops the run before anything changes when a stack's
// reserved concurrency (plan.Stack.Reserved) would not fit the account's
// quota. CloudFormation would otherwise fail the stack half-way, after
// everything before it had deployed, with "Specified
// ReservedConcurrentExecutions for function decreases account's
// UnreservedConcurrentExecution below its minimum value". A function that
// already reserves some gives that back first, so a re-run that changes
// nothing always fits.
func (e *engine) checkReservations(ctx context.Context) error {
	var problems []string
	for _, s := range e.plan.Stacks {
		if len(s.Reserved) == 0 {
			continue
		}
		api := e.src.lambda(s.Account, s.Region)
		var settings *lambda.GetAccountSettingsOutput
		err := e.poll.read(ctx, func() (err error) {
			settings, err = api.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
			return err
		})
		if err != nil {
			return fmt.Errorf("stack %s: read the Lambda concurrency quota of account %s in %s: %s (the deploy role needs lambda:GetAccountSettings)",
				s.ID, s.Account, s.Region, apiMessage(err))
		}
		if settings.AccountLimit == nil {
			return fmt.Errorf("stack %s: Lambda reported no account limits for account %s in %s", s.ID, s.Account, s.Region)
		}
		unreserved := int(aws.ToInt32(settings.AccountLimit.UnreservedConcurrentExecutions))
		total := int(settings.AccountLimit.ConcurrentExecutions)
		for _, r := range s.Reserved {
			held, err := e.reservedNow(ctx, api, r.Function)
			if err != nil {
				return fmt.Errorf("stack %s: read the reserved concurrency of function %s: %s (the deploy role needs lambda:GetFunctionConcurrency)",
					s.ID, r.Function, apiMessage(err))
			}
			more := r.Executions - held
			if more > 0 && unreserved-more < minUnreserved {
				problems = append(problems, fmt.Sprintf("stack %s: function %s reserves %d concurrent executions, but account %s in %s has a quota of %d "+
					"with %d unreserved, and Lambda keeps at least %d unreserved; ask for a higher \"Concurrent executions\" quota (Service Quotas, AWS Lambda) "+
					"or lower source.pullRequestConcurrency (0 reserves none)",
					s.ID, r.Function, r.Executions, s.Account, s.Region, total, unreserved, minUnreserved))
				continue
			}
			unreserved -= max(more, 0)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("nothing was deployed:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// reservedNow is the function's reservation, 0 when it has none or does not
// exist yet.
func (e *engine) reservedNow(ctx context.Context, api lambdaAPI, function string) (int, error) {
	var out *lambda.GetFunctionConcurrencyOutput
	err := e.poll.read(ctx, func() (err error) {
		out, err = api.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(function)})
		return err
	})
	var missing *ltypes.ResourceNotFoundException
	switch {
	case errors.As(err, &missing):
		return 0, nil
	case err != nil:
		return 0, err
	}
	return int(aws.ToInt32(out.ReservedConcurrentExecutions)), nil
}
