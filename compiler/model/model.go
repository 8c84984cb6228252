// Package model is the resolved form of an app.yaml: every default applied,
// no optional fields left, everything sorted. The stack builders read only
// this package; they never see the user's spec or its positions.
package model

import "strings"

// App is one resolved app.yaml.
type App struct {
	// Name prefixes every generated name (lowercase, DNS-safe).
	Name         string
	Tools        Tools
	Key          Key
	Source       Source
	Accounts     []Account // in spec order
	Targets      []Target  // one per (account, region), sorted by (Wave, Account, Region)
	Service      Service
	Deployment   Deployment
	LoadBalancer LoadBalancer
	// Tags are the user's tags plus "bgc:app" = Name, sorted by key.
	Tags []KV
}

// LoadBalancer is who may reach the targets' load balancers.
type LoadBalancer struct {
	Internal     bool     // scheme internal: in the private subnets
	AllowedCIDRs []string // may reach the production listener, in app.yaml's order
	// WebACL is loadBalancer.webAcl: WebACLManaged, WebACLCount or
	// WebACLNone; a target's WebACLARN overrides it.
	WebACL string
}

// The web ACL modes of loadBalancer.webAcl.
const (
	WebACLManaged = "managed" // bgc's web ACL, blocking
	WebACLCount   = "count"   // bgc's web ACL, counting only
	WebACLNone    = "none"
)

// OwnWebACL says bgc creates target t's web ACL: loadBalancer.webAcl is
// managed or count and the account names none of its own for t.
func (lb LoadBalancer) OwnWebACL(t Target) bool {
	return t.WebACLARN == "" && (lb.WebACL == WebACLManaged || lb.WebACL == WebACLCount)
}

// AppTag is the tag bgc puts on everything it creates, with the app's name.
const AppTag = "bgc:app"

// KV is one ordered key/value pair.
type KV struct{ Key, Value string }

// Tools is the central account holding source, build, pipeline, key and artifact buckets.
type Tools struct {
	AccountID  string
	Region     string
	DeployRole string // role `bgc deploy` assumes in the tools account
}

// Key is the multi-region KMS key that encrypts every artifact store.
type Key struct {
	Alias              string   // full alias name, "alias/..."
	PrimaryRegion      string   // region of the AWS::KMS::Key; replicas everywhere else
	Admins             []string // principal ARNs allowed to administer the key (sorted)
	DeletionWindowDays int
}

// Source is the CodeCommit repository in the tools account.
type Source struct {
	Repository       string
	Branch           string // merges here start the pipeline
	PullRequestsFrom string // "" disables pull-request automation
	// PullRequestConcurrency is the reserved concurrency of the
	// pull-request function; 0 reserves none.
	PullRequestConcurrency int
	// OutputDir is where the committed `bgc build` output lives inside the
	// repository (default "deploy"); the build reads buildspec.yml and every
	// target's taskdef.json and appspec.yaml from there.
	OutputDir string
}

// Account is one workload account.
type Account struct {
	Name       string
	ID         string
	Wave       int
	DeployRole string
	Regions    []string // in spec order
}

// NATMode says how private subnets reach the internet.
type NATMode string

const (
	NATPerAZ  NATMode = "perAz"
	NATSingle NATMode = "single"
)

// Network is the VPC of one target.
type Network struct {
	CIDR string
	AZs  int // 2 or 3
	NAT  NATMode
	// Endpoints are the AWS services reached through VPC endpoints
	// (network.endpoints: "s3" a gateway endpoint, the others interface
	// endpoints), sorted.
	Endpoints []string
	// EgressEndpoints limits the tasks' egress to the VPC and S3's gateway
	// endpoint (network.egress: endpoints).
	EgressEndpoints bool
}

// GatewayEndpoint is the one service of network.endpoints served by a
// gateway endpoint.
const GatewayEndpoint = "s3"

// TaskEndpoints are the endpoints every task needs without the internet:
// the image registry's API and Docker endpoints, S3 where ECR keeps the
// layers, and CloudWatch Logs for the awslogs driver.
var TaskEndpoints = []string{"ecr.api", "ecr.dkr", "logs", "s3"}

// TestListener is the ALB listener CodeDeploy routes test traffic through.
type TestListener struct {
	Port int
	CIDR string // who may reach it; defaults to the VPC CIDR
}

