package main

// Everything the scenario puts into the API once the apiserver is ready: the restricted user's
// RBAC, namespaces, nodes with their status, webhook registrations, then arbitrary objects.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

type clients struct {
	typed   kubernetes.Interface
	dynamic dynamic.Interface
	mapper  *restmapper.DeferredDiscoveryRESTMapper
}

func newClients(apiURL string, caPEM []byte, token string) (*clients, error) {
	cfg := &rest.Config{
		Host:            apiURL,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: caPEM},
		QPS:             100,
		Burst:           200,
		Timeout:         30 * time.Second,
		Proxy:           func(*http.Request) (*url.URL, error) { return nil, nil },
		UserAgent:       "ksc-harness",
	}
	typed, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &clients{typed: typed, dynamic: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))}, nil
}

// restrictedRules is the read-only role of the restricted user, listed resource by resource on
// purpose: no wildcard, no nodes/proxy, no /metrics, no write verb anywhere.
var restrictedRules = []rbacv1.PolicyRule{
	{APIGroups: []string{""}, Resources: []string{"pods", "nodes", "namespaces", "events", "podtemplates", "replicationcontrollers", "services", "endpoints"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{"apps"}, Resources: []string{"deployments", "replicasets", "statefulsets", "daemonsets", "controllerrevisions"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{"batch"}, Resources: []string{"jobs", "cronjobs"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{"admissionregistration.k8s.io"}, Resources: []string{"mutatingwebhookconfigurations", "validatingwebhookconfigurations"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{"events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"get", "list", "watch"}},
}

func (s *supervisor) createRBAC(ctx context.Context) error {
	c := s.api.typed
	if _, err := c.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "ksc-readonly"}, Rules: restrictedRules}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("clusterrole ksc-readonly: %w", err)
	}
	if _, err := c.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "ksc-readonly"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "ksc-readonly"},
		Subjects:   []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "User", Name: restrictedUser}},
	}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("clusterrolebinding ksc-readonly: %w", err)
	}
	// The RBAC authorizer reads through an informer: wait until it sees the binding, so the
	// first test never races it.
	return pollUntil(ctx, nil, 30*time.Second, func() error {
		sar, err := c.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: restrictedUser, ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "list", Resource: "nodes"}}}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		if !sar.Status.Allowed {
			return fmt.Errorf("restricted user cannot list nodes yet")
		}
		return nil
	})
}

func (s *supervisor) createNamespaces(ctx context.Context) error {
	// The apiserver's bootstrap controller creates "default" shortly after /readyz.
	if err := pollUntil(ctx, nil, 30*time.Second, func() error {
		_, err := s.api.typed.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{})
		return err
	}); err != nil {
		return fmt.Errorf("namespace default never appeared: %w", err)
	}
	for _, ns := range s.scenario.Namespaces {
		if err := s.ensureNamespace(ctx, ns.Name, ns.Labels, ns.Annotations); err != nil {
			return err
		}
	}
	return nil
}

func (s *supervisor) ensureNamespace(ctx context.Context, name string, labels, annotations map[string]string) error {
	nsc := s.api.typed.CoreV1().Namespaces()
	existing, err := nsc.Get(ctx, name, metav1.GetOptions{})
	if err == nil {
		if len(labels) == 0 && len(annotations) == 0 {
			return nil
		}
		if existing.Labels == nil {
			existing.Labels = map[string]string{}
		}
		for k, v := range labels {
			existing.Labels[k] = v
		}
		if existing.Annotations == nil {
			existing.Annotations = map[string]string{}
		}
		for k, v := range annotations {
			existing.Annotations[k] = v
		}
		_, err = nsc.Update(ctx, existing, metav1.UpdateOptions{})
		return err
	}
	if !apierrors.IsNotFound(err) {
		return err
	}
	_, err = nsc.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations}}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("namespace %s: %w", name, err)
	}
	return nil
}

