package main

// The supervisor's side of real nodes (`runtime: real`) and real controllers: building the
// kubelets and images, the apiserver forwarder the kubelets reach, starting `ksc-harness
// realnode` per node inside the scenario's network namespace, waiting for the Nodes the kubelets
// register, and kube-controller-manager / kube-scheduler.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// apiForwardPort is where real kubelets reach the apiserver: 10.77.<n>.1, the host side of the
// scenario's veth (the apiserver itself listens on 127.0.0.1 only).
const apiForwardPort = 6443

func (n *NodeSpec) real() bool { return n.Runtime == "real" }

func (s *supervisor) realNodes() []NodeSpec {
	var out []NodeSpec
	for _, n := range s.scenario.Nodes {
		if n.real() {
			out = append(out, n)
		}
	}
	return out
}

func cacheDir() string {
	if c := os.Getenv("KSC_CACHE"); c != "" {
		return c
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		base = filepath.Join(os.Getenv("HOME"), ".cache")
	}
	return filepath.Join(base, "kubectl-sidecar")
}

// checkRealNodeTools names the Debian packages a real node needs, all at once.
func checkRealNodeTools() error {
	var missing []string
	for bin, pkg := range map[string]string{"containerd": "containerd", "ctr": "containerd", "runc": "runc",
		"nsenter": "util-linux", "unshare": "util-linux", "iptables": "iptables", "cc": "gcc"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin+" ("+pkg+")")
		}
	}
	for _, f := range []string{"/usr/lib/cni/bridge", "/usr/lib/cni/host-local", "/usr/lib/cni/loopback"} {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, f+" (containernetworking-plugins)")
		}
	}
	if _, err := os.Stat("/bin/busybox"); err != nil {
		missing = append(missing, "/bin/busybox (busybox-static)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("real nodes need: %s", strings.Join(missing, ", "))
	}
	return nil
}

// startRealNodes brings up every `runtime: real` node and waits until the apiserver sees each
// Node Ready.
func (s *supervisor) startRealNodes(ctx context.Context) error {
	nodes := s.realNodes()
	if len(nodes) == 0 {
		return nil
	}
	if err := checkRealNodeTools(); err != nil {
		return err
	}
	images, err := buildImages(cacheDir())
	if err != nil {
		return err
	}
	kubelets := map[string]string{}
	for _, n := range nodes {
		if _, ok := kubelets[n.KubeletVersion]; ok {
			continue
		}
		dir, err := buildK8s(ctx, s.scenarioPath, n.KubeletVersion, "kubelet")
		if err != nil {
			return err
		}
		kubelets[n.KubeletVersion] = filepath.Join(dir, "kubelet")
	}
	if err := s.startAPIForwarder(ctx); err != nil {
		return err
	}
	if err := holdSysctls(s.net.N); err != nil {
		return fmt.Errorf("saving the sysctls a kubelet changes: %w", err)
	}
	server := fmt.Sprintf("https://%s:%d", s.net.HostAddr, apiForwardPort)
	static, staticImages, err := s.staticPods(ctx, server)
	if err != nil {
		return err
	}
	for i, n := range nodes {
		cg := realNodeCgroup(s.net.N, n.Name)
		if err := makeCgroup(cg); err != nil {
			return fmt.Errorf("node %s: cgroup %s: %w", n.Name, cg, err)
		}
		s.setEnv(func(e *envFile) {
			if e.RealNodes == nil {
				e.RealNodes = map[string]string{}
			}
			e.RealNodes[n.Name] = cg
		})
		kubeconfig := filepath.Join(s.dir, "kubelet-"+n.Name+".kubeconfig")
		if err := writeKubeconfig(kubeconfig, s.net.Netns, server, s.authority.certPEM, "system:node:"+n.Name, s.files.nodeTokens[n.Name]); err != nil {
			return err
		}
		cfg := realNodeConfig{Name: n.Name, Address: s.net.Nodes[n.Name], Index: i + 1, Minor: must(minorOf(n.KubeletVersion)),
			Kubelet: kubelets[n.KubeletVersion], Kubeconfig: kubeconfig, CgroupRoot: cg, FeatureGates: n.FeatureGates,
			Images: []string{images.Pause, images.Tools}, LogDir: s.logDir}
		if i == 0 {
			cfg.StaticPods = static
			cfg.Images = append(cfg.Images, staticImages...)
		}
		raw, _ := json.MarshalIndent(cfg, "", "  ")
		path := filepath.Join(s.dir, "realnode-"+n.Name+".json")
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			return err
		}
		c, err := s.spawn("realnode-"+n.Name, nil, "nsenter", "--net=/run/netns/"+s.net.Netns, "--",
			"unshare", "--mount", "--propagation", "private", "--", s.self, "realnode", "--config", path)
		if err != nil {
			return err
		}
		if _, err := c.waitLine(ctx, "started", 90*time.Second); err != nil {
			return fmt.Errorf("real node %s: %w; %s", n.Name, err, tailFile(filepath.Join(s.logDir, "realnode-"+n.Name+".log"), 10))
		}
		log.Printf("real node %s: kubelet %s started", n.Name, n.KubeletVersion)
	}
	for _, n := range nodes {
		start := time.Now()
		err := pollUntil(ctx, nil, 120*time.Second, func() error {
			node, err := s.api.typed.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			for _, c := range node.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					return nil
				}
			}
			return fmt.Errorf("node %s not Ready yet", n.Name)
		})
		if err == nil {
			// The Node can be Ready before the kubelet's server listens: a node proxy request
			// then gets 503 "connection refused".
			addr := net.JoinHostPort(s.net.Nodes[n.Name], "10250")
			err = pollUntil(ctx, nil, 60*time.Second, func() error {
				c, err := net.DialTimeout("tcp", addr, time.Second)
				if err == nil {
					c.Close()
				}
				return err
			})
		}
		if err != nil {
			return fmt.Errorf("real node %s: %w; kubelet log:\n%s", n.Name, err, tailFile(filepath.Join(s.logDir, "kubelet-"+n.Name+".log"), 15))
		}
		log.Printf("real node %s Ready and serving after %.1fs", n.Name, time.Since(start).Seconds())
	}
	return nil
}

