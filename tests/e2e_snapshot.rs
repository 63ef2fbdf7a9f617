#![cfg(feature = "e2e")]
//! `snapshot` against a real kube-apiserver: on the scenarios of e2e_doctor and e2e_check_nodes
//! that hold workloads, admission (webhooks and canaries) and nodes, `snapshot` then `--snapshot`
//! gives doctor and check-nodes the same findings (id, object, severity), verdicts and exit code
//! as the live run on the same cluster; diff-pod refuses such a snapshot in one line naming what
//! it lacks. On the diff-pod scenarios (the stripping webhook and the injector, the apiserver with
//! the gate off, doctor's stripped sidecar), `snapshot -f MANIFEST` then `diff-pod --snapshot`,
//! and `diff-pod --save-snapshot` (a manifest or a live pod, with `--blame`) then
//! `diff-pod --snapshot`, give the live `diff-pod` report: the same findings, objects, changes,
//! coverage and exit code. Each scenario gets its own control plane, one at a time.

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

    // Saved without -f, the snapshot holds no dry run: diff-pod says so in one line.
    let refused = run(none, &["diff-pod", "--snapshot", file]);
    assert_eq!(refused.code, Some(2), "{}", refused.stderr);
    assert_eq!(
        refused.stderr.trim().lines().count(),
        1,
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("holds no dry runs for diff-pod")
            && refused.stderr.contains("snapshot -f MANIFEST"),
        "{}",
        refused.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// diff-pod.

const MANIFEST: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/manifests/deployment-sidecar.yaml"
);

/// A diff-pod report as a snapshot must reproduce it: everything but the collection time (the
/// live run's own, the snapshot's when read back).
fn diff_pod_report(r: &Run) -> Value {
    let mut v = r.json("DiffPodReport");
    v.as_object_mut().map(|o| o.remove("collectedAt"));
    v
}

/// The live report and the one read from a snapshot agree, exit code included.
#[track_caller]
fn assert_same_diff_pod(live: &Run, offline: &Run, what: &str) {
    let (l, o) = (diff_pod_report(live), diff_pod_report(offline));
    assert!(
        !l["objects"].as_array().is_none_or(Vec::is_empty),
        "{what}: nothing compared: {l:#}"
    );
    assert_eq!(
        o, l,
        "{what}: the report from the snapshot differs from the live one"
    );
    assert_eq!(offline.code, live.code, "{what}: {}", offline.stderr);
}

/// `diff-pod -f MANIFEST -n NS` live against `snapshot -n NS -f MANIFEST` read back, in JSON and
/// as the wide table.
fn dry_runs_equal_snapshot(admin: &Path, dir: &Path, ns: &str) {
    let none = Path::new("/nonexistent");
    let file = dir.join(format!("dry-runs-{ns}.json"));
    let file = file.to_str().expect("utf-8 path");
    let saved = run(admin, &["snapshot", "-n", ns, "-f", MANIFEST, "-o", file]);
    assert!(
        matches!(saved.code, Some(0 | 4)),
        "snapshot -f: {:?} {}",
        saved.code,
        saved.stderr
    );
    assert!(
        saved.stdout.contains("1 manifest dry run(s)"),
        "{}",
        saved.stdout
    );
    let snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(file).expect("the file")).expect("JSON");
    common::assert_schema("Snapshot", &snapshot);
    for format in ["json", "wide"] {
        let live = run(admin, &["diff-pod", "-f", MANIFEST, "-n", ns, "-o", format]);
        let offline = run(none, &["diff-pod", "--snapshot", file, "-o", format]);
        if format == "json" {
            assert_same_diff_pod(&live, &offline, &format!("snapshot -f, namespace {ns}"));
        } else {
            assert_eq!(offline.stdout, live.stdout, "namespace {ns}: -o wide");
            assert_eq!(
                offline.code, live.code,
                "namespace {ns}: {}",
                offline.stderr
            );
        }
    }
}

