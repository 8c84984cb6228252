package stacks_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/stacks"
	"github.com/bgc-dev/bgc/internal/testenv"
)

// TestBootstrapAnswersTheHealthCheck runs the built-in bootstrap exactly
// as generated (the service template's EntryPoint and Command) with
// Debian's nginx on a loopback port, and checks that it answers the health
// path with a status the matcher accepts, for several ports, paths and
// matchers.
func TestBootstrapAnswersTheHealthCheck(t *testing.T) {
	if _, err := exec.LookPath("nginx"); err != nil {
		testenv.Missing(t, "nginx (the bootstrap health-check test; Debian package nginx-light)", err)
	}
	for _, c := range []struct {
		path, matcher string
		want          int
	}{
		{"/", "200-399", 200},
		{"/healthz", "200", 200},
		{"/health", "200,204", 200},
		{"/ready", "204", 204},
		{"/api/v1/status", "302", 302},
		{"/", "200-499", 200},
	} {
		t.Run(strings.ReplaceAll(c.path+" "+c.matcher, "/", "_"), func(t *testing.T) {
			port := freePort(t)
			app := seedApp()
			app.Service.Port, app.Service.HealthCheck.Path, app.Service.HealthCheck.Matcher = port, c.path, c.matcher
			res, err := stacks.Generate(app, stacks.Options{Format: cfn.JSON})
			if err != nil {
				t.Fatal(err)
			}
			var tpl struct {
				Resources map[string]struct {
					Properties struct {
						ContainerDefinitions []struct {
							EntryPoint, Command []string
						}
					}
				}
			}
			body := res.Files["test1/ap-south-1/poc-web-service.template.json"]
			if err := json.Unmarshal(body, &tpl); err != nil {
				t.Fatal(err)
			}
			cd := tpl.Resources["TaskDefinition"].Properties.ContainerDefinitions[0]
			if len(cd.EntryPoint) == 0 || len(cd.Command) != 1 {
				t.Fatalf("no bootstrap command: %+v", cd)
			}
			cmd := exec.Command(cd.EntryPoint[0], append(cd.EntryPoint[1:], cd.Command...)...)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() }()
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			var resp *http.Response
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				resp, err = client.Get(fmt.Sprintf("http://127.0.0.1:%d%s", port, c.path))
				if err == nil || time.Now().After(deadline) {
					break
				}
			}
			if err != nil {
				t.Fatalf("no answer: %v\nnginx: %s", err, out.String())
			}
			resp.Body.Close()
			if resp.StatusCode != c.want || !matches(c.matcher, resp.StatusCode) {
				t.Errorf("GET %s: %d, want %d (matcher %s)", c.path, resp.StatusCode, c.want, c.matcher)
			}
		})
	}
}

// matches is the ALB's matcher: codes and ranges, comma separated.
func matches(matcher string, code int) bool {
	for _, part := range strings.Split(matcher, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		l, _ := strconv.Atoi(lo)
		h := l
		if isRange {
			h, _ = strconv.Atoi(hi)
		}
		if code >= l && code <= h {
			return true
		}
	}
	return false
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
