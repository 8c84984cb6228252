package stacks

import (
	"fmt"
	"regexp"
	"sort"
)

// physicalName is the property that names a resource type and AWS's limit
// on it. Every physical name bgc generates is derived from name and
// service.name (model/names.go), so a name over its limit is reported there.
type physicalName struct {
	property, what string
	max            int
	pattern        *regexp.Regexp // optional: characters AWS allows
}

// eventRuleName is what EventBridge allows in a rule name: "[\.\-_A-Za-z0-9]+".
var eventRuleName = regexp.MustCompile(`^[.\-_A-Za-z0-9]+$`)

// webACLName is what AWS WAF allows in a web ACL name: "^[\w\-]+$".
var webACLName = regexp.MustCompile(`^[\w-]+$`)

var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)

// physicalNames lists every resource type the builders emit that takes a
// name, with its AWS limit. unnamedTypes lists the others. A test fails
// when a builder emits a type in neither, so a new named resource cannot
// go unchecked.
var physicalNames = map[string]physicalName{
	"AWS::ApplicationAutoScaling::ScalingPolicy": {"PolicyName", "scaling policy name", 256, nil},
	"AWS::CloudWatch::Alarm":                     {"AlarmName", "CloudWatch alarm name", 255, nil},
	"AWS::CodeBuild::Project":                    {"Name", "CodeBuild project name", 255, nil},
	"AWS::CodeCommit::Repository":                {"RepositoryName", "CodeCommit repository name", 100, nil},
	"AWS::CodeDeploy::Application":               {"ApplicationName", "CodeDeploy application name", 100, nil},
	"AWS::CodeDeploy::DeploymentGroup":           {"DeploymentGroupName", "CodeDeploy deployment group name", 100, nil},
	"AWS::CodePipeline::Pipeline":                {"Name", "pipeline name", 100, nil},
	"AWS::ECR::Repository":                       {"RepositoryName", "ECR repository name", 256, nil},
	"AWS::ECS::Cluster":                          {"ClusterName", "ECS cluster name", 255, nil},
	"AWS::ECS::Service":                          {"ServiceName", "ECS service name", 255, nil},
	"AWS::ECS::TaskDefinition":                   {"Family", "task definition family", 255, nil},
	"AWS::ElasticLoadBalancingV2::LoadBalancer":  {"Name", "load balancer name", 32, nil},
	"AWS::ElasticLoadBalancingV2::TargetGroup":   {"Name", "target group name", 32, nil},
	"AWS::Events::Rule":                          {"Name", "EventBridge rule name", 64, eventRuleName},
	"AWS::IAM::Role":                             {"RoleName", "IAM role name", 64, nil},
	"AWS::KMS::Alias":                            {"AliasName", "KMS alias", 256, nil},
	"AWS::Lambda::Function":                      {"FunctionName", "Lambda function name", 64, nil},
	"AWS::Logs::LogGroup":                        {"LogGroupName", "log group name", 512, nil},
	"AWS::S3::Bucket":                            {"BucketName", "S3 bucket name", 63, bucketName},
	"AWS::SNS::Topic":                            {"TopicName", "SNS topic name", 256, nil},
	"AWS::WAFv2::WebACL":                         {"Name", "web ACL name", 128, webACLName},
}

var unnamedTypes = map[string]bool{
	"AWS::ApplicationAutoScaling::ScalableTarget": true,
	"AWS::EC2::EIP":                         true,
	"AWS::EC2::FlowLog":                     true,
	"AWS::EC2::InternetGateway":             true,
	"AWS::EC2::NatGateway":                  true,
	"AWS::EC2::Route":                       true,
	"AWS::EC2::RouteTable":                  true,
	"AWS::EC2::SecurityGroup":               true,
	"AWS::EC2::Subnet":                      true,
	"AWS::EC2::SubnetRouteTableAssociation": true,
	"AWS::EC2::VPC":                         true,
	"AWS::EC2::VPCGatewayAttachment":        true,
	"AWS::ElasticLoadBalancingV2::Listener": true,
	"AWS::IAM::ManagedPolicy":               true,
	"AWS::KMS::Key":                         true,
	"AWS::KMS::ReplicaKey":                  true,
	"AWS::Lambda::Permission":               true,
	"AWS::S3::BucketPolicy":                 true,
	"AWS::WAFv2::LoggingConfiguration":      true,
	"AWS::WAFv2::WebACLAssociation":         true,
	"AWS::EC2::VPCEndpoint":                 true,
}

// maxStackName is CloudFormation's limit on stack names.
const maxStackName = 128

// nameCheck collects the longest generated name of each kind and reports
// each kind over its limit once, at name.
type nameCheck struct {
	longest map[string]string // what -> longest name
	max     map[string]int
	bad     map[string]string // what -> first name with characters AWS refuses
}

func newNameCheck() *nameCheck {
	return &nameCheck{longest: map[string]string{}, max: map[string]int{}, bad: map[string]string{}}
}

func (c *nameCheck) add(what, name string, max int, pattern *regexp.Regexp) {
	if len(name) > len(c.longest[what]) {
		c.longest[what] = name
	}
	c.max[what] = max
	if pattern != nil && !pattern.MatchString(name) && c.bad[what] == "" {
		c.bad[what] = name
	}
}

// stack observes a stack name.
func (c *nameCheck) stack(name string) { c.add("stack name", name, maxStackName, nil) }

// resources observes the physical names of one template's resources.
func (c *nameCheck) resources(tree map[string]any) {
	resources, _ := tree["Resources"].(map[string]any)
	for _, id := range sortedKeys(resources) {
		res, _ := resources[id].(map[string]any)
		typ, _ := res["Type"].(string)
		n, ok := physicalNames[typ]
		if !ok {
			continue
		}
		props, _ := res["Properties"].(map[string]any)
		if name, ok := props[n.property].(string); ok { // not an intrinsic
			c.add(n.what, name, n.max, n.pattern)
		}
	}
}

func (c *nameCheck) problems() Problems {
	var out Problems
	for _, what := range sortedKeys(c.longest) {
		if name := c.longest[what]; len(name) > c.max[what] {
			out = append(out, Problem{Path: []string{"name"},
				Message: fmt.Sprintf("the derived %s %q is %d characters; AWS allows %d", what, name, len(name), c.max[what]),
				Hint:    "shorten name or service.name"})
		}
	}
	for _, what := range sortedKeys(c.bad) {
		out = append(out, Problem{Path: []string{"name"}, Message: fmt.Sprintf("the derived %s %q is not DNS-safe", what, c.bad[what])})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
