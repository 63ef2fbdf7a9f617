#![cfg(feature = "e2e")]
//! What kubectl-sidecar does to a cluster and with what it reads, checked from the outside:
//! - read-only: a kube-apiserver with an audit log sees only get/list/watch and `dryRun=All`
//!   pod creates from every command in every mode, each request carrying our User-Agent, and
//!   with exactly the ClusterRole `kubectl-sidecar rbac` prints nothing is refused;
//! - redaction: secrets planted in env, args, command, annotations, last-applied
//!   configurations, Secrets, ConfigMaps and namespace labels reach no stdout, stderr or
//!   snapshot (also with -f, and diff-pod --save-snapshot);
//! - a reader that leaves after one line (`| head -1`) of a report far larger than a pipe's
//!   buffer, at 200 nodes and at 1,000 pods, ends the run quietly with its own exit code.
//!
//! Each test brings up its own control plane, one at a time (a shared two-core machine).

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{TestCluster, run_product};
use serde_json::Value;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A scenario's cluster for one test, torn down when the test ends (passing or not).
struct Up {
    cluster: TestCluster,
    _turn: MutexGuard<'static, ()>,
}

impl Drop for Up {
    fn drop(&mut self) {
        let _ = self.cluster.close_stdin_and_wait();
    }
}

fn up(scenario: &str, label: &str) -> Up {
    let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    Up {
        cluster: TestCluster::start_private(scenario, label),
        _turn: turn,
    }
}

