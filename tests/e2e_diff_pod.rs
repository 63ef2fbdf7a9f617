#![cfg(feature = "e2e")]
//! diff-pod against a real kube-apiserver and real admission webhooks (tests/scenarios/diff-pod*.yaml):
//! the stripping webhook found and named (and blamed by its own patch), the well-behaved
//! injector reported as an injection, the probe rejection explained, the no-dry-run webhook
//! named, live pods traced to their owner's template or last-applied configuration, every input
//! kind, and on a 1.32 apiserver with the gate off, the apiserver itself blamed.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::TestCluster;
use serde_json::Value;

const SCENARIO: &str = "tests/scenarios/diff-pod.yaml";
const GATE_OFF: &str = "tests/scenarios/diff-pod-gate-off.yaml";
const STRIPPER: &str = "legacy-injector.example.com";

fn cluster() -> &'static TestCluster {
    TestCluster::start(SCENARIO)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/manifests")
        .join(name)
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The report, which must validate against the published schema.
    fn json(&self) -> Value {
        let report = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr));
        common::assert_schema("DiffPodReport", &report);
        report
    }
}

/// Runs the product against `c` as the admin, with `stdin` piped in when given.
fn run_on(c: &TestCluster, args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubectl-sidecar"))
        .args(args)
        .env("KUBECONFIG", c.admin_kubeconfig())
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl-sidecar runs");
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())
            .expect("stdin takes the manifest");
    }
    let out = child.wait_with_output().expect("kubectl-sidecar finishes");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn run(args: &[&str]) -> Run {
    run_on(cluster(), args, None)
}

