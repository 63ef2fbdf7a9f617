//! check-nodes' verdicts as findings of the catalog, for its CI outputs (`-o sarif|junit`) and
//! `--fail-on`: the same ids doctor gives the same problems (one vocabulary), one finding per
//! component, node or mixed pool (doctor folds a pool's nodes into one; check-nodes reports
//! nodes one by one, so its findings do too).

use crate::checks::cluster::coverage::decided;
use crate::checks::cluster::pools::NO_POOL;
use crate::checks::cluster::report::{ComponentReport, NodeReport, Report};
use crate::checks::cluster::verdict::Verdict;
use crate::checks::finding::{Finding, ObjectRef};
use crate::kube::gate::Source;
use crate::kube::version::{self, KubeVersion};
use crate::kube::versions;

/// The ids that stand in the way for check-nodes whatever their severity: its verdict counts a
/// 1.28 node (no ordered termination) and a broken skew rule as not supported.
const DECISIVE: &[&str] = &[
    "apiserver-too-old",
    "apiserver-gate-off",
    "control-plane-gate-off",
    "control-plane-skew",
    "node-unsupported",
    "node-alpha-termination",
    "node-skew-newer",
    "node-skew-too-old",
    "no-nodes",
];

/// Whether a finding stands in the way for check-nodes (`--fail-on`, checks/fail_on.rs). Only
/// examined verdicts become these ids, so they fail the run exactly when the verdict does.
pub fn decisive(finding: &Finding) -> bool {
    DECISIVE.contains(&finding.id.as_str())
}

pub fn findings(report: &Report) -> Vec<Finding> {
    let apiserver = report.apiserver.version.as_deref().and_then(version::parse);
    let mut out = apiserver_findings(report, apiserver);
    for c in [
        &report.control_plane.scheduler,
        &report.control_plane.controller_manager,
    ] {
        out.extend(component_findings(c));
    }
    for n in &report.nodes {
        out.extend(node_findings(n, apiserver));
    }
    // An empty list that was read (a list that failed is a coverage gap, not this): nothing
    // can run a pod, which the verdict says and a finding must carry into the CI formats.
    let listed = report
        .coverage
        .sections
        .iter()
        .any(|s| s.section == "nodes" && s.complete());
    if report.nodes.is_empty() && listed {
        out.push(Finding::new(
            "no-nodes",
            ObjectRef::cluster("Cluster", "all nodes"),
            report.summary.reason.clone(),
        ));
    }
    // As doctor counts it: nodes that can run sidecars beside nodes that examined cannot (an
    // unknown node makes a pool mixed for check-nodes' table, not a finding).
    for pool in report
        .pools
        .iter()
        .filter(|p| p.verdicts.unsupported > 0 && p.verdicts.supported + p.verdicts.partial > 0)
    {
        let object = if pool.name == NO_POOL {
            ObjectRef::cluster("NodePool", "(nodes without a pool label)")
        } else {
            ObjectRef::cluster("NodePool", &pool.name)
        };
        let can_run = pool.verdicts.supported + pool.verdicts.partial;
        out.push(Finding::new(
            "mixed-pool-support",
            object,
            format!(
                "{can_run} of {} nodes of pool {} can run native sidecars; {} cannot",
                pool.nodes, pool.name, pool.verdicts.unsupported
            ),
        ));
    }
    out
}

