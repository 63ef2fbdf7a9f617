#![cfg(feature = "e2e")]
//! The seeds' failures produced by real components (issue 13): real kubelets (1.34, and 1.32
//! with the SidecarContainers gate off) on containerd, a real kube-controller-manager, and the
//! stripping webhook in front of them, all in one scenario (tests/scenarios/real-nodes.yaml)
//! that every test here shares: each case lives in its own namespace, and the tests only read.
//! Each test waits for the state the real components reach, then asserts doctor's finding id
//! on it, and that the fixed variant gives none.

mod common;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{TestCluster, kubectl_json, run_product, wait_pod};
use serde_json::Value;

const SCENARIO: &str = "tests/scenarios/real-nodes.yaml";
const SCHEDULER: &str = "tests/scenarios/real-scheduler-gate-off.yaml";

/// The kubelets and controllers the scenarios run, built (or found cached) before `up`.
fn prebuilt() {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        common::prebuild("v1.34.4", &["kubelet", "kube-controller-manager"])?;
        common::prebuild("v1.32.13", &["kubelet", "kube-scheduler"])?;
        Ok(())
    });
    if let Err(e) = built {
        panic!("{e}");
    }
}

fn cluster() -> &'static TestCluster {
    prebuilt();
    TestCluster::start(SCENARIO)
}

fn status<'a>(pod: &'a Value, field: &str, name: &str) -> &'a Value {
    pod["status"][field]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == name))
        .unwrap_or(&Value::Null)
}

/// doctor -n NS -o json, as (id, "kind/name [container]") pairs.
fn doctor(c: &TestCluster, ns: &str) -> (Value, Vec<(String, String)>) {
    let (code, stdout, stderr) =
        run_product(c.admin_kubeconfig(), &["doctor", "-n", ns, "-o", "json"]);
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("doctor -n {ns}: not JSON ({e}): {stdout}\n{stderr}"));
    // A finding's absence means something only if the workloads were all examined. (Exit 4
    // can come from elsewhere: a real kubelet busy starting pods on a loaded machine may not
    // answer doctor's metrics read within its 5 s.)
    assert!(
        matches!(code.code(), Some(0 | 1 | 4)),
        "doctor -n {ns}: {code:?}\n{stderr}"
    );
    let workloads = report["coverage"]["sections"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["section"] == "workloads"))
        .unwrap_or_else(|| panic!("doctor -n {ns}: no workloads coverage: {stdout}"));
    assert!(
        workloads["gaps"].as_array().is_some_and(|g| g.is_empty())
            && workloads["examined"] == workloads["total"],
        "doctor -n {ns}: workloads not fully examined: {workloads}"
    );
    let found = common::finding_places(&report);
    (report, found)
}

fn has(found: &[(String, String)], id: &str, at: &str) -> bool {
    found.iter().any(|(i, a)| i == id && a == at)
}

fn ids(found: &[(String, String)]) -> Vec<&str> {
    found.iter().map(|(i, _)| i.as_str()).collect()
}

fn evidence(report: &Value, id: &str) -> String {
    report["findings"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["id"] == id))
        .map(|f| f["evidence"].to_string())
        .unwrap_or_default()
}

