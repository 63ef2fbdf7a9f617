#![cfg(feature = "e2e")]
//! `kubectl sidecar <TAB>` through a real kubectl: kubectl (1.26+) finds
//! completions/kubectl_complete-sidecar on PATH, which asks `kubectl-sidecar __complete`. Names
//! come live from a real kube-apiserver: namespaces, pods, node labels; contexts from the
//! kubeconfig; and nothing at all (quietly) when the user may not list them.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::TestCluster;

const SCENARIO: &str = "tests/scenarios/doctor-clean.yaml";

fn cluster() -> &'static TestCluster {
    TestCluster::start(SCENARIO)
}

/// A PATH directory holding the plugin and its completion helper, as an install would.
fn plugin_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("ksc-completion-path-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink(
            env!("CARGO_BIN_EXE_kubectl-sidecar"),
            dir.join("kubectl-sidecar"),
        )
        .unwrap();
        std::os::unix::fs::symlink(
            common::crate_root().join("completions/kubectl_complete-sidecar"),
            dir.join("kubectl_complete-sidecar"),
        )
        .unwrap();
        dir
    })
}

/// `kubectl __complete sidecar WORDS...` as the admin: the candidates (without descriptions)
/// and the directive line.
fn kubectl_complete(words: &[&str]) -> (Vec<String>, String) {
    let path = std::env::join_paths(std::iter::once(plugin_dir().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let out = Command::new(common::kubectl())
        .arg("__complete")
        .arg("sidecar")
        .args(words)
        .env("PATH", path)
        .env("KUBECONFIG", cluster().admin_kubeconfig())
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .stdin(Stdio::null())
        .output()
        .expect("kubectl runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "kubectl __complete sidecar {words:?}: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines: Vec<String> = stdout.lines().map(str::to_string).collect();
    let directive = lines.pop().unwrap_or_default();
    let candidates = lines
        .into_iter()
        .map(|l| l.split('\t').next().unwrap_or("").to_string())
        .collect();
    (candidates, directive)
}

#[test]
fn namespaces_come_from_the_cluster() {
    let (names, directive) = kubectl_complete(&["doctor", "-n", ""]);
    for ns in ["default", "kube-system", "shop"] {
        assert!(names.contains(&ns.to_string()), "{ns} in {names:?}");
    }
    assert_eq!(directive, ":4", "no file names");
    let (names, _) = kubectl_complete(&["doctor", "--namespace=sh"]);
    assert_eq!(names, ["--namespace=shop"]);
}

#[test]
fn pod_names_for_diff_pod_in_the_namespace_of_n() {
    let (names, _) = kubectl_complete(&["diff-pod", "-n", "shop", ""]);
    assert_eq!(names, ["web-7c9f6d5b8-q2x4z"]);
    // -n after the pod position counts too, and the partial word filters.
    let (names, _) = kubectl_complete(&["-n", "shop", "diff-pod", "web-7"]);
    assert_eq!(names, ["web-7c9f6d5b8-q2x4z"]);
    // The context's namespace (default) has no pods.
    let (names, _) = kubectl_complete(&["diff-pod", ""]);
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn node_names_for_check_nodes() {
    let (names, _) = kubectl_complete(&["check-nodes", ""]);
    assert_eq!(names, ["node-a", "node-b"]);
    let (names, _) = kubectl_complete(&["check-nodes", "node-a", "node-b"]);
    assert_eq!(names, ["node-b"]);
}

#[test]
fn node_labels_for_check_nodes_selector() {
    let (names, _) = kubectl_complete(&["check-nodes", "-l", "eks"]);
    assert_eq!(names, ["eks.amazonaws.com/nodegroup=main"]);
}

#[test]
fn contexts_from_the_kubeconfig_and_fixed_values() {
    let kubeconfig = kube::config::Kubeconfig::read_from(cluster().admin_kubeconfig()).unwrap();
    let context = kubeconfig
        .current_context
        .expect("the harness sets a current context");
    let (names, _) = kubectl_complete(&["doctor", "--context", ""]);
    assert_eq!(names, [context]);
    let (names, _) = kubectl_complete(&["completion", ""]);
    assert_eq!(names, ["bash", "elvish", "fish", "powershell", "zsh"]);
    let (names, _) = kubectl_complete(&["doctor", "--fail-on", ""]);
    assert_eq!(names, ["error", "warning", "info", "never"]);
    let (names, _) = kubectl_complete(&[""]);
    assert!(names.contains(&"doctor".to_string()) && !names.contains(&"man".to_string()));
}

#[test]
fn a_user_who_may_not_list_gets_nothing_quietly() {
    // Impersonated through the admin's kubeconfig: a user with no RBAC at all.
    let (names, directive) = kubectl_complete(&["--as", "ksc-nobody", "doctor", "-n", ""]);
    assert!(names.is_empty(), "{names:?}");
    assert_eq!(directive, ":4");
    let out = Command::new(env!("CARGO_BIN_EXE_kubectl-sidecar"))
        .args([
            "__complete",
            "--as",
            "ksc-nobody",
            "diff-pod",
            "-n",
            "shop",
            "",
        ])
        .env("KUBECONFIG", cluster().admin_kubeconfig())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), ":4\n");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn kubeconfig_given_after_sidecar_is_used_for_names() {
    // kubectl clears its own global flags before it hands completion to a plugin; the ones
    // typed after `sidecar` reach us.
    let path = std::env::join_paths(std::iter::once(plugin_dir().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let kubeconfig = cluster().admin_kubeconfig().to_str().unwrap().to_string();
    let home = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ksc-completion-no-home");
    let out = Command::new(common::kubectl())
        .args([
            "__complete",
            "sidecar",
            "--kubeconfig",
            &kubeconfig,
            "doctor",
            "-n",
            "sh",
        ])
        .env("PATH", path)
        .env("HOME", home)
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("kubectl runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "shop\n:4\n");
}
