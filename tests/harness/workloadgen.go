package main

// `generate.workloads`: thousands of pods with their owners, created through the API with a
// bounded pool of workers (one namespace per worker at a time, owners before what they own,
// status through the status subresource like every other object of the harness).
//
// Each namespace repeats the cycle below until it holds its share of the pods (the last unit is
// cut short). Of 52 pods a cycle: 20 plain, 21 with native sidecars (init containers with
// restartPolicy Always), 14 with legacy sidecars (a second app container such as istio-proxy),
// and stuck states: a Deployment whose native sidecar a webhook stripped from its pods
// (Init:0/1 forever), a native sidecar in CrashLoopBackOff, a Job whose legacy sidecar keeps it
// from completing, an unschedulable bare pod. Deployments own ReplicaSets own Pods; CronJobs own
// Jobs own Pods; Jobs own Pods.

import (
	"context"
	"fmt"
	"hash/fnv"
	"log"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// unit is one owner (or a bare pod) and how many pods it has.
type unit struct {
	kind  string // deploy | job | cronjob | bare
	shape string // plain | native | legacy | stripped | crashloop | pending
	pods  int
}

var workloadCycle = []unit{
	{"deploy", "plain", 6}, {"deploy", "native", 6}, {"deploy", "legacy", 6}, {"job", "native", 1},
	{"deploy", "plain", 4}, {"cronjob", "legacy", 2}, {"deploy", "native", 5}, {"job", "legacy", 1},
	{"deploy", "legacy", 5}, {"bare", "plain", 1}, {"deploy", "stripped", 3}, {"bare", "pending", 1},
	{"deploy", "plain", 5}, {"job", "plain", 1}, {"cronjob", "native", 2}, {"deploy", "crashloop", 3},
}

// bulkClients is the admin user without client-side rate limiting and with protobuf: the
// harness's own client (100 QPS) would take minutes for 60,000 requests.
func (s *supervisor) bulkClients() (kubernetes.Interface, error) {
	cfg := &rest.Config{
		Host:            s.env.APIServerURL,
		BearerToken:     s.files.adminToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: s.authority.certPEM},
		QPS:             -1,
		Timeout:         60 * time.Second,
		Proxy:           func(*http.Request) (*url.URL, error) { return nil, nil },
		UserAgent:       "ksc-harness-generate",
		ContentConfig:   rest.ContentConfig{ContentType: "application/vnd.kubernetes.protobuf"},
	}
	return kubernetes.NewForConfig(cfg)
}

func (s *supervisor) generateWorkloads(ctx context.Context) error {
	if s.scenario.Generate == nil || s.scenario.Generate.Workloads == nil {
		return nil
	}
	spec := s.scenario.Generate.Workloads
	c, err := s.bulkClients()
	if err != nil {
		return err
	}
	var nodes []string
	for _, n := range s.scenario.Nodes {
		nodes = append(nodes, n.Name)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	var created, requests atomic.Int64
	var firstErr error
	var once sync.Once
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < spec.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				share := spec.Pods / spec.Namespaces
				if i < spec.Pods%spec.Namespaces {
					share++
				}
				g := &nsGen{c: c, ns: fmt.Sprintf("ns-%03d", i), nsIndex: i, nodes: nodes, addrs: s.net.Nodes, requests: &requests}
				if err := g.fill(ctx, share); err != nil {
					once.Do(func() { firstErr = fmt.Errorf("namespace %s: %w", g.ns, err); cancel() })
					return
				}
				if n := created.Add(int64(share)); int(n)*10/spec.Pods != int(n-int64(share))*10/spec.Pods {
					log.Printf("generated %d of %d pods (%d requests, %.0fs)", n, spec.Pods, requests.Load(), time.Since(start).Seconds())
				}
			}
		}()
	}
