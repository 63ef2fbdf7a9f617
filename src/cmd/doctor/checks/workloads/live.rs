//! Checks on what the kubelet and scheduler wrote into live pods: sidecars run as classic init
//! containers, on unsupported nodes, rejected or unschedulable; legacy sidecars holding a Job
//! open; apps that fail while their sidecar may not listen yet.

use std::collections::BTreeMap;

use super::hits::{Hits, Seen};
use super::spec::declared_restartable;
use crate::checks::cluster::verdict::Verdict;
use crate::checks::finding::{Finding, ObjectRef};
use crate::cmd::doctor::checks::looks::{helper, ports_text, serves_ports, split_regular};
use crate::cmd::doctor::checks::{Input, age_seconds};
use crate::facts::workloads::{ContainerFacts, PodFacts, PodSpecFacts};
use crate::kube::collect::extract::{KUBELET_REJECTED, SCHEDULER_GATE_OFF};

/// An init container running longer than this while the pod waits is "stuck", not "slow".
const STUCK_AFTER_SECONDS: i64 = 600;

pub(super) fn run_as_init(
    input: &Input<'_>,
    pod: &PodFacts,
    object: &ObjectRef,
    submitted: &[(String, &PodSpecFacts)],
    seen: &Seen,
    hits: &mut Hits,
) {
    if !matches!(pod.phase.as_deref(), None | Some("Pending")) {
        return;
    }
    let initialized = pod
        .conditions
        .iter()
        .any(|c| c.type_ == "Initialized" && c.status == "True");
    if initialized {
        return;
    }
    for (i, status) in pod.init_statuses.iter().enumerate() {
        if status.state != "running" || status.ready {
            continue;
        }
        let waiting_behind = pod.init_statuses[i + 1..]
            .iter()
            .chain(pod.statuses.iter())
            .any(|s| s.state == "waiting" && s.reason.as_deref() == Some("PodInitializing"));
        if !waiting_behind {
            continue;
        }
        let Some(spec) = pod
            .spec
            .init_containers
            .iter()
            .find(|c| c.name == status.name)
        else {
            continue;
        };
        let evidence_state = format!(
            "pod {}: init container {} is running, not ready; later containers wait in PodInitializing",
            seen.pod, status.name
        );
        if spec.is_restartable() {
            // A kubelet that knows sidecars reports `started` for them; none means it is older
            // than 1.28 and ignores restartPolicy.
            if status.started.is_none() {
                let mut f = Finding::new(
                    "sidecar-run-as-init",
                    object.clone().with_container(&status.name),
                    format!(
                        "pod stuck in Init: the node's kubelet ignores restartPolicy: Always and runs {} as a classic init container",
                        status.name
                    ),
                )
                .evidence(evidence_state)
                .evidence(format!(
                    "no `started` field in {}'s status: the kubelet predates native sidecars (< 1.28)",
                    status.name
                ));
                if let Some(node) = pod.node.as_deref() {
                    f = f.evidence(node_line(input, node));
                }
                hits.add(
                    f.fix("Upgrade the node to 1.29+, or keep this workload off it with a node affinity for nodes that support native sidecars."),
                    Some(seen),
                );
            }
            continue;
        }
        // Whether its author meant a sidecar decides the id: a declaration with
        // restartPolicy: Always that the pod lacks is a sidecar run as init; with none, the
        // author declared a classic init container that never exits.
        let declared = declared_restartable(submitted, &status.name);
        let why = if let Some(source) = declared {
            Some(format!("{source} declares it with restartPolicy: Always"))
        } else if let Some(why) = helper(spec) {
            Some(format!("it {why}"))
        } else if serves_ports(spec) {
            Some(format!("it serves ports {}", ports_text(spec)))
        } else if spec.sleeps_forever {
            Some("its command never exits (sleep infinity, tail -f, while true)".to_string())
        } else {
            age_seconds(input, status.started_at.as_deref())
                .filter(|age| *age > STUCK_AFTER_SECONDS)
                .map(|age| format!("it has been running for {} minutes", age / 60))
        };
        let Some(why) = why else { continue };
        let finding = if declared.is_some() {
            Finding::new(
                "sidecar-run-as-init",
                object.clone().with_container(&status.name),
                format!(
                    "pod stuck in Init behind {}, a sidecar run as a classic init container (it never exits)",
                    status.name
                ),
            )
        } else {
            Finding::new(
                "init-container-never-exits",
                object.clone().with_container(&status.name),
                format!(
                    "pod stuck in Init behind {}, declared as a classic init container (no restartPolicy: Always anywhere it is declared) that never exits",
                    status.name
                ),
            )
        };
        hits.add(finding.evidence(evidence_state).evidence(why), Some(seen));
    }
}

