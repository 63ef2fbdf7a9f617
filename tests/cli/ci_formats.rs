//! The CI outputs of every command that reports findings: `-o sarif` validates against the
//! official SARIF 2.1.0 schema and says what the JSON report says; `-o junit` parses as XML and
//! its suites, testcases, failures and skips add up to the findings and the coverage; and
//! `--fail-on error|warning|info|never` gives the same exit codes on check-nodes, doctor and
//! diff-pod (never takes away 1, never 4).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

use crate::case::{Case, Run, fixture};
use crate::diff_pod::fake::{self, Answer};

const LEVELS: [&str; 4] = ["error", "warning", "info", "never"];

fn snapshot(name: &str) -> String {
    fixture(&format!("snapshots/{name}"))
}

fn doctor_snapshot(name: &str) -> String {
    fixture(&format!("doctor/snapshots/{name}"))
}

fn sarif_schema() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/schemas/sarif/sarif-2.1.0-rtm.5.json");
        let text = std::fs::read_to_string(&path).expect("the SARIF schema");
        // The vendored file is kept byte for byte; one pattern in it (`language`, of runs and
        // of translation metadata) has a stray `]` that the validator's meta-schema check rejects as a regex. It is replaced
        // here, in memory only, by the pattern it means (two letters, optionally `-` and two
        // more); this build never writes `language`.
        let bad = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
        assert_eq!(
            text.matches(bad).count(),
            2,
            "the known flaw is where it was"
        );
        let text = text.replace(bad, r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#);
        let schema: Value = serde_json::from_str(&text).expect("the SARIF schema is JSON");
        jsonschema::validator_for(&schema).expect("the SARIF schema compiles")
    })
}

#[track_caller]
pub fn valid_sarif(run: &Run, what: &str) -> Value {
    let doc: Value = serde_json::from_str(run.stdout())
        .unwrap_or_else(|e| panic!("{what}: not JSON: {e}\n{}", run.stdout()));
    let errors: Vec<String> = sarif_schema()
        .iter_errors(&doc)
        .take(10)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: not SARIF 2.1.0:\n{}",
        errors.join("\n")
    );
    doc
}

/// Every SARIF document checked the same way against the command's own findings (id, object).
#[track_caller]
fn sarif_says_what_the_findings_say(
    doc: &Value,
    findings: &[(String, String)],
    file: Option<&str>,
) {
    let run = &doc["runs"][0];
    assert_eq!(doc["version"], "2.1.0");
    assert_eq!(run["tool"]["driver"]["name"], "kubectl-sidecar");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    let got: Vec<(String, String)> = results
        .iter()
        .map(|r| {
            let i = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[i]["id"], r["ruleId"], "ruleIndex points at its rule");
            assert!(
                rules[i]["helpUri"]
                    .as_str()
                    .unwrap()
                    .starts_with("https://")
            );
            assert_eq!(
                rules[i]["defaultConfiguration"]["level"], r["level"],
                "a result has its rule's level"
            );
            let logical = &r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"];
            if let Some(file) = file {
                assert_eq!(
                    r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                    // The fixtures' absolute paths hold no character that needs encoding.
                    format!("file://{file}"),
                    "{r:#}"
                );
            }
            (
                r["ruleId"].as_str().unwrap().to_string(),
                logical.as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, findings);
    let fingerprints: BTreeSet<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"]["kubectlSidecarObject/v1"]
                .as_str()
                .unwrap()
        })
        .collect();
    let distinct: BTreeSet<&(String, String)> = findings.iter().collect();
    assert_eq!(
        fingerprints.len(),
        distinct.len(),
        "one fingerprint per (id, object)"
    );
}

/// `kind/ns/name [container]`, as the table and SARIF name an object.
fn object_name(o: &Value) -> String {
    let mut s = format!("{}/", o["kind"].as_str().unwrap().to_lowercase());
    if let Some(ns) = o["namespace"].as_str() {
        s.push_str(ns);
        s.push('/');
    }
    s.push_str(o["name"].as_str().unwrap());
    if let Some(c) = o["container"].as_str() {
        s.push_str(&format!(" [{c}]"));
    }
    s
}

fn json_findings(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                object_name(&f["object"]),
            )
        })
        .collect()
}

