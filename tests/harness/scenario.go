package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Scenario is one YAML file under tests/scenarios/. tests/SCENARIOS.md documents every field;
// keep the two in step.
type Scenario struct {
	Name       string          `json:"name,omitempty"`
	APIServer  APIServerSpec   `json:"apiserver"`
	Nodes      []NodeSpec      `json:"nodes,omitempty"`
	Webhooks   []WebhookSpec   `json:"webhooks,omitempty"`
	Namespaces []NamespaceSpec `json:"namespaces,omitempty"`
	// Objects are arbitrary manifests, created in order after everything else.
	Objects []json.RawMessage `json:"objects,omitempty"`
	// ControllerManager and Scheduler run the real components when present.
	ControllerManager *ComponentSpec `json:"controllerManager,omitempty"`
	Scheduler         *ComponentSpec `json:"scheduler,omitempty"`
	// Generate adds nodes and workloads by count (fleet.go), for scale benchmarks.
	Generate *GenerateSpec `json:"generate,omitempty"`
	// KubeletLatency delays every fake kubelet's answers (latency.go); `ksc-harness latency` changes it.
	KubeletLatency string `json:"kubeletLatency,omitempty"`
}

// ComponentSpec is a real control-plane component besides the apiserver.
type ComponentSpec struct {
	// Version defaults to apiserver.version.
	Version      string          `json:"version,omitempty"`
	FeatureGates map[string]bool `json:"featureGates,omitempty"`
	// StaticPods runs the component as a static pod on the scenario's first real node (its
	// manifest in the kubelet's staticPodPath, kubeadm's name, labels and image name), so that
	// its mirror pod in kube-system shows its command line, as on a kubeadm cluster.
	StaticPods bool `json:"staticPods,omitempty"`
}

type APIServerSpec struct {
	Version         string          `json:"version"`
	FeatureGates    map[string]bool `json:"featureGates,omitempty"`
	EmulatedVersion string          `json:"emulatedVersion,omitempty"`
	ExtraFlags      []string        `json:"extraFlags,omitempty"`
}

type NodeSpec struct {
	Name                    string            `json:"name"`
	Labels                  map[string]string `json:"labels,omitempty"`
	Annotations             map[string]string `json:"annotations,omitempty"`
	Taints                  []corev1.Taint    `json:"taints,omitempty"`
	Unschedulable           bool              `json:"unschedulable,omitempty"`
	KubeletVersion          string            `json:"kubeletVersion,omitempty"`
	OS                      string            `json:"os,omitempty"`
	Arch                    string            `json:"arch,omitempty"`
	OSImage                 string            `json:"osImage,omitempty"`
	KernelVersion           string            `json:"kernelVersion,omitempty"`
	ContainerRuntimeVersion string            `json:"containerRuntimeVersion,omitempty"`
	Ready                   *bool             `json:"ready,omitempty"`
	KubeletPort             int               `json:"kubeletPort,omitempty"`
	Capacity                map[string]string `json:"capacity,omitempty"`
	Metrics                 MetricsSpec       `json:"metrics,omitempty"`
	// Runtime: fake (default: a fake kubelet, Node written by the harness) | real (containerd
	// and a real kubelet of KubeletVersion, which registers the Node itself).
	Runtime string `json:"runtime,omitempty"`
	// FeatureGates of a real kubelet.
	FeatureGates map[string]bool `json:"featureGates,omitempty"`
}

// MetricsSpec is how the node's fake kubelet answers on its address.
type MetricsSpec struct {
	// Mode: serve (default) | http-error | hang | no-listener | reset | garbage | huge.
	Mode string `json:"mode,omitempty"`
	// Status is the HTTP status /metrics answers with in http-error mode (default 500).
	Status int `json:"status,omitempty"`
	// SidecarContainers: omitted = what a kubelet of kubeletVersion reports; "absent" = no series;
	// {enabled, stage} = exactly that series.
	SidecarContainers *GateSeries `json:"sidecarContainers,omitempty"`
}

// GateSeries is one kubernetes_feature_enabled series, or its explicit absence.
type GateSeries struct {
	Absent  bool   `json:"-"`
	Enabled bool   `json:"enabled"`
	Stage   string `json:"stage"`
}

func (g *GateSeries) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if s != "absent" {
			return fmt.Errorf(`sidecarContainers: want "absent" or {enabled, stage}, got %q`, s)
		}
		g.Absent = true
		return nil
	}
	type plain struct {
		Enabled *bool   `json:"enabled"`
		Stage   *string `json:"stage"`
	}
	var p plain
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return fmt.Errorf("sidecarContainers: %w", err)
	}
	if p.Enabled == nil || p.Stage == nil {
		return fmt.Errorf(`sidecarContainers: both enabled and stage are required (stage "" means GA)`)
	}
	g.Enabled, g.Stage = *p.Enabled, *p.Stage
	return nil
}