pub(super) fn node_line(input: &Input<'_>, node: &str) -> String {
    match input.node(node) {
        Some(n) => format!(
            "node {node}: kubelet {}, {} ({})",
            n.kubelet_version.as_deref().unwrap_or("unknown"),
            n.verdict,
            n.reason
        ),
        None => format!("node {node}: not in the node report"),
    }
}

pub(super) fn on_unsupported_node(
    input: &Input<'_>,
    pod: &PodFacts,
    object: &ObjectRef,
    seen: &Seen,
    hits: &mut Hits,
) {
    let Some(sidecar) = pod.spec.init_containers.iter().find(|c| c.is_restartable()) else {
        return;
    };
    // How many pods of this record run on each node: the representative, then the folded.
    let mut on: BTreeMap<&str, u32> = BTreeMap::new();
    if let Some(node) = pod.node.as_deref() {
        on.insert(node, 1);
    }
    for (node, n) in &pod.similar_nodes {
        *on.entry(node.as_str()).or_default() += n;
    }
    let bad: Vec<(&str, u32)> = on
        .into_iter()
        .filter(|(node, _)| input.node_verdict(node) == Some(Verdict::Unsupported))
        .collect();
    let Some((first, _)) = bad.first() else {
        return;
    };
    let message = match bad.len() {
        1 => format!(
            "native sidecar {} runs on node {first}, which cannot run native sidecars",
            sidecar.name
        ),
        n => format!(
            "native sidecar {} runs on {n} nodes that cannot run native sidecars",
            sidecar.name
        ),
    };
    let f = Finding::new(
        "sidecar-on-unsupported-node",
        object.clone().with_container(&sidecar.name),
        message,
    )
    .evidence_all(bad.iter().take(5).map(|(node, _)| node_line(input, node)));
    let on_bad = Seen {
        pod: seen.pod.clone(),
        weight: bad.iter().map(|(_, n)| n).sum(),
    };
    hits.add(f, Some(&on_bad));
}

pub(super) fn first_sidecar(spec: &PodSpecFacts) -> Option<&str> {
    spec.init_containers
        .iter()
        .find(|c| c.is_restartable())
        .map(|c| c.name.as_str())
}

pub(super) fn with_optional_container(object: &ObjectRef, container: Option<&str>) -> ObjectRef {
    match container {
        Some(c) => object.clone().with_container(c),
        None => object.clone(),
    }
}

pub(super) fn rejected_by_kubelet(
    pod: &PodFacts,
    object: &ObjectRef,
    seen: &Seen,
    hits: &mut Hits,
) {
    if pod.reason.as_deref() != Some(KUBELET_REJECTED) {
        return;
    }
    let node = pod.node.as_deref().unwrap_or("its node");
    hits.add(
        Finding::new(
            "sidecar-rejected-by-kubelet",
            with_optional_container(object, first_sidecar(&pod.spec)),
            format!("the kubelet on {node} rejected the pod: its SidecarContainers gate is off"),
        )
        .evidence(format!(
            "pod {}: phase {}, reason {KUBELET_REJECTED}: {}",
            seen.pod,
            pod.phase.as_deref().unwrap_or("?"),
            pod.message.as_deref().unwrap_or("")
        )),
        Some(seen),
    );
}

