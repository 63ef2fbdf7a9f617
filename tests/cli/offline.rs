//! `doctor --offline -f`: the static checks on manifests, with no cluster. For every static id,
//! tests/fixtures/offline/ids/<id>.yaml holds a pod template that triggers it and the same
//! template fixed; each is wrapped here into every kind that can carry it (one multi-document
//! file, a List among them), so that each kind is shown to trigger the id and, fixed, to give
//! no finding at all. Then the table, `-o json` locations, exit codes, stdin, -R and malformed
//! input, black box.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::case::{Case, fixture};

/// Every id the catalog marks static (CHECKS.md says which); each must have a fixture.
const STATIC_IDS: &[&str] = &[
    "linkerd-annotation-typo",
    "istio-annotation-typo",
    "init-container-never-exits",
    "probe-on-classic-init",
    "legacy-sidecar-in-job",
    "sidecar-start-race",
    "sidecar-missing-startup-probe",
    "restart-policy-on-app-container",
    "app-container-restarts-forever",
    "sidecar-readiness-not-startup",
];

fn offline(args: &[&str]) -> Case {
    Case::new(["doctor", "--offline"]).args(args)
}

/// The manifest of `kind` named `name` around a pod template (`metadata` + `spec`).
fn wrap(kind: &str, name: &str, template: &Value) -> Value {
    let meta = template.get("metadata").cloned().unwrap_or(json!({}));
    let mut labelled = meta.clone();
    labelled["labels"] = json!({"app": name});
    let tpl = json!({"metadata": labelled, "spec": template["spec"].clone()});
    let selector = json!({"matchLabels": {"app": name}});
    let mut pod_meta = meta;
    pod_meta["name"] = json!(name);
    match kind {
        "Pod" => json!({"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta,
            "spec": template["spec"].clone()}),
        "Deployment" | "DaemonSet" | "ReplicaSet" => json!({"apiVersion": "apps/v1",
            "kind": kind, "metadata": {"name": name},
            "spec": {"selector": selector, "template": tpl}}),
        "StatefulSet" => json!({"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name},
            "spec": {"serviceName": name, "selector": selector, "template": tpl}}),
        "ReplicationController" => json!({"apiVersion": "v1", "kind": kind,
            "metadata": {"name": name}, "spec": {"selector": {"app": name}, "template": tpl}}),
        "Job" => json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"template": tpl}}),
        "CronJob" => json!({"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": name},
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": tpl}}}}),
        "PodTemplate" => json!({"apiVersion": "v1", "kind": "PodTemplate",
            "metadata": {"name": name}, "template": tpl}),
        other => panic!("no wrapper for {other}"),
    }
}

struct Wrapped {
    path: PathBuf,
    /// (kind, name) of every object, in file order, List items included.
    objects: Vec<(String, String)>,
}

/// One YAML file with the template in each kind (a List holds the first and last of them).
fn manifests(dir: &Path, file: &str, kinds: &[String], template: &Value) -> Wrapped {
    let mut docs = Vec::new();
    let mut objects = Vec::new();
    let plain: Vec<&String> = kinds.iter().filter(|k| *k != "List").collect();
    for kind in &plain {
        let name = format!("{}-x", kind.to_lowercase());
        docs.push(wrap(kind, &name, template));
        objects.push((kind.to_string(), name));
    }
    if kinds.iter().any(|k| k == "List") {
        let mut items = Vec::new();
        for kind in [plain[0], plain[plain.len() - 1]] {
            let name = format!("{}-in-list", kind.to_lowercase());
            items.push(wrap(kind, &name, template));
            objects.push((kind.to_string(), name));
        }
        docs.push(json!({"apiVersion": "v1", "kind": "List", "items": items}));
    }
    let text: Vec<String> = docs
        .iter()
        .map(|d| serde_saphyr::to_string(d).expect("YAML"))
        .collect();
    let path = dir.join(file);
    std::fs::write(&path, format!("---\n{}", text.join("---\n"))).expect("write manifests");
    Wrapped { path, objects }
}

