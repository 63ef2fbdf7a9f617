#![cfg(feature = "e2e")]
//! Live vs offline (issue 10): on e2e scenarios with workloads, the findings of `doctor -A` on
//! the cluster and of `doctor --offline` on the scenario's own manifests agree, for every id the
//! catalog marks static, as sets of (id, kind, namespace, name, container). The only
//! differences allowed are the two the design makes, each checked precisely:
//! - a live symptom supersedes the static cause it explains on the same object and container
//!   (src/cmd/doctor/checks/workloads/hits.rs, `SUPERSEDED`): the static finding may be absent
//!   live only when a superseding id is present live on that very object and container;
//! - where a webhook strips `restartPolicy`, the cluster stores what the webhook made, so the
//!   live run judges the stored object and the offline run the manifest: a difference is allowed
//!   only on an object of a namespace the scenario's stripping webhook selects, and only when the
//!   live run proves the strip there (`sidecar-stripped` on that object and container).
//!
//! The manifest is what a person applies: the scenario's objects that carry a pod template and
//! have no ownerReferences (ReplicaSets, Jobs and pods with an owner are made by controllers;
//! live, their findings are reported on the top owner), without `status`, which no one applies.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;

use common::{TestCluster, run_product};
use kubectl_sidecar::checks::catalog;
use serde_json::Value;

/// (id, kind, namespace, name, container).
type Key = (String, String, String, String, String);

/// Copied from hits.rs on purpose: if the product starts superseding something else, this test
/// fails until the exception is stated here too.
const SUPERSEDED: &[(&str, &[&str])] = &[
    ("legacy-sidecar-in-job", &["legacy-sidecar-blocks-job"]),
    ("sidecar-missing-startup-probe", &["sidecar-start-race"]),
    (
        "init-container-never-exits",
        &["sidecar-run-as-init", "sidecar-stripped"],
    ),
    ("probe-on-classic-init", &["sidecar-stripped"]),
];

const TEMPLATE_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "PodTemplate",
];

fn static_ids() -> BTreeSet<&'static str> {
    catalog::all()
        .filter(|c| c.is_static)
        .map(|c| c.id)
        .collect()
}

fn keys(report: &Value) -> BTreeSet<Key> {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let o = &f["object"];
            (
                s(&f["id"]),
                s(&o["kind"]),
                s(&o["namespace"]),
                s(&o["name"]),
                s(&o["container"]),
            )
        })
        .collect()
}

fn json(what: &str, (status, stdout, stderr): (std::process::ExitStatus, String, String)) -> Value {
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "{what}: exit {status}: {stderr}"
    );
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {stdout}\nstderr: {stderr}"));
    common::assert_schema("DoctorReport", &report);
    report
}

/// One scenario at a time: a private cluster's directory is named by scenario and process, so
/// two tests of one scenario at once would collide (and the machine is small).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The scenario's cluster, torn down when the run ends (passing or not).
struct Up(TestCluster);

impl Drop for Up {
    fn drop(&mut self) {
        let _ = self.0.close_stdin_and_wait();
    }
}

struct Scenario {
    /// `1.NN` of the scenario's apiserver.
    minor: String,
    /// What a person applies (see the module comment).
    manifests: Vec<Value>,
    /// Namespaces a `strip-restartpolicy` webhook selects.
    stripped_namespaces: BTreeSet<String>,
}

