//! Everything doctor knows about a cluster, as plain data: what `--save-snapshot` writes and
//! `--snapshot` reads back. Checks read only this, so a snapshot reproduces a report offline.
//!
//! Pods are reduced when collected (see `extract`): only what a check reads is kept, never
//! environment values, command lines, the raw last-applied annotation or annotation values
//! other than the injector switches, so a snapshot carries no secrets.
//!
//! Saved inside the one snapshot kind (`crate::facts::snapshot`): the collection time and the
//! cluster facts live in the snapshot's header and `cluster`, the rest under `doctor`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::checks::cluster::verdict::Verdict;
use crate::facts::coverage::Coverage;

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DoctorFacts {
    /// RFC 3339 time of collection; durations such as "running for 20m" are measured from it.
    /// Saved as the snapshot's `collectedAt`.
    #[serde(skip)]
    pub collected_at: Option<String>,
    #[serde(default)]
    pub scope: Scope,
    /// The control plane and nodes (check-nodes' facts); None when not collected. Saved as the
    /// snapshot's `cluster`, where check-nodes reads it too.
    #[serde(skip)]
    pub cluster: Option<crate::facts::cluster::ClusterFacts>,
    #[serde(default)]
    pub admission: AdmissionFacts,
    #[serde(default)]
    pub injectors: InjectorFacts,
    #[serde(default)]
    pub workloads: WorkloadFacts,
    /// What each section examined, and each gap with its cause (and, when RBAC refused, the
    /// permission). The verdict is never "ready" over a gap in a deciding section, so it is
    /// required: a snapshot that does not say what was examined cannot back a verdict.
    pub coverage: Coverage,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Scope {
    /// None with `all_namespaces` false never happens after resolution.
    pub namespace: Option<String>,
    pub all_namespaces: bool,
    pub selector: Option<String>,
}

/// Which section a finding belongs to, as plain data in the snapshot.
pub use crate::checks::finding::Section;

// ---------------------------------------------------------------------------------------------
// Control plane and nodes, as doctor's checks see them: the check-nodes engine's verdicts,
// reduced to what maps to catalog ids. Derived at analysis time (see `cluster::view`), never
// stored in a snapshot: the snapshot keeps check-nodes' own facts.

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterFacts {
    #[serde(default)]
    pub apiserver: Option<ApiserverSummary>,
    #[serde(default)]
    pub components: Vec<ComponentFacts>,
    #[serde(default)]
    pub nodes: Vec<NodeSummary>,
    #[serde(default)]
    pub pools: Vec<PoolFacts>,
    /// check-nodes' advice for a mixed fleet: the label commands and the node affinity.
    #[serde(default)]
    pub recommendation: Option<Recommendation>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PoolFacts {
    pub name: String,
    pub nodes: usize,
    pub supported: usize,
    pub partial: usize,
    pub unsupported: usize,
    pub unknown: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    pub label_commands: Vec<String>,
    pub node_affinity: String,
}

/// What doctor's checks read of the apiserver, summarised from check-nodes' analysis of its
/// facts (`facts::cluster::ApiServerFacts`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiserverSummary {
    pub version: Option<String>,
    /// None when unknown (metrics forbidden or unreadable).
    pub gate_enabled: Option<bool>,
    pub gate_stage: Option<String>,
    /// `metrics`, `version` (inferred) or `unknown`.
    pub gate_source: String,
    pub gate_reason: Option<String>,
    pub instances: Option<u32>,
    /// Why the gate could not be read, when it could not (its cause decides the fix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate_gap: Option<crate::facts::coverage::Gap>,
}

/// kube-scheduler / kube-controller-manager as seen from their static pods.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComponentFacts {
    pub name: String,
    pub visible: bool,
    pub version: Option<String>,
    pub gate_enabled: Option<bool>,
    pub skew_ok: Option<bool>,
    pub reason: Option<String>,
}

/// One node as doctor's checks read it, summarised from check-nodes' verdict on its facts
/// (`facts::cluster::NodeFacts`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeSummary {
    pub name: String,
    pub pool: Option<String>,
    pub kubelet_version: Option<String>,
    /// check-nodes' verdict of the node (never `incomplete`, which is the cluster's).
    pub verdict: Verdict,
    pub reason: String,
    pub gate_enabled: Option<bool>,
    /// `metrics`, `version` or `unknown`.
    pub gate_source: String,
    pub skew_ok: Option<bool>,
    pub skew_reason: Option<String>,
    #[serde(default)]
    pub ready: Option<bool>,
    /// Why the kubelet's gate could not be read, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate_gap: Option<crate::facts::coverage::Gap>,
}

