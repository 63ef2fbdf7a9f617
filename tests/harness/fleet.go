package main

// Fleet-sized scenarios: node addresses beyond one /24, and `generate:`, which adds nodes and
// workloads by count instead of by listing them (tests/bench/scale-*.yaml).
//
// Addresses: the first 200 nodes keep 10.77.<n>.<i+2> (every existing scenario and its tests);
// node 200+j gets 10.<78 + j/250>.<n>.<j%250 + 2>, so scenario n owns the /24s 10.77.n, 10.78.n,
// ... 10.97.n and two scenarios never share one. The host reaches the extra /24s through one
// gateway address inside the namespace (10.77.n.254), so its neighbour table holds one entry for
// them, not one per node; 10.77.n.1 is the source address.

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"
)

const (
	firstBlockNodes = 200
	blockNodes      = 250
	extraBlockCount = 20
	maxNodes        = firstBlockNodes + blockNodes*extraBlockCount
)

func nodeAddress(n, i int) string {
	if i < firstBlockNodes {
		return fmt.Sprintf("10.77.%d.%d", n, i+2)
	}
	j := i - firstBlockNodes
	return fmt.Sprintf("10.%d.%d.%d", 78+j/blockNodes, n, j%blockNodes+2)
}

// gatewayAddress is the namespace's address the host routes the extra /24s through (never a
// node's: those stop at .201).
func gatewayAddress(n int) string { return fmt.Sprintf("10.77.%d.254", n) }

// extraBlocks lists the /24s beyond 10.77.n.0/24 that count nodes need.
func extraBlocks(n, count int) []string {
	var out []string
	for b := 0; firstBlockNodes+b*blockNodes < count; b++ {
		out = append(out, fmt.Sprintf("10.%d.%d.0/24", 78+b, n))
	}
	return out
}

// ipBatch runs `ip -n NETNS -batch -` with the given lines.
func ipBatch(netns, lines string) error {
	if lines == "" {
		return nil
	}
	cmd := exec.Command("ip", "-n", netns, "-batch", "-")
	cmd.Stdin = strings.NewReader(lines)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ip -n %s -batch: %v: %s", netns, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// GenerateSpec adds objects by count. Everything generated is deterministic: the same spec
// gives the same names, versions and states on every run.
type GenerateSpec struct {
	Nodes     *NodeSetSpec  `json:"nodes,omitempty"`
	Workloads *WorkloadSpec `json:"workloads,omitempty"`
}

// NodeSetSpec is count nodes named <prefix><index, 4 digits>, appended after the listed ones.
// Node i gets kubeletVersions[i % len] and the label karpenter.sh/nodepool=pools[i % len].
type NodeSetSpec struct {
	Count           int      `json:"count"`
	Prefix          string   `json:"prefix,omitempty"`
	KubeletVersions []string `json:"kubeletVersions,omitempty"`
	Pools           []string `json:"pools,omitempty"`
}

// WorkloadSpec is pods pods spread evenly over namespaces namespaces (ns-000, ns-001, ...),
// with their owners; workloadgen.go describes the mix.
type WorkloadSpec struct {
	Pods       int `json:"pods"`
	Namespaces int `json:"namespaces"`
	// Workers is how many namespaces are filled at once (default 16).
	Workers int `json:"workers,omitempty"`
}

// expand turns generate.nodes into ordinary node entries, before validation fills defaults.
func (s *Scenario) expand() error {
	if s.KubeletLatency != "" {
		if d, err := time.ParseDuration(s.KubeletLatency); err != nil || d < 0 {
			return fmt.Errorf("kubeletLatency %q: want a duration such as 50ms", s.KubeletLatency)
		}
	}
	if s.Generate == nil {
		return nil
	}
	if ns := s.Generate.Nodes; ns != nil {
		if ns.Count < 1 || len(s.Nodes)+ns.Count > maxNodes {
			return fmt.Errorf("generate.nodes.count %d: want 1-%d nodes in all", ns.Count, maxNodes-len(s.Nodes))
		}
		if ns.Prefix == "" {
			ns.Prefix = "node-"
		}
		for i := 0; i < ns.Count; i++ {
			n := NodeSpec{Name: fmt.Sprintf("%s%04d", ns.Prefix, i)}
			if len(ns.KubeletVersions) > 0 {
				n.KubeletVersion = ns.KubeletVersions[i%len(ns.KubeletVersions)]
			}
			if len(ns.Pools) > 0 {
				n.Labels = map[string]string{"karpenter.sh/nodepool": ns.Pools[i%len(ns.Pools)]}
			}
			s.Nodes = append(s.Nodes, n)
		}
	}
	if w := s.Generate.Workloads; w != nil {
		if w.Namespaces < 1 || w.Pods < w.Namespaces {
			return fmt.Errorf("generate.workloads: want namespaces >= 1 and pods >= namespaces, got %d pods in %d namespaces", w.Pods, w.Namespaces)
		}
		if w.Workers == 0 {
			w.Workers = 16
		}
		if w.Workers < 1 || w.Workers > 256 {
			return fmt.Errorf("generate.workloads.workers %d: want 1-256", w.Workers)
		}
	}
	return nil
}

// parallel runs f(0..n-1) on at most workers goroutines; the first error cancels the rest and
// is returned.
func parallel(ctx context.Context, workers, n int, f func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var first error
	var once sync.Once
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := f(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
feed:
	for i := 0; i < n; i++ {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		// The caller's context ended (teardown) before everything ran.
		return ctx.Err()
	}
	return first
}
