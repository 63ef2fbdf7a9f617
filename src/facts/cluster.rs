//! The control plane and nodes as collected (check-nodes' facts, and doctor's too): plain data,
//! no judgement. Snapshots hold it (`facts::snapshot`), so fields are only ever added.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::facts::coverage::{Cause, Gap};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterFacts {
    /// The `-l` selector the nodes were listed with, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// The node names asked for (`check-nodes NODE...`), if any: `nodes` then holds only those.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    pub apiserver: ApiServerFacts,
    pub control_plane: ControlPlaneFacts,
    /// The nodes listed: all of them, unless `nodes_gap` says the list could not be finished.
    pub nodes: Vec<NodeFacts>,
    /// Why `LIST nodes` did not complete (forbidden, timed out, failed); `nodes` then holds only
    /// the pages that arrived, and the number of nodes is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes_gap: Option<Gap>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiServerFacts {
    /// `gitVersion` from `/version`, as served (vendor suffix included).
    pub git_version: String,
    /// The gate as read from `/metrics`: one answer, from whichever instance served it.
    pub metrics: GateReading,
    /// Identity Leases in kube-system (one per live kube-apiserver instance).
    pub leases: Count,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", tag = "result")]
pub enum Count {
    Counted {
        count: u32,
    },
    Unknown {
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<Cause>,
    },
}

/// The outcome of reading one component's `kubernetes_feature_enabled{name="SidecarContainers"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", tag = "result")]
pub enum GateReading {
    /// The series was there.
    Series { stage: String, enabled: bool },
    /// The metrics were read and hold no series for the gate; `family` tells whether the
    /// `kubernetes_feature_enabled` family itself was there (it appeared in 1.26).
    NoSeries { family: bool },
    /// The caller lacks a permission; the permission is named as RBAC spells it.
    Forbidden { permission: String, message: String },
    /// Asked, but no usable answer: timeout, refused, an HTTP error, unparseable text.
    Failed {
        reason: String,
        /// None only in version 1 snapshots; see `GateReading::cause`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<Cause>,
    },
    /// Not asked, and why (node NotReady, the overall deadline passed).
    Skipped {
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<Cause>,
    },
}

impl GateReading {
    pub fn failed(reason: impl Into<String>, cause: Cause) -> Self {
        GateReading::Failed {
            reason: reason.into(),
            cause: Some(cause),
        }
    }

    pub fn skipped(reason: impl Into<String>, cause: Cause) -> Self {
        GateReading::Skipped {
            reason: reason.into(),
            cause: Some(cause),
        }
    }

    /// Why nothing usable was read; None when something was (a series, or its absence).
    pub fn cause(&self) -> Option<Cause> {
        match self {
            GateReading::Series { .. } | GateReading::NoSeries { .. } => None,
            GateReading::Forbidden { .. } => Some(Cause::Forbidden),
            GateReading::Failed { reason, cause } => {
                Some(cause.unwrap_or_else(|| legacy_cause(reason, Cause::Error)))
            }
            GateReading::Skipped { reason, cause } => {
                Some(cause.unwrap_or_else(|| legacy_cause(reason, Cause::NotAsked)))
            }
        }
    }
}

/// The cause of a failure recorded by a version 1 snapshot, which kept only its words.
pub fn legacy_cause(reason: &str, otherwise: Cause) -> Cause {
    let r = reason.to_ascii_lowercase();
    if r.contains("forbidden") {
        Cause::Forbidden
    } else if r.contains("did not answer")
        || r.contains("deadline")
        || r.contains("timed out")
        || r.contains("throttled")
    {
        Cause::Timeout
    } else if r.contains("connection refused")
        || r.contains("connect:")
        || r.contains("http 503")
        || r.contains("reset")
    {
        Cause::Unreachable
    } else if r.contains("http 5") || r.contains("unreadable") || r.contains("kubelet refused") {
        Cause::ServerError
    } else {
        otherwise
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ControlPlaneFacts {
    /// Control-plane static pods found in kube-system; None when they could not be listed.
    pub static_pods: Option<Vec<StaticPodFacts>>,
    /// Why `static_pods` is None.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The cause of `error` (None in version 1 snapshots: inferred from its words).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
}

/// One kube-apiserver, kube-scheduler or kube-controller-manager pod. Only the flags that
/// matter are kept: a component's command line can carry paths and addresses nobody asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaticPodFacts {
    pub component: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    pub image: String,
    /// Every `--feature-gates` value, in command-line order (a later one overrides).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feature_gates: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emulated_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeFacts {
    pub name: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// `status.nodeInfo.kubeletVersion`, as reported.
    pub kubelet_version: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub arch: String,
    #[serde(default)]
    pub os_image: String,
    #[serde(default)]
    pub container_runtime: String,
    /// The Ready condition: Some(true/false), None when absent or Unknown.
    pub ready: Option<bool>,
    /// The Ready condition's reason/message when not Ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_reason: Option<String>,
    pub metrics: GateReading,
    /// How long the metrics request took, for the benchmark and for spotting slow kubelets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch_millis: Option<u64>,
}

impl NodeFacts {
    /// The words for a node that is not Ready, shared by collection (which skips such nodes) and
    /// coverage.
    pub fn not_ready(&self) -> String {
        let state = match self.ready {
            Some(false) => "node is NotReady",
            _ => "node readiness is Unknown",
        };
        match &self.ready_reason {
            Some(r) if !r.is_empty() => format!("{state} ({r})"),
            _ => state.to_string(),
        }
    }
}