// startAPIForwarder relays 10.77.<n>.1:6443 to the apiserver's loopback port. It follows the
// port s.apiPort names at each connection, so an apiserver restart keeps it working.
func (s *supervisor) startAPIForwarder(ctx context.Context) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(s.net.HostAddr, strconv.Itoa(apiForwardPort)))
	if err != nil {
		return fmt.Errorf("apiserver forwarder: %w", err)
	}
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer in.Close()
				out, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.apiPort)))
				if err != nil {
					return
				}
				defer out.Close()
				var wg sync.WaitGroup
				wg.Add(2)
				go func() { defer wg.Done(); _, _ = io.Copy(out, in); _ = out.(*net.TCPConn).CloseWrite() }()
				go func() { defer wg.Done(); _, _ = io.Copy(in, out); _ = in.(*net.TCPConn).CloseWrite() }()
				wg.Wait()
			}()
		}
	}()
	return nil
}

// startControllers runs the real kube-controller-manager and kube-scheduler the scenario asks
// for, at the apiserver's version, against the admin kubeconfig.
func (s *supervisor) startControllers(ctx context.Context) error {
	sc := s.scenario
	type component struct {
		name  string
		on    bool
		gates map[string]bool
		flags []string
	}
	admin := filepath.Join(s.dir, "admin.kubeconfig")
	for _, c := range []component{
		{"kube-controller-manager", sc.ControllerManager != nil, nil, controllerFlags["kube-controller-manager"]},
		{"kube-scheduler", sc.Scheduler != nil, nil, nil},
	} {
		if !c.on {
			continue
		}
		spec := sc.ControllerManager
		if c.name == "kube-scheduler" {
			spec = sc.Scheduler
		}
		if spec.StaticPods {
			if err := s.waitMirrorPod(ctx, c.name); err != nil {
				return err
			}
			continue
		}
		version := spec.Version
		if version == "" {
			version = sc.APIServer.Version
		}
		dir, err := buildK8s(ctx, s.scenarioPath, version, c.name)
		if err != nil {
			return err
		}
		args := append([]string{filepath.Join(dir, c.name), "--kubeconfig=" + admin, "--leader-elect=false",
			"--secure-port=0", "--v=2"}, c.flags...)
		if len(spec.FeatureGates) > 0 {
			args = append(args, "--feature-gates="+featureGateFlag(spec.FeatureGates))
		}
		if _, err := s.spawn(c.name, cleanEnv(), args...); err != nil {
			return err
		}
		log.Printf("%s %s started", c.name, version)
	}
	return nil
}

