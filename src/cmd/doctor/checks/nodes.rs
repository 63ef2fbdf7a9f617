//! Node checks: the check-nodes verdicts mapped to catalog ids, kubelet patch advisories, and
//! pools that mix nodes with and without sidecar support. Many nodes of one pool with the same
//! problem make one finding on the pool.

use std::collections::BTreeMap;

use super::{Input, list_some};
use crate::checks::cluster::pools::{SUPPORT_LABEL_KEY, SUPPORT_LABEL_VALUE};
use crate::checks::cluster::verdict::Verdict;
use crate::checks::finding::{Finding, ObjectRef};
use crate::cmd::doctor::cluster::{NodeSummary, Recommendation};
use crate::cmd::doctor::coverage::remedy;
use crate::facts::coverage::Gap;
use crate::kube::version::{self, KubeVersion};
use crate::kube::versions;

/// A published kubelet bug in sidecar handling, and the first fixed patch of each affected
/// minor (None: never fixed on that line). From the Kubernetes CHANGELOGs.
struct Advisory {
    issue: &'static str,
    what: &'static str,
    affected: &'static [(u32, Option<u32>)],
}

const ADVISORIES: &[Advisory] = &[
    Advisory {
        issue: "kubernetes/kubernetes#123323",
        what: "a sidecar's status stays terminated after it restarts, in pods with restartPolicy Never or OnFailure (Jobs)",
        affected: &[(28, Some(8)), (29, Some(3))],
    },
    Advisory {
        issue: "kubernetes/kubernetes#125935",
        what: "sidecars are not stopped gracefully when the pod is deleted before it finished initializing",
        affected: &[(28, None), (29, Some(8)), (30, Some(4))],
    },
    Advisory {
        issue: "kubernetes/kubernetes#126543",
        what: "init containers are not started again after a transient container runtime error when sidecars are enabled",
        affected: &[(29, Some(9)), (30, Some(5)), (31, Some(1))],
    },
    Advisory {
        issue: "kubernetes/kubernetes#137885",
        what: "after a kubelet restart, app containers that crash are not restarted while a sidecar with a startupProbe runs",
        affected: &[(35, Some(4))],
    },
];

/// The advisories that apply to a kubelet version, with the fixed release to upgrade to.
fn advisories(v: KubeVersion) -> Vec<String> {
    if v.major != 1 {
        return Vec::new();
    }
    ADVISORIES
        .iter()
        .filter_map(|a| {
            let (_, fixed) = a.affected.iter().find(|(minor, _)| *minor == v.minor)?;
            match fixed {
                Some(patch) if v.patch >= *patch => None,
                Some(patch) => Some(format!(
                    "{} ({}): fixed in 1.{}.{patch}",
                    a.what, a.issue, v.minor
                )),
                None => Some(format!(
                    "{} ({}): not fixed on 1.{}, upgrade the minor",
                    a.what, a.issue, v.minor
                )),
            }
        })
        .collect()
}

struct NodeHit<'a> {
    id: &'static str,
    node: &'a NodeSummary,
    message: String,
    evidence: Vec<String>,
}