fn apiserver_findings(report: &Report, v: Option<KubeVersion>) -> Vec<Finding> {
    let api = &report.apiserver;
    let object = ObjectRef::cluster("Component", "kube-apiserver");
    let evidence = format!("kube-apiserver {}: {}", api.git_version, api.gate.reason);
    let mut out = Vec::new();
    let mut push = |id: &str, message: String| {
        out.push(Finding::new(id, object.clone(), message).evidence(evidence.clone()));
    };
    // Only a verdict that rests on what was seen stands in the way; an assumed default is
    // a verdict to verify.
    let examined = decided(&api.gate, v, api.verdict);
    if let Some(v) = v {
        if !versions::has_sidecars(v) {
            push(
                "apiserver-too-old",
                format!("kube-apiserver {v} predates native sidecars (1.28)"),
            );
        } else if api.verdict == Verdict::Unsupported && examined {
            push(
                "apiserver-gate-off",
                format!(
                    "kube-apiserver {v} has SidecarContainers off: {}",
                    api.reason
                ),
            );
        } else {
            if versions::sidecars_alpha(v) && api.gate.enabled == Some(true) {
                push(
                    "apiserver-alpha",
                    format!("kube-apiserver {v} runs native sidecars as an alpha feature"),
                );
            }
            if !examined || (api.gate.source != Source::Metrics && versions::gate_may_be_off(v)) {
                push(
                    "apiserver-gate-unverified",
                    format!(
                        "the gate on kube-apiserver {v} could not be read; it is assumed from the version"
                    ),
                );
            }
        }
    }
    if api.skew.is_broken() {
        push(
            "control-plane-skew",
            format!("kube-apiserver instances: {}", api.skew.reason),
        );
    }
    out
}

/// One finding per component and id, naming its instances (HA control planes run several).
fn component_findings(c: &ComponentReport) -> Vec<Finding> {
    let object = ObjectRef::cluster("Component", &c.component);
    let off: Vec<String> = c
        .instances
        .iter()
        // A static pod's verdict comes from its whole command line: always examined.
        .filter(|i| i.verdict == Verdict::Unsupported)
        .map(|i| format!("{}: {}", i.pod, i.reason))
        .collect();
    let skewed: Vec<String> = c
        .instances
        .iter()
        .filter(|i| i.skew.is_broken())
        .map(|i| format!("{}: {}", i.pod, i.skew.reason))
        .collect();
    let mut out = Vec::new();
    if !off.is_empty() {
        out.push(
            Finding::new(
                "control-plane-gate-off",
                object.clone(),
                format!("{} cannot run native sidecars: {}", c.component, c.reason),
            )
            .evidence_all(off),
        );
    }
    if !skewed.is_empty() {
        out.push(
            Finding::new(
                "control-plane-skew",
                object,
                format!(
                    "{} is outside the skew policy against kube-apiserver",
                    c.component
                ),
            )
            .evidence_all(skewed),
        );
    }
    out
}