/// `diff-pod -f FIXTURE -n NS -o json [extra]`
fn file(name: &str, ns: &str, extra: &[&str]) -> Run {
    let f = fixture(name);
    let mut args = vec![
        "diff-pod",
        "-f",
        f.to_str().expect("utf-8 path"),
        "-n",
        ns,
        "-o",
        "json",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

fn findings<'a>(report: &'a Value, id: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .map(|fs| fs.iter().filter(|f| f["id"] == id).collect())
        .unwrap_or_default()
}

fn ids(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| {
                    format!(
                        "{}:{}",
                        f["id"].as_str().unwrap_or("?"),
                        f["object"]["container"]
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The restartPolicy change of one container, from the structured changes.
fn restart_policy_change<'a>(report: &'a Value, container: &str) -> &'a Value {
    let path = format!("spec.initContainers[name={container}].restartPolicy");
    report["changes"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["path"] == path.as_str()))
        .unwrap_or_else(|| panic!("no change at {path}: {report:#}"))
}

/// Exit 1 with a restart-policy-removed finding for each container, and no other error.
fn assert_stripped(r: &Run, containers: &[&str]) -> Value {
    assert_eq!(
        r.code,
        Some(1),
        "stdout: {}\nstderr: {}",
        r.stdout,
        r.stderr
    );
    let report = r.json();
    let got: Vec<&str> = findings(&report, "restart-policy-removed")
        .iter()
        .filter_map(|f| f["object"]["container"].as_str())
        .collect();
    assert_eq!(got, containers, "{:?}", ids(&report));
    for f in findings(&report, "restart-policy-removed") {
        let message = f["message"].as_str().unwrap_or("");
        assert!(message.contains(STRIPPER), "{message}");
        assert!(f["severity"] == "error");
    }
    report
}

#[test]
fn deployment_into_the_stripping_namespace_names_the_webhook() {
    let r = file("deployment-sidecar.yaml", "legacy", &[]);
    let report = assert_stripped(&r, &["log-shipper"]);
    let change = restart_policy_change(&report, "log-shipper");
    assert_eq!(change["kind"], "removed");
    assert_eq!(change["before"], "Always");
    assert_eq!(change["after"], Value::Null);
    assert_eq!(change["sidecar"], "restart-policy-removed");
    assert_eq!(change["attribution"]["by"], "webhooks");
    let candidates = change["attribution"]["candidates"]
        .as_array()
        .expect("candidates");
    assert_eq!(candidates.len(), 1, "{change:#}");
    assert_eq!(candidates[0]["webhook"], STRIPPER);
    assert_eq!(candidates[0]["verdict"], "matches");
    assert_eq!(candidates[0]["failurePolicy"], "Fail");
    assert_eq!(candidates[0]["reinvocationPolicy"], "Never");
    assert_eq!(report["objects"][0]["object"], "Deployment/web");
    assert_eq!(report["objects"][0]["namespace"], "legacy");
    assert_eq!(report["objects"][0]["result"], "sidecar-affected");
    assert_eq!(report["apiserver"]["version"], "v1.37.2");
    assert_eq!(report["apiserver"]["gate"]["enabled"], true, "{report:#}");
    assert_eq!(
        report["apiserver"]["gate"]["source"], "version",
        "{report:#}"
    );
    assert!(
        report["apiserver"]["gate"]["stage"].is_null(),
        "removed in 1.37"
    );
    let sections = &report["coverage"]["sections"];
    assert_eq!(sections[0]["section"], "admission", "{report:#}");
    assert_eq!(sections[0]["gaps"], Value::Array(vec![]), "{report:#}");
    assert_eq!(sections[1]["section"], "objects");
    assert_eq!(sections[1]["examined"], 1);
    assert_eq!(sections[1]["total"], 1);
}

#[test]
fn blame_names_the_webhook_by_its_own_patch() {
    let r = file("deployment-sidecar.yaml", "legacy", &["--blame"]);
    let report = assert_stripped(&r, &["log-shipper"]);
    let change = restart_policy_change(&report, "log-shipper");
    let a = &change["attribution"];
    assert_eq!(a["by"], "webhook", "{a:#}");
    assert_eq!(a["webhook"], STRIPPER);
    let patch = a["patch"].as_array().expect("the webhook's patch");
    assert!(!patch.is_empty());
    assert_eq!(patch[0]["op"], "replace", "{patch:?}");
    let blame = report["objects"][0]["blame"]
        .as_array()
        .expect("blame steps");
    assert_eq!(blame.len(), 1, "{blame:?}");
    assert_eq!(blame[0]["result"], "patched");
    let message = findings(&report, "restart-policy-removed")[0]["message"]
        .as_str()
        .unwrap_or("");
    assert!(message.contains("by its own patch"), "{message}");
}

#[test]
fn the_same_manifest_elsewhere_exits_zero() {
    let r = file("deployment-sidecar.yaml", "plain", &[]);
    assert_eq!(r.code, Some(0), "{}\n{}", r.stdout, r.stderr);
    let report = r.json();
    assert_eq!(report["findings"], Value::Array(vec![]), "{report:#}");
    assert_eq!(report["changes"], Value::Array(vec![]));
    assert_eq!(report["objects"][0]["result"], "unchanged");
    assert_eq!(report["objects"][0]["webhooks"], Value::Array(vec![]));
}

#[test]
fn show_defaults_reveals_the_apiserver_defaults() {
    let r = file("deployment-sidecar.yaml", "plain", &["--show-defaults"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let report = r.json();
    let changes = report["changes"].as_array().expect("changes");
    assert!(!changes.is_empty());
    assert!(
        changes.iter().all(|c| c["kind"] == "defaulted"),
        "{changes:#?}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c["path"] == "spec.containers[name=app].terminationMessagePath"),
        "{changes:#?}"
    );
}

#[test]
fn well_behaved_injector_is_an_injection_not_a_strip() {
    let r = file("deployment-sidecar.yaml", "meshed", &[]);
    assert_eq!(r.code, Some(0), "{}\n{}", r.stdout, r.stderr);
    let report = r.json();
    assert_eq!(ids(&report), vec!["container-injected:\"injected-proxy\""]);
    let change = report["changes"]
        .as_array()
        .and_then(|cs| {
            cs.iter()
                .find(|c| c["path"] == "spec.containers[name=injected-proxy]")
        })
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(change["kind"], "injected");
    assert_eq!(
        change["attribution"]["candidates"][0]["webhook"],
        "proxy-injector.example.com"
    );
    assert_eq!(
        change["attribution"]["candidates"][0]["reinvocationPolicy"],
        "IfNeeded"
    );
    assert_eq!(report["objects"][0]["result"], "changed");
}

#[test]
fn publicly_reported_stripper_is_flagged() {
    let r = file("deployment-sidecar.yaml", "tokens", &[]);
    // It matches but strips nothing here: a warning, not a damaged sidecar.
    assert_eq!(r.code, Some(0), "{}\n{}", r.stdout, r.stderr);
    let report = r.json();
    let f = findings(&report, "webhook-known-stripper");
    assert_eq!(f.len(), 1, "{:?}", ids(&report));
    assert_eq!(f[0]["severity"], "warning");
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("gtoken.doit-intl.com")
    );
    assert_eq!(
        report["objects"][0]["webhooks"][0]["knownStripper"]["project"],
        "gtoken"
    );
}

#[test]
fn match_conditions_make_a_webhook_that_may_match() {
    let r = file("deployment-sidecar.yaml", "conditional", &[]);
    assert_eq!(r.code, Some(0), "{}\n{}", r.stdout, r.stderr);
    let report = r.json();
    let hook = &report["objects"][0]["webhooks"][0];
    assert_eq!(hook["webhook"], "conditional.example.com", "{report:#}");
    assert_eq!(hook["verdict"], "may-match");
    assert!(
        hook["why"]
            .as_str()
            .unwrap_or("")
            .contains("not-kube-system")
    );
    assert_eq!(hook["failurePolicy"], "Ignore");
}

#[test]
fn sidecar_with_startup_probe_rejection_is_explained() {
    let r = file("deployment-sidecar-probe.yaml", "legacy", &[]);
    assert_eq!(r.code, Some(1), "{}\n{}", r.stdout, r.stderr);
    let report = r.json();
    let f = findings(&report, "rejected-stripped-sidecar");
    assert_eq!(f.len(), 1, "{:?}", ids(&report));
    assert_eq!(f[0]["object"]["container"], "proxy");
    let message = f[0]["message"].as_str().unwrap_or("");
    assert!(message.contains("stripped before validation"), "{message}");
    assert!(message.contains("startupProbe"), "{message}");
    assert!(message.contains(STRIPPER), "{message}");
}

#[test]
fn webhook_without_dry_run_support_is_named() {
    let r = file("deployment-sidecar.yaml", "audited", &[]);
    // Not compared: incomplete, not a cluster error.
    assert_eq!(r.code, Some(4), "{}\n{}", r.stdout, r.stderr);
    let report = r.json();
    let f = findings(&report, "dry-run-unsupported");
    assert_eq!(f.len(), 1, "{:?}", ids(&report));
    let message = f[0]["message"].as_str().unwrap_or("");
    assert!(message.contains("audit-sink.example.com"), "{message}");
    assert!(message.contains("sideEffects Some"), "{message}");
    assert_eq!(report["objects"][0]["result"], "not-run");
    let gap = &report["coverage"]["sections"][1]["gaps"][0];
    assert_eq!(gap["cause"], "notAsked", "{report:#}");
    assert!(
        gap["what"]
            .as_str()
            .unwrap_or("")
            .contains("audit-sink.example.com"),
        "{gap}"
    );
}

#[test]
fn forbidden_dry_run_says_it_needs_create_pods() {
    let f = fixture("deployment-sidecar.yaml");
    let (status, stdout, stderr) = cluster().run_restricted(&[
        "diff-pod",
        "-f",
        f.to_str().expect("utf-8"),
        "-n",
        "plain",
        "-o",
        "json",
    ]);
    assert_eq!(status.code(), Some(4), "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("json");
    let f = findings(&report, "dry-run-forbidden");
    assert_eq!(f.len(), 1, "{:?}", ids(&report));
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("`create pods`")
    );
    let gap = &report["coverage"]["sections"][1]["gaps"][0];
    assert_eq!(gap["cause"], "forbidden", "{report:#}");
    assert_eq!(gap["permission"], "create pods");
}

#[test]
fn live_pod_is_compared_with_its_replicasets_template() {
    let r = run(&[
        "diff-pod",
        "web-6d4b75cb6d-x7k2p",
        "-n",
        "legacy",
        "-o",
        "json",
    ]);
    let report = assert_stripped(&r, &["log-shipper"]);
    assert_eq!(
        report["objects"][0]["submitted_from"],
        "template of ReplicaSet/web-6d4b75cb6d"
    );
    assert_eq!(report["objects"][0]["object"], "Pod/web-6d4b75cb6d-x7k2p");
    // Nothing else differs: the controller's labels are known, the node binding is not admission.
    let others: Vec<&Value> = report["changes"]
        .as_array()
        .map(|cs| cs.iter().filter(|c| c["sidecar"].is_null()).collect())
        .unwrap_or_default();
    assert!(others.is_empty(), "{others:#?}");
}

#[test]
fn live_bare_pod_is_compared_with_its_last_applied_configuration() {
    let r = run(&["diff-pod", "applied", "-n", "legacy", "-o", "json"]);
    let report = assert_stripped(&r, &["sidecar"]);
    assert_eq!(
        report["objects"][0]["submitted_from"],
        "last-applied configuration of Pod/applied"
    );
}

#[test]
fn live_bare_pod_without_a_submission_suggests_f() {
    let r = run(&["diff-pod", "solo", "-n", "plain", "-o", "json"]);
    assert_eq!(r.code, Some(2), "{}\n{}", r.stdout, r.stderr);
    let report = r.json();
    let f = findings(&report, "submitted-unknown");
    assert_eq!(f.len(), 1, "{:?}", ids(&report));
    assert!(f[0]["message"].as_str().unwrap_or("").contains("-f"));
}

#[test]
fn missing_pod_is_one_line() {
    let r = run(&["diff-pod", "nope", "-n", "plain"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(r.stderr.trim_end().lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("pod nope not found in namespace plain"),
        "{}",
        r.stderr
    );
}

#[test]
fn every_template_kind_is_dry_run() {
    for (name, object, container) in [
        ("cronjob.yaml", "CronJob/nightly", "vpn"),
        ("job.yaml", "Job/migrate", "cloud-sql-proxy"),
        ("statefulset.yaml", "StatefulSet/db", "backup-agent"),
        ("daemonset.yaml", "DaemonSet/node-agent", "log-forwarder"),
        ("pod.yaml", "Pod/solo", "sidecar"),
    ] {
        let r = file(name, "legacy", &[]);
        let report = assert_stripped(&r, &[container]);
        assert_eq!(report["objects"][0]["object"], object, "{name}");
        let r = file(name, "plain", &[]);
        assert_eq!(
            r.code,
            Some(0),
            "{name} in plain: {}\n{}",
            r.stdout,
            r.stderr
        );
    }
}

#[test]
fn list_input() {
    let r = file("list.json", "legacy", &[]);
    let report = assert_stripped(&r, &["sidecar"]);
    let objects: Vec<&str> = report["objects"]
        .as_array()
        .map(|os| os.iter().filter_map(|o| o["object"].as_str()).collect())
        .unwrap_or_default();
    // The ConfigMap holds no pod template and is skipped.
    assert_eq!(
        objects,
        vec!["ReplicaSet/listed-rs", "PodTemplate/listed-template"]
    );
    assert_eq!(report["objects"][1]["result"], "unchanged");
}

#[test]
fn directory_input() {
    let r = file("dir", "legacy", &[]);
    let report = assert_stripped(&r, &["sidecar"]);
    let objects: Vec<&str> = report["objects"]
        .as_array()
        .map(|os| os.iter().filter_map(|o| o["object"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(objects, vec!["Deployment/dir-web", "Pod/dir-pod"]);
}

#[test]
fn stdin_input() {
    let text = std::fs::read_to_string(fixture("deployment-sidecar.yaml")).expect("fixture");
    let r = run_on(
        cluster(),
        &["diff-pod", "-f", "-", "-n", "legacy", "-o", "json"],
        Some(&text),
    );
    let report = assert_stripped(&r, &["log-shipper"]);
    assert_eq!(report["objects"][0]["source"], "stdin");
}

#[test]
fn table_output_has_findings_then_the_diff() {
    let f = fixture("deployment-sidecar.yaml");
    let r = run(&["diff-pod", "-f", f.to_str().expect("utf-8"), "-n", "legacy"]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let out = &r.stdout;
    let finding = out
        .find("restartPolicy: Always was removed from init container \"log-shipper\"")
        .unwrap_or_else(|| panic!("{out}"));
    let diff = out
        .find("--- Deployment/web: initContainers/log-shipper")
        .unwrap_or_else(|| panic!("{out}"));
    assert!(finding < diff, "findings come first: {out}");
    assert!(out.contains("\n-restartPolicy: Always\n"), "{out}");
    // Defaults (DefaultTolerationSeconds' tolerations, terminationMessagePath...) stay hidden.
    assert!(!out.contains("tolerationSeconds"), "{out}");
    assert!(!out.contains("terminationMessagePath"), "{out}");
    assert!(!out.contains('\u{1b}'), "no color off a terminal: {out}");
    let r = run(&[
        "diff-pod",
        "-f",
        f.to_str().expect("utf-8"),
        "-n",
        "legacy",
        "--color",
        "always",
    ]);
    assert!(r.stdout.contains('\u{1b}'), "--color always colors");
}

#[test]
fn yaml_output_has_the_same_shape() {
    let f = fixture("deployment-sidecar.yaml");
    let r = run(&[
        "diff-pod",
        "-f",
        f.to_str().expect("utf-8"),
        "-n",
        "legacy",
        "-o",
        "yaml",
    ]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        r.stdout.contains("id: restart-policy-removed"),
        "{}",
        r.stdout
    );
}

/// 1.32 with SidecarContainers off: the apiserver strips the field itself.
fn gate_off() -> &'static TestCluster {
    TestCluster::start(GATE_OFF)
}

#[test]
fn gate_off_apiserver_is_blamed_for_a_manifest() {
    let f = fixture("deployment-sidecar.yaml");
    let r = run_on(
        gate_off(),
        &[
            "diff-pod",
            "-f",
            f.to_str().expect("utf-8"),
            "-n",
            "plain",
            "-o",
            "json",
        ],
        None,
    );
    assert_eq!(r.code, Some(1), "{}\n{}", r.stdout, r.stderr);
    let report = r.json();
    // The gate in check-nodes' shape: read from the apiserver's /metrics, off.
    assert_eq!(report["apiserver"]["gate"]["enabled"], false, "{report:#}");
    assert_eq!(
        report["apiserver"]["gate"]["source"], "metrics",
        "{report:#}"
    );
    let change = restart_policy_change(&report, "log-shipper");
    assert_eq!(change["attribution"]["by"], "apiserver", "{change:#}");
    let f = findings(&report, "restart-policy-removed");
    assert_eq!(f.len(), 1);
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("SidecarContainers feature gate off")
    );
}

#[test]
fn gate_off_apiserver_stripped_the_template_before_any_pod() {
    let r = run_on(
        gate_off(),
        &[
            "diff-pod",
            "web-6d4b75cb6d-x7k2p",
            "-n",
            "plain",
            "-o",
            "json",
        ],
        None,
    );
    assert_eq!(r.code, Some(1), "{}\n{}", r.stdout, r.stderr);
    let report = r.json();
    let f = findings(&report, "restart-policy-removed-upstream");
    assert_eq!(f.len(), 1, "{:?}", ids(&report));
    let message = f[0]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("last-applied configuration of Deployment/web"),
        "{message}"
    );
    assert!(message.contains("template of Deployment/web"), "{message}");
    assert!(message.contains("apiserver"), "{message}");
}

/// A user with no rights at all (impersonated): /version is public, everything else is refused.
/// Nothing can be compared, and each refusal names the permission: incomplete, never 0 or 3.
#[test]
fn a_user_without_rights_gets_incomplete_with_every_permission_named() {
    let f = fixture("deployment-sidecar.yaml");
    let r = run(&[
        "diff-pod",
        "-f",
        f.to_str().expect("utf-8"),
        "-n",
        "legacy",
        "-o",
        "json",
        "--as",
        "ksc-nobody",
    ]);
    assert_eq!(r.code, Some(4), "{}\n{}", r.stdout, r.stderr);
    let report = r.json();
    let sections = &report["coverage"]["sections"];
    let permissions = |i: usize| -> Vec<String> {
        sections[i]["gaps"]
            .as_array()
            .map(|gs| {
                gs.iter()
                    .map(|g| format!("{}:{}", g["cause"], g["permission"]))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        permissions(0),
        vec![
            "\"forbidden\":\"list mutatingwebhookconfigurations\"",
            "\"forbidden\":\"get namespaces\""
        ],
        "{report:#}"
    );
    assert_eq!(
        permissions(1),
        vec!["\"forbidden\":\"create pods\""],
        "{report:#}"
    );
    assert_eq!(report["objects"][0]["result"], "not-run");

    let r = run(&[
        "diff-pod",
        "web-6d4b75cb6d-x7k2p",
        "-n",
        "legacy",
        "--as",
        "ksc-nobody",
    ]);
    assert_eq!(r.code, Some(4), "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(
            "get pod web-6d4b75cb6d-x7k2p in namespace legacy: forbidden (needs get pods)"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("grant `get pods`"), "{}", r.stdout);
}
