//! check-nodes' report: its serde shape is the `-o json|yaml` contract documented in README.md
//! (## check-nodes). Plain types; `analyse` fills them from the facts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::checks::cluster::pools::{Pool, Recommendation};
use crate::checks::cluster::verdict::Verdict;
use crate::facts::coverage::Coverage;
use crate::kube::gate::Gate;
use crate::kube::skew::Skew;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub apiserver: ApiServerReport,
    pub control_plane: ControlPlaneReport,
    pub nodes: Vec<NodeReport>,
    pub pools: Vec<Pool>,
    pub summary: Summary,
    /// What was examined and what could not be, per section (`controlPlane`, `nodes`,
    /// `apiserverInstances`), with the cause of each gap.
    pub coverage: Coverage,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiServerReport {
    /// The version `/version` reported, as `v1.34.4` without vendor suffix (null when unreadable).
    pub version: Option<String>,
    pub git_version: String,
    /// Every apiserver version known: `/version` plus visible kube-apiserver static pods.
    pub known_versions: Vec<String>,
    /// Live instances by identity Lease; null when they could not be counted.
    pub instances: Option<u32>,
    pub instances_note: String,
    pub gate: Gate,
    /// HA apiservers must be within one minor of each other.
    pub skew: Skew,
    pub verdict: Verdict,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ControlPlaneReport {
    pub scheduler: ComponentReport,
    pub controller_manager: ComponentReport,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComponentReport {
    pub component: String,
    /// False on managed control planes, which do not show these pods.
    pub visible: bool,
    pub instances: Vec<ComponentInstance>,
    pub verdict: Verdict,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComponentInstance {
    pub pod: String,
    pub node: Option<String>,
    pub image: String,
    pub version: Option<String>,
    pub gate: Gate,
    pub skew: Skew,
    pub verdict: Verdict,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeReport {
    pub name: String,
    pub pool: String,
    pub pool_label: Option<String>,
    pub kubelet_version: String,
    pub os: String,
    pub arch: String,
    pub os_image: String,
    pub container_runtime: String,
    pub ready: Option<bool>,
    pub gate: Gate,
    pub skew: Skew,
    pub verdict: Verdict,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub nodes: usize,
    pub supported: usize,
    pub partial: usize,
    pub unsupported: usize,
    pub unknown: usize,
    /// Nodes that can run native sidecars at all: supported + partial.
    pub can_run: usize,
    /// Nodes and control-plane components breaking the skew policy.
    pub skew_broken: usize,
    /// `incomplete` when nothing examined stands in the way but something deciding was not
    /// examined; otherwise what was seen decides.
    pub verdict: Verdict,
    pub reason: String,
    /// True exactly when the exit code is 0: everything deciding was examined, and it all
    /// supports native sidecars within the skew policy.
    pub ok: bool,
    pub recommendation: Option<Recommendation>,
}
