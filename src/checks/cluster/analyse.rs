//! The check: facts in, report out (pure). Coverage per section is `coverage`'s; the report's
//! shape is `report`'s.

use crate::checks::cluster::coverage;
use crate::checks::cluster::pools::{self, Member, Recommendation};
use crate::checks::cluster::report::{
    ApiServerReport, ComponentInstance, ComponentReport, ControlPlaneReport, NodeReport, Report,
    Summary,
};
use crate::checks::cluster::verdict::{Role, Verdict, verdict};
use crate::facts::cluster::{ClusterFacts, Count, NodeFacts, StaticPodFacts};
use crate::facts::coverage::Coverage;
use crate::kube::gate;
use crate::kube::skew;
use crate::kube::staticpods;
use crate::kube::version::{self, KubeVersion};

pub fn analyse(snapshot: &ClusterFacts) -> Report {
    let api = &snapshot.apiserver;
    let api_version = version::parse(&api.git_version);
    let static_pods = snapshot.control_plane.static_pods.as_deref();
    let pods_of = |component: &str| -> Vec<&StaticPodFacts> {
        static_pods
            .unwrap_or_default()
            .iter()
            .filter(|p| p.component == component)
            .collect()
    };

    // The skew policy measures against the oldest apiserver we can see.
    let mut api_versions: Vec<KubeVersion> = api_version.into_iter().collect();
    api_versions.extend(
        pods_of("kube-apiserver")
            .iter()
            .filter_map(|p| staticpods::image_version(&p.image)),
    );
    api_versions.sort();
    api_versions.dedup();
    let oldest_api = api_versions.first().copied();

    let apiserver = apiserver_report(snapshot, api_version, &api_versions);
    let control_plane = ControlPlaneReport {
        scheduler: component_report(
            Role::Scheduler,
            &pods_of("kube-scheduler"),
            snapshot,
            oldest_api,
        ),
        controller_manager: component_report(
            Role::ControllerManager,
            &pods_of("kube-controller-manager"),
            snapshot,
            oldest_api,
        ),
    };
    let nodes: Vec<NodeReport> = snapshot
        .nodes
        .iter()
        .map(|n| node_report(n, oldest_api))
        .collect();

    let members: Vec<Member<'_>> = nodes
        .iter()
        .map(|n| Member {
            name: &n.name,
            pool: &n.pool,
            pool_label: n.pool_label.as_deref(),
            version: n.kubelet_version.clone(),
            verdict: n.verdict,
            skew_broken: n.skew.is_broken(),
            examined: coverage::decided(&n.gate, version::parse(&n.kubelet_version), n.verdict),
        })
        .collect();
    let pools = pools::summarize(&members);
    let recommendation = pools::recommend(&members, &pools, snapshot.selector.as_deref());
    let coverage = Coverage {
        sections: vec![
            coverage::control_plane(snapshot, &apiserver, &control_plane, oldest_api),
            coverage::nodes(snapshot, &nodes),
            coverage::instances(snapshot),
        ],
    };
    let findings = definite_findings(snapshot, &apiserver, &control_plane, &nodes);
    let summary = summarize(
        &apiserver,
        &control_plane,
        &nodes,
        snapshot,
        recommendation,
        &coverage,
        findings,
    );
    Report {
        apiserver,
        control_plane,
        nodes,
        pools,
        summary,
        coverage,
    }
}

/// Whether something that was examined already stands in the way, whatever the gaps hide: an
/// examined component or node without (full) support, a broken skew rule, or no node at all.
/// Verdicts inferred from a version default that may have been changed do not count.
fn definite_findings(
    snapshot: &ClusterFacts,
    api: &ApiServerReport,
    cp: &ControlPlaneReport,
    nodes: &[NodeReport],
) -> bool {
    let api_blocks = api.verdict == Verdict::Unsupported
        && coverage::decided(&api.gate, version::parse(&api.git_version), api.verdict);
    // A static pod's verdict comes from its whole command line: always examined.
    let component_blocks = [&cp.scheduler, &cp.controller_manager]
        .iter()
        .any(|c| c.visible && c.verdict == Verdict::Unsupported);
    let node_blocks = nodes.iter().any(|n| {
        matches!(n.verdict, Verdict::Unsupported | Verdict::Partial)
            && coverage::decided(&n.gate, version::parse(&n.kubelet_version), n.verdict)
    });
    let skew = nodes.iter().any(|n| n.skew.is_broken())
        || api.skew.is_broken()
        || [&cp.scheduler, &cp.controller_manager]
            .iter()
            .flat_map(|c| &c.instances)
            .any(|i| i.skew.is_broken());
    let no_nodes = snapshot.nodes_gap.is_none() && nodes.is_empty();
    api_blocks || component_blocks || node_blocks || skew || no_nodes
}