feed:
	for i := 0; i < spec.Namespaces; i++ {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	took := time.Since(start)
	s.mu.Lock()
	apiPid, etcdPid := s.env.Pids["kube-apiserver"], s.env.Pids["etcd"]
	s.mu.Unlock()
	log.Printf("generated %d pods in %d namespaces with %d requests in %.1fs (%.0f requests/s); RSS kube-apiserver %s, etcd %s",
		created.Load(), spec.Namespaces, requests.Load(), took.Seconds(), float64(requests.Load())/took.Seconds(),
		rssOf(apiPid), rssOf(etcdPid))
	fmt.Printf("generated-pods: %d in %.1fs\n", created.Load(), took.Seconds())
	return nil
}

func rssOf(pid int) string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kib, _ := strconv.Atoi(f[1])
			return fmt.Sprintf("%d MiB", kib/1024)
		}
	}
	return "?"
}

type nsGen struct {
	c        kubernetes.Interface
	ns       string
	nsIndex  int
	nodes    []string
	addrs    map[string]string
	podSeq   int
	requests *atomic.Int64
}

// name returns a deterministic suffix of n characters from the alphabet Kubernetes uses.
func suffix(seed string, n int) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	h := fnv.New64a()
	_, _ = h.Write([]byte(seed))
	v := h.Sum64()
	out := make([]byte, n)
	for i := range out {
		out[i] = alphabet[v%uint64(len(alphabet))]
		v = v/uint64(len(alphabet)) + uint64(i)*2654435761
	}
	return string(out)
}

func (g *nsGen) fill(ctx context.Context, pods int) error {
	if _, err := g.c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: g.ns,
		Labels: map[string]string{"team": fmt.Sprintf("team-%02d", g.nsIndex%17)}}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	g.requests.Add(1)
	for u := 0; pods > 0; u++ {
		un := workloadCycle[u%len(workloadCycle)]
		if un.pods > pods {
			un.pods = pods
		}
		pods -= un.pods
		name := fmt.Sprintf("%s-%s-%02d", un.shape, un.kind, u)
		var err error
		switch un.kind {
		case "deploy":
			err = g.deployment(ctx, name, un)
		case "job":
			err = g.job(ctx, name, un, nil)
		case "cronjob":
			err = g.cronJob(ctx, name, un)
		default:
			err = g.pod(ctx, g.podMeta(name, nil, nil), un.shape, corev1.RestartPolicyAlways)
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", un.kind, name, err)
		}
	}
	return nil
}

func ownerRef(apiVersion, kind, name string, uid metav1.Object) metav1.OwnerReference {
	t := true
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid.GetUID(), Controller: &t, BlockOwnerDeletion: &t}
}

