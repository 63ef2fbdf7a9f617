#![cfg(feature = "e2e")]
//! Several clusters in one run against real apiservers: two harness scenarios up at once
//! (doctor-clean, ready; doctor-mixed, not ready), a context whose apiserver is a dead loopback
//! port, and one behind a fault proxy that stalls every request. The healthy clusters report in
//! full, each as a single run against it would; the dead one says unreachable, the stalled one
//! timeout; the run takes as long as its slowest cluster, not the sum.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::TestCluster;
use serde_json::Value;

const CLEAN: &str = "tests/scenarios/doctor-clean.yaml";
const MIXED: &str = "tests/scenarios/doctor-mixed.yaml";

/// Both scenarios, brought up side by side (each takes a while to start).
fn clusters() -> (&'static TestCluster, &'static TestCluster) {
    let clean = std::thread::spawn(|| TestCluster::start(CLEAN));
    let mixed = TestCluster::start(MIXED);
    (clean.join().expect("doctor-clean comes up"), mixed)
}

/// The server, CA and token of a harness kubeconfig (one cluster, one token user).
fn parts(kubeconfig: &Path) -> (String, String, String) {
    let text = std::fs::read_to_string(kubeconfig).expect("kubeconfig readable");
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .unwrap_or_else(|| panic!("{key} in {}", kubeconfig.display()))
            .trim()
            .to_string()
    };
    (
        field("server:"),
        field("certificate-authority-data:"),
        field("token:"),
    )
}

/// One kubeconfig holding each (context name, harness kubeconfig), each with its own cluster
/// and user (the harness names every admin `ksc-admin`, so files cannot simply be merged),
/// plus `dead`: an apiserver on a loopback port nothing listens on.
fn fleet_kubeconfig(dir: &Path, contexts: &[(&str, &Path)]) -> PathBuf {
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (mut clusters, mut users, mut named) = (String::new(), String::new(), String::new());
    for (name, kubeconfig) in contexts {
        let (server, ca, token) = parts(kubeconfig);
        clusters.push_str(&format!(
            "- name: {name}\n  cluster: {{server: \"{server}\", certificate-authority-data: {ca}}}\n"
        ));
        users.push_str(&format!("- name: {name}\n  user: {{token: {token}}}\n"));
        named.push_str(&format!(
            "- name: {name}\n  context: {{cluster: {name}, user: {name}, namespace: default}}\n"
        ));
    }
    clusters.push_str(&format!(
        "- name: dead\n  cluster: {{server: \"https://127.0.0.1:{dead_port}\"}}\n"
    ));
    users.push_str("- name: dead\n  user: {token: nothing}\n");
    named.push_str("- name: dead\n  context: {cluster: dead, user: dead}\n");
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n{clusters}users:\n{users}contexts:\n{named}current-context: dead\n"
    );
    let path = dir.join("fleet.kubeconfig");
    std::fs::write(&path, text).unwrap();
    path
}

/// Contexts `clean` and `mixed` (both scenarios up) and `dead`.
fn clean_mixed_and_dead(dir: &Path) -> PathBuf {
    let (clean, mixed) = clusters();
    fleet_kubeconfig(
        dir,
        &[
            ("clean", clean.admin_kubeconfig()),
            ("mixed", mixed.admin_kubeconfig()),
        ],
    )
}

fn item<'a>(list: &'a Value, context: &str) -> &'a Value {
    list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["context"]["name"] == context))
        .unwrap_or_else(|| panic!("no item for {context}: {list}"))
}

/// A document without what differs between two runs: when it was collected, and fetch
/// durations and the like that the reports do not hold anyway.
fn stable(mut doc: Value) -> Value {
    doc["collectedAt"] = Value::Null;
    doc
}

#[test]
fn healthy_clusters_report_in_full_beside_a_dead_and_a_stalled_one() {
    let (clean, mixed) = clusters();
    let dir = tempfile::tempdir().unwrap();
    // The clean scenario again, behind a proxy that never answers anything.
    let stalled = clean.fault_proxy("contexts-stall", "admin", &["* /* stall"]);
    let kubeconfig = fleet_kubeconfig(
        dir.path(),
        &[
            ("clean", clean.admin_kubeconfig()),
            ("mixed", mixed.admin_kubeconfig()),
            ("stalled", &stalled),
        ],
    );
    let limits = ["--request-timeout", "4s", "--timeout", "60s"];
    for command in ["check-nodes", "doctor"] {
        let mut args = vec![command, "--all-contexts", "-o", "json"];
        args.extend(limits);
        let run = common::run_bounded(&kubeconfig, &args, Duration::from_secs(60));
        assert!(!run.killed, "{command}: {run:?}");
        // mixed stands in the way: a definite negative beats the unusable clusters.
        assert_eq!(run.code, Some(1), "{command}: {}", run.stderr);
        // The slowest cluster (one 4s request) bounds the run, not the sum of the clusters.
        assert!(
            run.elapsed >= Duration::from_secs(4) && run.elapsed < Duration::from_secs(20),
            "{command} took {:?}",
            run.elapsed
        );
        let list: Value = serde_json::from_str(&run.stdout).expect("a JSON list");
        common::assert_schema("List", &list);
        let names: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["context"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["clean", "dead", "mixed", "stalled"]);
        let dead = item(&list, "dead");
        assert_eq!(dead["kind"], "ClusterError");
        assert_eq!(dead["error"]["cause"], "unreachable", "{dead}");
        let stalled = item(&list, "stalled");
        assert_eq!(stalled["kind"], "ClusterError");
        assert_eq!(stalled["error"]["cause"], "timeout", "{stalled}");
        assert!(
            stalled["error"]["message"]
                .as_str()
                .unwrap()
                .contains("no answer within 4s (--request-timeout)"),
            "{stalled}"
        );
        // Each healthy cluster's item is what a single run against it prints.
        for (name, exit) in [("clean", 0), ("mixed", 1)] {
            let mut single = vec![command, "--context", name, "-o", "json"];
            single.extend(limits);
            let one = common::run_bounded(&kubeconfig, &single, Duration::from_secs(60));
            assert_eq!(
                one.code,
                Some(exit),
                "{command} --context {name}: {}",
                one.stderr
            );
            let one: Value = serde_json::from_str(&one.stdout).unwrap();
            assert_eq!(
                stable(item(&list, name).clone()),
                stable(one),
                "{command}: the item for {name} differs from a single run"
            );
        }
        let clean = item(&list, "clean");
        let complete = clean["coverage"]["sections"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["decisive"] == false || s["gaps"].as_array().unwrap().is_empty());
        assert!(
            complete,
            "clean was not fully examined beside the stalled one: {clean}"
        );
    }
}

