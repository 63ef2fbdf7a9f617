//! What every command shares, with no cluster: kubectl's global flags, errors as one line with
//! the right exit code, completions, the man page and `rbac`.

use std::path::Path;
use std::process::Command;

use crate::case::Case;

fn run(args: &[&str]) -> crate::case::Run {
    Case::new(args).run()
}

#[test]
fn help_lists_kubectl_global_flags() {
    let out = run(&["--help"]);
    out.exit(0);
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
        out.stdout_has(flag);
    }
    // bin_name is `kubectl sidecar`.
    out.stdout_has("Usage: kubectl sidecar");
}

#[test]
fn version_flag_and_command_name_version_commit_and_kubernetes_range() {
    let flag = run(&["--version"]);
    flag.exit(0);
    let command = run(&["version"]);
    command.exit(0);
    assert_eq!(
        flag.stdout(),
        command.stdout(),
        "--version and version agree"
    );
    let text = command.stdout();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(concat!("kubectl-sidecar ", env!("CARGO_PKG_VERSION")))
    );
    let commit = lines.next().unwrap_or("");
    let id = commit.strip_prefix("commit: ").expect("a commit line");
    assert!(
        id == "unknown" || (id.len() >= 7 && id.chars().all(|c| c.is_ascii_hexdigit())),
        "{commit}"
    );
    command.stdout_has("kubernetes: native sidecar rules for 1.28 to ");
    // A git checkout builds with its own commit.
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("git runs");
    if head.status.success() && std::env::var_os("KSC_GIT_COMMIT").is_none() {
        assert!(
            String::from_utf8_lossy(&head.stdout).starts_with(id),
            "{id}"
        );
    }
}

#[test]
fn version_as_json() {
    let v = run(&["version", "-o", "json"]).exit(0).json();
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert!(v["commit"].is_string());
    assert_eq!(v["kubernetes"]["sidecarsFrom"], "1.28");
    let phases = v["kubernetes"]["phases"].as_array().expect("phases");
    let last = phases.last().expect("a last phase");
    assert!(last["last"].is_null());
    assert_eq!(last["first"], v["kubernetes"]["newestKnown"]);
}

/// (subcommand, flags it must list, flags it must not list)
const HELP_FLAGS: &[(&str, &[&str], &[&str])] = &[
    (
        "check-nodes",
        &["--selector", "--context", "--output", "--timeout"],
        &["--namespace", "-n,"],
    ),
    (
        "doctor",
        &["--fail-on", "--namespace", "--context", "--output"],
        &[],
    ),
    ("diff-pod", &["--filename", "--namespace", "--blame"], &[]),
    (
        "completion",
        &[],
        &[
            "--output",
            "--kubeconfig",
            "--context",
            "--namespace",
            "--color",
        ],
    ),
    (
        "version",
        &["--output"],
        &["--kubeconfig", "--context", "--namespace", "--timeout"],
    ),
    (
        "rbac",
        &["--namespace-scoped", "--namespace", "--subject"],
        &["--kubeconfig", "--output", "--timeout"],
    ),
];

#[test]
fn each_command_has_a_description_examples_exit_codes_and_only_its_flags() {
    for (sub, listed, unlisted) in HELP_FLAGS {
        let out = run(&[sub, "--help"]);
        out.exit(0);
        let text = out.stdout();
        let first = text.lines().next().unwrap_or("");
        assert!(first.len() > 40, "{sub}: a paragraph first, got {first:?}");
        assert!(text.contains("\nExamples:\n  "), "{sub}: {text}");
        assert!(text.contains("kubectl sidecar") || text.contains("kubectl-sidecar"));
        assert!(text.contains("\nExit codes:\n  0  "), "{sub}");
        for flag in *listed {
            assert!(text.contains(flag), "{sub}: {flag} missing");
        }
        for flag in *unlisted {
            assert!(!text.contains(flag), "{sub}: {flag} listed but ignored");
        }
        // The command's own flags come before the global ones.
        if let Some(global) = text.find("Global options:") {
            let own = text.find("Options:").expect("an Options heading");
            assert!(own < global, "{sub}");
            let help = text.find("--help").unwrap();
            assert!(help < global, "{sub}: own flags first");
        }
    }
    // The commands that talk to a cluster name all five exit codes.
    for sub in ["check-nodes", "doctor", "diff-pod"] {
        let out = run(&[sub, "--help"]);
        for code in ["  0  ", "  1  ", "  2  ", "  3  ", "  4  incomplete"] {
            out.stdout_has(code);
        }
    }
}

#[test]
fn ignored_global_flags_are_still_accepted() {
    // A kubectl habit (-n everywhere) must not fail a command that ignores it.
    run(&["completion", "bash", "-n", "x", "--context", "c"]).exit(0);
    run(&["version", "-n", "x"]).exit(0);
}

#[test]
fn unknown_subcommand_and_bad_output_are_usage_errors() {
    run(&["frobnicate"]).exit(2);
    run(&["check-nodes", "-o", "xml"]).exit(2).stderr_has("xml");
}