func (s *supervisor) createNodes(ctx context.Context) error {
	if len(s.scenario.Nodes) == 0 {
		return nil
	}
	// Thousands of nodes, two requests each: in parallel, without the harness client's QPS cap.
	c, err := s.bulkClients()
	if err != nil {
		return err
	}
	return parallel(ctx, 16, len(s.scenario.Nodes), func(ctx context.Context, i int) error {
		return s.createNode(ctx, c, s.scenario.Nodes[i])
	})
}

func (s *supervisor) createNode(ctx context.Context, c kubernetes.Interface, n NodeSpec) error {
	{
		labels := map[string]string{
			"kubernetes.io/hostname":  n.Name,
			"kubernetes.io/os":        n.OS,
			"kubernetes.io/arch":      n.Arch,
			"beta.kubernetes.io/os":   n.OS,
			"beta.kubernetes.io/arch": n.Arch,
		}
		for k, v := range n.Labels {
			labels[k] = v
		}
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: labels, Annotations: n.Annotations},
			Spec:       corev1.NodeSpec{Taints: n.Taints, Unschedulable: n.Unschedulable},
		}
		created, err := c.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
		capacity := corev1.ResourceList{}
		for k, v := range map[string]string{"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"} {
			capacity[corev1.ResourceName(k)] = resource.MustParse(v)
		}
		for k, v := range n.Capacity {
			q, err := resource.ParseQuantity(v)
			if err != nil {
				return fmt.Errorf("node %s: capacity %s=%q: %w", n.Name, k, v, err)
			}
			capacity[corev1.ResourceName(k)] = q
		}
		now := metav1.Now()
		ready := corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "kubelet is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now}
		if !*n.Ready {
			ready.Status, ready.Reason, ready.Message = corev1.ConditionFalse, "KubeletNotReady", "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"
		}
		cond := func(t corev1.NodeConditionType, reason, msg string) corev1.NodeCondition {
			return corev1.NodeCondition{Type: t, Status: corev1.ConditionFalse, Reason: reason, Message: msg, LastHeartbeatTime: now, LastTransitionTime: now}
		}
		id := fmt.Sprintf("%032x", fnvHash(n.Name))
		created.Status = corev1.NodeStatus{
			Capacity:    capacity,
			Allocatable: capacity,
			Phase:       corev1.NodeRunning,
			Conditions: []corev1.NodeCondition{
				cond(corev1.NodeMemoryPressure, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
				cond(corev1.NodeDiskPressure, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
				cond(corev1.NodePIDPressure, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
				ready,
			},
			Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: s.net.Nodes[n.Name]},
				{Type: corev1.NodeHostName, Address: n.Name},
			},
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(n.KubeletPort)}},
			NodeInfo: corev1.NodeSystemInfo{
				MachineID: id, SystemUUID: id, BootID: id,
				KernelVersion: n.KernelVersion, OSImage: n.OSImage, ContainerRuntimeVersion: n.ContainerRuntimeVersion,
				KubeletVersion: n.KubeletVersion, OperatingSystem: n.OS, Architecture: n.Arch,
			},
		}
		if _, err := c.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("node %s status: %w", n.Name, err)
		}
	}
	return nil
}

