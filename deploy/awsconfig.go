package deploy

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
)

// LoadAWSConfig loads the caller's base configuration the way the AWS CLI
// does: the standard credential chain (environment, shared files and SSO,
// container and instance roles), the region, and endpoint overrides from
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>. Extra load options are
// applied last.
func LoadAWSConfig(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx, optFns...)
}

// newRetryer is bgc's retry policy for every client: adaptive mode (a
// client-side rate limit that backs off while CloudFormation throttles),
// 10 attempts, capped exponential backoff, and no retry quota, so a burst of
// throttling slows the run down instead of failing it. One retryer is made
// per client, and bgc makes one client per (account, region), which is the
// scope of CloudFormation's limits.
func newRetryer(maxBackoff time.Duration) func() aws.Retryer {
	return func() aws.Retryer {
		return recordingRetryer{retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
			o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
				so.MaxAttempts = 10
				so.MaxBackoff = maxBackoff
				so.RateLimiter = ratelimit.None
			})
		})}
	}
}

// recordingRetryer notes, in the attempts a call's context carries, each
// error the SDK retried. A call whose last attempt fails for a reason the
// first attempt caused ("already exists" after an HTTP 500 that created the
// stack anyway) is then reported with the error that started it.
type recordingRetryer struct{ aws.RetryerV2 }

func (r recordingRetryer) GetRetryToken(ctx context.Context, opErr error) (func(error) error, error) {
	if a, ok := ctx.Value(attemptsKey{}).(*attempts); ok {
		a.add(opErr)
	}
	return r.RetryerV2.GetRetryToken(ctx, opErr)
}

// attempts are the retried errors of the calls made with one context.
type attempts struct {
	mu   sync.Mutex
	errs []string
}

type attemptsKey struct{}

// withAttempts returns ctx carrying a record of retried errors.
func withAttempts(ctx context.Context) (context.Context, *attempts) {
	a := &attempts{}
	return context.WithValue(ctx, attemptsKey{}, a), a
}

func (a *attempts) add(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.errs = append(a.errs, strings.TrimSpace(err.Error()))
}

// reset forgets what earlier calls recorded.
func (a *attempts) reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.errs = nil
}

// first returns the first retried error since reset, "" when none.
func (a *attempts) first() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.errs) == 0 {
		return ""
	}
	return a.errs[0]
}
