//! Several clusters in one run (`--context` repeated, `--all-contexts`) with no cluster: the
//! apiservers are loopback ports that refuse, and listeners that accept and never answer. What
//! is refused before any cluster is asked, the summary rows, the List document, the exit rule,
//! each cluster's own deadline and the bound on clusters at once.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::case::Case;

/// A kubeconfig with one context per (name, server), each with a cluster `c-NAME`.
fn kubeconfig(dir: &Path, contexts: &[(&str, String)]) -> PathBuf {
    let mut text = String::from("apiVersion: v1\nkind: Config\n");
    text.push_str(&format!("current-context: {}\nclusters:\n", contexts[0].0));
    for (name, server) in contexts {
        text.push_str(&format!(
            "- name: c-{name}\n  cluster: {{server: \"{server}\"}}\n"
        ));
    }
    text.push_str("contexts:\n");
    for (name, _) in contexts {
        text.push_str(&format!(
            "- name: {name}\n  context: {{cluster: c-{name}, user: u}}\n"
        ));
    }
    text.push_str("users:\n- name: u\n  user: {token: not-a-real-token}\n");
    let path = dir.join("config");
    std::fs::write(&path, text).unwrap();
    path
}

/// A loopback port nothing listens on: connections are refused at once.
fn dead() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("https://127.0.0.1:{port}")
}

/// A listener that accepts every connection and never says a word (a stalled apiserver),
/// for as long as the test runs.
fn silent() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    format!("https://127.0.0.1:{port}")
}

fn run(config: &Path, args: &[&str]) -> crate::case::Run {
    Case::new(["--kubeconfig", &config.to_string_lossy()])
        .args(args)
        .run()
}

#[test]
fn one_summary_row_per_cluster_then_each_clusters_section_and_one_stderr_line_each() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = kubeconfig(dir.path(), &[("east", dead()), ("west", dead())]);
    for command in ["check-nodes", "doctor"] {
        let out = run(&cfg, &[command, "--context", "west", "--context", "east"]);
        out.exit(3)
            .stderr_has("error: context west: reading the apiserver version")
            .stderr_has("error: context east: ");
        let lines: Vec<&str> = out.stdout().lines().collect();
        assert!(lines[0].starts_with("CONTEXT") && lines[0].contains("VERDICT"));
        assert!(lines[0].trim_end().ends_with("COVERAGE"), "{}", lines[0]);
        // Rows in the order given, each with its cluster and the cause.
        assert!(lines[1].starts_with("west") && lines[1].contains("c-west"));
        assert!(lines[2].starts_with("east") && lines[2].contains("unreachable"));
        out.stdout_has("=== CONTEXT west (cluster c-west) ===")
            .stdout_has("=== CONTEXT east (cluster c-east) ===");
        assert_eq!(out.stderr().lines().count(), 2, "{}", out.stderr());
    }
    let out = run(
        &cfg,
        &["check-nodes", "--context", "east", "--context", "west"],
    );
    out.stdout_has("NODES").stdout_has("UNSUPPORTED");
    let out = run(&cfg, &["doctor", "--all-contexts", "-A"]);
    out.exit(3).stdout_has("ERRORS").stdout_has("WARNINGS");
}

