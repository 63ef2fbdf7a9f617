//! The analysed run: verdict, counts, next steps, findings in action order, and each section's
//! facts. Its serde shape is the `-o json|yaml` contract documented in README.md.

use serde::Serialize;

use super::checks::{self, Input};
use super::facts::{
    AdmissionFacts, ApiserverSummary, ComponentFacts, DoctorFacts, InjectorFacts, NodeSummary,
    PoolFacts, Scope,
};
use super::verdict::{self, NextStep, Summary, Verdict};
use crate::checks::cluster::verdict::Verdict as NodeVerdict;
use crate::checks::finding::Finding;
use crate::facts::coverage::Coverage;

#[derive(Debug, Serialize)]
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
    pub control_plane: ControlPlane,
    pub nodes: Nodes,
    pub admission: &'a AdmissionFacts,
    pub injectors: &'a InjectorFacts,
    pub workloads: Workloads,
    /// Per section: what was examined, and every gap with its cause.
    pub coverage: &'a Coverage,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlPlane {
    pub apiserver: Option<ApiserverSummary>,
    pub components: Vec<ComponentFacts>,
}

#[derive(Debug, Serialize)]
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

#[derive(Debug, Serialize)]
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
    let input = Input::new(facts);
    let mut findings = checks::run_with(&input);
    verdict::order(&mut findings);
    let summary = verdict::summarize(&findings);
    let cluster = input.cluster;
    let count = |v: NodeVerdict| cluster.nodes.iter().filter(|n| n.verdict == v).count();
    let w = &facts.workloads;
    Report {
        verdict: verdict::verdict(&summary, &facts.coverage),
        reason: facts.coverage.reason(),
        next_steps: verdict::next_steps(&findings, &facts.coverage),
        summary,
        findings,
        scope: &facts.scope,
        collected_at: facts.collected_at.as_deref(),
        nodes: Nodes {
            total: cluster.nodes.len(),
            supported: count(NodeVerdict::Supported),
            partial: count(NodeVerdict::Partial),
            unsupported: count(NodeVerdict::Unsupported),
            unknown: count(NodeVerdict::Unknown),
            pools: cluster.pools.clone(),
            nodes: cluster.nodes.clone(),
        },
        control_plane: ControlPlane {
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
    }
}
