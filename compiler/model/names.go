package model

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"
)

func sortStrings(s []string) { sort.Strings(s) }

// Every physical name bgc creates is derived here and nowhere else, so the
// validator can check AWS limits on exactly the names the builders emit.

// prefix is "<app>-<service>", the stem of every workload name.
func (a *App) prefix() string { return a.Name + "-" + a.Service.Name }

// Workload names (per target; regional resources may repeat across regions,
// IAM names are account-global and carry the region).

func (a *App) ClusterName() string                 { return a.prefix() }
func (a *App) ECSServiceName() string              { return a.prefix() }
func (a *App) TaskFamily() string                  { return a.prefix() }
func (a *App) ContainerName() string               { return a.Service.Name }
func (a *App) LoadBalancerName() string            { return a.prefix() }
func (a *App) WebACLName() string                  { return a.prefix() }
func (a *App) WebACLLogGroupName() string          { return "aws-waf-logs-" + a.prefix() }
func (a *App) TargetGroupName(color string) string { return a.prefix() + "-" + color } // "blue"/"green"
func (a *App) LogGroupName() string                { return "/ecs/" + a.Name + "/" + a.Service.Name }
func (a *App) ECRRepositoryName() string           { return a.Name + "/" + a.Service.Name }
func (a *App) CodeDeployApplication() string       { return a.prefix() }
func (a *App) DeploymentGroupName() string         { return a.prefix() }

func (a *App) ExecutionRoleName(region string) string  { return a.prefix() + "-exec-" + region }
func (a *App) TaskRoleName(region string) string       { return a.prefix() + "-task-" + region }
func (a *App) CodeDeployRoleName(region string) string { return a.prefix() + "-codedeploy-" + region }

// DeployActionRoleName is the role in a workload account that the pipeline's
// CodeDeployToECS action assumes.
func (a *App) DeployActionRoleName(region string) string { return a.prefix() + "-deploy-" + region }

// Tools-account names.

func (a *App) PipelineName() string           { return a.Name }
func (a *App) PipelineRoleName() string       { return a.Name + "-pipeline" }
func (a *App) PipelineEventsRoleName() string { return a.Name + "-pipeline-events" }
func (a *App) PipelineStartRuleName() string  { return a.Name + "-start-pipeline" }

// BranchProtectionPolicyName is the managed policy that keeps people from
// changing source.branch except through pull requests.
func (a *App) BranchProtectionPolicyName() string {
	return a.Name + "-protect-" + strings.ReplaceAll(a.Source.Branch, "/", "-")
}
func (a *App) BuildProjectName() string  { return a.Name + "-build" }
func (a *App) BuildRoleName() string     { return a.Name + "-build" }
func (a *App) PRLambdaName() string      { return a.Name + "-open-pull-request" }
func (a *App) PRLambdaRoleName() string  { return a.Name + "-open-pull-request" }
func (a *App) ApprovalTopicName() string { return a.Name + "-approvals" }

// LogBucketName is the bucket of one target's load balancer access logs
// and VPC flow logs.
func (a *App) LogBucketName(account, region string) string {
	return a.prefix() + "-logs-" + account + "-" + region
}

// AccessLogBucketName is the bucket of the server access logs of a
// region's artifact bucket, in the tools account.
func (a *App) AccessLogBucketName(region string) string {
	return a.Name + "-access-logs-" + a.Tools.AccountID + "-" + region
}

func (a *App) ArtifactBucketName(region string) string {
	return a.Name + "-artifacts-" + a.Tools.AccountID + "-" + region
}

// Stack names. Workload stacks carry the service name so a tools account
// that is also a workload account never collides with its tools stacks.

func (a *App) WorkloadStackName(kind string) string { return a.prefix() + "-" + kind }
func (a *App) ToolsStackName(kind string) string    { return a.Name + "-" + kind }

// Subnets is the subnet layout of one VPC: the CIDR is cut into 8 equal
// blocks; public subnets take blocks 0..AZs-1, private ones 4..4+AZs-1.
type Subnets struct {
	Public, Private []string
}

// SubnetBits is how many bits the VPC prefix grows by for each subnet.
const SubnetBits = 3

// MaxVPCPrefix is the longest VPC prefix that still leaves /27 subnets
// (AWS's smallest subnet is /28, /27 keeps room for an ALB's addresses).
const MaxVPCPrefix = 24

// ParseIPv4Network parses an IPv4 CIDR block without host bits.
func ParseIPv4Network(cidr string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("%q is not an IPv4 CIDR block", cidr)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("%q has host bits set; the network is %s", cidr, p.Masked())
	}
	return p, nil
}

// LayoutSubnets computes the subnets of a network; it fails when the CIDR is
// not a valid IPv4 network or too small.
func LayoutSubnets(n Network) (Subnets, error) {
	p, err := ParseIPv4Network(n.CIDR)
	if err != nil {
		return Subnets{}, err
	}
	if p.Bits() < 16 || p.Bits() > MaxVPCPrefix {
		return Subnets{}, fmt.Errorf("%q must have a prefix between /16 and /%d to leave room for %d subnets", n.CIDR, MaxVPCPrefix, 2*n.AZs)
	}
	bits := p.Bits() + SubnetBits
	size := uint32(1) << (32 - bits)
	base := p.Addr().As4()
	start := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	block := func(i int) string {
		v := start + uint32(i)*size
		a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		return netip.PrefixFrom(a, bits).String()
	}
	var s Subnets
	for i := 0; i < n.AZs; i++ {
		s.Public = append(s.Public, block(i))
		s.Private = append(s.Private, block(4+i))
	}
	return s, nil
}

// AlarmName is the CloudWatch alarm a target's deployment group rolls back
// on; metric is a short kebab-case slug ("5xx-green", "unhealthy-blue").
func (a *App) AlarmName(metric string) string { return a.prefix() + "-" + metric }

// HookFunctionName is a CodeDeploy lifecycle hook function of a target
// ("smoke", "release"). The CodeDeployHook_ prefix is what the managed
// policy AWSCodeDeployRoleForECSLimited lets CodeDeploy invoke
// ("Resource" : "arn:aws:lambda:*:*:function:CodeDeployHook_*",
// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCodeDeployRoleForECSLimited.html).
func (a *App) HookFunctionName(kind string) string {
	return "CodeDeployHook_" + a.prefix() + "-" + kind
}

// HookRoleName is the execution role of a hook function in one region.
func (a *App) HookRoleName(kind, region string) string { return a.prefix() + "-" + kind + "-" + region }

// ecrImage matches a private ECR image reference: ACCOUNT.dkr.ecr.REGION.
// amazonaws.com[.cn]/REPOSITORY[:TAG|@DIGEST].
var ecrImage = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([a-z0-9][a-z0-9._/-]*?)(?:[:@].*)?$`)

// ECRImage splits a private ECR image reference into the registry's
// account and region and the repository's name; ok is false for any other
// image.
func ECRImage(image string) (account, region, repository string, ok bool) {
	m := ecrImage.FindStringSubmatch(image)
	if m == nil {
		return "", "", "", false
	}
	return m[1], m[2], m[3], true
}
