package main

// `ksc-harness up`: brings a scenario up and stays in the foreground as its supervisor. It
// tears everything down on SIGTERM/SIGINT/SIGHUP or when its stdin reaches EOF, so a test
// process that dies (and with it the pipe to our stdin) cannot leak a cluster.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

const dataRoot = "/dev/shm/ksc-harness"

// envFile is DIR/env.json: everything a test or a human needs to reach the scenario, and
// everything `down` needs to remove it.
type envFile struct {
	// State: starting | ready | failed | stopping | down.
	State                 string            `json:"state"`
	Error                 string            `json:"error,omitempty"`
	Scenario              string            `json:"scenario"`
	Version               string            `json:"version"`
	APIServerURL          string            `json:"apiserverURL,omitempty"`
	APIServerStartSeconds float64           `json:"apiserverStartSeconds,omitempty"`
	AdminKubeconfig       string            `json:"adminKubeconfig,omitempty"`
	RestrictedKubeconfig  string            `json:"restrictedKubeconfig,omitempty"`
	CAFile                string            `json:"caFile,omitempty"`
	Nodes                 map[string]string `json:"nodes"`
	KubeletPorts          map[string]int    `json:"kubeletPorts"`
	NetN                  int               `json:"netN,omitempty"`
	Netns                 string            `json:"netns,omitempty"`
	HostVeth              string            `json:"hostVeth,omitempty"`
	HostAddress           string            `json:"hostAddress,omitempty"`
	Webhooks              map[string]string `json:"webhooks"`
	DataDir               string            `json:"dataDir"`
	LogDir                string            `json:"logDir"`
	Harness               string            `json:"harness"`
	K8sBin                string            `json:"k8sBin,omitempty"`
	Pids                  map[string]int    `json:"pids"`
	// RealNodes maps each real node to its cgroup root (under every /sys/fs/cgroup hierarchy).
	RealNodes map[string]string `json:"realNodes,omitempty"`
	// ControlURL is the control endpoint (fault proxies, apiserver stop/start).
	ControlURL string `json:"controlURL,omitempty"`
	// FaultyKubeconfig (admin token) points at the fault proxy "default", FaultProxyURL.
	FaultyKubeconfig string `json:"faultyKubeconfig,omitempty"`
	FaultProxyURL    string `json:"faultProxyURL,omitempty"`
}

type supervisor struct {
	dir, logDir, dataDir, scenarioPath, self, k8sBin string
	etcdURL                                          string
	scenario                                         *Scenario
	net                                              *netPlan
	api                                              *clients
	files                                            *apiserverFiles
	authority                                        *ca
	apiPort                                          int
	faults                                           *faultProxies

	mu       sync.Mutex
	children []*child
	env      envFile
}

func envPath(dir string) string { return filepath.Join(dir, "env.json") }

func readEnv(dir string) (*envFile, error) {
	raw, err := os.ReadFile(envPath(dir))
	if err != nil {
		return nil, err
	}
	var e envFile
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("%s: %w", envPath(dir), err)
	}
	return &e, nil
}

// setEnv applies f to env.json and rewrites it atomically, so readers never see half a file.
func (s *supervisor) setEnv(f func(*envFile)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.env)
	raw, _ := json.MarshalIndent(&s.env, "", "  ")
	tmp := envPath(s.dir) + ".tmp"
	if err := os.WriteFile(tmp, append(raw, '\n'), 0o644); err == nil {
		_ = os.Rename(tmp, envPath(s.dir))
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func (s *supervisor) spawn(name string, env []string, argv ...string) (*child, error) {
	c, err := startChild(name, filepath.Join(s.logDir, unsafeName.ReplaceAllString(name, "_")+".log"), env, argv...)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.children = append(s.children, c)
	s.mu.Unlock()
	s.setEnv(func(e *envFile) { e.Pids[name] = c.pid() })
	return c, nil
}

func (s *supervisor) legacyWebhookBin(name string) string {
	return filepath.Join(filepath.Dir(s.self), name)
}

func cmdUp(args []string) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory for env.json, kubeconfigs, certificates and logs (required)")
	detach := fs.Bool("detach", false, "run the supervisor in the background; print the kubeconfig paths once ready and exit")
	k8sBin := fs.String("k8s-bin", os.Getenv("KSC_K8S_BIN"), "directory holding kube-apiserver and etcd (default: run tests/controlplane/build-k8s.sh for the scenario's version)")
	supervised := fs.Bool("supervised", false, "internal: the background half of --detach (stdin EOF does not stop it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() != 1 {
		return fmt.Errorf("usage: ksc-harness up [--detach] [--k8s-bin DIR] --dir DIR SCENARIO.yaml")
	}
	absDir, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	scenarioPath, err := filepath.Abs(fs.Arg(0))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(absDir, 0o755); err != nil {
		return err
	}
	if e, err := readEnv(absDir); err == nil && e.State != "down" && e.State != "failed" && isHarness(e.Pids["supervisor"]) && e.Pids["supervisor"] != os.Getpid() {
		return fmt.Errorf("%s already has a running scenario (supervisor pid %d); run `ksc-harness down --dir %s` first", absDir, e.Pids["supervisor"], absDir)
	}
	if *detach {
		return detachUp(absDir, scenarioPath, *k8sBin)
	}
	return runSupervisor(absDir, scenarioPath, *k8sBin, !*supervised)
}

