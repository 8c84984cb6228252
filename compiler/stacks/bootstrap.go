package stacks

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	"github.com/bgc-dev/bgc/compiler/model"
)

// The built-in bootstrap is what a new target runs until the pipeline's
// first release: stock nginx from AWS's public gallery with a command that
// writes a one-server configuration and answers every path on service.port
// with a status healthCheck.matcher accepts. So a new target passes its
// ALB health check whatever the port, health path and matcher are, and no
// image is picked by the user. Without it, under the CODE_DEPLOY
// controller nothing stops ECS from replacing unhealthy tasks for ever:
// "The deployment circuit breaker is only supported for Amazon ECS services
// that use the rolling update (ECS) deployment controller."
// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html)
//
// Everything nginx writes (pid, temp files) goes to a fresh directory under
// the container's temp directory (-p), errors to stderr (-e, nginx 1.19.5
// and later), so the configuration also works on a read-only root file
// system with a writable /tmp.
const bootstrapImage = "public.ecr.aws/nginx/nginx:stable-alpine"

// bootstrapStatus is the status the bootstrap answers: the lowest code
// the health check's matcher accepts ("200-399" -> 200, "302" -> 302).
func bootstrapStatus(matcher string) int {
	best := 0
	for _, part := range strings.Split(matcher, ",") {
		lo, _, _ := strings.Cut(strings.TrimSpace(part), "-")
		if n, err := strconv.Atoi(lo); err == nil && (best == 0 || n < best) {
			best = n
		}
	}
	if best == 0 {
		return 200
	}
	return best
}

// bootstrapConfig is the nginx configuration of the built-in bootstrap.
func bootstrapConfig(port int, status int) string {
	var ret string
	switch status {
	case 301, 302, 303, 307, 308:
		ret = fmt.Sprintf("return %d /;", status) // a redirect needs a location
	case 204, 304:
		ret = fmt.Sprintf("return %d;", status) // no body
	default:
		ret = fmt.Sprintf(`return %d "bgc bootstrap";`, status)
	}
	return strings.Join([]string{
		"pid nginx.pid;",
		"events {}",
		"http {",
		"access_log off; default_type text/plain;",
		"client_body_temp_path body; proxy_temp_path proxy; fastcgi_temp_path fastcgi; uwsgi_temp_path uwsgi; scgi_temp_path scgi;",
		fmt.Sprintf("server { listen %d; location / { %s } }", port, ret),
		"}",
	}, "\n")
}

// bootstrapCommand is the shell command of the built-in bootstrap: write
// the configuration, then run nginx in the foreground.
func bootstrapCommand(port int, matcher string) string {
	return `d="$(mktemp -d)" && printf '%s\n' '` + bootstrapConfig(port, bootstrapStatus(matcher)) +
		`' > "$d/nginx.conf" && exec nginx -p "$d/" -e stderr -c "$d/nginx.conf" -g 'daemon off;'`
}

// bootstrapFS is the bootstrap's file system and user. The built-in
// bootstrap always runs on a read-only root file system with /tmp
// writable; a bootstrapImage runs as the service says.
func bootstrapFS(app *model.App) filesystem {
	if app.Service.BootstrapImage != "" {
		return filesystem{readonly: app.Service.ReadonlyRoot, user: app.Service.User, writable: app.Service.WritablePaths}
	}
	return filesystem{readonly: true, writable: []string{"/tmp"}}
}

// bootstrapContainer is the container of the CloudFormation task
// definition: the built-in bootstrap, or the user's bootstrap image, with
// the service's port and logging but without the release's environment
// and secrets. CloudFormation cannot change the task definition of a
// CODE_DEPLOY service after creation, so this one is kept to what rarely
// changes; every release registers taskdef.json instead.
func bootstrapContainer(app *model.App, t model.Target) ecs.TaskDefinition_ContainerDefinition {
	image := t.Expand(app.Service.BootstrapImage)
	if image == "" {
		image = bootstrapImage
	}
	c := container(app, t, image)
	c.Environment, c.Secrets, c.Memory = nil, nil, num(bootstrapMemoryMiB)
	bootstrapFS(app).apply(&c)
	if app.Service.BootstrapImage == "" {
		c.EntryPoint = []string{"/bin/sh", "-c"}
		c.Command = []string{bootstrapCommand(app.Service.Port, app.Service.HealthCheck.Matcher)}
	}
	return c
}

// bootstrapExceptions are the Control Tower controls the bootstrap task
// definition does not meet, and why.
func bootstrapExceptions(app *model.App) exceptions {
	e := exceptions{}
	switch {
	case app.Service.BootstrapImage == "":
		e["CT.ECS.PR.3"] = "the built-in bootstrap's nginx master process starts as root to write its one-line configuration to /tmp, " +
			"which Fargate creates owned by root with mode 0755 (bind-mounts.html), and to bind service.port, which may be below 1024; " +
			"its worker processes, which answer the health checks, run as nginx's unprivileged user, the root file system is read-only, " +
			"and the first release replaces the task"
	case app.Service.User == "":
		e["CT.ECS.PR.3"] = "app.yaml sets no service.user, so the bootstrapImage runs as its image's USER, which bgc cannot read; " +
			"set service.user to a non-root user to state it"
	}
	if !bootstrapFS(app).readonly {
		e["CT.ECS.PR.6"] = "app.yaml sets service.readonlyRootFilesystem to false: the team's image writes outside writablePaths"
	}
	return e
}
