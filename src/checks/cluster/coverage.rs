//! What check-nodes examined and what it could not, derived from the facts like every verdict
//! (so a snapshot analysed offline gives the same coverage). A component or node counts as
//! examined when its verdict rests on what was seen: its gate read from metrics or flags, or a
//! version that decides alone (before 1.28 there is no feature; 1.33-1.36 lock the gate on;
//! 1.37+ removed it). A forbidden read on 1.28-1.32 is not examined: the gate could be either.

use std::collections::BTreeMap;

use crate::checks::cluster::report::{ApiServerReport, ControlPlaneReport, NodeReport};
use crate::checks::cluster::verdict::Verdict;
use crate::facts::cluster::{ClusterFacts, Count, GateReading};
use crate::facts::coverage::{Cause, Gap, SectionCoverage};
use crate::kube::access::one_line;
use crate::kube::cluster::{LIST_LEASES, LIST_PODS};
use crate::kube::gate::{Gate, Source};
use crate::kube::version::{self, KubeVersion};
use crate::kube::versions::{self, Phase};

pub const CONTROL_PLANE: &str = "controlPlane";
pub const NODES: &str = "nodes";
pub const INSTANCES: &str = "apiserverInstances";

/// How a kubelet gap's `what` starts; remedies recognise kubelet gaps by it.
const KUBELET_METRICS: &str = "kubelet metrics of ";

/// Whether a gate read from a component's metrics decides its verdict.
pub fn decided(gate: &Gate, version: Option<KubeVersion>, verdict: Verdict) -> bool {
    if verdict == Verdict::Unknown {
        return false;
    }
    match gate.source {
        Source::Metrics | Source::Flag => true,
        Source::Version => version.is_some_and(|v| {
            matches!(
                Phase::of(v),
                Phase::NoFeature | Phase::Locked | Phase::Removed
            )
        }),
        Source::Unknown => false,
    }
}

/// The apiserver, and the scheduler and controller-manager where their static pods are visible.
pub fn control_plane(
    snapshot: &ClusterFacts,
    api: &ApiServerReport,
    cp: &ControlPlaneReport,
    oldest_api: Option<KubeVersion>,
) -> SectionCoverage {
    let mut s = SectionCoverage::new(CONTROL_PLANE, "components");
    let mut total = 1;
    let mut examined = 0;
    if decided(&api.gate, version::parse(&api.git_version), api.verdict) {
        examined += 1;
    } else {
        s.gap(apiserver_gap(&snapshot.apiserver.metrics, api));
    }
    match &snapshot.control_plane.static_pods {
        Some(_) => {
            // Pods listed: components not among them are hidden by a managed control plane and
            // do not count towards the verdict.
            for c in [&cp.scheduler, &cp.controller_manager] {
                if !c.visible {
                    continue;
                }
                total += 1;
                match c.instances.iter().find(|i| i.verdict == Verdict::Unknown) {
                    None => examined += 1,
                    Some(i) => s.gap(Gap::new(
                        format!("{} (pod {})", c.component, i.pod),
                        Cause::Error,
                        i.reason.clone(),
                    )),
                }
            }
        }
        None => {
            total += 2;
            // The skew policy keeps both within one minor below the apiserver: from 1.34 on
            // they are 1.33+, where the gate is locked on, whatever their flags say.
            if oldest_api.is_some_and(versions::control_plane_locked_by_skew) {
                examined += 2;
            } else {
                let error = snapshot.control_plane.error.clone().unwrap_or_default();
                let cause = snapshot
                    .control_plane
                    .cause
                    .unwrap_or_else(|| crate::facts::cluster::legacy_cause(&error, Cause::Error));
                s.gap(gap(
                    "list pods in kube-system (kube-scheduler, kube-controller-manager)",
                    cause,
                    LIST_PODS,
                    error,
                ));
            }
        }
    }
    s.total = Some(total);
    s.examined = examined;
    s
}

fn apiserver_gap(reading: &GateReading, api: &ApiServerReport) -> Gap {
    let what = "apiserver gate (GET /metrics)";
    match reading {
        GateReading::Forbidden {
            permission,
            message,
        } => Gap::forbidden(what, permission.clone(), message.clone()),
        other => Gap::new(what, unusable(other), api.reason.clone()),
    }
}