// registerWebhooks starts one server per webhook and registers them, grouped by configuration
// in scenario order, then waits until the apiserver calls webhooks registered that late.
func (s *supervisor) registerWebhooks(ctx context.Context, authority *ca) error {
	if len(s.scenario.Webhooks) == 0 {
		return nil
	}
	certFile, keyFile, err := authority.issueServing(s.dir+"/pki", "webhook", []string{"127.0.0.1"}, []string{"localhost"})
	if err != nil {
		return err
	}
	var order []string
	configs := map[string]*admissionregistrationv1.MutatingWebhookConfiguration{}
	for i, w := range s.scenario.Webhooks {
		var argv []string
		switch w.Behaviour {
		case "strip-restartpolicy":
			argv = []string{s.legacyWebhookBin("ksc-legacy-webhook"), "--cert", certFile, "--key", keyFile}
		case "drop-restart-rules":
			argv = []string{s.legacyWebhookBin("ksc-legacy-webhook-v032"), "--cert", certFile, "--key", keyFile}
		case "inject-container", "reject":
			argv = []string{s.self, "webhook", "--behaviour", w.Behaviour, "--cert", certFile, "--key", keyFile, "--message", w.Message}
		case "slow":
			argv = []string{s.self, "webhook", "--behaviour", "allow", "--delay", fmt.Sprintf("%ds", w.DelaySeconds), "--cert", certFile, "--key", keyFile}
		default: // allow, no-dry-run
			argv = []string{s.self, "webhook", "--behaviour", "allow", "--cert", certFile, "--key", keyFile}
		}
		var addr string
		if w.Behaviour == "down" {
			// Registered, and nothing listens: the apiserver's call is refused.
			port, err := freePort()
			if err != nil {
				return err
			}
			addr = fmt.Sprintf("127.0.0.1:%d", port)
		} else {
			c, err := s.spawn(fmt.Sprintf("webhook-%d-%s", i, w.Name), nil, argv...)
			if err != nil {
				return err
			}
			if addr, err = c.waitLine(ctx, "listening ", 30*time.Second); err != nil {
				return fmt.Errorf("webhook %s: %w", w.Name, err)
			}
		}
		url := "https://" + addr + "/mutate"
		s.setEnv(func(e *envFile) { e.Webhooks[w.Name] = url })

		hook := admissionregistrationv1.MutatingWebhook{
			Name:                    w.Name,
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: authority.certPEM},
			Rules:                   w.Rules,
			NamespaceSelector:       w.NamespaceSelector,
			ObjectSelector:          w.ObjectSelector,
			AdmissionReviewVersions: []string{"v1"},
			TimeoutSeconds:          w.TimeoutSeconds,
			MatchConditions:         w.MatchConditions,
		}
		if len(hook.Rules) == 0 {
			hook.Rules = []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
			}}
		}
		se := admissionregistrationv1.SideEffectClassNone
		if w.SideEffects != "" {
			se = admissionregistrationv1.SideEffectClass(w.SideEffects)
		}
		hook.SideEffects = &se
		if w.FailurePolicy != "" {
			fp := admissionregistrationv1.FailurePolicyType(w.FailurePolicy)
			hook.FailurePolicy = &fp
		}
		if w.ReinvocationPolicy != "" {
			rp := admissionregistrationv1.ReinvocationPolicyType(w.ReinvocationPolicy)
			hook.ReinvocationPolicy = &rp
		}
		if w.MatchPolicy != "" {
			mp := admissionregistrationv1.MatchPolicyType(w.MatchPolicy)
			hook.MatchPolicy = &mp
		}
		cfg, ok := configs[w.Configuration]
		if !ok {
			cfg = &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: w.Configuration}}
			configs[w.Configuration] = cfg
			order = append(order, w.Configuration)
		}
		cfg.Webhooks = append(cfg.Webhooks, hook)
	}
	for _, name := range order {
		cfg := configs[name]
		if hasSideEffects(cfg) {
			if err := s.putLegacyWebhookConfig(ctx, cfg); err != nil {
				return fmt.Errorf("mutatingwebhookconfiguration %s: %w", name, err)
			}
			continue
		}
		if _, err := s.api.typed.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, cfg, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("mutatingwebhookconfiguration %s: %w", name, err)
		}
	}
	return s.waitWebhooksActive(ctx, certFile, keyFile, authority)
}

// waitWebhooksActive registers a sentinel webhook last, probes until the apiserver calls it,
// and removes it. The apiserver loads webhook configurations through an informer that sees
// objects in creation order, so once the sentinel is called every earlier one is active.
func (s *supervisor) waitWebhooksActive(ctx context.Context, certFile, keyFile string, authority *ca) error {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var called atomic.Bool
	srv := &http.Server{
		Handler: admissionHandler(func(*admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
			called.Store(true)
			return &admissionv1.AdmissionResponse{Allowed: true}
		}),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(nopWriter{}, "", 0),
	}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	defer srv.Close()

	url := "https://" + ln.Addr().String() + "/mutate"
	se := admissionregistrationv1.SideEffectClassNone
	ignore := admissionregistrationv1.Ignore
	mwcs := s.api.typed.AdmissionregistrationV1().MutatingWebhookConfigurations()
	const name = "zz-ksc-harness-sentinel"
	probeLabel := map[string]string{"ksc-harness.test/sentinel": "probe"}
	if _, err := mwcs.Create(ctx, &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:         "sentinel.ksc-harness.test",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: authority.certPEM},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
			}},
			ObjectSelector:          &metav1.LabelSelector{MatchLabels: probeLabel},
			SideEffects:             &se,
			FailurePolicy:           &ignore,
			AdmissionReviewVersions: []string{"v1"},
		}},
	}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("sentinel webhook: %w", err)
	}
	err = pollUntil(ctx, nil, 30*time.Second, func() error {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "ksc-sentinel-", Labels: probeLabel}}
		_, err := s.api.typed.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			return err
		}
		if !called.Load() {
			return fmt.Errorf("webhook configurations not active yet")
		}
		return nil
	})
	_ = mwcs.Delete(context.Background(), name, metav1.DeleteOptions{})
	return err
}

