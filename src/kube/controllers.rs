//! What the built-in controllers put on the pods they create, beyond their template: the labels
//! and annotations (k/k pkg/controller/{replicaset,statefulset,daemon,job}) and the DaemonSet's
//! tolerations. diff-pod copies them from the live pod into the pod a template would give, so
//! that only admission's changes remain; doctor drops them from the labels its canary borrows,
//! because a bare canary pod has no controller.
//!
//! One list for both: the two copies had drifted (doctor's lacked `pod-template-generation` and
//! the Job's completion index), so its canary carried a DaemonSet's generation label.

/// Labels a controller adds: ReplicaSet `pod-template-hash`; StatefulSet and DaemonSet
/// `controller-revision-hash`, DaemonSet `pod-template-generation` (deprecated, still set);
/// StatefulSet `statefulset.kubernetes.io/pod-name` and `apps.kubernetes.io/pod-index` (1.28+);
/// Job `batch.kubernetes.io/controller-uid`, `batch.kubernetes.io/job-name`, their legacy
/// unprefixed forms, and `batch.kubernetes.io/job-completion-index` for indexed Jobs.
pub const CONTROLLER_LABELS: &[&str] = &[
    "pod-template-hash",
    "controller-revision-hash",
    "pod-template-generation",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "batch.kubernetes.io/controller-uid",
    "controller-uid",
    "batch.kubernetes.io/job-name",
    "job-name",
    "batch.kubernetes.io/job-completion-index",
];

/// Annotations a controller adds: an indexed Job's completion index.
pub const CONTROLLER_ANNOTATIONS: &[&str] = &["batch.kubernetes.io/job-completion-index"];

/// Tolerations the DaemonSet controller adds (k/k pkg/controller/daemon/util).
pub const DAEMONSET_TOLERATIONS: &[&str] = &[
    "node.kubernetes.io/not-ready",
    "node.kubernetes.io/unreachable",
    "node.kubernetes.io/disk-pressure",
    "node.kubernetes.io/memory-pressure",
    "node.kubernetes.io/pid-pressure",
    "node.kubernetes.io/unschedulable",
    "node.kubernetes.io/network-unavailable",
];
