//! Black-box tests of what every command shares: kubectl's global flags, errors as one line with
//! the right exit code, completions. None needs a cluster.

use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubectl-sidecar"));
    cmd.env_remove("KUBECONFIG")
        .env("HOME", std::env::temp_dir().join("ksc-no-home"));
    cmd
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The one-line error contract: a single line on stderr starting with `error:`.
fn assert_one_line_error(out: &Output, code: i32, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected, got: {err}"
    );
    assert!(err.starts_with("error: "), "{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} missing from: {err}");
    }
    assert!(out.stdout.is_empty(), "nothing on stdout on error");
}

#[test]
fn help_lists_kubectl_global_flags() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--kubeconfig",
        "--context",
        "--cluster",
        "--user",
        "--namespace",
        "--as ",
        "--as-group",
        "--request-timeout",
        "--output",
        "--color",
    ] {
        assert!(text.contains(flag), "{flag} missing from help");
    }
    assert!(
        text.contains("Usage: kubectl sidecar"),
        "bin_name is `kubectl sidecar`"
    );
}

#[test]
fn version_flag() {
    let out = run(&["--version"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn unknown_subcommand_and_bad_output_are_usage_errors() {
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    let out = run(&["check-nodes", "-o", "xml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("xml"));
}

#[test]
fn bad_request_timeout_is_one_line_usage_error() {
    let out = run(&["doctor", "--request-timeout", "ten"]);
    assert_one_line_error(&out, 2, &["--request-timeout", "ten"]);
}

#[test]
fn missing_kubeconfig_is_one_line_cluster_error_before_or_after_subcommand() {
    for args in [
        &["--kubeconfig", "/nonexistent/kubeconfig", "check-nodes"][..],
        &["check-nodes", "--kubeconfig", "/nonexistent/kubeconfig"][..],
    ] {
        let out = run(args);
        assert_one_line_error(&out, 3, &["/nonexistent/kubeconfig", "--kubeconfig"]);
    }
}

#[test]
fn malformed_kubeconfig_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, "apiVersion: v1\nclusters: [ {name: : }\n").unwrap();
    let out = run(&["doctor", "--kubeconfig", path.to_str().unwrap()]);
    assert_one_line_error(&out, 3, &[path.to_str().unwrap()]);
}

#[test]
fn unknown_context_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, KUBECONFIG).unwrap();
    let out = run(&[
        "doctor",
        "--kubeconfig",
        path.to_str().unwrap(),
        "--context",
        "nope",
    ]);
    assert_one_line_error(&out, 3, &["nope"]);
}

#[test]
fn as_group_without_as_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, KUBECONFIG).unwrap();
    let out = run(&[
        "doctor",
        "--kubeconfig",
        path.to_str().unwrap(),
        "--as-group",
        "ops",
    ]);
    assert_one_line_error(&out, 2, &["--as-group", "--as"]);
}

#[test]
fn completion_scripts_in_repo_are_current() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(&["completion", shell]);
        assert!(out.status.success());
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("completions/kubectl-sidecar.{shell}"));
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == out.stdout,
            "{} is stale: regenerate with `cargo run -- completion {shell} > {}`",
            path.display(),
            path.display()
        );
    }
}

#[test]
fn kubectl_plugin_completion_protocol() {
    let out = run(&["__complete", "check-nodes", "--color", ""]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "auto\nalways\nnever\n:4\n"
    );
    let out = run(&["__complete", "--kubeconfig", "x", "-n", "default", "do"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or(""),
        "doctor\tRun every check and print one report with a verdict and the next steps"
    );
}

const KUBECONFIG: &str = r#"apiVersion: v1
kind: Config
current-context: only
contexts:
- name: only
  context: {cluster: c, user: u}
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u
  user: {token: not-a-real-token}
"#;

#[test]
fn unreachable_apiserver_is_one_line_cluster_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, KUBECONFIG.replace("not-a-real-token", "x")).unwrap();
    let cfg = path.to_str().unwrap();
    for cmd in [
        &["check-nodes"][..],
        &["doctor", "-A"][..],
        &["diff-pod", "some-pod"][..],
    ] {
        let mut args = cmd.to_vec();
        args.extend_from_slice(&["--kubeconfig", cfg, "--request-timeout", "5s"]);
        let out = run(&args);
        assert_one_line_error(&out, 3, &["127.0.0.1:1"]);
    }
}