fn apiserver_report(
    snapshot: &ClusterFacts,
    version: Option<KubeVersion>,
    known: &[KubeVersion],
) -> ApiServerReport {
    let api = &snapshot.apiserver;
    let gate = gate::from_reading("kube-apiserver", version, &api.metrics);
    let (verdict, reason) = verdict(Role::ApiServer, &api.git_version, version, &gate);
    let (instances, instances_note) = match &api.leases {
        Count::Counted { count: 0 } => (
            None,
            "no apiserver identity Leases (APIServerIdentity off or before 1.26): instances unknown"
                .to_string(),
        ),
        Count::Counted { count: 1 } => (Some(1), "1 instance".to_string()),
        Count::Counted { count } => (
            Some(*count),
            format!(
                "{count} instances: the gate was read from whichever one answered /metrics"
            ),
        ),
        Count::Unknown { reason, .. } => (None, format!("instances unknown: {reason}")),
    };
    ApiServerReport {
        version: version.map(|v| v.tag()),
        git_version: api.git_version.clone(),
        known_versions: known.iter().map(KubeVersion::tag).collect(),
        instances,
        instances_note,
        gate,
        skew: skew::apiservers(known),
        verdict,
        reason,
    }
}

fn component_report(
    role: Role,
    pods: &[&StaticPodFacts],
    snapshot: &ClusterFacts,
    oldest_api: Option<KubeVersion>,
) -> ComponentReport {
    let name = role.name();
    if pods.is_empty() {
        let reason = match &snapshot.control_plane.error {
            Some(e) => format!("not visible: {e}"),
            None => "not visible (managed control plane?)".to_string(),
        };
        return ComponentReport {
            component: name.to_string(),
            visible: false,
            instances: Vec::new(),
            verdict: Verdict::Unknown,
            reason,
        };
    }
    let instances: Vec<ComponentInstance> = pods
        .iter()
        .map(|p| {
            // --emulated-version makes the component behave (and gate) as that older minor.
            let binary = staticpods::image_version(&p.image);
            let effective = p
                .emulated_version
                .as_deref()
                .and_then(version::parse)
                .or(binary);
            let gate = gate::from_flags(name, effective, &p.feature_gates);
            let (verdict, reason) = verdict(role, &p.image, effective, &gate);
            ComponentInstance {
                pod: p.name.clone(),
                node: p.node.clone(),
                image: p.image.clone(),
                version: binary.map(|v| v.tag()),
                skew: skew::control_plane(name, binary, oldest_api),
                gate,
                verdict,
                reason,
            }
        })
        .collect();
    let verdict = Verdict::combine(instances.iter().map(|i| i.verdict)).unwrap_or(Verdict::Unknown);
    let reason = instances
        .iter()
        .find(|i| i.verdict == verdict)
        .map(|i| {
            if instances.len() > 1 {
                format!("{}: {}", i.pod, i.reason)
            } else {
                i.reason.clone()
            }
        })
        .unwrap_or_default();
    ComponentReport {
        component: name.to_string(),
        visible: true,
        instances,
        verdict,
        reason,
    }
}

fn node_report(n: &NodeFacts, oldest_api: Option<KubeVersion>) -> NodeReport {
    let version = version::parse(&n.kubelet_version);
    let gate = gate::from_reading("kubelet", version, &n.metrics);
    let (mut verdict, mut reason) = verdict(Role::Kubelet, &n.kubelet_version, version, &gate);
    // A node that is not Ready runs nothing new, whatever its kubelet could do.
    if n.ready != Some(true) && verdict != Verdict::Unknown {
        verdict = Verdict::Unknown;
        reason = format!("{}; {reason}", n.not_ready());
    }
    let (pool, pool_label) = pools::pool_of(&n.labels);
    NodeReport {
        name: n.name.clone(),
        pool,
        pool_label,
        kubelet_version: n.kubelet_version.clone(),
        os: n.os.clone(),
        arch: n.arch.clone(),
        os_image: n.os_image.clone(),
        container_runtime: n.container_runtime.clone(),
        ready: n.ready,
        skew: skew::kubelet(version, oldest_api),
        gate,
        verdict,
        reason,
    }
}

