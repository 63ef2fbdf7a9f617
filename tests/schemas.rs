//! The published JSON Schemas (tests/schemas/KIND.json), one per document kind, generated from
//! the Rust types: a schema file that differs from what the types generate fails here
//! (`UPDATE_SCHEMAS=1 cargo test --test schemas` rewrites them), and every bundled snapshot and
//! every offline `-o json|yaml` output of check-nodes and doctor must validate against its kind's.
//! diff-pod needs a cluster: its reports are validated in its unit tests and in e2e_diff_pod.

use std::path::{Path, PathBuf};
use std::process::Command;

use kubectl_sidecar::cmd::{check_nodes, diff_pod, doctor};
use kubectl_sidecar::fleet;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn generated() -> Vec<(&'static str, schemars::Schema)> {
    vec![
        ("CheckNodesReport", check_nodes::schema()),
        ("DiffPodReport", diff_pod::schema()),
        ("DoctorReport", doctor::schema()),
        ("Snapshot", doctor::snapshot_schema()),
        ("ClusterError", fleet::error_schema()),
        (
            "List",
            fleet::list_schema(vec![
                check_nodes::schema(),
                doctor::schema(),
                fleet::error_schema(),
            ]),
        ),
    ]
}

fn validator(kind: &str) -> jsonschema::Validator {
    let path = root().join("tests/schemas").join(format!("{kind}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).expect("a schema is JSON");
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{kind}: not a schema: {e}"))
}

#[track_caller]
fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}:\n{}", errors.join("\n"));
}

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_kubectl-sidecar"))
        .args(args)
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .output()
        .expect("run kubectl-sidecar");
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 4)),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn schema_files_are_what_the_types_generate() {
    let dir = root().join("tests/schemas");
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    for (kind, schema) in generated() {
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        let path = dir.join(format!("{kind}.json"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale schemas (regenerate: UPDATE_SCHEMAS=1 cargo test --test schemas): {stale:?}"
    );
    // Nothing else lives there: a kind that is gone must not leave its schema behind.
    let mut names: Vec<String> = json_files(&dir)
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "CheckNodesReport",
            "ClusterError",
            "DiffPodReport",
            "DoctorReport",
            "List",
            "Snapshot"
        ]
    );
}

#[test]
fn the_schemas_pin_their_kind_and_version() {
    let v = validator("CheckNodesReport");
    let out = run(&[
        "check-nodes",
        "--snapshot",
        &root()
            .join("tests/fixtures/snapshots/mixed-fleet.json")
            .to_string_lossy(),
        "-o",
        "json",
    ]);
    let mut doc: Value = serde_json::from_str(&out).unwrap();
    assert_valid(&v, &doc, "check-nodes");
    doc["kind"] = "DoctorReport".into();
    assert!(!v.is_valid(&doc), "another kind validated");
    doc["kind"] = "CheckNodesReport".into();
    doc["apiVersion"] = "kubectl-sidecar/v2".into();
    assert!(!v.is_valid(&doc), "another apiVersion validated");
    doc["apiVersion"] = "kubectl-sidecar/v1".into();
    doc["nodes"][0]["gate"]["enabled"] = "yes".into();
    assert!(!v.is_valid(&doc), "a wrong type validated");
}

