//! Runs every check over the fixtures in tests/fixtures/doctor/*.yaml: real Kubernetes objects
//! (with the statuses a kubelet or scheduler writes, and events), the cluster as the nodes
//! engine judges it, and the findings expected (and not expected) by id and object.

use std::collections::BTreeMap;
use std::path::PathBuf;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Event, Namespace, Pod};
use serde::Deserialize;
use serde_json::Value;

use super::{Input, run_with};
use crate::checks::finding::Finding;
use crate::cmd::doctor::cluster::{ApiserverSummary, ClusterFacts, NodeSummary};
use crate::facts::doctor::{CanaryFacts, DoctorFacts, WebhookFacts};
use crate::kube::collect::extract;
use crate::kube::collect::istio;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Fixture {
    description: String,
    #[serde(default)]
    collected_at: Option<String>,
    #[serde(default)]
    apiserver: Option<ApiserverSummary>,
    #[serde(default)]
    nodes: Vec<NodeSummary>,
    #[serde(default)]
    webhooks: Vec<WebhookFacts>,
    #[serde(default)]
    canaries: Vec<CanaryFacts>,
    #[serde(default)]
    objects: Vec<Value>,
    #[serde(default)]
    expect: Vec<Expected>,
    #[serde(default)]
    absent: Vec<Expected>,
    /// Nothing but these ids may be found.
    #[serde(default)]
    only: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    id: String,
    /// `kind/namespace/name [container]` as findings print objects; any object when omitted.
    #[serde(default)]
    object: Option<String>,
}

fn typed<T: serde::de::DeserializeOwned>(v: &Value, file: &str) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| {
        panic!(
            "{file}: {} {} is not a valid object: {e}",
            v["kind"], v["metadata"]["name"]
        )
    })
}

fn facts_of(fixture: &Fixture, file: &str) -> DoctorFacts {
    let mut facts = DoctorFacts {
        collected_at: fixture.collected_at.clone(),
        ..Default::default()
    };
    facts.admission.webhooks = fixture.webhooks.clone();
    facts.admission.canaries = fixture.canaries.clone();
    for object in &fixture.objects {
        let w = &mut facts.workloads;
        match object["kind"].as_str().unwrap_or_default() {
            "Pod" => {
                w.pods_seen += 1;
                let p = extract::pod(&typed::<Pod>(object, file));
                if extract::relevant(&p) {
                    w.pods.push(p);
                }
            }
            "Deployment" => {
                let d: Deployment = typed(object, file);
                let is_istiod = d
                    .metadata
                    .labels
                    .as_ref()
                    .is_some_and(|l| l.get("app").map(String::as_str) == Some("istiod"));
                if is_istiod {
                    facts.injectors.istiod.push(istio::istiod(&d));
                } else {
                    w.owners.push(extract::owner(
                        "Deployment",
                        &d.metadata,
                        Some(&d.spec.template),
                    ));
                }
            }
            "ReplicaSet" => {
                let o: ReplicaSet = typed(object, file);
                w.owners.push(extract::owner(
                    "ReplicaSet",
                    &o.metadata,
                    o.spec.template.as_ref(),
                ));
            }
            "StatefulSet" => {
                let o: StatefulSet = typed(object, file);
                w.owners.push(extract::owner(
                    "StatefulSet",
                    &o.metadata,
                    Some(&o.spec.template),
                ));
            }
            "DaemonSet" => {
                let o: DaemonSet = typed(object, file);
                w.owners.push(extract::owner(
                    "DaemonSet",
                    &o.metadata,
                    Some(&o.spec.template),
                ));
            }
            "Job" => {
                let o: Job = typed(object, file);
                w.owners.push(extract::owner(
                    "Job",
                    &o.metadata,
                    o.spec.as_ref().map(|s| &s.template),
                ));
            }
            "CronJob" => {
                let o: CronJob = typed(object, file);
                let t = o.spec.job_template.spec.as_ref().map(|j| &j.template);
                w.owners.push(extract::owner("CronJob", &o.metadata, t));
            }
            "Event" => {
                let e = extract::event(&typed::<Event>(object, file));
                if extract::event_relevant(&e) {
                    w.events.push(e);
                }
            }
            "Namespace" => w
                .namespaces
                .push(extract::namespace(&typed::<Namespace>(object, file))),
            other => panic!("{file}: fixture objects of kind {other:?} are not supported"),
        }
    }
    facts
}

fn describe(found: &[Finding]) -> String {
    found
        .iter()
        .map(|f| format!("  {} {} : {}", f.id, f.object, f.message))
        .collect::<Vec<_>>()
        .join("\n")
}

fn matches(f: &Finding, e: &Expected) -> bool {
    f.id == e.id && e.object.as_ref().is_none_or(|o| f.object.to_string() == *o)
}

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/doctor")
}

/// The findings of one fixture file (also used by other unit tests).
pub fn run_fixture(name: &str) -> (DoctorFacts, Vec<Finding>) {
    let path = fixture_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let fixture: Fixture =
        serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{name}: bad fixture: {e}"));
    let facts = facts_of(&fixture, name);
    let cluster = ClusterFacts {
        apiserver: fixture.apiserver.clone(),
        nodes: fixture.nodes.clone(),
        ..Default::default()
    };
    let found = run_with(&Input::with_cluster(&facts, cluster));
    (facts, found)
}

#[test]
fn every_fixture_finds_what_it_expects() {
    let mut files: Vec<String> = std::fs::read_dir(fixture_dir())
        .expect("tests/fixtures/doctor exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 15,
        "expected a fixture per signature, found {files:?}"
    );
    let mut covered: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(fixture_dir().join(file)).unwrap();
        let fixture: Fixture =
            serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{file}: bad fixture: {e}"));
        assert!(
            !fixture.description.trim().is_empty(),
            "{file}: no description"
        );
        let (_, found) = run_fixture(file);
        for e in &fixture.expect {
            assert!(
                crate::checks::catalog::get(&e.id).is_some(),
                "{file}: {} is not a catalog id",
                e.id
            );
            assert!(
                found.iter().any(|f| matches(f, e)),
                "{file}: expected {} on {:?}; found:\n{}",
                e.id,
                e.object,
                describe(&found)
            );
            covered.entry(e.id.clone()).or_default().push(file.clone());
        }
        for e in &fixture.absent {
            assert!(
                !found.iter().any(|f| matches(f, e)),
                "{file}: did not expect {} on {:?}; found:\n{}",
                e.id,
                e.object,
                describe(&found)
            );
        }
        if let Some(only) = &fixture.only {
            for f in &found {
                assert!(
                    only.contains(&f.id),
                    "{file}: unexpected {} {}; found:\n{}",
                    f.id,
                    f.object,
                    describe(&found)
                );
            }
        }
    }
    // Every workload and injector signature has a fixture that produces it.
    for id in [
        "sidecar-stripped",
        "sidecar-run-as-init",
        "sidecar-on-unsupported-node",
        "sidecar-rejected-by-kubelet",
        "sidecar-unschedulable-gate-off",
        "legacy-sidecar-blocks-job",
        "legacy-sidecar-in-job",
        "sidecar-start-race",
        "sidecar-missing-startup-probe",
        "init-container-never-exits",
        "restart-policy-on-app-container",
        "probe-on-classic-init",
        "sidecar-readiness-not-startup",
        "istio-native-mismatch",
        "linkerd-annotation-typo",
        "istio-annotation-typo",
        "admission-strips-restartpolicy",
    ] {
        assert!(covered.contains_key(id), "no fixture expects {id}");
    }
}
