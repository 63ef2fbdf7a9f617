//! The published JSON Schemas (tests/schemas/KIND.json), one per document kind, generated from
//! the Rust types: a schema file that differs from what the types generate fails here
//! (`UPDATE_SCHEMAS=1 cargo test --test schemas` rewrites them), and every bundled snapshot and
//! every offline `-o json|yaml` output of check-nodes and doctor must validate against its kind's.
//! diff-pod needs a cluster: its reports are validated in its unit tests and in e2e_diff_pod.

use std::path::{Path, PathBuf};
use std::process::Command;

use kubectl_sidecar::cmd::{check_nodes, diff_pod, doctor};
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
            "DiffPodReport",
            "DoctorReport",
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