fn read_scenario(path: &str) -> Scenario {
    let text = std::fs::read_to_string(common::crate_root().join(path)).expect(path);
    let doc: Value = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let version = doc["apiserver"]["version"]
        .as_str()
        .expect("apiserver.version");
    let minor = version
        .trim_start_matches('v')
        .split('.')
        .take(2)
        .collect::<Vec<_>>()
        .join(".");
    let list = |key: &str| doc[key].as_array().cloned().unwrap_or_default();
    let manifests = list("objects")
        .into_iter()
        .filter(|o| TEMPLATE_KINDS.contains(&o["kind"].as_str().unwrap_or("")))
        .filter(|o| o["metadata"].get("ownerReferences").is_none())
        .map(|mut o| {
            o.as_object_mut().unwrap().remove("status");
            o
        })
        .collect();
    let mut stripped_namespaces = BTreeSet::new();
    for hook in list("webhooks") {
        if hook["behaviour"] != "strip-restartpolicy" {
            continue;
        }
        let wanted = hook["namespaceSelector"]["matchLabels"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for ns in list("namespaces") {
            if wanted.iter().all(|(k, v)| &ns["labels"][k] == v) {
                stripped_namespaces.insert(ns["name"].as_str().unwrap().to_string());
            }
        }
    }
    Scenario {
        minor,
        manifests,
        stripped_namespaces,
    }
}

/// Writes the manifests as one multi-document YAML file, as `helm template` prints them.
fn write_manifests(dir: &Path, manifests: &[Value]) -> std::path::PathBuf {
    let file = dir.join("manifests.yaml");
    let text: Vec<String> = manifests
        .iter()
        .map(|m| serde_saphyr::to_string(m).unwrap())
        .collect();
    std::fs::write(&file, text.join("\n---\n")).unwrap();
    file
}

/// The differences an exception allowed, so that each test can say exactly which it expects.
#[derive(Debug, Default, PartialEq)]
struct Excused {
    superseded: Vec<Key>,
    stripped_offline_only: Vec<Key>,
    stripped_live_only: Vec<Key>,
}

struct Agreement {
    live: BTreeSet<Key>,
    offline: BTreeSet<Key>,
    excused: Excused,
}

/// Brings the scenario up, runs both, and asserts that they agree on static ids but for the
/// stated exceptions, which it returns.
fn agree(path: &str, drop_object: Option<&str>) -> Agreement {
    let scenario = read_scenario(path);
    let mut manifests = scenario.manifests.clone();
    assert!(!manifests.is_empty(), "{path}: no workloads to compare");
    if let Some(name) = drop_object {
        manifests.retain(|m| m["metadata"]["name"] != name);
    }
    let dir = tempfile::tempdir().unwrap();
    let file = write_manifests(dir.path(), &manifests);

    let offline = json(
        "offline",
        run_product(
            &dir.path().join("no-kubeconfig"),
            &[
                "doctor",
                "--offline",
                "-f",
                file.to_str().unwrap(),
                "--target-version",
                &scenario.minor,
                "-o",
                "json",
            ],
        ),
    );
    let live = {
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        let up = Up(TestCluster::start_private(path, "offline"));
        json(
            "live",
            run_product(up.0.admin_kubeconfig(), &["doctor", "-A", "-o", "json"]),
        )
    };

    let statics = static_ids();
    let all_live = keys(&live);
    let only_static = |s: &BTreeSet<Key>| -> BTreeSet<Key> {
        s.iter()
            .filter(|k| statics.contains(k.0.as_str()))
            .cloned()
            .collect()
    };
    let live_static = only_static(&all_live);
    let offline_static = only_static(&keys(&offline));
    assert_eq!(
        keys(&offline),
        offline_static,
        "offline reports only static ids"
    );

    let explained_by_live = |k: &Key, by: &str| {
        all_live.contains(&(
            by.to_string(),
            k.1.clone(),
            k.2.clone(),
            k.3.clone(),
            k.4.clone(),
        ))
    };
    let superseded = |k: &Key| {
        SUPERSEDED
            .iter()
            .any(|(id, by)| *id == k.0 && by.iter().any(|b| explained_by_live(k, b)))
    };
    let stripped = |k: &Key| {
        scenario.stripped_namespaces.contains(&k.2) && explained_by_live(k, "sidecar-stripped")
    };
    let mut unexplained = Vec::new();
    let mut excused = Excused::default();
    for k in offline_static.difference(&live_static) {
        if superseded(k) {
            excused.superseded.push(k.clone());
        } else if stripped(k) {
            excused.stripped_offline_only.push(k.clone());
        } else {
            unexplained.push(format!("offline only: {k:?}"));
        }
    }
    for k in live_static.difference(&offline_static) {
        if stripped(k) {
            excused.stripped_live_only.push(k.clone());
        } else {
            unexplained.push(format!("live only: {k:?}"));
        }
    }
    assert!(
        unexplained.is_empty(),
        "{path}: live and offline disagree on static ids:\n{}\nlive: {live_static:#?}\noffline: {offline_static:#?}",
        unexplained.join("\n")
    );
    println!("{path}:\nlive: {live_static:#?}\noffline: {offline_static:#?}\n{excused:#?}");
    Agreement {
        live: live_static,
        offline: offline_static,
        excused,
    }
}

#[test]
fn legacy_proxy_in_a_cronjob_template() {
    let Agreement { live, offline, .. } = agree("tests/scenarios/doctor-legacy-in-job.yaml", None);
    assert!(!live.is_empty(), "the comparison has something to compare");
    assert_eq!(live, offline);
}

/// A live symptom supersedes its static cause: the proxy is injected into the Job's pod, so the
/// manifest holds no proxy at all and both sides have nothing static to say; live says the Job
/// is blocked (not static).
#[test]
fn legacy_proxy_that_blocks_a_job() {
    agree("tests/scenarios/doctor-blocks-job.yaml", None);
}

#[test]
fn sidecar_start_race_and_its_missing_probe() {
    let Agreement { live, offline, .. } = agree("tests/scenarios/doctor-start-race.yaml", None);
    assert!(
        !offline.is_empty(),
        "the comparison has something to compare"
    );
    assert_eq!(live, offline);
}

/// The mixed cluster: a stripping webhook in namespace shop, injected proxies, several owners.
#[test]
fn mixed_cluster_with_a_stripping_webhook() {
    let Agreement {
        live,
        offline,
        excused,
    } = agree("tests/scenarios/doctor-mixed.yaml", None);
    assert!(!live.is_empty(), "the comparison has something to compare");
    assert_eq!(live, offline);
    assert_eq!(excused, Excused::default());
}

/// Both exceptions, each exactly: offline's legacy-sidecar-in-job on the Job is superseded live
/// by legacy-sidecar-blocks-job; offline's sidecar-missing-startup-probe on the stripped pod is
/// what the manifest says, the stored pod (proved stripped live) has lost the field.
#[test]
fn superseded_and_stripped_differ_exactly_by_their_findings() {
    let key = |id: &str, kind: &str, ns: &str, name: &str, c: &str| -> Key {
        (id.into(), kind.into(), ns.into(), name.into(), c.into())
    };
    let Agreement { live, excused, .. } = agree("tests/scenarios/offline-agreement.yaml", None);
    assert_eq!(
        excused,
        Excused {
            superseded: vec![key(
                "legacy-sidecar-in-job",
                "Job",
                "batch",
                "export",
                "cloud-sql-proxy"
            )],
            stripped_offline_only: vec![key(
                "sidecar-missing-startup-probe",
                "Pod",
                "shop",
                "cart",
                "log-shipper"
            )],
            stripped_live_only: vec![],
        }
    );
    assert_eq!(live, BTreeSet::new(), "nothing static is left live");
}

/// The comparison can fail: without the Deployment catalog in the manifests, live's
/// `linkerd-annotation-typo` on it has no offline counterpart and no exception covers it.
#[test]
#[should_panic(expected = "live only")]
fn a_missing_manifest_is_a_disagreement() {
    agree("tests/scenarios/doctor-mixed.yaml", Some("catalog"));
}
