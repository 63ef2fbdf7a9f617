//! `doctor` with no cluster: the bundled snapshot of a mixed cluster, snapshots with coverage
//! gaps, the `-o json|yaml` contract, the verdict and exit codes with `--fail-on` (1 findings,
//! 4 incomplete, 0 ready), color rules and bad flags.

use serde_json::Value;

use crate::case::{Case, Run, fixture};

fn mixed() -> String {
    fixture("snapshots/doctor-mixed.json")
}

fn snapshot(name: &str) -> String {
    fixture(&format!("doctor/snapshots/{name}"))
}

fn warnings_only() -> String {
    snapshot("warnings-only.json")
}

/// doctor on a snapshot file, with more flags.
fn on(file: &str, flags: &[&str]) -> Run {
    Case::new(["doctor", "--snapshot", file]).args(flags).run()
}

#[test]
fn bundled_snapshot_shows_every_section_in_order_and_exits_one() {
    let o = on(&mixed(), &[]);
    o.exit(1);
    let out = o.stdout();
    let mut at = 0;
    for section in [
        "CONTROL PLANE",
        "NODES AND POOLS",
        "ADMISSION",
        "INJECTORS",
        "WORKLOADS",
        "COVERAGE",
        "VERDICT",
    ] {
        let found = out[at..]
            .find(section)
            .unwrap_or_else(|| panic!("{section} missing or out of order in:\n{out}"));
        at += found;
    }
    for needle in [
        "not ready:",
        "Next steps:",
        "sidecar-stripped",
        "legacy-sidecar-blocks-job",
        "canary in shop: restartPolicy STRIPPED",
    ] {
        o.stdout_has(needle);
    }
    o.stdout_lacks("\x1b").stderr_empty();
    // The table names findings; `-o wide` adds their evidence and fix.
    o.stdout_lacks("evidence:");
    on(&mixed(), &["-o", "wide"])
        .stdout_has("evidence: event FailedCreate on replicaset/web-7c9f6d5b8")
        .stdout_has("fix: ");
}

