//! `diff-pod --snapshot` with no cluster: the bundled snapshot with a diffPod part
//! (tests/fixtures/snapshots/diff-pod-stripped.json, saved by `snapshot -f` on the
//! doctor-stripped scenario) analysed offline in every format; POD narrows it; what cannot be honoured (an
//! unknown POD, -f, a connection flag, --blame without saved results, a snapshot without the
//! part) is one line and exit 2; check-nodes and doctor say what a diffPod-only file lacks.

use serde_json::Value;

use crate::case::{Case, fixture};

fn saved() -> String {
    fixture("snapshots/diff-pod-stripped.json")
}

fn saved_json() -> Value {
    serde_json::from_str(&std::fs::read_to_string(saved()).unwrap()).unwrap()
}

#[test]
fn a_saved_dry_run_is_analysed_offline_as_live() {
    let run = Case::new(["diff-pod", "--snapshot", &saved(), "-o", "json"]).run();
    run.exit(1);
    let report = run.json();
    assert_eq!(report["kind"], "DiffPodReport");
    // The header's context is the cluster the snapshot came from.
    assert_eq!(report["context"], saved_json()["context"], "{report:#}");
    let ids: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap(),
                f["object"]["container"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [("restart-policy-removed", "log-shipper")],
        "{report:#}"
    );
    let finding = &report["findings"][0];
    assert_eq!(
        finding["location"]["file"],
        "tests/fixtures/manifests/deployment-sidecar.yaml"
    );
    assert_eq!(report["objects"][0]["result"], "sidecar-affected");
    // Named by name or by Kind/name, the one object gives the same report.
    for pod in ["web", "Deployment/web"] {
        let one = Case::new(["diff-pod", "--snapshot", &saved(), pod, "-o", "json"]).run();
        one.exit(1);
        assert_eq!(one.json()["findings"], report["findings"], "{pod}");
    }
    Case::new([
        "diff-pod",
        "--snapshot",
        &saved(),
        "-n",
        "shop",
        "-o",
        "wide",
    ])
    .run()
    .exit(1)
    .stdout_has("-restartPolicy: Always")
    .stdout_has("legacy-injector.example.com");
    Case::new(["diff-pod", "--snapshot", &saved(), "--fail-on", "never"])
        .run()
        .exit(0);
    Case::new(["diff-pod", "--snapshot", &saved(), "-o", "sarif"])
        .run()
        .exit(1)
        .stdout_has("deployment-sidecar.yaml");
    Case::new(["diff-pod", "--snapshot", &saved(), "-o", "junit"])
        .run()
        .exit(1)
        .stdout_has("restart-policy-removed");
}

#[test]
fn what_a_snapshot_cannot_answer_is_one_line() {
    Case::new(["diff-pod", "--snapshot", &saved(), "api"])
        .run()
        .one_line_error(
            2,
            &[
                "holds no dry run of api",
                "it holds: Deployment/web in namespace shop",
            ],
        );
    Case::new(["diff-pod", "--snapshot", &saved(), "-n", "legacy"])
        .run()
        .one_line_error(2, &["anything in namespace legacy", "Deployment/web"]);
    let manifest = fixture("manifests/deployment-sidecar.yaml");
    Case::new(["diff-pod", "--snapshot", &saved(), "-f", &manifest])
        .run()
        .one_line_error(
            2,
            &["-f cannot be used with --snapshot", "holds the dry runs"],
        );
    Case::new(["diff-pod", "--snapshot", &saved(), "--context", "prod"])
        .run()
        .one_line_error(2, &["--context cannot be used with --snapshot"]);
    Case::new(["diff-pod", "--snapshot", &saved(), "--blame"])
        .run()
        .one_line_error(2, &["holds no --blame results", "--blame --save-snapshot"]);
    Case::new([
        "diff-pod",
        "--snapshot",
        &saved(),
        "--save-snapshot",
        "x.json",
    ])
    .run()
    .exit(2);
}

#[test]
fn check_nodes_and_doctor_name_what_a_dry_run_only_snapshot_lacks() {
    let mut only = saved_json();
    only["cluster"] = Value::Null;
    only["doctor"] = Value::Null;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dry-runs.json");
    std::fs::write(&path, only.to_string()).unwrap();
    let path = path.to_str().unwrap();
    Case::new(["check-nodes", "--snapshot", path])
        .run()
        .one_line_error(2, &["only diff-pod's dry runs", "check-nodes needs"]);
    Case::new(["doctor", "--snapshot", path])
        .run()
        .one_line_error(2, &["only diff-pod's dry runs", "doctor needs"]);
    // diff-pod still reads it.
    Case::new(["diff-pod", "--snapshot", path]).run().exit(1);
}
