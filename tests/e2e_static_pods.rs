#![cfg(feature = "e2e")]
//! check-nodes' and doctor's reading of control-plane components from kube-system pods
//! (src/kube/staticpods.rs), on real mirror pods: kube-controller-manager v1.34.4 and
//! kube-scheduler v1.32.13 (SidecarContainers=false) run as static pods on a real v1.34.4
//! kubelet, as kubeadm runs them (tests/scenarios/real-static-pods.yaml). The scheduler in its
//! pod really refuses a native sidecar; the controller manager in its pod really runs a Job.

mod common;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{TestCluster, kubectl_json, run_product};
use serde_json::Value;

const SCENARIO: &str = "tests/scenarios/real-static-pods.yaml";

fn cluster() -> &'static TestCluster {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    if let Err(e) = BUILT.get_or_init(|| {
        common::prebuild("v1.34.4", &["kubelet", "kube-controller-manager"])?;
        common::prebuild("v1.32.13", &["kube-scheduler"]).map(|_| ())
    }) {
        panic!("{e}");
    }
    TestCluster::start(SCENARIO)
}

fn json(c: &TestCluster, args: &[&str]) -> (Option<i32>, Value) {
    let (code, stdout, stderr) = run_product(c.admin_kubeconfig(), args);
    let v = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {stdout}\n{stderr}"));
    (code.code(), v)
}

#[test]
fn check_nodes_reads_the_real_mirror_pods() {
    let c = cluster();
    // The mirror pods are the kubelet's, with kubeadm's names, labels and image names.
    let pods = kubectl_json(c, &["get", "pods", "-n", "kube-system"]);
    let names: Vec<&str> = pods["items"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter_map(|p| p["metadata"]["name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    for want in ["kube-controller-manager-real-cp", "kube-scheduler-real-cp"] {
        assert!(names.contains(&want), "{names:?}");
    }
    let (code, report) = json(c, &["check-nodes", "-o", "json"]);
    let cp = &report["controlPlane"];
    let scheduler = &cp["scheduler"]["instances"][0];
    assert_eq!(cp["scheduler"]["visible"], true, "{cp:#}");
    assert_eq!(scheduler["pod"], "kube-scheduler-real-cp", "{scheduler:#}");
    assert_eq!(scheduler["version"], "v1.32.13", "{scheduler:#}");
    assert_eq!(scheduler["gate"]["enabled"], false, "{scheduler:#}");
    assert_eq!(scheduler["gate"]["source"], "flag", "{scheduler:#}");
    assert_eq!(
        scheduler["gate"]["reason"], "--feature-gates=SidecarContainers=false",
        "{scheduler:#}"
    );
    assert_eq!(scheduler["verdict"], "unsupported", "{scheduler:#}");
    let kcm = &cp["controllerManager"]["instances"][0];
    assert_eq!(kcm["pod"], "kube-controller-manager-real-cp", "{kcm:#}");
    assert_eq!(kcm["version"], "v1.34.4", "{kcm:#}");
    assert_eq!(kcm["gate"]["enabled"], true, "{kcm:#}");
    assert_eq!(kcm["verdict"], "supported", "{kcm:#}");
    assert_eq!(
        code,
        Some(1),
        "a gate-off scheduler makes the cluster unsupported"
    );
}

#[test]
fn doctor_reads_the_real_scheduler_and_its_refusal() {
    let c = cluster();
    // The controller manager in its static pod runs the Job.
    let start = Instant::now();
    loop {
        let job = kubectl_json(c, &["get", "job", "-n", "batch", "report"]);
        let done = job["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Complete" && c["status"] == "True")
        });
        if done {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "the Job did not complete: {:#}",
            job["status"]
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    // The scheduler in its static pod refuses the native sidecar: a real FailedScheduling.
    let start = Instant::now();
    loop {
        let events = kubectl_json(c, &["get", "events", "-n", "unschedulable"]);
        let refused = events["items"].as_array().is_some_and(|es| {
            es.iter().any(|e| {
                e["reason"] == "FailedScheduling"
                    && e["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("SidecarContainers feature is disabled"))
            })
        });
        if refused {
            eprintln!(
                "FailedScheduling after {:.1}s",
                start.elapsed().as_secs_f64()
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no FailedScheduling: {events:#}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let (_, report) = json(c, &["doctor", "-n", "unschedulable", "-o", "json"]);
    let found: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| {
                    (
                        f["id"].as_str().unwrap_or("?"),
                        f["object"]["name"].as_str().unwrap_or("?"),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    for want in [
        ("control-plane-gate-off", "kube-scheduler"),
        ("sidecar-unschedulable-gate-off", "shop"),
    ] {
        assert!(found.contains(&want), "{want:?} in {found:?}");
    }
}
