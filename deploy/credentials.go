package deploy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bgc-dev/bgc/deploy/internal/ec2query"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"

	"github.com/bgc-dev/bgc/plan"
)

// clientSource hands out CloudFormation clients per (account, region). The
// real one assumes roles; unit tests use a fake.
type clientSource interface {
	// check proves access to every account the stacks name, before anything
	// changes.
	check(ctx context.Context, stacks []plan.Stack) error
	// cfn returns the client for one account and region; check ran first.
	cfn(account, region string) cfnAPI
	// s3 returns the S3 client for one account and region (template staging).
	s3(account, region string) s3API
	// iam returns the IAM client for one account (region: any of its stacks').
	iam(account, region string) iamAPI
	// elb, ecs and codedeploy return the clients that read listeners, set
	// ECS service settings and list CodeDeploy deployments.
	elb(account, region string) elbAPI
	ecs(account, region string) ecsAPI
	codedeploy(account, region string) codedeployAPI
	autoscaling(account, region string) autoscalingAPI
	// ec2 returns the client that empties a VPC's default security group.
	ec2(account, region string) ec2API
	// lambda returns the client that reads the account's concurrency quota.
	lambda(account, region string) lambdaAPI
	// exists says whether a named resource a stack retains exists, and
	// how that is known when the account cannot see it.
	exists(ctx context.Context, account, region string, r plan.Retained) (bool, string, error)
}

// awsClients assumes one role per account and caches clients.
type awsClients struct {
	base  aws.Config
	runID string

	mu      sync.Mutex
	creds   map[string]aws.CredentialsProvider // by account id
	clients map[string]*cloudformation.Client  // by account/region
}

func newAWSClients(base aws.Config, c *Common) *awsClients {
	base.Retryer = newRetryer(c.MaxRetryBackoff)
	// Every request is bounded, from dialling to the last byte of the reply:
	// a request that gets no answer fails and is retried instead of hanging
	// its stack for ever.
	base.HTTPClient = awshttp.NewBuildableClient().WithTimeout(c.RequestTimeout).WithDialerOptions(func(d *net.Dialer) {
		d.Timeout = min(c.RequestTimeout, 10*time.Second)
	})
	// The SDK's own log lines (retry and checksum warnings, "interrupt
	// signal received") are not the user's business: bgc reports every
	// failure itself, with its cause.
	base.Logger = logging.Nop{}
	base.ClientLogMode = 0
	return &awsClients{base: base, runID: c.RunID, creds: map[string]aws.CredentialsProvider{}, clients: map[string]*cloudformation.Client{}}
}

// preflightTimeout bounds the first call of a run, which proves the
// endpoint answers at all.
const preflightTimeout = 15 * time.Second