// controllerFlags are the flags both ways of running kube-controller-manager share: no node
// lifecycle controller (fake nodes never renew their heartbeats and would be tainted and
// emptied), no service-account controllers (the ServiceAccount admission is off).
var controllerFlags = map[string][]string{
	"kube-controller-manager": {"--controllers=job,cronjob,replicaset,deployment,garbagecollector,ttl-after-finished"},
}

// staticPods builds, for each component with `staticPods: true`, an image named as kubeadm's
// (registry.k8s.io/<component>:<version>) holding the real binary, and its static pod manifest:
// host network (the node's address reaches the apiserver forwarder), the admin token in a
// kubeconfig mounted from the scenario's directory, the same flags as the process form.
func (s *supervisor) staticPods(ctx context.Context, server string) (map[string]string, []string, error) {
	manifests := map[string]string{}
	var images []string
	sc := s.scenario
	for _, c := range []struct {
		name string
		spec *ComponentSpec
	}{{"kube-controller-manager", sc.ControllerManager}, {"kube-scheduler", sc.Scheduler}} {
		if c.spec == nil || !c.spec.StaticPods {
			continue
		}
		version := c.spec.Version
		if version == "" {
			version = sc.APIServer.Version
		}
		dir, err := buildK8s(ctx, s.scenarioPath, version, c.name)
		if err != nil {
			return nil, nil, err
		}
		image, archive, err := buildComponentImage(cacheDir(), c.name, version, filepath.Join(dir, c.name))
		if err != nil {
			return nil, nil, err
		}
		images = append(images, archive)
		confDir := filepath.Join(s.dir, "static-"+c.name)
		if err := os.MkdirAll(confDir, 0o755); err != nil {
			return nil, nil, err
		}
		if err := writeKubeconfig(filepath.Join(confDir, "kubeconfig"), s.net.Netns, server, s.authority.certPEM, adminUser, s.files.adminToken); err != nil {
			return nil, nil, err
		}
		command := []string{"/usr/local/bin/" + c.name, "--kubeconfig=/etc/ksc/kubeconfig", "--leader-elect=false", "--secure-port=0", "--v=2"}
		command = append(command, controllerFlags[c.name]...)
		if len(c.spec.FeatureGates) > 0 {
			command = append(command, "--feature-gates="+featureGateFlag(c.spec.FeatureGates))
		}
		quoted := make([]string, len(command))
		for i, a := range command {
			quoted[i] = strconv.Quote(a)
		}
		manifests[c.name+".yaml"] = fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %[1]s
  namespace: kube-system
  labels: {component: %[1]s, tier: control-plane}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
    - name: %[1]s
      image: %[2]s
      imagePullPolicy: Never
      command: [%[3]s]
      volumeMounts: [{name: kubeconfig, mountPath: /etc/ksc, readOnly: true}]
  volumes:
    - {name: kubeconfig, hostPath: {path: %[4]q, type: Directory}}
`, c.name, image, strings.Join(quoted, ", "), confDir)
	}
	return manifests, images, nil
}

// waitMirrorPod waits until the mirror pod of a static component runs: `<component>-<node>` in
// kube-system, its container running.
func (s *supervisor) waitMirrorPod(ctx context.Context, component string) error {
	nodes := s.realNodes()
	name := component + "-" + nodes[0].Name
	start := time.Now()
	err := pollUntil(ctx, nil, 120*time.Second, func() error {
		pod, err := s.api.typed.CoreV1().Pods("kube-system").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, st := range pod.Status.ContainerStatuses {
			if st.State.Running != nil {
				return nil
			}
		}
		return fmt.Errorf("mirror pod %s not running yet (phase %s)", name, pod.Status.Phase)
	})
	if err != nil {
		return fmt.Errorf("%s as a static pod: %w; kubelet log:\n%s", component, err, tailFile(filepath.Join(s.logDir, "kubelet-"+nodes[0].Name+".log"), 15))
	}
	log.Printf("%s runs as static pod %s (mirror pod running after %.1fs)", component, name, time.Since(start).Seconds())
	return nil
}
