#![cfg(feature = "e2e")]
//! `snapshot` against a real kube-apiserver: on the scenarios of e2e_doctor and e2e_check_nodes
//! that hold workloads, admission (webhooks and canaries) and nodes, `snapshot` then `--snapshot`
//! gives doctor and check-nodes the same findings (id, object, severity), verdicts and exit code
//! as the live run on the same cluster; diff-pod refuses the snapshot in one line naming what it
//! lacks. Each scenario gets its own control plane, one at a time.

mod common;

use std::path::Path;
use std::sync::Mutex;

use common::{TestCluster, run_product};
use serde_json::Value;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Takes the scenario down when the test ends, passing or not.
struct Down<'a>(&'a TestCluster);

impl Drop for Down<'_> {
    fn drop(&mut self) {
        let _ = self.0.close_stdin_and_wait();
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(kubeconfig: &Path, args: &[&str]) -> Run {
    let (status, stdout, stderr) = run_product(kubeconfig, args);
    Run {
        code: status.code(),
        stdout,
        stderr,
    }
}

impl Run {
    fn json(&self, kind: &str) -> Value {
        let v: Value = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr));
        assert_eq!(v["kind"], kind, "{}", self.stdout);
        common::assert_schema(kind, &v);
        v
    }
}

/// Each finding as (id, object, severity), in report order.
fn findings(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap_or("?").to_string(),
                f["object"].to_string(),
                f["severity"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect()
}

/// check-nodes' verdicts: the apiserver's, each node's, each pool's, and the cluster's.
fn node_verdicts(report: &Value) -> Vec<String> {
    let mut out = vec![
        format!("apiserver {}", report["apiserver"]["verdict"]),
        format!("cluster {} {}", report["verdict"], report["reason"]),
    ];
    for n in report["nodes"].as_array().expect("nodes") {
        out.push(format!(
            "node {} {} {}",
            n["name"], n["verdict"], n["reason"]
        ));
    }
    for p in report["pools"].as_array().into_iter().flatten() {
        out.push(format!("pool {}", p));
    }
    out
}

/// Live, then from a snapshot of the same cluster: doctor and check-nodes agree.
fn live_equals_snapshot(scenario: &str, scope: &[&str]) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let cluster = TestCluster::start_private(scenario, "snapshot");
    let _down = Down(&cluster);
    let admin = cluster.admin_kubeconfig();
    let none = Path::new("/nonexistent");
    let file = cluster.dir.join("snapshot.json");
    let file = file.to_str().expect("utf-8 path");

    let mut args = vec!["snapshot", "-o", file];
    args.extend_from_slice(scope);
    let saved = run(admin, &args);
    assert!(
        matches!(saved.code, Some(0 | 4)),
        "snapshot: {:?} {}",
        saved.code,
        saved.stderr
    );
    assert!(saved.stdout.contains("node(s)"), "{}", saved.stdout);
    let text = std::fs::read_to_string(file).expect("the snapshot file");
    let snapshot: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(snapshot["kind"], "Snapshot");
    common::assert_schema("Snapshot", &snapshot);

    let mut live_args = vec!["doctor", "-o", "json"];
    live_args.extend_from_slice(scope);
    let live = run(admin, &live_args);
    let offline = run(none, &["doctor", "--snapshot", file, "-o", "json"]);
    let (l, o) = (live.json("DoctorReport"), offline.json("DoctorReport"));
    assert!(!findings(&l).is_empty() || l["verdict"] == "ready", "{l:#}");
    assert_eq!(findings(&o), findings(&l), "{scenario}: doctor findings");
    assert_eq!(o["verdict"], l["verdict"], "{scenario}");
    assert_eq!(o["coverage"], l["coverage"], "{scenario}");
    assert_eq!(offline.code, live.code, "{scenario}: {}", offline.stderr);
    // The snapshot's exit says what doctor's coverage says: 4 exactly when it is incomplete.
    assert_eq!(
        saved.code == Some(4),
        l["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("not fully examined")),
        "{scenario}: {} / {}",
        saved.stderr,
        l["reason"]
    );

    let live = run(admin, &["check-nodes", "-o", "json"]);
    let offline = run(none, &["check-nodes", "--snapshot", file, "-o", "json"]);
    let (l, o) = (
        live.json("CheckNodesReport"),
        offline.json("CheckNodesReport"),
    );
    assert_eq!(
        node_verdicts(&o),
        node_verdicts(&l),
        "{scenario}: check-nodes"
    );
    assert_eq!(offline.code, live.code, "{scenario}: {}", offline.stderr);

    // diff-pod dry-runs its own pods: a snapshot holds none, and it says so in one line.
    let refused = run(none, &["diff-pod", "--snapshot", file, "-f", "-"]);
    assert_eq!(refused.code, Some(2), "{}", refused.stderr);
    assert_eq!(
        refused.stderr.trim().lines().count(),
        1,
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("dry run"), "{}", refused.stderr);
}

#[test]
fn mixed_cluster_all_namespaces() {
    live_equals_snapshot("tests/scenarios/doctor-mixed.yaml", &["-A"]);
}

#[test]
fn mixed_cluster_one_namespace_and_a_selector() {
    live_equals_snapshot(
        "tests/scenarios/doctor-mixed.yaml",
        &["-n", "shop", "-l", "app=web"],
    );
}

#[test]
fn stripped_sidecar_and_its_canary() {
    live_equals_snapshot("tests/scenarios/doctor-stripped.yaml", &["-A"]);
}

#[test]
fn apiserver_with_the_gate_off() {
    live_equals_snapshot("tests/scenarios/doctor-gate-off.yaml", &["-A"]);
}

#[test]
fn injectors_and_their_switches() {
    live_equals_snapshot("tests/scenarios/doctor-injectors.yaml", &["-A"]);
}

#[test]
fn clean_cluster() {
    live_equals_snapshot("tests/scenarios/doctor-clean.yaml", &["-A"]);
}

#[test]
fn mixed_fleet_of_nodes() {
    live_equals_snapshot("tests/scenarios/mixed-fleet.yaml", &["-A"]);
}
