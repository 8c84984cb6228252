package deploy

import (
	"context"
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
		return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
			o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
				so.MaxAttempts = 10
				so.MaxBackoff = maxBackoff
				so.RateLimiter = ratelimit.None
			})
		})
	}
}