fn id_fixture(id: &str) -> Value {
    let path = fixture(&format!("offline/ids/{id}.yaml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_static_id_triggers_on_each_kind_and_its_fix_is_clean() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let listed: Vec<String> = std::fs::read_dir(fixture("offline/ids"))
        .expect("the fixtures")
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .replace(".yaml", "")
        })
        .collect();
    for id in STATIC_IDS {
        assert!(listed.iter().any(|l| l == id), "no fixture for {id}");
    }
    for id in STATIC_IDS {
        let f = id_fixture(id);
        assert_eq!(f["id"], *id);
        let kinds: Vec<String> = f["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect();
        let target = f["target"].as_str().unwrap();

        let bad = manifests(dir.path(), &format!("{id}.yaml"), &kinds, &f["trigger"]);
        let run = offline(&["--target-version", target, "-o", "json", "-f"])
            .arg(&bad.path)
            .run();
        let report = run.json();
        let findings = report["findings"].as_array().unwrap();
        for (kind, name) in &bad.objects {
            let hit = findings.iter().find(|x| {
                x["id"] == *id && x["object"]["kind"] == *kind && x["object"]["name"] == *name
            });
            let Some(hit) = hit else {
                panic!("{id}: nothing on {kind}/{name}: {findings:#?}");
            };
            let loc = &hit["location"];
            assert_eq!(loc["file"], bad.path.to_string_lossy().as_ref(), "{id}");
            assert!(loc["document"].as_u64().unwrap() >= 1, "{id}: {loc}");
            // The line is the object's own first key: read it back from the file.
            let line = loc["line"].as_u64().unwrap() as usize;
            let text = std::fs::read_to_string(&bad.path).unwrap();
            let at = text.lines().nth(line - 1).unwrap_or_default();
            assert!(
                at.trim_start()
                    .trim_start_matches("- ")
                    .starts_with("apiVersion:"),
                "{id} {kind}/{name}: line {line} is {at:?}"
            );
        }
        let severity = findings
            .iter()
            .find(|x| x["id"] == *id)
            .map(|x| x["severity"].as_str().unwrap().to_string())
            .unwrap();
        let code = if severity == "error" { 1 } else { 0 };
        run.exit(code);

        let good = manifests(dir.path(), &format!("{id}-fixed.yaml"), &kinds, &f["fixed"]);
        let run = offline(&["--target-version", target, "-o", "json", "-f"])
            .arg(&good.path)
            .run();
        run.exit(0);
        let report = run.json();
        assert_eq!(report["findings"], json!([]), "{id} fixed: {report:#}");
        assert_eq!(report["verdict"], "manifests ok", "{id} fixed");
    }
}

#[test]
fn kind_decides_what_a_job_helper_means() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let f = id_fixture("legacy-sidecar-in-job");
    // The same helper next to the work of a Deployment is no Job problem (and serves no port).
    let kinds = vec!["Deployment".to_string(), "Pod".to_string()];
    let m = manifests(dir.path(), "svc.yaml", &kinds, &f["trigger"]);
    let report = offline(&["-o", "json", "-f"]).arg(&m.path).run().json();
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&"legacy-sidecar-in-job"), "{ids:?}");
}

