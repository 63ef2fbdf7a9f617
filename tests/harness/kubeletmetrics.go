package main

// The text a fake kubelet serves on /metrics, shaped like Prometheus' Go client output: families
// sorted by name, # HELP / # TYPE lines, series within a family sorted by label values,
// histograms with their full bucket ladders, summaries with quantiles. Values are pseudo-random
// but deterministic per node, so two nodes' texts differ everywhere, not only in the marker.

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

type label struct{ k, v string }

type series struct {
	labels []label
	value  float64
	// histogram: upper bounds and cumulative counts (the +Inf bucket is added when rendering).
	bounds []float64
	counts []uint64
	// summary: quantile -> value.
	quantiles [][2]float64
	sum       float64
	count     uint64
}

type family struct {
	name, help, typ string
	series          []series
}

type metricsBuilder struct {
	rnd      *rand.Rand
	families map[string]*family
}

func newMetricsBuilder(seed string) *metricsBuilder {
	h := fnv.New64a()
	_, _ = h.Write([]byte(seed))
	s := h.Sum64()
	return &metricsBuilder{rnd: rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15)), families: map[string]*family{}}
}

func (b *metricsBuilder) fam(name, typ, help string) *family {
	f, ok := b.families[name]
	if !ok {
		f = &family{name: name, typ: typ, help: help}
		b.families[name] = f
	}
	return f
}

func lbl(kv ...string) []label {
	out := make([]label, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, label{kv[i], kv[i+1]})
	}
	return out
}

func (b *metricsBuilder) gauge(name, help string, v float64, kv ...string) {
	f := b.fam(name, "gauge", help)
	f.series = append(f.series, series{labels: lbl(kv...), value: v})
}

func (b *metricsBuilder) counter(name, help string, v float64, kv ...string) {
	f := b.fam(name, "counter", help)
	f.series = append(f.series, series{labels: lbl(kv...), value: v})
}

// histogram adds one histogram series with n observations spread around typical (seconds or
// bytes), cumulative over bounds.
func (b *metricsBuilder) histogram(name, help string, bounds []float64, n int, typical float64, kv ...string) {
	f := b.fam(name, "histogram", help)
	counts := make([]uint64, len(bounds))
	sum := 0.0
	// At most 2,048 draws, scaled up to n: thousands of kubelets render at start-up, and a
	// draw per observation (millions per kubelet) made that minutes.
	drawn := min(n, 2048)
	for i := 0; i < drawn; i++ {
		// Log-normal around typical: most observations near it, a long tail above.
		obs := typical * math.Exp(b.rnd.NormFloat64()*0.9)
		sum += obs
		// The first bucket that holds it; cumulated below (thousands of kubelets render at start-up).
		if j := sort.SearchFloat64s(bounds, obs); j < len(bounds) {
			counts[j]++
		}
	}
	for j := 1; j < len(counts); j++ {
		counts[j] += counts[j-1]
	}
	if drawn < n {
		for j := range counts {
			counts[j] = counts[j] * uint64(n) / uint64(drawn)
		}
		sum *= float64(n) / float64(drawn)
	}
	f.series = append(f.series, series{labels: lbl(kv...), bounds: bounds, counts: counts, sum: sum, count: uint64(n)})
}

func (b *metricsBuilder) summary(name, help string, qs []float64, typical float64, n uint64) {
	f := b.fam(name, "summary", help)
	s := series{count: n}
	v := typical / 4
	for _, q := range qs {
		v *= 1 + b.rnd.Float64()
		s.quantiles = append(s.quantiles, [2]float64{q, v})
	}
	s.sum = typical * float64(n)
	f.series = append(f.series, s)
}

func (b *metricsBuilder) n(lo, hi int) int { return lo + b.rnd.IntN(hi-lo+1) }

func expBuckets(start, factor float64, count int) []float64 {
	out := make([]float64, count)
	for i := range out {
		out[i] = start
		start *= factor
	}
	return out
}

