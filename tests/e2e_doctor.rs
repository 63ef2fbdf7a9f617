#![cfg(feature = "e2e")]
//! doctor against a real kube-apiserver (tests/scenarios/doctor-*.yaml): one scenario per
//! workload signature, with pod statuses and events written through the API as a kubelet,
//! scheduler or controller writes them, each finding asserted by id and object from `-o json`;
//! a clean cluster is "ready" and exits 0, and "incomplete" (exit 4) for a user who may not
//! dry-run its canary; the mixed cluster lists its findings in the order a person should act on
//! them, and the same run as the restricted user stays "not ready" with every gap named in its
//! coverage, with the permission that would close it.
//!
//! Each scenario gets its own control plane, one at a time (they start in seconds; running them
//! all at once would only load a shared two-core machine).

mod common;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use common::{TestCluster, run_product};
use serde_json::Value;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A scenario's cluster for one test, torn down when the test ends (passing or not).
struct Up {
    cluster: TestCluster,
    _turn: MutexGuard<'static, ()>,
}

impl Drop for Up {
    fn drop(&mut self) {
        let _ = self.cluster.close_stdin_and_wait();
    }
}

fn up(scenario: &str) -> Up {
    let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    Up {
        cluster: TestCluster::start_private(scenario, "doctor"),
        _turn: turn,
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The report, which must validate against the published schema.
    fn json(&self) -> Value {
        let report = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr));
        common::assert_schema("DoctorReport", &report);
        report
    }
}

fn doctor_as(kubeconfig: &Path, args: &[&str]) -> Run {
    let mut all = vec!["doctor"];
    all.extend_from_slice(args);
    let (status, stdout, stderr) = run_product(kubeconfig, &all);
    Run {
        code: status.code(),
        stdout,
        stderr,
    }
}

impl Up {
    fn doctor(&self, args: &[&str]) -> Run {
        doctor_as(self.cluster.admin_kubeconfig(), args)
    }

    fn restricted(&self, args: &[&str]) -> Run {
        doctor_as(self.cluster.restricted_kubeconfig(), args)
    }
}

/// `kind/namespace/name [container]`, as the table prints objects.
fn object(f: &Value) -> String {
    let o = &f["object"];
    let mut out = format!("{}/", o["kind"].as_str().unwrap_or("?").to_lowercase());
    if let Some(ns) = o["namespace"].as_str() {
        out.push_str(ns);
        out.push('/');
    }
    out.push_str(o["name"].as_str().unwrap_or("?"));
    if let Some(c) = o["container"].as_str() {
        out.push_str(&format!(" [{c}]"));
    }
    out
}

fn listed(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| (f["id"].as_str().unwrap_or("?").to_string(), object(f)))
                .collect()
        })
        .unwrap_or_default()
}

fn find<'a>(report: &'a Value, id: &str, on: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["id"] == id && object(f) == on))
        .unwrap_or_else(|| panic!("no {id} on {on}; found {:#?}", listed(report)))
}

/// The contract every finding keeps, whatever its check.
fn assert_shape(report: &Value) {
    for key in [
        "verdict",
        "summary",
        "nextSteps",
        "findings",
        "controlPlane",
        "nodes",
        "admission",
        "injectors",
        "workloads",
        "coverage",
    ] {
        assert!(report.get(key).is_some(), "no top-level {key}");
    }
    let sections: Vec<&str> = report["coverage"]["sections"]
        .as_array()
        .expect("coverage.sections")
        .iter()
        .filter_map(|s| s["section"].as_str())
        .collect();
    assert_eq!(
        sections,
        [
            "controlPlane",
            "nodes",
            "admission",
            "injectors",
            "workloads",
            "events"
        ]
    );
    for key in ["error", "warning", "info"] {
        assert!(report["summary"][key].is_u64(), "summary.{key}");
    }
    for f in report["findings"].as_array().expect("findings is a list") {
        for key in ["id", "severity", "message", "evidence", "fix", "reference"] {
            assert!(f.get(key).is_some(), "finding without {key}: {f}");
        }
        for key in ["kind", "namespace", "name", "container"] {
            assert!(f["object"].get(key).is_some(), "object without {key}: {f}");
        }
        assert!(
            f["reference"]
                .as_str()
                .is_some_and(|r| r.starts_with("https://")),
            "{f}"
        );
    }
}

