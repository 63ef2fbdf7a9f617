use super::*;
use crate::checks::cluster::verdict::Verdict;
use crate::facts::doctor::DoctorFacts;
use crate::facts::workloads::{
    ConditionFacts, ContainerStatusFacts, OwnerFacts, OwnerKey, TemplateFacts,
};
use events::init_indices;

fn container(name: &str) -> ContainerFacts {
    ContainerFacts {
        name: name.into(),
        image: Some(format!("registry.example/{name}:1")),
        ..Default::default()
    }
}

fn status(name: &str, state: &str) -> ContainerStatusFacts {
    ContainerStatusFacts {
        name: name.into(),
        state: state.into(),
        ..Default::default()
    }
}

/// A pod stuck in Init behind `init`, which started at `started_at`.
fn stuck_pod(started_at: &str) -> PodFacts {
    let mut running = status("setup", "running");
    running.started_at = Some(started_at.into());
    running.started = Some(false);
    let mut waiting = status("app", "waiting");
    waiting.reason = Some("PodInitializing".into());
    PodFacts {
        namespace: "ns".into(),
        name: "p".into(),
        phase: Some("Pending".into()),
        spec: PodSpecFacts {
            restart_policy: None,
            init_containers: vec![container("setup")],
            containers: vec![container("app")],
        },
        init_statuses: vec![running],
        statuses: vec![waiting],
        conditions: vec![ConditionFacts {
            type_: "Initialized".into(),
            status: "False".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn ids(facts: &DoctorFacts) -> Vec<String> {
    check(&Input::new(facts))
        .into_iter()
        .map(|f| f.id)
        .collect()
}

#[test]
fn a_plain_init_container_is_stuck_only_after_ten_minutes() {
    let mut facts = DoctorFacts {
        collected_at: Some("2026-03-02T10:30:00Z".into()),
        ..Default::default()
    };
    facts.workloads.pods.push(stuck_pod("2026-03-02T10:25:00Z"));
    assert!(
        ids(&facts).is_empty(),
        "five minutes is a slow init, not a stuck one"
    );
    facts.workloads.pods[0] = stuck_pod("2026-03-02T10:00:00Z");
    let found = check(&Input::new(&facts));
    assert_eq!(found.len(), 1);
    // Nothing declares it with restartPolicy: Always: a classic init container that never exits.
    assert_eq!(found[0].id, "init-container-never-exits");
    assert!(
        found[0]
            .evidence
            .iter()
            .any(|e| e.contains("running for 30 minutes"))
    );
    // Without a collection time there is no age, hence no finding.
    facts.collected_at = None;
    assert!(ids(&facts).is_empty());
}

#[test]
fn an_initialized_pod_is_never_stuck() {
    let mut facts = DoctorFacts {
        collected_at: Some("2026-03-02T10:30:00Z".into()),
        ..Default::default()
    };
    let mut pod = stuck_pod("2026-03-02T10:00:00Z");
    pod.conditions[0].status = "True".into();
    facts.workloads.pods.push(pod);
    assert!(ids(&facts).is_empty());
}

#[test]
fn folded_pods_count_in_the_evidence_and_every_node_is_checked() {
    let mut facts = DoctorFacts::default();
    let mut sidecar = container("proxy");
    sidecar.restart_policy = Some("Always".into());
    facts.workloads.pods.push(PodFacts {
        namespace: "ns".into(),
        name: "web-1".into(),
        node: Some("good".into()),
        similar_nodes: [("bad".to_string(), 3), ("good".to_string(), 1)].into(),
        similar: 4,
        owner: Some(OwnerKey {
            kind: "ReplicaSet".into(),
            name: "web-abc".into(),
        }),
        spec: PodSpecFacts {
            restart_policy: None,
            init_containers: vec![sidecar],
            containers: vec![container("app")],
        },
        ..Default::default()
    });
    let cluster = crate::cmd::doctor::cluster::ClusterFacts {
        nodes: vec![
            crate::cmd::doctor::cluster::NodeSummary {
                name: "good".into(),
                verdict: Verdict::Supported,
                ..Default::default()
            },
            crate::cmd::doctor::cluster::NodeSummary {
                name: "bad".into(),
                verdict: Verdict::Unsupported,
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let found = check(&Input::with_cluster(&facts, cluster));
    let f = found
        .iter()
        .find(|f| f.id == "sidecar-on-unsupported-node")
        .expect("the folded pod on node bad is found");
    assert!(f.message.contains("bad"));
    // The ReplicaSet was not fetched: the finding names it, the closest object known.
    assert_eq!(f.object.to_string(), "replicaset/ns/web-abc [proxy]");
    assert!(
        f.evidence
            .iter()
            .any(|e| e == "seen on 3 pods, e.g. ns/web-1"),
        "only the pods on node bad count: {:?}",
        f.evidence
    );
}

#[test]
fn a_finished_job_pod_blocks_nothing() {
    let mut facts = DoctorFacts::default();
    let mut helper = container("istio-proxy");
    helper.ports = vec![15090];
    let mut done = status("work", "terminated");
    done.exit_code = Some(0);
    facts.workloads.pods.push(PodFacts {
        namespace: "ns".into(),
        name: "job-1".into(),
        phase: Some("Succeeded".into()),
        owner: Some(OwnerKey {
            kind: "Job".into(),
            name: "job".into(),
        }),
        spec: PodSpecFacts {
            restart_policy: Some("Never".into()),
            init_containers: vec![],
            containers: vec![container("work"), helper],
        },
        statuses: vec![done.clone(), status("istio-proxy", "running")],
        ..Default::default()
    });
    assert!(!ids(&facts).contains(&"legacy-sidecar-blocks-job".to_string()));
    facts.workloads.pods[0].phase = Some("Running".into());
    assert!(ids(&facts).contains(&"legacy-sidecar-blocks-job".to_string()));
}

#[test]
fn init_container_indices_from_validation_messages() {
    assert_eq!(
        init_indices(
            "Pod \"x\" is invalid: [spec.initContainers[0].startupProbe: Forbidden: ..., spec.initContainers[2].lifecycle: Forbidden: ..., spec.initContainers[0].readinessProbe: Forbidden]"
        ),
        vec![0, 2]
    );
    assert!(init_indices("spec.initContainers[x].startupProbe").is_empty());
    assert!(init_indices("nothing here").is_empty());
}

/// A Deployment whose template declares `setup` as `declared`, and its pod stuck behind `setup`.
fn owned_stuck_pod(declared: Option<&str>) -> DoctorFacts {
    let mut facts = DoctorFacts {
        collected_at: Some("2026-03-02T10:30:00Z".into()),
        ..Default::default()
    };
    let mut pod = stuck_pod("2026-03-02T10:00:00Z");
    pod.owner = Some(OwnerKey {
        kind: "Deployment".into(),
        name: "web".into(),
    });
    let mut template = pod.spec.clone();
    template.init_containers[0].restart_policy = declared.map(Into::into);
    facts.workloads.pods.push(pod);
    facts.workloads.owners.push(OwnerFacts {
        kind: "Deployment".into(),
        namespace: "ns".into(),
        name: "web".into(),
        template: Some(TemplateFacts {
            spec: template,
            ..Default::default()
        }),
        ..Default::default()
    });
    facts
}

#[test]
fn a_stuck_init_container_is_a_sidecar_only_if_declared_one() {
    let stripped = ids(&owned_stuck_pod(Some("Always")));
    assert!(
        stripped.contains(&"sidecar-run-as-init".to_string()),
        "{stripped:?}"
    );
    assert!(
        stripped.contains(&"sidecar-stripped".to_string()),
        "{stripped:?}"
    );
    assert!(
        !stripped.contains(&"init-container-never-exits".to_string()),
        "{stripped:?}"
    );
    let classic = check(&Input::new(&owned_stuck_pod(None)));
    let found: Vec<&str> = classic.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(found, ["init-container-never-exits"]);
    assert_eq!(classic[0].object.to_string(), "deployment/ns/web [setup]");
    assert!(
        classic[0]
            .evidence
            .iter()
            .any(|e| e.contains("is running, not ready")),
        "{:?}",
        classic[0].evidence
    );
}

/// A pod of `owner_kind` with pod restartPolicy `pod_policy` whose regular container `agent`
/// has restartPolicy `policy`, checked against an apiserver of `version`.
fn app_policy(
    owner_kind: &str,
    pod_policy: &str,
    policy: &str,
    version: Option<&str>,
) -> Vec<Finding> {
    let mut facts = DoctorFacts::default();
    let mut agent = container("agent");
    agent.restart_policy = Some(policy.into());
    facts.workloads.pods.push(PodFacts {
        namespace: "ns".into(),
        name: "p".into(),
        phase: Some("Running".into()),
        // "Pod": a bare pod, without an owner.
        owner: (owner_kind != "Pod").then(|| OwnerKey {
            kind: owner_kind.into(),
            name: "w".into(),
        }),
        spec: PodSpecFacts {
            restart_policy: Some(pod_policy.into()),
            init_containers: vec![],
            containers: vec![container("work"), agent],
        },
        ..Default::default()
    });
    let cluster = crate::cmd::doctor::cluster::ClusterFacts {
        apiserver: version.map(|v| crate::cmd::doctor::cluster::ApiserverSummary {
            version: Some(v.into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    check(&Input::with_cluster(&facts, cluster))
}

fn only(found: &[Finding]) -> (String, String) {
    assert_eq!(found.len(), 1, "{found:#?}");
    (found[0].id.clone(), found[0].evidence.join("\n"))
}

#[test]
fn restart_always_on_a_job_container_is_an_error_only_where_the_apiserver_keeps_it() {
    let (id, evidence) = only(&app_policy("Job", "Never", "Always", Some("v1.33.5")));
    assert_eq!(id, "restart-policy-on-app-container");
    assert!(evidence.contains("rejects"), "{evidence}");
    let (id, evidence) = only(&app_policy("Job", "Never", "Always", Some("v1.34.2")));
    assert_eq!(id, "restart-policy-on-app-container");
    assert!(evidence.contains("drops"), "{evidence}");
    for v in ["v1.35.0", "v1.37.2-eks.1"] {
        let found = app_policy("Job", "OnFailure", "Always", Some(v));
        let (id, evidence) = only(&found);
        assert_eq!(id, "app-container-restarts-forever", "{v}");
        assert_eq!(found[0].severity, crate::checks::finding::Severity::Error);
        assert!(
            evidence.contains("containers[agent].restartPolicy: Always"),
            "{evidence}"
        );
        // A bare pod that must finish is the same problem.
        let (id, _) = only(&app_policy("Pod", "Never", "Always", Some(v)));
        assert_eq!(id, "app-container-restarts-forever", "{v}");
    }
    // Only suspicious: the version is unknown, the pod restarts anyway, or it is not Always.
    for (kind, pod_policy, policy, version) in [
        ("Job", "Never", "Always", None),
        ("ReplicaSet", "Always", "Always", Some("v1.37.0")),
        ("Job", "Never", "OnFailure", Some("v1.37.0")),
    ] {
        let (id, _) = only(&app_policy(kind, pod_policy, policy, version));
        assert_eq!(
            id, "restart-policy-on-app-container",
            "{kind} {pod_policy} {policy}"
        );
    }
}

#[test]
fn restart_always_on_a_regular_container_is_never_a_sidecar() {
    for v in ["v1.33.0", "v1.34.0", "v1.35.0", "v1.37.0"] {
        for found in [
            app_policy("ReplicaSet", "Always", "Always", Some(v)),
            app_policy("Job", "Never", "Always", Some(v)),
        ] {
            assert!(
                found.iter().all(|f| !f.id.starts_with("sidecar-")),
                "{v}: {found:#?}"
            );
            assert!(
                found
                    .iter()
                    .all(|f| f.message.contains("not make it a sidecar")
                        || f.id == "app-container-restarts-forever")
            );
        }
    }
}