#[test]
fn bundled_snapshots_and_offline_outputs_validate() {
    let snapshot = validator("Snapshot");
    let nodes = validator("CheckNodesReport");
    let doctor = validator("DoctorReport");
    let mut files = json_files(&root().join("tests/fixtures/snapshots"));
    files.extend(json_files(&root().join("tests/fixtures/doctor/snapshots")));
    assert!(files.len() >= 10, "{files:?}");
    for file in &files {
        let shown = file.display().to_string();
        let text = std::fs::read_to_string(file).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_valid(&snapshot, &doc, &shown);
        if !doc["cluster"].is_null() {
            for format in ["json", "yaml"] {
                let out = run(&["check-nodes", "--snapshot", &shown, "-o", format]);
                let report: Value = match format {
                    "json" => serde_json::from_str(&out).unwrap(),
                    _ => serde_saphyr::from_str(&out).unwrap(),
                };
                assert_valid(&nodes, &report, &format!("check-nodes -o {format} {shown}"));
            }
        }
        if !doc["doctor"].is_null() {
            for format in ["json", "yaml"] {
                let out = run(&["doctor", "--snapshot", &shown, "-o", format]);
                let report: Value = match format {
                    "json" => serde_json::from_str(&out).unwrap(),
                    _ => serde_saphyr::from_str(&out).unwrap(),
                };
                assert_valid(&doctor, &report, &format!("doctor -o {format} {shown}"));
            }
        }
    }
}

/// Several contexts print kubectl's List: offline, two dead loopback apiservers give two
/// ClusterError items; a list of real reports (from the bundled snapshots) validates too, and
/// an item of an unknown kind does not.
#[test]
fn the_list_of_several_clusters_validates() {
    let list = validator("List");
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n\
         - {name: ca, cluster: {server: 'https://127.0.0.1:1'}}\n\
         - {name: cb, cluster: {server: 'https://127.0.0.1:2'}}\n\
         contexts:\n- {name: a, context: {cluster: ca, user: u}}\n\
         - {name: b, context: {cluster: cb, user: u}}\n\
         users:\n- {name: u, user: {token: x}}\ncurrent-context: a\n",
    )
    .unwrap();
    for command in ["check-nodes", "doctor"] {
        for format in ["json", "yaml"] {
            let out = Command::new(env!("CARGO_BIN_EXE_kubectl-sidecar"))
                .args(["--kubeconfig", &kubeconfig.to_string_lossy(), command])
                .args(["--all-contexts", "-o", format])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(3), "{command} -o {format}");
            let text = String::from_utf8(out.stdout).unwrap();
            let doc: Value = match format {
                "json" => serde_json::from_str(&text).unwrap(),
                _ => serde_saphyr::from_str(&text).unwrap(),
            };
            assert_valid(&list, &doc, &format!("{command} -o {format}"));
            assert_eq!(doc["items"].as_array().unwrap().len(), 2);
            assert_eq!(doc["items"][1]["kind"], "ClusterError");
            assert_eq!(doc["items"][1]["context"]["name"], "b");
        }
    }
    let snapshot = root().join("tests/fixtures/snapshots/doctor-mixed.json");
    let snapshot = snapshot.to_string_lossy();
    let nodes: Value = serde_json::from_str(&run(&[
        "check-nodes",
        "--snapshot",
        &snapshot,
        "-o",
        "json",
    ]))
    .unwrap();
    let doctor: Value =
        serde_json::from_str(&run(&["doctor", "--snapshot", &snapshot, "-o", "json"])).unwrap();
    let mut doc = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [nodes, doctor]});
    assert_valid(&list, &doc, "a list of reports");
    doc["items"][1]["kind"] = "Snapshot".into();
    assert!(!list.is_valid(&doc), "an item of another kind validated");
}

#[test]
fn offline_doctor_outputs_validate() {
    let doctor = validator("DoctorReport");
    let dir = root().join("tests/fixtures/offline");
    for name in ["example.yaml", "clean.yaml", "warnings.yaml"] {
        let shown = dir.join(name).display().to_string();
        for format in ["json", "yaml"] {
            let out = run(&["doctor", "--offline", "-f", &shown, "-o", format]);
            let report: Value = match format {
                "json" => serde_json::from_str(&out).unwrap(),
                _ => serde_saphyr::from_str(&out).unwrap(),
            };
            assert!(report["manifests"].is_object(), "{shown}: {report}");
            assert_valid(
                &doctor,
                &report,
                &format!("doctor --offline -o {format} {shown}"),
            );
        }
    }
}