#[test]
fn json_contract() {
    let r = on(&mixed(), &["-o", "json"]).exit(1).json();
    assert_eq!(r["verdict"], "not ready");
    let summary = &r["summary"];
    let findings = r["findings"].as_array().expect("findings");
    let count = |sev: &str| findings.iter().filter(|f| f["severity"] == sev).count() as u64;
    for sev in ["error", "warning", "info"] {
        assert_eq!(summary[sev].as_u64(), Some(count(sev)), "summary.{sev}");
    }
    for f in findings {
        for key in [
            "id",
            "severity",
            "object",
            "message",
            "evidence",
            "fix",
            "reference",
        ] {
            assert!(f.get(key).is_some(), "{key} missing in {f}");
        }
        for key in ["kind", "namespace", "name", "container"] {
            assert!(
                f["object"].get(key).is_some(),
                "object.{key} missing in {f}"
            );
        }
    }
    // Errors first, then warnings, then info.
    let rank = |s: &Value| match s.as_str() {
        Some("error") => 0,
        Some("warning") => 1,
        _ => 2,
    };
    let ranks: Vec<i32> = findings.iter().map(|f| rank(&f["severity"])).collect();
    let mut sorted = ranks.clone();
    sorted.sort();
    assert_eq!(ranks, sorted);
    // The sections' facts.
    assert!(r["controlPlane"]["apiserver"]["version"].is_string());
    assert_eq!(r["nodes"]["total"], 5);
    assert!(r["admission"]["canaries"].is_array());
    assert!(r["injectors"]["istiod"].is_array());
    assert!(r["workloads"]["podsSeen"].is_u64());
    assert_eq!(r["nextSteps"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        r["coverage"]["sections"].as_array().map(Vec::len),
        Some(6),
        "five deciding sections and events"
    );
}

#[test]
fn yaml_has_the_same_contract() {
    let o = on(&mixed(), &["-o", "yaml"]);
    o.exit(1).stdout_has("\nfindings:\n");
    o.stdout_has("\nverdict: not ready\n");
    assert!(
        o.stdout()
            .starts_with("apiVersion: kubectl-sidecar/v1\nkind: DoctorReport\n"),
        "{}",
        o.stdout()
    );
}

#[test]
fn fail_on_sets_the_exit_code() {
    // The mixed cluster has errors: 1 at every threshold.
    for level in ["error", "warning", "info"] {
        on(&mixed(), &["--fail-on", level, "-o", "json"]).exit(1);
    }
    // A warning, everything examined: 0 by default, 1 from --fail-on warning down.
    let r = on(&warnings_only(), &["-o", "json"]).exit(0).json();
    assert_eq!(r["verdict"], "ready with warnings");
    assert_eq!(r["reason"], Value::Null);
    assert_eq!(r["summary"]["warning"], 1);
    assert_eq!(r["summary"]["info"], 0);
    assert_eq!(r["findings"][0]["id"], "sidecar-missing-startup-probe");
    for (level, code) in [("error", 0), ("warning", 1), ("info", 1)] {
        on(&warnings_only(), &["--fail-on", level]).exit(code);
    }
}

#[test]
fn an_empty_snapshot_that_examined_everything_is_ready() {
    let f = snapshot("empty-complete.json");
    let r = on(&f, &["--fail-on", "info", "-o", "json"]).exit(0).json();
    assert_eq!(r["verdict"], "ready");
    on(&f, &[])
        .stdout_has("Nothing stands in the way")
        .stdout_has("COVERAGE\n  controlPlane: 1 of 1 components examined, complete\n");
}

/// An empty node list that was read is no cluster to run sidecars on: not ready, on doctor and
/// check-nodes alike, with the finding their CI formats carry (check-nodes used to exit 1 with
/// nothing to say why).
#[test]
fn an_empty_node_list_is_not_ready() {
    let dir = tempfile::tempdir().unwrap();
    let read = |path: String| -> Value {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let mut doc = read(snapshot("empty-complete.json"));
    doc["cluster"] = read(fixture("snapshots/all-supported.json"))["cluster"].clone();
    assert_eq!(on_value(&dir, &doc, &[]).0, Some(0), "ready with its nodes");
    doc["cluster"]["nodes"] = serde_json::json!([]);
    let (code, file) = on_value(&dir, &doc, &[]);
    assert_eq!(code, Some(1));
    let r = on(&file, &["-o", "json"]).exit(1).json();
    assert_eq!(r["verdict"], "not ready");
    assert_eq!(r["findings"][0]["id"], "no-nodes", "{}", r["findings"]);
    let sarif: Value = serde_json::from_str(
        Case::new(["check-nodes", "--snapshot", &file, "-o", "sarif"])
            .run()
            .exit(1)
            .stdout(),
    )
    .unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "no-nodes");
}

/// Writes `doc` as a snapshot and runs doctor on it: (exit code, the file).
fn on_value(dir: &tempfile::TempDir, doc: &Value, flags: &[&str]) -> (Option<i32>, String) {
    let path = dir.path().join("snapshot.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    let file = path.to_string_lossy().into_owned();
    let code = on(&file, flags).code();
    (code, file)
}

#[test]
fn gaps_alone_make_the_run_incomplete_and_exit_four_whatever_fail_on() {
    let f = snapshot("gaps-only.json");
    for level in ["error", "warning", "info"] {
        on(&f, &["--fail-on", level]).exit(4);
    }
    let o = on(&f, &[]);
    let out = o.stdout();
    // One line per section under COVERAGE, before the verdict that names what is missing.
    let coverage = out.find("\nCOVERAGE\n").expect("COVERAGE heading");
    let verdict = out.find("\nVERDICT\n").expect("VERDICT heading");
    assert!(coverage < verdict, "{out}");
    for line in [
        "  controlPlane: 1 of 1 components examined, complete\n",
        "  nodes: 1 of 3 nodes examined: kubelet metrics of pool-a-1, pool-a-2: unreachable\n",
        "  workloads: 0 of ? pods examined: list pods in all namespaces: forbidden (needs list pods in all namespaces); list deployments in all namespaces (their templates): timeout\n",
        "  events: 0 of 3 event reasons examined: list events in all namespaces (reason InitContainerRestartPolicyForbidden): server error (informative)\n",
        "  incomplete: not fully examined: nodes, workloads; 0 error(s), 0 warning(s), 0 info\n",
    ] {
        o.stdout_has(line);
    }
    o.stdout_lacks("Nothing stands in the way");
    // The next steps follow the cause: a permission for the refusal, the kubelets for the
    // refused connection (never a permission), the apiserver's load for the timeout.
    let steps = &out[verdict..];
    assert!(
        steps.contains("1. Grant `list pods in all namespaces` to the user running doctor"),
        "{steps}"
    );
    assert!(
        steps.contains("2. kubelet metrics of pool-a-1, pool-a-2: the apiserver's node proxy could not reach the kubelet"),
        "{steps}"
    );
    assert!(!steps.contains("nodes/proxy"), "{steps}");
    assert!(
        steps.contains("3. list deployments in all namespaces"),
        "{steps}"
    );
    // The same in JSON: `coverage` at the top level, causes as words, the permission only for
    // a refusal.
    let r = on(&f, &["-o", "json"]).json();
    assert_eq!(r["verdict"], "incomplete");
    assert_eq!(r["reason"], "not fully examined: nodes, workloads");
    let sections = r["coverage"]["sections"]
        .as_array()
        .expect("coverage.sections");
    let names: Vec<&str> = sections
        .iter()
        .filter_map(|s| s["section"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "controlPlane",
            "nodes",
            "admission",
            "injectors",
            "workloads",
            "events"
        ]
    );
    let workloads = &sections[4];
    assert_eq!(workloads["unit"], "pods");
    assert_eq!(workloads["examined"], 0);
    assert_eq!(workloads["total"], Value::Null, "0 of ? is a null total");
    assert_eq!(workloads["decisive"], true);
    assert_eq!(workloads["gaps"][0]["cause"], "forbidden");
    assert_eq!(
        workloads["gaps"][0]["permission"],
        "list pods in all namespaces"
    );
    assert_eq!(workloads["gaps"][1]["cause"], "timeout");
    assert!(workloads["gaps"][1].get("permission").is_none());
    assert_eq!(sections[1]["gaps"][0]["cause"], "unreachable");
    assert_eq!(sections[5]["decisive"], false);
    assert_eq!(sections[5]["gaps"][0]["cause"], "serverError");
    let steps: Vec<&str> = r["nextSteps"]
        .as_array()
        .expect("nextSteps")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(steps, ["coverage", "coverage", "coverage"]);
    let yaml = on(&f, &["-o", "yaml"]);
    yaml.stdout_has("\ncoverage:\n  sections:\n");
    yaml.stdout_has("\nverdict: incomplete\n");
}

#[test]
fn a_warning_over_a_gap_is_incomplete_and_fail_on_warning_makes_it_one() {
    let f = snapshot("gaps-and-warnings.json");
    for (level, code) in [("error", 4), ("warning", 1), ("info", 1)] {
        let r = on(&f, &["--fail-on", level, "-o", "json"])
            .exit(code)
            .json();
        assert_eq!(r["verdict"], "incomplete", "never 'ready' over a gap");
        assert_eq!(r["reason"], "not fully examined: nodes");
    }
    on(&f, &[])
        .stdout_has("  nodes: 0 of ? nodes examined: list nodes: forbidden (needs list nodes)\n")
        .stdout_has("1. Grant `list nodes` to the user running doctor")
        .stdout_has("2. Add a startupProbe");
}

#[test]
fn an_error_stays_not_ready_over_a_gap_and_the_gap_is_still_listed() {
    let r = on(&mixed(), &["-o", "json"]).exit(1).json();
    assert_eq!(r["verdict"], "not ready");
    assert_eq!(r["reason"], "not fully examined: admission");
    let admission = &r["coverage"]["sections"][2];
    assert_eq!(admission["section"], "admission");
    assert_eq!(admission["examined"], 3);
    assert_eq!(admission["total"], 4);
    assert_eq!(admission["gaps"][0]["cause"], "notAsked");
    on(&mixed(), &[])
        .stdout_has("  admission: 3 of 4 canary namespaces examined: dry-run canary in namespace(s) audited: not asked\n")
        .stdout_has("  not ready: not fully examined: admission; ");
}

#[test]
fn a_snapshot_from_before_coverage_is_refused_in_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("v1.json");
    let file_arg = file.to_str().expect("a UTF-8 temp path");
    std::fs::write(
        &file,
        r#"{"kind":"DoctorSnapshot","version":1,"skipped":[]}"#,
    )
    .expect("write");
    on(file_arg, &[]).one_line_error(
        2,
        &[
            "\"DoctorSnapshot\" version 1",
            "kind Snapshot, apiVersion kubectl-sidecar/v1",
        ],
    );
    // A snapshot whose doctor part does not say what it examined cannot back a verdict either.
    std::fs::write(
        &file,
        r#"{"apiVersion":"kubectl-sidecar/v1","kind":"Snapshot","toolVersion":"0.1.0","doctor":{}}"#,
    )
    .expect("write");
    on(file_arg, &[]).exit(2).stderr_has("coverage");
}

#[test]
fn snapshot_flags_are_exclusive_and_the_bundled_snapshot_holds_no_raw_annotations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("copy.json");
    on(&mixed(), &["--save-snapshot", &copy.to_string_lossy()]).exit(2);
    assert!(!copy.exists(), "nothing written on a usage error");
    // Facts are reduced when collected: no env values, command lines, last-applied annotations
    // (which may carry them), annotations other than injector switches, or event text beyond
    // the sidecar signature reach a snapshot.
    let text = std::fs::read_to_string(mixed()).expect("read");
    assert!(text.contains("\"kind\": \"Snapshot\""));
    assert!(text.contains("\"apiVersion\": \"kubectl-sidecar/v1\""));
    for absent in [
        "last-applied-configuration",
        "\"env\"",
        "\"entrypoint\"",
        "\"command\"",
        "\"args\"",
        "sidecar.istio.io/status",
        "linkerd.io/inject",
        "is invalid: [",
    ] {
        assert!(!text.contains(absent), "{absent} in the bundled snapshot");
    }
}