#[test]
fn bad_request_timeout_is_one_line_usage_error() {
    run(&["doctor", "--request-timeout", "ten"]).one_line_error(2, &["--request-timeout", "ten"]);
}

#[test]
fn missing_kubeconfig_is_one_line_cluster_error_before_or_after_subcommand() {
    for args in [
        &["--kubeconfig", "/nonexistent/kubeconfig", "check-nodes"][..],
        &["check-nodes", "--kubeconfig", "/nonexistent/kubeconfig"][..],
    ] {
        run(args).one_line_error(3, &["/nonexistent/kubeconfig", "--kubeconfig"]);
    }
}

#[test]
fn malformed_kubeconfig_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, "apiVersion: v1\nclusters: [ {name: : }\n").unwrap();
    run(&["doctor", "--kubeconfig", path.to_str().unwrap()])
        .one_line_error(3, &[path.to_str().unwrap()]);
}

#[test]
fn unknown_context_cluster_and_user_in_kubectl_words() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, KUBECONFIG).unwrap();
    let cfg = path.to_str().unwrap();
    for (flag, words) in [
        ("--context", "context \"nope\" does not exist"),
        ("--cluster", "cluster \"nope\" does not exist"),
        ("--user", "user \"nope\" does not exist"),
    ] {
        run(&["doctor", "--kubeconfig", cfg, flag, "nope"])
            .one_line_error(3, &[words])
            .stderr_lacks("failed to load");
    }
    // The same through KUBECONFIG.
    Case::new(["check-nodes", "--context", "nope"])
        .env("KUBECONFIG", &path)
        .run()
        .one_line_error(3, &["context \"nope\" does not exist"]);
}

#[test]
fn missing_files_in_kubeconfig_list_are_skipped_as_kubectl_skips_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, KUBECONFIG).unwrap();
    let list = std::env::join_paths([
        dir.path().join("missing-1"),
        path.clone(),
        dir.path().join("missing-2"),
    ])
    .unwrap();
    // It got as far as the apiserver of the one file that exists.
    Case::new(["check-nodes", "--request-timeout", "3s"])
        .env("KUBECONFIG", &list)
        .run()
        .one_line_error(3, &["127.0.0.1:1"])
        .stderr_lacks("missing-1");
    // Only when none exists is it an error, naming the list.
    let none = std::env::join_paths([dir.path().join("missing-1")]).unwrap();
    Case::new(["check-nodes"])
        .env("KUBECONFIG", &none)
        .run()
        .one_line_error(3, &["missing-1", "KUBECONFIG"]);
}

fn exec_kubeconfig(dir: &Path, command: &str) -> std::path::PathBuf {
    let path = dir.join("exec-config");
    let text = KUBECONFIG.replace(
        "user: {token: not-a-real-token}",
        &format!(
            "user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {command}\n      args: [\"get-token\", \"--secret=s3cr3t\"]\n      interactiveMode: Never"
        ),
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn exec_credential_plugin_failures_name_the_command_and_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = exec_kubeconfig(dir.path(), "ksc-no-such-credential-plugin");
    run(&["doctor", "--kubeconfig", missing.to_str().unwrap()])
        .one_line_error(
            3,
            &[
                "exec: executable ksc-no-such-credential-plugin not found",
                "user \"u\"",
            ],
        )
        .stderr_lacks("certificate");

    let script = dir.path().join("failing-plugin");
    std::fs::write(
        &script,
        "#!/bin/sh\necho 'the session expired; log in again' >&2\nexit 3\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let failing = exec_kubeconfig(dir.path(), script.to_str().unwrap());
    run(&["check-nodes", "--kubeconfig", failing.to_str().unwrap()])
        .one_line_error(
            3,
            &[
                script.to_str().unwrap(),
                "exit code 3",
                "the session expired; log in again",
            ],
        )
        // Its arguments may carry secrets.
        .stderr_lacks("s3cr3t");
}

#[test]
fn as_group_without_as_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, KUBECONFIG).unwrap();
    run(&[
        "doctor",
        "--kubeconfig",
        path.to_str().unwrap(),
        "--as-group",
        "ops",
    ])
    .one_line_error(2, &["--as-group", "--as"]);
}

#[test]
fn completion_scripts_and_man_page_in_repo_are_current() {
    for (args, file) in [
        (&["completion", "bash"][..], "kubectl-sidecar.bash"),
        (&["completion", "zsh"][..], "kubectl-sidecar.zsh"),
        (&["completion", "fish"][..], "kubectl-sidecar.fish"),
        (&["completion", "powershell"][..], "kubectl-sidecar.ps1"),
        (&["man"][..], "kubectl-sidecar.1"),
    ] {
        let out = run(args);
        out.exit(0);
        assert!(!out.stdout_bytes().is_empty(), "{args:?}");
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("completions")
            .join(file);
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == out.stdout_bytes(),
            "{} is stale: regenerate with `cargo run -- {} > {}`",
            path.display(),
            args.join(" "),
            path.display()
        );
    }
}

