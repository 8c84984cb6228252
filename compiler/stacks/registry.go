package stacks

import (
	"fmt"

	"github.com/awslabs/goformation/v7/cloudformation/ecr"
	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
)

// keepImages is how many images the ECR lifecycle policy keeps; older ones
// expire. Every release pushes one image, so this is the rollback depth.
const keepImages = 50

// registryStack is the target's ECR repository: scan on push, immutable
// tags, a lifecycle policy, and push access for the tools account's build
// role (granted to the account root and narrowed by aws:PrincipalArn, so
// the role need not exist yet).
func registryStack(app *model.App, t model.Target) (*stack, error) {
	tpl := cfn.New(fmt.Sprintf("bgc %s/%s image registry of %s.", app.Name, app.Service.Name, t.ID()))
	lifecycle, err := cfn.CompactJSON(map[string]any{"rules": []any{map[string]any{
		"rulePriority": 1,
		"description":  fmt.Sprintf("keep the last %d images", keepImages),
		"selection":    map[string]any{"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keepImages},
		"action":       map[string]any{"type": "expire"},
	}}})
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
		EncryptionConfiguration:              &ecr.Repository_EncryptionConfiguration{EncryptionType: "AES256"},
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
