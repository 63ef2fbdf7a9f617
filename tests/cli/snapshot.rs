//! `snapshot` with no cluster: `-o` names its file (and only there), every flag is checked before
//! the kubeconfig is read, and its help says what it holds.

use crate::case::Case;

#[test]
fn dash_o_names_the_file_and_is_required() {
    Case::new(["snapshot"])
        .run()
        .one_line_error(2, &["snapshot needs -o FILE", "-o -"]);
    Case::new(["snapshot", "-o", "yaml"])
        .run()
        .one_line_error(2, &["-o yaml", "JSON"]);
    Case::new(["snapshot", "-o", "wide"])
        .run()
        .one_line_error(2, &["-o wide"]);
}

#[test]
fn flags_are_checked_before_the_kubeconfig() {
    Case::new(["snapshot", "-o", "s.json", "-l", "app in ("])
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .run()
        .one_line_error(2, &["-l \"app in (\""]);
    Case::new(["snapshot", "-A", "-n", "shop", "-o", "s.json"])
        .run()
        .exit(2);
}

#[test]
fn a_file_after_dash_o_is_refused_by_every_other_command() {
    for command in ["doctor", "check-nodes", "diff-pod", "version"] {
        Case::new([command, "-o", "report.json"])
            .run()
            .one_line_error(2, &["-o report.json: not an output format", "snapshot"]);
    }
}

#[test]
fn help_names_the_file_and_what_the_snapshot_holds() {
    let help = Case::new(["snapshot", "--help"]).run();
    help.exit(0)
        .stdout_has("-o, --output <FILE>")
        .stdout_has("no environment values")
        .stdout_has("kubectl sidecar doctor --snapshot cluster.json")
        .stdout_lacks("--color");
    Case::new(["--help"])
        .run()
        .exit(0)
        .stdout_has("snapshot")
        .stdout_has("kubectl sidecar snapshot -A -o cluster.json");
}

#[test]
fn without_a_cluster_it_fails_as_every_command_does() {
    let out = Case::new(["snapshot", "-o", "never-written.json"])
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .run();
    out.exit(3);
    assert!(!std::path::Path::new("never-written.json").exists());
}

#[test]
fn one_file_holds_one_cluster() {
    Case::new([
        "snapshot",
        "--context",
        "a",
        "--context",
        "b",
        "-o",
        "s.json",
    ])
    .env("KUBECONFIG", "/nonexistent/kubeconfig")
    .run()
    .one_line_error(2, &["snapshot takes one context"]);
}

#[test]
fn manifests_to_dry_run_are_read_before_the_kubeconfig() {
    // -f is read and checked first, as diff-pod -f reads it: bad input is exit 2, not 3.
    Case::new(["snapshot", "-o", "s.json", "-f", "/nonexistent/deploy.yaml"])
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .run()
        .one_line_error(2, &["/nonexistent/deploy.yaml"]);
    Case::new(["snapshot", "-o", "s.json", "-f", "-"])
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .stdin("apiVersion: v1\nkind: Service\nmetadata: {name: svc}\n")
        .run()
        .one_line_error(2, &["no object in the input holds a pod template"]);
    Case::new(["snapshot", "-o", "s.json", "-R"]).run().exit(2);
}