type WebhookSpec struct {
	// Name is the webhook's name inside its configuration (a fully qualified name).
	Name string `json:"name"`
	// Configuration is the MutatingWebhookConfiguration holding it (default: Name). Webhooks
	// sharing a configuration are registered in it in scenario order.
	Configuration string `json:"configuration,omitempty"`
	// Behaviour: strip-restartpolicy | drop-restart-rules | inject-container | no-dry-run | reject |
	// allow | slow | down.
	Behaviour string `json:"behaviour"`
	// DelaySeconds is how long a slow webhook waits before it allows (default 5).
	DelaySeconds       int                                          `json:"delaySeconds,omitempty"`
	Message            string                                       `json:"message,omitempty"`
	NamespaceSelector  *metav1.LabelSelector                        `json:"namespaceSelector,omitempty"`
	ObjectSelector     *metav1.LabelSelector                        `json:"objectSelector,omitempty"`
	FailurePolicy      string                                       `json:"failurePolicy,omitempty"`
	ReinvocationPolicy string                                       `json:"reinvocationPolicy,omitempty"`
	MatchPolicy        string                                       `json:"matchPolicy,omitempty"`
	MatchConditions    []admissionregistrationv1.MatchCondition     `json:"matchConditions,omitempty"`
	SideEffects        string                                       `json:"sideEffects,omitempty"`
	TimeoutSeconds     *int32                                       `json:"timeoutSeconds,omitempty"`
	Rules              []admissionregistrationv1.RuleWithOperations `json:"rules,omitempty"`
}

