package stacks

import (
	"fmt"

	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
)

// partitionOf is the ARN partition of a region; taskdef.json is plain JSON
// read by the deploy action, so its ARNs cannot use ${AWS::Partition}.
func partitionOf(region string) string { return model.Partition(region) }

// taskdefJSON is the RegisterTaskDefinition input of one target, with
// "image": "<IMAGE1_NAME>" for the build to replace. It shares the
// CloudFormation task definition's family, roles, sizes, port mapping and
// awslogs configuration, and adds the environment and secrets.
func taskdefJSON(app *model.App, t model.Target) ([]byte, error) {
	c := container(app, t, imagePlaceholder)
	container := map[string]any{
		"name":             c.Name,
		"image":            c.Image,
		"essential":        true,
		"memory":           app.Service.Memory,
		"portMappings":     []any{map[string]any{"containerPort": app.Service.Port, "hostPort": app.Service.Port, "protocol": "tcp"}},
		"logConfiguration": map[string]any{"logDriver": c.LogConfiguration.LogDriver, "options": c.LogConfiguration.Options},
	}
	container["readonlyRootFilesystem"] = *c.ReadonlyRootFilesystem
	if c.User != nil {
		container["user"] = *c.User
	}
	var mounts, volumes []any
	for _, m := range c.MountPoints {
		mounts = append(mounts, map[string]any{"sourceVolume": *m.SourceVolume, "containerPath": *m.ContainerPath, "readOnly": false})
		volumes = append(volumes, map[string]any{"name": *m.SourceVolume})
	}
	if len(mounts) > 0 {
		container["mountPoints"] = mounts
	}
	if len(c.Environment) > 0 {
		env := make([]any, len(c.Environment))
		for i, kv := range c.Environment {
			env[i] = map[string]any{"name": *kv.Name, "value": *kv.Value}
		}
		container["environment"] = env
	}
	if len(c.Secrets) > 0 {
		secrets := make([]any, len(c.Secrets))
		for i, s := range c.Secrets {
			secrets[i] = map[string]any{"name": s.Name, "valueFrom": s.ValueFrom}
		}
		container["secrets"] = secrets
	}
	role := func(name string) string {
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", partitionOf(t.Region), t.AccountID, name)
	}
	def := map[string]any{
		"family":                  app.TaskFamily(),
		"executionRoleArn":        role(app.ExecutionRoleName(t.Region)),
		"taskRoleArn":             role(app.TaskRoleName(t.Region)),
		"networkMode":             "awsvpc",
		"requiresCompatibilities": []string{"FARGATE"},
		"cpu":                     fmt.Sprint(app.Service.CPU),
		"memory":                  fmt.Sprint(app.Service.Memory),
		"containerDefinitions":    []any{container},
		"tags":                    taskdefTags(app),
	}
	if len(volumes) > 0 {
		def["volumes"] = volumes
	}
	return cfn.Marshal(def, cfn.JSON)
}

// taskdefTags are the app's tags in RegisterTaskDefinition's form. The
// service propagates them from the task definition to its tasks
// (PropagateTags TASK_DEFINITION), so a tag change reaches the tasks with
// the next release, never through the service. Whether the pipeline's
// CodeDeployToECS action passes them on to RegisterTaskDefinition is not
// documented (action-reference-ECSbluegreen.html is silent on every field
// of the file); its role may tag the revisions it registers (delivery.go).
func taskdefTags(app *model.App) []any {
	out := make([]any, len(app.Tags))
	for i, kv := range app.Tags {
		out[i] = map[string]any{"key": kv.Key, "value": kv.Value}
	}
	return out
}