func runSupervisor(dir, scenarioPath, k8sBin string, watchStdin bool) error {
	// A test that dies closes our stdout pipe too; write errors must not kill us mid-teardown.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			log.Printf("stdin reached EOF: tearing down")
			cancel()
		}()
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	s := &supervisor{dir: dir, logDir: filepath.Join(dir, "logs"), scenarioPath: scenarioPath, self: self,
		dataDir: filepath.Join(dataRoot, fmt.Sprintf("%d", os.Getpid()))}
	s.env = envFile{State: "starting", Scenario: scenarioPath, Nodes: map[string]string{}, KubeletPorts: map[string]int{},
		Webhooks: map[string]string{}, Pids: map[string]int{"supervisor": os.Getpid()}, DataDir: s.dataDir, LogDir: s.logDir, Harness: self}
	// Logs of an earlier run in the same DIR would only mislead.
	_ = os.RemoveAll(s.logDir)
	if err := os.MkdirAll(s.logDir, 0o755); err != nil {
		return err
	}
	s.setEnv(func(*envFile) {})

	upErr := s.bringUp(ctx, k8sBin)
	if upErr == nil {
		s.setEnv(func(e *envFile) { e.State = "ready" })
		fmt.Println("ready")
		log.Printf("ready: %s", envPath(dir))
		s.watchChildren(ctx)
		<-ctx.Done()
	} else {
		log.Printf("up failed: %v", upErr)
		s.setEnv(func(e *envFile) { e.State, e.Error = "failed", upErr.Error() })
	}
	if s.faults != nil {
		s.faults.close()
	}
	s.teardown()
	if upErr != nil && ctx.Err() == nil {
		return upErr
	}
	return nil
}

// watchChildren logs any child that dies while the scenario is up; tests then fail on their
// own, with the child's log in DIR/logs to say why.
func (s *supervisor) watchChildren(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.children {
		s.watchChild(ctx, c)
	}
}

func (s *supervisor) watchChild(ctx context.Context, c *child) {
	go func() {
		select {
		case <-c.done:
			if ctx.Err() == nil && !c.stopping.Load() {
				log.Printf("%s exited unexpectedly (pid %d); see %s", c.name, c.pid(), s.logDir)
			}
		case <-ctx.Done():
		}
	}()
}

func (s *supervisor) bringUp(ctx context.Context, k8sBin string) error {
	sc, err := loadScenario(s.scenarioPath)
	if err != nil {
		return err
	}
	s.scenario = sc
	if k8sBin == "" {
		if k8sBin, err = buildK8s(ctx, s.scenarioPath, sc.APIServer.Version); err != nil {
			return err
		}
	}
	s.k8sBin = k8sBin
	s.setEnv(func(e *envFile) { e.Version, e.K8sBin = sc.APIServer.Version, k8sBin })
	for _, b := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(k8sBin, b)); err != nil {
			return fmt.Errorf("%s: %w (build it with tests/controlplane/build-k8s.sh %s)", b, err, sc.APIServer.Version)
		}
	}
	if err := os.MkdirAll(s.dataDir, 0o700); err != nil {
		return err
	}

	net, err := allocateNet(sc.Nodes, s.dir, s.dataDir)
	if err != nil {
		return err
	}
	s.net = net
	s.setEnv(func(e *envFile) {
		e.NetN, e.Netns, e.HostVeth, e.HostAddress = net.N, net.Netns, net.HostVeth, net.HostAddr
		for _, n := range sc.Nodes {
			e.Nodes[n.Name] = net.Nodes[n.Name]
			e.KubeletPorts[n.Name] = n.KubeletPort
		}
	})
	log.Printf("network namespace %s, host address %s", net.Netns, net.HostAddr)

	authority, err := newCA(fmt.Sprintf("ksc-harness %s CA", net.Netns))
	if err != nil {
		return err
	}
	files, err := s.writeAPIServerFiles(authority)
	if err != nil {
		return err
	}
	s.files, s.authority = files, authority
	if err := s.startKubelets(ctx, authority); err != nil {
		return err
	}

	if s.etcdURL, err = s.startEtcd(ctx); err != nil {
		return err
	}
	url, took, err := s.startAPIServer(ctx, s.etcdURL, files)
	if err != nil {
		return err
	}
	fmt.Printf("apiserver-start-seconds: %.1f\n", took.Seconds())
	log.Printf("kube-apiserver %s ready at %s after %.1fs", sc.APIServer.Version, url, took.Seconds())

	admin, restricted := filepath.Join(s.dir, "admin.kubeconfig"), filepath.Join(s.dir, "restricted.kubeconfig")
	if err := writeKubeconfig(admin, net.Netns, url, authority.certPEM, adminUser, files.adminToken); err != nil {
		return err
	}
	if err := writeKubeconfig(restricted, net.Netns, url, authority.certPEM, restrictedUser, files.restrictedToken); err != nil {
		return err
	}
	s.setEnv(func(e *envFile) {
		e.APIServerURL, e.APIServerStartSeconds = url, took.Seconds()
		e.AdminKubeconfig, e.RestrictedKubeconfig, e.CAFile = admin, restricted, files.caFile
	})
	fmt.Printf("admin-kubeconfig: %s\nrestricted-kubeconfig: %s\n", admin, restricted)
	if err := s.startFaultProxy(ctx, url); err != nil {
		return fmt.Errorf("fault proxy: %w", err)
	}

	if s.api, err = newClients(url, authority.certPEM, files.adminToken); err != nil {
		return err
	}
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"rbac", s.createRBAC},
		{"namespaces", s.createNamespaces},
		{"nodes", s.createNodes},
		{"real nodes", s.startRealNodes},
		{"controllers", s.startControllers},
		{"webhooks", func(ctx context.Context) error { return s.registerWebhooks(ctx, authority) }},
		{"objects", s.createObjects},
		{"generated workloads", s.generateWorkloads},
	}
	for _, st := range steps {
		t := time.Now()
		if err := st.run(ctx); err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
		log.Printf("%s done in %.1fs", st.name, time.Since(t).Seconds())
	}
	return nil
}

