package main

// `ksc-harness realnode --config FILE`: one real node, i.e. a containerd of its own and a real
// kubelet. The supervisor starts it as
//
//	nsenter --net=/run/netns/ksc-<n> unshare --mount --propagation private ksc-harness realnode ...
//
// so it shares the scenario's network namespace (its node address lives there) and has a mount
// namespace of its own: tmpfs over /var/lib, /var/log and /run keeps everything the kubelet and
// containerd write at fixed paths (/var/lib/kubelet/device-plugins, /run/containerd/s, CNI state,
// /var/log/containers) private to this node, so two real nodes coexist and nothing is left on
// the host. (`ip netns exec` would remount /sys and hide the cgroup hierarchies.) This process,
// containerd, the shims, the kubelet and every container run under the node's cgroup root, which
// teardown empties and removes.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

type realNodeConfig struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	// Index is the node's position among the scenario's real nodes: its bridge and pod subnet.
	Index        int             `json:"index"`
	Minor        int             `json:"minor"`
	Kubelet      string          `json:"kubelet"`
	Kubeconfig   string          `json:"kubeconfig"`
	CgroupRoot   string          `json:"cgroupRoot"`
	FeatureGates map[string]bool `json:"featureGates,omitempty"`
	Images       []string        `json:"images"`
	LogDir       string          `json:"logDir"`
	// StaticPods are manifests (file name -> YAML) for the kubelet's staticPodPath.
	StaticPods map[string]string `json:"staticPods,omitempty"`
}

func cmdRealNode(args []string) error {
	fs := flag.NewFlagSet("realnode", flag.ContinueOnError)
	config := fs.String("config", "", "the node's JSON config, written by `up`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	raw, err := os.ReadFile(*config)
	if err != nil {
		return err
	}
	var cfg realNodeConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return fmt.Errorf("%s: %w", *config, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer stop()
	n := &realNode{cfg: cfg}
	err = n.run(ctx)
	n.teardown()
	return err
}

type realNode struct {
	cfg                 realNodeConfig
	containerd, kubelet *child
}

func (n *realNode) run(ctx context.Context) error {
	// The supervisor already made the cgroup root; everything started from here inherits it.
	if err := makeCgroup(n.cfg.CgroupRoot + "/system"); err != nil {
		return err
	}
	if err := joinCgroup(n.cfg.CgroupRoot + "/system"); err != nil {
		return err
	}
	for _, dir := range []string{"/var/lib", "/var/log", "/run"} {
		if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "mode=0755"); err != nil {
			return fmt.Errorf("mount tmpfs on %s (is this a private mount namespace?): %w", dir, err)
		}
	}
	if err := n.writeContainerdConfig(); err != nil {
		return err
	}
	var err error
	n.containerd, err = startChild("containerd", filepath.Join(n.cfg.LogDir, "containerd-"+n.cfg.Name+".log"), nil,
		"containerd", "--config", "/var/lib/ksc/containerd.toml")
	if err != nil {
		return err
	}
	sock := "/run/containerd/containerd.sock"
	if err := pollUntil(ctx, n.containerd, 30*time.Second, func() error {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
		}
		return err
	}); err != nil {
		return fmt.Errorf("containerd: %w", err)
	}
	for _, img := range n.cfg.Images {
		if out, err := exec.CommandContext(ctx, "ctr", "-a", sock, "-n", "k8s.io", "images", "import", img).CombinedOutput(); err != nil {
			return fmt.Errorf("ctr images import %s: %v: %s", img, err, out)
		}
	}
	if err := n.writeKubeletConfig(); err != nil {
		return err
	}
	args := []string{n.cfg.Kubelet, "--config=/var/lib/ksc/kubelet.yaml", "--kubeconfig=" + n.cfg.Kubeconfig,
		"--hostname-override=" + n.cfg.Name, "--node-ip=" + n.cfg.Address, "--v=2"}
	n.kubelet, err = startChild("kubelet", filepath.Join(n.cfg.LogDir, "kubelet-"+n.cfg.Name+".log"), nil, args...)
	if err != nil {
		return err
	}
	fmt.Println("started")
	select {
	case <-ctx.Done():
		return nil
	case <-n.kubelet.done:
		return fmt.Errorf("kubelet %s exited; see %s", n.cfg.Name, n.cfg.LogDir)
	case <-n.containerd.done:
		return fmt.Errorf("containerd of %s exited; see %s", n.cfg.Name, n.cfg.LogDir)
	}
}