#[test]
fn json_and_yaml_are_a_list_of_one_document_per_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = kubeconfig(dir.path(), &[("b", dead()), ("a", dead())]);
    let out = run(&cfg, &["check-nodes", "--all-contexts", "-o", "json"]);
    let doc = out.exit(3).json();
    assert_eq!(doc["apiVersion"], "v1");
    assert_eq!(doc["kind"], "List");
    let items = doc["items"].as_array().unwrap();
    // --all-contexts goes by name, as `kubectl config get-contexts` lists them.
    let names: Vec<&str> = items
        .iter()
        .map(|i| i["context"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b"]);
    let a = &items[0];
    assert_eq!(a["apiVersion"], "kubectl-sidecar/v1");
    assert_eq!(a["kind"], "ClusterError");
    assert_eq!(a["context"]["cluster"], "c-a");
    assert_eq!(a["error"]["cause"], "unreachable");
    assert_eq!(a["error"]["exitCode"], 3);
    assert!(
        a["error"]["message"]
            .as_str()
            .unwrap()
            .contains("GET /version")
    );
    let yaml = run(&cfg, &["doctor", "--all-contexts", "-o", "yaml"])
        .exit(3)
        .yaml();
    assert_eq!(yaml["kind"], "List");
    assert_eq!(yaml["items"][1]["context"]["name"], "b");
}

/// `-o sarif`: one run per cluster with a category of its own; a cluster that could not be
/// examined is a failed run (no results, the one-line error as a notification), never a clean
/// one. `-o junit`: each cluster's suites, a cluster that could not be examined a testcase in
/// error. Both valid, in the order the contexts were given, with the fleet's exit code.
#[test]
fn ci_formats_give_each_cluster_a_run_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = kubeconfig(dir.path(), &[("east", dead()), ("west", dead())]);
    for command in ["check-nodes", "doctor"] {
        let two = [command, "--context", "west", "--context", "east"];
        let out = run(&cfg, &[&two[..], &["-o", "sarif"]].concat());
        out.exit(3).stderr_has("error: context west: ");
        let doc = crate::ci_formats::valid_sarif(&out, command);
        let runs = doc["runs"].as_array().unwrap();
        let ids: Vec<&str> = runs
            .iter()
            .map(|r| r["automationDetails"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [
                format!("kubectl-sidecar/{command}/west/"),
                format!("kubectl-sidecar/{command}/east/")
            ]
        );
        for (run, name) in runs.iter().zip(["west", "east"]) {
            let inv = &run["invocations"][0];
            assert_eq!(inv["executionSuccessful"], false, "{run}");
            assert_eq!(inv["exitCode"], 3);
            let note = &inv["toolExecutionNotifications"][0];
            assert_eq!(note["level"], "error");
            assert_eq!(note["descriptor"]["id"], "cluster/unreachable");
            let text = note["message"]["text"].as_str().unwrap();
            assert!(
                text.starts_with(&format!("context {name}: reading the apiserver version")),
                "{text}"
            );
            assert!(!text.contains("not-a-real-token"), "{text}");
            assert_eq!(run["results"], serde_json::json!([]));
            assert_eq!(
                run["tool"]["driver"]["properties"]["cluster"],
                format!("c-{name}")
            );
            assert!(
                !run["tool"]["driver"]["rules"]
                    .as_array()
                    .unwrap()
                    .is_empty()
            );
        }
        let out = run(&cfg, &[&two[..], &["-o", "junit"]].concat());
        out.exit(3);
        let xml = out.stdout();
        assert_eq!(
            crate::ci_formats::junit_counts(xml, command),
            (2, 2, 0, 0),
            "{xml}"
        );
        let west = xml.find("name=\"west: Cluster\"").expect(xml);
        let east = xml.find("name=\"east: Cluster\"").expect(xml);
        assert!(west < east, "{xml}");
        assert!(xml.contains(&format!(
            "classname=\"kubectl-sidecar.{command}.west.cluster\""
        )));
        assert!(xml.contains("type=\"unreachable\""), "{xml}");
    }
}

#[test]
fn one_context_given_twice_is_one_cluster_with_todays_output() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = kubeconfig(dir.path(), &[("a", dead()), ("b", dead())]);
    let one = run(&cfg, &["check-nodes", "--context", "b"]);
    one.one_line_error(3, &["reading the apiserver version", "GET /version"]);
    let twice = run(&cfg, &["check-nodes", "--context", "b", "--context", "b"]);
    twice.one_line_error(3, &["reading the apiserver version"]);
    assert_eq!(
        one.stderr().replace(char::is_numeric, ""),
        twice.stderr().replace(char::is_numeric, "")
    );
}

#[test]
fn what_several_contexts_cannot_do_is_refused_in_one_line_before_any_cluster_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    // A silent apiserver: any request would take the whole --timeout.
    let cfg = kubeconfig(dir.path(), &[("a", silent()), ("b", silent())]);
    let two = ["--context", "a", "--context", "b", "--timeout", "20s"];
    let refused = |args: &[&str], code: i32, needles: &[&str]| {
        let out = run(&cfg, &[args, &two[..]].concat());
        out.one_line_error(code, needles);
        assert!(
            out.took() < Duration::from_secs(5),
            "{args:?} asked a cluster"
        );
    };
    refused(
        &["check-nodes", "--save-snapshot", "x.json"],
        2,
        &["--save-snapshot cannot be used with several contexts"],
    );
    refused(
        &["doctor", "--snapshot", "x.json"],
        2,
        &["--snapshot cannot be used with several contexts"],
    );
    refused(&["diff-pod", "-f", "-"], 2, &["diff-pod takes one context"]);
    refused(
        &["check-nodes", "--cluster", "c-a"],
        2,
        &["--cluster cannot be used with several contexts"],
    );
    refused(
        &["doctor", "--user", "u"],
        2,
        &["--user cannot be used with several contexts"],
    );
    refused(
        &["doctor", "--max-clusters", "0"],
        2,
        &["--max-clusters must be at least 1"],
    );
    // A name the kubeconfig lacks, among good ones: kubectl's words, nothing asked.
    refused(
        &["doctor", "--context", "nope"],
        3,
        &["context \"nope\" does not exist"],
    );
    // kubectl takes `--context a,b` as one name; the hint says how to give several.
    let out = run(&cfg, &["check-nodes", "--context", "a,b"]);
    out.one_line_error(
        3,
        &[
            "context \"a,b\" does not exist",
            "repeat the flag: --context a --context b",
        ],
    );
    // --all-contexts already names every context.
    let out = run(&cfg, &["doctor", "--all-contexts", "--context", "a"]);
    out.exit(2).stdout_empty().stderr_has("cannot be used with");
}

