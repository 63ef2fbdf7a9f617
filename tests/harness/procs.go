package main

// Child processes of the supervisor. Each runs in its own process group (a Ctrl-C aimed at the
// test run reaches the supervisor, which then stops them in order) and gets SIGKILL if the
// supervisor dies, so not even `kill -9` of the supervisor leaves a control plane running.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

type child struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	// lines receives stdout lines (also copied to the log) until the process exits.
	lines chan string
	// stopping is set before a deliberate stop (ksc-harness apiserver stop), so its exit is
	// not reported as a crash.
	stopping atomic.Bool
}

// startChild starts argv with stdout+stderr in logPath. env nil means the supervisor's own.
func startChild(name, logPath string, env []string, argv ...string) (*child, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		_ = logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, done: make(chan struct{}), lines: make(chan string, 64)}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			_, _ = fmt.Fprintln(logf, line)
			select {
			case c.lines <- line:
			default: // nobody is waiting for lines any more
			}
		}
		_ = cmd.Wait()
		_ = logf.Close()
		close(c.done)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// waitLine waits for a stdout line starting with prefix and returns the rest of it.
func (c *child) waitLine(ctx context.Context, prefix string, timeout time.Duration) (string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case line := <-c.lines:
			if rest, ok := strings.CutPrefix(line, prefix); ok {
				return strings.TrimSpace(rest), nil
			}
		case <-c.done:
			return "", fmt.Errorf("%s exited before printing %q", c.name, prefix)
		case <-t.C:
			return "", fmt.Errorf("%s printed no %q within %s", c.name, prefix, timeout)
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// stop sends SIGTERM, then SIGKILL after grace.
func (c *child) stop(grace time.Duration) {
	if c.exited() {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// cleanEnv is the supervisor's environment without proxy settings: newer apiservers honour
// HTTPS_PROXY for kubelet and webhook connections, which must go straight to the test addresses.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY":
			continue
		}
		out = append(out, kv)
	}
	return out
}