func (g *nsGen) podMeta(name string, labels map[string]string, owner *metav1.OwnerReference) metav1.ObjectMeta {
	l := map[string]string{"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": g.ns, "version": "v1.8.3"}
	for k, v := range labels {
		l[k] = v
	}
	m := metav1.ObjectMeta{Name: name, Namespace: g.ns, Labels: l,
		Annotations: map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": "9090"}}
	if owner != nil {
		m.OwnerReferences = []metav1.OwnerReference{*owner}
	}
	return m
}

// template is the pod spec of a shape as its owner declares it. A stripped owner declares a
// native sidecar; its pods lose restartPolicy (podSpec with stored=true).
func template(shape string, restart corev1.RestartPolicy, seed int, stored bool) corev1.PodSpec {
	always := corev1.ContainerRestartPolicyAlways
	app := corev1.Container{
		Name: "app", Image: fmt.Sprintf("registry.example/team/app:%d.%d.%d", 1+seed%3, seed%10, seed%7),
		Args: []string{"--listen=:8080", "--metrics=:9090"},
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
			{Name: "metrics", ContainerPort: 9090, Protocol: corev1.ProtocolTCP}},
		Env: []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}, {Name: "GOMAXPROCS", Value: "2"},
			{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}}},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{"cpu": resource.MustParse("100m"), "memory": resource.MustParse("128Mi")},
			Limits:   corev1.ResourceList{"memory": resource.MustParse("256Mi")}},
		ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromString("http"), Scheme: corev1.URISchemeHTTP}},
			PeriodSeconds: 10, TimeoutSeconds: 1, SuccessThreshold: 1, FailureThreshold: 3},
		VolumeMounts:             []corev1.VolumeMount{{Name: "kube-api-access", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true}},
		TerminationMessagePath:   "/dev/termination-log",
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		ImagePullPolicy:          corev1.PullIfNotPresent,
	}
	sidecars := []struct{ name, image string }{
		{"istio-proxy", "docker.io/istio/proxyv2:1.24.2"}, {"log-shipper", "cr.fluentbit.io/fluent/fluent-bit:3.2.4"},
		{"cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.3"}, {"vault-agent", "hashicorp/vault:1.18.3"},
	}
	sc := sidecars[seed%len(sidecars)]
	side := corev1.Container{Name: sc.name, Image: sc.image, Args: []string{"run", "--log-level=warn"},
		Resources:                corev1.ResourceRequirements{Requests: corev1.ResourceList{"cpu": resource.MustParse("50m"), "memory": resource.MustParse("64Mi")}},
		VolumeMounts:             []corev1.VolumeMount{{Name: "kube-api-access", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true}},
		TerminationMessagePath:   "/dev/termination-log",
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		ImagePullPolicy:          corev1.PullIfNotPresent,
	}
	three := int64(3607)
	spec := corev1.PodSpec{
		RestartPolicy: restart, TerminationGracePeriodSeconds: &three, DNSPolicy: corev1.DNSClusterFirst,
		ServiceAccountName: "default", SchedulerName: "default-scheduler",
		Tolerations: []corev1.Toleration{
			{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(300))},
			{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(300))}},
		Volumes: []corev1.Volume{{Name: "kube-api-access", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			DefaultMode: ptr(int32(420)),
			Sources: []corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr(int64(3607))}},
				{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"}, Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			}}}}},
	}
	switch shape {
	case "native", "crashloop":
		side.RestartPolicy = &always
		spec.InitContainers = []corev1.Container{side}
	case "stripped":
		if !stored {
			side.RestartPolicy = &always
		}
		spec.InitContainers = []corev1.Container{side}
	case "legacy":
		spec.Containers = []corev1.Container{app, side}
		return spec
	}
	spec.Containers = []corev1.Container{app}
	return spec
}

func ptr[T any](v T) *T { return &v }

func (g *nsGen) create(err error) error {
	g.requests.Add(1)
	return err
}