// endpointOf names where calls of a service go, for messages.
func endpointOf(cfg aws.Config, service string) string {
	if cfg.BaseEndpoint != nil {
		return aws.ToString(cfg.BaseEndpoint)
	}
	suffix := "amazonaws.com"
	if strings.HasPrefix(cfg.Region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return fmt.Sprintf("https://%s.%s.%s", service, cfg.Region, suffix)
}

// check calls sts:GetCallerIdentity as the caller and then, per account, as
// the caller (when it is already in the account) or as the account's deploy
// role, assumed with session name bgc-<run> and cached credentials that
// refresh before they expire. It fails naming every role that could not be
// assumed or that landed in the wrong account.
func (c *awsClients) check(ctx context.Context, stacks []plan.Stack) error {
	if len(stacks) == 0 {
		return nil
	}
	stsCfg := c.base.Copy()
	if stsCfg.Region == "" {
		stsCfg.Region = stacks[0].Region
	}
	stsClient := sts.NewFromConfig(stsCfg)
	// Pre-flight: two attempts, bounded, so an endpoint that refuses
	// connections or never answers is named within seconds instead of
	// after minutes of retries, while one connection closed under the
	// first attempt (a keep-alive connection the endpoint dropped) is not
	// taken for an unreachable endpoint.
	pctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	me, err := stsClient.GetCallerIdentity(pctx, &sts.GetCallerIdentityInput{}, func(o *sts.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) { so.MaxAttempts = 2; so.MaxBackoff = time.Second })
	})
	cancel()
	var ae smithy.APIError
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case err != nil && !errors.As(err, &ae):
		return fmt.Errorf("cannot reach AWS STS at %s: %s (check the network, AWS_ENDPOINT_URL and AWS_REGION)", endpointOf(stsCfg, "sts"), rootCause(err))
	case err != nil:
		return fmt.Errorf("no usable AWS credentials (sts:GetCallerIdentity at %s): %w", endpointOf(stsCfg, "sts"), err)
	}
	partition := "aws"
	if a, err := arn.Parse(aws.ToString(me.Arn)); err == nil {
		partition = a.Partition
	}

	roles := map[string]string{} // account -> role name
	var accounts []string
	for _, s := range stacks {
		if _, seen := roles[s.Account]; !seen {
			accounts = append(accounts, s.Account)
			roles[s.Account] = s.DeployRole
		} else if roles[s.Account] != s.DeployRole && s.DeployRole != "" {
			return fmt.Errorf("account %s: stacks name different deploy roles (%s and %s)", s.Account, roles[s.Account], s.DeployRole)
		}
	}
	sort.Strings(accounts)

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, acct := range accounts {
		if acct == aws.ToString(me.Account) {
			c.setCreds(acct, stsCfg.Credentials)
			continue
		}
		role := roles[acct]
		if role == "" {
			mu.Lock()
			errs = append(errs, fmt.Errorf("account %s: the caller (%s) is in account %s and the plan names no deploy role", acct, aws.ToString(me.Arn), aws.ToString(me.Account)))
			mu.Unlock()
			continue
		}
		roleARN := fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, acct, role)
		provider := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, roleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "bgc-" + c.runID
			o.Duration = time.Hour
		}), func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = 5 * time.Minute })
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := stsCfg.Copy()
			cfg.Credentials = provider
			id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("account %s: cannot assume role %s as %s: %w", acct, roleARN, aws.ToString(me.Arn), err))
			case aws.ToString(id.Account) != acct:
				errs = append(errs, fmt.Errorf("account %s: role %s resolved to account %s", acct, roleARN, aws.ToString(id.Account)))
			default:
				c.setCreds(acct, provider)
			}
		}()
	}
	wg.Wait()
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}

func (c *awsClients) setCreds(account string, p aws.CredentialsProvider) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.creds[account] = p
}

// config returns the configuration for one account and region.
func (c *awsClients) config(account, region string) aws.Config {
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg := c.base.Copy()
	cfg.Region = region
	if p, ok := c.creds[account]; ok {
		cfg.Credentials = p
	}
	return cfg
}

func (c *awsClients) cfn(account, region string) cfnAPI {
	key := account + "/" + region
	cfg := c.config(account, region)
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.clients[key]; ok {
		return cl
	}
	cl := cloudformation.NewFromConfig(cfg)
	c.clients[key] = cl
	return cl
}

func (c *awsClients) iam(account, region string) iamAPI {
	return iam.NewFromConfig(c.config(account, region))
}

func (c *awsClients) elb(account, region string) elbAPI {
	return elb.NewFromConfig(c.config(account, region))
}

func (c *awsClients) ecs(account, region string) ecsAPI {
	return ecs.NewFromConfig(c.config(account, region))
}

func (c *awsClients) codedeploy(account, region string) codedeployAPI {
	return codedeploy.NewFromConfig(c.config(account, region))
}

func (c *awsClients) ec2(account, region string) ec2API {
	return ec2query.New(c.config(account, region))
}

func (c *awsClients) lambda(account, region string) lambdaAPI {
	return lambda.NewFromConfig(c.config(account, region))
}

func (c *awsClients) autoscaling(account, region string) autoscalingAPI {
	return aas.NewFromConfig(c.config(account, region))
}

func (c *awsClients) s3(account, region string) s3API {
	cfg := c.config(account, region)
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		// Endpoint overrides (a local emulator) rarely resolve
		// <bucket>.<host>; path-style requests work everywhere.
		o.UsePathStyle = cfg.BaseEndpoint != nil
	})
}

// rootCause is the innermost error's text (a dial or timeout error rather
// than the SDK's layers around it).
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// accountLabel is "name (id)" for messages.
func accountLabel(s plan.Stack) string {
	if s.AccountName == "" {
		return s.Account
	}
	return strings.TrimSpace(s.AccountName) + " (" + s.Account + ")"
}
