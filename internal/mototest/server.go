// Package mototest runs moto_server (a local emulation of the AWS APIs) for
// the deployer's end-to-end tests, and a fault-injecting proxy in front of
// it.
//
// The server is moto's own, started through bgc_moto_server.py, which adds
// the two things bgc's plans need and moto lacks: AWS::KMS::ReplicaKey in
// CloudFormation, and outputs refreshed after ExecuteChangeSet. The
// templates under test are deployed unmodified.
package mototest

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrNotInstalled is returned by Start when moto_server is not on PATH or
// its Python cannot import moto.
var ErrNotInstalled = errors.New("moto_server is not on PATH, or python3 cannot import moto (pip install 'moto[server]')")

//go:embed bgc_moto_server.py
var launcher []byte

// Command returns the command line that starts bgc's moto_server on host
// and port: python3 running the embedded launcher, written to dir.
func Command(dir, host string, port int) (*exec.Cmd, error) {
	if _, err := exec.LookPath("moto_server"); err != nil {
		return nil, ErrNotInstalled
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		return nil, ErrNotInstalled
	}
	if out, err := exec.Command(python, "-c", "import moto.server").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNotInstalled, strings.TrimSpace(string(out)))
	}
	script := filepath.Join(dir, "bgc_moto_server.py")
	if err := os.WriteFile(script, launcher, 0o644); err != nil {
		return nil, err
	}
	return exec.Command(python, script, "-H", host, "-p", strconv.Itoa(port)), nil
}

// Server is a running moto_server.
type Server struct {
	// URL is the base endpoint, http://127.0.0.1:<port>.
	URL string
	cmd *exec.Cmd
	dir string // holds the launcher script
}

// Start launches moto_server on a free loopback port and waits until it
// answers. The server's output goes to log (may be nil). MOTO_ACCOUNT_ID is
// removed from its environment: it would override account isolation.
func Start(log *os.File) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "bgc-moto-")
	if err != nil {
		return nil, err
	}
	cmd, err := Command(dir, "127.0.0.1", port)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MOTO_ACCOUNT_ID=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if log != nil {
		cmd.Stdout, cmd.Stderr = log, log
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, dir: dir}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("moto_server exited before it answered: %v", err)
		default:
		}
		resp, err := http.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("moto_server on %s did not answer within 60s: %v", s.URL, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop kills the server (its whole process group).
func (s *Server) Stop() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// Reset clears every account and region of the server. Credentials issued
// by AssumeRole before a reset map to the default account afterwards, so
// reset before the code under test builds its clients.
func (s *Server) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/moto-api/reset", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: %s", resp.Status)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
