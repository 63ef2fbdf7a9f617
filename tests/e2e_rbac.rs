#![cfg(feature = "e2e")]
//! `kubectl sidecar rbac` against a real kube-apiserver: its output, applied with kubectl and
//! bound to a fresh user (impersonated with --as), lets full doctor, check-nodes and diff-pod
//! runs read everything they read (no forbidden gap). Then each rule is left out in turn
//! (`--omit`) and the run names exactly that missing permission.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::TestCluster;
use kubectl_sidecar::cmd::rbac::{RULES, Rule};
use serde_json::Value;

const SCENARIO: &str = "tests/scenarios/doctor-clean.yaml";
const USER: &str = "ksc-rbac-user";

fn cluster() -> &'static TestCluster {
    TestCluster::start(SCENARIO)
}

fn kubectl(args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(common::kubectl())
        .args(args)
        .env("KUBECONFIG", cluster().admin_kubeconfig())
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `kubectl sidecar rbac --subject User:USER [--omit ID]`, applied as the admin.
fn apply_rbac(omit: Option<&str>) {
    let mut args = vec!["rbac", "--subject", "User:ksc-rbac-user"];
    if let Some(id) = omit {
        args.extend(["--omit", id]);
    }
    let (status, manifest, stderr) = cluster().run(&args);
    assert!(status.success(), "rbac: {stderr}");
    let (ok, out, err) = kubectl(&["apply", "-f", "-"], Some(&manifest));
    assert!(
        ok,
        "kubectl apply of the rbac output failed: {err}\n{out}\n{manifest}"
    );
}

/// `kubectl auth can-i` for the rule's first verb and resource, as USER.
fn can_i(rule: &Rule) -> bool {
    let verb = rule.verbs[0];
    let mut args: Vec<String> = vec!["auth".into(), "can-i".into(), verb.into()];
    match rule.non_resource_urls.first() {
        Some(url) => args.push((*url).to_string()),
        None => {
            let (resource, sub) = rule.resources[0]
                .split_once('/')
                .map_or((rule.resources[0], None), |(r, s)| (r, Some(s)));
            let qualified = if rule.api_group.is_empty() {
                resource.to_string()
            } else {
                format!("{resource}.{}", rule.api_group)
            };
            args.push(qualified);
            if let Some(sub) = sub {
                args.push(format!("--subresource={sub}"));
            }
            args.push("--all-namespaces".into());
        }
    }
    args.extend(["--as".into(), USER.into()]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    kubectl(&argv, None).0
}

/// RBAC changes reach the authorizer through its informers: wait until they have.
fn wait_until(rule: &Rule, allowed: bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while can_i(rule) != allowed {
        assert!(
            Instant::now() < deadline,
            "rule {} still {} after 30s",
            rule.id,
            if allowed { "denied" } else { "allowed" }
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Runs the product as USER (impersonated by the admin): (exit code, JSON, stderr).
fn run_as_user(args: &[&str]) -> (Option<i32>, Value, String) {
    let mut all = args.to_vec();
    all.extend(["-o", "json", "--as", USER]);
    let (status, stdout, stderr) = cluster().run(&all);
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (status.code(), json, stderr)
}

/// The permissions a report says it was refused: the coverage contract's forbidden gaps, and
/// doctor's `skipped[]` and `permission-missing` findings.
fn refused(report: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for section in report["coverage"]["sections"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for gap in section["gaps"].as_array().into_iter().flatten() {
            if gap["cause"] == "forbidden" {
                let named = gap["permission"].as_str().or(gap["what"].as_str());
                out.push(named.unwrap_or("").to_string());
            }
        }
    }
    for skipped in report["skipped"].as_array().into_iter().flatten() {
        if let Some(p) = skipped["permission"].as_str() {
            out.push(p.to_string());
        }
    }
    for finding in report["findings"].as_array().into_iter().flatten() {
        if finding["id"] == "permission-missing" {
            out.push(finding["object"]["name"].as_str().unwrap_or("").to_string());
        }
    }
    // check-nodes before the coverage contract: a refusal is named in a reason,
    // "... (needs get nodes/proxy)" or "cannot list leases in kube-system (forbidden)".
    let mut strings = Vec::new();
    collect_strings(report, &mut strings);
    out.extend(
        strings
            .into_iter()
            .filter(|s| s.contains("(needs ") || s.contains("(forbidden)")),
    );
    out.sort();
    out.dedup();
    out
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| collect_strings(i, out)),
        Value::Object(map) => map.values().for_each(|i| collect_strings(i, out)),
        _ => {}
    }
}

/// A live pod owned by a ReplicationController (created without last-applied), for the one
/// request only diff-pod makes: reading such an owner.
fn rc_owned_pod() -> &'static str {
    static ONCE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        let spec = r#"
      initContainers: [{name: shipper, image: registry.example/shipper:2.1, restartPolicy: Always}]
      containers: [{name: app, image: registry.example/legacy:1.0}]"#;
        let rc = format!(
            "apiVersion: v1\nkind: ReplicationController\nmetadata: {{name: legacy-rc, namespace: shop}}\nspec:\n  replicas: 1\n  selector: {{app: legacy}}\n  template:\n    metadata: {{labels: {{app: legacy}}}}\n    spec:{spec}\n"
        );
        let (ok, _, err) = kubectl(&["create", "-f", "-"], Some(&rc));
        assert!(ok, "{err}");
        let (ok, uid, err) = kubectl(
            &["get", "rc", "legacy-rc", "-n", "shop", "-o", "jsonpath={.metadata.uid}"],
            None,
        );
        assert!(ok && !uid.is_empty(), "{err}");
        let pod = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: legacy-rc-x1\n  namespace: shop\n  labels: {{app: legacy}}\n  ownerReferences: [{{apiVersion: v1, kind: ReplicationController, name: legacy-rc, uid: \"{uid}\", controller: true}}]\nspec:{}\n",
            spec.replace("\n      ", "\n  ")
        );
        let (ok, _, err) = kubectl(&["create", "-f", "-"], Some(&pod));
        assert!(ok, "{err}\n{pod}");
    });
    "legacy-rc-x1"
}

/// Which run shows a rule's absence, and the words its refusal is named with.
fn probe(id: &str) -> (Vec<&'static str>, &'static [&'static str]) {
    match id {
        "metrics" => (vec!["check-nodes"], &["/metrics"]),
        "nodes" => (vec!["doctor", "-A"], &["list", "nodes"]),
        "nodes-proxy" => (vec!["check-nodes"], &["nodes/proxy"]),
        "namespaces" => (vec!["doctor", "-A"], &["list", "namespaces"]),
        "pods-read" => (vec!["doctor", "-A"], &["list", "pods"]),
        "pods-dry-run" => (vec!["doctor", "-A"], &["create", "pods"]),
        "events" => (vec!["doctor", "-A"], &["list", "events"]),
        "workloads" => (vec!["doctor", "-A"], &["list", "deployments"]),
        "replicasets" => (vec!["doctor", "-A"], &["get", "replicasets"]),
        "jobs" => (vec!["doctor", "-A"], &["list", "jobs"]),
        "leases" => (vec!["check-nodes"], &["leases"]),
        "webhooks" => (
            vec!["doctor", "-A"],
            &["list", "mutatingwebhookconfigurations"],
        ),
        "replicationcontrollers" => (
            vec!["diff-pod", rc_owned_pod(), "-n", "shop"],
            &["get", "replicationcontrollers"],
        ),
        other => panic!("rule {other} has no probe: add one here"),
    }
}

/// Rules no run in this harness can show missing, each for a stated reason checked here.
fn unprobed(rule: &Rule) -> bool {
    match rule.id {
        // Every authenticated user has it through system:public-info-viewer.
        "version" => {
            assert!(can_i(rule), "/version is expected to be public");
            true
        }
        // Only diff-pod --blame on a service-backed webhook uses it; the harness's webhooks are
        // url-backed (tests/SCENARIOS.md, section 8).
        "services-proxy" => true,
        _ => false,
    }
}

fn runs() -> Vec<Vec<&'static str>> {
    vec![
        vec!["check-nodes"],
        vec!["doctor", "-A"],
        vec!["doctor", "-n", "shop"],
        vec!["diff-pod", rc_owned_pod(), "-n", "shop"],
    ]
}

#[test]
fn the_printed_rbac_gives_full_runs_and_each_rule_is_named_when_left_out() {
    rc_owned_pod();
    apply_rbac(None);
    for rule in RULES {
        wait_until(rule, true);
    }
    // A fresh user with only this RBAC: nothing refused, in any command.
    for args in runs() {
        let (code, report, stderr) = run_as_user(&args);
        assert_ne!(code, Some(3), "{args:?}: {stderr}");
        assert!(
            report.is_object(),
            "{args:?}: no JSON report; stderr: {stderr}"
        );
        assert_eq!(
            refused(&report),
            Vec::<String>::new(),
            "{args:?} as {USER} with the full RBAC"
        );
    }
    // A user without the binding is refused, and `refused` sees it: the checks above can fail.
    let (status, stdout, stderr) =
        cluster().run(&["doctor", "-A", "-o", "json", "--as", "ksc-rbac-nobody"]);
    let report: Value = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    assert!(
        refused(&report).len() >= 3,
        "a user with no rights: exit {status}, named {:?}; stderr: {stderr}",
        refused(&report)
    );

    let mut previous: Option<&Rule> = None;
    for rule in RULES {
        if unprobed(rule) {
            continue;
        }
        apply_rbac(Some(rule.id));
        wait_until(rule, false);
        if let Some(p) = previous {
            wait_until(p, true);
        }
        let (args, words) = probe(rule.id);
        let (code, report, stderr) = run_as_user(&args);
        let named = refused(&report);
        let found = named.iter().any(|p| words.iter().all(|w| p.contains(w)))
            // A refusal that stops the run (exit 3) names the request on stderr instead.
            || (code == Some(3) && words.iter().all(|w| stderr.contains(w)));
        assert!(
            found,
            "without rule {}: {args:?} exited {code:?} and named {named:?} (want {words:?}); stderr: {stderr}",
            rule.id
        );
        // Degraded, not wrong: never "ready"/exit 0 over a refusal that decides it is left to
        // each command's own tests; here: no crash, one report.
        assert!(code.is_some(), "{args:?} was killed");
        previous = Some(rule);
    }
    apply_rbac(None);
}

/// Polls `kubectl auth can-i ARGS --as user` until it answers `allowed`.
fn wait_can_i(args: &[&str], user: &str, allowed: bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut all = vec!["auth", "can-i"];
        all.extend_from_slice(args);
        all.extend(["--as", user]);
        if kubectl(&all, None).0 == allowed {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "can-i {args:?} for {user} not {allowed} after 30s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn namespace_scoped_rbac_applies_on_a_cluster_without_istio_and_serves_that_namespace() {
    const NS_USER: &str = "ksc-rbac-ns-user";
    let (status, manifest, stderr) = cluster().run(&[
        "rbac",
        "--namespace-scoped",
        "-n",
        "shop",
        "--name",
        "ksc-ns-scoped",
        "--subject",
        "User:ksc-rbac-ns-user",
    ]);
    assert!(status.success(), "{stderr}");
    let (ok, out, err) = kubectl(&["apply", "-f", "-"], Some(&manifest));
    assert!(ok, "apply failed (no istio-system here): {err}\n{out}");
    wait_can_i(&["list", "pods", "-n", "shop"], NS_USER, true);
    wait_can_i(&["list", "leases", "-n", "kube-system"], NS_USER, true);
    // Namespaced reads stay in their namespaces.
    wait_can_i(&["list", "pods", "-n", "default"], NS_USER, false);

    let as_user = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["-o", "json", "--as", NS_USER]);
        let (status, stdout, stderr) = cluster().run(&all);
        let report: Value = serde_json::from_str(&stdout).unwrap_or(Value::Null);
        assert!(report.is_object(), "{args:?}: {status}: {stderr}");
        refused(&report)
    };
    assert_eq!(as_user(&["check-nodes"]), Vec::<String>::new());
    assert_eq!(
        as_user(&["diff-pod", "web-7c9f6d5b8-q2x4z", "-n", "shop"]),
        Vec::<String>::new()
    );
    // Only istiod's namespace is refused (no --istio), and it is named.
    let refused_doctor = as_user(&["doctor", "-n", "shop"]);
    assert!(
        !refused_doctor.is_empty() && refused_doctor.iter().all(|p| p.contains("istio-system")),
        "{refused_doctor:?}"
    );
}