fn sarif_findings(doc: &Value) -> Vec<(String, String)> {
    doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect()
}

fn doctor_snapshots() -> Vec<String> {
    let mut out = vec![snapshot("doctor-mixed.json")];
    for name in [
        "empty-complete.json",
        "gaps-and-warnings.json",
        "gaps-only.json",
        "warnings-only.json",
    ] {
        out.push(doctor_snapshot(name));
    }
    out
}

fn check_nodes_snapshots() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/snapshots");
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".json"))
        .collect();
    out.sort();
    assert!(out.len() >= 8, "{out:?}");
    out
}

#[test]
fn doctor_sarif_is_valid_and_carries_every_finding() {
    for file in doctor_snapshots() {
        let report = Case::new(["doctor", "--snapshot", &file, "-o", "json"])
            .run()
            .json();
        let run = Case::new(["doctor", "--snapshot", &file, "-o", "sarif"]).run();
        let doc = valid_sarif(&run, &file);
        sarif_says_what_the_findings_say(&doc, &json_findings(&report), Some(&file));
        // The schema holds: a level SARIF does not know is refused.
        if !doc["runs"][0]["results"].as_array().unwrap().is_empty() {
            let mut wrong = doc.clone();
            wrong["runs"][0]["results"][0]["level"] = "info".into();
            assert!(
                !sarif_schema().is_valid(&wrong),
                "{file}: an invalid level validated"
            );
        }
        let inv = &doc["runs"][0]["invocations"][0];
        let complete = report["reason"].is_null();
        assert_eq!(inv["executionSuccessful"], complete, "{file}");
        assert_eq!(inv["exitCode"], run.code().unwrap(), "{file}");
        let notes = inv["toolExecutionNotifications"].as_array().unwrap();
        let gaps: usize = report["coverage"]["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["gaps"].as_array().unwrap().len())
            .sum();
        assert_eq!(
            notes.len(),
            gaps,
            "{file}: one notification per coverage gap"
        );
    }
}

#[test]
fn check_nodes_sarif_is_valid_and_uses_doctors_ids() {
    for file in check_nodes_snapshots() {
        let run = Case::new(["check-nodes", "--snapshot", &file, "-o", "sarif"]).run();
        let doc = valid_sarif(&run, &file);
        let results = sarif_findings(&doc);
        sarif_says_what_the_findings_say(&doc, &results, Some(&file));
        let rules: Vec<&str> = doc["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert!(rules.contains(&"node-unsupported") && !rules.contains(&"sidecar-stripped"));
        let report = Case::new(["check-nodes", "--snapshot", &file, "-o", "json"])
            .run()
            .json();
        // Every node that cannot run sidecars is a result on that node.
        for node in report["nodes"].as_array().unwrap() {
            let on = format!("node/{}", node["name"].as_str().unwrap());
            let ids: Vec<&str> = results
                .iter()
                .filter(|(_, o)| *o == on)
                .map(|(id, _)| id.as_str())
                .collect();
            match node["verdict"].as_str().unwrap() {
                "unknown" => assert!(ids.contains(&"node-gate-unknown"), "{file}: {on}"),
                "supported" => assert!(
                    !ids.contains(&"node-unsupported") && !ids.contains(&"node-alpha-termination"),
                    "{file}: {on}"
                ),
                _ => assert!(!ids.is_empty(), "{file}: {on}"),
            }
        }
        let incomplete = report["summary"]["verdict"] == "incomplete"
            || report["coverage"]["sections"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["decisive"] == true && !s["gaps"].as_array().unwrap().is_empty());
        assert_eq!(
            doc["runs"][0]["invocations"][0]["executionSuccessful"], !incomplete,
            "{file}"
        );
    }
}

/// check-nodes and doctor on the same snapshot name the same problems of the control plane and
/// nodes with the same ids (doctor folds a pool's nodes into one finding, check-nodes does not).
#[test]
fn check_nodes_and_doctor_agree_on_the_ids() {
    let file = snapshot("doctor-mixed.json");
    let ids = |command: &str| -> BTreeSet<String> {
        let doc = valid_sarif(
            &Case::new([command, "--snapshot", &file, "-o", "sarif"]).run(),
            command,
        );
        doc["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                matches!(
                    r["properties"]["section"].as_str(),
                    Some("control-plane" | "nodes")
                )
            })
            .map(|r| r["ruleId"].as_str().unwrap().to_string())
            .collect()
    };
    let doctor = ids("doctor");
    let check_nodes = ids("check-nodes");
    assert!(!check_nodes.is_empty());
    // doctor also reports kubelet patch advisories, which check-nodes leaves to it.
    let doctor: BTreeSet<String> = doctor
        .into_iter()
        .filter(|id| id != "node-known-bug")
        .collect();
    assert_eq!(check_nodes, doctor);
}