func hasSideEffects(cfg *admissionregistrationv1.MutatingWebhookConfiguration) bool {
	for _, h := range cfg.Webhooks {
		if h.SideEffects != nil && *h.SideEffects != admissionregistrationv1.SideEffectClassNone && *h.SideEffects != admissionregistrationv1.SideEffectClassNoneOnDryRun {
			return true
		}
	}
	return false
}

// putLegacyWebhookConfig stores a configuration with sideEffects Some/Unknown. admissionregistration/v1
// refuses to create one (only None and NoneOnDryRun), yet clusters upgraded from before 1.22 still
// carry such objects, created through v1beta1, and they make every dry run they match fail. The
// only way to have one today is the way those clusters have it: already in storage. So we write
// it into etcd under the apiserver's key (the storage decoder accepts JSON); the apiserver's watch
// picks it up like any other change.
func (s *supervisor) putLegacyWebhookConfig(ctx context.Context, cfg *admissionregistrationv1.MutatingWebhookConfiguration) error {
	obj := cfg.DeepCopy()
	obj.APIVersion, obj.Kind = "admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"
	obj.UID = types.UID(uuidV4())
	obj.Generation = 1
	obj.CreationTimestamp = metav1.Now()
	for i := range obj.Webhooks {
		h := &obj.Webhooks[i]
		// Defaults the apiserver would have filled in on create.
		if h.FailurePolicy == nil {
			fp := admissionregistrationv1.Fail
			h.FailurePolicy = &fp
		}
		if h.MatchPolicy == nil {
			mp := admissionregistrationv1.Equivalent
			h.MatchPolicy = &mp
		}
		if h.NamespaceSelector == nil {
			h.NamespaceSelector = &metav1.LabelSelector{}
		}
		if h.ObjectSelector == nil {
			h.ObjectSelector = &metav1.LabelSelector{}
		}
		if h.TimeoutSeconds == nil {
			t := int32(10)
			h.TimeoutSeconds = &t
		}
		if h.ReinvocationPolicy == nil {
			rp := admissionregistrationv1.NeverReinvocationPolicy
			h.ReinvocationPolicy = &rp
		}
		for j := range h.Rules {
			if h.Rules[j].Scope == nil {
				sc := admissionregistrationv1.AllScopes
				h.Rules[j].Scope = &sc
			}
		}
	}
	value, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	if err := etcdPut(ctx, s.etcdURL, "/registry/mutatingwebhookconfigurations/"+obj.Name, value); err != nil {
		return err
	}
	// Make sure the apiserver serves it before going on.
	return pollUntil(ctx, nil, 30*time.Second, func() error {
		_, err := s.api.typed.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, obj.Name, metav1.GetOptions{})
		return err
	})
}

// etcdPut writes one key through etcd's JSON gateway (/v3/kv/put), which needs no client library.
func etcdPut(ctx context.Context, etcdURL, key string, value []byte) error {
	body, _ := json.Marshal(map[string]string{
		"key":   base64.StdEncoding.EncodeToString([]byte(key)),
		"value": base64.StdEncoding.EncodeToString(value),
	})
	req, err := http.NewRequestWithContext(ctx, "POST", etcdURL+"/v3/kv/put", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("etcd put %s: %s: %s", key, resp.Status, out)
	}
	return nil
}