// ---------------------------------------------------------------------------------------------
// Admission.

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionFacts {
    /// Mutating webhooks whose rules intercept pod creation.
    #[serde(default)]
    pub webhooks: Vec<WebhookFacts>,
    /// One dry-run canary per namespace in scope that runs or declares sidecar workloads.
    #[serde(default)]
    pub canaries: Vec<CanaryFacts>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookFacts {
    pub configuration: String,
    pub name: String,
    pub failure_policy: Option<String>,
    pub reinvocation_policy: Option<String>,
    pub side_effects: Option<String>,
    /// Human-readable rule and selector summaries.
    pub rules: Vec<String>,
    pub namespace_selector: Option<String>,
    pub object_selector: Option<String>,
    /// The service or URL it calls (never its caBundle).
    pub target: Option<String>,
    /// When it matches the publicly reported strippers list: which entry and its source.
    pub known_stripper: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CanaryOutcome {
    /// `restartPolicy: Always` survived admission.
    Kept,
    /// It came back without it.
    Stripped,
    /// A webhook does not support dry run.
    DryRunUnsupported,
    /// The dry run was rejected (validation or a webhook denied it).
    Rejected,
    /// No permission to create pods (dry run needs the same RBAC as a create).
    Forbidden,
    /// Any other failure (timeout, unreachable webhook).
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CanaryFacts {
    pub namespace: String,
    /// The labels the canary carried, copied from a sidecar workload of the namespace.
    pub labels: BTreeMap<String, String>,
    /// Where the labels came from (`deployment/web`).
    pub labelled_like: Option<String>,
    pub outcome: CanaryOutcome,
    /// Webhooks that match the canary (rules and selectors), in call order.
    pub candidates: Vec<String>,
    /// The webhook named by a dry-run refusal, when there is one.
    pub webhook: Option<String>,
    pub detail: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Injectors.

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InjectorFacts {
    #[serde(default)]
    pub istiod: Vec<IstiodFacts>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IstiodFacts {
    pub namespace: String,
    pub name: String,
    pub revision: Option<String>,
    pub image: Option<String>,
    /// What istiod makes of its `ENABLE_NATIVE_SIDECARS` env var, never the raw value: `true`
    /// or `false` (as Go's ParseBool reads it), `(from a reference)` when it comes from a
    /// ConfigMap or Secret, `(not true or false)` otherwise; None when unset.
    pub enable_native_sidecars: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Workloads.

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadFacts {
    /// Every pod listed, including those not kept.
    pub pods_seen: u64,
    /// Pods kept in `pods` (relevant to some check); the rest were only counted.
    #[serde(default)]
    pub pods: Vec<PodFacts>,
    #[serde(default)]
    pub owners: Vec<OwnerFacts>,
    #[serde(default)]
    pub events: Vec<EventFacts>,
    #[serde(default)]
    pub namespaces: Vec<NamespaceFacts>,
}

#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct OwnerKey {
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodFacts {
    pub namespace: String,
    pub name: String,
    pub node: Option<String>,
    pub phase: Option<String>,
    pub reason: Option<String>,
    pub message: Option<String>,
    /// The controlling ownerReference (ReplicaSet, Job, StatefulSet, ...).
    pub owner: Option<OwnerKey>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Only annotations a check reads (injector switches and their misspellings), values
    /// reduced by `extract::switch_value`.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// The pod spec from its own last-applied-configuration annotation (bare pods).
    pub last_applied: Option<PodSpecFacts>,
    pub spec: PodSpecFacts,
    #[serde(default)]
    pub init_statuses: Vec<ContainerStatusFacts>,
    #[serde(default)]
    pub statuses: Vec<ContainerStatusFacts>,
    #[serde(default)]
    pub conditions: Vec<ConditionFacts>,
    /// Further pods of the same owner in the same state, folded into this one.
    #[serde(default)]
    pub similar: u32,
    /// Where the folded pods run: node -> how many of them (distinct nodes capped), for
    /// node-dependent checks.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub similar_nodes: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodSpecFacts {
    pub restart_policy: Option<String>,
    #[serde(default)]
    pub init_containers: Vec<ContainerFacts>,
    #[serde(default)]
    pub containers: Vec<ContainerFacts>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerFacts {
    pub name: String,
    pub image: Option<String>,
    pub restart_policy: Option<String>,
    #[serde(default)]
    pub ports: Vec<i32>,
    #[serde(default)]
    pub startup_probe: bool,
    #[serde(default)]
    pub readiness_probe: bool,
    #[serde(default)]
    pub liveness_probe: bool,
    #[serde(default)]
    pub lifecycle: bool,
    /// Runs `sleep infinity`, `tail -f /dev/null` and the like.
    #[serde(default)]
    pub sleeps_forever: bool,
}

impl ContainerFacts {
    pub fn is_restartable(&self) -> bool {
        self.restart_policy.as_deref() == Some("Always")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatusFacts {
    pub name: String,
    /// `running`, `waiting`, `terminated` or `unknown`.
    pub state: String,
    pub reason: Option<String>,
    pub exit_code: Option<i32>,
    pub started_at: Option<String>,
    #[serde(default)]
    pub restart_count: i32,
    #[serde(default)]
    pub ready: bool,
    /// None means the kubelet did not report it (kubelets older than 1.28 never do for init
    /// containers).
    pub started: Option<bool>,
    /// Exit code of the previous run, when it terminated.
    pub last_exit_code: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConditionFacts {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OwnerFacts {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// Its own controller (Deployment of a ReplicaSet, CronJob of a Job).
    pub owner: Option<OwnerKey>,
    pub template: Option<TemplateFacts>,
    /// The pod spec from its last-applied-configuration annotation.
    pub last_applied: Option<PodSpecFacts>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateFacts {
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub spec: PodSpecFacts,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventFacts {
    pub namespace: String,
    pub kind: String,
    pub name: String,
    pub reason: String,
    pub message: String,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    #[serde(default)]
    pub count: i32,
    pub last_seen: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceFacts {
    pub name: String,
    /// Read only while collecting, to match webhook namespaceSelectors for the canary; no check
    /// reads them afterwards, and a label value can carry anything, so they never reach a snapshot.
    #[serde(default, skip_serializing)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}
