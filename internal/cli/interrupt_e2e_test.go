package cli_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bgc-dev/bgc/internal/mototest"
)

// bgcBinary builds cmd/bgc once per test binary, for tests that need a real
// process (signals, terminals).
var bgcBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "bgc-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "bgc")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/bgc")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New(string(out))
	}
	return bin, nil
})

// TestDeployExampleWithChangeSets: the example deploys end to end through
// change sets (the default method) as well as direct calls, and a second
// run changes nothing.
func TestDeployExampleWithChangeSets(t *testing.T) {
	startMoto(t)
	for i, want := range []string{"created", "no-changes"} {
		code, stdout, stderr := run("deploy", example, "--yes", "--output", "json")
		if code != 0 {
			t.Fatalf("run %d: exit %d\n%s", i+1, code, stderr)
		}
		for id, st := range summaryStatuses(t, stdout) {
			if st != want {
				t.Errorf("run %d: %s is %s, want %s", i+1, id, st, want)
			}
		}
	}
}

// TestCtrlC: Ctrl-C while CloudFormation executes change sets (their
// replies delayed) stops bgc with exit 130, marks the stacks in flight
// interrupted in the NDJSON summary, ends with the line that says how to
// continue, lets none of the SDK's own log lines through, deletes nothing;
// the same command then finishes the deploy.
func TestCtrlC(t *testing.T) {
	bin, err := bgcBinary()
	if err != nil {
		t.Fatalf("go build: %v", err)
	}
	startMoto(t)
	proxy, err := mototest.NewFaultProxy(os.Getenv("AWS_ENDPOINT_URL"), 0, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()

	cmd := exec.Command(bin, "deploy", example, "--yes", "--output", "json")
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+proxy.URL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	var once sync.Once
	var proc atomic.Pointer[os.Process]
	proxy.Add(mototest.Rule{Action: "ExecuteChangeSet", Delay: 5 * time.Second, OnMatch: func() {
		once.Do(func() {
			time.Sleep(300 * time.Millisecond)
			for proc.Load() == nil { // Start has not returned yet
				time.Sleep(10 * time.Millisecond)
			}
			_ = proc.Load().Signal(syscall.SIGINT)
		})
	}})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	proc.Store(cmd.Process)
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("exit: %v, want 130\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
	if last := lines[len(lines)-1]; last != "interrupted: re-run the same command to continue" {
		t.Errorf("last line %q", last)
	}
	if strings.Contains(stderr.String(), "WARN") || strings.Contains(stderr.String(), "interrupt signal received") {
		t.Errorf("SDK log lines reached the user:\n%s", stderr.String())
	}
	interrupted := 0
	for id, st := range summaryStatuses(t, stdout.String()) {
		switch st {
		case "interrupted":
			interrupted++
		case "failed":
			t.Errorf("%s failed; an interrupt is not a failure", id)
		}
	}
	if interrupted == 0 {
		t.Errorf("no stack is interrupted:\n%s", stdout.String())
	}
	if n := proxy.Seen("DeleteStack"); n != 0 {
		t.Errorf("DeleteStack called %d times", n)
	}

	proxy.Settle()
	code, out, errOut := run("deploy", example, "--yes", "--output", "json")
	if code != 0 {
		t.Fatalf("re-run: exit %d\n%s", code, errOut)
	}
	for id, st := range summaryStatuses(t, out) {
		if st != "created" && st != "no-changes" {
			t.Errorf("re-run: %s is %s", id, st)
		}
	}
}
