package deploy

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/bgc-dev/bgc/plan"
)

// fakeLambda answers the two reads of checkReservations. moto_server
// answers them too (bgc_moto_server.py fills GetAccountSettings in), with
// the quota fixed when the server starts; this fake gives each test its
// own quota and reservation.
type fakeLambda struct {
	total, unreserved int32
	held              map[string]int32 // function -> reserved; absent: no such function
}

func (f fakeLambda) GetAccountSettings(context.Context, *lambda.GetAccountSettingsInput, ...func(*lambda.Options)) (*lambda.GetAccountSettingsOutput, error) {
	return &lambda.GetAccountSettingsOutput{AccountLimit: &ltypes.AccountLimit{
		ConcurrentExecutions: f.total, UnreservedConcurrentExecutions: aws.Int32(f.unreserved),
	}}, nil
}

func (f fakeLambda) GetFunctionConcurrency(_ context.Context, in *lambda.GetFunctionConcurrencyInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionConcurrencyOutput, error) {
	n, ok := f.held[aws.ToString(in.FunctionName)]
	if !ok {
		return nil, &ltypes.ResourceNotFoundException{Message: aws.String("Function not found")}
	}
	if n == 0 {
		return &lambda.GetFunctionConcurrencyOutput{}, nil
	}
	return &lambda.GetFunctionConcurrencyOutput{ReservedConcurrentExecutions: aws.Int32(n)}, nil
}

func TestReservationQuota(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lambda  fakeLambda
		refused string // "" = the run deploys
	}{
		// A new account's quota of 10 leaves no room for any reservation.
		{name: "new account", lambda: fakeLambda{total: 10, unreserved: 10},
			refused: "function pr reserves 2 concurrent executions, but account 111111111111 in us-east-1 has a quota of 10 with 10 unreserved"},
		{name: "exactly 100 left", lambda: fakeLambda{total: 102, unreserved: 102}},
		{name: "one short", lambda: fakeLambda{total: 101, unreserved: 101}, refused: "with 101 unreserved"},
		// A re-run: the function already holds its executions.
		{name: "already reserved", lambda: fakeLambda{total: 101, unreserved: 99, held: map[string]int32{"pr": 2}}},
		{name: "growing a reservation", lambda: fakeLambda{total: 1000, unreserved: 100, held: map[string]int32{"pr": 1}}, refused: "with 100 unreserved"},
		{name: "existing function without one", lambda: fakeLambda{total: 1000, unreserved: 1000, held: map[string]int32{"pr": 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := oneStack(false)
			p.Stacks[0].Reserved = []plan.Reservation{{Function: "pr", Executions: 2}}
			f := newFake()
			sum, err := runDeploy(context.Background(), p, fakeOptions(nil), fakeSource{cfnFake: f, lambdaFake: tc.lambda})
			if tc.refused == "" {
				if err != nil || sum == nil || !sum.OK {
					t.Fatalf("deploy: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.refused) || !strings.Contains(err.Error(), "nothing was deployed") {
				t.Fatalf("error %v, want one saying %q", err, tc.refused)
			}
			for _, c := range f.calls {
				if strings.HasPrefix(c, "Create") || strings.HasPrefix(c, "Update") {
					t.Fatalf("the refused run called %s", c)
				}
			}
		})
	}
}
