//! The one versioned contract: every `-o json|yaml` document opens with the same header, one
//! snapshot kind serves check-nodes and doctor, and with `--snapshot` the scope flags narrow the
//! analysis or are refused in one line, never ignored.

use serde_json::Value;

use crate::case::{Case, fixture as fixture_path};

fn fixture(name: &str) -> String {
    fixture_path(&format!("snapshots/{name}"))
}

fn json(args: &[&str]) -> (Option<i32>, Value) {
    let run = Case::new(args).run();
    (run.code(), run.json())
}

fn one_line_error(args: &[&str], needle: &str) {
    Case::new(args).run().one_line_error(2, &[needle]);
}

fn node_verdicts(report: &Value) -> Vec<(String, String)> {
    report["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| {
            (
                n["name"].as_str().unwrap().to_string(),
                n["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn every_document_opens_with_the_header() {
    let doctor = fixture("doctor-mixed.json");
    for (args, kind) in [
        (
            vec!["doctor", "--snapshot", doctor.as_str(), "-o", "json"],
            "DoctorReport",
        ),
        (
            vec!["check-nodes", "--snapshot", doctor.as_str(), "-o", "json"],
            "CheckNodesReport",
        ),
    ] {
        let (_, r) = json(&args);
        assert_eq!(r["apiVersion"], "kubectl-sidecar/v1", "{args:?}");
        assert_eq!(r["kind"], kind, "{args:?}");
        assert_eq!(r["toolVersion"], env!("CARGO_PKG_VERSION"), "{args:?}");
        // From a snapshot: the snapshot's own collection time and context.
        assert_eq!(r["collectedAt"], "2026-12-03T08:16:31Z", "{args:?}");
        assert!(r["context"].is_null(), "{args:?}");
        let text = Case::new(&args).run().stdout().to_string();
        let keys: Vec<&str> = text
            .lines()
            .skip(1)
            .take(5)
            .map(|l| l.trim().split('"').nth(1).unwrap_or(""))
            .collect();
        assert_eq!(
            keys,
            [
                "apiVersion",
                "kind",
                "toolVersion",
                "collectedAt",
                "context"
            ],
            "{args:?}"
        );
    }
    let o = Case::new([
        "check-nodes",
        "--snapshot",
        &fixture("mixed-fleet.json"),
        "-o",
        "yaml",
    ])
    .run();
    let yaml = o.stdout();
    assert!(
        yaml.starts_with("apiVersion: kubectl-sidecar/v1\nkind: CheckNodesReport\n"),
        "{yaml}"
    );
}

#[test]
fn a_doctor_snapshot_serves_check_nodes_with_doctors_node_verdicts() {
    let doctor = fixture("doctor-mixed.json");
    let (code, nodes) = json(&["check-nodes", "--snapshot", &doctor, "-o", "json"]);
    assert_eq!(code, Some(1));
    let (_, report) = json(&["doctor", "--snapshot", &doctor, "-o", "json"]);
    let from_doctor = node_verdicts(&report["nodes"]);
    assert_eq!(node_verdicts(&nodes), from_doctor);
    assert_eq!(from_doctor.len(), 5);
    // The same things in the same shapes: doctor shows check-nodes' own objects.
    assert_eq!(nodes["nodes"], report["nodes"]["nodes"]);
    assert_eq!(nodes["pools"], report["nodes"]["pools"]);
    assert_eq!(nodes["apiserver"], report["controlPlane"]["apiserver"]);
    assert_eq!(
        nodes["controlPlane"]["scheduler"],
        report["controlPlane"]["scheduler"]
    );
    assert_eq!(report["controlPlane"]["apiserver"]["version"], "v1.34.4");
    assert!(report["controlPlane"]["apiserver"]["gate"]["enabled"].is_boolean());
    assert!(report["nodes"]["nodes"][0]["skew"]["reason"].is_string());
}

#[test]
fn check_nodes_snapshots_are_the_same_kind_without_the_doctor_part() {
    let text = std::fs::read_to_string(fixture("mixed-fleet.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["apiVersion"], "kubectl-sidecar/v1");
    assert_eq!(v["kind"], "Snapshot");
    assert!(v["doctor"].is_null() && v["cluster"]["nodes"].is_array());
    let (code, r) = json(&[
        "check-nodes",
        "--snapshot",
        &fixture("mixed-fleet.json"),
        "-o",
        "json",
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(r["kind"], "CheckNodesReport");
    assert!(r["collectedAt"].is_null(), "the snapshot did not record it");
}

#[test]
fn check_nodes_selector_narrows_a_snapshot() {
    let doctor = fixture("doctor-mixed.json");
    let (_, all) = json(&["check-nodes", "--snapshot", &doctor, "-o", "json"]);
    assert_eq!(all["summary"]["nodes"], 5);
    let (_, blue) = json(&[
        "check-nodes",
        "--snapshot",
        &doctor,
        "-l",
        "eks.amazonaws.com/nodegroup=blue",
        "-o",
        "json",
    ]);
    let names: Vec<String> = node_verdicts(&blue).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["blue-1", "blue-2"]);
    assert_eq!(blue["summary"]["nodes"], 2);
    one_line_error(
        &["check-nodes", "--snapshot", &doctor, "-l", "a in ("],
        "-l \"a in (\"",
    );
}

#[test]
fn connection_flags_are_refused_with_a_snapshot() {
    let doctor = fixture("doctor-mixed.json");
    for flag in [
        ["--kubeconfig", "/tmp/k"],
        ["--context", "prod"],
        ["--cluster", "prod"],
        ["--user", "admin"],
        ["--as", "someone"],
        ["--request-timeout", "30s"],
    ] {
        for command in ["doctor", "check-nodes"] {
            one_line_error(
                &[command, "--snapshot", &doctor, flag[0], flag[1]],
                &format!("{} cannot be used with --snapshot", flag[0]),
            );
        }
    }
}

#[test]
fn doctor_scope_flags_narrow_a_snapshot_or_are_refused() {
    let doctor = fixture("doctor-mixed.json");
    let (_, whole) = json(&["doctor", "--snapshot", &doctor, "-o", "json"]);
    assert_eq!(whole["scope"]["allNamespaces"], true);
    let (_, shop) = json(&["doctor", "--snapshot", &doctor, "-n", "shop", "-o", "json"]);
    assert_eq!(shop["scope"]["namespace"], "shop");
    assert_eq!(shop["scope"]["allNamespaces"], false);
    let namespaces = |r: &Value| -> Vec<String> {
        let mut ns: Vec<String> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["object"]["namespace"].as_str().map(String::from))
            .collect();
        ns.dedup();
        ns
    };
    assert!(namespaces(&whole).len() > 1, "{:?}", namespaces(&whole));
    assert!(
        namespaces(&shop).iter().all(|n| n == "shop"),
        "{:?}",
        namespaces(&shop)
    );
    assert!(
        shop["workloads"]["podsSeen"].as_u64() < whole["workloads"]["podsSeen"].as_u64(),
        "{} vs {}",
        shop["workloads"]["podsSeen"],
        whole["workloads"]["podsSeen"]
    );
    let (_, api) = json(&[
        "doctor",
        "--snapshot",
        &doctor,
        "-l",
        "app=api",
        "-o",
        "json",
    ]);
    assert_eq!(api["scope"]["selector"], "app=api");
    assert!(
        namespaces(&api).iter().all(|n| n == "payments"),
        "{:?}",
        namespaces(&api)
    );
    // A snapshot of one namespace cannot answer for all of them, nor for another one.
    let dir = tempfile::tempdir().unwrap();
    let narrow = dir.path().join("shop.json");
    let text = std::fs::read_to_string(&doctor).unwrap().replacen(
        "\"namespace\": null,\n      \"allNamespaces\": true",
        "\"namespace\": \"shop\",\n      \"allNamespaces\": false",
        1,
    );
    assert!(text.contains("\"allNamespaces\": false"));
    std::fs::write(&narrow, text).unwrap();
    let narrow = narrow.to_str().unwrap();
    one_line_error(
        &["doctor", "--snapshot", narrow, "-A"],
        "-A with --snapshot: the snapshot holds namespace shop only",
    );
    one_line_error(
        &["doctor", "--snapshot", narrow, "-n", "blog"],
        "-n blog with --snapshot: the snapshot holds namespace shop only",
    );
    let (code, _) = json(&["doctor", "--snapshot", narrow, "-n", "shop", "-o", "json"]);
    assert!(matches!(code, Some(0 | 1 | 4)), "{code:?}");
}

#[test]
fn next_steps_name_their_objects_as_fields() {
    let (_, r) = json(&[
        "doctor",
        "--snapshot",
        &fixture("doctor-mixed.json"),
        "-o",
        "json",
    ]);
    let step = &r["nextSteps"][0];
    assert_eq!(step["id"], "node-unsupported");
    assert_eq!(
        step["objects"][0],
        serde_json::json!({"kind": "NodePool", "namespace": null, "name": "green", "container": null})
    );
    let action = step["action"].as_str().unwrap();
    assert!(!action.contains("(node-unsupported:"), "{action}");
    // The table still names them after the action.
    Case::new(["doctor", "--snapshot", &fixture("doctor-mixed.json")])
        .run()
        .stdout_has("(node-unsupported: nodepool/green)");
}

#[test]
fn diff_pod_refuses_a_snapshot_without_its_part_in_one_line() {
    // Saved by `snapshot` without -f: it names what the file holds and how to save the part.
    let run = Case::new(["diff-pod", "--snapshot", &fixture("doctor-mixed.json")]).run();
    run.one_line_error(
        2,
        &[
            "holds no dry runs for diff-pod (the control plane and nodes, doctor's facts)",
            "snapshot -f MANIFEST",
            "diff-pod --save-snapshot",
        ],
    );
    // A file that is no snapshot is named as such first.
    one_line_error(
        &[
            "diff-pod",
            "--snapshot",
            concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
        ],
        "Cargo.toml is not JSON",
    );
}
