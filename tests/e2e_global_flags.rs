#![cfg(feature = "e2e")]
//! kubectl's global flags against a real kube-apiserver: KUBECONFIG with several files merged as
//! kubectl merges them, --context/--user picking from the merge, --as impersonation, and
//! --request-timeout. The admin and the restricted user differ visibly: only the admin may read
//! kubelet metrics, so node-c's gate (off, per its metrics) is `metrics` for one and an
//! assumption from the version for the other.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::TestCluster;
use serde_json::Value;

const SCENARIO: &str = "tests/scenarios/foundation-1.37.yaml";

fn cluster() -> &'static TestCluster {
    TestCluster::start(SCENARIO)
}

/// Runs the product with KUBECONFIG listing `files` (in that order) and no proxy variables.
fn run_with(files: &[&Path], args: &[&str]) -> (Option<i32>, String, String) {
    let joined = std::env::join_paths(files).expect("paths join");
    let out = Command::new(env!("CARGO_BIN_EXE_kubectl-sidecar"))
        .args(args)
        .env("KUBECONFIG", joined)
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// node-c's gate source as check-nodes reports it, and the run's exit code.
fn node_c_source(files: &[&Path], extra: &[&str]) -> String {
    let mut args = vec!["check-nodes", "-o", "json", "-l", "pool=green"];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = run_with(files, &args);
    assert!(
        code == Some(0) || code == Some(1),
        "exit {code:?}: {stderr}"
    );
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let node = report["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|n| n["name"] == "node-c"))
        .unwrap_or_else(|| panic!("node-c missing: {stdout}"));
    node["gate"]["source"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn context_of(kubeconfig: &Path) -> String {
    let text = std::fs::read_to_string(kubeconfig).expect("kubeconfig readable");
    text.lines()
        .find_map(|l| l.strip_prefix("current-context: "))
        .expect("current-context")
        .trim()
        .to_string()
}

#[test]
fn single_kubeconfig_admin_reads_kubelet_metrics_restricted_does_not() {
    let c = cluster();
    assert_eq!(node_c_source(&[c.admin_kubeconfig()], &[]), "metrics");
    assert_eq!(node_c_source(&[c.restricted_kubeconfig()], &[]), "version");
}

#[test]
fn first_file_sets_current_context_and_context_flag_picks_from_the_merge() {
    let c = cluster();
    let files = [c.restricted_kubeconfig(), c.admin_kubeconfig()];
    // As in kubectl, the first file to set current-context wins: the restricted user.
    assert_eq!(node_c_source(&files, &[]), "version");
    // The admin's context exists only in the second file; --context reaches it, before or after
    // the subcommand.
    let admin = context_of(c.admin_kubeconfig());
    assert_eq!(node_c_source(&files, &["--context", &admin]), "metrics");
    let (code, stdout, stderr) = run_with(
        &files,
        &[
            "--context",
            &admin,
            "check-nodes",
            "-o",
            "json",
            "-l",
            "pool=green",
        ],
    );
    assert!(code == Some(1), "{stderr}");
    assert!(stdout.contains("\"metrics\""), "{stdout}");
}

#[test]
fn user_flag_overrides_the_context_user() {
    let c = cluster();
    let files = [c.restricted_kubeconfig(), c.admin_kubeconfig()];
    let admin_context = context_of(c.admin_kubeconfig());
    let admin_user = admin_context.split('@').next().expect("user@cluster");
    assert_eq!(node_c_source(&files, &["--user", admin_user]), "metrics");
}

#[test]
fn as_impersonates_a_less_privileged_user() {
    let c = cluster();
    let restricted = context_of(c.restricted_kubeconfig());
    let restricted_user = restricted.split('@').next().expect("user@cluster");
    assert_eq!(
        node_c_source(&[c.admin_kubeconfig()], &["--as", restricted_user]),
        "version"
    );
    // A group the user is not in changes nothing here, but must be passed without error.
    assert_eq!(
        node_c_source(
            &[c.admin_kubeconfig()],
            &["--as", restricted_user, "--as-group", "ksc-nobody"]
        ),
        "version"
    );
}

#[test]
fn unknown_context_in_a_merged_kubeconfig_is_one_line() {
    let c = cluster();
    let (code, stdout, stderr) = run_with(
        &[c.admin_kubeconfig(), c.restricted_kubeconfig()],
        &["check-nodes", "--context", "no-such-context"],
    );
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stdout.is_empty());
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("no-such-context"), "{stderr}");
}

#[test]
fn namespace_flag_before_or_after_the_subcommand() {
    let c = cluster();
    let manifest = common::crate_root().join("tests/fixtures/manifests/deployment-sidecar.yaml");
    if !manifest.exists() {
        panic!("fixture {} missing", manifest.display());
    }
    let m = manifest.to_str().expect("utf-8 path");
    for args in [
        &["-n", "legacy", "diff-pod", "-f", m, "-o", "json"][..],
        &["diff-pod", "-f", m, "-o", "json", "-n", "legacy"][..],
    ] {
        let (code, stdout, stderr) = run_with(&[c.admin_kubeconfig()], args);
        assert_eq!(
            code,
            Some(1),
            "the stripping webhook matches namespace legacy: {stderr}"
        );
        assert!(stdout.contains("restartPolicy"), "{stdout}");
    }
    let (code, _, stderr) = run_with(
        &[c.admin_kubeconfig()],
        &["diff-pod", "-f", m, "-n", "plain"],
    );
    assert_eq!(
        code,
        Some(0),
        "namespace plain has no stripping webhook: {stderr}"
    );
}
