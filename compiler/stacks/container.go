package stacks

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	"github.com/bgc-dev/bgc/compiler/model"
)

// The service's container is described once here and rendered twice: into
// the CloudFormation task definition (with the bootstrap image) and into
// taskdef.json (with the <IMAGE1_NAME> placeholder the build replaces), so
// the two never drift apart, in particular not their logConfiguration.

// imagePlaceholder is replaced by the build with "<repo>@sha256:<digest>".
const imagePlaceholder = "<IMAGE1_NAME>"

// logOptions is the awslogs configuration of a target's container.
func logOptions(app *model.App, t model.Target) map[string]string {
	return map[string]string{
		"awslogs-group":         app.LogGroupName(),
		"awslogs-region":        t.Region,
		"awslogs-stream-prefix": app.Service.Name,
	}
}

// The size of the bootstrap task definition (see serviceStack).
const (
	bootstrapCPU    = "256"
	bootstrapMemory = "512"
	// bootstrapMemoryMiB is bootstrapMemory as a container's limit.
	bootstrapMemoryMiB = 512
)

// container is the full container definition of a release.
func container(app *model.App, t model.Target, image string) ecs.TaskDefinition_ContainerDefinition {
	c := ecs.TaskDefinition_ContainerDefinition{
		Name:      app.ContainerName(),
		Image:     image,
		Essential: yes(),
		// The container's hard memory limit is the task's (CT.ECS.PR.7):
		// one container per task, so the limit says what the task says.
		Memory:       num(app.Service.Memory),
		PortMappings: []ecs.TaskDefinition_PortMapping{{ContainerPort: num(app.Service.Port), HostPort: num(app.Service.Port), Protocol: str("tcp")}},
		LogConfiguration: &ecs.TaskDefinition_LogConfiguration{
			LogDriver: "awslogs",
			Options:   logOptions(app, t),
		},
	}
	fs := filesystem{readonly: app.Service.ReadonlyRoot, user: app.Service.User, writable: app.Service.WritablePaths}
	fs.apply(&c)
	for _, kv := range app.Service.Environment {
		c.Environment = append(c.Environment, ecs.TaskDefinition_KeyValuePair{Name: str(kv.Key), Value: str(kv.Value)})
	}
	for _, kv := range app.Service.Secrets {
		c.Secrets = append(c.Secrets, ecs.TaskDefinition_Secret{Name: kv.Key, ValueFrom: t.Expand(kv.Value)})
	}
	return c
}

// filesystem is what a container may write and who it runs as. Every
// writable path is an empty task-scoped volume: on Fargate a bind mount
// without a host path, "an empty data volume" that is removed with the
// task (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html).
// Fargate creates it owned by root: "By default, the volume permissions are
// set to 0755 and the owner as root" (same page), so a non-root user can
// write it only when the image declares the path as a VOLUME it owns.
type filesystem struct {
	readonly bool
	user     string // "" = the image's USER
	writable []string
}

// volumes are the task's volumes, one per writable path.
func (fs filesystem) volumes() []ecs.TaskDefinition_Volume {
	var out []ecs.TaskDefinition_Volume
	for _, name := range volumeNames(fs.writable) {
		out = append(out, ecs.TaskDefinition_Volume{Name: str(name)})
	}
	return out
}

// apply sets the container's user, root file system and mount points.
func (fs filesystem) apply(c *ecs.TaskDefinition_ContainerDefinition) {
	c.ReadonlyRootFilesystem = boolp(fs.readonly)
	c.User = nil
	if fs.user != "" {
		c.User = str(fs.user)
	}
	c.MountPoints = nil
	for i, name := range volumeNames(fs.writable) {
		c.MountPoints = append(c.MountPoints, ecs.TaskDefinition_MountPoint{ContainerPath: str(fs.writable[i]), SourceVolume: str(name), ReadOnly: boolp(false)})
	}
}

// volumeNames are the volume names of writable paths: the path with "/"
// and "." as "-" ("/var/cache" -> "var-cache"), numbered on a collision.
// ECS allows "Up to 255 letters (uppercase and lowercase), numbers,
// underscores, and hyphens" in a volume name
// (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Volume.html).
func volumeNames(paths []string) []string {
	out := make([]string, len(paths))
	seen := map[string]bool{}
	for i, p := range paths {
		base := strings.NewReplacer("/", "-", ".", "-").Replace(strings.TrimPrefix(p, "/"))
		name := base
		for n := 2; seen[name]; n++ {
			name = fmt.Sprintf("%s-%d", base, n)
		}
		seen[name] = true
		out[i] = name
	}
	return out
}

// secretSuffix is the random suffix Secrets Manager appends to a secret's
// name in its full ARN.
var secretSuffix = regexp.MustCompile(`-[A-Za-z0-9]{6}$`)

// secretResource is the IAM resource of a secret reference: a Secrets
// Manager valueFrom may carry ":json-key:version-stage:version-id" after
// the secret ARN, which IAM does not match, and may name the secret without
// the random suffix of its full ARN, which IAM matches only with "-??????".
func secretResource(valueFrom string) (service string, arns []string) {
	parts := strings.Split(valueFrom, ":")
	if len(parts) >= 7 && parts[2] == "secretsmanager" {
		arn := strings.Join(parts[:7], ":")
		if secretSuffix.MatchString(parts[6]) {
			return "secretsmanager", []string{arn}
		}
		return "secretsmanager", []string{arn + "-??????"}
	}
	if len(parts) >= 3 {
		return parts[2], []string{valueFrom}
	}
	return "", []string{valueFrom}
}
