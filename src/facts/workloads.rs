//! Doctor's workload facts: pods (reduced when collected, see `kube::collect::extract`), their
//! controllers and templates, the events that name them, and namespaces.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
    /// Declares `restartPolicyRules` (ContainerRestartRules, kept by apiservers from 1.35).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub restart_rules: bool,
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