func (g *nsGen) deployment(ctx context.Context, name string, un unit) error {
	sel := map[string]string{"app.kubernetes.io/name": name}
	seed := g.nsIndex*131 + len(name)*7 + un.pods
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: sel}, Spec: template(un.shape, corev1.RestartPolicyAlways, seed, false)}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: g.ns, Labels: sel},
		Spec: appsv1.DeploymentSpec{Replicas: ptr(int32(un.pods)), Selector: &metav1.LabelSelector{MatchLabels: sel}, Template: tmpl}}
	d, err := g.c.AppsV1().Deployments(g.ns).Create(ctx, d, metav1.CreateOptions{})
	if err := g.create(err); err != nil {
		return err
	}
	ready := int32(un.pods)
	if un.shape == "stripped" || un.shape == "crashloop" {
		ready = 0
	}
	hash := suffix(g.ns+name, 10)
	rsName := name + "-" + hash
	rsLabels := map[string]string{"app.kubernetes.io/name": name, "pod-template-hash": hash}
	rsTmpl := tmpl.DeepCopy()
	rsTmpl.Labels = rsLabels
	ref := ownerRef("apps/v1", "Deployment", name, d)
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: rsName, Namespace: g.ns, Labels: rsLabels, OwnerReferences: []metav1.OwnerReference{ref},
		Annotations: map[string]string{"deployment.kubernetes.io/revision": "1", "deployment.kubernetes.io/desired-replicas": strconv.Itoa(un.pods)}},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr(int32(un.pods)), Selector: &metav1.LabelSelector{MatchLabels: rsLabels}, Template: *rsTmpl}}
	rs, err = g.c.AppsV1().ReplicaSets(g.ns).Create(ctx, rs, metav1.CreateOptions{})
	if err := g.create(err); err != nil {
		return err
	}
	rs.Status = appsv1.ReplicaSetStatus{Replicas: int32(un.pods), FullyLabeledReplicas: int32(un.pods), ReadyReplicas: ready, AvailableReplicas: ready, ObservedGeneration: 1}
	_, err = g.c.AppsV1().ReplicaSets(g.ns).UpdateStatus(ctx, rs, metav1.UpdateOptions{})
	if err := g.create(err); err != nil {
		return err
	}
	now := metav1.Now()
	avail := corev1.ConditionTrue
	availReason := "MinimumReplicasAvailable"
	if ready == 0 {
		avail, availReason = corev1.ConditionFalse, "MinimumReplicasUnavailable"
	}
	d.Status = appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: int32(un.pods), UpdatedReplicas: int32(un.pods), ReadyReplicas: ready, AvailableReplicas: ready,
		UnavailableReplicas: int32(un.pods) - ready,
		Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentAvailable, Status: avail, Reason: availReason, Message: "Deployment availability", LastUpdateTime: now, LastTransitionTime: now},
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable", Message: fmt.Sprintf("ReplicaSet %q has successfully progressed.", rsName), LastUpdateTime: now, LastTransitionTime: now}}}
	_, err = g.c.AppsV1().Deployments(g.ns).UpdateStatus(ctx, d, metav1.UpdateOptions{})
	if err := g.create(err); err != nil {
		return err
	}
	podRef := ownerRef("apps/v1", "ReplicaSet", rsName, rs)
	for i := 0; i < un.pods; i++ {
		podName := rsName + "-" + suffix(fmt.Sprintf("%s/%s/%d", g.ns, rsName, i), 5)
		m := g.podMeta(podName, rsLabels, &podRef)
		if err := g.podWithSpec(ctx, m, un.shape, template(un.shape, corev1.RestartPolicyAlways, seed, true)); err != nil {
			return err
		}
	}
	return nil
}

func (g *nsGen) cronJob(ctx context.Context, name string, un unit) error {
	seed := g.nsIndex*131 + len(name)*7
	cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: g.ns},
		Spec: batchv1.CronJobSpec{Schedule: fmt.Sprintf("%d * * * *", seed%60), ConcurrencyPolicy: batchv1.ForbidConcurrent,
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: template(un.shape, corev1.RestartPolicyNever, seed, false)}}}}}
	cj, err := g.c.BatchV1().CronJobs(g.ns).Create(ctx, cj, metav1.CreateOptions{})
	if err := g.create(err); err != nil {
		return err
	}
	ref := ownerRef("batch/v1", "CronJob", name, cj)
	for i := 0; i < un.pods; i++ {
		if err := g.job(ctx, fmt.Sprintf("%s-%d", name, 29000000+i*60), unit{"job", un.shape, 1}, &ref); err != nil {
			return err
		}
	}
	return nil
}