fn node_findings(n: &NodeReport, apiserver: Option<KubeVersion>) -> Vec<Finding> {
    let object = ObjectRef::cluster("Node", &n.name);
    let evidence = format!(
        "{}: kubelet {}, {} ({})",
        n.name, n.kubelet_version, n.verdict, n.reason
    );
    let kubelet = version::parse(&n.kubelet_version);
    let examined = decided(&n.gate, kubelet, n.verdict);
    let mut out = Vec::new();
    let mut push = |id: &str, message: String, evidence: String| {
        out.push(Finding::new(id, object.clone(), message).evidence(evidence));
    };
    match n.verdict {
        Verdict::Unsupported if examined => push(
            "node-unsupported",
            format!("{} cannot run native sidecars: {}", n.name, n.reason),
            evidence.clone(),
        ),
        Verdict::Partial if examined => push(
            "node-alpha-termination",
            format!(
                "{} starts sidecars in order but does not stop them last",
                n.name
            ),
            evidence.clone(),
        ),
        Verdict::Unknown | Verdict::Incomplete => push(
            "node-gate-unknown",
            format!("{}: sidecar support unknown: {}", n.name, n.reason),
            evidence.clone(),
        ),
        _ => {}
    }
    // A verdict inferred from the version leaves 1.28-1.32 gates unverified.
    if !matches!(n.verdict, Verdict::Unknown | Verdict::Incomplete)
        && (!examined
            || (n.gate.source != Source::Metrics && kubelet.is_some_and(versions::gate_may_be_off)))
    {
        push(
            "node-gate-unknown",
            format!(
                "{}: gate not read, verdict inferred from the version",
                n.name
            ),
            evidence,
        );
    }
    if n.skew.is_broken() {
        let newer = match (kubelet, apiserver) {
            (Some(k), Some(a)) => k.minor_only() > a.minor_only(),
            _ => n.skew.reason.contains("newer"),
        };
        let (id, how) = if newer {
            ("node-skew-newer", "newer than")
        } else {
            ("node-skew-too-old", "too old for")
        };
        push(
            id,
            format!(
                "{}: kubelet {} is {how} kube-apiserver",
                n.name, n.kubelet_version
            ),
            n.skew.reason.clone(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::cluster::analyse::analyse;

    fn report(name: &str) -> Report {
        let path = format!(
            "{}/tests/fixtures/snapshots/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        analyse(
            &crate::facts::snapshot::parse::<serde::de::IgnoredAny>(&text)
                .unwrap()
                .cluster
                .unwrap(),
        )
    }

    fn ids(r: &Report) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = findings(r)
            .into_iter()
            .map(|f| (f.id, f.object.to_string()))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn every_node_that_is_not_supported_is_a_finding() {
        let r = report("mixed-fleet.json");
        let found = ids(&r);
        for n in &r.nodes {
            let on_node: Vec<&str> = found
                .iter()
                .filter(|(_, o)| *o == format!("node/{}", n.name))
                .map(|(id, _)| id.as_str())
                .collect();
            match n.verdict {
                Verdict::Unsupported => {
                    assert!(on_node.contains(&"node-unsupported"), "{}", n.name)
                }
                Verdict::Partial => {
                    assert!(on_node.contains(&"node-alpha-termination"), "{}", n.name)
                }
                Verdict::Unknown => assert!(on_node.contains(&"node-gate-unknown"), "{}", n.name),
                _ => {}
            }
            if n.skew.is_broken() {
                assert!(
                    on_node.iter().any(|id| id.starts_with("node-skew-")),
                    "{}",
                    n.name
                );
            }
        }
    }

    #[test]
    fn a_supported_cluster_has_no_error_or_warning() {
        let r = report("all-supported.json");
        assert!(r.summary.ok, "{}", r.summary.reason);
        let serious: Vec<Finding> = findings(&r)
            .into_iter()
            .filter(|f| f.severity > crate::checks::finding::Severity::Info)
            .collect();
        assert!(serious.is_empty(), "{serious:?}");
    }

    #[test]
    fn decisive_findings_are_exactly_what_makes_the_verdict_fail() {
        let dir = format!("{}/tests/fixtures/snapshots", env!("CARGO_MANIFEST_DIR"));
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if !name.ends_with(".json") {
                continue;
            }
            let r = report(&name);
            let found = findings(&r);
            let fails = found.iter().any(decisive);
            let code = crate::checks::cluster::analyse::exit_code(&r);
            assert_eq!(
                fails,
                code == crate::error::EXIT_FINDINGS,
                "{name}: exit {code}, {}: {:?}",
                r.summary.reason,
                found
                    .iter()
                    .map(|f| (&f.id, f.object.to_string()))
                    .collect::<Vec<_>>()
            );
            seen += 1;
        }
        assert!(seen >= 8);
    }

    /// A node list read empty stands in the way (a finding, exit 1); a list that could not be
    /// read is a gap, not this finding.
    #[test]
    fn an_empty_node_list_is_a_decisive_finding_an_unread_one_is_not() {
        let path = format!(
            "{}/tests/fixtures/snapshots/all-supported.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let mut facts = crate::facts::snapshot::parse::<serde::de::IgnoredAny>(&text)
            .unwrap()
            .cluster
            .unwrap();
        facts.nodes.clear();
        let r = analyse(&facts);
        let found = findings(&r);
        let none: Vec<&Finding> = found.iter().filter(|f| f.id == "no-nodes").collect();
        assert_eq!(none.len(), 1, "{found:?}");
        assert!(decisive(none[0]));
        assert!(
            none[0].message.contains("the cluster has no nodes"),
            "{}",
            none[0].message
        );
        assert_eq!(
            crate::checks::cluster::analyse::exit_code(&r),
            crate::error::EXIT_FINDINGS
        );
        let unlisted = findings(&report("nodes-unlisted.json"));
        assert!(!unlisted.iter().any(|f| f.id == "no-nodes"), "{unlisted:?}");
    }
}