#[test]
fn color_only_when_asked_or_on_a_terminal() {
    // --color always colors; JSON is never colored.
    on(&mixed(), &["--color", "always"]).stdout_has("\x1b");
    on(&mixed(), &["--color", "always", "-o", "json"]).stdout_lacks("\x1b");
}

#[test]
fn bad_input_exits_two_with_one_line() {
    let cases: &[(&[&str], &str)] = &[
        (&["doctor", "--fail-on", "fatal"], "fatal"),
        (&["doctor", "-A", "-n", "shop"], "cannot be used with"),
        (
            &["doctor", "--snapshot", "/nonexistent/snap.json"],
            "cannot read snapshot",
        ),
        (
            &["doctor", "-l", "app in (", "--snapshot", "/nonexistent"],
            "-l",
        ),
        (
            &["doctor", "--snapshot", "/nonexistent", "-o", "toml"],
            "toml",
        ),
    ];
    for (args, needle) in cases {
        Case::new(*args)
            .run()
            .exit(2)
            .stderr_has(needle)
            .stdout_empty();
    }
    // A snapshot saved by check-nodes holds no workloads: refused, naming why.
    on(&fixture("snapshots/mixed-fleet.json"), &[]).one_line_error(2, &["saved by check-nodes"]);
}

#[test]
fn no_cluster_is_exit_three() {
    Case::new(["doctor", "-A"]).run().one_line_error(3, &[]);
}