// job creates a Job with un.pods pods: native and plain ones succeeded, legacy ones stuck
// running (the app finished, its sidecar never does).
func (g *nsGen) job(ctx context.Context, name string, un unit, owner *metav1.OwnerReference) error {
	seed := g.nsIndex*131 + len(name)*7
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: g.ns},
		Spec: batchv1.JobSpec{BackoffLimit: ptr(int32(6)), Template: corev1.PodTemplateSpec{Spec: template(un.shape, corev1.RestartPolicyNever, seed, false)}}}
	if owner != nil {
		j.OwnerReferences = []metav1.OwnerReference{*owner}
	}
	j, err := g.c.BatchV1().Jobs(g.ns).Create(ctx, j, metav1.CreateOptions{})
	if err := g.create(err); err != nil {
		return err
	}
	start := metav1.NewTime(time.Now().Add(-10 * time.Minute).Truncate(time.Second))
	if un.shape == "legacy" {
		j.Status = batchv1.JobStatus{StartTime: &start, Active: int32(un.pods), Ready: ptr(int32(0)), Terminating: ptr(int32(0)),
			UncountedTerminatedPods: &batchv1.UncountedTerminatedPods{}}
	} else {
		done := metav1.NewTime(start.Add(2 * time.Minute))
		j.Status = batchv1.JobStatus{StartTime: &start, CompletionTime: &done, Succeeded: int32(un.pods), Ready: ptr(int32(0)), Terminating: ptr(int32(0)),
			UncountedTerminatedPods: &batchv1.UncountedTerminatedPods{},
			Conditions: []batchv1.JobCondition{
				{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, Reason: "CompletionsReached", Message: "Reached expected number of succeeded pods", LastProbeTime: done, LastTransitionTime: done},
				{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, Reason: "CompletionsReached", Message: "Reached expected number of succeeded pods", LastProbeTime: done, LastTransitionTime: done}}}
	}
	_, err = g.c.BatchV1().Jobs(g.ns).UpdateStatus(ctx, j, metav1.UpdateOptions{})
	if err := g.create(err); err != nil {
		return err
	}
	ref := ownerRef("batch/v1", "Job", name, j)
	labels := map[string]string{"batch.kubernetes.io/controller-uid": string(j.UID), "batch.kubernetes.io/job-name": name,
		"controller-uid": string(j.UID), "job-name": name}
	for i := 0; i < un.pods; i++ {
		m := g.podMeta(name+"-"+suffix(fmt.Sprintf("%s/%s/%d", g.ns, name, i), 5), labels, &ref)
		if err := g.podWithSpec(ctx, m, "job-"+un.shape, j.Spec.Template.Spec); err != nil {
			return err
		}
	}
	return nil
}

func (g *nsGen) pod(ctx context.Context, m metav1.ObjectMeta, shape string, restart corev1.RestartPolicy) error {
	return g.podWithSpec(ctx, m, shape, template(shape, restart, g.nsIndex+g.podSeq, true))
}

// podWithSpec creates one pod on the next node and writes the status its shape implies.
func (g *nsGen) podWithSpec(ctx context.Context, m metav1.ObjectMeta, shape string, spec corev1.PodSpec) error {
	seq := g.nsIndex*100003 + g.podSeq
	g.podSeq++
	node := ""
	if shape != "pending" && len(g.nodes) > 0 {
		node = g.nodes[seq%len(g.nodes)]
	}
	spec.NodeName = node
	p, err := g.c.CoreV1().Pods(g.ns).Create(ctx, &corev1.Pod{ObjectMeta: m, Spec: spec}, metav1.CreateOptions{})
	if err := g.create(err); err != nil {
		return err
	}
	p.Status = podStatus(p, shape, g.addrs[node], seq)
	_, err = g.c.CoreV1().Pods(g.ns).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	return g.create(err)
}

