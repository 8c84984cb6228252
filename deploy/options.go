package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Method is how Deploy applies a stack.
type Method string

// Deploy methods.
const (
	// MethodChangeSet creates a change set per stack, shows it, asks before
	// replacements or removals, then executes it. The default.
	MethodChangeSet Method = "changeset"
	// MethodDirect calls CreateStack or UpdateStack without a preview.
	MethodDirect Method = "direct"
)

// ParseMethod accepts the name of a method; "" is the default.
func ParseMethod(s string) (Method, error) {
	switch m := Method(s); m {
	case "":
		return MethodChangeSet, nil
	case MethodChangeSet, MethodDirect:
		return m, nil
	}
	return "", fmt.Errorf("method %q is not one of %s, %s", s, MethodChangeSet, MethodDirect)
}

// OutputFormat is how a run reports.
type OutputFormat string

// Output formats.
const (
	// OutputText writes progress and the summary as human text.
	OutputText OutputFormat = "text"
	// OutputJSON writes NDJSON events and a final summary object to Stdout and
	// human progress to Stderr.
	OutputJSON OutputFormat = "json"
)

// ParseOutputFormat accepts the name of an output format; "" is text.
func ParseOutputFormat(s string) (OutputFormat, error) {
	switch f := OutputFormat(s); f {
	case "":
		return OutputText, nil
	case OutputText, OutputJSON:
		return f, nil
	}
	return "", fmt.Errorf("output %q is not one of %s, %s", s, OutputText, OutputJSON)
}

// Common holds the settings Deploy and Destroy share.
type Common struct {
	// ContinueOnError keeps starting stacks in branches that do not depend on
	// a failed stack. Without it, no new stack starts after the first
	// failure; running stacks always finish.
	ContinueOnError bool
	// Yes approves every confirmation (replacements and removals in change
	// sets; the list of stacks Destroy deletes).
	Yes bool
	// Concurrency caps the stacks in flight overall (default 8).
	Concurrency int
	// PerTargetConcurrency caps the stacks in flight per (account, region),
	// which is where CloudFormation's API rate limits apply (default 3).
	PerTargetConcurrency int

	// Output is OutputText (default) or OutputJSON.
	Output OutputFormat
	// Stdout receives the summary (text) or NDJSON events (json).
	Stdout io.Writer
	// Stderr receives human progress.
	Stderr io.Writer
	// Stdin answers confirmations; nil means nobody can answer.
	Stdin io.Reader
	// IsTTY says Stderr is a terminal (live table) and Stdin a person.
	// Without it, progress is one timestamped line per event and any
	// confirmation that Yes does not cover fails the stack.
	IsTTY bool

	// AWSConfig is the base configuration (credentials of the caller). Nil
	// loads it with LoadAWSConfig: the standard credential chain, region and
	// AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> settings.
	AWSConfig *aws.Config
	// Profile and Region, when set, choose the shared-config profile and
	// the region of the base configuration LoadAWSConfig loads (as the AWS
	// CLI's --profile and --region). They do not apply to AWSConfig.
	Profile, Region string
	// RunID names this run: change sets are "bgc-<RunID>", role sessions
	// "bgc-<RunID>". Default: derived from the clock.
	RunID string
	// MaxRetryBackoff caps the SDK's backoff between retries of throttled or
	// failed calls (default 20s).
	MaxRetryBackoff time.Duration
	// PollInterval is the first wait between status polls; it doubles up to
	// MaxPollInterval (defaults 2s and 10s).
	PollInterval, MaxPollInterval time.Duration
	// RequestTimeout bounds one AWS request, from connecting to reading the
	// whole reply (default 1m); a request that gets no answer then fails
	// and is retried like any transient failure.
	RequestTimeout time.Duration
	// StillWaiting is how often a stack whose operation runs on reports
	// that it is still waiting, and for what (default 1m).
	StillWaiting time.Duration
	// Timeout ends the run after this long (0: no limit). Stacks still
	// running are reported interrupted; CloudFormation carries on, and a
	// re-run continues from the stacks' state.
	Timeout time.Duration
	// Now is the clock (default time.Now); tests inject a fixed one.
	Now func() time.Time

	// nonce makes this invocation's client request tokens unique even when
	// a fixed RunID is reused (CloudFormation rejects a token it has seen).
	nonce string
}

// Options configures Deploy.
type Options struct {
	Common
	// Method is MethodChangeSet (default) or MethodDirect.
	Method Method
	// DryRun creates a change set for every stack whose inputs are known,
	// prints it and deletes it again (and the empty stack it made for a new
	// stack). Nothing is executed. It always uses change sets.
	DryRun bool
	// ReplaceFailed deletes and re-creates a stack left in ROLLBACK_COMPLETE
	// or ROLLBACK_FAILED by a failed first create. Never applies to Retain
	// stacks.
	ReplaceFailed bool
	// Force skips the "already deployed" check and asks CloudFormation.
	Force bool
}

// DestroyOptions configures Destroy.
type DestroyOptions struct {
	Common
	// IncludeRetained also deletes Retain stacks, turning their termination
	// protection off first. Without it they, and the stacks they depend on,
	// are kept.
	IncludeRetained bool
	// DryRun reports what Destroy would delete and keep, and the resources
	// CloudFormation would leave behind, and changes nothing.
	DryRun bool
}

// normalize fills defaults and rejects unknown values.
func (c *Common) normalize() error {
	if c.Concurrency <= 0 {
		c.Concurrency = 8
	}
	if c.PerTargetConcurrency <= 0 {
		c.PerTargetConcurrency = 3
	}
	out, err := ParseOutputFormat(string(c.Output))
	if err != nil {
		return err
	}
	c.Output = out
	if c.Stdout == nil {
		c.Stdout = io.Discard
	}
	if c.Stderr == nil {
		c.Stderr = io.Discard
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("request token nonce: %w", err)
	}
	c.nonce = hex.EncodeToString(b[:])
	if c.RunID == "" {
		c.RunID = c.Now().UTC().Format("20060102-150405")
	}
	if err := CheckRunID(c.RunID); err != nil {
		return err
	}
	if c.MaxRetryBackoff <= 0 {
		c.MaxRetryBackoff = 20 * time.Second
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = time.Minute
	}
	if c.StillWaiting <= 0 {
		c.StillWaiting = time.Minute
	}
	if c.MaxPollInterval < c.PollInterval {
		c.MaxPollInterval = max(10*time.Second, c.PollInterval)
	}
	return nil
}

func (o *Options) normalize() error {
	m, err := ParseMethod(string(o.Method))
	if err != nil {
		return err
	}
	o.Method = m
	return o.Common.normalize()
}

// CheckRunID keeps run ids usable in change set names, role session names
// and client request tokens.
func CheckRunID(s string) error {
	if !validRunID(s) {
		return fmt.Errorf("run id %q: use letters, digits and '-' only, starting with a letter or digit, at most 40 characters", s)
	}
	return nil
}

func validRunID(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '-' && i > 0:
		default:
			return false
		}
	}
	return true
}

// loadBase returns the caller's configuration.
func (c *Common) loadBase(ctx context.Context) (aws.Config, error) {
	if c.AWSConfig != nil {
		return c.AWSConfig.Copy(), nil
	}
	var opts []func(*config.LoadOptions) error
	if c.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.Profile))
	}
	if c.Region != "" {
		opts = append(opts, config.WithRegion(c.Region))
	}
	return LoadAWSConfig(ctx, opts...)
}
