package main

// Per-kubelet latency. The machines have no `tc netem` ("Specified qdisc kind is unknown"), so
// the fake kubelets add it themselves: on every connection, the first bytes written after the
// peer's bytes were read wait `latency` (one round trip per request/response exchange: the TLS
// handshake's server flight and each HTTP response), and the connection's very first write waits
// once more for the TCP handshake. A cold request therefore costs 3 x latency and a request on
// a kept-alive connection 1 x latency, as a network round trip plus kubelet think time would;
// bytes already flowing are not slowed (a delay line, not a bandwidth limit).
//
// The value lives in DIR/kubelet-latency ("50ms"); the kubelets process reads it every 200 ms
// and writes DIR/kubelet-latency.applied when it takes a new value, which is what
// `ksc-harness latency --dir DIR 50ms` waits for.

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

var kubeletLatency atomic.Int64 // nanoseconds

func latencyFile(dir string) string { return filepath.Join(dir, "kubelet-latency") }

type latencyListener struct{ net.Listener }

func (l latencyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	served.connections.Add(1)
	lc := &latencyConn{Conn: c}
	lc.owed.Store(2) // TCP handshake + the first server flight
	return lc, nil
}

type latencyConn struct {
	net.Conn
	// owed is how many latencies the next write waits: set when the peer's bytes arrive.
	owed atomic.Int32
}

func (c *latencyConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.owed.CompareAndSwap(0, 1)
	}
	return n, err
}

func (c *latencyConn) Write(b []byte) (int, error) {
	if owed := c.owed.Swap(0); owed > 0 {
		if d := time.Duration(kubeletLatency.Load()); d > 0 {
			time.Sleep(time.Duration(owed) * d)
		}
	}
	return c.Conn.Write(b)
}

// watchLatency applies the latency file now and whenever it changes.
func watchLatency(path string) {
	last := ""
	apply := func() {
		raw, err := os.ReadFile(path)
		if err != nil {
			return
		}
		text := strings.TrimSpace(string(raw))
		if text == last {
			return
		}
		d, err := time.ParseDuration(text)
		if err != nil || d < 0 {
			log.Printf("%s: %q is not a duration, keeping %s", path, text, time.Duration(kubeletLatency.Load()))
			last = text
			return
		}
		kubeletLatency.Store(int64(d))
		last = text
		log.Printf("kubelet latency now %s", d)
		_ = os.WriteFile(path+".applied", []byte(text+"\n"), 0o644)
	}
	apply()
	go func() {
		for range time.Tick(200 * time.Millisecond) {
			apply()
		}
	}()
}

// cmdLatency sets the latency of a running scenario's kubelets.
func cmdLatency(args []string) error {
	fs := flag.NewFlagSet("latency", flag.ContinueOnError)
	dir := fs.String("dir", "", "the scenario's DIR")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() != 1 {
		return fmt.Errorf("usage: ksc-harness latency --dir DIR DURATION (0 for none)")
	}
	d, err := time.ParseDuration(fs.Arg(0))
	if err != nil || d < 0 {
		return fmt.Errorf("%q: want a duration such as 50ms", fs.Arg(0))
	}
	e, err := readEnv(*dir)
	if err != nil {
		return err
	}
	if e.State != "ready" {
		return fmt.Errorf("%s: scenario is %s, not ready", *dir, e.State)
	}
	path := latencyFile(*dir)
	want := d.String()
	if err := os.WriteFile(path, []byte(want+"\n"), 0o644); err != nil {
		return err
	}
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if raw, err := os.ReadFile(path + ".applied"); err == nil && strings.TrimSpace(string(raw)) == want {
			fmt.Printf("kubelet latency: %s\n", want)
			return nil
		}
	}
	return fmt.Errorf("the kubelets did not apply %s within 10s (see %s/logs/kubelets.log)", want, *dir)
}
