//! Black-box tests of `doctor` that need no cluster: the bundled snapshot of a mixed cluster,
//! the `-o json|yaml` contract, `--fail-on` exit codes, color rules and bad flags.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubectl-sidecar"));
    // Never reach a real cluster from the developer's environment.
    cmd.env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env_remove("NO_COLOR")
        .env("TERM", "xterm");
    cmd
}

fn path(parts: &[&str]) -> String {
    let mut p = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for part in parts {
        p.push(part);
    }
    p.to_string_lossy().into_owned()
}

fn mixed() -> String {
    path(&["tests/fixtures/snapshots/doctor-mixed.json"])
}

fn warnings_only() -> String {
    path(&["tests/fixtures/doctor/snapshots/warnings-only.json"])
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run kubectl-sidecar")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(o), stderr(o)))
}

#[test]
fn bundled_snapshot_shows_every_section_in_order_and_exits_one() {
    let o = run(&["doctor", "--snapshot", &mixed()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let mut at = 0;
    for section in [
        "CONTROL PLANE",
        "NODES AND POOLS",
        "ADMISSION",
        "INJECTORS",
        "WORKLOADS",
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
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    assert!(!out.contains('\x1b'), "color in a pipe");
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    // The table names findings; `-o wide` adds their evidence and fix.
    assert!(!out.contains("evidence:"));
    let wide = stdout(&run(&["doctor", "--snapshot", &mixed(), "-o", "wide"]));
    assert!(
        wide.contains("evidence: event FailedCreate on replicaset/web-7c9f6d5b8"),
        "{wide}"
    );
    assert!(wide.contains("fix: "));
}

#[test]
fn json_contract() {
    let o = run(&["doctor", "--snapshot", &mixed(), "-o", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = json(&o);
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
}

#[test]
fn yaml_has_the_same_contract() {
    let o = run(&["doctor", "--snapshot", &mixed(), "-o", "yaml"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("verdict: not ready"), "{out}");
    assert!(out.contains("\nfindings:\n"), "{out}");
}

#[test]
fn fail_on_sets_the_exit_code() {
    // The mixed cluster has errors: 1 at every threshold.
    for level in ["error", "warning", "info"] {
        let o = run(&[
            "doctor",
            "--snapshot",
            &mixed(),
            "--fail-on",
            level,
            "-o",
            "json",
        ]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "--fail-on {level}: {}",
            stderr(&o)
        );
    }
    // Warnings and info only: 0 by default, 1 from --fail-on warning down.
    let o = run(&["doctor", "--snapshot", &warnings_only(), "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["verdict"], "ready with warnings");
    assert_eq!(r["summary"]["warning"], 1);
    assert_eq!(r["summary"]["info"], 1, "the skipped node list is named");
    assert_eq!(r["findings"][0]["id"], "sidecar-missing-startup-probe");
    assert_eq!(r["findings"][1]["id"], "permission-missing");
    assert_eq!(r["findings"][1]["object"]["name"], "list nodes");
    for (level, code) in [("error", 0), ("warning", 1), ("info", 1)] {
        let o = run(&["doctor", "--snapshot", &warnings_only(), "--fail-on", level]);
        assert_eq!(
            o.status.code(),
            Some(code),
            "--fail-on {level}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn an_empty_snapshot_is_ready() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("empty.json");
    std::fs::write(&file, r#"{"kind":"DoctorSnapshot","version":1}"#).expect("write");
    let f = file.to_string_lossy().into_owned();
    let o = run(&[
        "doctor",
        "--snapshot",
        &f,
        "--fail-on",
        "info",
        "-o",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(json(&o)["verdict"], "ready");
    let table = stdout(&run(&["doctor", "--snapshot", &f]));
    assert!(table.contains("Nothing stands in the way"), "{table}");
}

#[test]
fn snapshot_flags_are_exclusive_and_the_bundled_snapshot_holds_no_raw_annotations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("copy.json");
    let o = run(&[
        "doctor",
        "--snapshot",
        &mixed(),
        "--save-snapshot",
        &copy.to_string_lossy(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!copy.exists(), "nothing written on a usage error");
    // Facts are reduced when collected: neither env values nor last-applied annotations (which
    // may carry them) reach a snapshot.
    let text = std::fs::read_to_string(mixed()).expect("read");
    assert!(text.contains("\"kind\": \"DoctorSnapshot\""));
    assert!(!text.contains("last-applied-configuration"));
    assert!(!text.contains("\"env\""));
}

#[test]
fn color_only_when_asked_or_on_a_terminal() {
    let o = run(&["doctor", "--snapshot", &mixed(), "--color", "always"]);
    assert!(stdout(&o).contains('\x1b'), "--color always colors");
    let o = run(&[
        "doctor",
        "--snapshot",
        &mixed(),
        "--color",
        "always",
        "-o",
        "json",
    ]);
    assert!(!stdout(&o).contains('\x1b'), "JSON is never colored");
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
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{args:?}: {}", stdout(&o));
    }
    // Another command's snapshot is refused by kind.
    let nodes = path(&["tests/fixtures/snapshots/mixed-fleet.json"]);
    let o = run(&["doctor", "--snapshot", &nodes]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("not a doctor snapshot"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
}

#[test]
fn no_cluster_is_exit_three() {
    let o = run(&["doctor", "-A"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).starts_with("error: "), "{}", stderr(&o));
}