/// A parsed JUnit document's counts: (suites, testcases, failures, skipped), from the elements
/// themselves, after checking that every declared count matches them.
pub fn junit_counts(xml: &str, what: &str) -> (usize, usize, usize, usize) {
    let doc =
        roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{what}: not XML: {e}\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites", "{what}");
    let attr = |n: roxmltree::Node<'_, '_>, a: &str| -> usize {
        n.attribute(a)
            .unwrap_or_else(|| panic!("{what}: {} without {a}", n.tag_name().name()))
            .parse()
            .unwrap()
    };
    let (mut suites, mut cases, mut failures, mut skipped, mut errors) = (0, 0, 0, 0, 0);
    for suite in root.children().filter(|n| n.has_tag_name("testsuite")) {
        suites += 1;
        let testcases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        let f = testcases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
            .count();
        let s = testcases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name("skipped")))
            .count();
        assert_eq!(attr(suite, "tests"), testcases.len(), "{what}");
        assert_eq!(attr(suite, "failures"), f, "{what}");
        assert_eq!(attr(suite, "skipped"), s, "{what}");
        let e = testcases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name("error")))
            .count();
        assert_eq!(attr(suite, "errors"), e, "{what}");
        errors += e;
        for c in &testcases {
            assert!(c.attribute("name").is_some() && c.attribute("classname").is_some());
        }
        cases += testcases.len();
        failures += f;
        skipped += s;
    }
    assert_eq!(attr(root, "tests"), cases, "{what}");
    assert_eq!(attr(root, "failures"), failures, "{what}");
    assert_eq!(attr(root, "skipped"), skipped, "{what}");
    assert_eq!(attr(root, "errors"), errors, "{what}");
    (suites, cases, failures, skipped)
}

#[test]
fn doctor_junit_counts_are_the_findings_and_the_coverage() {
    for file in doctor_snapshots() {
        for level in LEVELS {
            let report = Case::new(["doctor", "--snapshot", &file, "-o", "json"])
                .run()
                .json();
            let run = Case::new([
                "doctor",
                "--snapshot",
                &file,
                "-o",
                "junit",
                "--fail-on",
                level,
            ])
            .run();
            let what = format!("{file} --fail-on {level}");
            let (suites, cases, failures, skipped) = junit_counts(run.stdout(), &what);
            let findings = report["findings"].as_array().unwrap();
            let distinct: BTreeSet<(String, String)> = json_findings(&report).into_iter().collect();
            let sections = report["coverage"]["sections"].as_array().unwrap();
            let with_gaps = sections
                .iter()
                .filter(|s| !s["gaps"].as_array().unwrap().is_empty())
                .count();
            let section_names: BTreeSet<&str> = findings
                .iter()
                .map(|f| f["section"].as_str().unwrap())
                .collect();
            assert_eq!(
                suites,
                section_names.len() + 1,
                "{what}: a suite per section, and coverage"
            );
            assert_eq!(cases, distinct.len() + sections.len(), "{what}");
            assert_eq!(skipped, with_gaps, "{what}");
            let at_least = |s: &str| match level {
                "error" => s == "error",
                "warning" => s != "info",
                "info" => true,
                _ => false,
            };
            let failing: BTreeSet<(String, String)> = findings
                .iter()
                .filter(|f| at_least(f["severity"].as_str().unwrap()))
                .map(|f| {
                    (
                        f["id"].as_str().unwrap().to_string(),
                        object_name(&f["object"]),
                    )
                })
                .collect();
            assert_eq!(failures, failing.len(), "{what}");
            assert_eq!(
                run.code() == Some(1),
                failures > 0,
                "{what}: exit 1 exactly when a testcase fails"
            );
        }
    }
}