type NamespaceSpec struct {
	Name        string            `json:"name"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

var (
	versionRE      = regexp.MustCompile(`^v1\.(\d+)\.(\d+)`)
	exactVersionRE = regexp.MustCompile(`^v1\.\d+\.\d+$`)
)

// minorOf returns the minor of a vMAJOR.MINOR.PATCH string with any vendor suffix.
func minorOf(v string) (int, bool) {
	m := versionRE.FindStringSubmatch(v)
	if m == nil {
		return 0, false
	}
	var minor int
	_, err := fmt.Sscanf(m[1], "%d", &minor)
	return minor, err == nil
}

func loadScenario(path string) (*Scenario, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Scenario
	// Strict: a misspelt field must fail loudly, not silently test something else.
	if err := yaml.UnmarshalStrict(raw, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := s.expand(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

func (s *Scenario) validate() error {
	if _, ok := minorOf(s.APIServer.Version); !ok {
		return fmt.Errorf("apiserver.version %q: want vMAJOR.MINOR.PATCH such as v1.37.2", s.APIServer.Version)
	}
	if len(s.Nodes) > maxNodes {
		return fmt.Errorf("at most %d nodes per scenario", maxNodes)
	}
	seen := map[string]bool{}
	for i := range s.Nodes {
		n := &s.Nodes[i]
		if n.Name == "" {
			return fmt.Errorf("nodes[%d]: name is required", i)
		}
		if seen[n.Name] {
			return fmt.Errorf("nodes[%d]: duplicate name %q", i, n.Name)
		}
		seen[n.Name] = true
		if n.KubeletVersion == "" {
			n.KubeletVersion = s.APIServer.Version
		}
		if _, ok := minorOf(n.KubeletVersion); !ok {
			return fmt.Errorf("nodes[%d].kubeletVersion %q: want vMAJOR.MINOR.PATCH[suffix]", i, n.KubeletVersion)
		}
		switch n.Runtime {
		case "", "fake":
			n.Runtime = "fake"
			if len(n.FeatureGates) > 0 {
				return fmt.Errorf("nodes[%d].featureGates: only for runtime real (a fake kubelet's gate is metrics.sidecarContainers)", i)
			}
		case "real":
			if !exactVersionRE.MatchString(n.KubeletVersion) {
				return fmt.Errorf("nodes[%d].kubeletVersion %q: a real kubelet is built from the Go modules: want exactly vMAJOR.MINOR.PATCH", i, n.KubeletVersion)
			}
			// The real kubelet writes its Node and serves its own /metrics.
			if len(n.Labels)+len(n.Annotations)+len(n.Taints)+len(n.Capacity) > 0 || n.Unschedulable || n.Ready != nil ||
				n.Metrics != (MetricsSpec{}) || n.KubeletPort != 0 || n.OS+n.Arch+n.OSImage+n.KernelVersion+n.ContainerRuntimeVersion != "" {
				return fmt.Errorf("nodes[%d] %s: a real node takes only name, kubeletVersion and featureGates", i, n.Name)
			}
		default:
			return fmt.Errorf("nodes[%d].runtime %q: want fake or real", i, n.Runtime)
		}
		switch n.Metrics.Mode {
		case "":
			n.Metrics.Mode = "serve"
		case "serve", "hang", "no-listener", "reset", "garbage", "huge":
		case "http-error":
			if n.Metrics.Status == 0 {
				n.Metrics.Status = 500
			}
			if n.Metrics.Status < 400 || n.Metrics.Status > 599 {
				return fmt.Errorf("nodes[%d].metrics.status %d: want 400-599", i, n.Metrics.Status)
			}
		default:
			return fmt.Errorf("nodes[%d].metrics.mode %q: want serve, http-error, hang, no-listener, reset, garbage or huge", i, n.Metrics.Mode)
		}
		if n.KubeletPort == 0 {
			n.KubeletPort = 10250
		}
		if n.KubeletPort < 1 || n.KubeletPort > 65535 {
			return fmt.Errorf("nodes[%d].kubeletPort %d out of range", i, n.KubeletPort)
		}
		if n.OS == "" {
			n.OS = "linux"
		}
		if n.Arch == "" {
			n.Arch = "amd64"
		}
		if n.OSImage == "" {
			n.OSImage = "Debian GNU/Linux 12 (bookworm)"
		}
		if n.KernelVersion == "" {
			n.KernelVersion = "6.1.0-28-cloud-amd64"
		}
		if n.ContainerRuntimeVersion == "" {
			n.ContainerRuntimeVersion = "containerd://2.1.4"
		}
		if n.Ready == nil {
			t := true
			n.Ready = &t
		}
	}
	hooks := map[string]bool{}
	for i := range s.Webhooks {
		w := &s.Webhooks[i]
		if strings.Count(w.Name, ".") < 2 {
			return fmt.Errorf("webhooks[%d].name %q: the apiserver wants a fully qualified name with at least three segments", i, w.Name)
		}
		if w.Configuration == "" {
			w.Configuration = w.Name
		}
		key := w.Configuration + "/" + w.Name
		if hooks[key] {
			return fmt.Errorf("webhooks[%d]: duplicate webhook %q in configuration %q", i, w.Name, w.Configuration)
		}
		hooks[key] = true
		switch w.Behaviour {
		case "strip-restartpolicy", "drop-restart-rules", "inject-container", "reject", "allow", "down":
		case "slow":
			if w.DelaySeconds == 0 {
				w.DelaySeconds = 5
			}
			if w.DelaySeconds < 0 {
				return fmt.Errorf("webhooks[%d].delaySeconds %d: want > 0", i, w.DelaySeconds)
			}
		case "no-dry-run":
			if w.SideEffects == "" {
				w.SideEffects = "Some"
			}
		default:
			return fmt.Errorf("webhooks[%d].behaviour %q: want strip-restartpolicy, drop-restart-rules, inject-container, no-dry-run, reject, allow, slow or down", i, w.Behaviour)
		}
		if w.DelaySeconds != 0 && w.Behaviour != "slow" {
			return fmt.Errorf("webhooks[%d].delaySeconds: only for behaviour slow", i)
		}
	}
	for _, c := range []*ComponentSpec{s.ControllerManager, s.Scheduler} {
		if c != nil && c.Version != "" && !exactVersionRE.MatchString(c.Version) {
			return fmt.Errorf("controllerManager/scheduler version %q: want exactly vMAJOR.MINOR.PATCH", c.Version)
		}
		if c != nil && c.StaticPods && !s.hasRealNode() {
			return fmt.Errorf("controllerManager/scheduler staticPods: needs a node with runtime: real")
		}
	}
	for i, ns := range s.Namespaces {
		if ns.Name == "" {
			return fmt.Errorf("namespaces[%d]: name is required", i)
		}
	}
	return nil
}

// featureGateFlag renders featureGates as --feature-gates wants them, in a stable order.
func featureGateFlag(g map[string]bool) string {
	keys := make([]string, 0, len(g))
	for k := range g {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%t", k, g[k])
	}
	return strings.Join(parts, ",")
}

func (s *Scenario) hasRealNode() bool {
	for _, n := range s.Nodes {
		if n.real() {
			return true
		}
	}
	return false
}
