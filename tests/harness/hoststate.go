package main

// What a real kubelet changes outside its network namespace, and how the harness puts it back:
// cgroups (one root per node, /sys/fs/cgroup/<hierarchy>/ksc-<n>-<node>) and three kernel
// sysctls the kubelet rewrites at start.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const cgroupBase = "/sys/fs/cgroup"

// cgroupHierarchies are the mounted hierarchies (cgroup v1 on this project's machines, plus the
// empty unified one).
func cgroupHierarchies() []string {
	var out []string
	entries, _ := os.ReadDir(cgroupBase)
	for _, e := range entries {
		h := filepath.Join(cgroupBase, e.Name())
		if _, err := os.Stat(filepath.Join(h, "cgroup.procs")); err == nil {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		if _, err := os.Stat(filepath.Join(cgroupBase, "cgroup.procs")); err == nil {
			out = append(out, cgroupBase) // pure cgroup v2
		}
	}
	return out
}

// makeCgroup creates rel in every hierarchy; cpuset children start empty and must inherit
// cpus and mems before a task may join.
func makeCgroup(rel string) error {
	for _, h := range cgroupHierarchies() {
		parent := h
		for _, part := range strings.Split(strings.Trim(rel, "/"), "/") {
			dir := filepath.Join(parent, part)
			if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
				return err
			}
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				if v, err := os.ReadFile(filepath.Join(parent, f)); err == nil {
					_ = os.WriteFile(filepath.Join(dir, f), v, 0o644)
				}
			}
			parent = dir
		}
	}
	return nil
}

// joinCgroup moves this process into rel in every hierarchy ("" = the hierarchy's root).
func joinCgroup(rel string) error {
	pid := []byte(strconv.Itoa(os.Getpid()))
	for _, h := range cgroupHierarchies() {
		if err := os.WriteFile(filepath.Join(h, rel, "cgroup.procs"), pid, 0o644); err != nil {
			return fmt.Errorf("join %s: %w", filepath.Join(h, rel), err)
		}
	}
	return nil
}

// sweepCgroup kills every task under rel (except pid `except`) in every hierarchy, then removes
// the cgroups, deepest first. Containers, shims, containerd and the kubelet all live there, so
// this is the one sweep that leaves no process of a real node behind.
func sweepCgroup(rel string, except int) {
	for i := 0; i < 100; i++ {
		var pids []int
		for _, h := range cgroupHierarchies() {
			_ = filepath.WalkDir(filepath.Join(h, rel), func(p string, d os.DirEntry, err error) error {
				if err != nil || !d.IsDir() {
					return nil
				}
				raw, _ := os.ReadFile(filepath.Join(p, "cgroup.procs"))
				for _, f := range strings.Fields(string(raw)) {
					if n, err := strconv.Atoi(f); err == nil && n != except {
						pids = append(pids, n)
					}
				}
				return nil
			})
		}
		if len(pids) == 0 {
			break
		}
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for i := 0; i < 50; i++ {
		left := 0
		for _, h := range cgroupHierarchies() {
			var dirs []string
			_ = filepath.WalkDir(filepath.Join(h, rel), func(p string, d os.DirEntry, err error) error {
				if err == nil && d.IsDir() {
					dirs = append(dirs, p)
				}
				return nil
			})
			sort.Slice(dirs, func(a, b int) bool { return len(dirs[a]) > len(dirs[b]) })
			for _, d := range dirs {
				if err := syscall.Rmdir(d); err != nil && !errors.Is(err, os.ErrNotExist) {
					left++
				}
			}
		}
		if left == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sweepCgroupsOf removes the cgroups of every real node of scenario network n.
func sweepCgroupsOf(n int) {
	seen := map[string]bool{}
	for _, h := range cgroupHierarchies() {
		matches, _ := filepath.Glob(filepath.Join(h, fmt.Sprintf("ksc-%d-*", n)))
		for _, m := range matches {
			seen[filepath.Base(m)] = true
		}
	}
	for rel := range seen {
		sweepCgroup(rel, -1)
	}
}

// The kubelet sets these at start (kubelet/cm/container_manager_linux.go, setupKernelTunables).
var kubeletSysctls = []string{"vm/overcommit_memory", "kernel/panic", "kernel/panic_on_oops"}

var (
	sysctlSaved   = filepath.Join(registryDir, "sysctls.json")
	sysctlHolders = filepath.Join(registryDir, "sysctl-holders")
)

func withSysctlLock(f func()) {
	_ = os.MkdirAll(sysctlHolders, 0o755)
	lock, err := os.OpenFile(filepath.Join(registryDir, "sysctls.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err == nil {
		defer lock.Close()
		_ = syscall.Flock(int(lock.Fd()), syscall.LOCK_EX)
	}
	f()
}

// holdSysctls records the machine's values before the first real kubelet of any scenario
// changes them; scenario n holds them until releaseSysctls(n).
func holdSysctls(n int) error {
	var err error
	withSysctlLock(func() {
		if _, e := os.Stat(sysctlSaved); errors.Is(e, os.ErrNotExist) {
			vals := map[string]string{}
			for _, k := range kubeletSysctls {
				raw, e := os.ReadFile(filepath.Join("/proc/sys", k))
				if e != nil {
					err = e
					return
				}
				vals[k] = strings.TrimSpace(string(raw))
			}
			raw, _ := json.Marshal(vals)
			if err = os.WriteFile(sysctlSaved, raw, 0o644); err != nil {
				return
			}
		}
		err = os.WriteFile(filepath.Join(sysctlHolders, strconv.Itoa(n)), []byte(strconv.Itoa(os.Getpid())), 0o644)
	})
	return err
}

// releaseSysctls drops scenario n's hold; the last holder alive restores the saved values.
func releaseSysctls(n int) {
	withSysctlLock(func() {
		_ = os.Remove(filepath.Join(sysctlHolders, strconv.Itoa(n)))
		holders, _ := os.ReadDir(sysctlHolders)
		for _, h := range holders {
			raw, _ := os.ReadFile(filepath.Join(sysctlHolders, h.Name()))
			pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
			if isHarness(pid) {
				return // another scenario's kubelets still run
			}
			_ = os.Remove(filepath.Join(sysctlHolders, h.Name()))
		}
		raw, err := os.ReadFile(sysctlSaved)
		if err != nil {
			return
		}
		vals := map[string]string{}
		if json.Unmarshal(raw, &vals) == nil {
			for k, v := range vals {
				_ = os.WriteFile(filepath.Join("/proc/sys", k), []byte(v), 0o644)
			}
		}
		_ = os.Remove(sysctlSaved)
	})
}