#[test]
fn check_nodes_junit_parses_and_fails_with_the_run() {
    for file in check_nodes_snapshots() {
        for level in LEVELS {
            let run = Case::new([
                "check-nodes",
                "--snapshot",
                &file,
                "-o",
                "junit",
                "--fail-on",
                level,
            ])
            .run();
            let what = format!("{file} --fail-on {level}");
            let (_, cases, failures, _) = junit_counts(run.stdout(), &what);
            let sarif = Case::new([
                "check-nodes",
                "--snapshot",
                &file,
                "-o",
                "sarif",
                "--fail-on",
                level,
            ])
            .run();
            let doc = valid_sarif(&sarif, &what);
            let results = doc["runs"][0]["results"].as_array().unwrap();
            let failing: BTreeSet<(String, String)> = results
                .iter()
                .filter(|r| r["properties"]["failsRun"] == true)
                .map(|r| {
                    (
                        r["ruleId"].as_str().unwrap().to_string(),
                        r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                            .as_str()
                            .unwrap()
                            .to_string(),
                    )
                })
                .collect();
            let sections = doc["runs"][0]["invocations"][0]["properties"]["command"].clone();
            assert_eq!(sections, "check-nodes");
            assert!(cases >= sarif_findings(&doc).iter().collect::<BTreeSet<_>>().len());
            assert_eq!(failures, failing.len(), "{what}");
            assert_eq!(
                run.code(),
                sarif.code(),
                "{what}: the format does not change the exit code"
            );
            if level == "never" {
                assert_eq!(failures, 0, "{what}");
            }
        }
    }
}

#[track_caller]
fn codes(command: &str, file: &str, want: [i32; 4]) {
    for (level, code) in LEVELS.into_iter().zip(want) {
        for output in ["table", "sarif", "junit"] {
            Case::new([
                command,
                "--snapshot",
                file,
                "--fail-on",
                level,
                "-o",
                output,
            ])
            .run()
            .exit(code);
        }
    }
}

#[test]
fn fail_on_gives_doctor_its_exit_codes() {
    // error, warning, info, never
    codes("doctor", &snapshot("doctor-mixed.json"), [1, 1, 1, 4]);
    codes(
        "doctor",
        &doctor_snapshot("warnings-only.json"),
        [0, 1, 1, 0],
    );
    codes(
        "doctor",
        &doctor_snapshot("gaps-and-warnings.json"),
        [4, 1, 1, 4],
    );
    codes("doctor", &doctor_snapshot("gaps-only.json"), [4, 4, 4, 4]);
    codes(
        "doctor",
        &doctor_snapshot("empty-complete.json"),
        [0, 0, 0, 0],
    );
}

#[test]
fn fail_on_gives_check_nodes_its_exit_codes() {
    // error, warning, info, never
    codes("check-nodes", &snapshot("all-supported.json"), [0, 0, 0, 0]);
    // Unsupported nodes, everything examined: never is 0.
    codes("check-nodes", &snapshot("doctor-mixed.json"), [1, 1, 1, 0]);
    // Unsupported nodes and unanswered kubelets: never is 4, not 0.
    codes("check-nodes", &snapshot("mixed-fleet.json"), [1, 1, 1, 4]);
    // Only unanswered kubelets (info: support unverified): 4 until --fail-on info.
    codes("check-nodes", &snapshot("unanswered.json"), [4, 4, 1, 4]);
    codes(
        "check-nodes",
        &snapshot("nodes-unlisted.json"),
        [4, 4, 4, 4],
    );
}

#[test]
fn fail_on_is_refused_with_an_unknown_level_and_version_refuses_ci_formats() {
    for command in ["check-nodes", "diff-pod", "doctor"] {
        Case::new([command, "--fail-on", "critical"])
            .run()
            .exit(2)
            .stderr_has("never");
    }
    Case::new(["version", "-o", "sarif"])
        .run()
        .exit(2)
        .stderr_has("-o sarif and -o junit are for check-nodes, diff-pod and doctor");
}

fn against(api: &fake::Apiserver, args: &[&str]) -> Run {
    Case::new(args)
        .arg("--kubeconfig")
        .arg(&api.kubeconfig)
        .run()
}

