package stacks

import (
	"fmt"

	"github.com/awslabs/goformation/v7/cloudformation/ecr"
	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
)

// The registry's lifecycle policy. Every build pushes an image to every
// target's registry, before the waves that deploy it (and whether or not
// they ever do), so a plain count rule would expire the image production
// runs after enough unreleased builds; ECR's lifecycle rules do not know
// what ECS uses (aws/containers-roadmap#1078). So the release hook tags
// every image a deployment released "released-<deployment id>", and rule 1
// keeps the newest keepReleased of those (the rollback depth). Rule 2 then
// counts every image but cannot expire a released one: "An image that
// matches the tagging requirements of a rule cannot be expired by a rule
// with a lower priority." and "A rule with a tagStatus value of any must
// have the highest value for rulePriority and be evaluated last."
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html,
// lifecycle_policy_parameters.html).
const (
	releasedTagPrefix = "released-"
	keepReleased      = 20
	keepImages        = 50
)

// lifecyclePolicy is the ECR lifecycle policy document.
func lifecyclePolicy() map[string]any {
	return map[string]any{"rules": []any{
		map[string]any{
			"rulePriority": 1,
			"description":  fmt.Sprintf("keep the last %d released images", keepReleased),
			"selection": map[string]any{"tagStatus": "tagged", "tagPrefixList": []string{releasedTagPrefix},
				"countType": "imageCountMoreThan", "countNumber": keepReleased},
			"action": map[string]any{"type": "expire"},
		},
		map[string]any{
			"rulePriority": 2,
			"description":  fmt.Sprintf("keep the last %d images pushed; never a released one", keepImages),
			"selection":    map[string]any{"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keepImages},
			"action":       map[string]any{"type": "expire"},
		},
	}}
}

// registryStack is the target's ECR repository: scan on push, immutable
// tags, a lifecycle policy, and push access for the tools account's build
// role (granted to the account root and narrowed by aws:PrincipalArn, so
// the role need not exist yet).
func registryStack(app *model.App, t model.Target) (*stack, error) {
	tpl := cfn.New(fmt.Sprintf("bgc %s/%s image registry of %s.", app.Name, app.Service.Name, t.ID()))
	lifecycle, err := cfn.CompactJSON(lifecyclePolicy())
	if err != nil {
		return nil, err
	}
	push := cfn.With(cfn.Principal(cfn.Statement{
		"Sid":    "PushFromToolsBuild",
		"Effect": "Allow",
		"Action": []string{
			"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
			"ecr:DescribeImages", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart",
		},
	}, "AWS", cfn.Sub(rootARN(app.Tools.AccountID))), "ArnEquals", "aws:PrincipalArn", cfn.Sub(roleARN(app.Tools.AccountID, app.BuildRoleName())))
	tpl.Add("Repository", &ecr.Repository{
		RepositoryName:                       str(app.ECRRepositoryName()),
		ImageTagMutability:                   str("IMMUTABLE"),
		ImageScanningConfiguration:           &ecr.Repository_ImageScanningConfiguration{ScanOnPush: yes()},
		EncryptionConfiguration:              imageEncryption(app),
		LifecyclePolicy:                      &ecr.Repository_LifecyclePolicy{LifecyclePolicyText: str(string(lifecycle))},
		RepositoryPolicyText:                 cfn.PolicyDocument(push),
		Tags:                                 appTags(app),
		AWSCloudFormationDeletionPolicy:      retain,
		AWSCloudFormationUpdateReplacePolicy: retainOnReplace,
	})
	tpl.Output("RepositoryArn", "ECR repository ARN", cfn.GetAtt("Repository", "Arn"))
	st := workloadStack(app, t, kindRegistry, tpl)
	// The repository holds every released image and keeps its name after
	// the stack is gone (DeletionPolicy Retain): the deployer protects the
	// stack and destroy keeps it, so a later deploy never collides with it.
	st.retain = true
	return st, nil
}

// imageEncryption is the repository's encryption at rest. With KMS and no
// key named, ECR uses the AWS managed key aws/ecr, and ECR itself makes the
// KMS calls. The ECR user guide's "Encryption at rest" page lists the
// steps (paraphrased here from its translated edition, the one this was
// checked against): ECR sends two CreateGrant requests that let ECR
// encrypt and decrypt with the key, a push makes a GenerateDataKey request
// and a pull a Decrypt request
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html).
// So neither the tools account's build role (pushing across accounts) nor
// the execution role (pulling) is given any key permission; the page does
// not say so for a cross-account push in as many words, but an AWS managed
// key has no policy another account could be named in. A customer managed
// key per target would add a key policy to keep right and $1 a month for
// no control bgc uses (the repository is deleted only with the target).
// EncryptionConfiguration is create-only
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ecr-repository.html),
// and the repository is named and retained, so bgc build refuses to switch
// it on a deployed target; service.imageEncryption: aes256 keeps the old one.
func imageEncryption(app *model.App) *ecr.Repository_EncryptionConfiguration {
	if app.Service.ImageKMS {
		return &ecr.Repository_EncryptionConfiguration{EncryptionType: "KMS"}
	}
	return &ecr.Repository_EncryptionConfiguration{EncryptionType: "AES256"}
}
