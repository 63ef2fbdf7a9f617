//! The analysed run: verdict, counts, next steps, findings in action order, and each section's
//! facts. Its serde shape is the `-o json|yaml` contract documented in README.md.

use schemars::JsonSchema;
use serde::Serialize;

use super::checks::{self, Input};
use super::offline::Manifests;
use super::verdict::{self, NextStep, Summary, Verdict};
use crate::checks::cluster::pools::Pool;
use crate::checks::cluster::report::{ApiServerReport, ComponentReport, NodeReport};
use crate::checks::cluster::verdict::Verdict as NodeVerdict;
use crate::checks::finding::Finding;
use crate::cmd::doctor::cluster::{ApiserverSummary, ComponentFacts, NodeSummary, PoolFacts};
use crate::facts::coverage::Coverage;
use crate::facts::doctor::{AdmissionFacts, DoctorFacts, InjectorFacts, Scope};

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Report<'a> {
    pub verdict: Verdict,
    /// What was not fully examined (`not fully examined: workloads, nodes`), whatever the
    /// verdict; None when every deciding section was.
    pub reason: Option<String>,
    pub summary: Summary,
    pub next_steps: Vec<NextStep>,
    pub findings: Vec<Finding>,
    pub scope: &'a Scope,
    /// For the table; machine output carries it in the document's header.
    #[serde(skip)]
    pub collected_at: Option<&'a str>,
    /// check-nodes' own apiserver and control-plane reports (the same shapes); null when the
    /// cluster facts were not collected.
    pub control_plane: Option<ControlPlaneReport>,
    /// check-nodes' own node and pool reports, with the counts.
    pub nodes: NodesReport,
    /// Doctor's view of the control plane, for the table.
    #[serde(skip)]
    pub control_plane_view: ControlPlane,
    /// Doctor's view of the nodes, for the table.
    #[serde(skip)]
    pub nodes_view: Nodes,
    pub admission: &'a AdmissionFacts,
    pub injectors: &'a InjectorFacts,
    pub workloads: Workloads,
    /// Per section: what was examined, and every gap with its cause.
    pub coverage: &'a Coverage,
    /// `doctor --offline`: the manifests read, each object with its place and whether its pod
    /// template was checked; absent from a cluster's or a snapshot's report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifests: Option<Manifests>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ControlPlane {
    pub apiserver: Option<ApiserverSummary>,
    pub components: Vec<ComponentFacts>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Nodes {
    pub total: usize,
    pub supported: usize,
    pub partial: usize,
    pub unsupported: usize,
    pub unknown: usize,
    pub pools: Vec<PoolFacts>,
    pub nodes: Vec<NodeSummary>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ControlPlaneReport {
    pub apiserver: ApiServerReport,
    pub scheduler: ComponentReport,
    pub controller_manager: ComponentReport,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodesReport {
    pub total: usize,
    pub supported: usize,
    pub partial: usize,
    pub unsupported: usize,
    pub unknown: usize,
    pub pools: Vec<Pool>,
    pub nodes: Vec<NodeReport>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Workloads {
    pub pods_seen: u64,
    /// Pods kept for checks (the rest had nothing a check reads), folded ones included.
    pub pods_checked: u64,
    pub owners: usize,
    pub events: usize,
    pub namespaces: usize,
}

pub fn analyse(facts: &DoctorFacts) -> Report<'_> {
    let findings = checks::run_with(&Input::new(facts));
    analyse_with(facts, findings, None)
}

/// The report of `doctor --offline`: the static checks' findings on the manifests (each with
/// its place) over facts that hold only the manifests' objects and the offline coverage.
pub fn analyse_offline(
    facts: &DoctorFacts,
    findings: Vec<Finding>,
    manifests: Manifests,
) -> Report<'_> {
    analyse_with(facts, findings, Some(manifests))
}

fn analyse_with(
    facts: &DoctorFacts,
    mut findings: Vec<Finding>,
    manifests: Option<Manifests>,
) -> Report<'_> {
    let input = Input::new(facts);
    verdict::order(&mut findings);
    let summary = verdict::summarize(&findings);
    let cluster = input.cluster;
    let count = |v: NodeVerdict| cluster.nodes.iter().filter(|n| n.verdict == v).count();
    let w = &facts.workloads;
    let (control_plane, nodes) = match facts
        .cluster
        .as_ref()
        .map(crate::checks::cluster::analyse::analyse)
    {
        Some(r) => (
            Some(ControlPlaneReport {
                apiserver: r.apiserver,
                scheduler: r.control_plane.scheduler,
                controller_manager: r.control_plane.controller_manager,
            }),
            NodesReport {
                total: r.summary.nodes,
                supported: r.summary.supported,
                partial: r.summary.partial,
                unsupported: r.summary.unsupported,
                unknown: r.summary.unknown,
                pools: r.pools,
                nodes: r.nodes,
            },
        ),
        None => (None, NodesReport::default()),
    };
    Report {
        verdict: verdict::verdict(&summary, &facts.coverage),
        reason: facts.coverage.reason(),
        next_steps: verdict::next_steps(&findings, &facts.coverage),
        summary,
        findings,
        scope: &facts.scope,
        collected_at: facts.collected_at.as_deref(),
        control_plane,
        nodes,
        nodes_view: Nodes {
            total: cluster.nodes.len(),
            supported: count(NodeVerdict::Supported),
            partial: count(NodeVerdict::Partial),
            unsupported: count(NodeVerdict::Unsupported),
            unknown: count(NodeVerdict::Unknown),
            pools: cluster.pools.clone(),
            nodes: cluster.nodes.clone(),
        },
        control_plane_view: ControlPlane {
            apiserver: cluster.apiserver,
            components: cluster.components,
        },
        admission: &facts.admission,
        injectors: &facts.injectors,
        workloads: Workloads {
            pods_seen: w.pods_seen,
            pods_checked: w.pods.iter().map(|p| 1 + u64::from(p.similar)).sum(),
            owners: w.owners.len(),
            events: w.events.len(),
            namespaces: w.namespaces.len(),
        },
        coverage: &facts.coverage,
        manifests,
    }
}