#[test]
fn each_cluster_has_its_own_deadline_and_at_most_max_clusters_run_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = kubeconfig(
        dir.path(),
        &[("dead", dead()), ("slow1", silent()), ("slow2", silent())],
    );
    let limits = ["--request-timeout", "2s", "--timeout", "10s"];
    // All at once: the two silent clusters time out side by side, the dead one is answered.
    let out = run(
        &cfg,
        &[&["check-nodes", "--all-contexts"][..], &limits].concat(),
    );
    out.exit(3);
    let rows: Vec<&str> = out.stdout().lines().skip(1).take(3).collect();
    assert!(
        rows[0].starts_with("dead") && rows[0].contains("unreachable"),
        "{rows:?}"
    );
    assert!(
        rows[1].starts_with("slow1") && rows[1].contains("timeout"),
        "{rows:?}"
    );
    assert!(
        rows[2].contains("no answer within 2s (--request-timeout)"),
        "{rows:?}"
    );
    assert!(
        out.took() < Duration::from_secs(4),
        "two 2s requests at once took {:?}",
        out.took()
    );
    // One at a time, with only --timeout: the second silent cluster waits for the first, then
    // has its whole --timeout of its own (not what the first one left).
    let one_at_a_time = [
        "check-nodes",
        "--all-contexts",
        "--max-clusters",
        "1",
        "--request-timeout",
        "0",
        "--timeout",
        "2s",
    ];
    let out = run(&cfg, &one_at_a_time);
    out.exit(3);
    assert_eq!(
        out.stdout()
            .matches("no answer before the run's --timeout (2s) ran out")
            .count(),
        4,
        "both silent clusters, in their row and their section: {}",
        out.stdout()
    );
    out.stdout_lacks("had passed");
    assert!(
        out.took() >= Duration::from_secs(4),
        "two 2s deadlines one after the other took {:?}",
        out.took()
    );
}

#[test]
fn context_names_complete_from_the_kubeconfig_except_those_given() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = kubeconfig(dir.path(), &[("east", dead()), ("west", dead())]);
    let cfg = cfg.to_string_lossy();
    let out = Case::new([
        "__complete",
        "--kubeconfig",
        &cfg,
        "doctor",
        "--context",
        "",
    ])
    .run();
    assert_eq!(out.exit(0).stdout(), "east\nwest\n:4\n");
    let out = Case::new([
        "__complete",
        "--kubeconfig",
        &cfg,
        "doctor",
        "--context",
        "west",
        "--context",
        "",
    ])
    .run();
    assert_eq!(out.exit(0).stdout(), "east\n:4\n");
    let out = Case::new(["__complete", "check-nodes", "--all"]).run();
    assert!(
        out.exit(0).stdout().contains("--all-contexts\t"),
        "{}",
        out.stdout()
    );
    let out = Case::new(["__complete", "diff-pod", "--all"]).run();
    assert!(
        !out.exit(0).stdout().contains("--all-contexts"),
        "{}",
        out.stdout()
    );
}

#[test]
fn on_a_terminal_one_progress_line_names_the_cluster_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = kubeconfig(dir.path(), &[("east", silent()), ("west", dead())]);
    let shown = Case::new(["--kubeconfig", &cfg.to_string_lossy()])
        .args(["check-nodes", "--all-contexts", "--request-timeout", "1s"])
        .on_terminal();
    // west is refused at once, east is silent: the line keeps naming east.
    assert!(
        shown.contains("examining clusters 1/2, waiting for east"),
        "{shown:?}"
    );
    // Erased before anything else is written: the errors and the summary start clean.
    assert!(shown.contains("\r\x1b[Kerror: context east"), "{shown:?}");
    assert_eq!(shown.matches("examining clusters").count(), 3, "{shown:?}");
}

#[test]
fn doctor_offline_takes_no_context_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = kubeconfig(dir.path(), &[("a", dead()), ("b", dead())]);
    run(&cfg, &["doctor", "--offline", "-f", "-", "--all-contexts"])
        .one_line_error(2, &["--offline cannot be used with several contexts"]);
}
