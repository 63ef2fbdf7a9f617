#![cfg(feature = "e2e")]
//! `doctor --offline -f -` on what a real renderer prints: `kubectl kustomize` (kustomize as
//! kubectl embeds it) renders tests/fixtures/offline/kustomize/overlay, whose patches add a
//! native sidecar without a startupProbe to a Deployment and a log shipper as a regular
//! container to a Job, under a namespace and a name prefix. The findings name the rendered
//! objects (prefix and namespace applied) at the line of stdin where each document starts;
//! the base, before the overlay, has nothing to say. The renderer's output is read as it comes,
//! not as we believe it looks (field order, `---` separators, no leading `---`).

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

const FIXTURE: &str = "tests/fixtures/offline/kustomize";

fn kustomize(dir: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let out = Command::new(common::kubectl())
        .arg("kustomize")
        .arg(&path)
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "kubectl kustomize {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("kustomize prints UTF-8")
}

/// `doctor --offline -o json` with `args`, `stdin` piped in; (exit code, report).
fn offline(args: &[&str], stdin: &str) -> (Option<i32>, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubectl-sidecar"))
        .args(["doctor", "--offline", "-o", "json"])
        .args(args)
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the product runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    common::assert_schema("DoctorReport", &report);
    (out.status.code(), report)
}

/// (id, kind/namespace/name [container], line) of every finding.
fn findings(report: &Value) -> Vec<(String, String, u64)> {
    let mut out: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let o = &f["object"];
            (
                f["id"].as_str().unwrap().to_string(),
                format!(
                    "{}/{}/{} [{}]",
                    o["kind"].as_str().unwrap(),
                    o["namespace"].as_str().unwrap_or(""),
                    o["name"].as_str().unwrap(),
                    o["container"].as_str().unwrap_or("")
                ),
                f["location"]["line"].as_u64().expect("a line"),
            )
        })
        .collect();
    out.sort();
    out
}

/// The 1-based line where the document of `kind` starts in a `---`-separated stream.
fn document_line(text: &str, kind: &str) -> u64 {
    let mut start = 1;
    for (i, line) in text.lines().enumerate() {
        if line == "---" {
            start = i + 2;
        } else if line == format!("kind: {kind}") {
            return start as u64;
        }
    }
    panic!("no {kind} in:\n{text}")
}

#[test]
fn findings_name_the_rendered_objects_where_stdin_holds_them() {
    let rendered = kustomize(&format!("{FIXTURE}/overlay"));
    let (code, report) = offline(&["-f", "-"], &rendered);
    assert_eq!(
        findings(&report),
        [
            (
                "legacy-sidecar-in-job".to_string(),
                "Job/shop/prod-export [log-shipper]".to_string(),
                document_line(&rendered, "Job"),
            ),
            (
                "sidecar-missing-startup-probe".to_string(),
                "Deployment/shop/prod-web [proxy]".to_string(),
                document_line(&rendered, "Deployment"),
            ),
        ],
        "rendered:\n{rendered}"
    );
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["location"]["file"] == "-")
    );
    // Warnings only: the manifests are fine to apply unless warnings fail the run.
    assert_eq!(code, Some(0));
    assert_eq!(
        offline(&["-f", "-", "--fail-on", "warning"], &rendered).0,
        Some(1)
    );
}

#[test]
fn the_base_before_the_overlay_has_nothing_to_say() {
    let rendered = kustomize(&format!("{FIXTURE}/base"));
    let (code, report) = offline(&["-f", "-"], &rendered);
    assert_eq!(findings(&report), [], "rendered:\n{rendered}");
    assert_eq!(code, Some(0));
    let checked: Vec<&str> = report["manifests"]["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| !o["checked"].is_null())
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(checked, ["web", "export"], "{}", report["manifests"]);
}