fn summarize(
    apiserver: &ApiServerReport,
    cp: &ControlPlaneReport,
    nodes: &[NodeReport],
    snapshot: &ClusterFacts,
    recommendation: Option<Recommendation>,
    coverage: &Coverage,
    findings: bool,
) -> Summary {
    let selector = snapshot.selector.as_deref();
    let mut counts = pools::Counts::default();
    for n in nodes {
        counts.add(n.verdict);
    }
    let components = [&cp.scheduler, &cp.controller_manager];
    let skew_broken = nodes.iter().filter(|n| n.skew.is_broken()).count()
        + components
            .iter()
            .flat_map(|c| &c.instances)
            .filter(|i| i.skew.is_broken())
            .count()
        + usize::from(apiserver.skew.is_broken());
    let can_run = counts.supported + counts.partial;
    let total = nodes.len();
    let blocking = components
        .iter()
        .find(|c| c.visible && c.verdict == Verdict::Unsupported);
    let unknown_cp = components
        .iter()
        .find(|c| c.visible && c.verdict == Verdict::Unknown);
    let (verdict, reason) = if apiserver.verdict == Verdict::Unsupported {
        (
            Verdict::Unsupported,
            format!("kube-apiserver: {}", apiserver.reason),
        )
    } else if let Some(c) = blocking {
        (
            Verdict::Unsupported,
            format!("{}: {}", c.component, c.reason),
        )
    } else if total == 0 && snapshot.nodes_gap.is_some() {
        (Verdict::Unknown, "no node could be listed".to_string())
    } else if total == 0 {
        let which = match selector {
            Some(s) => format!("no nodes match -l {s}"),
            None => "the cluster has no nodes".to_string(),
        };
        (Verdict::Unknown, format!("{which}: nothing can run a pod"))
    } else if apiserver.verdict == Verdict::Unknown {
        (
            Verdict::Unknown,
            format!("kube-apiserver gate unknown: {}", apiserver.reason),
        )
    } else if counts.supported == total {
        match unknown_cp {
            Some(c) => (Verdict::Unknown, format!("{}: {}", c.component, c.reason)),
            None => (
                Verdict::Supported,
                format!("all {total} nodes and the control plane support native sidecars"),
            ),
        }
    } else if can_run > 0 {
        (
            Verdict::Partial,
            format!(
                "{can_run} of {total} nodes can run native sidecars{}: pin sidecar workloads to them",
                if counts.partial > 0 {
                    format!(
                        " ({} of them 1.28, without ordered termination)",
                        counts.partial
                    )
                } else {
                    String::new()
                }
            ),
        )
    } else if counts.unknown == total {
        (
            Verdict::Unknown,
            format!("no node's support could be determined ({total} unknown)"),
        )
    } else {
        (
            Verdict::Unsupported,
            format!("none of the {total} nodes can run native sidecars"),
        )
    };
    // Over a gap, only what was seen to stand in the way may speak; else the run is incomplete.
    let (verdict, reason) = match coverage.reason() {
        None => (verdict, reason),
        Some(missing) if findings => (verdict, format!("{reason}; {missing}")),
        Some(missing) => (
            Verdict::Incomplete,
            format!("nothing examined stands in the way, but {missing}"),
        ),
    };
    Summary {
        nodes: total,
        supported: counts.supported,
        partial: counts.partial,
        unsupported: counts.unsupported,
        unknown: counts.unknown,
        can_run,
        skew_broken,
        ok: verdict == Verdict::Supported && skew_broken == 0 && coverage.complete(),
        verdict,
        reason,
        recommendation,
    }
}

/// Sets a wider coverage's controlPlane and nodes sections to check-nodes' own, derived from its
/// facts, so that doctor and a snapshot count them exactly as check-nodes does (collection
/// cannot: it stays below the checks).
pub fn cover(coverage: &mut Coverage, snapshot: &ClusterFacts) {
    for s in analyse(snapshot).coverage.sections {
        if s.section != coverage::CONTROL_PLANE && s.section != coverage::NODES {
            continue;
        }
        match coverage
            .sections
            .iter_mut()
            .find(|c| c.section == s.section)
        {
            Some(c) => *c = s,
            None => coverage.sections.push(s),
        }
    }
}

