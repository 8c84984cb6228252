package stacks

import (
	"fmt"
	"slices"

	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
)

// addTaskRoles adds the task execution role (pull this target's image,
// write this log group, read exactly the named secrets) and the task role
// (no permissions: the application's own grants are out of bgc's scope).
func addTaskRoles(app *model.App, t model.Target, tpl *cfn.Template) {
	repo := cfn.Partition + ":ecr:${AWS::Region}:${AWS::AccountId}:repository/" + app.ECRRepositoryName()
	logGroup := cfn.Partition + ":logs:${AWS::Region}:${AWS::AccountId}:log-group:" + app.LogGroupName()
	repos := subs(repo)
	// A bootstrapImage in a private ECR repository is pulled with this
	// role too, until the first release (another account's repository
	// must also allow it in its repository policy).
	if boot := t.Expand(app.Service.BootstrapImage); boot != "" {
		if acct, region, repo, ok := model.ECRImage(boot); ok {
			own := cfn.Sub(fmt.Sprintf("%s:ecr:%s:%s:repository/%s", cfn.Partition, region, acct, repo))
			if !slices.Contains(repos, own) {
				repos = append(repos, own)
			}
		}
	}
	statements := []cfn.Statement{
		cfn.Allow("PullImage", []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}, repos),
		cfn.Allow("RegistryLogin", []string{"ecr:GetAuthorizationToken"}, []string{"*"}),
		cfn.Allow("WriteLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, subs(logGroup+":log-stream:*")),
	}
	var secrets, params []string
	for _, kv := range app.Service.Secrets {
		service, arns := secretResource(t.Expand(kv.Value))
		for _, arn := range arns {
			switch service {
			case "secretsmanager":
				secrets = append(secrets, partitionARN(arn))
			case "ssm":
				params = append(params, partitionARN(arn))
			}
		}
	}
	if len(secrets) > 0 {
		statements = append(statements, cfn.Allow("ReadSecrets", []string{"secretsmanager:GetSecretValue"}, subs(secrets...)))
	}
	if len(params) > 0 {
		statements = append(statements, cfn.Allow("ReadParameters", []string{"ssm:GetParameters"}, subs(params...)))
	}
	if keys := app.Service.SecretsKeys; len(keys) > 0 {
		// "kms:Decrypt – Required only if your secret uses a customer
		// managed key and not the default key."
		// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html),
		// and only through the services that hold the secrets.
		var arns, via []string
		for _, k := range keys {
			arns = append(arns, cfn.Sub(partitionARN(t.Expand(k))))
		}
		if len(secrets) > 0 {
			via = append(via, cfn.Sub(viaService("secretsmanager")))
		}
		if len(params) > 0 {
			via = append(via, cfn.Sub(viaService("ssm")))
		}
		statements = append(statements, cfn.With(cfn.Allow("DecryptSecrets", []string{"kms:Decrypt"}, arns), "StringEquals", "kms:ViaService", via...))
	}
	exec := namedRole(app, app.ExecutionRoleName(t.Region), serviceTrust("ecs-tasks.amazonaws.com"), statements...)
	exec.AWSCloudFormationMetadata = justify("ecr:GetAuthorizationToken supports no resource-level permissions; it only issues a registry login token.")
	tpl.Add("ExecutionRole", exec)
	tpl.Add("TaskRole", namedRole(app, app.TaskRoleName(t.Region), serviceTrust("ecs-tasks.amazonaws.com")))
}