/// An apiserver whose dry run strips restartPolicy from every init container, as an old
/// injector does.
fn stripping() -> fake::Apiserver {
    fake::start(|method, path, body| {
        fake::healthy(method, path, body, |pod| {
            if let Some(inits) = pod["spec"]["initContainers"].as_array_mut() {
                for c in inits {
                    c.as_object_mut().unwrap().remove("restartPolicy");
                }
            }
        })
    })
}

#[test]
fn diff_pod_sarif_points_at_the_manifest_and_validates() {
    let manifest = fixture("manifests/deployment-sidecar.yaml");
    let api = stripping();
    let report = against(&api, &["diff-pod", "-f", &manifest, "-o", "json"])
        .exit(1)
        .json();
    let run = against(&api, &["diff-pod", "-f", &manifest, "-o", "sarif"]);
    run.exit(1);
    let doc = valid_sarif(&run, "diff-pod stripped");
    let findings = json_findings(&report);
    assert!(
        findings
            .iter()
            .any(|(id, _)| id == "restart-policy-removed"),
        "{findings:?}"
    );
    sarif_says_what_the_findings_say(&doc, &findings, Some(&manifest));
    // The Deployment's first key is on line 2 (a comment comes first): code scanning points there.
    for r in doc["runs"][0]["results"].as_array().unwrap() {
        assert_eq!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"], 2,
            "{r:#}"
        );
    }
    assert_eq!(report["findings"][0]["location"]["line"], 2);
    let junit = against(&api, &["diff-pod", "-f", &manifest, "-o", "junit"]);
    junit.exit(1);
    let (_, _, failures, skipped) = junit_counts(junit.stdout(), "diff-pod stripped");
    assert_eq!(failures, 1, "{}", junit.stdout());
    assert_eq!(skipped, 0);

    // Admission that keeps the sidecar: valid, no result, exit 0.
    let clean = fake::start(|method, path, body| fake::healthy(method, path, body, |_| {}));
    let run = against(&clean, &["diff-pod", "-f", &manifest, "-o", "sarif"]);
    run.exit(0);
    let doc = valid_sarif(&run, "diff-pod clean");
    assert_eq!(doc["runs"][0]["results"], serde_json::json!([]));
    assert_eq!(
        doc["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
}

#[test]
fn diff_pod_fail_on_and_a_refused_dry_run() {
    let manifest = fixture("manifests/deployment-sidecar.yaml");
    let api = stripping();
    for (level, code) in [("error", 1), ("warning", 1), ("info", 1), ("never", 0)] {
        against(&api, &["diff-pod", "-f", &manifest, "--fail-on", level]).exit(code);
    }
    let refused = fake::start(|method, path, body| {
        if method == "POST" {
            Answer::Json(
                403,
                serde_json::json!({"kind": "Status", "status": "Failure", "reason": "Forbidden", "code": 403,
                    "message": "pods is forbidden: User \"u\" cannot create resource \"pods\""}),
            )
        } else {
            fake::healthy(method, path, body, |_| {})
        }
    });
    // Not compared is a gap: 4 at every level, never 1 (the finding is no verdict on the pod).
    for level in LEVELS {
        against(&refused, &["diff-pod", "-f", &manifest, "--fail-on", level]).exit(4);
    }
    let run = against(
        &refused,
        &[
            "diff-pod",
            "-f",
            &manifest,
            "-o",
            "sarif",
            "--fail-on",
            "info",
        ],
    );
    run.exit(4);
    let doc = valid_sarif(&run, "diff-pod refused");
    assert_eq!(
        doc["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
    assert_eq!(
        doc["runs"][0]["results"][0]["properties"]["notExamined"],
        true
    );
    let junit = against(
        &refused,
        &[
            "diff-pod",
            "-f",
            &manifest,
            "-o",
            "junit",
            "--fail-on",
            "info",
        ],
    );
    let (_, _, failures, skipped) = junit_counts(junit.stdout(), "diff-pod refused");
    assert_eq!(failures, 0, "{}", junit.stdout());
    assert!(
        skipped >= 2,
        "the finding and the objects section: {}",
        junit.stdout()
    );
}