pub(super) fn unschedulable(pod: &PodFacts, object: &ObjectRef, seen: &Seen, hits: &mut Hits) {
    let Some(condition) = pod.conditions.iter().find(|c| {
        c.type_ == "PodScheduled"
            && c.status == "False"
            && c.message
                .as_deref()
                .is_some_and(|m| m.to_lowercase().contains(SCHEDULER_GATE_OFF))
    }) else {
        return;
    };
    hits.add(
        Finding::new(
            "sidecar-unschedulable-gate-off",
            with_optional_container(object, first_sidecar(&pod.spec)),
            "the scheduler refuses the pod: its SidecarContainers gate is off",
        )
        .evidence(format!(
            "pod {}: PodScheduled=False: {}",
            seen.pod,
            condition.message.as_deref().unwrap_or("")
        )),
        Some(seen),
    );
}

pub(super) fn blocks_job(pod: &PodFacts, object: &ObjectRef, seen: &Seen, hits: &mut Hits) {
    if pod.owner.as_ref().is_none_or(|o| o.kind != "Job") {
        return;
    }
    if matches!(pod.phase.as_deref(), Some("Succeeded") | Some("Failed")) {
        return;
    }
    let regular = |name: &str| pod.spec.containers.iter().any(|c| c.name == name);
    let finished: Vec<_> = pod
        .statuses
        .iter()
        .filter(|s| s.state == "terminated" && regular(&s.name))
        .collect();
    if finished.is_empty() {
        return;
    }
    let finished_text = finished
        .iter()
        .map(|s| {
            format!(
                "{} (exit {}{})",
                s.name,
                s.exit_code.map_or("?".to_string(), |c| c.to_string()),
                s.reason
                    .as_deref()
                    .map(|r| format!(", {r}"))
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    for running in pod
        .statuses
        .iter()
        .filter(|s| s.state == "running" && regular(&s.name))
    {
        hits.add(
            Finding::new(
                "legacy-sidecar-blocks-job",
                object.clone().with_container(&running.name),
                format!(
                    "the Job's work finished but {} is still running, so the pod never completes",
                    running.name
                ),
            )
            .evidence(format!("pod {}: terminated: {finished_text}", seen.pod))
            .evidence(format!("pod {}: still running: {}", seen.pod, running.name)),
            Some(seen),
        );
    }
}

pub(super) fn start_race_live(pod: &PodFacts, object: &ObjectRef, seen: &Seen, hits: &mut Hits) {
    let (helpers, work) = split_regular(&pod.spec.containers);
    let mut sidecars: Vec<(&ContainerFacts, &str)> = helpers
        .iter()
        .filter(|(c, _)| serves_ports(c))
        .map(|(c, _)| (*c, "a regular container, started together with the app"))
        .collect();
    sidecars.extend(
        pod.spec
            .init_containers
            .iter()
            .filter(|c| c.is_restartable() && serves_ports(c) && !c.startup_probe)
            .map(|c| (c, "a native sidecar without startupProbe")),
    );
    if sidecars.is_empty() {
        return;
    }
    for app in work {
        let Some(status) = pod.statuses.iter().find(|s| s.name == app.name) else {
            continue;
        };
        let failed_now = status.state == "terminated" && status.exit_code.is_some_and(|c| c != 0);
        let failed_before = status.last_exit_code.is_some_and(|c| c != 0);
        if status.restart_count == 0 && !failed_now && !failed_before {
            continue;
        }
        let what = if status.restart_count > 0 {
            format!("restarted {} times", status.restart_count)
        } else {
            "failed".to_string()
        };
        for (sidecar, kind) in &sidecars {
            hits.add(
                Finding::new(
                    "sidecar-start-race",
                    object.clone().with_container(&sidecar.name),
                    format!(
                        "app container {} {what} while {} ({kind}) serves ports {}: the app may start before the sidecar is ready",
                        app.name,
                        sidecar.name,
                        ports_text(sidecar)
                    ),
                )
                .evidence(format!(
                    "pod {}: {}: state {}, restarts {}, last exit {}",
                    seen.pod,
                    app.name,
                    status.state,
                    status.restart_count,
                    status
                        .last_exit_code
                        .or(status.exit_code)
                        .map_or("-".to_string(), |c| c.to_string())
                )),
                Some(seen),
            );
        }
    }
}