func uuidV4() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

// createObjects creates the scenario's manifests in order, filling in owner and event UIDs and
// writing each `status:` through the status subresource afterwards.
func (s *supervisor) createObjects(ctx context.Context) error {
	for i, raw := range s.scenario.Objects {
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(raw); err != nil {
			return fmt.Errorf("objects[%d]: %w", i, err)
		}
		where := fmt.Sprintf("objects[%d] %s %s", i, obj.GetKind(), obj.GetName())
		if err := s.createObject(ctx, obj); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	return nil
}

func (s *supervisor) mapping(ctx context.Context, gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	var m *meta.RESTMapping
	// Kinds from CRDs created a moment ago appear in discovery only once established.
	err := pollUntil(ctx, nil, 30*time.Second, func() error {
		var err error
		m, err = s.api.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) {
			s.api.mapper.Reset()
		}
		return err
	})
	return m, err
}

func (s *supervisor) resourceFor(ctx context.Context, apiVersion, kind, namespace string) (dynamic.ResourceInterface, bool, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, false, err
	}
	m, err := s.mapping(ctx, gv.WithKind(kind))
	if err != nil {
		return nil, false, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if namespace == "" {
			namespace = "default"
		}
		return s.api.dynamic.Resource(m.Resource).Namespace(namespace), true, nil
	}
	return s.api.dynamic.Resource(m.Resource), false, nil
}

func (s *supervisor) lookupUID(ctx context.Context, apiVersion, kind, namespace, name string) (string, error) {
	ri, _, err := s.resourceFor(ctx, apiVersion, kind, namespace)
	if err != nil {
		return "", err
	}
	o, err := ri.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	return string(o.GetUID()), nil
}

func (s *supervisor) createObject(ctx context.Context, obj *unstructured.Unstructured) error {
	status, hasStatus, _ := unstructured.NestedFieldNoCopy(obj.Object, "status")
	unstructured.RemoveNestedField(obj.Object, "status")

	ri, namespaced, err := s.resourceFor(ctx, obj.GetAPIVersion(), obj.GetKind(), obj.GetNamespace())
	if err != nil {
		return err
	}
	if namespaced {
		if obj.GetNamespace() == "" {
			obj.SetNamespace("default")
		}
		if err := s.ensureNamespace(ctx, obj.GetNamespace(), nil, nil); err != nil {
			return err
		}
	}
	refs := obj.GetOwnerReferences()
	for j := range refs {
		if refs[j].UID == "" {
			uid, err := s.lookupUID(ctx, refs[j].APIVersion, refs[j].Kind, obj.GetNamespace(), refs[j].Name)
			if err != nil {
				return fmt.Errorf("ownerReferences[%d] %s %s: %w", j, refs[j].Kind, refs[j].Name, err)
			}
			refs[j].UID = types.UID(uid)
		}
	}
	if len(refs) > 0 {
		obj.SetOwnerReferences(refs)
	}
	// Events point at their object by uid too; a dangling event (object gone) keeps no uid.
	for _, field := range []string{"involvedObject", "regarding", "related"} {
		ref, ok, _ := unstructured.NestedMap(obj.Object, field)
		if !ok || ref["uid"] != nil || !strings.Contains(obj.GetKind(), "Event") {
			continue
		}
		kind, _ := ref["kind"].(string)
		name, _ := ref["name"].(string)
		ns, _ := ref["namespace"].(string)
		apiVersion, _ := ref["apiVersion"].(string)
		if apiVersion == "" {
			apiVersion = "v1"
		}
		if uid, err := s.lookupUID(ctx, apiVersion, kind, ns, name); err == nil {
			ref["uid"] = uid
			_ = unstructured.SetNestedMap(obj.Object, ref, field)
		}
	}
	created, err := ri.Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	if !hasStatus {
		return nil
	}
	created.Object["status"] = status
	_, err = ri.UpdateStatus(ctx, created, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) {
		// No status subresource (a plain CRD, a ConfigMap-like kind): status is ordinary data.
		_, err = ri.Update(ctx, created, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("writing status: %w", err)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