// Target is one deployment target: one account in one region.
type Target struct {
	Account        string // account name
	AccountID      string
	Region         string
	Wave           int
	DeployRole     string
	Network        Network
	CertificateARN string // "" = HTTP only; otherwise HTTPS:443 with HTTP:80 redirect
	// WebACLARN is the user's web ACL for this target (accounts[].webAcls);
	// "" = loadBalancer.webAcl decides.
	WebACLARN    string
	TestListener TestListener
}

// ID is "<account>/<region>", the target's directory in the output.
func (t Target) ID() string { return t.Account + "/" + t.Region }

// Expand fills the {account} and {region} placeholders of a per-target
// value, such as a secret ARN that exists once in every target account.
func (t Target) Expand(s string) string {
	return strings.NewReplacer("{account}", t.AccountID, "{region}", t.Region).Replace(s)
}

// HealthCheck is the target-group health check of the service.
type HealthCheck struct {
	Path               string
	Matcher            string // HTTP codes, e.g. "200-399"
	IntervalSeconds    int
	TimeoutSeconds     int
	HealthyThreshold   int
	UnhealthyThreshold int
	GracePeriodSeconds int // ECS service health-check grace period
}

// Autoscaling is target tracking on average CPU.
type Autoscaling struct {
	Min, Max         int
	TargetCPUPercent int
}

// Service is the containerised service deployed to every target.
type Service struct {
	Name         string
	Port         int
	CPU          int // Fargate CPU units
	Memory       int // MiB
	DesiredCount int // never 0
	HealthCheck  HealthCheck
	Environment  []KV // sorted by key
	Secrets      []KV // env var name -> Secrets Manager or SSM parameter ARN, sorted
	// SecretsKeys are the customer managed KMS keys of the secrets (ARNs,
	// may hold {account} and {region}), sorted.
	SecretsKeys  []string
	Dockerfile   string // path of the Dockerfile in the repository
	BuildContext string // docker build context directory in the repository
	// BootstrapImage runs in the initial task definition so a new target
	// comes up healthy before the pipeline's first release; "" is bgc's
	// built-in bootstrap, which answers any port, path and matcher.
	BootstrapImage string
	// ImageKMS encrypts the targets' ECR repositories with the AWS managed
	// key aws/ecr; false is AES-256 (S3-managed keys).
	ImageKMS bool
	// User is the container's user ("" = the image's USER; never root).
	User string
	// ReadonlyRoot runs the container with a read-only root file system,
	// writable only at WritablePaths (task-scoped bind mounts).
	ReadonlyRoot     bool
	WritablePaths    []string     // absolute, in app.yaml's order
	Autoscaling      *Autoscaling // nil = fixed DesiredCount
	LogRetentionDays int
}

// Deployment is how CodeDeploy and the pipeline roll out a release.
type Deployment struct {
	Strategy                   string // CodeDeploy predefined ECS configuration name
	TerminationWaitMinutes     int
	ApprovalBetweenWaves       bool
	AutoRollback               bool
	Max5xxPerMinute            int  // 5xx per minute of one target group that rolls back
	MaxUnhealthyPercent        int  // share of a target group's targets unhealthy that rolls back
	AlarmRollback              bool // with AutoRollback: the alarms stop deployments
	DeregistrationDelaySeconds int
	// SmokeTest is nil when off; otherwise what the test-traffic hook
	// requests, the health check first.
	SmokeTest *SmokeTest
	// ApprovalNotify are the email addresses told of a waiting approval.
	ApprovalNotify []string
	// AlarmNotify are the email addresses told when a rollback alarm of a
	// target goes into ALARM (with AutoRollback).
	AlarmNotify []string
}

// SmokeTest is what the test-traffic hook checks through the test listener.
type SmokeTest struct {
	Checks []Check
}

// Check is one request of the smoke test and the statuses that pass.
type Check struct {
	Path    string
	Matcher string
}

// Waves returns the targets grouped by wave, lowest first.
func (a *App) Waves() [][]Target {
	var out [][]Target
	for _, t := range a.Targets {
		if len(out) == 0 || out[len(out)-1][0].Wave != t.Wave {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], t)
	}
	return out
}

// ArtifactRegions is every region the pipeline runs actions in: the tools
// region plus every target region, sorted and unique.
func (a *App) ArtifactRegions() []string {
	seen := map[string]bool{a.Tools.Region: true}
	out := []string{a.Tools.Region}
	for _, t := range a.Targets {
		if !seen[t.Region] {
			seen[t.Region] = true
			out = append(out, t.Region)
		}
	}
	sortStrings(out)
	return out
}

// Partition is the AWS partition of a region (aws, aws-cn, aws-us-gov).
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}
