package main

// `ksc-harness down --dir DIR` stops one scenario and removes what it created;
// `ksc-harness down --all` sweeps every leftover of every scenario on this machine.

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func cmdDown(args []string) error {
	fs := flag.NewFlagSet("down", flag.ContinueOnError)
	dir := fs.String("dir", "", "the --dir given to up")
	all := fs.Bool("all", false, "sweep every ksc-* network namespace, veth and harness process on this machine")
	timeout := fs.Duration("timeout", 60*time.Second, "how long to wait for the supervisor's own teardown")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *all:
		return downAll(*timeout)
	case *dir != "":
		abs, err := filepath.Abs(*dir)
		if err != nil {
			return err
		}
		return downDir(abs, *timeout)
	}
	return fmt.Errorf("usage: ksc-harness down --dir DIR | --all")
}

func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	// A zombie still has /proc/<pid> but is already dead.
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(raw)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

func exeBase(pid int) string {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return ""
	}
	return filepath.Base(strings.TrimSuffix(exe, " (deleted)"))
}

// ours tells whether pid runs one of the programs the harness starts (pids get reused).
func ours(pid int) bool {
	switch exeBase(pid) {
	case "ksc-harness", "ksc-legacy-webhook", "ksc-legacy-webhook-v032", "kube-apiserver", "etcd", "ip":
		return true
	}
	return false
}

// terminate sends SIGTERM and waits, then SIGKILL.
func terminate(pid int, grace time.Duration) {
	if !alive(pid) {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if alive(pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		for i := 0; i < 50 && alive(pid); i++ {
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func downDir(dir string, timeout time.Duration) error {
	e, err := readEnv(dir)
	if err != nil {
		return fmt.Errorf("no scenario in %s: %w", dir, err)
	}
	if sup := e.Pids["supervisor"]; isHarness(sup) {
		// The supervisor's own teardown is the normal path; what follows only mops up after a
		// supervisor that could not finish it.
		terminate(sup, timeout)
	}
	for name, pid := range e.Pids {
		if name != "supervisor" && alive(pid) && ours(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if e.NetN > 0 {
		// Sweep the network only while it is still registered to this dir: once released,
		// another scenario may already own the same n.
		if reg, err := readRegistry(e.NetN); err == nil && reg.Dir == dir {
			sweepNet(e.NetN, reg)
		}
	}
	if strings.HasPrefix(e.DataDir, dataRoot+"/") {
		_ = os.RemoveAll(e.DataDir)
	}
	if e2, err := readEnv(dir); err == nil && e2.State != "down" {
		e2.State, e2.Pids = "down", map[string]int{}
		s := &supervisor{dir: dir, env: *e2}
		s.setEnv(func(*envFile) {})
	}
	fmt.Printf("down: %s\n", dir)
	return nil
}

func downAll(timeout time.Duration) error {
	entries, _ := filepath.Glob(filepath.Join(registryDir, "ksc-*.json"))
	for _, path := range entries {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "ksc-"), ".json"))
		if err != nil {
			continue
		}
		e, err := readRegistry(n)
		if err == nil && isHarness(e.Pid) && e.Pid != os.Getpid() {
			terminate(e.Pid, timeout)
		}
		sweepNet(n, e)
	}
	netns, _ := filepath.Glob("/run/netns/ksc-*")
	for _, p := range netns {
		if n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(p), "ksc-")); err == nil {
			sweepNet(n, nil)
		}
	}
	if out, err := exec.Command("ip", "-o", "link", "show").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
			if strings.HasPrefix(name, "ksc-") {
				_ = ipCmd("link", "del", name)
			}
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		pid, err := strconv.Atoi(filepath.Base(p))
		if err != nil || pid == os.Getpid() {
			continue
		}
		exe, err := os.Readlink(filepath.Join(p, "exe"))
		if err != nil {
			continue
		}
		base := filepath.Base(strings.TrimSuffix(exe, " (deleted)"))
		harness := base == "ksc-harness" || base == "ksc-legacy-webhook" || base == "ksc-legacy-webhook-v032"
		cached := (base == "kube-apiserver" || base == "etcd") && strings.Contains(exe, "/kubectl-sidecar/bin/")
		if harness || cached {
			log.Printf("killing %s (pid %d)", exe, pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	for _, h := range cgroupHierarchies() {
		leftovers, _ := filepath.Glob(filepath.Join(h, "ksc-*"))
		for _, l := range leftovers {
			sweepCgroup(filepath.Base(l), -1)
		}
	}
	_ = os.RemoveAll(dataRoot)
	fmt.Println("down: all ksc-harness scenarios swept")
	return nil
}