/// The fix for unverified nodes, following why their gates were not read: a permission only
/// when RBAC refused; the kubelets, the network or the node's state otherwise.
fn unread_fix(hits: &[NodeHit<'_>]) -> Option<String> {
    let gaps: Vec<&Gap> = hits
        .iter()
        .filter_map(|h| h.node.gate_gap.as_ref())
        .collect();
    let first = *gaps.first()?;
    if gaps.len() != hits.len() || gaps.iter().any(|g| g.cause != first.cause) {
        return None;
    }
    let names: Vec<&str> = hits.iter().map(|h| h.node.name.as_str()).collect();
    let gap = Gap {
        what: format!("kubelet of node(s) {}", list_some(&names, 8)),
        ..first.clone()
    };
    Some(format!("{}.", remedy(&gap)))
}

fn node_line(n: &NodeSummary) -> String {
    format!(
        "{}: kubelet {}, {} ({})",
        n.name,
        n.kubelet_version.as_deref().unwrap_or("unknown"),
        n.verdict,
        n.reason
    )
}

pub fn check(input: &Input<'_>) -> Vec<Finding> {
    let nodes = &input.cluster.nodes;
    // A node list read empty (not one that failed: that is a coverage gap): no pod can run.
    if let Some(collected) = &input.facts.cluster
        && collected.nodes.is_empty()
        && collected.nodes_gap.is_none()
    {
        return vec![Finding::new(
            "no-nodes",
            ObjectRef::cluster("Cluster", "all nodes"),
            "the cluster has no nodes: nothing can run a pod, with or without sidecars",
        )];
    }
    let mut hits: Vec<NodeHit<'_>> = Vec::new();
    for n in nodes {
        let kubelet = n.kubelet_version.as_deref().and_then(version::parse);
        match n.verdict {
            Verdict::Unsupported => hits.push(NodeHit {
                id: "node-unsupported",
                node: n,
                message: format!("{} cannot run native sidecars: {}", n.name, n.reason),
                evidence: vec![node_line(n)],
            }),
            Verdict::Partial => hits.push(NodeHit {
                id: "node-alpha-termination",
                node: n,
                message: format!(
                    "{} starts sidecars in order but does not stop them last",
                    n.name
                ),
                evidence: vec![node_line(n)],
            }),
            Verdict::Unknown => hits.push(NodeHit {
                id: "node-gate-unknown",
                node: n,
                message: format!("{}: sidecar support unknown: {}", n.name, n.reason),
                evidence: vec![node_line(n)],
            }),
            _ => {}
        }
        // A supported verdict inferred from the version leaves 1.28-1.32 gates unverified.
        if n.verdict != Verdict::Unknown
            && n.gate_source != "metrics"
            && kubelet.is_some_and(versions::gate_may_be_off)
        {
            hits.push(NodeHit {
                id: "node-gate-unknown",
                node: n,
                message: format!(
                    "{}: gate not read, verdict inferred from the version",
                    n.name
                ),
                evidence: vec![node_line(n)],
            });
        }
        if n.skew_ok == Some(false) {
            let newer = match (kubelet, input.apiserver) {
                (Some(k), Some(a)) => k.minor_only() > a.minor_only(),
                _ => n
                    .skew_reason
                    .as_deref()
                    .is_some_and(|r| r.contains("newer")),
            };
            hits.push(NodeHit {
                id: if newer {
                    "node-skew-newer"
                } else {
                    "node-skew-too-old"
                },
                node: n,
                message: format!(
                    "{}: kubelet {} is {} kube-apiserver {}",
                    n.name,
                    n.kubelet_version.as_deref().unwrap_or("?"),
                    if newer { "newer than" } else { "too old for" },
                    input.apiserver.map_or("?".to_string(), |v| v.to_string())
                ),
                evidence: n.skew_reason.iter().cloned().collect(),
            });
        }
        if matches!(n.verdict, Verdict::Supported | Verdict::Partial)
            && let Some(v) = kubelet
        {
            let found = advisories(v);
            if !found.is_empty() {
                hits.push(NodeHit {
                    id: "node-known-bug",
                    node: n,
                    message: format!(
                        "{}: kubelet {v} has {} known sidecar bug(s)",
                        n.name,
                        found.len()
                    ),
                    evidence: found,
                });
            }
        }
    }
    let mut out = group_by_pool(hits);
    out.extend(mixed_pools(nodes, input.cluster.recommendation.as_ref()));
    out
}

/// What several nodes of one pool share, in one sentence.
fn pooled_message(id: &str, n: usize, pool: &str) -> String {
    let what = match id {
        "node-unsupported" => "cannot run native sidecars",
        "node-alpha-termination" => "start sidecars in order but do not stop them last (1.28)",
        "node-gate-unknown" => "have sidecar support that could not be verified",
        "node-skew-newer" => "run kubelets newer than kube-apiserver",
        "node-skew-too-old" => "run kubelets too old for kube-apiserver",
        "node-known-bug" => "run kubelet patch releases with known sidecar bugs",
        _ => "share this problem",
    };
    format!("{n} nodes of pool {pool} {what}")
}

/// One finding per node, or one per pool when several nodes of a pool share the problem.
fn group_by_pool(hits: Vec<NodeHit<'_>>) -> Vec<Finding> {
    let mut groups: BTreeMap<(&'static str, Option<String>), Vec<NodeHit<'_>>> = BTreeMap::new();
    for hit in hits {
        groups
            .entry((hit.id, hit.node.pool.clone()))
            .or_default()
            .push(hit);
    }
    let mut out = Vec::new();
    for ((id, pool), hits) in groups {
        match pool {
            Some(pool) if hits.len() > 1 => {
                let names: Vec<&str> = hits.iter().map(|h| h.node.name.as_str()).collect();
                let mut evidence: Vec<String> = hits
                    .iter()
                    .take(5)
                    .flat_map(|h| h.evidence.iter().cloned())
                    .collect();
                evidence.dedup();
                evidence.push(format!("{} nodes: {}", names.len(), list_some(&names, 8)));
                let mut f = Finding::new(
                    id,
                    ObjectRef::cluster("NodePool", &pool),
                    pooled_message(id, names.len(), &pool),
                )
                .evidence_all(evidence);
                if id == "node-gate-unknown"
                    && let Some(fix) = unread_fix(&hits)
                {
                    f = f.fix(fix);
                }
                out.push(f);
            }
            _ => {
                for hit in hits {
                    let fix = (id == "node-gate-unknown")
                        .then(|| unread_fix(std::slice::from_ref(&hit)))
                        .flatten();
                    let mut f =
                        Finding::new(id, ObjectRef::cluster("Node", &hit.node.name), hit.message)
                            .evidence_all(hit.evidence);
                    if let Some(fix) = fix {
                        f = f.fix(fix);
                    }
                    out.push(f);
                }
            }
        }
    }
    out
}

fn can_run(n: &NodeSummary) -> bool {
    matches!(n.verdict, Verdict::Supported | Verdict::Partial)
}

/// check-nodes' commands when it made a recommendation (they label whole pools by their pool
/// label where it can), else a command naming the supporting nodes.
fn label_advice(supporting: &[&str], advice: Option<&Recommendation>) -> Vec<String> {
    match advice {
        Some(rec) => rec
            .label_commands
            .iter()
            .map(|c| format!("label the supporting nodes: {c}"))
            .chain([format!(
                "then add to sidecar workloads' pod templates: {}",
                rec.node_affinity
            )])
            .collect(),
        None => vec![
            format!(
                "label the supporting nodes: kubectl label nodes {} {SUPPORT_LABEL_KEY}={SUPPORT_LABEL_VALUE} --overwrite",
                supporting.join(" ")
            ),
            format!(
                "then add to sidecar workloads' pod templates: affinity: {{nodeAffinity: {{requiredDuringSchedulingIgnoredDuringExecution: {{nodeSelectorTerms: [{{matchExpressions: [{{key: {SUPPORT_LABEL_KEY}, operator: In, values: [{SUPPORT_LABEL_VALUE}]}}]}}]}}}}}}"
            ),
        ],
    }
}

fn mixed_pools(nodes: &[NodeSummary], advice: Option<&Recommendation>) -> Vec<Finding> {
    let mut pools: BTreeMap<Option<&str>, Vec<&NodeSummary>> = BTreeMap::new();
    for n in nodes {
        pools.entry(n.pool.as_deref()).or_default().push(n);
    }
    let mut out = Vec::new();
    let mut any_pool_mixed = false;
    for (pool, members) in &pools {
        let supporting: Vec<&str> = members
            .iter()
            .filter(|n| can_run(n))
            .map(|n| n.name.as_str())
            .collect();
        let lacking: Vec<&str> = members
            .iter()
            .filter(|n| n.verdict == Verdict::Unsupported)
            .map(|n| n.name.as_str())
            .collect();
        if supporting.is_empty() || lacking.is_empty() {
            continue;
        }
        any_pool_mixed = true;
        let object = match pool {
            Some(p) => ObjectRef::cluster("NodePool", p),
            // No node has a pool label: the mixed "pool" is the fleet.
            None if pools.len() == 1 => ObjectRef::cluster("Cluster", "all nodes"),
            None => ObjectRef::cluster("NodePool", "(nodes without a pool label)"),
        };
        out.push(
            Finding::new(
                "mixed-pool-support",
                object,
                format!(
                    "{} of {} nodes can run native sidecars; {} cannot",
                    supporting.len(),
                    members.len(),
                    lacking.len()
                ),
            )
            .evidence(format!("cannot: {}", list_some(&lacking, 8)))
            .evidence_all(label_advice(&supporting, advice)),
        );
    }
    if !any_pool_mixed {
        let supporting: Vec<&str> = nodes
            .iter()
            .filter(|n| can_run(n))
            .map(|n| n.name.as_str())
            .collect();
        let lacking: Vec<&str> = nodes
            .iter()
            .filter(|n| n.verdict == Verdict::Unsupported)
            .map(|n| n.name.as_str())
            .collect();
        if !supporting.is_empty() && !lacking.is_empty() {
            out.push(
                Finding::new(
                    "mixed-pool-support",
                    ObjectRef::cluster("Cluster", "all nodes"),
                    format!(
                        "the fleet is mixed: {} nodes can run native sidecars, {} cannot",
                        supporting.len(),
                        lacking.len()
                    ),
                )
                .evidence(format!("cannot: {}", list_some(&lacking, 8)))
                .evidence_all(label_advice(&supporting, advice)),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::doctor::cluster::{ApiserverSummary, ClusterFacts};
    use crate::facts::doctor::DoctorFacts;

    fn node(name: &str, pool: Option<&str>, version: &str, verdict: &str) -> NodeSummary {
        NodeSummary {
            name: name.into(),
            pool: pool.map(Into::into),
            kubelet_version: Some(version.into()),
            verdict: serde_json::from_value(serde_json::json!(verdict)).unwrap(),
            reason: "test".into(),
            gate_source: "metrics".into(),
            skew_ok: Some(true),
            ..Default::default()
        }
    }

    fn run(nodes: Vec<NodeSummary>) -> Vec<Finding> {
        let facts = DoctorFacts::default();
        let cluster = ClusterFacts {
            apiserver: Some(ApiserverSummary {
                version: Some("v1.32.3".into()),
                gate_enabled: Some(true),
                gate_source: "metrics".into(),
                ..Default::default()
            }),
            nodes,
            ..Default::default()
        };
        check(&Input::with_cluster(&facts, cluster))
    }

    #[test]
    fn advisories_follow_the_changelogs() {
        let v = |s: &str| version::parse(s).unwrap();
        assert_eq!(advisories(v("v1.29.2")).len(), 3, "123323, 125935, 126543");
        assert_eq!(advisories(v("v1.29.9")).len(), 0);
        assert_eq!(
            advisories(v("v1.30.4-eks-1")).len(),
            1,
            "126543 fixed in 1.30.5"
        );
        assert_eq!(advisories(v("v1.31.0")).len(), 1);
        assert_eq!(advisories(v("v1.31.1")).len(), 0);
        assert_eq!(
            advisories(v("v1.28.12")).len(),
            1,
            "125935 never fixed on 1.28"
        );
        assert_eq!(advisories(v("v1.35.3")).len(), 1);
        assert_eq!(advisories(v("v1.35.4")).len(), 0);
        assert!(advisories(v("v1.33.0")).is_empty());
    }

    /// Nodes listed and none there: no pod can run, an error. Not collected at all (no cluster
    /// facts) or a list that failed: the coverage says so, no finding.
    #[test]
    fn an_empty_node_list_is_an_error_an_unread_one_is_not() {
        let path = format!(
            "{}/tests/fixtures/snapshots/all-supported.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let mut cluster = crate::facts::snapshot::parse::<serde::de::IgnoredAny>(&text)
            .unwrap()
            .cluster
            .unwrap();
        cluster.nodes.clear();
        let mut facts = DoctorFacts {
            cluster: Some(cluster),
            ..Default::default()
        };
        let ids = |facts: &DoctorFacts| -> Vec<String> {
            check(&Input::with_cluster(facts, ClusterFacts::default()))
                .into_iter()
                .map(|f| f.id)
                .collect()
        };
        assert_eq!(ids(&facts), ["no-nodes"]);
        if let Some(c) = facts.cluster.as_mut() {
            c.nodes_gap = Some(Gap::forbidden("list nodes", "list nodes", "403"));
        }
        assert!(ids(&facts).is_empty());
        assert!(ids(&DoctorFacts::default()).is_empty());
    }

    #[test]
    fn verdicts_map_to_ids() {
        let found = run(vec![
            node("a", None, "v1.27.3", "unsupported"),
            node("b", None, "v1.28.15", "partial"),
            node("c", None, "v1.32.3", "supported"),
        ]);
        let ids: Vec<&str> = found.iter().map(|f| f.id.as_str()).collect();
        assert!(ids.contains(&"node-unsupported"));
        assert!(ids.contains(&"node-alpha-termination"));
        assert!(
            ids.contains(&"node-known-bug"),
            "1.28.15 lacks the 125935 fix"
        );
        assert!(ids.contains(&"mixed-pool-support"));
        assert!(
            !found
                .iter()
                .any(|f| f.object.name == "c" && f.id != "mixed-pool-support")
        );
    }

    #[test]
    fn many_nodes_of_a_pool_make_one_finding_and_mixed_pools_get_label_commands() {
        let found = run(vec![
            node("old-1", Some("blue"), "v1.27.3", "unsupported"),
            node("old-2", Some("blue"), "v1.27.3", "unsupported"),
            node("new-1", Some("blue"), "v1.32.3", "supported"),
        ]);
        let unsupported: Vec<_> = found
            .iter()
            .filter(|f| f.id == "node-unsupported")
            .collect();
        assert_eq!(unsupported.len(), 1);
        assert_eq!(unsupported[0].object.kind, "NodePool");
        let mixed = found.iter().find(|f| f.id == "mixed-pool-support").unwrap();
        assert_eq!(mixed.object.name, "blue");
        assert!(mixed.evidence.iter().any(|e| {
            e.contains("kubectl label nodes new-1 native-sidecars=supported --overwrite")
        }));
    }

    #[test]
    fn skew_direction() {
        let mut newer = node("n", None, "v1.33.0", "supported");
        newer.skew_ok = Some(false);
        let mut old = node("o", None, "v1.28.15", "partial");
        old.skew_ok = Some(false);
        let found = run(vec![newer, old]);
        assert!(
            found
                .iter()
                .any(|f| f.id == "node-skew-newer" && f.object.name == "n")
        );
        assert!(
            found
                .iter()
                .any(|f| f.id == "node-skew-too-old" && f.object.name == "o")
        );
    }

    #[test]
    fn inferred_gates_on_gate_era_kubelets_are_flagged() {
        let mut n = node("x", None, "v1.30.2", "supported");
        n.gate_source = "version".into();
        let found = run(vec![n]);
        assert!(found.iter().any(|f| f.id == "node-gate-unknown"));
        let mut n = node("y", None, "v1.34.2", "supported");
        n.gate_source = "version".into();
        assert!(!run(vec![n]).iter().any(|f| f.id == "node-gate-unknown"));
    }

    #[test]
    fn a_refused_kubelet_is_not_answered_with_a_permission() {
        use crate::facts::coverage::Cause;
        let refused = |name: &str| {
            let mut n = node(name, None, "v1.30.2", "unknown");
            n.gate_source = "unknown".into();
            n.gate_gap = Some(Gap::new(
                format!("kubelet gate of node {name}"),
                Cause::Unreachable,
                "HTTP 503: dial tcp 10.0.0.2:10250: connect: connection refused",
            ));
            n
        };
        let found = run(vec![refused("a")]);
        let f = found.iter().find(|f| f.id == "node-gate-unknown").unwrap();
        assert!(!f.fix.contains("Grant"), "{}", f.fix);
        assert!(
            f.fix.contains("node(s) a") && f.fix.contains("connection refused"),
            "{}",
            f.fix
        );
        let mut forbidden = node("b", None, "v1.30.2", "unknown");
        forbidden.gate_gap = Some(Gap::forbidden(
            "kubelet gate of node b",
            "get nodes/proxy",
            "403",
        ));
        let found = run(vec![forbidden]);
        let f = found.iter().find(|f| f.id == "node-gate-unknown").unwrap();
        assert!(f.fix.contains("Grant `get nodes/proxy`"), "{}", f.fix);
    }
}