#[test]
fn legacy_sidecar_blocks_a_real_job_and_a_native_one_completes() {
    let c = cluster();
    // The report exits 0 after 2 s; the regular-container proxy keeps the pod Running.
    let pod = wait_pod(c, "job-legacy", Duration::from_secs(90), |p| {
        status(p, "containerStatuses", "report")["state"]["terminated"]["exitCode"] == 0
            && status(p, "containerStatuses", "proxy")["state"]["running"].is_object()
    });
    assert_eq!(pod["status"]["phase"], "Running", "{pod:#}");
    let job = kubectl_json(c, &["get", "job", "-n", "job-legacy", "report"]);
    assert_eq!(job["status"]["active"], 1, "{:#}", job["status"]);
    assert!(
        job["status"]["conditions"]
            .as_array()
            .is_none_or(|c| c.is_empty()),
        "the real Job controller sets no condition while the pod runs: {:#}",
        job["status"]
    );
    let (report, found) = doctor(c, "job-legacy");
    assert!(
        has(&found, "legacy-sidecar-blocks-job", "job/report [proxy]"),
        "{found:?}"
    );
    assert!(
        evidence(&report, "legacy-sidecar-blocks-job").contains("report (exit 0, Completed)"),
        "{}",
        evidence(&report, "legacy-sidecar-blocks-job")
    );

    // The same Job with the proxy as a native sidecar: the real Job controller completes it.
    let start = Instant::now();
    loop {
        let job = kubectl_json(c, &["get", "job", "-n", "job-native", "report"]);
        let complete = job["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Complete" && c["status"] == "True")
        });
        if complete {
            eprintln!(
                "job-native: Complete after {:.1}s",
                start.elapsed().as_secs_f64()
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "the native Job did not complete: {:#}",
            job["status"]
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let (_, found) = doctor(c, "job-native");
    assert!(
        !ids(&found).contains(&"legacy-sidecar-blocks-job"),
        "{found:?}"
    );
}

#[test]
fn start_race_with_a_real_slow_proxy() {
    let c = cluster();
    // The proxy listens 6 s after start; the app needs it at once, exits 1 and is restarted.
    for ns in ["race-regular", "race-native"] {
        let pod = wait_pod(c, ns, Duration::from_secs(90), |p| {
            status(p, "containerStatuses", "app")["restartCount"]
                .as_u64()
                .is_some_and(|n| n >= 1)
        });
        let app = status(&pod, "containerStatuses", "app");
        assert_eq!(app["lastState"]["terminated"]["exitCode"], 1, "{app:#}");
        let (_, found) = doctor(c, ns);
        assert!(
            has(&found, "sidecar-start-race", "deployment/shop [proxy]"),
            "{ns}: {found:?}"
        );
    }
    // With a startupProbe the kubelet starts the app only once the proxy answers.
    let pod = wait_pod(c, "race-probe", Duration::from_secs(90), |p| {
        status(p, "containerStatuses", "app")["state"]["running"].is_object()
    });
    assert_eq!(
        status(&pod, "containerStatuses", "app")["restartCount"],
        0,
        "{pod:#}"
    );
    let (_, found) = doctor(c, "race-probe");
    for id in ["sidecar-start-race", "sidecar-missing-startup-probe"] {
        assert!(!ids(&found).contains(&id), "{found:?}");
    }
}

#[test]
fn classic_init_proxy_keeps_a_real_pod_in_init() {
    let c = cluster();
    let pod = wait_pod(c, "init-classic", Duration::from_secs(90), |p| {
        status(p, "initContainerStatuses", "proxy")["state"]["running"].is_object()
            && status(p, "containerStatuses", "app")["state"]["waiting"]["reason"]
                == "PodInitializing"
    });
    assert_eq!(pod["status"]["phase"], "Pending", "{pod:#}");
    let (report, found) = doctor(c, "init-classic");
    // Nothing declares the proxy with restartPolicy: Always, so it is the author's classic init
    // container that never exits, not a sidecar whose restartPolicy was lost.
    assert!(
        has(&found, "init-container-never-exits", "pod/shop [proxy]"),
        "{found:?}"
    );
    assert!(!ids(&found).contains(&"sidecar-run-as-init"), "{found:?}");
    assert!(
        evidence(&report, "init-container-never-exits")
            .contains("init container proxy is running, not ready"),
        "{}",
        evidence(&report, "init-container-never-exits")
    );
}

#[test]
fn kubelet_with_the_gate_off_rejects_a_real_pod() {
    let c = cluster();
    let pod = wait_pod(c, "gate-off", Duration::from_secs(60), |p| {
        p["status"]["phase"] == "Failed"
    });
    assert_eq!(
        pod["status"]["reason"], "InitContainerRestartPolicyForbidden",
        "{pod:#}"
    );
    let (report, found) = doctor(c, "gate-off");
    assert!(
        has(&found, "sidecar-rejected-by-kubelet", "pod/shop [proxy]"),
        "{found:?}"
    );
    let ev = evidence(&report, "sidecar-rejected-by-kubelet");
    assert!(ev.contains("Pod was rejected"), "{ev}");

    // The same pod on the 1.34 kubelet runs its sidecar.
    wait_pod(c, "gate-on", Duration::from_secs(60), |p| {
        status(p, "initContainerStatuses", "proxy")["started"] == true
    });
    let (_, found) = doctor(c, "gate-on");
    assert!(
        !ids(&found).contains(&"sidecar-rejected-by-kubelet"),
        "{found:?}"
    );

    // check-nodes reads the gate from each real kubelet's own /metrics; a kubelet busy on a
    // loaded machine may miss the read's deadline once, so up to three tries.
    let mut nodes = Value::Null;
    for attempt in 1..=3 {
        let (_, stdout, stderr) = run_product(c.admin_kubeconfig(), &["check-nodes", "-o", "json"]);
        nodes = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
        let all_read = nodes["nodes"].as_array().is_some_and(|ns| {
            ns.iter()
                .filter(|n| n["name"].as_str().is_some_and(|n| n.starts_with("real-")))
                .all(|n| n["gate"]["source"] == "metrics")
        });
        if all_read {
            break;
        }
        eprintln!("check-nodes attempt {attempt}: not every real kubelet's metrics read: {stdout}");
    }
    let node = |name: &str| {
        nodes["nodes"]
            .as_array()
            .and_then(|ns| ns.iter().find(|n| n["name"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no node {name}: {nodes:#}"))
    };
    let old = node("real-old");
    assert_eq!(old["gate"]["enabled"], false, "{old:#}");
    assert_eq!(old["gate"]["stage"], "BETA", "{old:#}");
    assert_eq!(old["gate"]["source"], "metrics", "{old:#}");
    assert_eq!(old["verdict"], "unsupported", "{old:#}");
    let new = node("real-a");
    assert_eq!(new["gate"]["enabled"], true, "{new:#}");
    assert_eq!(new["gate"]["source"], "metrics", "{new:#}");
    assert_eq!(new["verdict"], "supported", "{new:#}");
}

#[test]
fn stripping_webhook_in_front_of_a_real_kubelet() {
    let c = cluster();
    let pod = wait_pod(c, "legacy-inject", Duration::from_secs(90), |p| {
        status(p, "initContainerStatuses", "proxy")["state"]["running"].is_object()
    });
    assert!(
        pod["spec"]["initContainers"][0]["restartPolicy"].is_null(),
        "stored stripped: {:#}",
        pod["spec"]["initContainers"]
    );
    assert_eq!(pod["status"]["phase"], "Pending", "{pod:#}");
    let (report, found) = doctor(c, "legacy-inject");
    for id in ["sidecar-stripped", "sidecar-run-as-init"] {
        assert!(
            has(&found, id, "deployment/shop [proxy]"),
            "{id}: {found:?}"
        );
    }
    assert!(
        evidence(&report, "admission-strips-restartpolicy")
            .contains("sidecar-injector.legacy.example.com"),
        "{found:?}"
    );
    let name = pod["metadata"]["name"].as_str().expect("pod name");
    let (code, stdout, stderr) = run_product(
        c.admin_kubeconfig(),
        &["diff-pod", "-n", "legacy-inject", name],
    );
    assert!(
        stdout.contains("sidecar-injector.legacy.example.com"),
        "diff-pod names the webhook ({code:?}):\n{stdout}\n{stderr}"
    );
}

#[test]
fn scheduler_with_the_gate_off_refuses_a_real_pod() {
    prebuilt();
    let c = TestCluster::start(SCHEDULER);
    let pod = wait_pod(c, "analytics", Duration::from_secs(60), |p| {
        p["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "PodScheduled" && c["reason"] == "Unschedulable")
        })
    });
    assert_eq!(pod["status"]["phase"], "Pending", "{pod:#}");
    let (report, found) = doctor(c, "analytics");
    assert!(
        has(
            &found,
            "sidecar-unschedulable-gate-off",
            "pod/report-gen [cloud-sql-proxy]"
        ),
        "{found:?}"
    );
    assert!(
        evidence(&report, "sidecar-unschedulable-gate-off")
            .contains("SidecarContainers feature is disabled"),
        "{}",
        evidence(&report, "sidecar-unschedulable-gate-off")
    );
    // Without the native sidecar the same scheduler binds the pod.
    wait_pod(c, "analytics-plain", Duration::from_secs(60), |p| {
        p["spec"]["nodeName"] == "node-a"
    });
    let (_, found) = doctor(c, "analytics-plain");
    assert!(
        !ids(&found).contains(&"sidecar-unschedulable-gate-off"),
        "{found:?}"
    );
}
