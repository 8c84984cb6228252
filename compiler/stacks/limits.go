package stacks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/bgc-dev/bgc/compiler/cfn"
)

// AWS size limits on the policy documents bgc generates. They grow with
// the number of targets, so a large enough fleet passes them; checking at
// compile time turns a failed deploy into a message.
const (
	maxRoleInlinePolicies = 10240 // IAM: all inline policies of a role, characters
	maxKeyPolicy          = 32768 // KMS: key policy, bytes
	maxBucketPolicy       = 20480 // S3: bucket policy, bytes
	maxRepositoryPolicy   = 10240 // ECR: repository policy, characters
)

// checkLimits measures the policy documents of one template as compact
// JSON with intrinsics replaced by the longest values they can take (see
// sizeOf), so a document that passes here passes in AWS. Every document
// grows with the number of targets, so problems are reported at accounts.
func checkLimits(stackID string, tree map[string]any) Problems {
	var out Problems
	resources, _ := tree["Resources"].(map[string]any)
	names := make([]string, 0, len(resources))
	for n := range resources {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		res, _ := resources[name].(map[string]any)
		props, _ := res["Properties"].(map[string]any)
		check := func(what string, size, max int) {
			if size > max {
				out = append(out, Problem{
					Path: []string{"accounts"}, AtKey: true,
					Message: fmt.Sprintf("the %s of %s in stack %s would be %d characters; AWS allows %d", what, name, stackID, size, max),
					Hint:    "the document grows with the number of targets: split the fleet into several apps",
				})
			}
		}
		switch res["Type"] {
		case "AWS::IAM::Role":
			total := 0
			policies, _ := props["Policies"].([]any)
			for _, p := range policies {
				pm, _ := p.(map[string]any)
				total += compactSize(pm["PolicyDocument"])
			}
			check("inline policies", total, maxRoleInlinePolicies)
		case "AWS::KMS::Key", "AWS::KMS::ReplicaKey":
			check("key policy", compactSize(props["KeyPolicy"]), maxKeyPolicy)
		case "AWS::S3::BucketPolicy":
			check("bucket policy", compactSize(props["PolicyDocument"]), maxBucketPolicy)
		case "AWS::ECR::Repository":
			check("repository policy", compactSize(props["RepositoryPolicyText"]), maxRepositoryPolicy)
		}
	}
	return out
}

func compactSize(v any) int {
	if v == nil {
		return 0
	}
	b, err := cfn.CompactJSON(sizeOf(v))
	if err != nil {
		return 0
	}
	return len(b)
}

// Upper bounds of what intrinsics resolve to in a policy document.
var pseudoParams = strings.NewReplacer(
	"${AWS::Partition}", "aws-us-gov",
	"${AWS::AccountId}", "123456789012",
	"${AWS::Region}", "ap-southeast-7",
)

// maxRefLength bounds a Ref to a parameter or resource in a policy (bgc's
// are key, role and listener ARNs).
const maxRefLength = 128

// sizeOf replaces intrinsics by strings as long as their longest values.
func sizeOf(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			if s, ok := x["Fn::Sub"].(string); ok {
				return pseudoParams.Replace(s)
			}
			if _, ok := x["Ref"]; ok {
				return strings.Repeat("x", maxRefLength)
			}
			if _, ok := x["Fn::GetAtt"]; ok {
				return strings.Repeat("x", maxRefLength)
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = sizeOf(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sizeOf(e)
		}
		return out
	}
	return v
}
