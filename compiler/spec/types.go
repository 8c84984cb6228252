package spec

import "go.yaml.in/yaml/v3"

// The user's spec, version 1. Optional fields are pointers so "unset" is
// distinct from a zero value; Resolve turns them into a model.App. Every
// field here has a property of the same name in schema/app.schema.json and
// vice versa (TestSchemaMatchesTypes guards it).

// File is app.yaml.
type File struct {
	Version    int         `yaml:"version"`
	Name       string      `yaml:"name"`
	Tools      Tools       `yaml:"tools"`
	Key        Key         `yaml:"key"`
	Source     Source      `yaml:"source"`
	Accounts   []Account   `yaml:"accounts"`
	Network    *Network    `yaml:"network"`
	Service    Service     `yaml:"service"`
	Deployment *Deployment `yaml:"deployment"`
	// LoadBalancer is who may reach the targets' load balancers.
	LoadBalancer *LoadBalancer     `yaml:"loadBalancer"`
	Tags         map[string]string `yaml:"tags"`
}

// LoadBalancer is the load balancer's reach.
type LoadBalancer struct {
	Scheme       *string  `yaml:"scheme"`
	AllowedCidrs []string `yaml:"allowedCidrs"`
	WebACL       *string  `yaml:"webAcl"`
}

// Tools is the central account.
type Tools struct {
	Account    string  `yaml:"account"`
	Region     string  `yaml:"region"`
	DeployRole *string `yaml:"deployRole"`
}

// Key is the multi-region KMS key.
type Key struct {
	Alias              string   `yaml:"alias"`
	PrimaryRegion      *string  `yaml:"primaryRegion"`
	Admins             []string `yaml:"admins"`
	DeletionWindowDays *int     `yaml:"deletionWindowDays"`
}

// Source is the CodeCommit repository.
type Source struct {
	Repository             string  `yaml:"repository"`
	Branch                 *string `yaml:"branch"`
	PullRequestsFrom       *string `yaml:"pullRequestsFrom"`
	PullRequestConcurrency *int    `yaml:"pullRequestConcurrency"`
	OutputDir              *string `yaml:"outputDir"`
}

// Account is one workload account.
type Account struct {
	Name         string            `yaml:"name"`
	ID           string            `yaml:"id"`
	Regions      []string          `yaml:"regions"`
	Wave         *int              `yaml:"wave"`
	DeployRole   *string           `yaml:"deployRole"`
	Network      *Network          `yaml:"network"`
	Certificates map[string]string `yaml:"certificates"`
	WebACLs      map[string]string `yaml:"webAcls"`
}

// Network holds VPC settings; every field may be overridden per account.
type Network struct {
	CIDR      *string  `yaml:"cidr"`
	AZs       *int     `yaml:"azs"`
	NAT       *string  `yaml:"nat"`
	Endpoints []string `yaml:"endpoints"`
	Egress    *string  `yaml:"egress"`
}

// Service is the containerised service.
type Service struct {
	Name             string            `yaml:"name"`
	Port             int               `yaml:"port"`
	CPU              int               `yaml:"cpu"`
	Memory           int               `yaml:"memory"`
	DesiredCount     int               `yaml:"desiredCount"`
	HealthCheck      *HealthCheck      `yaml:"healthCheck"`
	Environment      map[string]string `yaml:"environment"`
	Secrets          map[string]string `yaml:"secrets"`
	SecretsKmsKeys   []string          `yaml:"secretsKmsKeys"`
	Dockerfile       *string           `yaml:"dockerfile"`
	BuildContext     *string           `yaml:"buildContext"`
	BootstrapImage   *string           `yaml:"bootstrapImage"`
	ImageEncryption  *string           `yaml:"imageEncryption"`
	User             *string           `yaml:"user"`
	ReadonlyRoot     *bool             `yaml:"readonlyRootFilesystem"`
	WritablePaths    []string          `yaml:"writablePaths"`
	Autoscaling      *Autoscaling      `yaml:"autoscaling"`
	LogRetentionDays *int              `yaml:"logRetentionDays"`
}

// HealthCheck is the target-group health check.
type HealthCheck struct {
	Path               *string `yaml:"path"`
	Matcher            *string `yaml:"matcher"`
	IntervalSeconds    *int    `yaml:"intervalSeconds"`
	TimeoutSeconds     *int    `yaml:"timeoutSeconds"`
	HealthyThreshold   *int    `yaml:"healthyThreshold"`
	UnhealthyThreshold *int    `yaml:"unhealthyThreshold"`
	GracePeriodSeconds *int    `yaml:"gracePeriodSeconds"`
}

// Autoscaling is CPU target tracking.
type Autoscaling struct {
	Min       *int `yaml:"min"`
	Max       int  `yaml:"max"`
	TargetCPU *int `yaml:"targetCpu"`
}

// Deployment is the rollout policy.
type Deployment struct {
	Strategy                   *string       `yaml:"strategy"`
	TerminationWaitMinutes     *int          `yaml:"terminationWaitMinutes"`
	ApprovalBetweenWaves       *bool         `yaml:"approvalBetweenWaves"`
	AutoRollback               *bool         `yaml:"autoRollback"`
	Max5xxPerMinute            *int          `yaml:"max5xxPerMinute"`
	MaxUnhealthyPercent        *int          `yaml:"maxUnhealthyPercent"`
	AlarmRollback              *bool         `yaml:"alarmRollback"`
	SmokeTest                  *SmokeTest    `yaml:"smokeTest"`
	ApprovalNotify             []string      `yaml:"approvalNotify"`
	AlarmNotify                []string      `yaml:"alarmNotify"`
	DeregistrationDelaySeconds *int          `yaml:"deregistrationDelaySeconds"`
	TestListener               *TestListener `yaml:"testListener"`
}

// TestListener is the ALB test listener.
type TestListener struct {
	Port *int    `yaml:"port"`
	CIDR *string `yaml:"cidr"`
}

// SmokeTest is false, true, or a mapping with paths.
type SmokeTest struct {
	Off   bool             `yaml:"-"`
	Paths []SmokeTestCheck `yaml:"paths"`
}

// SmokeTestCheck is one path the smoke test requests.
type SmokeTestCheck struct {
	Path    string  `yaml:"path"`
	Matcher *string `yaml:"matcher"`
}

// UnmarshalYAML reads a boolean or a mapping (the schema allows both).
func (s *SmokeTest) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var on bool
		if err := n.Decode(&on); err != nil {
			return err
		}
		*s = SmokeTest{Off: !on}
		return nil
	}
	type plain SmokeTest
	return n.Decode((*plain)(s))
}