// startKubelets runs all fake kubelets in one process inside the namespace.
func (s *supervisor) startKubelets(ctx context.Context, authority *ca) error {
	if len(s.scenario.Nodes) == 0 {
		return nil
	}
	var ips, names []string
	var fake []NodeSpec
	for _, n := range s.scenario.Nodes {
		if !n.real() {
			fake = append(fake, n)
		}
	}
	if len(fake) == 0 {
		return nil
	}
	for _, n := range fake {
		ips = append(ips, s.net.Nodes[n.Name])
		names = append(names, n.Name)
	}
	perNode := len(ips) > firstBlockNodes
	if perNode {
		ips, names = nil, nil // each node gets its own below; one cert naming thousands is no kubelet's
		if err := os.MkdirAll(filepath.Join(s.dir, "pki", "kubelets"), 0o755); err != nil {
			return err
		}
	}
	cert, key, err := authority.issueServing(filepath.Join(s.dir, "pki"), "kubelets", ips, names)
	if err != nil {
		return err
	}
	latency := s.scenario.KubeletLatency
	if latency == "" {
		latency = "0s"
	}
	if err := os.WriteFile(latencyFile(s.dir), []byte(latency+"\n"), 0o644); err != nil {
		return err
	}
	cfg := kubeletsConfig{CertFile: cert, KeyFile: key, APIServerHost: s.net.HostAddr + ":6443", LatencyFile: latencyFile(s.dir),
		StatsFile: filepath.Join(s.dir, "kubelet-stats.json")}
	for _, n := range fake {
		side := sidecarSeriesFor(must(minorOf(n.KubeletVersion)))
		if n.Metrics.SidecarContainers != nil {
			side = *n.Metrics.SidecarContainers
		}
		kn := kubeletNode{Name: n.Name, Address: s.net.Nodes[n.Name], Port: n.KubeletPort,
			Version: n.KubeletVersion, Mode: n.Metrics.Mode, Status: n.Metrics.Status,
			SidecarAbsent: side.Absent, SidecarEnabled: side.Enabled, SidecarStage: side.Stage}
		if perNode {
			if kn.CertFile, kn.KeyFile, err = authority.issueServing(filepath.Join(s.dir, "pki", "kubelets"), n.Name, []string{kn.Address}, []string{n.Name}); err != nil {
				return err
			}
		}
		cfg.Nodes = append(cfg.Nodes, kn)
	}
	raw, _ := json.MarshalIndent(cfg, "", "  ")
	path := filepath.Join(s.dir, "kubelets.json")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		return err
	}
	c, err := s.spawn("kubelets", nil, "ip", "netns", "exec", s.net.Netns, s.self, "kubelets", "--config", path)
	if err != nil {
		return err
	}
	// Each kubelet renders its ~260 KB of metrics before "ready": 200 of them on a loaded
	// two-core machine take longer than a fixed 30s.
	_, err = c.waitLine(ctx, "ready", 30*time.Second+time.Duration(len(cfg.Nodes))*500*time.Millisecond)
	return err
}