/// The gaps of every deciding section, as `section: gap`, for messages.
fn gaps(report: &Value) -> Vec<String> {
    report["coverage"]["sections"]
        .as_array()
        .map(|ss| {
            ss.iter()
                .filter(|s| s["decisive"] == true)
                .flat_map(|s| {
                    s["gaps"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .map(move |g| format!("{}: {}", s["section"], g))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Runs `doctor -A -o json` on a signature's scenario and returns the report, after checking
/// the exit code for the worst severity found and that the admin saw everything.
fn signature(scenario: &str, id: &str, on: &str) -> Value {
    let up = up(scenario);
    let run = up.doctor(&["-A", "-o", "json"]);
    let report = run.json();
    assert_shape(&report);
    let f = find(&report, id, on);
    let failing = report["summary"]["error"].as_u64().unwrap_or(0) > 0;
    assert_eq!(
        gaps(&report),
        Vec::<String>::new(),
        "the admin sees everything"
    );
    assert_eq!(
        run.code,
        Some(if failing { 1 } else { 0 }),
        "stderr: {}",
        run.stderr
    );
    if f["severity"] == "warning" {
        let strict = up.doctor(&["-A", "-o", "json", "--fail-on", "warning"]);
        assert_eq!(strict.code, Some(1), "--fail-on warning: {}", strict.stderr);
    }
    report
}

#[test]
fn clean_cluster_is_ready_and_exits_0() {
    let up = up("tests/scenarios/doctor-clean.yaml");
    let run = up.doctor(&["-A", "-o", "json", "--fail-on", "info"]);
    let report = run.json();
    assert_shape(&report);
    assert_eq!(run.code, Some(0), "{:#?}\n{}", listed(&report), run.stderr);
    assert_eq!(report["verdict"], "ready");
    assert_eq!(listed(&report), Vec::<(String, String)>::new());
    assert_eq!(report["nodes"]["supported"], 2);
    let canaries = report["admission"]["canaries"]
        .as_array()
        .expect("canaries");
    assert_eq!(canaries.len(), 1, "one canary, in shop");
    assert_eq!(canaries[0]["outcome"], "kept");
    let table = up.doctor(&["-A"]);
    assert_eq!(table.code, Some(0));
    for section in [
        "CONTROL PLANE",
        "NODES AND POOLS",
        "ADMISSION",
        "INJECTORS",
        "WORKLOADS",
        "VERDICT",
    ] {
        assert!(
            table.stdout.contains(section),
            "{section} missing:\n{}",
            table.stdout
        );
    }
    assert!(
        table.stdout.contains("ready: 0 error(s)"),
        "{}",
        table.stdout
    );
    assert!(
        !table.stdout.contains('\u{1b}'),
        "no color when not a terminal"
    );
    assert!(
        table
            .stdout
            .contains("  admission: 1 of 1 canary namespaces examined, complete\n"),
        "{}",
        table.stdout
    );

    // The restricted user may not create pods, so the canary cannot run: nothing found, but
    // admission was not examined. Not "ready": incomplete, exit 4, and the permission named.
    // (Its kubelets and apiserver are 1.34: their versions decide, unread gates are no gap.)
    let restricted = up.restricted(&["-A", "-o", "json"]);
    let report = restricted.json();
    assert_shape(&report);
    assert_eq!(restricted.code, Some(4), "{}", restricted.stderr);
    assert_eq!(report["verdict"], "incomplete");
    assert_eq!(report["reason"], "not fully examined: admission");
    let admission = &report["coverage"]["sections"][2];
    assert_eq!(admission["examined"], 0);
    assert_eq!(admission["total"], 1);
    assert_eq!(admission["gaps"][0]["cause"], "forbidden");
    assert_eq!(
        admission["gaps"][0]["permission"],
        "create pods in namespace shop"
    );
    assert_eq!(report["coverage"]["sections"][1]["examined"], 2);
    assert!(
        report["nextSteps"][0]["action"]
            .as_str()
            .is_some_and(|a| a.starts_with("Grant `create pods in namespace shop`")),
        "{}",
        report["nextSteps"]
    );
    let strict = up.restricted(&["-A", "--fail-on", "info"]);
    assert_eq!(strict.code, Some(4), "no finding at all: still incomplete");
    assert!(
        strict
            .stdout
            .contains("  incomplete: not fully examined: admission; 0 error(s)"),
        "{}",
        strict.stdout
    );
}

#[test]
fn stripped_sidecar_and_the_canary_that_proves_it() {
    let report = signature(
        "tests/scenarios/doctor-stripped.yaml",
        "sidecar-stripped",
        "deployment/shop/web [log-shipper]",
    );
    find(
        &report,
        "sidecar-run-as-init",
        "deployment/shop/web [log-shipper]",
    );
    let strip = find(&report, "admission-strips-restartpolicy", "namespace/shop");
    let evidence = strip["evidence"].to_string();
    assert!(
        evidence.contains("legacy-injector.example.com"),
        "{evidence}"
    );
    let canary = &report["admission"]["canaries"][0];
    assert_eq!(canary["namespace"], "shop");
    assert_eq!(canary["outcome"], "stripped");
    assert_eq!(
        canary["labels"]["app"], "web",
        "labelled like the namespace's workload"
    );
}

/// A bare pod created through the stripping webhook keeps no trace of the sidecar it declared
/// (no owner, no last-applied): stored as a classic init container, it holds the pod in Init.
/// Its running init container earns the namespace a canary, so doctor names the webhook beside
/// the stuck pod; billing, where nothing waits in Init, gets none.
#[test]
fn a_stripped_bare_pod_still_gets_the_webhook_named() {
    let up = up("tests/scenarios/example-split.yaml");
    let run = up.doctor(&["-A", "-o", "json", "--request-timeout", "3s"]);
    let report = run.json();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    find(
        &report,
        "init-container-never-exits",
        "pod/shop/cart-0 [proxy]",
    );
    let strip = find(&report, "admission-strips-restartpolicy", "namespace/shop");
    assert!(
        strip["evidence"]
            .to_string()
            .contains("sidecar-injector.legacy.example.com"),
        "{strip}"
    );
    let canaries = report["admission"]["canaries"].as_array().unwrap();
    assert_eq!(canaries.len(), 1, "{canaries:?}");
    assert_eq!(canaries[0]["namespace"], "shop");
    assert_eq!(canaries[0]["outcome"], "stripped");
    assert_eq!(canaries[0]["labels"]["app"], "cart");
}

#[test]
fn stripped_by_an_apiserver_with_the_gate_off() {
    let report = signature(
        "tests/scenarios/doctor-gate-off.yaml",
        "sidecar-stripped",
        "deployment/plain/web [log-shipper]",
    );
    find(&report, "apiserver-gate-off", "component/kube-apiserver");
    let canary = find(&report, "admission-strips-restartpolicy", "namespace/plain");
    assert!(
        canary["evidence"]
            .to_string()
            .contains("the apiserver itself drops the field"),
        "{canary}"
    );
}

#[test]
fn sidecar_run_as_init_on_a_kubelet_that_predates_sidecars() {
    let report = signature(
        "tests/scenarios/doctor-run-as-init.yaml",
        "sidecar-run-as-init",
        "pod/jobs/worker [log-shipper]",
    );
    find(
        &report,
        "sidecar-on-unsupported-node",
        "pod/jobs/worker [log-shipper]",
    );
    find(&report, "node-unsupported", "node/old-2");
    find(&report, "node-skew-too-old", "node/old-2");
}

#[test]
fn sidecar_on_a_node_with_the_gate_off() {
    signature(
        "tests/scenarios/doctor-on-unsupported-node.yaml",
        "sidecar-on-unsupported-node",
        "pod/payments/ledger-0 [vault-agent]",
    );
}

#[test]
fn sidecar_rejected_by_the_kubelet() {
    let report = signature(
        "tests/scenarios/doctor-rejected-by-kubelet.yaml",
        "sidecar-rejected-by-kubelet",
        "daemonset/monitoring/node-agent [config-reloader]",
    );
    let f = find(
        &report,
        "sidecar-rejected-by-kubelet",
        "daemonset/monitoring/node-agent [config-reloader]",
    );
    let evidence = f["evidence"].to_string();
    assert!(
        evidence.contains("Pod was rejected"),
        "status message quoted: {evidence}"
    );
    assert!(
        evidence.contains("event InitContainerRestartPolicyForbidden"),
        "event quoted: {evidence}"
    );
}

#[test]
fn sidecar_unschedulable_with_the_scheduler_gate_off() {
    signature(
        "tests/scenarios/doctor-unschedulable.yaml",
        "sidecar-unschedulable-gate-off",
        "pod/analytics/report-gen [cloud-sql-proxy]",
    );
}

#[test]
fn legacy_sidecar_blocks_a_job() {
    signature(
        "tests/scenarios/doctor-blocks-job.yaml",
        "legacy-sidecar-blocks-job",
        "cronjob/batch/nightly-report [istio-proxy]",
    );
}

#[test]
fn legacy_sidecar_in_a_cronjob_template() {
    signature(
        "tests/scenarios/doctor-legacy-in-job.yaml",
        "legacy-sidecar-in-job",
        "cronjob/finance/export [cloud-sql-proxy]",
    );
}

#[test]
fn start_race_with_a_regular_proxy() {
    signature(
        "tests/scenarios/doctor-start-race.yaml",
        "sidecar-start-race",
        "deployment/shop/orders [envoy]",
    );
}

#[test]
fn native_sidecar_without_startup_probe() {
    signature(
        "tests/scenarios/doctor-missing-startup-probe.yaml",
        "sidecar-missing-startup-probe",
        "deployment/payments/api [auth-proxy]",
    );
}

#[test]
fn classic_init_container_that_never_exits() {
    signature(
        "tests/scenarios/doctor-never-exits.yaml",
        "init-container-never-exits",
        "statefulset/finance/ledger [vault-agent]",
    );
}

#[test]
fn restart_policy_on_a_regular_container() {
    signature(
        "tests/scenarios/doctor-restart-policy-app.yaml",
        "restart-policy-on-app-container",
        "deployment/shop/catalog [log-shipper]",
    );
}

#[test]
fn probes_on_a_classic_init_container() {
    signature(
        "tests/scenarios/doctor-probe-on-classic-init.yaml",
        "probe-on-classic-init",
        "replicaset/data/db-migrate-6c9d8",
    );
}

#[test]
fn readiness_without_startup_probe_is_info() {
    let report = signature(
        "tests/scenarios/doctor-readiness-not-startup.yaml",
        "sidecar-readiness-not-startup",
        "deployment/shop/cart [secrets-sync]",
    );
    assert_eq!(
        report["verdict"], "ready",
        "info does not change the verdict"
    );
}

#[test]
fn injectors_native_switches() {
    let report = signature(
        "tests/scenarios/doctor-injectors.yaml",
        "istio-native-mismatch",
        "deployment/istio-system/istiod",
    );
    find(
        &report,
        "istio-native-mismatch",
        "deployment/shop/cart [istio-proxy]",
    );
    find(&report, "linkerd-annotation-typo", "namespace/linkerd-apps");
    assert_eq!(
        report["injectors"]["istiod"][0]["enableNativeSidecars"],
        "true"
    );
    // istio-init runs the proxy image but exits: not a never-exiting init container.
    assert!(
        !listed(&report)
            .iter()
            .any(|(id, _)| id == "init-container-never-exits"),
        "{:#?}",
        listed(&report)
    );
}

/// The order a person should act on them: errors before warnings; within a severity the
/// cluster before workloads and causes before symptoms.
const MIXED_ORDER: &[(&str, &str)] = &[
    ("node-unsupported", "nodepool/green"),
    ("node-skew-too-old", "nodepool/green"),
    ("admission-strips-restartpolicy", "namespace/shop"),
    ("sidecar-stripped", "deployment/shop/web [proxy]"),
    ("sidecar-stripped", "pod/shop/cart [log-shipper]"),
    (
        "sidecar-unschedulable-gate-off",
        "pod/analytics/report-gen [cloud-sql-proxy]",
    ),
    (
        "sidecar-on-unsupported-node",
        "deployment/payments/api [auth-proxy]",
    ),
    (
        "sidecar-run-as-init",
        "deployment/payments/api [auth-proxy]",
    ),
    ("sidecar-run-as-init", "pod/shop/cart [log-shipper]"),
    (
        "legacy-sidecar-blocks-job",
        "cronjob/batch/nightly-report [istio-proxy]",
    ),
    ("mixed-pool-support", "nodepool/green"),
    (
        "webhook-blocks-dry-run",
        "mutatingwebhook/audit-sink.example.com",
    ),
    ("linkerd-annotation-typo", "deployment/mesh/catalog"),
    (
        "sidecar-missing-startup-probe",
        "deployment/payments/api [auth-proxy]",
    ),
];

#[test]
fn mixed_cluster_in_action_order_as_admin_and_as_restricted_user() {
    let up = up("tests/scenarios/doctor-mixed.yaml");
    let snapshot = up.cluster.dir.join("doctor-mixed.json");
    let snap = snapshot.to_str().expect("utf-8 path");
    let run = up.doctor(&["-A", "-o", "json", "--save-snapshot", snap]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let report = run.json();
    assert_shape(&report);
    assert_eq!(report["verdict"], "not ready");
    // audit-sink.example.com cannot dry-run, so the canary in `audited` cannot pass it: a gap,
    // listed beside the errors that decide the verdict.
    assert_eq!(report["reason"], "not fully examined: admission");
    assert_eq!(
        gaps(&report).len(),
        1,
        "only the audited canary: {:#?}",
        gaps(&report)
    );
    let want: Vec<(String, String)> = MIXED_ORDER
        .iter()
        .map(|(id, o)| (id.to_string(), o.to_string()))
        .collect();
    assert_eq!(listed(&report), want);
    let steps: Vec<&str> = report["nextSteps"]
        .as_array()
        .expect("nextSteps")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(
        steps,
        [
            "node-unsupported",
            "node-skew-too-old",
            "admission-strips-restartpolicy"
        ]
    );

    // The snapshot reproduces the report without the cluster.
    let offline = doctor_as(
        Path::new("/nonexistent"),
        &["--snapshot", snap, "-o", "json"],
    );
    assert_eq!(offline.code, Some(1), "{}", offline.stderr);
    assert_eq!(offline.json(), report);

    // The same snapshot serves check-nodes: the node verdicts are those of check-nodes live.
    let verdicts = |r: &Value| -> Vec<(String, String)> {
        r["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| (n["name"].to_string(), n["verdict"].to_string()))
            .collect()
    };
    let (status, live, stderr) = up.cluster.run(&["check-nodes", "-o", "json"]);
    let live: Value = serde_json::from_str(&live).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let (offline_status, from_snapshot, stderr) = run_product(
        Path::new("/nonexistent"),
        &["check-nodes", "--snapshot", snap, "-o", "json"],
    );
    let from_snapshot: Value =
        serde_json::from_str(&from_snapshot).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(from_snapshot["kind"], "CheckNodesReport");
    common::assert_schema("CheckNodesReport", &from_snapshot);
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&snapshot).expect("snapshot")).expect("JSON");
    common::assert_schema("Snapshot", &saved);
    assert!(!verdicts(&live).is_empty());
    assert_eq!(verdicts(&from_snapshot), verdicts(&live));
    assert_eq!(offline_status.code(), status.code());
    assert_eq!(from_snapshot["context"], report["context"]);
    assert!(
        report["context"]["name"].is_string(),
        "{}",
        report["context"]
    );

    // One namespace, then a label selector: the scope narrows the workloads.
    let shop = up.doctor(&["-n", "shop", "-o", "json"]).json();
    assert!(
        listed(&shop)
            .iter()
            .all(|(id, o)| !id.starts_with("sidecar") || o.contains("/shop/")),
        "{:#?}",
        listed(&shop)
    );
    find(&shop, "sidecar-stripped", "pod/shop/cart [log-shipper]");
    let api = up.doctor(&["-A", "-l", "app=api", "-o", "json"]).json();
    find(
        &api,
        "sidecar-run-as-init",
        "deployment/payments/api [auth-proxy]",
    );
    assert!(
        !listed(&api).iter().any(|(_, o)| o.contains("/shop/")),
        "{:#?}",
        listed(&api)
    );

    // The restricted user: no nodes/proxy, no /metrics, no create pods. The run completes, is
    // still not ready (errors decide), and its coverage names every gap with the permission
    // that would close it. The 1.34 apiserver's gate is locked on: its unread /metrics is no gap.
    let restricted = up.restricted(&["-A", "-o", "json"]);
    assert_eq!(restricted.code, Some(1), "{}", restricted.stderr);
    let report = restricted.json();
    assert_shape(&report);
    assert_eq!(report["verdict"], "not ready");
    assert_eq!(report["reason"], "not fully examined: nodes, admission");
    let permissions: Vec<String> = report["coverage"]["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .flat_map(|s| s["gaps"].as_array().cloned().unwrap_or_default())
        .filter_map(|g| g["permission"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        permissions,
        ["get nodes/proxy", "create pods"],
        "{:#?}",
        gaps(&report)
    );
    let nodes = &report["coverage"]["sections"][1];
    assert_eq!(nodes["total"], 5);
    assert_eq!(
        nodes["examined"], 3,
        "1.33+ and 1.27 kubelets are decided by their versions"
    );
    assert!(
        nodes["gaps"][0]["what"]
            .as_str()
            .is_some_and(|w| w.contains("green-1") && w.contains("green-3")),
        "{nodes}"
    );
    for (id, on) in [
        ("sidecar-stripped", "pod/shop/cart [log-shipper]"),
        (
            "legacy-sidecar-blocks-job",
            "cronjob/batch/nightly-report [istio-proxy]",
        ),
        (
            "sidecar-run-as-init",
            "deployment/payments/api [auth-proxy]",
        ),
        ("node-unsupported", "node/green-2"),
    ] {
        find(&report, id, on);
    }
    assert!(
        !listed(&report)
            .iter()
            .any(|(id, _)| id == "admission-strips-restartpolicy"),
        "the restricted user cannot dry-run, so admission is not judged"
    );
    let table = up.restricted(&["-A"]);
    assert_eq!(table.code, Some(1));
    for line in [
        "  nodes: 3 of 5 nodes examined: kubelet metrics of green-1, green-3: forbidden (needs get nodes/proxy)\n",
        "  admission: 0 of 4 canary namespaces examined: dry-run canary in namespace(s) analytics, audited, payments, shop: forbidden (needs create pods)\n",
        "  not ready: not fully examined: nodes, admission; ",
    ] {
        assert!(
            table.stdout.contains(line),
            "{line:?} missing:\n{}",
            table.stdout
        );
    }
}

/// Creates `count` pods of ReplicaSet fleet-5c7d9, every `every_old`-th one on the 1.27 node.
async fn create_fleet(kubeconfig: &Path, count: usize, every_old: usize) {
    use futures::{StreamExt, stream};
    use k8s_openapi::api::apps::v1::ReplicaSet;
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::{Api, PostParams};

    let client = common::client_for(kubeconfig).await;
    let rs: ReplicaSet = Api::namespaced(client.clone(), "bulk")
        .get("fleet-5c7d9")
        .await
        .expect("the scenario's ReplicaSet");
    let uid = rs.metadata.uid.clone().expect("uid");
    let pods: Api<Pod> = Api::namespaced(client, "bulk");
    let results: Vec<Result<Pod, kube::Error>> = stream::iter(0..count)
        .map(|i| {
            let node = if i % every_old == 0 {
                "node-b"
            } else {
                "node-a"
            };
            let pod: Pod = serde_json::from_value(serde_json::json!({
                "metadata": {
                    "name": format!("fleet-5c7d9-{i:05}"),
                    "labels": {"app": "fleet", "pod-template-hash": "5c7d9"},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                        "name": "fleet-5c7d9", "uid": uid, "controller": true}]
                },
                "spec": {
                    "nodeName": node,
                    "initContainers": [{"name": "proxy", "image": "envoyproxy/envoy:v1.31.2",
                        "restartPolicy": "Always", "ports": [{"containerPort": 15001}],
                        "startupProbe": {"tcpSocket": {"port": 15001}}}],
                    "containers": [{"name": "app", "image": "registry.example/fleet:1"}]
                }
            }))
            .expect("a valid pod");
            let pods = pods.clone();
            async move { pods.create(&PostParams::default(), &pod).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for r in results {
        r.expect("pod created");
    }
}

#[test]
fn pods_are_read_page_by_page_and_folded_by_owner() {
    const PODS: usize = 1_100;
    let up = up("tests/scenarios/doctor-scale.yaml");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(create_fleet(up.cluster.admin_kubeconfig(), PODS, 100));
    let snapshot = up.cluster.dir.join("scale.json");
    let started = std::time::Instant::now();
    let run = up.doctor(&[
        "-n",
        "bulk",
        "-o",
        "json",
        "--save-snapshot",
        snapshot.to_str().expect("utf-8"),
    ]);
    let took = started.elapsed();
    let report = run.json();
    assert_eq!(
        report["workloads"]["podsSeen"], PODS as u64,
        "three pages of 500 read"
    );
    assert_eq!(report["workloads"]["podsChecked"], PODS as u64);
    let workloads = &report["coverage"]["sections"][4];
    assert_eq!(workloads["section"], "workloads");
    assert_eq!(workloads["examined"], PODS as u64, "every page reduced");
    assert_eq!(workloads["total"], PODS as u64);
    // 11 pods on the 1.27 node: one finding on the Deployment, naming how many pods.
    let f = find(
        &report,
        "sidecar-on-unsupported-node",
        "deployment/bulk/fleet [proxy]",
    );
    let evidence = f["evidence"].to_string();
    assert!(evidence.contains("seen on 11 pods"), "{evidence}");
    // Folded: every pod of one owner in one state is one record, with its nodes listed.
    let facts: Value =
        serde_json::from_str(&std::fs::read_to_string(&snapshot).expect("snapshot")).expect("json");
    let kept = facts["doctor"]["workloads"]["pods"]
        .as_array()
        .expect("pods")
        .len();
    assert!(kept <= 2, "{kept} records for {PODS} pods of one owner");
    assert!(took < std::time::Duration::from_secs(60), "took {took:?}");
    eprintln!("doctor over {PODS} pods: {took:?}, {kept} pod records kept");
}
