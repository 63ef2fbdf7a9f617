package main

// The control endpoint of a running scenario (plain HTTP on 127.0.0.1, its URL in env.json) and
// the two commands that use it: `ksc-harness faults` sets a fault proxy's rules and writes a
// kubeconfig pointing at it; `ksc-harness apiserver stop|start` restarts kube-apiserver while
// etcd and everything else keep running.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// The control endpoint: plain HTTP on 127.0.0.1, for `ksc-harness faults` and
// `ksc-harness apiserver` (or a test speaking HTTP itself).
//
//	PUT  /proxies/{name}?user=admin|restricted  body {"rules":["LIST pods stall", ...]}
//	     -> {"url": "https://127.0.0.1:P", "kubeconfig": "<text>"}
//	POST /apiserver/stop, POST /apiserver/start
func (s *supervisor) startControl(ctx context.Context) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /proxies/{name}", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Rules []string `json:"rules"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
			return
		}
		rules := make([]faultRule, 0, len(body.Rules))
		for _, line := range body.Rules {
			rule, err := parseFaultRule(line)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			rules = append(rules, rule)
		}
		user, token := adminUser, s.files.adminToken
		switch r.URL.Query().Get("user") {
		case "", "admin":
		case "restricted":
			user, token = restrictedUser, s.files.restrictedToken
		default:
			http.Error(w, "user: want admin or restricted", http.StatusBadRequest)
			return
		}
		url, err := s.faults.set(r.PathValue("name"), rules)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		kc := kubeconfigText(s.net.Netns+"-"+r.PathValue("name"), url, s.authority.certPEM, user, token)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"url": url, "kubeconfig": kc})
	})
	mux.HandleFunc("POST /apiserver/{action}", func(w http.ResponseWriter, r *http.Request) {
		var err error
		switch r.PathValue("action") {
		case "stop":
			err = s.stopAPIServer()
		case "start":
			err = s.restartAPIServer(ctx)
		default:
			http.Error(w, "want stop or start", http.StatusNotFound)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = fmt.Fprintln(w, "ok")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	go func() { <-ctx.Done(); _ = srv.Close() }()
	return "http://" + ln.Addr().String(), nil
}

// stopAPIServer stops kube-apiserver and keeps etcd (and everything else) running.
func (s *supervisor) stopAPIServer() error {
	c := s.apiserverChild()
	if c == nil || c.exited() {
		return errors.New("kube-apiserver is not running")
	}
	log.Printf("stopping kube-apiserver (pid %d) on request", c.pid())
	c.stopping.Store(true)
	c.stop(10 * time.Second)
	return nil
}

// restartAPIServer starts kube-apiserver again on the same port, against the same etcd, and
// waits for /readyz: every kubeconfig stays valid.
func (s *supervisor) restartAPIServer(ctx context.Context) error {
	if c := s.apiserverChild(); c != nil && !c.exited() {
		return errors.New("kube-apiserver is already running")
	}
	_, took, err := s.startAPIServerOn(ctx, s.etcdURL, s.files, s.apiPort)
	if err != nil {
		return err
	}
	log.Printf("kube-apiserver restarted, ready after %.1fs", took.Seconds())
	s.watchChild(ctx, s.apiserverChild())
	return nil
}

func (s *supervisor) apiserverChild() *child {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.children) - 1; i >= 0; i-- {
		if s.children[i].name == "kube-apiserver" {
			return s.children[i]
		}
	}
	return nil
}

// controlRequest sends one request to the control endpoint of the scenario in dir.
func controlRequest(dir, method, path string, body any) ([]byte, error) {
	e, err := readEnv(dir)
	if err != nil {
		return nil, err
	}
	if e.ControlURL == "" || e.State != "ready" {
		return nil, fmt.Errorf("%s: no ready scenario (state %q)", dir, e.State)
	}
	rd := strings.NewReader("")
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = strings.NewReader(string(raw))
	}
	req, err := http.NewRequest(method, e.ControlURL+path, rd)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Timeout: 240 * time.Second, Transport: &http.Transport{Proxy: nil}}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// cmdFaults: ksc-harness faults --dir DIR [--proxy NAME] [--user admin|restricted]
// [--kubeconfig OUT] [RULE...]. No rule makes the proxy pass everything through.
func cmdFaults(args []string) error {
	fs := flag.NewFlagSet("faults", flag.ContinueOnError)
	dir := fs.String("dir", "", "the scenario's DIR (required)")
	proxy := fs.String("proxy", "default", "which fault proxy (each name has its own listener and rules)")
	user := fs.String("user", "admin", "whose token the written kubeconfig carries: admin or restricted")
	out := fs.String("kubeconfig", "", "write a kubeconfig pointing at the proxy here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("usage: ksc-harness faults --dir DIR [--proxy NAME] [--user admin|restricted] [--kubeconfig OUT] ['VERB TARGET ACTION'...]")
	}
	for _, r := range fs.Args() {
		if _, err := parseFaultRule(r); err != nil {
			return err
		}
	}
	rules := fs.Args()
	if rules == nil {
		rules = []string{}
	}
	raw, err := controlRequest(*dir, http.MethodPut, "/proxies/"+*proxy+"?user="+*user, map[string]any{"rules": rules})
	if err != nil {
		return err
	}
	var resp struct{ URL, Kubeconfig string }
	if err := json.Unmarshal(raw, &resp); err != nil {
		return err
	}
	if *out != "" {
		if err := os.WriteFile(*out, []byte(resp.Kubeconfig), 0o600); err != nil {
			return err
		}
	}
	fmt.Printf("proxy: %s\n", resp.URL)
	return nil
}

// cmdAPIServer: ksc-harness apiserver --dir DIR stop|start.
func cmdAPIServer(args []string) error {
	fs := flag.NewFlagSet("apiserver", flag.ContinueOnError)
	dir := fs.String("dir", "", "the scenario's DIR (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() != 1 || (fs.Arg(0) != "stop" && fs.Arg(0) != "start") {
		return errors.New("usage: ksc-harness apiserver --dir DIR stop|start")
	}
	_, err := controlRequest(*dir, http.MethodPost, "/apiserver/"+fs.Arg(0), nil)
	return err
}