/// The cause for a reading that did not decide: its own, or, for metrics without the series
/// the component's version must report, the server's (its metrics are unusable).
fn unusable(reading: &GateReading) -> Cause {
    match reading {
        GateReading::NoSeries { .. } => Cause::ServerError,
        other => other.cause().unwrap_or(Cause::Error),
    }
}

/// The identity Leases only count apiserver instances: they never decide the verdict.
pub fn instances(snapshot: &ClusterFacts) -> SectionCoverage {
    let mut s = SectionCoverage::new(INSTANCES, "lease lists");
    s.decisive = false;
    s.total = Some(1);
    match &snapshot.apiserver.leases {
        Count::Counted { .. } => s.examined = 1,
        Count::Unknown { reason, cause } => {
            let cause =
                cause.unwrap_or_else(|| crate::facts::cluster::legacy_cause(reason, Cause::Error));
            s.gap(gap(
                "list leases in kube-system",
                cause,
                LIST_LEASES,
                reason.clone(),
            ));
        }
    }
    s
}

/// Every node listed; nodes that were not examined are grouped by cause, naming them.
pub fn nodes(snapshot: &ClusterFacts, reports: &[NodeReport]) -> SectionCoverage {
    let mut s = SectionCoverage::new(NODES, "nodes");
    if let Some(g) = &snapshot.nodes_gap {
        s.gap(g.clone());
    } else {
        s.total = Some(reports.len() as u64);
    }
    // (cause, permission) -> (node, detail) of each node not examined for it.
    type Members = Vec<(String, String)>;
    let mut groups: BTreeMap<(Cause, Option<String>), Members> = BTreeMap::new();
    for (facts, report) in snapshot.nodes.iter().zip(reports) {
        let v = version::parse(&facts.kubelet_version);
        if decided(&report.gate, v, report.verdict) {
            s.examined += 1;
            continue;
        }
        let (cause, permission, detail) = match &facts.metrics {
            _ if facts.ready != Some(true) => (Cause::NotAsked, None, facts.not_ready()),
            GateReading::Forbidden {
                permission,
                message,
            } => (Cause::Forbidden, Some(permission.clone()), message.clone()),
            other => (unusable(other), None, report.reason.clone()),
        };
        groups
            .entry((cause, permission))
            .or_default()
            .push((facts.name.clone(), detail));
    }
    for ((cause, permission), members) in groups {
        let names: Vec<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
        let detail = match members.as_slice() {
            [(_, only)] => only.clone(),
            _ => one_line(
                &members
                    .iter()
                    .map(|(n, d)| format!("{n}: {d}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        };
        s.gap(Gap {
            what: format!("{KUBELET_METRICS}{}", name_list(&names)),
            cause,
            permission,
            detail,
        });
    }
    s
}

/// `a, b, c` or `12 nodes (a, b, c, …)`.
fn name_list(names: &[&str]) -> String {
    const SHOWN: usize = 3;
    if names.len() <= SHOWN {
        names.join(", ")
    } else {
        format!("{} nodes ({}, …)", names.len(), names[..SHOWN].join(", "))
    }
}

fn gap(what: &str, cause: Cause, permission: &str, detail: String) -> Gap {
    Gap {
        what: what.to_string(),
        cause,
        permission: (cause == Cause::Forbidden).then(|| permission.to_string()),
        detail,
    }
}

/// What to do about a gap, following its cause: only a refusal asks for a permission; a
/// kubelet that did not answer, could not be reached or failed points at that node.
pub fn remedy(gap: &Gap) -> String {
    let kubelet = gap.what.starts_with(KUBELET_METRICS);
    let text = match (gap.cause, kubelet) {
        (Cause::Forbidden, _) => return gap.remedy(),
        (Cause::Timeout, true) => {
            "the kubelet did not answer in time: check the node and its kubelet, or raise --node-timeout, --deadline or --timeout"
        }
        (Cause::Unreachable, true) => {
            "the apiserver could not reach the kubelet, or the connection was cut: check that the kubelet runs and that the apiserver can reach its port (10250 by default)"
        }
        (Cause::ServerError, true) => {
            "the kubelet answered with an error or with unusable metrics: check its logs"
        }
        (Cause::NotAsked, true) => {
            "not Ready, so not asked: bring the node back, or leave it out with -l"
        }
        (Cause::Timeout, false) => {
            "the apiserver did not answer in time: check its load, or raise --request-timeout or --timeout"
        }
        _ => return gap.remedy(),
    };
    text.to_string()
}