/// 0 when everything deciding was examined and supports native sidecars with no skew rule
/// broken; 4 when nothing examined stands in the way but something deciding was not examined;
/// 1 otherwise (a definite finding beats a gap).
pub fn exit_code(report: &Report) -> i32 {
    if report.summary.ok {
        crate::error::EXIT_OK
    } else if report.summary.verdict == Verdict::Incomplete {
        crate::error::EXIT_INCOMPLETE
    } else {
        crate::error::EXIT_FINDINGS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::cluster::GateReading;
    use crate::kube::gate::Source;

    fn fixture(name: &str) -> ClusterFacts {
        let path = format!(
            "{}/tests/fixtures/snapshots/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        crate::facts::snapshot::parse::<serde::de::IgnoredAny>(&text)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .cluster
            .unwrap_or_else(|| panic!("{path}: no cluster facts"))
    }

    fn node<'a>(r: &'a Report, suffix: &str) -> &'a NodeReport {
        r.nodes
            .iter()
            .find(|n| n.name.starts_with(suffix))
            .unwrap_or_else(|| panic!("no node {suffix}"))
    }

    #[test]
    fn mixed_fleet() {
        let r = analyse(&fixture("mixed-fleet.json"));
        let expect = [
            (
                "ip-10-0-11-21.",
                Verdict::Supported,
                Source::Metrics,
                Some(true),
            ),
            (
                "ip-10-0-21-8.",
                Verdict::Unsupported,
                Source::Metrics,
                Some(true),
            ),
            (
                "ip-10-0-22-91.",
                Verdict::Partial,
                Source::Metrics,
                Some(true),
            ),
            (
                "ip-10-0-23-140.",
                Verdict::Unsupported,
                Source::Metrics,
                Some(true),
            ),
            (
                "ip-10-0-31-5.",
                Verdict::Unsupported,
                Source::Version,
                Some(false),
            ),
            (
                "ip-10-0-32-77.",
                Verdict::Unsupported,
                Source::Version,
                Some(false),
            ),
            (
                "ip-10-0-41-19.",
                Verdict::Supported,
                Source::Metrics,
                Some(false),
            ),
            (
                "ip-10-0-42-201.",
                Verdict::Unknown,
                Source::Unknown,
                Some(true),
            ),
            (
                "ip-10-0-43-66.",
                Verdict::Unknown,
                Source::Unknown,
                Some(true),
            ),
            (
                "ip-10-0-51-230.",
                Verdict::Supported,
                Source::Metrics,
                Some(false),
            ),
            (
                "ip-10-0-52-12.",
                Verdict::Unknown,
                Source::Unknown,
                Some(true),
            ),
        ];
        for (name, verdict, source, skew_ok) in expect {
            let n = node(&r, name);
            assert_eq!(n.verdict, verdict, "{name}: {}", n.reason);
            assert_eq!(n.gate.source, source, "{name}");
            assert_eq!(n.skew.ok, skew_ok, "{name}: {}", n.skew.reason);
            assert!(!n.reason.is_empty());
        }
        let s = &r.summary;
        assert_eq!(
            (s.supported, s.partial, s.unsupported, s.unknown),
            (5, 1, 4, 3)
        );
        assert_eq!(s.can_run, 6);
        assert_eq!(s.skew_broken, 4);
        assert_eq!(s.verdict, Verdict::Partial);
        assert!(!s.ok);
        assert_eq!(exit_code(&r), 1);
        assert!(s.recommendation.is_some());
        assert_eq!(r.apiserver.instances, Some(2));
        assert!(!r.control_plane.scheduler.visible);
        assert!(
            r.control_plane
                .scheduler
                .reason
                .contains("managed control plane")
        );
        let payments = r.pools.iter().find(|p| p.name == "payments").unwrap();
        assert!(payments.mixed);
        assert_eq!(
            payments.label.as_deref(),
            Some("eks.amazonaws.com/nodegroup")
        );
    }

    #[test]
    fn all_supported_exits_zero() {
        let r = analyse(&fixture("all-supported.json"));
        assert_eq!(r.summary.verdict, Verdict::Supported);
        assert!(r.summary.ok);
        assert_eq!(exit_code(&r), 0);
        assert!(r.summary.recommendation.is_none());
    }

    #[test]
    fn a_broken_skew_alone_makes_it_exit_one() {
        let mut snap = fixture("all-supported.json");
        snap.nodes[0].kubelet_version = "v1.34.1-gke.100".into();
        let r = analyse(&snap);
        assert_eq!(r.summary.verdict, Verdict::Supported);
        assert_eq!(r.summary.skew_broken, 1);
        assert_eq!(exit_code(&r), 1);
    }

    #[test]
    fn kubeadm_control_plane_is_read_from_static_pods() {
        let r = analyse(&fixture("kubeadm-ha.json"));
        // /metrics was forbidden: inferred from the version, and marked as such.
        assert_eq!(r.apiserver.gate.source, Source::Version);
        assert!(r.apiserver.gate.reason.contains("/metrics"));
        assert_eq!(r.apiserver.verdict, Verdict::Supported);
        assert_eq!(r.apiserver.instances, Some(3));
        let sched = &r.control_plane.scheduler;
        assert!(sched.visible);
        assert_eq!(sched.instances.len(), 2);
        assert_eq!(sched.verdict, Verdict::Unsupported);
        assert_eq!(sched.instances[0].gate.source, Source::Flag);
        assert_eq!(sched.instances[1].gate.source, Source::Version);
        assert_eq!(
            r.control_plane.controller_manager.verdict,
            Verdict::Supported
        );
        // A scheduler with the gate off blocks the whole cluster.
        assert_eq!(r.summary.verdict, Verdict::Unsupported);
        assert!(
            r.summary.reason.contains("kube-scheduler"),
            "{}",
            r.summary.reason
        );
        assert_eq!(r.pools.len(), 1);
        assert_eq!(r.pools[0].name, "(none)");
    }

    #[test]
    fn skew_is_measured_against_the_oldest_apiserver() {
        let mut snap = fixture("kubeadm-ha.json");
        let pods = snap.control_plane.static_pods.as_mut().unwrap();
        pods.iter_mut()
            .find(|p| p.name == "kube-apiserver-cp-3")
            .unwrap()
            .image = "registry.k8s.io/kube-apiserver:v1.29.10".into();
        let r = analyse(&snap);
        assert_eq!(r.apiserver.known_versions, vec!["v1.29.10", "v1.30.6"]);
        assert_eq!(r.apiserver.skew.ok, Some(true));
        // A 1.30 kubelet is newer than the 1.29 apiserver; a 1.29 kubelet is fine.
        assert_eq!(node(&r, "worker-1").skew.ok, Some(false));
        assert_eq!(node(&r, "cp-3").skew.ok, Some(true));
        assert!(r.control_plane.scheduler.instances[1].skew.is_broken());
    }

    #[test]
    fn not_ready_is_unknown_even_with_a_reading() {
        let mut snap = fixture("all-supported.json");
        snap.nodes[1].ready = Some(false);
        snap.nodes[1].ready_reason = Some("KubeletNotReady".into());
        let r = analyse(&snap);
        assert_eq!(r.nodes[1].verdict, Verdict::Unknown);
        assert!(
            r.nodes[1]
                .reason
                .starts_with("node is NotReady (KubeletNotReady)")
        );
        // Nothing seen stands in the way, but a node was not examined.
        assert_eq!(r.summary.verdict, Verdict::Incomplete);
        assert_eq!(exit_code(&r), 4);
        let nodes = &r.coverage.sections[1];
        assert_eq!((nodes.examined, nodes.total), (2, Some(3)));
        assert_eq!(nodes.gaps[0].cause, crate::facts::coverage::Cause::NotAsked);
    }

    #[test]
    fn apiserver_gate_off_blocks_everything() {
        let mut snap = fixture("all-supported.json");
        snap.apiserver.git_version = "v1.30.2".into();
        snap.apiserver.metrics = GateReading::Series {
            stage: "BETA".into(),
            enabled: false,
        };
        let r = analyse(&snap);
        assert_eq!(r.apiserver.verdict, Verdict::Unsupported);
        assert_eq!(r.summary.verdict, Verdict::Unsupported);
        assert!(r.summary.reason.contains("drops restartPolicy"));
    }

    #[test]
    fn no_nodes() {
        let mut snap = fixture("all-supported.json");
        snap.nodes.clear();
        snap.selector = Some("pool=none".into());
        let r = analyse(&snap);
        assert_eq!(r.summary.verdict, Verdict::Unknown);
        assert!(r.summary.reason.contains("-l pool=none"));
        assert_eq!(exit_code(&r), 1);
    }

    #[test]
    fn pods_forbidden_says_so() {
        let mut snap = fixture("mixed-fleet.json");
        snap.control_plane.static_pods = None;
        snap.control_plane.error = Some("cannot list pods in kube-system (forbidden)".into());
        let r = analyse(&snap);
        assert_eq!(
            r.control_plane.scheduler.reason,
            "not visible: cannot list pods in kube-system (forbidden)"
        );
    }

    #[test]
    fn snapshot_round_trips() {
        let snap = fixture("mixed-fleet.json");
        let text = serde_json::to_string(&snap).unwrap();
        let back: ClusterFacts = serde_json::from_str(&text).unwrap();
        assert_eq!(back, snap);
    }

    // ---- coverage, verdict and exit code ----

    use crate::facts::coverage::Cause;

    /// A 3-node cluster where the apiserver and every kubelet run `minor` and answer `reading`.
    fn cluster(minor: u32, api: GateReading, kubelet: GateReading) -> ClusterFacts {
        let mut snap = fixture("all-supported.json");
        snap.apiserver.git_version = format!("v1.{minor}.4");
        snap.apiserver.metrics = api;
        for n in &mut snap.nodes {
            n.kubelet_version = format!("v1.{minor}.4");
            n.metrics = kubelet.clone();
        }
        snap
    }

    /// What a component of this minor really reports with the gate at its default.
    fn series(minor: u32) -> GateReading {
        match minor {
            28 => GateReading::Series {
                stage: "ALPHA".into(),
                enabled: true,
            },
            29..=32 => GateReading::Series {
                stage: "BETA".into(),
                enabled: true,
            },
            33..=36 => GateReading::Series {
                stage: String::new(),
                enabled: true,
            },
            _ => GateReading::NoSeries { family: true },
        }
    }

    fn forbidden(permission: &str) -> GateReading {
        GateReading::Forbidden {
            permission: permission.into(),
            message: "forbidden".into(),
        }
    }

    fn section<'a>(r: &'a Report, name: &str) -> &'a crate::facts::coverage::SectionCoverage {
        r.coverage
            .sections
            .iter()
            .find(|s| s.section == name)
            .unwrap_or_else(|| panic!("no section {name}"))
    }

    #[test]
    fn kubelet_metrics_forbidden_is_examined_only_where_the_version_decides() {
        // (minor, nodes examined, exit code): 1.27 has no feature (a definite no), 1.28-1.32
        // could have the gate either way, 1.33+ is locked on or always on.
        let table = [
            (27, 3, 1),
            (28, 0, 4),
            (29, 0, 4),
            (30, 0, 4),
            (32, 0, 4),
            (33, 3, 0),
            (36, 3, 0),
            (37, 3, 0),
        ];
        for (minor, examined, code) in table {
            let r = analyse(&cluster(minor, series(minor), forbidden("get nodes/proxy")));
            let nodes = section(&r, "nodes");
            assert_eq!(nodes.examined, examined, "1.{minor}: {:?}", nodes.gaps);
            assert_eq!(nodes.total, Some(3));
            assert_eq!(exit_code(&r), code, "1.{minor}: {}", r.summary.reason);
            if examined == 0 {
                assert_eq!(nodes.gaps.len(), 1, "one gap for the three nodes");
                assert_eq!(nodes.gaps[0].cause, Cause::Forbidden);
                assert_eq!(nodes.gaps[0].permission.as_deref(), Some("get nodes/proxy"));
                assert_eq!(r.summary.verdict, Verdict::Incomplete, "1.{minor}");
                assert!(!r.summary.ok);
            }
        }
    }

    #[test]
    fn apiserver_metrics_forbidden_is_a_gap_only_while_the_gate_can_be_off() {
        // 1.28 kubelets are partial (termination not ordered): a finding whatever the gaps.
        for (minor, gap, code) in [
            (28, true, 1),
            (29, true, 4),
            (32, true, 4),
            (33, false, 0),
            (37, false, 0),
        ] {
            let r = analyse(&cluster(
                minor,
                forbidden("get on nonResourceURL /metrics"),
                series(minor),
            ));
            let cp = section(&r, "controlPlane");
            assert_eq!(!cp.complete(), gap, "1.{minor}: {cp:?}");
            assert_eq!(exit_code(&r), code, "1.{minor}: {}", r.summary.reason);
            if gap {
                assert_eq!(
                    cp.line(),
                    "controlPlane: 0 of 1 components examined: apiserver gate (GET /metrics): forbidden (needs get on nonResourceURL /metrics)"
                );
            }
        }
    }

    #[test]
    fn a_definite_finding_beats_a_gap() {
        // One node timed out, one is examined and has the gate off: 1, and the reason says
        // that the rest was not fully examined.
        let mut snap = cluster(30, series(30), series(30));
        snap.nodes[0].metrics = GateReading::failed("no answer within 5s", Cause::Timeout);
        snap.nodes[1].metrics = GateReading::Series {
            stage: "BETA".into(),
            enabled: false,
        };
        let r = analyse(&snap);
        assert_eq!(exit_code(&r), 1);
        assert_eq!(r.summary.verdict, Verdict::Partial);
        assert!(
            r.summary.reason.ends_with("not fully examined: nodes"),
            "{}",
            r.summary.reason
        );
        // Without the node that is off: nothing seen stands in the way.
        snap.nodes[1].metrics = series(30);
        let r = analyse(&snap);
        assert_eq!(exit_code(&r), 4);
        assert_eq!(r.summary.verdict, Verdict::Incomplete);
        assert_eq!(section(&r, "nodes").gaps[0].cause, Cause::Timeout);
        // A broken skew rule is definite too.
        snap.nodes[1].kubelet_version = "v1.31.0".into();
        assert_eq!(exit_code(&analyse(&snap)), 1);
    }

    #[test]
    fn an_assumed_off_default_is_no_definite_finding() {
        // 1.28 kubelets with nodes/proxy forbidden: assumed off (the default), but the gate may
        // have been turned on: unsupported rows, an incomplete cluster.
        let r = analyse(&cluster(28, series(28), forbidden("get nodes/proxy")));
        assert!(r.nodes.iter().all(|n| n.verdict == Verdict::Unsupported));
        assert_eq!(r.summary.verdict, Verdict::Incomplete);
        assert_eq!(exit_code(&r), 4);
    }

    #[test]
    fn unlisted_nodes_leave_the_control_plane_and_exit_four() {
        let mut snap = cluster(33, series(33), series(33));
        snap.nodes.clear();
        snap.nodes_gap = Some(
            crate::kube::access::Failure::Forbidden("403 Forbidden".into())
                .gap("list nodes", crate::kube::cluster::LIST_NODES),
        );
        let r = analyse(&snap);
        assert_eq!(
            section(&r, "nodes").line(),
            "nodes: 0 of ? nodes examined: list nodes: forbidden (needs list nodes)"
        );
        assert!(section(&r, "controlPlane").complete());
        assert_eq!(r.summary.verdict, Verdict::Incomplete);
        assert_eq!(exit_code(&r), 4);
        // A list that timed out after a page: the nodes of that page are still examined.
        let mut snap = cluster(33, series(33), series(33));
        snap.nodes.truncate(2);
        snap.nodes_gap = Some(
            crate::kube::access::Failure::Timeout("no answer within 30s".into())
                .gap("list nodes", crate::kube::cluster::LIST_NODES),
        );
        let r = analyse(&snap);
        assert_eq!(
            section(&r, "nodes").line(),
            "nodes: 2 of ? nodes examined: list nodes: timeout"
        );
        assert_eq!(exit_code(&r), 4);
        // The apiserver seen with the gate off decides anyway.
        snap.apiserver.git_version = "v1.30.1".into();
        snap.apiserver.metrics = GateReading::Series {
            stage: "BETA".into(),
            enabled: false,
        };
        let r = analyse(&snap);
        assert_eq!(r.summary.verdict, Verdict::Unsupported);
        assert_eq!(exit_code(&r), 1);
    }

    #[test]
    fn unreadable_static_pods_are_a_gap_unless_the_skew_policy_decides() {
        for (minor, gap) in [(30, true), (33, true), (34, false), (37, false)] {
            let mut snap = cluster(minor, series(minor), series(minor));
            snap.control_plane.static_pods = None;
            snap.control_plane.error = Some("cannot list pods in kube-system (forbidden)".into());
            snap.control_plane.cause = Some(Cause::Forbidden);
            let r = analyse(&snap);
            let cp = section(&r, "controlPlane");
            assert_eq!(cp.total, Some(3), "1.{minor}");
            assert_eq!(!cp.complete(), gap, "1.{minor}: {cp:?}");
            assert_eq!(exit_code(&r), if gap { 4 } else { 0 }, "1.{minor}");
            if gap {
                assert_eq!(
                    cp.gaps[0].permission.as_deref(),
                    Some("list pods in kube-system")
                );
            }
        }
    }

    #[test]
    fn leases_only_inform() {
        let mut snap = cluster(33, series(33), series(33));
        snap.apiserver.leases = Count::Unknown {
            reason: "cannot list leases in kube-system (forbidden)".into(),
            cause: Some(Cause::Forbidden),
        };
        let r = analyse(&snap);
        let leases = section(&r, "apiserverInstances");
        assert!(!leases.decisive && !leases.complete());
        assert!(r.coverage.complete());
        assert_eq!(exit_code(&r), 0);
    }

    #[test]
    fn gaps_group_nodes_by_cause_and_name_them() {
        let mut snap = cluster(33, series(33), series(33));
        let template = snap.nodes[0].clone();
        snap.nodes = (0..6)
            .map(|i| NodeFacts {
                name: format!("n{i}"),
                ..template.clone()
            })
            .collect();
        for n in &mut snap.nodes[..4] {
            n.metrics =
                GateReading::failed("HTTP 503: connect: connection refused", Cause::Unreachable);
        }
        snap.nodes[4].metrics = GateReading::failed(
            "unreadable metrics: metrics body larger than 16 MiB: stopped reading",
            Cause::ServerError,
        );
        let r = analyse(&snap);
        let nodes = section(&r, "nodes");
        assert_eq!((nodes.examined, nodes.total), (1, Some(6)));
        assert_eq!(nodes.gaps.len(), 2);
        assert_eq!(nodes.gaps[0].what, "kubelet metrics of n4");
        assert_eq!(nodes.gaps[0].cause, Cause::ServerError);
        assert_eq!(
            nodes.gaps[1].what,
            "kubelet metrics of 4 nodes (n0, n1, n2, …)"
        );
        assert_eq!(nodes.gaps[1].cause, Cause::Unreachable);
        assert!(
            nodes.gaps[1].detail.starts_with("n0: HTTP 503"),
            "{}",
            nodes.gaps[1].detail
        );
        // Refused is no permission problem: the remedy points at the kubelet and names it.
        let remedy = crate::checks::cluster::coverage::remedy(&nodes.gaps[1]);
        assert!(
            !remedy.contains("grant") && remedy.contains("kubelet"),
            "{remedy}"
        );
        let remedy = crate::checks::cluster::coverage::remedy(
            &section(
                &analyse(&cluster(30, series(30), forbidden("get nodes/proxy"))),
                "nodes",
            )
            .gaps[0],
        );
        assert!(remedy.contains("grant `get nodes/proxy`"), "{remedy}");
    }

    #[test]
    fn version_one_snapshots_keep_their_causes() {
        let r = analyse(&fixture("mixed-fleet.json"));
        let causes: Vec<Cause> = section(&r, "nodes").gaps.iter().map(|g| g.cause).collect();
        assert_eq!(
            causes,
            [Cause::Timeout, Cause::Unreachable, Cause::NotAsked]
        );
        assert_eq!(exit_code(&r), 1);
    }

    #[test]
    fn assumed_support_is_never_recommended_for_the_label() {
        // Two 1.30 nodes with nodes/proxy forbidden (assumed on) next to an examined 1.33 one.
        let mut snap = cluster(33, series(33), series(33));
        for n in &mut snap.nodes[1..] {
            n.kubelet_version = "v1.30.4".into();
            n.metrics = forbidden("get nodes/proxy");
        }
        snap.apiserver.git_version = "v1.33.4".into();
        let r = analyse(&snap);
        assert_eq!(
            r.nodes[1].verdict,
            Verdict::Supported,
            "{}",
            r.nodes[1].reason
        );
        let rec = r.summary.recommendation.clone().expect("a recommendation");
        assert_eq!(
            rec.label_commands,
            [format!(
                "kubectl label nodes {} native-sidecars=supported --overwrite",
                r.nodes[0].name
            )]
        );
        assert_eq!(exit_code(&r), 4);
    }
}