/// `diff-pod ARGS --save-snapshot FILE` live against `diff-pod --snapshot FILE READ_ARGS`.
fn saved_equals_live(admin: &Path, dir: &Path, name: &str, args: &[&str], read: &[&str]) {
    let file = dir.join(format!("{name}.json"));
    let file = file.to_str().expect("utf-8 path");
    let mut live_args = vec!["diff-pod", "-o", "json", "--save-snapshot", file];
    live_args.extend_from_slice(args);
    let live = run(admin, &live_args);
    let mut read_args = vec!["diff-pod", "-o", "json", "--snapshot", file];
    read_args.extend_from_slice(read);
    let offline = run(Path::new("/nonexistent"), &read_args);
    assert_same_diff_pod(&live, &offline, name);
    let snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(file).expect("the file")).expect("JSON");
    common::assert_schema("Snapshot", &snapshot);
    assert!(
        snapshot["cluster"].is_null() && snapshot["doctor"].is_null(),
        "{name}: diff-pod saves only its own part"
    );
}

#[test]
fn diff_pod_stripping_webhook_injector_and_live_pods() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let cluster = TestCluster::start_private("tests/scenarios/diff-pod.yaml", "snapshot");
    let _down = Down(&cluster);
    let admin = cluster.admin_kubeconfig();
    // The stripping webhook, the well-behaved injector, no webhook at all.
    for ns in ["legacy", "meshed", "plain"] {
        dry_runs_equal_snapshot(admin, &cluster.dir, ns);
    }
    // --blame's calls are saved, and read back only with --blame.
    saved_equals_live(
        admin,
        &cluster.dir,
        "manifest-blamed",
        &["-f", MANIFEST, "-n", "legacy", "--blame"],
        &["--blame"],
    );
    // A live pod, traced to its owners' templates, with --blame; and one from its
    // last-applied configuration.
    saved_equals_live(
        admin,
        &cluster.dir,
        "live-pod",
        &["web-6d4b75cb6d-x7k2p", "-n", "legacy", "--blame"],
        &["web-6d4b75cb6d-x7k2p", "--blame"],
    );
    saved_equals_live(
        admin,
        &cluster.dir,
        "last-applied",
        &["applied", "-n", "legacy"],
        &["applied", "-n", "legacy"],
    );
}

#[test]
fn diff_pod_apiserver_with_the_gate_off() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let cluster = TestCluster::start_private("tests/scenarios/diff-pod-gate-off.yaml", "snapshot");
    let _down = Down(&cluster);
    dry_runs_equal_snapshot(cluster.admin_kubeconfig(), &cluster.dir, "plain");
}

#[test]
fn diff_pod_stripped_sidecar_of_doctor() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let cluster = TestCluster::start_private("tests/scenarios/doctor-stripped.yaml", "snapshot");
    let _down = Down(&cluster);
    dry_runs_equal_snapshot(cluster.admin_kubeconfig(), &cluster.dir, "shop");
}

/// The comparison can fail: the bundled snapshot against a copy in which admission kept the
/// sidecar's restartPolicy (no cluster needed).
#[test]
#[should_panic(expected = "the report from the snapshot differs from the live one")]
fn a_planted_difference_fails_the_comparison() {
    let none = Path::new("/nonexistent");
    let bundled = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/snapshots/diff-pod-stripped.json"
    );
    let mut planted: Value =
        serde_json::from_str(&std::fs::read_to_string(bundled).expect("bundled")).expect("JSON");
    planted["diffPod"]["pods"][0]["outcome"]["pod"]["spec"]["initContainers"][0]["restartPolicy"] =
        Value::String("Always".into());
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("planted.json");
    std::fs::write(&file, planted.to_string()).expect("write");
    let truth = run(none, &["diff-pod", "--snapshot", bundled, "-o", "json"]);
    let file = file.to_str().expect("utf-8 path");
    let tampered = run(none, &["diff-pod", "--snapshot", file, "-o", "json"]);
    assert_same_diff_pod(&truth, &tampered, "planted");
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
