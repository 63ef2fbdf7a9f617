package main

// etcd and kube-apiserver, started from the binaries tests/controlplane/build-k8s.sh caches.

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// freePort asks the kernel for a free loopback port. Another process may take it before our
// child binds it; callers retry with fresh ports when a child exits early.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func randomToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b)
}

// pollUntil calls check every 100ms until it returns nil, the child exits, or timeout.
func pollUntil(ctx context.Context, c *child, timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		if last = check(); last == nil {
			return nil
		}
		if c != nil && c.exited() {
			return fmt.Errorf("%s exited (see its log): last check: %v", c.name, last)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s: %v", timeout, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *supervisor) startEtcd(ctx context.Context) (string, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		cport, err := freePort()
		if err != nil {
			return "", err
		}
		pport, err := freePort()
		if err != nil {
			return "", err
		}
		client := fmt.Sprintf("http://127.0.0.1:%d", cport)
		peer := fmt.Sprintf("http://127.0.0.1:%d", pport)
		dataDir := filepath.Join(s.dataDir, "etcd")
		_ = os.RemoveAll(dataDir)
		c, err := s.spawn("etcd", nil,
			filepath.Join(s.k8sBin, "etcd"),
			"--name=ksc", "--data-dir="+dataDir,
			"--listen-client-urls="+client, "--advertise-client-urls="+client,
			"--listen-peer-urls="+peer, "--initial-advertise-peer-urls="+peer,
			"--initial-cluster=ksc="+peer, "--initial-cluster-state=new",
			"--unsafe-no-fsync", "--log-level=warn", "--quota-backend-bytes=2147483648")
		if err != nil {
			return "", err
		}
		hc := &http.Client{Timeout: 2 * time.Second}
		err = pollUntil(ctx, c, 60*time.Second, func() error {
			resp, err := hc.Get(client + "/health")
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if !strings.Contains(string(body), `"health":"true"`) {
				return fmt.Errorf("etcd /health: %s", body)
			}
			return nil
		})
		if err == nil {
			return client, nil
		}
		lastErr = err
		c.stop(5 * time.Second)
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
	}
	return "", fmt.Errorf("etcd: %w", lastErr)
}

type apiserverFiles struct {
	caFile, certFile, keyFile, saKey, saPub, tokens string
	adminToken, restrictedToken                     string
	// nodeTokens authenticate real kubelets (system:masters: there is no Node authorizer here).
	nodeTokens map[string]string
}