func podStatus(p *corev1.Pod, shape, hostIP string, seq int) corev1.PodStatus {
	started := metav1.NewTime(time.Now().Add(-time.Duration(1+seq%500) * time.Hour).Truncate(time.Second))
	cond := func(t corev1.PodConditionType, ok bool, reason string) corev1.PodCondition {
		s := corev1.ConditionTrue
		if !ok {
			s = corev1.ConditionFalse
		}
		return corev1.PodCondition{Type: t, Status: s, Reason: reason, LastTransitionTime: started}
	}
	if shape == "pending" {
		c := cond(corev1.PodScheduled, false, corev1.PodReasonUnschedulable)
		c.Message = "0/2000 nodes are available: 2000 Insufficient cpu. preemption: 0/2000 nodes are available: 2000 No preemption victims found for incoming pod."
		return corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{c}, QOSClass: corev1.PodQOSBurstable}
	}
	podIP := fmt.Sprintf("10.%d.%d.%d", 100+seq/65025%100, seq/255%255, seq%255+1)
	st := corev1.PodStatus{Phase: corev1.PodRunning, HostIP: hostIP, PodIP: podIP, PodIPs: []corev1.PodIP{{IP: podIP}},
		StartTime: &started, QOSClass: corev1.PodQOSBurstable}
	if hostIP != "" {
		st.HostIPs = []corev1.HostIP{{IP: hostIP}}
	}
	running := func(c corev1.Container, ready bool) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: c.Image + "@sha256:" + strings.Repeat("ab", 32),
			ContainerID: "containerd://" + strings.Repeat(suffix(p.Name+c.Name, 8), 8), Ready: ready, Started: ptr(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}}}
	}
	done := func(c corev1.Container, code int32, reason string) corev1.ContainerStatus {
		s := running(c, false)
		s.Started = ptr(false)
		s.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason, StartedAt: started, FinishedAt: metav1.NewTime(started.Add(90 * time.Second)), ContainerID: s.ContainerID}}
		return s
	}
	ok := true
	for _, c := range p.Spec.InitContainers {
		switch {
		case shape == "stripped":
			// A classic init container that never exits: Init:0/1 forever.
			s := running(c, false)
			st.InitContainerStatuses = append(st.InitContainerStatuses, s)
			st.Phase, ok = corev1.PodPending, false
		case shape == "crashloop":
			s := running(c, false)
			s.RestartCount = int32(12 + seq%30)
			s.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
				Message: fmt.Sprintf("back-off 5m0s restarting failed container=%s pod=%s_%s(%s)", c.Name, p.Name, p.Namespace, p.UID)}}
			s.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", StartedAt: started, FinishedAt: started}}
			st.InitContainerStatuses = append(st.InitContainerStatuses, s)
			ok = false
		case strings.HasPrefix(shape, "job-"):
			st.InitContainerStatuses = append(st.InitContainerStatuses, done(c, 0, "Completed"))
		default:
			st.InitContainerStatuses = append(st.InitContainerStatuses, running(c, true))
		}
	}
	for i, c := range p.Spec.Containers {
		switch {
		case shape == "stripped":
			s := running(c, false)
			s.Started, s.ContainerID, s.ImageID = ptr(false), "", ""
			s.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "PodInitializing"}}
			st.ContainerStatuses = append(st.ContainerStatuses, s)
		case shape == "job-legacy" && i > 0:
			st.ContainerStatuses = append(st.ContainerStatuses, running(c, true)) // the sidecar never exits
			ok = false
		case strings.HasPrefix(shape, "job-"):
			st.ContainerStatuses = append(st.ContainerStatuses, done(c, 0, "Completed"))
		default:
			st.ContainerStatuses = append(st.ContainerStatuses, running(c, ok))
		}
	}
	if strings.HasPrefix(shape, "job-") && shape != "job-legacy" {
		st.Phase, ok = corev1.PodSucceeded, false
	}
	initialized := shape != "stripped"
	st.Conditions = []corev1.PodCondition{
		cond(corev1.PodReadyToStartContainers, true, ""), cond(corev1.PodInitialized, initialized, map[bool]string{false: "ContainersNotInitialized"}[initialized]),
		cond(corev1.PodReady, ok, map[bool]string{false: "ContainersNotReady"}[ok]), cond(corev1.ContainersReady, ok, map[bool]string{false: "ContainersNotReady"}[ok]),
		cond(corev1.PodScheduled, true, ""),
	}
	return st
}