#[test]
fn the_table_has_a_row_per_cluster_then_each_report() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = clean_mixed_and_dead(dir.path());
    let (status, stdout, stderr) = common::run_product(
        &kubeconfig,
        &["doctor", "-A", "--context", "mixed", "--context", "clean"],
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("CONTEXT"), "{stdout}");
    assert!(
        lines[1].starts_with("mixed") && lines[1].contains("not ready"),
        "{stdout}"
    );
    assert!(
        lines[2].starts_with("clean")
            && lines[2].contains("ready")
            && lines[2].contains("complete"),
        "{stdout}"
    );
    let mixed_at = stdout.find("=== CONTEXT mixed").expect("mixed's report");
    let clean_at = stdout.find("=== CONTEXT clean").expect("clean's report");
    assert!(mixed_at < clean_at, "reports in the order given");
    assert!(
        stdout[mixed_at..clean_at].contains("VERDICT\n  not ready"),
        "{stdout}"
    );
    assert!(stderr.is_empty(), "{stderr}");
    // check-nodes: both clusters examined, counts per cluster.
    let (status, stdout, stderr) = common::run_product(
        &kubeconfig,
        &["check-nodes", "--context", "clean", "--context", "mixed"],
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
    let clean_row = stdout.lines().nth(1).unwrap();
    let cells: Vec<&str> = clean_row.split_whitespace().collect();
    assert_eq!(
        &cells[..8],
        ["clean", "clean", "supported", "2", "2", "0", "0", "0"],
        "{stdout}"
    );
}

/// (ruleId, level, object) of every result of a SARIF run.
fn results(run: &Value) -> Vec<(String, String, String)> {
    run["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let s = |v: &Value| v.as_str().unwrap_or("").to_string();
            (
                s(&r["ruleId"]),
                s(&r["level"]),
                s(&r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]),
            )
        })
        .collect()
}

/// The CI formats over several clusters: each healthy cluster's SARIF run holds what a single
/// run's SARIF holds, the dead cluster's run failed; JUnit names each cluster's suites.
#[test]
fn sarif_has_each_clusters_single_run_and_junit_its_suites() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = clean_mixed_and_dead(dir.path());
    let limits = ["--request-timeout", "4s", "--timeout", "60s"];
    for command in ["check-nodes", "doctor"] {
        let fleet = |output: &str| {
            let mut args = vec![command, "--all-contexts", "-o", output];
            args.extend(limits);
            let run = common::run_bounded(&kubeconfig, &args, Duration::from_secs(60));
            assert_eq!(run.code, Some(1), "{command} -o {output}: {}", run.stderr);
            run.stdout
        };
        let log: Value = serde_json::from_str(&fleet("sarif")).expect("SARIF is JSON");
        let runs = log["runs"].as_array().unwrap();
        let ids: Vec<&str> = runs
            .iter()
            .map(|r| r["automationDetails"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            ["clean", "dead", "mixed"].map(|c| format!("kubectl-sidecar/{command}/{c}/"))
        );
        assert_eq!(runs[1]["invocations"][0]["executionSuccessful"], false);
        assert_eq!(runs[1]["results"], serde_json::json!([]));
        for (i, name) in [(0, "clean"), (2, "mixed")] {
            let mut single = vec![command, "--context", name, "-o", "sarif"];
            single.extend(limits);
            let one = common::run_bounded(&kubeconfig, &single, Duration::from_secs(60));
            let one: Value = serde_json::from_str(&one.stdout).unwrap();
            assert_eq!(
                results(&runs[i]),
                results(&one["runs"][0]),
                "{command}: {name}'s run differs from a single run"
            );
            assert_eq!(
                runs[i]["invocations"][0]["exitCode"],
                one["runs"][0]["invocations"][0]["exitCode"]
            );
        }
        assert!(
            !results(&runs[2]).is_empty(),
            "mixed has findings to compare"
        );
        let xml = fleet("junit");
        for suite in ["clean: Coverage", "dead: Cluster", "mixed: Coverage"] {
            assert!(
                xml.contains(&format!("<testsuite name=\"{suite}\"")),
                "{xml}"
            );
        }
        let root = xml.lines().nth(1).unwrap_or("");
        assert!(
            root.contains("errors=\"1\""),
            "one cluster in error: {root}"
        );
    }
}