func must(v int, _ bool) int { return v }

// startFaultProxy starts the control endpoint and the pass-through fault proxy "default", and
// writes DIR/faulty.kubeconfig (admin token) pointing at it.
func (s *supervisor) startFaultProxy(ctx context.Context, apiURL string) error {
	cert, key, err := s.authority.issueServing(filepath.Join(s.dir, "pki"), "faultproxy", []string{"127.0.0.1"}, []string{"localhost"})
	if err != nil {
		return err
	}
	if s.faults, err = newFaultProxies(apiURL, s.authority.certPEM, cert, key); err != nil {
		return err
	}
	control, err := s.startControl(ctx)
	if err != nil {
		return err
	}
	proxyURL, err := s.faults.set("default", nil)
	if err != nil {
		return err
	}
	faulty := filepath.Join(s.dir, "faulty.kubeconfig")
	if err := writeKubeconfig(faulty, s.net.Netns+"-default", proxyURL, s.authority.certPEM, adminUser, s.files.adminToken); err != nil {
		return err
	}
	s.setEnv(func(e *envFile) { e.ControlURL, e.FaultyKubeconfig, e.FaultProxyURL = control, faulty, proxyURL })
	fmt.Printf("faulty-kubeconfig: %s\n", faulty)
	return nil
}

// teardown stops children newest first, then removes the network and the data dir. It must
// work from any point of bringUp.
func (s *supervisor) teardown() {
	s.setEnv(func(e *envFile) { e.State = "stopping" })
	s.mu.Lock()
	children := append([]*child(nil), s.children...)
	s.mu.Unlock()
	var wg sync.WaitGroup
	for i := len(children) - 1; i >= 0; i-- {
		c := children[i]
		if c.name == "etcd" {
			continue // last, once the apiserver no longer writes to it
		}
		wg.Add(1)
		go func() { defer wg.Done(); c.stop(10 * time.Second) }()
	}
	wg.Wait()
	for _, c := range children {
		c.stop(5 * time.Second)
	}
	if s.net != nil {
		sweepNet(s.net.N, &registryEntry{DataDir: s.dataDir})
	}
	_ = os.RemoveAll(s.dataDir)
	s.setEnv(func(e *envFile) {
		e.State = "down"
		e.Pids = map[string]int{}
	})
	log.Printf("torn down")
}

// buildK8s runs tests/controlplane/build-k8s.sh (found above the scenario file, else above the
// working directory) and returns the directory it prints.
func buildK8s(ctx context.Context, scenarioPath, version string, components ...string) (string, error) {
	script := ""
	starts := []string{filepath.Dir(scenarioPath)}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, start := range starts {
		for d := start; script == ""; d = filepath.Dir(d) {
			cand := filepath.Join(d, "tests", "controlplane", "build-k8s.sh")
			if _, err := os.Stat(cand); err == nil {
				script = cand
			}
			if d == filepath.Dir(d) {
				break
			}
		}
	}
	if script == "" {
		return "", fmt.Errorf("no tests/controlplane/build-k8s.sh above %s or the working directory: pass --k8s-bin", scenarioPath)
	}
	log.Printf("running %s %s %s", script, version, strings.Join(components, " "))
	cmd := exec.CommandContext(ctx, "bash", append([]string{script, version}, components...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", script, version, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1]), nil
}

// detachUp starts the supervisor in its own session, waits for it to report ready in env.json
// and prints the same lines a foreground `up` prints.
func detachUp(dir, scenarioPath, k8sBin string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	_ = os.Remove(envPath(dir))
	logPath := filepath.Join(dir, "harness.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	args := []string{"up", "--supervised", "--dir", dir}
	if k8sBin != "" {
		args = append(args, "--k8s-bin", k8sBin)
	}
	cmd := exec.Command(self, append(args, scenarioPath)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(40 * time.Minute) // a cold Kubernetes build can be part of it
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("the supervisor exited before ready; %s:\n%s", logPath, tailFile(logPath, 20))
		case <-time.After(200 * time.Millisecond):
		}
		e, err := readEnv(dir)
		if err != nil {
			continue
		}
		switch e.State {
		case "ready":
			fmt.Printf("admin-kubeconfig: %s\nrestricted-kubeconfig: %s\nfaulty-kubeconfig: %s\napiserver-start-seconds: %.1f\nsupervisor-pid: %d\nready\n",
				e.AdminKubeconfig, e.RestrictedKubeconfig, e.FaultyKubeconfig, e.APIServerStartSeconds, cmd.Process.Pid)
			return nil
		case "failed", "down":
			return fmt.Errorf("up failed: %s; %s:\n%s", e.Error, logPath, tailFile(logPath, 20))
		}
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	return errors.New("the supervisor was not ready after 40 minutes; sent it SIGTERM")
}