#[test]
fn the_target_version_changes_a_container_restart_policy() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let f = id_fixture("app-container-restarts-forever");
    let kinds = vec!["Job".to_string()];
    let m = manifests(dir.path(), "job.yaml", &kinds, &f["trigger"]);
    let id_at = |target: &str| {
        let run = offline(&["-o", "json", "--target-version", target, "-f"])
            .arg(&m.path)
            .run();
        run.json()["findings"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(id_at("1.35"), "app-container-restarts-forever");
    assert_eq!(id_at("1.34"), "restart-policy-on-app-container");
    assert_eq!(id_at("v1.33.2"), "restart-policy-on-app-container");
    offline(&["--target-version", "latest", "-f"])
        .arg(&m.path)
        .run()
        .one_line_error(
            2,
            &["--target-version \"latest\": not a Kubernetes version"],
        );
}

#[test]
fn clean_manifests_give_no_warning_and_are_not_called_ready() {
    let clean = fixture("offline/clean.yaml");
    let run = offline(&["-f", &clean]).run();
    run.exit(0)
        .stdout_has("manifests ok")
        .stdout_lacks("warning ")
        .stdout_lacks(": ready")
        .stdout_has("skipped (no pod template): Service/web")
        .stdout_has("Secret/db-credentials")
        .stdout_has("Run `kubectl sidecar doctor` against the cluster");
    // A Secret's data is never read into the report.
    for secret in ["aHVudGVyMg==", "hunter2", "s3cret-token"] {
        run.stdout_lacks(secret);
    }
    let run = offline(&["-o", "json", "-f", &clean]).run();
    run.exit(0);
    let report = run.json();
    assert_eq!(report["kind"], "DoctorReport");
    assert_eq!(report["verdict"], "manifests ok");
    assert_eq!(report["findings"], json!([]));
    assert_eq!(report["collectedAt"], Value::Null);
    for s in report["coverage"]["sections"].as_array().unwrap() {
        assert!(
            s["gaps"]
                .as_array()
                .unwrap()
                .iter()
                .all(|g| g["cause"] == "offline"),
            "{s}"
        );
    }
    let objects = report["manifests"]["objects"].as_array().unwrap();
    let secret = objects.iter().find(|o| o["kind"] == "Secret").unwrap();
    assert_eq!(secret["checked"], Value::Null);
    assert!(!run.stdout().contains("hunter2") && !run.stdout().contains("aHVudGVyMg=="));
    // --fail-on warning changes nothing when there is nothing.
    offline(&["--fail-on", "info", "-f", &clean]).run().exit(0);
}

#[test]
fn table_names_file_and_line_and_exit_follows_fail_on() {
    let example = fixture("offline/example.yaml");
    let run = offline(&["-f", &example]).run();
    run.exit(1)
        .stdout_has("Manifests (offline, judged by Kubernetes 1.37's rules)")
        .stdout_has("init-container-never-exits")
        .stdout_has("example.yaml:")
        .stdout_has("not ready: not examined offline");
    let warnings = fixture("offline/warnings.yaml");
    offline(&["-f", &warnings])
        .run()
        .exit(0)
        .stdout_has("manifests ok");
    offline(&["--fail-on", "warning", "-f", &warnings])
        .run()
        .exit(1);
}

#[test]
fn stdin_and_several_json_objects_in_a_row() {
    let json_stream = concat!(
        "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s\"}}\n",
        "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"j\"},\n",
        " \"spec\":{\"template\":{\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[\n",
        "  {\"name\":\"work\",\"image\":\"w\"},{\"name\":\"istio-proxy\",\"image\":\"docker.io/istio/proxyv2:1.24.2\"}]}}}}\n"
    );
    let run = offline(&["-o", "json", "-f", "-"]).stdin(json_stream).run();
    run.exit(0);
    let report = run.json();
    let f = &report["findings"][0];
    assert_eq!(f["id"], "legacy-sidecar-in-job");
    assert_eq!(
        f["location"],
        json!({"file": "-", "document": 2, "line": 2})
    );
    // helm template output: comments and `---` before each document.
    let helm = "---\n# Source: chart/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n---\n# Source: chart/templates/job.yaml\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - {name: work, image: w}\n      - {name: log-shipper, image: fluent/fluent-bit}\n";
    let report = offline(&["-o", "yaml", "-f", "-"]).stdin(helm).run().yaml();
    assert_eq!(
        report["findings"][0]["location"],
        json!({"file": "-", "document": 2, "line": 9})
    );
    offline(&["-f", "-"])
        .stdin(helm)
        .run()
        .stdout_has("job/j [log-shipper] (stdin:9)");
}

#[test]
fn directories_only_recurse_with_r() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let sub = dir.path().join("apps");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(
        dir.path().join("svc.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
    )
    .unwrap();
    std::fs::copy(fixture("offline/example.yaml"), sub.join("example.yaml")).unwrap();
    offline(&["-f"]).arg(dir.path()).run().one_line_error(
        2,
        &["no object in the input holds a pod template", "Service/s"],
    );
    let run = offline(&["-R", "-o", "json", "-f"]).arg(dir.path()).run();
    run.exit(1);
    let report = run.json();
    let file = report["findings"][0]["location"]["file"].as_str().unwrap();
    assert!(file.ends_with("apps/example.yaml"), "{file}");
}

#[test]
fn malformed_input_is_one_line_naming_file_and_document() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let cases: Vec<(PathBuf, Vec<&str>)> = vec![
        (
            write("not-yaml.yaml", b"apiVersion: v1\nkind: Pod\n---\nmetadata: [\n"),
            vec!["not-yaml.yaml: invalid YAML", "(document 2, line"],
        ),
        (
            write("binary.yaml", &[0x7f, b'E', b'L', b'F', 0, 1, 0xff]),
            vec!["binary.yaml: binary content"],
        ),
        (write("empty.yaml", b""), vec!["empty.yaml: no objects found"]),
        (
            write("no-kind.yaml", b"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: a}]}\n---\napiVersion: v1\nmetadata: {name: b}\n"),
            vec!["no-kind.yaml: the object has no kind (document 2, line 6)"],
        ),
        (
            write("bad-template.yaml", b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec: {containers: [{name: a, ports: 80}]}\n"),
            vec!["bad-template.yaml: Deployment/web: malformed at spec.template", "(document 1, line 1)"],
        ),
        (
            write("no-containers.yaml", b"apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec: {}\n"),
            vec!["Job/j: spec.template.spec.containers is missing (document 1, line 1)"],
        ),
        (
            write("bad-list.json", b"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[\n {\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"},\"spec\":{\"containers\":[{\"name\":\"a\"}]}},\n {\"kind\":\"Pod\"}]}\n"),
            vec!["bad-list.json: the Pod has no apiVersion (document 1, item 2, line 3)"],
        ),
        (
            write("only-config.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"),
            vec!["no object in the input holds a pod template", "ConfigMap/c (", "document 1, line 1)"],
        ),
    ];
    for (path, needles) in cases {
        offline(&["-f"])
            .arg(&path)
            .run()
            .one_line_error(2, &needles);
    }
}

#[test]
fn connection_flags_and_other_sources_are_refused() {
    let example = fixture("offline/example.yaml");
    offline(&["--kubeconfig", "/nonexistent", "-f", &example])
        .run()
        .one_line_error(2, &["--kubeconfig cannot be used with --offline"]);
    offline(&["--context", "prod", "-f", &example])
        .run()
        .one_line_error(2, &["--context cannot be used with --offline"]);
    for extra in [
        &["--all-contexts"][..],
        &["--snapshot", "x.json"][..],
        &["-A"][..],
        &["-l", "app=web"][..],
        &["--save-snapshot", "x.json"][..],
    ] {
        offline(&["-f", &example])
            .args(extra)
            .run()
            .exit(2)
            .stderr_has("cannot be used with");
    }
    // --offline needs manifests, and -f needs --offline.
    Case::new(["doctor", "--offline"]).run().exit(2);
    Case::new(["doctor", "-f", &example]).run().exit(2);
    // No kubeconfig anywhere and none needed.
    offline(&["-f", &example])
        .env("KUBECONFIG", "/nonexistent")
        .run()
        .exit(1);
}