#[derive(Debug)]
struct Run {
    args: Vec<String>,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(kubeconfig: &Path, args: &[String]) -> Run {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (status, stdout, stderr) = run_product(kubeconfig, &refs);
    Run {
        args: args.to_vec(),
        code: status.code(),
        stdout,
        stderr,
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn crate_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A directory of this test process's own for generated files; those of finished runs go.
fn scratch(name: &str) -> PathBuf {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ksc-audit");
    if let Ok(entries) = std::fs::read_dir(&base) {
        for entry in entries.flatten() {
            let pid = entry
                .file_name()
                .to_string_lossy()
                .rsplit('-')
                .next()
                .and_then(|p| p.parse::<i32>().ok());
            if pid.is_some_and(|p| p != std::process::id() as i32 && !common::pid_alive(p)) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = base.join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the scratch dir");
    dir
}

// ---------------------------------------------------------------------------------------------
// Read-only audit

const AUDIT_SCENARIO: &str = "tests/scenarios/audit-readonly.yaml";
const AUDIT_POLICY: &str = "tests/scenarios/audit-policy.yaml";
/// The manifest diff-pod -f dry-runs in the audit scenario.
const SIDECAR_MANIFEST: &str = "tests/fixtures/manifests/deployment-sidecar.yaml";
/// The one live pod of the audit scenario, with its owners.
const LIVE_POD: &str = "web-6d4b75cb6d-x7k2p";
/// The service-backed webhook of the audit scenario: --blame reaches it through the
/// apiserver's service proxy.
const SERVICE_PROXY_URI: &str =
    "/api/v1/namespaces/hooks/services/https:in-cluster-injector:443/proxy/mutate";

/// The audit scenario with its placeholders filled in: (scenario path, audit log path).
fn audit_scenario() -> (PathBuf, PathBuf) {
    let dir = scratch("audit");
    let log = dir.join("audit.log");
    let text = std::fs::read_to_string(crate_path(AUDIT_SCENARIO)).expect("read the scenario");
    assert!(text.contains("@AUDIT_POLICY@") && text.contains("@AUDIT_LOG@"));
    let text = text
        .replace(
            "@AUDIT_POLICY@",
            &crate_path(AUDIT_POLICY).to_string_lossy(),
        )
        .replace("@AUDIT_LOG@", &log.to_string_lossy());
    let path = dir.join("audit-readonly.yaml");
    std::fs::write(&path, text).expect("write the scenario");
    (path, log)
}

/// One command of the audit, run as its own impersonated user so that the log tells which
/// requests it made.
struct Audited {
    user: String,
    slug: String,
    rights: Rights,
    blame: bool,
    run: Run,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rights {
    /// system:masters: nothing the tool wants is refused, so what it does not do, it does not try.
    All,
    /// Exactly the ClusterRole `kubectl-sidecar rbac` prints.
    Least,
    /// None beyond what every authenticated user has: every refusal must be met with another
    /// read, not a write; what decides the answer may be refused (exit 3).
    Nothing,
}

/// The group the ClusterRole printed by `kubectl-sidecar rbac` is bound to.
const LEAST_GROUP: &str = "ksc-audit-least";

/// Creates the ClusterRole and binding that `kubectl-sidecar rbac` prints, for LEAST_GROUP.
fn grant_least_privilege(kubeconfig: &Path) {
    use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
    use kube::api::{Api, PostParams};

    let printed = run(
        kubeconfig,
        &strings(&["rbac", "--subject", &format!("Group:{LEAST_GROUP}")]),
    );
    assert_eq!(printed.code, Some(0), "rbac: {}", printed.stderr);
    let mut docs = Vec::new();
    let mut current = String::new();
    for line in printed.stdout.lines().chain(std::iter::once("---")) {
        if line.trim_end() == "---" {
            if current
                .lines()
                .any(|l| !l.trim().is_empty() && !l.starts_with('#'))
            {
                let doc: Value = serde_saphyr::from_str(&current).unwrap_or_else(|e| {
                    panic!("rbac printed YAML that does not parse ({e}):\n{current}")
                });
                docs.push(doc);
            }
            current.clear();
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let client = common::client_for(kubeconfig).await;
        let mut kinds = Vec::new();
        for doc in docs {
            let kind = doc["kind"].as_str().unwrap_or("").to_string();
            match kind.as_str() {
                "ClusterRole" => {
                    let role: ClusterRole = serde_json::from_value(doc).expect("a ClusterRole");
                    Api::<ClusterRole>::all(client.clone())
                        .create(&PostParams::default(), &role)
                        .await
                        .expect("create the printed ClusterRole");
                }
                "ClusterRoleBinding" => {
                    let binding: ClusterRoleBinding =
                        serde_json::from_value(doc).expect("a ClusterRoleBinding");
                    Api::<ClusterRoleBinding>::all(client.clone())
                        .create(&PostParams::default(), &binding)
                        .await
                        .expect("create the printed ClusterRoleBinding");
                }
                other => panic!("rbac printed a {other:?} without --namespace-scoped"),
            }
            kinds.push(kind);
        }
        kinds.sort();
        assert_eq!(
            kinds,
            ["ClusterRole", "ClusterRoleBinding"],
            "what rbac printed"
        );
    });
    // RBAC reaches the authorizer through an informer: wait until the group may list nodes.
    let started = Instant::now();
    loop {
        let probe = run(
            kubeconfig,
            &strings(&[
                "--as",
                "ksc-audit-least-probe",
                "--as-group",
                LEAST_GROUP,
                "check-nodes",
                "-o",
                "json",
            ]),
        );
        if probe.code != Some(3) && !probe.stdout.is_empty() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the printed ClusterRole never took effect: {}",
            probe.stderr
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Every command in every mode, with every right and with the rights `rbac` prints; and some
/// with none.
fn audited_runs(kubeconfig: &Path, dir: &Path) -> Vec<Audited> {
    let manifest = crate_path(SIDECAR_MANIFEST).to_string_lossy().into_owned();
    let snap = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let nodes_snapshot = snap("check-nodes.json");
    let doctor_snapshot = snap("doctor.json");
    let snapshot_file = snap("snapshot.json");
    let bare_snapshot = snap("norights-snapshot.json");
    let dry_run_snapshot = snap("snapshot-f.json");
    let diff_pod_snapshot = snap("diff-pod.json");
    let full: Vec<(&str, Vec<&str>)> = vec![
        ("nodes-table", vec!["check-nodes"]),
        ("nodes-wide", vec!["check-nodes", "-o", "wide"]),
        ("nodes-json", vec!["check-nodes", "-o", "json"]),
        ("nodes-yaml", vec!["check-nodes", "-o", "yaml"]),
        (
            "nodes-save",
            vec!["check-nodes", "--save-snapshot", &nodes_snapshot],
        ),
        ("doctor-all", vec!["doctor", "-A"]),
        ("doctor-all-json", vec!["doctor", "-A", "-o", "json"]),
        ("doctor-all-yaml", vec!["doctor", "-A", "-o", "yaml"]),
        ("doctor-ns", vec!["doctor", "-n", "legacy"]),
        (
            "doctor-ns-wide",
            vec!["doctor", "-n", "meshed", "-o", "wide"],
        ),
        (
            "doctor-selector",
            vec!["doctor", "-A", "-l", "app=web", "-o", "json"],
        ),
        (
            "doctor-save",
            vec!["doctor", "-A", "--save-snapshot", &doctor_snapshot],
        ),
        ("snapshot-all", vec!["snapshot", "-A", "-o", &snapshot_file]),
        (
            "snapshot-ns-stdout",
            vec!["snapshot", "-n", "legacy", "-l", "app=web", "-o", "-"],
        ),
        (
            "snapshot-file",
            vec![
                "snapshot",
                "-n",
                "legacy",
                "-f",
                &manifest,
                "-o",
                &dry_run_snapshot,
            ],
        ),
        (
            "doctor-timeouts",
            vec![
                "doctor",
                "-A",
                "--request-timeout=20s",
                "--timeout=90s",
                "-o",
                "yaml",
            ],
        ),
        (
            "diffpod-file",
            vec!["diff-pod", "-f", &manifest, "-n", "meshed"],
        ),
        (
            "diffpod-file-json",
            vec!["diff-pod", "-f", &manifest, "-n", "legacy", "-o", "json"],
        ),
        (
            "diffpod-file-blame",
            vec!["diff-pod", "-f", &manifest, "-n", "legacy", "--blame"],
        ),
        (
            "diffpod-file-blame-service",
            vec![
                "diff-pod", "-f", &manifest, "-n", "hooked", "--blame", "-o", "json",
            ],
        ),
        (
            "diffpod-save",
            vec![
                "diff-pod",
                "-f",
                &manifest,
                "-n",
                "legacy",
                "--blame",
                "--save-snapshot",
                &diff_pod_snapshot,
            ],
        ),
        ("diffpod-pod", vec!["diff-pod", LIVE_POD, "-n", "legacy"]),
        (
            "diffpod-pod-blame",
            vec![
                "diff-pod", LIVE_POD, "-n", "legacy", "--blame", "-o", "yaml",
            ],
        ),
    ];
    let bare: Vec<(&str, Vec<&str>)> = vec![
        ("norights-nodes", vec!["check-nodes", "-o", "json"]),
        ("norights-doctor", vec!["doctor", "-A", "-o", "json"]),
        (
            "norights-snapshot",
            vec!["snapshot", "-A", "-o", &bare_snapshot],
        ),
        (
            "norights-diffpod",
            vec!["diff-pod", "-f", &manifest, "-n", "legacy", "--blame"],
        ),
    ];
    grant_least_privilege(kubeconfig);
    let mut out = Vec::new();
    for (rights, list) in [
        (Rights::All, full.clone()),
        (Rights::Least, full),
        (Rights::Nothing, bare),
    ] {
        for (slug, args) in list {
            let user = match rights {
                Rights::Least => format!("ksc-audit-least-{slug}"),
                _ => format!("ksc-audit-{slug}"),
            };
            let mut all = strings(&["--as", &user]);
            match rights {
                Rights::All => all.extend(strings(&["--as-group", "system:masters"])),
                Rights::Least => all.extend(strings(&["--as-group", LEAST_GROUP])),
                Rights::Nothing => {}
            }
            all.extend(strings(&args));
            out.push(Audited {
                user,
                slug: slug.to_string(),
                rights,
                blame: args.contains(&"--blame"),
                run: run(kubeconfig, &all),
            });
        }
    }
    for snapshot in [
        &nodes_snapshot,
        &doctor_snapshot,
        &snapshot_file,
        &dry_run_snapshot,
        &diff_pod_snapshot,
    ] {
        assert!(Path::new(snapshot).is_file(), "no snapshot {snapshot}");
    }
    out
}

/// Makes one request of the test's own with a unique path and waits until the audit log has
/// it: every request made before it has been logged by then.
fn audit_barrier(kubeconfig: &Path, log: &Path) {
    let tag = format!(
        "ksc-audit-barrier-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        use k8s_openapi::api::core::v1::ConfigMap;
        let client = common::client_for(kubeconfig).await;
        let api: kube::Api<ConfigMap> = kube::Api::namespaced(client, "default");
        let _ = api.get_opt(&tag).await;
    });
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains(&tag) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the audit log {} never showed the barrier request",
            log.display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Events are written as their requests complete; give stragglers of the last run a moment.
    std::thread::sleep(Duration::from_secs(1));
}

fn read_audit_log(log: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(log)
        .unwrap_or_else(|e| panic!("read the audit log {}: {e}", log.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("audit line ({e}): {l}")))
        .collect()
}

fn field<'a>(event: &'a Value, pointer: &str) -> &'a str {
    event.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn describe(event: &Value) -> String {
    format!(
        "{} {} (resource {:?}, subresource {:?}; as {:?}, user-agent {:?}, status {})",
        field(event, "/verb"),
        field(event, "/requestURI"),
        field(event, "/objectRef/resource"),
        field(event, "/objectRef/subresource"),
        field(event, "/impersonatedUser/username"),
        field(event, "/userAgent"),
        event
            .pointer("/responseStatus/code")
            .unwrap_or(&Value::Null)
    )
}

/// The read-only set of README's first paragraph: reads, and server-side dry runs of pods.
fn read_or_dry_run(event: &Value) -> bool {
    match field(event, "/verb") {
        "get" | "list" | "watch" => true,
        "create" => {
            field(event, "/objectRef/resource") == "pods"
                && field(event, "/requestURI")
                    .split_once('?')
                    .is_some_and(|(_, query)| query.split('&').any(|p| p == "dryRun=All"))
        }
        _ => false,
    }
}

/// `--blame` posts a dry-run AdmissionReview to a service-backed webhook through the
/// apiserver's service proxy: RBAC verb `create` on `services/proxy`, which README's diff-pod
/// section documents. Allowed only for --blame runs, only to the scenario's webhook.
fn blame_through_service_proxy(event: &Value) -> bool {
    field(event, "/verb") == "create"
        && field(event, "/objectRef/resource") == "services"
        && field(event, "/objectRef/subresource") == "proxy"
        && field(event, "/requestURI") == SERVICE_PROXY_URI
}

#[test]
fn every_request_is_a_read_or_a_dry_run_and_names_kubectl_sidecar() {
    let (scenario, log) = audit_scenario();
    let up = up(&scenario.to_string_lossy(), "audit");
    let admin = up.cluster.admin_kubeconfig().to_path_buf();
    let runs = audited_runs(&admin, scenario.parent().expect("scratch dir"));
    audit_barrier(&admin, &log);
    let events = read_audit_log(&log);
    let ours = format!("kubectl-sidecar/{}", env!("CARGO_PKG_VERSION"));
    let readme = std::fs::read_to_string(crate_path("README.md")).expect("README.md");

    let mut problems = Vec::new();
    for a in &runs {
        let code = a.run.code;
        let expected =
            matches!(code, Some(0 | 1 | 4)) || a.rights == Rights::Nothing && code == Some(3);
        // With the rights `rbac` prints, a run ends as it does with every right.
        if a.rights == Rights::Least
            && let Some(all) = runs
                .iter()
                .find(|b| b.rights == Rights::All && b.slug == a.slug)
            && all.run.code != code
        {
            problems.push(format!(
                "{}: exited {code:?} with the printed ClusterRole, {:?} with every right; stderr:\n{}",
                a.user, all.run.code, a.run.stderr
            ));
        }
        if !expected || a.run.stdout.is_empty() && code != Some(3) {
            problems.push(format!(
                "{}: {:?} exited {code:?} (stdout {} bytes); stderr:\n{}",
                a.user,
                a.run.args,
                a.run.stdout.len(),
                a.run.stderr
            ));
        }
        let mine: Vec<&Value> = events
            .iter()
            .filter(|e| field(e, "/impersonatedUser/username") == a.user)
            .collect();
        if mine.is_empty() {
            problems.push(format!(
                "{}: {:?} made no request the audit log shows",
                a.user, a.run.args
            ));
        }
        for e in mine {
            if a.rights == Rights::Least
                && e.pointer("/responseStatus/code").and_then(Value::as_u64) == Some(403)
            {
                problems.push(format!(
                    "{}: refused with the ClusterRole `rbac` prints: {}",
                    a.user,
                    describe(e)
                ));
            }
            if field(e, "/userAgent") != ours {
                problems.push(format!(
                    "{}: a request without User-Agent {ours}: {}",
                    a.user,
                    describe(e)
                ));
            }
            let allowed = read_or_dry_run(e)
                || (a.blame
                    && blame_through_service_proxy(e)
                    && readme.contains("`create services/proxy`"));
            if !allowed {
                problems.push(format!(
                    "{}: {:?} made a request outside get/list/watch and dryRun=All pod creates: {}",
                    a.user,
                    a.run.args,
                    describe(e)
                ));
            }
        }
    }
    // Every request that names us was made as the user the run impersonated: none escaped
    // --as (a second client without it would show up here).
    for e in &events {
        if field(e, "/userAgent").starts_with("kubectl-sidecar/")
            && !field(e, "/impersonatedUser/username").starts_with("ksc-audit-")
        {
            problems.push(format!("a request not made as --as: {}", describe(e)));
        }
    }
    // Nor did one without our User-Agent: from the first request of the runs to their last,
    // the kubeconfig's own user (the test's setup is over, its barrier yet to come) makes none
    // that is not impersonated.
    let of_runs = |e: &Value| field(e, "/impersonatedUser/username").starts_with("ksc-audit-");
    if let (Some(first), Some(last)) = (
        events.iter().position(of_runs),
        events.iter().rposition(of_runs),
    ) {
        for e in &events[first..=last] {
            if field(e, "/user/username") == "ksc-admin" && e.get("impersonatedUser").is_none() {
                problems.push(format!(
                    "a request as ksc-admin itself during the runs: {}",
                    describe(e)
                ));
            }
        }
    }
    // The runs did reach the requests that are not plain reads, or the rule above proves little.
    let dry_runs = events
        .iter()
        .filter(|e| field(e, "/verb") == "create" && read_or_dry_run(e))
        .filter(|e| field(e, "/impersonatedUser/username").starts_with("ksc-audit-"))
        .count();
    if dry_runs == 0 {
        problems.push(
            "no dryRun=All pod create was seen: the runs did not exercise diff-pod or the canary"
                .into(),
        );
    }
    let proxied: Vec<String> = events
        .iter()
        .filter(|e| blame_through_service_proxy(e))
        .map(describe)
        .collect();
    eprintln!(
        "audit: {} events, {} runs, {dry_runs} dry-run pod creates; --blame through the service proxy: {proxied:#?}",
        events.len(),
        runs.len()
    );
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Redaction

const REDACTION_SCENARIO: &str = "tests/scenarios/redaction-secrets.yaml";
const REDACTION_MANIFEST: &str = "tests/scenarios/redaction-manifest.yaml";
/// Every planted secret starts with it; the suffix says where it was planted.
const MARKER: &str = "S3CRET-MARKER-7f3a9";

/// What betrays the marker in a text: itself, in any case (its first word alone survives a
/// table that wraps it), and its base64 at each of the three alignments it can have inside a
/// longer value (case matters there). (needle, case-insensitive)
fn needles() -> Vec<(String, bool)> {
    let mut out = vec![(MARKER.to_lowercase(), true), ("s3cret".to_string(), true)];
    let b64 = base64::engine::general_purpose::STANDARD;
    for pad in 0..3usize {
        let mut raw = vec![b'x'; pad];
        raw.extend_from_slice(MARKER.as_bytes());
        let encoded = b64.encode(&raw);
        // Only the characters that depend on nothing but the marker's own bytes.
        let start = pad.div_ceil(3) * 4;
        let end = (pad + MARKER.len()) / 3 * 4;
        out.push((encoded[start..end].to_string(), false));
    }
    out
}

/// The planted token at the start of `text` (`S3CRET-MARKER-7f3a9-ENV`), if any.
fn token_in(text: &str) -> Option<String> {
    let i = text.find(MARKER)?;
    Some(
        text[i..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect(),
    )
}

/// Each line of `text` that holds a needle: the planted token when readable, and the line.
fn leaks(text: &str, needles: &[(String, bool)]) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let lower = line.to_lowercase();
        let hit = needles.iter().find(|(n, any_case)| {
            if *any_case {
                lower.contains(n.as_str())
            } else {
                line.contains(n.as_str())
            }
        });
        if let Some((n, _)) = hit {
            let token = token_in(line).unwrap_or_else(|| format!("(matched {n:?})"));
            let shown: String = line.trim().chars().take(160).collect();
            out.push(format!("{token}: {shown}"));
        }
    }
    out
}

#[test]
fn no_planted_secret_reaches_any_output_or_snapshot() {
    let up = up(REDACTION_SCENARIO, "redaction");
    let admin = up.cluster.admin_kubeconfig().to_path_buf();
    let dir = scratch("redaction");
    let manifest = crate_path(REDACTION_MANIFEST)
        .to_string_lossy()
        .into_owned();

    // (args, a word the report must contain: proof that it looked at the planted objects)
    let mut cases: Vec<(Vec<String>, &str)> = Vec::new();
    for format in ["table", "wide", "json", "yaml"] {
        let o = ["-o", format];
        let with = |args: &[&str]| {
            let mut a = strings(args);
            a.extend(strings(&o));
            a
        };
        // 1.36.1 is only the scheduler's image tag: proof that its static pod was read.
        cases.push((with(&["check-nodes"]), "1.36.1"));
        cases.push((with(&["doctor", "-A"]), "payments"));
        cases.push((with(&["doctor", "-n", "vault"]), "payments"));
        cases.push((
            with(&["doctor", "-n", "vault", "-l", "app=applied"]),
            "vault",
        ));
        cases.push((
            with(&["diff-pod", "-f", &manifest, "-n", "vault"]),
            "billing",
        ));
        cases.push((
            with(&["diff-pod", "-f", &manifest, "-n", "vault", "--blame"]),
            "billing",
        ));
        cases.push((
            with(&[
                "diff-pod",
                "-f",
                &manifest,
                "-n",
                "default",
                "--show-defaults",
            ]),
            "billing",
        ));
        cases.push((
            with(&["diff-pod", "payments-7b9f6-q2x8z", "-n", "vault", "--blame"]),
            "payments-7b9f6-q2x8z",
        ));
        cases.push((
            with(&["diff-pod", "applied", "-n", "vault", "--show-defaults"]),
            "applied",
        ));
    }
    let mut snapshots = Vec::new();
    for (i, args) in [
        vec!["check-nodes"],
        vec!["doctor", "-A"],
        vec!["doctor", "-n", "vault", "-o", "json"],
    ]
    .into_iter()
    .enumerate()
    {
        let file = dir.join(format!("snapshot-{i}.json"));
        let mut a = strings(&args);
        a.extend(strings(&["--save-snapshot", &file.to_string_lossy()]));
        cases.push((
            a,
            if args[0] == "doctor" {
                "payments"
            } else {
                "node-a"
            },
        ));
        snapshots.push(file);
    }

    // The snapshot command: to a file (the file is audited below), and to stdout.
    let file = dir.join("snapshot-command.json");
    cases.push((
        strings(&["snapshot", "-A", "-o", &file.to_string_lossy()]),
        "pod(s) seen",
    ));
    snapshots.push(file);
    cases.push((
        strings(&["snapshot", "-n", "vault", "-l", "app=applied", "-o", "-"]),
        "vault",
    ));
    // The dry runs a snapshot keeps for diff-pod: the manifest's (snapshot -f, diff-pod
    // --save-snapshot with --blame) and a live pod's, each read back by diff-pod --snapshot.
    let file = dir.join("snapshot-manifest.json");
    cases.push((
        strings(&[
            "snapshot",
            "-n",
            "vault",
            "-f",
            &manifest,
            "-o",
            &file.to_string_lossy(),
        ]),
        "1 manifest dry run(s)",
    ));
    cases.push((
        strings(&[
            "diff-pod",
            "--snapshot",
            &file.to_string_lossy(),
            "-o",
            "wide",
        ]),
        "billing",
    ));
    snapshots.push(file);
    for (name, args, expect) in [
        (
            "diff-pod-manifest.json",
            vec!["diff-pod", "-f", &manifest, "-n", "vault", "--blame"],
            "billing",
        ),
        (
            "diff-pod-live.json",
            vec!["diff-pod", "payments-7b9f6-q2x8z", "-n", "vault", "--blame"],
            "payments-7b9f6-q2x8z",
        ),
    ] {
        let file = dir.join(name);
        let mut a = strings(&args);
        a.extend(strings(&["--save-snapshot", &file.to_string_lossy()]));
        cases.push((a, expect));
        cases.push((
            strings(&[
                "diff-pod",
                "--snapshot",
                &file.to_string_lossy(),
                "--blame",
                "-o",
                "yaml",
            ]),
            expect,
        ));
        snapshots.push(file);
    }

    let needles = needles();
    let mut problems = Vec::new();
    for (args, expect) in &cases {
        let r = run(&admin, args);
        if !matches!(r.code, Some(0 | 1 | 4)) || !r.stdout.contains(expect) {
            problems.push(format!(
                "{args:?}: exited {:?} without {expect:?} in its report; stderr:\n{}",
                r.code, r.stderr
            ));
        }
        for (stream, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
            for leak in leaks(text, &needles) {
                problems.push(format!("{args:?} {stream}: {leak}"));
            }
        }
    }
    // The restricted user's refusals are reported too: still nothing planted in them.
    let r = run(
        up.cluster.restricted_kubeconfig(),
        &strings(&["doctor", "-A", "-o", "json"]),
    );
    for (stream, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        for leak in leaks(text, &needles) {
            problems.push(format!("restricted doctor -A {stream}: {leak}"));
        }
    }
    for file in &snapshots {
        match std::fs::read_to_string(file) {
            Ok(text) => {
                for leak in leaks(&text, &needles) {
                    problems.push(format!("snapshot {}: {leak}", file.display()));
                }
            }
            Err(e) => problems.push(format!("no snapshot {}: {e}", file.display())),
        }
    }
    // Runs that did not look first: their silence proves nothing.
    problems.sort_by_key(|p| !p.contains(" without "));
    let mut by_origin: BTreeMap<String, usize> = BTreeMap::new();
    for p in &problems {
        if let Some(token) = token_in(p) {
            *by_origin.entry(token).or_default() += 1;
        }
    }
    assert!(
        problems.is_empty(),
        "{} leak(s) or failed run(s) in {} runs; by planted token: {by_origin:#?}\n{}",
        problems.len(),
        cases.len() + 1,
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// A closed pipe at scale

/// Larger than a pipe's buffer (64 KiB) plus what one buffered read of the first line takes:
/// a reader that leaves after one line then makes a later write fail.
const BEYOND_A_PIPE: usize = 96 * 1024;

/// Runs the product twice more after a healthy run: once with a reader that reads one line
/// and closes, once with a reader that is gone before it starts. Both must end as the healthy
/// run did, without a panic or a "Broken pipe" message.
fn assert_quiet_on_closed_pipe(kubeconfig: &Path, args: &[&str]) {
    let healthy = run(kubeconfig, &strings(args));
    assert!(
        matches!(healthy.code, Some(0 | 1 | 4)),
        "{args:?} exited {:?}: {}",
        healthy.code,
        healthy.stderr
    );
    assert!(
        healthy.stdout.len() > BEYOND_A_PIPE,
        "{args:?} printed {} bytes: too few to fill a pipe, the test would prove nothing",
        healthy.stdout.len()
    );
    let spawn = |stdout: Stdio| {
        Command::new(env!("CARGO_BIN_EXE_kubectl-sidecar"))
            .args(args)
            .env("KUBECONFIG", kubeconfig)
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kubectl-sidecar")
    };

    let mut child = spawn(Stdio::piped());
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    reader.read_line(&mut first).expect("read the first line");
    assert!(!first.is_empty(), "{args:?}: no first line");
    drop(reader);
    let one_line = child.wait_with_output().expect("wait");

    let (gone, writer) = std::io::pipe().expect("pipe");
    drop(gone);
    let closed = spawn(Stdio::from(writer)).wait_with_output().expect("wait");

    for (what, out) in [("after one line", one_line), ("already closed", closed)] {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            healthy.code,
            "{args:?}, reader {what}: not the run's own exit code; stderr:\n{stderr}"
        );
        for bad in ["panicked", "Broken pipe", "broken pipe", "os error 32"] {
            assert!(
                !stderr.contains(bad),
                "{args:?}, reader {what}: {bad:?} on stderr:\n{stderr}"
            );
        }
    }
}

#[test]
fn check_nodes_json_of_200_nodes_to_a_reader_that_leaves_after_one_line() {
    let up = up("tests/bench/fleet-200.yaml", "pipe");
    assert_eq!(up.cluster.env.nodes.len(), 200);
    // Generous kubelet limits: the three runs are compared by exit code, and on a loaded machine
    // the default 5 s per kubelet can leave one run incomplete (exit 4) and another not.
    assert_quiet_on_closed_pipe(
        up.cluster.admin_kubeconfig(),
        &[
            "check-nodes",
            "-o",
            "json",
            "--node-timeout=60s",
            "--deadline=5m",
        ],
    );
}

/// Creates `count` bare pods with a native sidecar in `bulk`, every other one on the old node.
async fn create_solo_pods(kubeconfig: &Path, count: usize) {
    use futures::{StreamExt, stream};
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::{Api, PostParams};

    let client = common::client_for(kubeconfig).await;
    let pods: Api<Pod> = Api::namespaced(client, "bulk");
    let results: Vec<Result<Pod, kube::Error>> = stream::iter(0..count)
        .map(|i| {
            let node = if i % 2 == 0 { "node-new" } else { "node-old" };
            let pod: Pod = serde_json::from_value(serde_json::json!({
                "metadata": {"name": format!("solo-{i:04}"), "labels": {"app": format!("solo-{i:04}")}},
                "spec": {
                    "nodeName": node,
                    "initContainers": [{"name": "proxy", "image": "registry.example/proxy:1",
                        "restartPolicy": "Always"}],
                    "containers": [{"name": "app", "image": "registry.example/app:1"}]
                }
            }))
            .expect("a valid pod");
            let pods = pods.clone();
            async move { pods.create(&PostParams::default(), &pod).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for r in results {
        r.expect("pod created");
    }
}

#[test]
fn doctor_json_of_1000_pods_to_a_reader_that_leaves_after_one_line() {
    const PODS: usize = 1_000;
    let up = up("tests/scenarios/scale-pods.yaml", "pipe");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(create_solo_pods(up.cluster.admin_kubeconfig(), PODS));
    let seen = run(
        up.cluster.admin_kubeconfig(),
        &strings(&["doctor", "-n", "bulk", "-o", "json"]),
    );
    let report: Value = serde_json::from_str(&seen.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", seen.stderr));
    assert_eq!(
        report["workloads"]["podsSeen"], PODS as u64,
        "{}",
        seen.stderr
    );
    assert_quiet_on_closed_pipe(
        up.cluster.admin_kubeconfig(),
        &["doctor", "-A", "-o", "json"],
    );
}