func (n *realNode) teardown() {
	// The kubelet first, so nothing restarts what the sweep kills; containerd does not stop its
	// containers when it exits, the sweep does.
	if n.kubelet != nil {
		n.kubelet.stop(5 * time.Second)
	}
	sweepCgroup(n.cfg.CgroupRoot+"/kubepods", os.Getpid())
	if n.containerd != nil {
		n.containerd.stop(5 * time.Second)
	}
	_ = joinCgroup("")
	sweepCgroup(n.cfg.CgroupRoot, os.Getpid())
	log.Printf("real node %s torn down", n.cfg.Name)
}

func (n *realNode) writeContainerdConfig() error {
	bridge := fmt.Sprintf("ksc-br%d", n.cfg.Index)
	subnet := fmt.Sprintf("10.200.%d.0/24", n.cfg.Index)
	files := map[string]string{
		"/var/lib/ksc/containerd.toml": `version = 2
oom_score = 0
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "` + pauseImage + `"
  restrict_oom_score_adj = true
  disable_apparmor = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "/var/lib/ksc/cni"
`,
		"/var/lib/ksc/cni/10-bridge.conflist": `{"cniVersion": "0.4.0", "name": "ksc-` + n.cfg.Name + `", "plugins": [
  {"type": "bridge", "bridge": "` + bridge + `", "isGateway": true, "ipMasq": false,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "` + subnet + `"}]], "dataDir": "/var/lib/ksc/ipam"}}]}
`,
		"/var/lib/ksc/cni/99-loopback.conf": `{"cniVersion": "0.4.0", "name": "lo", "type": "loopback"}
`,
	}
	return writeFiles(files)
}

func (n *realNode) writeKubeletConfig() error {
	gates := ""
	keys := make([]string, 0, len(n.cfg.FeatureGates))
	for k := range n.cfg.FeatureGates {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		gates += fmt.Sprintf("  %s: %t\n", k, n.cfg.FeatureGates[k])
	}
	if gates != "" {
		gates = "featureGates:\n" + gates
	}
	cfg := `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ` + n.cfg.Address + `
port: 10250
readOnlyPort: 0
healthzBindAddress: ` + n.cfg.Address + `
healthzPort: 10248
cgroupDriver: cgroupfs
cgroupRoot: /` + n.cfg.CgroupRoot + `
failSwapOn: false
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 1Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
staticPodPath: /var/lib/kubelet/manifests
resolvConf: /etc/resolv.conf
syncFrequency: 10s
` + gates
	// failCgroupV1 exists from 1.31 and must be false from 1.35 on this cgroup v1 machine.
	if n.cfg.Minor >= 31 {
		cfg += "failCgroupV1: false\n"
	}
	files := map[string]string{"/var/lib/ksc/kubelet.yaml": cfg, "/var/lib/kubelet/manifests/.keep": ""}
	for name, manifest := range n.cfg.StaticPods {
		files[filepath.Join("/var/lib/kubelet/manifests", name)] = manifest
	}
	return writeFiles(files)
}

func writeFiles(files map[string]string) error {
	for path, content := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// realNodeName is the cgroup root of a real node: unique per scenario network and node.
func realNodeCgroup(netN int, node string) string {
	return fmt.Sprintf("ksc-%d-%s", netN, strings.ReplaceAll(node, "/", "_"))
}
