//! Grouped findings for people: the same check with the same cause on many objects is one table
//! row with a count, the namespaces and a few examples; `-o wide`, JSON and YAML keep every
//! instance. Measured on snapshots generated here (500 CronJobs, 120 nodes) from bundled ones.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::case::{Case, Run, fixture};

const PROXY: &str = "docker.io/istio/proxyv2:1.24.2";
const OLD_PROXY: &str = "docker.io/istio/proxyv2:1.20.0";

fn load(rel: &str) -> Value {
    let text = std::fs::read_to_string(fixture(rel)).expect("read the bundled snapshot");
    serde_json::from_str(&text).expect("bundled snapshot is JSON")
}

fn write(dir: &tempfile::TempDir, name: &str, snapshot: &Value) -> String {
    let path: PathBuf = dir.path().join(name);
    std::fs::write(&path, serde_json::to_vec(snapshot).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

fn cronjob(namespace: &str, name: &str, proxy_image: &str, work: &str) -> Value {
    json!({
        "kind": "CronJob", "namespace": namespace, "name": name, "owner": null,
        "template": {"labels": {}, "spec": {"restartPolicy": "Never", "initContainers": [],
            "containers": [
                {"name": "istio-proxy", "image": proxy_image, "ports": [15090]},
                {"name": work, "image": "registry.example/report:1"}
            ]}},
        "lastApplied": null
    })
}

/// warnings-only.json (one Deployment with a sidecar lacking a startupProbe) plus 500 CronJobs
/// in 40 namespaces that keep the same istio-proxy as a regular container next to work that each
/// names differently, and 2 more with an older proxy image: 503 warnings, 3 causes.
fn five_hundred_cronjobs(dir: &tempfile::TempDir) -> String {
    let mut s = load("doctor/snapshots/warnings-only.json");
    s["doctor"]["scope"] = json!({"namespace": null, "allNamespaces": true, "selector": null});
    let owners = s["doctor"]["workloads"]["owners"].as_array_mut().unwrap();
    for i in 0..500 {
        owners.push(cronjob(
            &format!("team-{:02}", i % 40),
            &format!("report-{i:03}"),
            PROXY,
            &format!("work-{i}"),
        ));
    }
    for i in 0..2 {
        owners.push(cronjob("legacy", &format!("old-{i}"), OLD_PROXY, "main"));
    }
    write(dir, "cronjobs.json", &s)
}

fn doctor(file: &str, flags: &[&str]) -> Run {
    Case::new(["doctor", "--snapshot", file]).args(flags).run()
}

/// The lines of the WORKLOADS section of doctor's table.
fn workloads(out: &str) -> &str {
    let start = out.find("\nWORKLOADS\n").expect("a WORKLOADS section");
    let end = out[start..]
        .find("\nCOVERAGE\n")
        .expect("COVERAGE after it")
        + start;
    &out[start..end]
}

#[test]
fn five_hundred_identical_warnings_print_a_handful_of_rows() {
    let dir = tempfile::tempdir().unwrap();
    let file = five_hundred_cronjobs(&dir);
    let o = doctor(&file, &[]);
    o.exit(0);
    let section = workloads(o.stdout());
    let rows = section
        .lines()
        .filter(|l| l.starts_with("  warning "))
        .count();
    assert_eq!(rows, 3, "{section}");
    assert!(
        o.stdout().lines().count() < 50,
        "the table is long:\n{}",
        o.stdout()
    );
    for needle in [
        // The big cause: one row, with its count, namespaces, image and examples.
        "500 cronjobs in 40 namespaces",
        "istio-proxy (docker.io/istio/proxyv2:1.24.2): Job template with a regular helper container",
        "e.g. cronjob/team-00/report-000 [istio-proxy], cronjob/team-00/report-040 [istio-proxy], cronjob/team-00/report-080 [istio-proxy] (+497 more)",
        // Another image is another cause; identical messages are kept as they are.
        "2 cronjobs in 1 namespace",
        "istio-proxy (docker.io/istio/proxyv2:1.20.0): istio-proxy is a regular container next to the Job's work (main)",
        // A lone finding is the row it always was.
        "deployment/payments/api [auth-proxy]",
        "503 findings in 3 rows",
        "-o wide lists every one",
        // The counts are of findings, not of rows.
        "ready with warnings: 0 error(s), 503 warning(s), 0 info",
    ] {
        o.stdout_has(needle);
    }
    o.stdout_lacks("cronjob/team-19/report-499");
}

#[test]
fn wide_and_machine_output_keep_every_instance() {
    let dir = tempfile::tempdir().unwrap();
    let file = five_hundred_cronjobs(&dir);
    let wide = doctor(&file, &["-o", "wide"]);
    wide.exit(0);
    let section = workloads(wide.stdout());
    let rows = section
        .lines()
        .filter(|l| l.starts_with("  warning "))
        .count();
    assert_eq!(rows, 503, "wide folds:\n{section}");
    wide.stdout_has("cronjob/team-19/report-499 [istio-proxy]")
        .stdout_lacks("findings in 3 rows");
    // Every instance keeps its own evidence and fix.
    assert_eq!(
        section
            .lines()
            .filter(|l| l.starts_with("  legacy-sidecar-in-job "))
            .count(),
        502
    );

    for format in ["json", "yaml"] {
        let o = doctor(&file, &["-o", format]);
        o.exit(0);
        let report = if format == "json" { o.json() } else { o.yaml() };
        let findings = report["findings"].as_array().expect("findings");
        assert_eq!(findings.len(), 503, "{format}");
        let with = |image: &str| findings.iter().filter(|f| f["image"] == image).count();
        assert_eq!(with(PROXY), 500, "{format}");
        assert_eq!(with(OLD_PROXY), 2, "{format}");
        assert_eq!(
            with("quay.io/oauth2-proxy/oauth2-proxy:v7.6.0"),
            1,
            "{format}"
        );
    }
}

/// doctor-mixed.json with 118 more nodes like green-1 (kubelet 1.30, gate off) in pool green.
fn many_gate_off_nodes(dir: &tempfile::TempDir) -> String {
    let mut s = load("snapshots/doctor-mixed.json");
    let nodes = s["cluster"]["nodes"].as_array_mut().unwrap();
    let green_1 = nodes
        .iter()
        .find(|n| n["name"] == "green-1")
        .expect("green-1 in doctor-mixed")
        .clone();
    for i in 2..120 {
        let mut n = green_1.clone();
        let name = format!("green-1-{i:03}");
        n["name"] = json!(name);
        n["labels"]["kubernetes.io/hostname"] = json!(name);
        nodes.push(n);
    }
    let total = nodes.len();
    for section in s["doctor"]["coverage"]["sections"].as_array_mut().unwrap() {
        if section["section"] == "nodes" {
            section["examined"] = json!(total);
            section["total"] = json!(total);
        }
    }
    write(dir, "nodes.json", &s)
}

#[test]
fn nodes_of_one_pool_with_the_same_problem_are_one_row() {
    let dir = tempfile::tempdir().unwrap();
    let file = many_gate_off_nodes(&dir);
    let table = Case::new(["check-nodes", "--snapshot", &file]).run();
    table.exit(1);
    let folded = "119 nodes: green-1, green-1-002, green-1-003 (+116 more)   green   v1.30.6";
    table
        .stdout_has(folded)
        .stdout_has("(123 nodes in 5 rows: nodes of one pool with the same problem are one row; -o wide lists every node)")
        .stdout_lacks("green-1-119");
    // Supported nodes stay one row each, as kubectl lists them.
    table.stdout_has("\nblue-1 ").stdout_has("\nblue-2 ");

    let wide = Case::new(["check-nodes", "--snapshot", &file, "-o", "wide"]).run();
    wide.exit(1)
        .stdout_lacks("nodes in")
        .stdout_has("\ngreen-1-119 ");
    let json = Case::new(["check-nodes", "--snapshot", &file, "-o", "json"]).run();
    assert_eq!(json.json()["nodes"].as_array().unwrap().len(), 123);

    // doctor's own node table folds the same way, and lists every node with -o wide.
    let o = doctor(&file, &[]);
    o.exit(1)
        .stdout_has("119 nodes: green-1, green-1-002, green-1-003 (+116 more)");
    let wide = doctor(&file, &["-o", "wide"]);
    wide.exit(1)
        .stdout_has("\n  green-1-119 ")
        .stdout_lacks("more rows");
}

/// Offline, a folded row's examples say where each object is written (file:line), as an
/// unfolded row does: the table is read to go and edit the manifests.
#[test]
fn offline_examples_name_their_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let one = |i: usize| {
        format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web{i}, namespace: ns{i}}}\nspec:\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      initContainers:\n      - {{name: proxy, image: envoyproxy/envoy:v1.30, restartPolicy: Always, ports: [{{containerPort: 15001}}]}}\n      containers:\n      - {{name: app, image: nginx}}\n"
        )
    };
    let path = dir.path().join("five.yaml");
    std::fs::write(&path, (1..=5).map(one).collect::<String>()).unwrap();
    let file = path.to_string_lossy().into_owned();
    let out = Case::new(["doctor", "--offline", "-f", &file]).run();
    out.exit(0);
    let rows = workloads(out.stdout());
    assert!(rows.contains("5 deployments in 5 namespaces"), "{rows}");
    // Each document is 13 lines; the object starts on the line after its `---`.
    for (i, line) in [(1, 2), (2, 15), (3, 28)] {
        let want = format!("deployment/ns{i}/web{i} [proxy] ({file}:{line})");
        assert!(rows.contains(&want), "{want} in:\n{rows}");
    }
    assert!(rows.contains("(+2 more)"), "{rows}");
}