var (
	defBuckets      = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	restBuckets     = []float64{0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60}
	sizeBuckets     = []float64{64, 256, 512, 1024, 4096, 16384, 65536, 262144, 1.048576e+06, 4.194304e+06, 1.6777216e+07}
	podStartBuckets = []float64{0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600}
	storageBuckets  = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 25, 50, 120, 300, 600}
	certBuckets     = []float64{0, 1800, 3600, 7200, 21600, 43200, 86400, 172800, 345600, 604800, 2.592e+06, 7.776e+06, 1.5552e+07, 3.1104e+07}
)

// kubeletMetricsText renders the full /metrics body for one node.
func kubeletMetricsText(node, version, apiserverHost string, sidecar GateSeries) string {
	b := newMetricsBuilder(node)
	minor, _ := minorOf(version)

	b.counter("apiserver_audit_event_total", "[ALPHA] Counter of audit events generated and sent to the audit backend.", 0)
	b.counter("apiserver_audit_requests_rejected_total", "[ALPHA] Counter of apiserver requests rejected due to an error in audit logging backend.", 0)
	b.histogram("apiserver_client_certificate_expiration_seconds", "[ALPHA] Distribution of the remaining lifetime on the certificate used to authenticate a request.", certBuckets, 0, 1)
	for _, code := range []string{"201"} {
		b.histogram("apiserver_delegated_authn_request_duration_seconds", "[ALPHA] Request latency in seconds. Broken down by status code.", []float64{0.25, 0.5, 0.7, 1, 1.5, 3, 5, 10}, b.n(20, 90), 0.004, "code", code)
		b.counter("apiserver_delegated_authn_request_total", "[ALPHA] Number of HTTP requests partitioned by status code.", float64(b.n(20, 90)), "code", code)
		b.histogram("apiserver_delegated_authz_request_duration_seconds", "[ALPHA] Request latency in seconds. Broken down by status code.", []float64{0.25, 0.5, 0.7, 1, 1.5, 3, 5, 10}, b.n(20, 90), 0.003, "code", code)
		b.counter("apiserver_delegated_authz_request_total", "[ALPHA] Number of HTTP requests partitioned by status code.", float64(b.n(20, 90)), "code", code)
	}
	b.gauge("apiserver_envelope_encryption_dek_cache_fill_percent", "[ALPHA] Percent of the cache slots currently occupied by cached DEKs.", 0)
	b.histogram("apiserver_storage_data_key_generation_duration_seconds", "[ALPHA] Latencies in seconds of data encryption key(DEK) generation operations.", expBuckets(5e-06, 2, 14), 0, 1e-5)
	b.counter("apiserver_storage_data_key_generation_failures_total", "[ALPHA] Total number of failed data encryption key(DEK) generation operations.", 0)
	b.counter("apiserver_storage_envelope_transformation_cache_misses_total", "[ALPHA] Total number of cache misses while accessing key decryption key(KEK).", 0)
	b.counter("apiserver_webhooks_x509_insecure_sha1_total", "[ALPHA] Counts the number of requests to servers with insecure SHA1 signatures in their serving certificate OR the number of connection failures due to the insecure SHA1 signatures (either/or, based on the runtime environment)", 0)
	b.counter("apiserver_webhooks_x509_missing_san_total", "[ALPHA] Counts the number of requests to servers missing SAN extension in their serving certificate OR the number of connection failures due to the lack of x509 certificate SAN extension missing (either/or, based on the runtime environment)", 0)
	b.counter("cardinality_enforcement_unexpected_categorizations_total", "[ALPHA] The count of unexpected categorizations during cardinality enforcement.", 0)

	// Go runtime collector.
	b.summary("go_gc_duration_seconds", "A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.", []float64{0, 0.25, 0.5, 0.75, 1}, 6.2e-05, uint64(b.n(300, 4000)))
	b.gauge("go_gc_gogc_percent", "Heap size target percentage configured by the user, otherwise 100. This value is set by the GOGC environment variable, and the runtime/debug.SetGCPercent function. Sourced from /gc/gogc:percent.", 100)
	b.gauge("go_gc_gomemlimit_bytes", "Go runtime memory limit configured by the user, otherwise math.MaxInt64. This value is set by the GOMEMLIMIT environment variable, and the runtime/debug.SetMemoryLimit function. Sourced from /gc/gomemlimit:bytes.", 9.223372036854776e+18)
	b.gauge("go_goroutines", "Number of goroutines that currently exist.", float64(b.n(250, 700)))
	b.gauge("go_info", "Information about the Go environment.", 1, "version", "go1.24.9")
	for _, m := range []struct{ name, typ, help string }{
		{"go_memstats_alloc_bytes", "gauge", "Number of bytes allocated in heap and currently in use. Equals to /memory/classes/heap/objects:bytes."},
		{"go_memstats_alloc_bytes_total", "counter", "Total number of bytes allocated in heap until now, even if released already. Equals to /gc/heap/allocs:bytes."},
		{"go_memstats_buck_hash_sys_bytes", "gauge", "Number of bytes used by the profiling bucket hash table. Equals to /memory/classes/profiling/buckets:bytes."},
		{"go_memstats_frees_total", "counter", "Total number of heap objects frees. Equals to /gc/heap/frees:objects + /gc/heap/tiny/allocs:objects."},
		{"go_memstats_gc_sys_bytes", "gauge", "Number of bytes used for garbage collection system metadata. Equals to /memory/classes/metadata/other:bytes."},
		{"go_memstats_heap_alloc_bytes", "gauge", "Number of heap bytes allocated and currently in use, same as go_memstats_alloc_bytes. Equals to /memory/classes/heap/objects:bytes."},
		{"go_memstats_heap_idle_bytes", "gauge", "Number of heap bytes waiting to be used. Equals to /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes."},
		{"go_memstats_heap_inuse_bytes", "gauge", "Number of heap bytes that are in use. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes"},
		{"go_memstats_heap_objects", "gauge", "Number of currently allocated objects. Equals to /gc/heap/objects:objects."},
		{"go_memstats_heap_released_bytes", "gauge", "Number of heap bytes released to OS. Equals to /memory/classes/heap/released:bytes."},
		{"go_memstats_heap_sys_bytes", "gauge", "Number of heap bytes obtained from system. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes + /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes."},
		{"go_memstats_last_gc_time_seconds", "gauge", "Number of seconds since 1970 of last garbage collection."},
		{"go_memstats_mallocs_total", "counter", "Total number of heap objects allocated, both live and gc-ed. Semantically a counter version for go_memstats_heap_objects gauge. Equals to /gc/heap/allocs:objects + /gc/heap/tiny/allocs:objects."},
		{"go_memstats_mcache_inuse_bytes", "gauge", "Number of bytes in use by mcache structures. Equals to /memory/classes/metadata/mcache/inuse:bytes."},
		{"go_memstats_mcache_sys_bytes", "gauge", "Number of bytes used for mcache structures obtained from system. Equals to /memory/classes/metadata/mcache/inuse:bytes + /memory/classes/metadata/mcache/free:bytes."},
		{"go_memstats_mspan_inuse_bytes", "gauge", "Number of bytes in use by mspan structures. Equals to /memory/classes/metadata/mspan/inuse:bytes."},
		{"go_memstats_mspan_sys_bytes", "gauge", "Number of bytes used for mspan structures obtained from system. Equals to /memory/classes/metadata/mspan/inuse:bytes + /memory/classes/metadata/mspan/free:bytes."},
		{"go_memstats_next_gc_bytes", "gauge", "Number of heap bytes when next garbage collection will take place. Equals to /gc/heap/goal:bytes."},
		{"go_memstats_other_sys_bytes", "gauge", "Number of bytes used for other system allocations. Equals to /memory/classes/other:bytes."},
		{"go_memstats_stack_inuse_bytes", "gauge", "Number of bytes obtained from system for stack allocator in non-CGO environments. Equals to /memory/classes/heap/stacks:bytes."},
		{"go_memstats_stack_sys_bytes", "gauge", "Number of bytes obtained from system for stack allocator. Equals to /memory/classes/heap/stacks:bytes + /memory/classes/os-stacks:bytes."},
		{"go_memstats_sys_bytes", "gauge", "Number of bytes obtained from system. Equals to /memory/classes/total:byte."},
	} {
		v := float64(b.n(1<<16, 1<<27))
		if m.name == "go_memstats_last_gc_time_seconds" {
			v = 1.7637e+09 + b.rnd.Float64()*1000
		}
		f := b.fam(m.name, m.typ, m.help)
		f.series = append(f.series, series{value: v})
	}
	b.gauge("go_sched_gomaxprocs_threads", "The current runtime.GOMAXPROCS setting, or the number of operating system threads that can execute user-level Go code simultaneously. Sourced from /sched/gomaxprocs:threads.", 4)
	b.gauge("go_threads", "Number of OS threads created.", float64(b.n(12, 40)))

	// Kubelet proper.
	b.gauge("kubelet_active_pods", "[ALPHA] The number of pods the kubelet considers active and which are being considered when admitting new pods. static is true if the pod is not from the apiserver.", float64(b.n(3, 30)), "static", "")
	b.gauge("kubelet_active_pods", "", float64(b.n(0, 3)), "static", "true")
	b.counter("kubelet_certificate_manager_client_expiration_renew_errors", "[ALPHA] Counter of certificate renewal errors.", 0)
	b.gauge("kubelet_certificate_manager_client_ttl_seconds", "[ALPHA] Gauge of the TTL (time-to-live) of the Kubelet's client certificate. The value is in seconds until certificate expiry (negative if already expired). If client certificate is invalid or unused, the value will be +INF.", 2.6e+07+float64(b.n(0, 100000)))
	for _, op := range []string{"create", "destroy", "update"} {
		b.histogram("kubelet_cgroup_manager_duration_seconds", "[ALPHA] Duration in seconds for cgroup manager operations. Broken down by method.", defBuckets, b.n(10, 400), 0.02, "operation_type", op)
	}
	pods := []struct{ ns, pod, container string }{
		{"kube-system", "kube-proxy-" + node, "kube-proxy"},
		{"kube-system", "coredns-7db6d8ff4d-x2k9p", "coredns"},
		{"monitoring", "node-exporter-" + node, "node-exporter"},
		{"shop", "checkout-5c9f7d9b8-qq7lx", "app"},
		{"shop", "checkout-5c9f7d9b8-qq7lx", "istio-proxy"},
		{"shop", "cart-6bd8c4f7c9-7m2vd", "app"},
	}
	for i, p := range pods {
		uid := fmt.Sprintf("%08x-1c2d-4e5f-8a9b-%012x", b.rnd.Uint32(), uint64(i)*7919+b.rnd.Uint64()%1000000)
		b.gauge("kubelet_container_log_filesystem_used_bytes", "[ALPHA] Bytes used by the container's logs on the filesystem.", float64(b.n(4096, 1<<24)), "container", p.container, "namespace", p.ns, "pod", p.pod, "uid", uid)
		for _, probe := range []string{"Liveness", "Readiness"} {
			b.counter("prober_probe_total", "[ALPHA] Cumulative number of a liveness, readiness or startup probe for a container by result.", float64(b.n(100, 9000)), "container", p.container, "namespace", p.ns, "pod", p.pod, "pod_uid", uid, "probe_type", probe, "result", "successful")
		}
	}
	b.histogram("kubelet_containers_per_pod_count", "[ALPHA] The number of containers per pod.", []float64{1, 2, 4, 8, 16}, b.n(5, 40), 2)
	b.counter("kubelet_cpu_manager_pinning_errors_total", "[ALPHA] The number of cpu core allocations which required pinning failed.", 0)
	b.counter("kubelet_cpu_manager_pinning_requests_total", "[ALPHA] The number of cpu core allocations which required pinning.", 0)
	for _, path := range []string{"configz", "containerLogs", "exec", "healthz", "metrics", "metrics/cadvisor", "metrics/probes", "metrics/resource", "pods", "portForward", "stats", "stats/summary"} {
		for _, method := range []string{"GET", "POST"} {
			if method == "POST" && path != "exec" && path != "portForward" {
				continue
			}
			lr := "false"
			if path == "exec" || path == "portForward" || path == "containerLogs" {
				lr = "true"
			}
			b.gauge("kubelet_http_inflight_requests", "[ALPHA] Number of the inflight http requests", 0, "long_running", lr, "method", method, "path", path, "server_type", "readwrite")
			b.histogram("kubelet_http_requests_duration_seconds", "[ALPHA] Duration in seconds to serve http requests", defBuckets, b.n(1, 200), 0.01, "long_running", lr, "method", method, "path", path, "server_type", "readwrite")
			b.counter("kubelet_http_requests_total", "[ALPHA] Number of the http requests received since the server started", float64(b.n(1, 3000)), "long_running", lr, "method", method, "path", path, "server_type", "readwrite")
		}
	}
	b.counter("kubelet_image_garbage_collected_total", "[ALPHA] Total number of images garbage collected by the kubelet, whether through disk usage or image age.", float64(b.n(0, 20)), "reason", "age")
	b.counter("kubelet_image_garbage_collected_total", "", float64(b.n(0, 5)), "reason", "space")
	b.gauge("kubelet_managed_ephemeral_containers", "[ALPHA] Current number of ephemeral containers in pods managed by this kubelet.", 0)
	// The per-node marker the tests look for through the node proxy.
	b.gauge("kubelet_node_name", "[ALPHA] The node's name. The count is always 1.", 1, "node", node)
	b.gauge("kubelet_node_startup_duration_seconds", "[ALPHA] Duration in seconds of node startup in total.", 3+b.rnd.Float64()*20)
	b.counter("kubelet_pleg_discard_events", "[ALPHA] The number of discard events in PLEG.", 0)
	b.gauge("kubelet_pleg_last_seen_seconds", "[ALPHA] Timestamp in seconds when PLEG was last seen active.", 1.7637e+09+b.rnd.Float64()*1000)
	b.histogram("kubelet_pleg_relist_duration_seconds", "[ALPHA] Duration in seconds for relisting pods in PLEG.", defBuckets, b.n(2000, 90000), 0.012)
	b.histogram("kubelet_pleg_relist_interval_seconds", "[ALPHA] Interval in seconds between relisting in PLEG.", []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}, b.n(2000, 90000), 1.01)
	b.counter("kubelet_pod_resources_endpoint_requests_total", "[ALPHA] Number of requests to the PodResource endpoint. Broken down by server api version.", 0, "server_api_version", "v1")
	b.histogram("kubelet_pod_start_duration_seconds", "[ALPHA] Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run", podStartBuckets, b.n(5, 80), 3)
	b.histogram("kubelet_pod_start_sli_duration_seconds", "[ALPHA] Duration in seconds to start a pod, excluding time to pull images and run init containers, measured from pod creation timestamp to when all its containers are reported as started and observed via watch", podStartBuckets, b.n(5, 80), 1.5)
	b.histogram("kubelet_pod_status_sync_duration_seconds", "[ALPHA] Duration in seconds to sync a pod status update. Measures time from detection of a change to pod status until the API is successfully updated for that pod, even if multiple intevening changes to pod status occur.", []float64{0.01, 0.05, 0.1, 0.5, 1, 5, 10, 20, 30, 45, 60}, b.n(50, 900), 0.03)
	for _, op := range []string{"create", "sync", "update"} {
		b.histogram("kubelet_pod_worker_duration_seconds", "[ALPHA] Duration in seconds to sync a single pod. Broken down by operation type: create, update, or sync", defBuckets, b.n(10, 5000), 0.05, "operation_type", op)
	}
	b.histogram("kubelet_pod_worker_start_duration_seconds", "[ALPHA] Latency in seconds from kubelet seeing a pod to starting a worker.", defBuckets, b.n(5, 80), 0.0004)
	b.counter("kubelet_restarted_pods_total", "[ALPHA] Number of pods that have been restarted because they were deleted and recreated with the same UID while the kubelet was watching them (common for static pods, extremely uncommon for API pods)", 0, "static", "")
	b.histogram("kubelet_run_podsandbox_duration_seconds", "[ALPHA] Duration in seconds of the run_podsandbox operations. Broken down by RuntimeClass.Handler.", defBuckets, b.n(5, 80), 0.3, "runtime_handler", "")
	for _, st := range []string{"created", "exited", "running", "unknown"} {
		b.gauge("kubelet_running_containers", "[ALPHA] Number of containers currently running", float64(b.n(0, 40)), "container_state", st)
	}
	b.gauge("kubelet_running_pods", "[ALPHA] Number of pods that have a running pod sandbox", float64(b.n(3, 30)))
	for _, op := range []string{"container_status", "container_stats", "create_container", "exec_sync", "image_fs_info", "image_status", "list_containers", "list_images", "list_podsandbox", "list_podsandbox_stats", "pull_image", "remove_container", "remove_image", "remove_podsandbox", "run_podsandbox", "start_container", "status", "stop_container", "stop_podsandbox", "update_container_resources", "version"} {
		b.histogram("kubelet_runtime_operations_duration_seconds", "[ALPHA] Duration in seconds of runtime operations. Broken down by operation type.", expBuckets(0.005, 2.5, 14), b.n(10, 60000), 0.004, "operation_type", op)
		b.counter("kubelet_runtime_operations_total", "[ALPHA] Cumulative number of runtime operations by operation type.", float64(b.n(10, 60000)), "operation_type", op)
		if op == "pull_image" || op == "exec_sync" || op == "container_status" {
			b.counter("kubelet_runtime_operations_errors_total", "[ALPHA] Cumulative number of runtime operation errors by operation type.", float64(b.n(1, 40)), "operation_type", op)
		}
	}
	for _, ct := range []string{"container", "init_container"} {
		b.counter("kubelet_started_containers_total", "[ALPHA] Cumulative number of containers started", float64(b.n(3, 200)), "container_type", ct)
	}
	b.counter("kubelet_started_pods_total", "[ALPHA] Cumulative number of pods started", float64(b.n(3, 120)))
	b.histogram("kubelet_volume_metric_collection_duration_seconds", "[ALPHA] Duration in seconds to calculate volume stats", []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}, b.n(100, 3000), 0.001, "metric_source", "fsquota")

	b.gauge("kubernetes_build_info", "[ALPHA] A metric with a constant '1' value labeled by major, minor, git version, git commit, git tree state, build date, Go version, and compiler from which Kubernetes was built, and platform on which it is running.", 1,
		"build_date", "2026-10-14T09:12:51Z", "compiler", "gc", "git_commit", fmt.Sprintf("%016x%016x%08x", fnvHash(version), fnvHash("commit"+version), uint32(fnvHash(version+"tail"))), "git_tree_state", "clean",
		"git_version", version, "go_version", "go1.24.9", "major", "1", "minor", strconv.Itoa(minor), "platform", "linux/amd64")
	// The family exists since 1.26 (k/k#112690); older kubelets have none at all.
	if minor >= 26 {
		for _, g := range gateTable {
			if s, ok := g.at(minor); ok {
				b.gauge("kubernetes_feature_enabled", "[BETA] This metric records the data about the stage and enablement of a k8s feature.", boolf(s.Enabled), "name", g.name, "stage", s.Stage)
			}
		}
		b.gauge("kubernetes_feature_enabled", "", 0, "name", "AllAlpha", "stage", "ALPHA")
		b.gauge("kubernetes_feature_enabled", "", 0, "name", "AllBeta", "stage", "BETA")
		if !sidecar.Absent {
			b.gauge("kubernetes_feature_enabled", "", boolf(sidecar.Enabled), "name", "SidecarContainers", "stage", sidecar.Stage)
		}
	}

	// A path may contain any byte but NUL and '/' in a component: commas, '=', '}' and quotes
	// occur in real socket paths and must survive a parser.
	b.gauge("plugin_manager_total_plugins", "[ALPHA] Number of plugins in Plugin Manager", 1, "socket_path", "/var/lib/kubelet/plugins_registry/csi.example.com-reg.sock", "state", "actual_state_of_world")
	b.gauge("plugin_manager_total_plugins", "", 1, "socket_path", `/var/lib/kubelet/plugins_registry/vendor,mode=rw}{"quoted"}\tail-reg.sock`, "state", "desired_state_of_world")
	b.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", 100+b.rnd.Float64()*5000)
	b.gauge("process_max_fds", "Maximum number of open file descriptors.", 1.048576e+06)
	// The Prometheus client of 1.32 has no process_network_* (real-kubelet-1.32.txt); 1.34's has.
	if minor >= 34 {
		b.counter("process_network_receive_bytes_total", "Number of bytes received by the process over the network.", float64(b.n(1<<20, 1<<30)))
		b.counter("process_network_transmit_bytes_total", "Number of bytes sent by the process over the network.", float64(b.n(1<<20, 1<<30)))
	}
	b.gauge("process_open_fds", "Number of open file descriptors.", float64(b.n(30, 90)))
	b.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", float64(b.n(60<<20, 200<<20)))
	b.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", 1.76369e+09+float64(b.n(0, 100000))/100)
	b.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", float64(b.n(1<<30, 3<<30)))
	b.gauge("process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.", 1.8446744073709552e+19)
	for _, lvl := range [][2]string{{"", "ALPHA"}, {"", "BETA"}, {"", "STABLE"}, {"1.30.0", "ALPHA"}} {
		b.counter("registered_metrics_total", "[BETA] The count of registered metrics broken by stability level and deprecation version.", float64(b.n(3, 200)), "deprecated_version", lvl[0], "stability_level", lvl[1])
	}
	b.histogram("rest_client_exec_plugin_certificate_rotation_age", "[ALPHA] Histogram of the number of seconds the last auth exec plugin client certificate lived before being rotated. If auth exec plugin client certificates are unused, histogram will contain no data.", expBuckets(600, 2, 14), 0, 1)

	// client-go's view of the apiserver: an IPv4 and an IPv6 endpoint, and the "<error>" code
	// client-go records for requests that got no answer.
	hosts := []string{apiserverHost, "[fd00:10:96::1]:443"}
	for _, host := range hosts {
		for _, verb := range []string{"DELETE", "GET", "PATCH", "POST", "PUT"} {
			b.histogram("rest_client_rate_limiter_duration_seconds", "[ALPHA] Client side rate limiter latency in seconds. Broken down by verb, and host.", restBuckets, b.n(10, 3000), 2e-06, "host", host, "verb", verb)
			b.histogram("rest_client_request_duration_seconds", "[ALPHA] Request latency in seconds. Broken down by verb, and host.", restBuckets, b.n(10, 3000), 0.008, "host", host, "verb", verb)
			b.histogram("rest_client_request_size_bytes", "[ALPHA] Request size in bytes. Broken down by verb and host.", sizeBuckets, b.n(10, 3000), 700, "host", host, "verb", verb)
			b.histogram("rest_client_response_size_bytes", "[ALPHA] Response size in bytes. Broken down by verb and host.", sizeBuckets, b.n(10, 3000), 3000, "host", host, "verb", verb)
		}
		for _, cm := range [][2]string{{"200", "GET"}, {"200", "PATCH"}, {"201", "POST"}, {"200", "PUT"}, {"404", "GET"}, {"409", "PUT"}, {"<error>", "GET"}, {"<error>", "WATCH"}} {
			b.counter("rest_client_requests_total", "[ALPHA] Number of HTTP requests, partitioned by status code, method, and host.", float64(b.n(1, 30000)), "code", cm[0], "host", host, "method", cm[1])
		}
	}
	b.gauge("rest_client_transport_cache_entries", "[ALPHA] Number of transport entries in the internal cache.", 1)
	b.counter("rest_client_transport_create_calls_total", "[ALPHA] Number of calls to get a new transport, partitioned by the result of the operation hit: obtained from the cache, miss: created and added to the cache, uncacheable: created and not cached", 2, "result", "miss")
	b.counter("rest_client_transport_create_calls_total", "", float64(b.n(1, 5)), "result", "hit")

	for _, op := range []string{"volume_attach", "volume_mount", "volume_unmount", "verify_controller_attached_volume", "unmount_device", "mount_device"} {
		for _, plugin := range []string{"kubernetes.io/configmap", "kubernetes.io/csi:ebs.csi.aws.com", "kubernetes.io/empty-dir", "kubernetes.io/projected", "kubernetes.io/secret"} {
			b.histogram("storage_operation_duration_seconds", "[BETA] Storage operation duration", storageBuckets, b.n(1, 400), 0.05, "migrated", "false", "operation_name", op, "status", "success", "volume_plugin", plugin)
		}
	}
	for _, plugin := range []string{"kubernetes.io/configmap", "kubernetes.io/empty-dir", "kubernetes.io/projected", "kubernetes.io/secret"} {
		for _, st := range []string{"actual_state_of_world", "desired_state_of_world"} {
			b.gauge("volume_manager_total_volumes", "[ALPHA] Number of volumes in Volume Manager", float64(b.n(0, 40)), "plugin_name", plugin, "state", st)
		}
	}
	for _, q := range []string{"DynamicCABundle-client-ca-bundle", "DynamicServingCertificateController", "RequestHeaderAuthRequestController", "node_lifecycle_manager"} {
		b.counter("workqueue_adds_total", "[ALPHA] Total number of adds handled by workqueue", float64(b.n(1, 500)), "name", q)
		b.gauge("workqueue_depth", "[ALPHA] Current depth of workqueue", 0, "name", q)
		b.histogram("workqueue_queue_duration_seconds", "[ALPHA] How long in seconds an item stays in workqueue before being requested.", expBuckets(1e-08, 10, 10), b.n(1, 500), 1e-05, "name", q)
		b.histogram("workqueue_work_duration_seconds", "[ALPHA] How long in seconds processing an item from workqueue takes.", expBuckets(1e-08, 10, 10), b.n(1, 500), 5e-05, "name", q)
	}
	return b.render()
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func fnvHash(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

func (b *metricsBuilder) render() string {
	names := make([]string, 0, len(b.families))
	for n := range b.families {
		names = append(names, n)
	}
	sort.Strings(names)
	var sb strings.Builder
	for _, name := range names {
		f := b.families[name]
		sort.SliceStable(f.series, func(i, j int) bool { return labelsLess(f.series[i].labels, f.series[j].labels) })
		fmt.Fprintf(&sb, "# HELP %s %s\n# TYPE %s %s\n", name, escapeHelp(f.help), name, f.typ)
		for _, s := range f.series {
			switch f.typ {
			case "histogram":
				for i, ub := range s.bounds {
					writeSample(&sb, name+"_bucket", s.labels, &label{"le", fmtFloat(ub)}, float64(s.counts[i]))
				}
				writeSample(&sb, name+"_bucket", s.labels, &label{"le", "+Inf"}, float64(s.count))
				writeSample(&sb, name+"_sum", s.labels, nil, s.sum)
				writeSample(&sb, name+"_count", s.labels, nil, float64(s.count))
			case "summary":
				for _, q := range s.quantiles {
					writeSample(&sb, name, s.labels, &label{"quantile", fmtFloat(q[0])}, q[1])
				}
				writeSample(&sb, name+"_sum", s.labels, nil, s.sum)
				writeSample(&sb, name+"_count", s.labels, nil, float64(s.count))
			default:
				writeSample(&sb, name, s.labels, nil, s.value)
			}
		}
	}
	return sb.String()
}

// labelsLess orders series as the Prometheus Go client does: by the first label value that
// differs. (Joining the values with a separator would sort "GracefulNodeShutdown" after
// "GracefulNodeShutdownBasedOnPodPriority", which a real kubelet never does.)
func labelsLess(a, b []label) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i].v != b[i].v {
			return a[i].v < b[i].v
		}
	}
	return len(a) < len(b)
}

func writeSample(sb *strings.Builder, name string, ls []label, extra *label, v float64) {
	sb.WriteString(name)
	all := ls
	if extra != nil {
		all = append(append([]label{}, ls...), *extra)
	}
	if len(all) > 0 {
		sb.WriteByte('{')
		for i, l := range all {
			if i > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(sb, `%s="%s"`, l.k, escapeLabel(l.v))
		}
		sb.WriteByte('}')
	}
	sb.WriteByte(' ')
	sb.WriteString(fmtFloat(v))
	sb.WriteByte('\n')
}

// fmtFloat formats like the Prometheus text encoder.
func fmtFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case math.IsNaN(f):
		return "NaN"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