func (s *supervisor) writeAPIServerFiles(authority *ca) (*apiserverFiles, error) {
	pki := filepath.Join(s.dir, "pki")
	if err := os.MkdirAll(pki, 0o700); err != nil {
		return nil, err
	}
	f := &apiserverFiles{caFile: filepath.Join(pki, "ca.crt"), tokens: filepath.Join(pki, "tokens.csv")}
	if err := os.WriteFile(f.caFile, authority.certPEM, 0o644); err != nil {
		return nil, err
	}
	var err error
	f.certFile, f.keyFile, err = authority.issueServing(pki, "apiserver",
		[]string{"127.0.0.1", s.net.HostAddr, "10.0.0.1"},
		[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"})
	if err != nil {
		return nil, err
	}
	if f.saKey, f.saPub, err = writeServiceAccountKeys(pki); err != nil {
		return nil, err
	}
	f.adminToken, f.restrictedToken = randomToken(), randomToken()
	csv := fmt.Sprintf("%s,%s,%s,\"system:masters\"\n%s,%s,%s\n",
		f.adminToken, adminUser, "uid-"+adminUser, f.restrictedToken, restrictedUser, "uid-"+restrictedUser)
	f.nodeTokens = map[string]string{}
	for _, n := range s.scenario.Nodes {
		if n.real() {
			f.nodeTokens[n.Name] = randomToken()
			csv += fmt.Sprintf("%s,system:node:%s,uid-node-%s,\"system:nodes,system:masters\"\n", f.nodeTokens[n.Name], n.Name, n.Name)
		}
	}
	if err := os.WriteFile(f.tokens, []byte(csv), 0o600); err != nil {
		return nil, err
	}
	return f, nil
}

const (
	adminUser      = "ksc-admin"
	restrictedUser = "ksc-restricted"
)

// startAPIServer starts kube-apiserver and waits for /readyz; it returns the URL and how long
// the apiserver took from exec to ready.
func (s *supervisor) startAPIServer(ctx context.Context, etcdURL string, f *apiserverFiles) (string, time.Duration, error) {
	return s.startAPIServerOn(ctx, etcdURL, f, 0)
}

// startAPIServerOn is startAPIServer on a given port (a restart keeps the kubeconfigs valid), or
// on a free one when fixedPort is 0; it records the port in s.apiPort.
func (s *supervisor) startAPIServerOn(ctx context.Context, etcdURL string, f *apiserverFiles, fixedPort int) (string, time.Duration, error) {
	spec := s.scenario.APIServer
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port := fixedPort
		if port == 0 {
			var err error
			if port, err = freePort(); err != nil {
				return "", 0, err
			}
		}
		args := []string{
			filepath.Join(s.k8sBin, "kube-apiserver"),
			"--etcd-servers=" + etcdURL,
			"--bind-address=127.0.0.1",
			"--secure-port=" + strconv.Itoa(port),
			"--advertise-address=" + s.net.HostAddr,
			"--tls-cert-file=" + f.certFile,
			"--tls-private-key-file=" + f.keyFile,
			"--client-ca-file=" + f.caFile,
			"--token-auth-file=" + f.tokens,
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file=" + f.saPub,
			"--service-account-signing-key-file=" + f.saKey,
			"--service-cluster-ip-range=10.0.0.0/24",
			"--authorization-mode=RBAC",
			// No controller creates default ServiceAccounts, so pods would be refused.
			"--disable-admission-plugins=ServiceAccount",
			"--allow-privileged=true",
			"--kubelet-preferred-address-types=InternalIP",
			"--cert-dir=" + filepath.Join(s.dataDir, "apiserver-certs"),
			"--profiling=false",
		}
		if len(spec.FeatureGates) > 0 {
			args = append(args, "--feature-gates="+featureGateFlag(spec.FeatureGates))
		}
		if spec.EmulatedVersion != "" {
			args = append(args, "--emulated-version="+spec.EmulatedVersion)
		}
		args = append(args, spec.ExtraFlags...)
		started := time.Now()
		c, err := s.spawn("kube-apiserver", cleanEnv(), args...)
		if err != nil {
			return "", 0, err
		}
		url := fmt.Sprintf("https://127.0.0.1:%d", port)
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(mustRead(f.caFile))
		hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
		err = pollUntil(ctx, c, 180*time.Second, func() error {
			req, _ := http.NewRequest("GET", url+"/readyz", nil)
			req.Header.Set("Authorization", "Bearer "+f.adminToken)
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 {
				return fmt.Errorf("/readyz %d: %s", resp.StatusCode, lastLines(string(body), 3))
			}
			return nil
		})
		if err == nil {
			s.apiPort = port
			s.setEnv(func(e *envFile) { e.Pids["kube-apiserver"] = c.pid() })
			return url, time.Since(started), nil
		}
		lastErr = err
		c.stop(5 * time.Second)
		if ctx.Err() != nil {
			return "", 0, ctx.Err()
		}
		// Only a port taken between freePort and the bind is worth another try; a flag the
		// binary refuses fails the same way every time.
		if !logHas(filepath.Join(s.logDir, "kube-apiserver.log"), "address already in use") {
			break
		}
	}
	return "", 0, fmt.Errorf("kube-apiserver: %w; log tail:\n%s", lastErr, tailFile(filepath.Join(s.logDir, "kube-apiserver.log"), 15))
}

func mustRead(path string) []byte {
	b, _ := os.ReadFile(path)
	return b
}

func logHas(path, needle string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), needle)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	return lastLines(string(b), n)
}

// writeKubeconfig writes a kubeconfig for one token user; the token stays in the file only.
func writeKubeconfig(path, clusterName, server string, caPEM []byte, user, token string) error {
	return os.WriteFile(path, []byte(kubeconfigText(clusterName, server, caPEM, user, token)), 0o600)
}

func kubeconfigText(clusterName, server string, caPEM []byte, user, token string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: %[2]s
    certificate-authority-data: %[3]s
users:
- name: %[4]s
  user:
    token: %[5]s
contexts:
- name: %[4]s@%[1]s
  context:
    cluster: %[1]s
    user: %[4]s
    namespace: default
current-context: %[4]s@%[1]s
`, clusterName, server, base64.StdEncoding.EncodeToString(caPEM), user, token)
}
