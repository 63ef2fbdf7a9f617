package main

// `ksc-harness kubelets --config FILE`: the fake kubelets of one scenario. The supervisor runs it
// inside the scenario's network namespace (ip netns exec), where each node's address lives, so
// the apiserver's node proxy reaches it over the veth pair exactly as it would reach a kubelet.

import (
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

type kubeletsConfig struct {
	CertFile      string        `json:"certFile"`
	KeyFile       string        `json:"keyFile"`
	APIServerHost string        `json:"apiserverHost"`
	Nodes         []kubeletNode `json:"nodes"`
	// LatencyFile holds the latency every answer waits (latency.go); none when empty.
	LatencyFile string `json:"latencyFile,omitempty"`
	// StatsFile receives what the kubelets served (kubeletstats.go); none when empty.
	StatsFile string `json:"statsFile,omitempty"`
}

type kubeletNode struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Port    int    `json:"port"`
	Version string `json:"version"`
	Mode    string `json:"mode"`
	Status  int    `json:"status,omitempty"`
	// CertFile and KeyFile, when set, are this node's own serving certificate (instead of the
	// shared one): a real kubelet's certificate names its node only.
	CertFile string `json:"certFile,omitempty"`
	KeyFile  string `json:"keyFile,omitempty"`
	// The SidecarContainers series, resolved by the supervisor from the scenario.
	SidecarAbsent  bool   `json:"sidecarAbsent"`
	SidecarEnabled bool   `json:"sidecarEnabled"`
	SidecarStage   string `json:"sidecarStage"`
}

func cmdKubelets(args []string) error {
	fs := flag.NewFlagSet("kubelets", flag.ContinueOnError)
	config := fs.String("config", "", "kubelets.json written by `up`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	raw, err := os.ReadFile(*config)
	if err != nil {
		return err
	}
	var cfg kubeletsConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return fmt.Errorf("%s: %w", *config, err)
	}
	cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
	if err != nil {
		return err
	}
	shared := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if cfg.LatencyFile != "" {
		watchLatency(cfg.LatencyFile)
	}
	if cfg.StatsFile != "" {
		writeStats(cfg.StatsFile)
	}
	// Rendering ~260 KB of metrics per node is most of the start-up at thousands of nodes: use
	// every core.
	handlers := make([]http.Handler, len(cfg.Nodes))
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				handlers[i] = kubeletHandler(cfg.Nodes[i], cfg.APIServerHost)
			}
		}()
	}
	for i := range cfg.Nodes {
		work <- i
	}
	close(work)
	wg.Wait()
	errs := make(chan error, len(cfg.Nodes))
	for i, n := range cfg.Nodes {
		if n.Mode == "no-listener" {
			continue
		}
		tlsCfg := shared
		if n.CertFile != "" {
			own, err := tls.LoadX509KeyPair(n.CertFile, n.KeyFile)
			if err != nil {
				return fmt.Errorf("node %s: %w", n.Name, err)
			}
			tlsCfg = &tls.Config{Certificates: []tls.Certificate{own}, MinVersion: tls.VersionTLS12}
		}
		addr := net.JoinHostPort(n.Address, strconv.Itoa(n.Port))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("node %s: listen %s: %w", n.Name, addr, err)
		}
		if n.Mode == "reset" {
			go func() { errs <- resetAll(ln.(*net.TCPListener)) }()
			continue
		}
		srv := &http.Server{Handler: handlers[i], TLSConfig: tlsCfg, ReadHeaderTimeout: 10 * time.Second}
		go func() { errs <- srv.Serve(tls.NewListener(latencyListener{ln}, tlsCfg)) }()
	}
	fmt.Println("ready")
	return <-errs
}

func kubeletHandler(n kubeletNode, apiserverHost string) http.Handler {
	sidecar := GateSeries{Absent: n.SidecarAbsent, Enabled: n.SidecarEnabled, Stage: n.SidecarStage}
	text := []byte(kubeletMetricsText(n.Name, n.Version, apiserverHost, sidecar))
	textLen := len(text)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(text)
	_ = zw.Close()
	if n.Mode != "huge" {
		// Only the gzipped body is kept (21 KB instead of 260 KB a node: 2,000 nodes fit in
		// 50 MB); the few clients that do not ask for gzip get it inflated on the fly.
		text = nil
	}
	log.Printf("kubelet %s on %s:%d mode=%s metrics=%d bytes (%d gzipped)", n.Name, n.Address, n.Port, n.Mode, textLen, gz.Len())

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		switch n.Mode {
		case "http-error":
			http.Error(w, http.StatusText(n.Status), n.Status)
			return
		case "garbage":
			w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8; escaping=underscores")
			_, _ = w.Write(garbageBody(n.Name))
			return
		case "huge":
			w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8; escaping=underscores")
			writeHuge(w, text)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8; escaping=underscores")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Length", strconv.Itoa(gz.Len()))
			n, _ := w.Write(gz.Bytes())
			served.gzip.Add(1)
			served.bytes.Add(int64(n))
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(textLen))
		zr, err := gzip.NewReader(bytes.NewReader(gz.Bytes()))
		if err == nil {
			n, _ := io.Copy(w, zr)
			served.identity.Add(1)
			served.bytes.Add(n)
		}
	})
	if n.Mode == "hang" {
		// The connection and TLS handshake succeed; no request ever gets an answer.
		return http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	}
	return mux
}

func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		fields := strings.Split(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(fields[0]), "gzip") {
			return len(fields) < 2 || strings.ReplaceAll(fields[1], " ", "") != "q=0"
		}
	}
	return false
}

// cmdMetrics prints the /metrics body a fake kubelet would serve, for eyeballing and sizing.
func cmdMetrics(args []string) error {
	fs := flag.NewFlagSet("metrics", flag.ContinueOnError)
	version := fs.String("version", "v1.37.2", "kubelet version")
	sidecar := fs.String("sidecar", "", `"absent" or ENABLED/STAGE such as true/BETA (default: by version)`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: ksc-harness metrics [--version V] [--sidecar S] NODE")
	}
	minor, ok := minorOf(*version)
	if !ok {
		return fmt.Errorf("--version %q: want vMAJOR.MINOR.PATCH", *version)
	}
	side := sidecarSeriesFor(minor)
	switch {
	case *sidecar == "absent":
		side = GateSeries{Absent: true}
	case *sidecar != "":
		en, stage, _ := strings.Cut(*sidecar, "/")
		side = GateSeries{Enabled: en == "true", Stage: stage}
	}
	_, err := os.Stdout.WriteString(kubeletMetricsText(fs.Arg(0), *version, "10.77.1.1:6443", side))
	return err
}
