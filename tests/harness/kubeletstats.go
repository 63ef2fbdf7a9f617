package main

// What the fake kubelets have served, for benchmarks: connections accepted (each one a TCP and
// TLS handshake), /metrics answers gzipped and not, and the body bytes written. The kubelets
// process rewrites DIR/kubelet-stats.json every 500 ms while the counters change; a reader
// compares two snapshots taken a second apart from its run.

import (
	"encoding/json"
	"os"
	"sync/atomic"
	"time"
)

type kubeletStats struct {
	Connections     int64 `json:"connections"`
	MetricsGzip     int64 `json:"metricsGzip"`
	MetricsIdentity int64 `json:"metricsIdentity"`
	MetricsBytes    int64 `json:"metricsBytes"`
}

var served struct {
	connections, gzip, identity, bytes atomic.Int64
}

func (s *kubeletStats) load() {
	s.Connections, s.MetricsGzip = served.connections.Load(), served.gzip.Load()
	s.MetricsIdentity, s.MetricsBytes = served.identity.Load(), served.bytes.Load()
}

// writeStats keeps path up to date with the counters.
func writeStats(path string) {
	var last kubeletStats
	written := false
	write := func() {
		var now kubeletStats
		now.load()
		if written && now == last {
			return
		}
		raw, _ := json.Marshal(now)
		if err := os.WriteFile(path+".tmp", append(raw, '\n'), 0o644); err == nil && os.Rename(path+".tmp", path) == nil {
			last, written = now, true
		}
	}
	write()
	go func() {
		for range time.Tick(500 * time.Millisecond) {
			write()
		}
	}()
}