/// Runs the committed bash script's completion function the way bash does on TAB, and returns
/// COMPREPLY.
fn bash_complete(words: &[&str]) -> Vec<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/kubectl-sidecar.bash");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let prev = if cword > 0 { words[cword - 1] } else { "" };
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; COMP_LINE='{}'; COMP_POINT=${{#COMP_LINE}}; \
         _kubectl__sidecar kubectl-sidecar '{}' '{prev}' 2>/dev/null; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words.join(" "),
        words[cword],
    );
    let out = Command::new("bash")
        .args(["--norc", "-c", &program])
        .output()
        .expect("bash runs (needed for this test)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_script_completes_each_subcommands_own_flags() {
    for (words, expect) in [
        (&["kubectl-sidecar", "doctor", "--fa"][..], "--fail-on"),
        (
            &["kubectl-sidecar", "check-nodes", "--conc"][..],
            "--concurrency",
        ),
        (&["kubectl-sidecar", "diff-pod", "--bla"][..], "--blame"),
        (
            &["kubectl-sidecar", "rbac", "--namespace-s"][..],
            "--namespace-scoped",
        ),
        (&["kubectl-sidecar", "version", "--out"][..], "--output"),
        (
            &["kubectl-sidecar", "doctor", "--fail-on", "w"][..],
            "warning",
        ),
        (&["kubectl-sidecar", "completion", "fi"][..], "fish"),
        (&["kubectl-sidecar", "do"][..], "doctor"),
    ] {
        let got = bash_complete(words);
        assert_eq!(got, [expect], "{words:?}");
    }
    // Flags a command ignores are not offered.
    assert_eq!(
        bash_complete(&["kubectl-sidecar", "check-nodes", "--nam"]),
        Vec::<String>::new()
    );
    assert_eq!(
        bash_complete(&["kubectl-sidecar", "completion", "--k"]),
        Vec::<String>::new()
    );
    // Names are never completed as file names.
    let got = bash_complete(&["kubectl-sidecar", "doctor", "--context", "Cargo"]);
    assert!(!got.iter().any(|c| c == "Cargo.toml"), "{got:?}");
}

#[test]
fn kubectl_plugin_completion_protocol() {
    let out = run(&["__complete", "check-nodes", "--color", ""]);
    out.exit(0);
    assert_eq!(out.stdout(), "auto\nalways\nnever\n:4\n");
    let out = run(&["__complete", "--kubeconfig", "x", "-n", "default", "do"]);
    assert_eq!(
        out.stdout().lines().next().unwrap_or(""),
        "doctor\tRun every check and print one report with a verdict and the next steps"
    );
}

#[test]
fn kubectl_plugin_completion_of_names_from_the_kubeconfig_and_fixed_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(
        &path,
        KUBECONFIG.replace(
            "contexts:\n",
            "contexts:\n- name: staging\n  context: {cluster: c, user: u}\n",
        ),
    )
    .unwrap();
    let cfg = path.to_str().unwrap();
    let complete = |args: &[&str]| {
        let out = run(&[&["__complete"][..], args].concat());
        out.exit(0);
        out.stdout().to_string()
    };
    assert_eq!(
        complete(&["--kubeconfig", cfg, "doctor", "--context", ""]),
        "only\nstaging\n:4\n"
    );
    assert_eq!(
        complete(&["doctor", "--kubeconfig", cfg, "--context=st"]),
        "--context=staging\n:4\n"
    );
    assert_eq!(complete(&["--kubeconfig", cfg, "--user", ""]), "u\n:4\n");
    assert_eq!(complete(&["completion", "z"]), "zsh\n:4\n");
    assert!(complete(&["rbac", "--omit", "nodes-"]).starts_with("nodes-proxy\n"));
    // Live names from an apiserver that does not answer: nothing, quietly and at once.
    let out = run(&["__complete", "--kubeconfig", cfg, "doctor", "-n", ""]);
    out.exit(0).stderr_empty();
    assert_eq!(out.stdout(), ":4\n");
    assert!(out.took() < std::time::Duration::from_secs(5));
    // Flags a command ignores are not offered.
    assert!(!complete(&["check-nodes", "--name"]).contains("--namespace"));
}

#[test]
fn rbac_prints_roles_and_bindings_and_refuses_bad_input() {
    run(&["rbac", "--subject", "User:alice"])
        .exit(0)
        .stdout_has("kind: ClusterRole\n")
        .stdout_has("kind: ClusterRoleBinding\n")
        .stdout_has("name: \"alice\"")
        .stdout_has("#   Without it: ");
    run(&["rbac", "--namespace-scoped"]).one_line_error(2, &["--namespace-scoped", "-n"]);
    run(&["rbac", "--subject", "alice"]).one_line_error(2, &["--subject", "alice"]);
    run(&["rbac", "--namespace-scoped", "-n", "shop"])
        .stdout_has("kind: Role\n")
        .stdout_has("namespace: \"shop\"");
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
        run(&args).one_line_error(3, &["127.0.0.1:1"]);
    }
}
