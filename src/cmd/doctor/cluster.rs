//! The Control plane and Nodes sections reuse the check-nodes engine: its facts are stored in
//! the doctor snapshot, its verdicts are recomputed at analysis time (`checks::cluster::analyse`)
//! and reduced here to the view doctor's checks map to catalog ids.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::checks::cluster::analyse::analyse;
use crate::checks::cluster::pools::NO_POOL;
use crate::checks::cluster::report::{ComponentReport, Report};
use crate::checks::cluster::verdict::Verdict;
use crate::facts::cluster::{ClusterFacts as Collected, GateReading};
use crate::facts::coverage::Gap;
use crate::facts::doctor::DoctorFacts;
use crate::kube::gate::{Gate, Source};

// ---------------------------------------------------------------------------------------------
// Control plane and nodes, as doctor's checks see them: the check-nodes engine's verdicts,
// reduced to what maps to catalog ids. Derived at analysis time (see `view`), never
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

pub fn view(facts: &DoctorFacts) -> ClusterFacts {
    match facts.cluster.as_ref() {
        Some(snapshot) => {
            let mut view = from_report(&analyse(snapshot));
            name_unread_gates(snapshot, &mut view);
            view
        }
        None => ClusterFacts::default(),
    }
}

/// Why each gate that was not read was not: the fix follows the cause (a refused kubelet needs
/// no permission).
fn name_unread_gates(snapshot: &Collected, view: &mut ClusterFacts) {
    if let Some(api) = view.apiserver.as_mut() {
        api.gate_gap = unread(
            "the apiserver's gate (GET /metrics)",
            &snapshot.apiserver.metrics,
        );
    }
    for n in view.nodes.iter_mut() {
        if let Some(facts) = snapshot.nodes.iter().find(|f| f.name == n.name) {
            n.gate_gap = unread(&format!("kubelet metrics of {}", n.name), &facts.metrics);
        }
    }
}

fn unread(what: &str, reading: &GateReading) -> Option<Gap> {
    let cause = reading.cause()?;
    Some(match reading {
        GateReading::Forbidden {
            permission,
            message,
        } => Gap::forbidden(what, permission.clone(), message.clone()),
        GateReading::Failed { reason, .. } | GateReading::Skipped { reason, .. } => {
            Gap::new(what, cause, reason.clone())
        }
        GateReading::Series { .. } | GateReading::NoSeries { .. } => return None,
    })
}

fn source_word(gate: &Gate) -> &'static str {
    match gate.source {
        Source::Metrics => "metrics",
        Source::Version => "version",
        Source::Flag => "flag",
        Source::Unknown => "unknown",
    }
}

fn components(c: &ComponentReport) -> Vec<ComponentFacts> {
    if !c.visible {
        return vec![ComponentFacts {
            name: c.component.clone(),
            visible: false,
            reason: Some(c.reason.clone()),
            ..Default::default()
        }];
    }
    c.instances
        .iter()
        .map(|i| {
            let mut reason = format!("{}: {}", i.pod, i.gate.reason);
            if i.skew.is_broken() {
                reason = format!("{}: {}", i.pod, i.skew.reason);
            }
            ComponentFacts {
                name: c.component.clone(),
                visible: true,
                version: i.version.clone(),
                // Only an explicit flag says "off"; a version-inferred default is not evidence.
                gate_enabled: match i.gate.source {
                    Source::Flag | Source::Metrics => i.gate.enabled,
                    _ => None,
                },
                skew_ok: i.skew.ok,
                reason: Some(reason),
            }
        })
        .collect()
}

pub fn from_report(r: &Report) -> ClusterFacts {
    let api = &r.apiserver;
    let mut comps = components(&r.control_plane.scheduler);
    comps.extend(components(&r.control_plane.controller_manager));
    if api.skew.is_broken() {
        comps.push(ComponentFacts {
            name: "kube-apiserver".into(),
            visible: true,
            version: api.version.clone(),
            gate_enabled: None,
            skew_ok: Some(false),
            reason: Some(api.skew.reason.clone()),
        });
    }
    ClusterFacts {
        apiserver: Some(ApiserverSummary {
            version: Some(api.git_version.clone()).filter(|v| !v.is_empty()),
            gate_enabled: api.gate.enabled,
            gate_stage: api.gate.stage.clone(),
            gate_source: source_word(&api.gate).to_string(),
            gate_reason: Some(api.gate.reason.clone()),
            instances: api.instances,
            gate_gap: None,
        }),
        components: comps,
        nodes: r
            .nodes
            .iter()
            .map(|n| NodeSummary {
                name: n.name.clone(),
                pool: Some(n.pool.clone()).filter(|p| p != NO_POOL),
                kubelet_version: Some(n.kubelet_version.clone()).filter(|v| !v.is_empty()),
                verdict: n.verdict,
                reason: n.reason.clone(),
                gate_enabled: n.gate.enabled,
                gate_source: source_word(&n.gate).to_string(),
                skew_ok: n.skew.ok,
                skew_reason: Some(n.skew.reason.clone()),
                ready: n.ready,
                gate_gap: None,
            })
            .collect(),
        pools: r
            .pools
            .iter()
            .map(|p| PoolFacts {
                name: p.name.clone(),
                nodes: p.nodes,
                supported: p.verdicts.supported,
                partial: p.verdicts.partial,
                unsupported: p.verdicts.unsupported,
                unknown: p.verdicts.unknown,
            })
            .collect(),
        recommendation: r.summary.recommendation.as_ref().map(|rec| Recommendation {
            label_commands: rec.label_commands.clone(),
            node_affinity: rec.node_affinity.clone(),
        }),
    }
}
