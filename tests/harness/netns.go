package main

// Each scenario gets network namespace ksc-<n> and veth pair ksc-<n>-h (root side, 10.77.<n>.1)
// / ksc-<n>-n (inside, one 10.77.<n>.<k> per node). The apiserver refuses loopback node
// addresses, so fake kubelets need real non-loopback ones; a namespace keeps them off every
// other interface of the machine. n is claimed atomically by `ip netns add`, so concurrent
// scenarios never share one; a registry file per n names the supervisor that owns it, so a
// namespace whose supervisor died can be reclaimed.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const registryDir = "/run/ksc-harness"

type netPlan struct {
	N        int               `json:"n"`
	Netns    string            `json:"netns"`
	HostVeth string            `json:"hostVeth"`
	NsVeth   string            `json:"nsVeth"`
	HostAddr string            `json:"hostAddress"`
	Nodes    map[string]string `json:"nodes"`
}

type registryEntry struct {
	Pid     int    `json:"pid"`
	Dir     string `json:"dir"`
	DataDir string `json:"dataDir"`
}

func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func registryPath(n int) string { return filepath.Join(registryDir, fmt.Sprintf("ksc-%d.json", n)) }

func readRegistry(n int) (*registryEntry, error) {
	raw, err := os.ReadFile(registryPath(n))
	if err != nil {
		return nil, err
	}
	var e registryEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// isHarness reports whether pid is alive and runs the harness binary (pids get reused).
func isHarness(pid int) bool {
	if pid <= 0 {
		return false
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	return err == nil && filepath.Base(strings.TrimSuffix(exe, " (deleted)")) == "ksc-harness"
}

// allocateNet claims the lowest free n, writes its registry entry and builds the veth pair.
func allocateNet(nodes []NodeSpec, dir, dataDir string) (*netPlan, error) {
	if err := os.MkdirAll(registryDir, 0o755); err != nil {
		return nil, err
	}
	var lastErr error
	for n := 1; n <= 250; n++ {
		name := fmt.Sprintf("ksc-%d", n)
		if err := ipCmd("netns", "add", name); err != nil {
			if e, rerr := readRegistry(n); rerr == nil && !isHarness(e.Pid) {
				// Its supervisor is gone (killed with -9, machine crash): reclaim it.
				sweepNet(n, e)
				if err := ipCmd("netns", "add", name); err != nil {
					lastErr = err
					continue
				}
			} else {
				lastErr = err
				continue
			}
		}
		reg, _ := json.Marshal(registryEntry{Pid: os.Getpid(), Dir: dir, DataDir: dataDir})
		if err := os.WriteFile(registryPath(n), reg, 0o644); err != nil {
			_ = ipCmd("netns", "del", name)
			return nil, err
		}
		plan := &netPlan{N: n, Netns: name, HostVeth: name + "-h", NsVeth: name + "-n",
			HostAddr: fmt.Sprintf("10.77.%d.1", n), Nodes: map[string]string{}}
		if err := plan.build(nodes); err != nil {
			lastErr = err
			sweepNet(n, nil)
			continue
		}
		return plan, nil
	}
	return nil, fmt.Errorf("no free ksc-<n> network namespace (1-250); last error: %v; `ksc-harness down --all` sweeps leftovers", lastErr)
}

func (p *netPlan) build(nodes []NodeSpec) error {
	blocks := extraBlocks(p.N, len(nodes))
	for _, b := range append([]string{fmt.Sprintf("10.77.%d.0/24", p.N)}, blocks...) {
		out, _ := exec.Command("ip", "-4", "route", "show", b).Output()
		if strings.TrimSpace(string(out)) != "" {
			return fmt.Errorf("%s is already routed here", b)
		}
	}
	steps := [][]string{
		{"link", "add", p.HostVeth, "type", "veth", "peer", "name", p.NsVeth, "netns", p.Netns},
		{"addr", "add", p.HostAddr + "/24", "dev", p.HostVeth},
		{"link", "set", p.HostVeth, "up"},
		{"-n", p.Netns, "link", "set", "lo", "up"},
		{"-n", p.Netns, "link", "set", p.NsVeth, "up"},
	}
	if len(blocks) > 0 {
		// Through one gateway address: a directly connected route would put every node's
		// address in the host's neighbour table, which holds 1,024 entries for the whole
		// machine (gc_thresh3); past that, ARP fails for everyone's scenarios.
		steps = append(steps, []string{"-n", p.Netns, "addr", "add", gatewayAddress(p.N) + "/24", "dev", p.NsVeth})
		for _, b := range blocks {
			steps = append(steps, []string{"route", "add", b, "via", gatewayAddress(p.N), "dev", p.HostVeth})
		}
	}
	for _, s := range steps {
		if err := ipCmd(s...); err != nil {
			return err
		}
	}
	// One `ip` per address takes minutes at thousands of nodes; a batch takes a second.
	var batch strings.Builder
	for i, node := range nodes {
		addr := nodeAddress(p.N, i)
		p.Nodes[node.Name] = addr
		fmt.Fprintf(&batch, "addr add %s/24 dev %s\n", addr, p.NsVeth)
	}
	return ipBatch(p.Netns, batch.String())
}

// sweepNet kills whatever runs inside ksc-<n>, deletes the veth pair and the namespace, and
// removes the registry entry and the data dir it names. Every step tolerates "already gone".
func sweepNet(n int, e *registryEntry) {
	name := fmt.Sprintf("ksc-%d", n)
	if out, err := exec.Command("ip", "netns", "pids", name).Output(); err == nil {
		for _, f := range strings.Fields(string(out)) {
			if pid, err := strconv.Atoi(f); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	// Real nodes' containers live in pod network namespaces of their own: only their cgroups
	// find them.
	sweepCgroupsOf(n)
	releaseSysctls(n)
	_ = ipCmd("link", "del", name+"-h")
	// The namespace can be busy for a moment after its last process was killed.
	for i := 0; i < 20; i++ {
		err := ipCmd("netns", "del", name)
		if err == nil || !netnsExists(name) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if e != nil && strings.HasPrefix(e.DataDir, dataRoot+"/") {
		_ = os.RemoveAll(e.DataDir)
	}
	_ = os.Remove(registryPath(n))
}

func netnsExists(name string) bool {
	_, err := os.Stat(filepath.Join("/run/netns", name))
	return !errors.Is(err, os.ErrNotExist)
}
