#![cfg(feature = "e2e")]
//! ContainerRestartRules (KEP-5307) on real components: a v1.37.2 apiserver, a real v1.37.2
//! kubelet on containerd, a real kube-controller-manager, and a webhook built on k8s.io/api v0.32
//! (tests/scenarios/real-restart-rules.yaml). Each case lives in its own namespace; the tests
//! only read. A binary of its own so that its real node never runs beside e2e_real's.

mod common;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{TestCluster, kubectl_json, run_product, wait_pod};
use serde_json::Value;

const SCENARIO: &str = "tests/scenarios/real-restart-rules.yaml";
const WEBHOOK: &str = "retry-injector.v032.example.com";

fn cluster() -> &'static TestCluster {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    if let Err(e) = BUILT.get_or_init(|| {
        common::prebuild("v1.37.2", &["kubelet", "kube-controller-manager"]).map(|_| ())
    }) {
        panic!("{e}");
    }
    TestCluster::start(SCENARIO)
}

fn container<'a>(pod: &'a Value, name: &str) -> &'a Value {
    pod["status"]["containerStatuses"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == name))
        .unwrap_or(&Value::Null)
}

fn restarts(pod: &Value, name: &str) -> u64 {
    container(pod, name)["restartCount"].as_u64().unwrap_or(0)
}

fn job_condition(c: &TestCluster, ns: &str, name: &str, kind: &str) -> bool {
    let job = kubectl_json(c, &["get", "job", "-n", ns, name]);
    job["status"]["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == kind && c["status"] == "True")
    })
}

/// doctor -n NS -o json: the report and its findings as (id, object name, container).
fn doctor(c: &TestCluster, ns: &str) -> (Value, Vec<(String, String)>) {
    let (code, stdout, stderr) =
        run_product(c.admin_kubeconfig(), &["doctor", "-n", ns, "-o", "json"]);
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("doctor -n {ns}: not JSON ({e}): {stdout}\n{stderr}"));
    assert!(
        matches!(code.code(), Some(0 | 1 | 4)),
        "doctor -n {ns}: {code:?}\n{stderr}"
    );
    let found = common::finding_places(&report);
    (report, found)
}

fn finding<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["id"] == id))
        .unwrap_or(&Value::Null)
}

#[test]
fn regular_container_with_restart_policy_always_keeps_a_real_job_running() {
    let c = cluster();
    // `job 2` exits 0 after 2 s; with restartPolicy: Always on the container the real kubelet
    // starts it again every time, so the pod stays Running and the Job never completes.
    let pod = wait_pod(c, "restarts-forever", Duration::from_secs(120), |p| {
        restarts(p, "report") >= 2
    });
    assert_eq!(
        pod["spec"]["containers"][0]["restartPolicy"], "Always",
        "the 1.37 apiserver keeps it: {:#}",
        pod["spec"]["containers"][0]
    );
    assert_eq!(pod["status"]["phase"], "Running", "{:#}", pod["status"]);
    let last = &container(&pod, "report")["lastState"]["terminated"];
    assert_eq!(last["exitCode"], 0, "{last:#}");
    assert_eq!(last["reason"], "Completed", "{last:#}");
    assert!(!job_condition(c, "restarts-forever", "report", "Complete"));
    let job = kubectl_json(c, &["get", "job", "-n", "restarts-forever", "report"]);
    assert_eq!(job["status"]["active"], 1, "{:#}", job["status"]);

    let (report, found) = doctor(c, "restarts-forever");
    assert!(
        found
            .iter()
            .any(|(id, at)| id == "app-container-restarts-forever" && at == "job/report [report]"),
        "{found:?}"
    );
    assert_eq!(
        finding(&report, "app-container-restarts-forever")["severity"],
        "error"
    );

    // The same Job without the field completes, and doctor says nothing of the kind.
    let start = Instant::now();
    while !job_condition(c, "job-done", "report", "Complete") {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "job-done did not complete"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    eprintln!(
        "job-done: Complete after {:.1}s more",
        start.elapsed().as_secs_f64()
    );
    let (_, found) = doctor(c, "job-done");
    assert!(
        !found.iter().any(|(id, _)| id.contains("restart")),
        "{found:?}"
    );
}

#[test]
fn webhook_on_old_api_types_drops_restart_rules_on_a_real_pod() {
    let c = cluster();
    // Without the webhook the kubelet applies the rule: exit 42 restarts the container.
    let kept = wait_pod(c, "rules-kept", Duration::from_secs(120), |p| {
        restarts(p, "work") >= 1
    });
    assert!(
        kept["spec"]["containers"][0]["restartPolicyRules"].is_array(),
        "{:#}",
        kept["spec"]["containers"][0]
    );
    assert_eq!(
        container(&kept, "work")["lastState"]["terminated"]["exitCode"],
        42
    );

    // Behind the v0.32 webhook the stored pod has restartPolicy but no rules: exit 42 ends it.
    let dropped = wait_pod(c, "rules-dropped", Duration::from_secs(120), |p| {
        p["status"]["phase"] == "Failed"
    });
    let work = &dropped["spec"]["containers"][0];
    assert_eq!(work["restartPolicy"], "Never", "{work:#}");
    assert!(
        work["restartPolicyRules"].is_null(),
        "the webhook's v0.32 types drop the rules: {work:#}"
    );
    assert_eq!(
        container(&dropped, "work")["state"]["terminated"]["exitCode"],
        42
    );
    assert_eq!(restarts(&dropped, "work"), 0);

    let (report, found) = doctor(c, "rules-dropped");
    assert!(
        found
            .iter()
            .any(|(id, at)| id == "webhook-drops-restart-rules" && at == "namespace/rules-dropped"),
        "{found:?}"
    );
    let f = finding(&report, "webhook-drops-restart-rules");
    assert!(f["evidence"].to_string().contains(WEBHOOK), "{f:#}");
    let (_, found) = doctor(c, "rules-kept");
    assert!(
        !found
            .iter()
            .any(|(id, _)| id == "webhook-drops-restart-rules"),
        "{found:?}"
    );

    // diff-pod on the live pod against its Job's template names the webhook.
    let name = dropped["metadata"]["name"].as_str().expect("pod name");
    let (code, stdout, stderr) = run_product(
        c.admin_kubeconfig(),
        &["diff-pod", "-n", "rules-dropped", name, "-o", "json"],
    );
    let out: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("diff-pod: not JSON ({e}): {stdout}\n{stderr}"));
    let f = out["findings"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["id"] == "webhook-drops-restart-rules"))
        .unwrap_or_else(|| {
            panic!("diff-pod ({code:?}): no webhook-drops-restart-rules:\n{stdout}")
        });
    assert!(
        f["message"].as_str().unwrap_or("").contains(WEBHOOK),
        "{f:#}"
    );
    assert_eq!(code.code(), Some(1), "{stdout}\n{stderr}");
}
