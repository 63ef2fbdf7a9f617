//! Black-box tests of `diff-pod` that need no cluster: bad input is one line on stderr and exit
//! 2 before any connection is tried; an unreachable cluster is one line and exit 3.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubectl-sidecar"));
    cmd.env_remove("KUBECONFIG")
        .env("HOME", std::env::temp_dir().join("ksc-no-home"));
    cmd
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/manifests")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn run_stdin(args: &[&str], input: &str) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.as_bytes())
            .expect("stdin accepts the input");
    }
    child.wait_with_output().expect("the binary finishes")
}

/// The one-line error contract: a single `error:` line on stderr, nothing on stdout.
fn assert_one_line_error(out: &Output, code: i32, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
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

fn path(p: &Path) -> &str {
    p.to_str().expect("fixture paths are UTF-8")
}

#[test]
fn neither_pod_nor_file_is_a_usage_error() {
    let out = run(&["diff-pod"]);
    assert_one_line_error(&out, 2, &["needs a POD name or -f"]);
}

#[test]
fn pod_and_file_together_are_refused_by_clap() {
    let f = fixture("pod.yaml");
    let out = run(&["diff-pod", "mypod", "-f", path(&f)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}

#[test]
fn missing_file() {
    let out = run(&["diff-pod", "-f", "/nonexistent/deploy.yaml"]);
    assert_one_line_error(&out, 2, &["cannot read /nonexistent/deploy.yaml"]);
}

#[test]
fn invalid_yaml_names_file_and_line() {
    let f = fixture("bad/invalid.yaml");
    let out = run(&["diff-pod", "-f", path(&f)]);
    assert_one_line_error(&out, 2, &["invalid.yaml: invalid YAML", "line"]);
}

#[test]
fn template_without_containers() {
    let f = fixture("bad/no-containers.yaml");
    let out = run(&["diff-pod", "-f", path(&f)]);
    assert_one_line_error(
        &out,
        2,
        &[
            "Deployment/empty",
            "spec.template.spec.containers is missing",
        ],
    );
}

#[test]
fn object_without_kind() {
    let f = fixture("bad/no-kind.yaml");
    let out = run(&["diff-pod", "-f", path(&f)]);
    assert_one_line_error(&out, 2, &["no-kind.yaml: the object has no kind"]);
}

#[test]
fn input_without_any_pod_template() {
    let f = fixture("bad/service.yaml");
    let out = run(&["diff-pod", "-f", path(&f)]);
    assert_one_line_error(
        &out,
        2,
        &[
            "no object in the input holds a pod template",
            "Service/only-a-service",
        ],
    );
}

#[test]
fn bad_stdin() {
    let out = run_stdin(&["diff-pod", "-f", "-"], "kind: [\n");
    assert_one_line_error(&out, 2, &["stdin: invalid YAML"]);
    let out = run_stdin(&["diff-pod", "-f", "-"], "");
    assert_one_line_error(&out, 2, &["stdin: no objects found"]);
    let out = run_stdin(&["diff-pod", "-f", "-"], "[1, 2]");
    assert_one_line_error(&out, 2, &["stdin: not a Kubernetes object"]);
}

#[test]
fn directory_without_manifests() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("notes.txt"), "hello").expect("write");
    let out = run(&["diff-pod", "-f", path(dir.path())]);
    assert_one_line_error(&out, 2, &["no .yaml, .yml or .json files"]);
}

#[test]
fn namespace_flag_must_agree_with_the_manifest() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let f = dir.path().join("ns.yaml");
    std::fs::write(
        &f,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec: {containers: [{name: a, image: b}]}\n",
    )
    .expect("write");
    let out = run(&["diff-pod", "-f", path(&f), "-n", "other"]);
    assert_one_line_error(
        &out,
        2,
        &[
            "\"shop\" does not match the namespace \"other\"",
            "--namespace=shop",
        ],
    );
}

/// Bad input wins over a missing kubeconfig: the manifest is read before any connection.
#[test]
fn bad_manifest_fails_before_connecting() {
    let f = fixture("bad/invalid.yaml");
    let out = bin()
        .args([
            "diff-pod",
            "-f",
            path(&f),
            "--kubeconfig",
            "/nonexistent/kubeconfig",
        ])
        .output()
        .expect("runs");
    assert_one_line_error(&out, 2, &["invalid YAML"]);
}

#[test]
fn unreachable_cluster_is_exit_3() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let kubeconfig = dir.path().join("config");
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:1\", insecure-skip-tls-verify: true}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u, namespace: ns}\ncurrent-context: x\n",
    )
    .expect("write");
    let f = fixture("deployment-sidecar.yaml");
    let out = bin()
        .args([
            "diff-pod",
            "-f",
            path(&f),
            "--kubeconfig",
            path(&kubeconfig),
            "--request-timeout",
            "5s",
        ])
        .output()
        .expect("runs");
    assert_one_line_error(&out, 3, &["GET /version"]);
    let out = bin()
        .args([
            "diff-pod",
            "some-pod",
            "--kubeconfig",
            path(&kubeconfig),
            "--request-timeout",
            "5s",
        ])
        .output()
        .expect("runs");
    assert_one_line_error(&out, 3, &["GET /version"]);
}
