//! `check-nodes` with no cluster: bundled snapshots, output shapes, color rules, flag errors and
//! exit codes, and a loopback stand-in apiserver that stalls or refuses.

use std::time::Duration;

use serde_json::Value;

use crate::case::{Case, Run, fixture};

fn snapshot(name: &str) -> String {
    fixture(&format!("snapshots/{name}"))
}

/// check-nodes on a bundled snapshot, with more flags.
fn on(name: &str, flags: &[&str]) -> Run {
    Case::new(["check-nodes", "--snapshot", &snapshot(name)])
        .args(flags)
        .run()
}

#[test]
fn bundled_snapshot_shows_a_report_and_exits_one() {
    let o = on("mixed-fleet.json", &[]);
    o.exit(1);
    for needle in [
        "CONTROL PLANE",
        "NODES",
        "POOLS",
        "SUMMARY: 6 of 13 nodes can run native sidecars",
        "CLUSTER VERDICT: partial",
        "kubectl label nodes -l eks.amazonaws.com/nodegroup=system native-sidecars=supported --overwrite",
        "not visible (managed control plane?)",
    ] {
        o.stdout_has(needle);
    }
    // Not a terminal: no color codes, and nothing on stderr.
    o.stdout_lacks("\x1b")
        .stderr_empty()
        .stdout_lacks("RUNTIME");
}

#[test]
fn all_supported_exits_zero() {
    on("all-supported.json", &[])
        .exit(0)
        .stdout_has("CLUSTER VERDICT: supported");
}

#[test]
fn wide_adds_runtime_and_os_arch() {
    on("mixed-fleet.json", &["-o", "wide"])
        .stdout_has("RUNTIME")
        .stdout_has("OS/ARCH")
        .stdout_has("containerd://2.0.5+bottlerocket")
        .stdout_has("linux/arm64")
        .stdout_has("windows/amd64");
}

/// The JSON report of a snapshot whose verdict is partial (exit 1).
fn json(name: &str) -> Value {
    on(name, &["-o", "json"]).exit(1).json()
}

#[test]
fn json_shape_is_the_documented_contract() {
    let v = json("mixed-fleet.json");
    let top: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    for key in [
        "apiserver",
        "controlPlane",
        "nodes",
        "pools",
        "summary",
        "coverage",
    ] {
        assert!(top.contains(&key), "missing {key} in {top:?}");
    }
    let nodes = v["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 13);
    for n in nodes {
        assert!(n["name"].is_string() && n["pool"].is_string(), "{n}");
        assert!(n["kubeletVersion"].is_string());
        let gate = &n["gate"];
        assert!(
            gate["enabled"].is_boolean() || gate["enabled"].is_null(),
            "{gate}"
        );
        assert!(
            gate["stage"].is_string() || gate["stage"].is_null(),
            "{gate}"
        );
        assert!(
            ["metrics", "version", "flag", "unknown"].contains(&gate["source"].as_str().unwrap()),
            "{gate}"
        );
        assert!(n["skew"]["ok"].is_boolean() || n["skew"]["ok"].is_null());
        assert!(n["skew"]["reason"].is_string());
        assert!(
            ["supported", "partial", "unsupported", "unknown"]
                .contains(&n["verdict"].as_str().unwrap())
        );
        assert!(!n["reason"].as_str().unwrap().is_empty());
    }
    // A GA series keeps its empty-string stage; an unknown gate is null, not false.
    let ga = nodes
        .iter()
        .find(|n| n["kubeletVersion"] == "v1.33.1-eks-b9fa2c1")
        .unwrap();
    assert_eq!(ga["gate"]["stage"], "");
    let hung = nodes
        .iter()
        .find(|n| n["name"] == "ip-10-0-42-201.eu-west-1.compute.internal")
        .unwrap();
    assert_eq!(hung["gate"]["enabled"], Value::Null);
    assert_eq!(hung["verdict"], "unknown");
    assert_eq!(v["summary"]["verdict"], "partial");
    assert_eq!(v["summary"]["canRun"], 6);
    assert_eq!(v["summary"]["ok"], false);
    assert_eq!(v["controlPlane"]["scheduler"]["visible"], false);
    assert_eq!(v["apiserver"]["instances"], 2);
    // No color codes in machine output even when color is forced.
    on("mixed-fleet.json", &["-o", "json", "--color", "always"]).stdout_lacks("\x1b");
}

#[test]
fn yaml_carries_the_same_data_as_json() {
    let j = json("mixed-fleet.json");
    let y = on("mixed-fleet.json", &["-o", "yaml"]).exit(1).yaml();
    assert_eq!(y, j);
}

#[test]
fn color_always_colors_the_verdicts() {
    // Red for unsupported, green for supported.
    on("mixed-fleet.json", &["--color", "always"])
        .stdout_has("\x1b[31munsupported\x1b[39m")
        .stdout_has("\x1b[32msupported\x1b[39m");
    on("mixed-fleet.json", &["--color", "never"]).stdout_lacks("\x1b");
}

#[test]
fn auto_color_on_a_terminal_honours_no_color() {
    let terminal = || Case::new(["check-nodes", "--snapshot", &snapshot("all-supported.json")]);
    let colored = terminal().on_terminal();
    assert!(
        colored.contains("\x1b["),
        "no color on a terminal:\n{colored}"
    );
    let plain = terminal().env("NO_COLOR", "1").on_terminal();
    assert!(plain.contains("CLUSTER VERDICT"), "{plain}");
    assert!(!plain.contains("\x1b["), "NO_COLOR ignored:\n{plain}");
    let dumb = terminal().env("TERM", "dumb").on_terminal();
    assert!(!dumb.contains("\x1b["), "TERM=dumb ignored");
}

#[test]
fn bad_flags_exit_two_with_one_line() {
    Case::new(["check-nodes", "--concurrency", "0"])
        .run()
        .one_line_error(2, &["--concurrency must be at least 1"]);
    Case::new(["check-nodes", "--node-timeout", "soon"])
        .run()
        .one_line_error(2, &["--node-timeout"]);
    Case::new(["check-nodes", "--deadline", "0"])
        .run()
        .one_line_error(2, &["--deadline"]);
    Case::new(["check-nodes", "--request-timeout", "x"])
        .run()
        .one_line_error(2, &["--request-timeout"]);
    // clap's own usage errors also exit 2.
    Case::new(["check-nodes", "--concurrency", "many"])
        .run()
        .exit(2);
    Case::new(["check-nodes", "-o", "xml"]).run().exit(2);
}

#[test]
fn bad_snapshots_exit_two() {
    Case::new(["check-nodes", "--snapshot", "/nonexistent/snap.json"])
        .run()
        .one_line_error(2, &["cannot read snapshot /nonexistent/snap.json"]);
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "{\"kind\": 3").unwrap();
    Case::new(["check-nodes", "--snapshot"])
        .arg(&garbage)
        .run()
        .one_line_error(2, &["is not JSON"]);
    let other = dir.path().join("other.json");
    let text = std::fs::read_to_string(snapshot("all-supported.json"))
        .unwrap()
        .replace("kubectl-sidecar/v1", "kubectl-sidecar/v9");
    std::fs::write(&other, text).unwrap();
    Case::new(["check-nodes", "--snapshot"])
        .arg(&other)
        .run()
        .one_line_error(
            2,
            &["is apiVersion kubectl-sidecar/v9, this build reads kind Snapshot, apiVersion kubectl-sidecar/v1"],
        );
    // An earlier build's snapshot is refused, naming its kind and version.
    std::fs::write(
        &other,
        r#"{"kind":"kubectl-sidecar/check-nodes","version":2,"nodes":[]}"#,
    )
    .unwrap();
    Case::new(["check-nodes", "--snapshot"])
        .arg(&other)
        .run()
        .one_line_error(
            2,
            &["is \"kubectl-sidecar/check-nodes\" version 2 (an earlier build)"],
        );
}

#[test]
fn no_cluster_exits_three_with_one_line() {
    Case::new(["check-nodes"])
        .run()
        .one_line_error(3, &["cannot load"]);
    // A kubeconfig whose server refuses connections.
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let kubeconfig = dir.path().join("config");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:{port}\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: not-a-secret\ncontexts:\n- name: x\n  context: {{cluster: c, user: u}}\ncurrent-context: x\n"
        ),
    )
    .unwrap();
    Case::new(["check-nodes", "--kubeconfig"])
        .arg(&kubeconfig)
        .run()
        .one_line_error(3, &["/version"])
        .stderr_lacks("not-a-secret");
}

#[test]
fn save_snapshot_conflicts_with_snapshot() {
    on("mixed-fleet.json", &["--save-snapshot", "/tmp/x.json"]).exit(2);
}

/// Runs check-nodes on a bundled snapshot: (exit code, table, JSON).
fn report(name: &str) -> (Option<i32>, String, Value) {
    let table = on(name, &[]);
    let json = on(name, &["-o", "json"]);
    assert_eq!(table.code(), json.code(), "{name}");
    table.stderr_empty();
    (table.code(), table.stdout().to_string(), json.json())
}

fn section<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["coverage"]["sections"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["section"] == name))
        .unwrap_or_else(|| panic!("no coverage section {name} in {}", v["coverage"]))
}

#[test]
fn everything_examined_and_supported_exits_zero_with_complete_coverage() {
    let (code, table, v) = report("all-supported.json");
    assert_eq!(code, Some(0));
    for line in [
        "COVERAGE\n",
        "controlPlane: 1 of 1 components examined, complete\n",
        "nodes: 3 of 3 nodes examined, complete\n",
    ] {
        assert!(table.contains(line), "missing {line:?} in:\n{table}");
    }
    assert!(!table.contains("to examine the rest"), "{table}");
    assert_eq!(v["summary"]["verdict"], "supported");
    assert_eq!(v["summary"]["ok"], true);
    let nodes = section(&v, "nodes");
    assert_eq!(
        (nodes["examined"].as_u64(), nodes["total"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(nodes["decisive"], true);
    assert_eq!(nodes["gaps"], serde_json::json!([]));
}

#[test]
fn forbidden_gates_that_could_be_off_make_the_run_incomplete() {
    // 1.30: the gate is on by default but could have been turned off on any of them.
    let (code, table, v) = report("forbidden-1.30.json");
    assert_eq!(code, Some(4), "{table}");
    for line in [
        "controlPlane: 0 of 1 components examined: apiserver gate (GET /metrics): forbidden (needs get on nonResourceURL /metrics)\n",
        "nodes: 0 of 3 nodes examined: kubelet metrics of gke-prod-default-pool-5f1e2d3c-2x7q, gke-prod-default-pool-5f1e2d3c-9kzm, gke-prod-default-pool-5f1e2d3c-tq4c: forbidden (needs get nodes/proxy)\n",
        "CLUSTER VERDICT: incomplete: nothing examined stands in the way, but not fully examined: controlPlane, nodes\n",
        "grant `get nodes/proxy` to the user running this tool",
    ] {
        assert!(table.contains(line), "missing {line:?} in:\n{table}");
    }
    assert_eq!(v["summary"]["verdict"], "incomplete");
    assert_eq!(v["summary"]["ok"], false);
    let gap = &section(&v, "nodes")["gaps"][0];
    assert_eq!(gap["cause"], "forbidden");
    assert_eq!(gap["permission"], "get nodes/proxy");
    // Leases only count apiserver instances: informative, never deciding.
    let leases = section(&v, "apiserverInstances");
    assert_eq!(leases["decisive"], false);
    assert_eq!(leases["gaps"][0]["cause"], "forbidden");
}

#[test]
fn unlisted_nodes_still_report_the_control_plane_and_exit_four() {
    let (code, table, v) = report("nodes-unlisted.json");
    assert_eq!(code, Some(4), "{table}");
    for line in [
        "kube-apiserver",
        "nodes: 0 of ? nodes examined: list nodes: forbidden (needs list nodes)\n",
        "(the nodes could not be listed: see COVERAGE)",
        "SUMMARY: 0 of ? (0 listed) nodes",
        "  - list nodes: grant `list nodes` to the user running this tool\n",
    ] {
        assert!(table.contains(line), "missing {line:?} in:\n{table}");
    }
    let nodes = section(&v, "nodes");
    assert_eq!(nodes["total"], Value::Null);
    assert_eq!(nodes["examined"], 0);
    assert_eq!(nodes["gaps"][0]["what"], "list nodes");
    assert_eq!(nodes["gaps"][0]["permission"], "list nodes");
    assert_eq!(v["apiserver"]["verdict"], "supported");
}

#[test]
fn unanswered_kubelets_name_their_cause_and_remedy() {
    let (code, table, v) = report("unanswered.json");
    assert_eq!(code, Some(4), "{table}");
    assert!(
        table.contains("nodes: 1 of 4 nodes examined: kubelet metrics of gke-prod-default-pool-5f1e2d3c-9kzm: timeout; kubelet metrics of gke-prod-default-pool-5f1e2d3c-tq4c: unreachable; kubelet metrics of gke-prod-default-pool-5f1e2d3c-zz01: not asked\n"),
        "{table}"
    );
    // A refused connection is the kubelet's or the network's doing: no permission is asked for.
    let refused = table
        .lines()
        .find(|l| l.starts_with("  - kubelet metrics of gke-prod-default-pool-5f1e2d3c-tq4c"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        !refused.contains("grant") && refused.contains("10250"),
        "{refused}"
    );
    let causes: Vec<&str> = section(&v, "nodes")["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["cause"].as_str())
        .collect();
    assert_eq!(causes, ["timeout", "unreachable", "notAsked"]);
    assert_eq!(v["summary"]["verdict"], "incomplete");
}

#[test]
fn a_definite_unsupported_node_beats_the_gaps() {
    let (code, table, v) = report("unanswered-and-legacy.json");
    assert_eq!(code, Some(1), "{table}");
    assert_eq!(v["summary"]["verdict"], "partial");
    assert!(
        v["summary"]["reason"]
            .as_str()
            .unwrap()
            .ends_with("; not fully examined: nodes"),
        "{}",
        v["summary"]["reason"]
    );
    assert!(table.contains("nodes: 2 of 5 nodes examined"), "{table}");
}

/// A stand-in apiserver on loopback (plain HTTP): answers `/version`, then treats `LIST nodes`
/// as `nodes` says ("stall": never answers; "forbidden": 403), and refuses everything else.
fn fake_apiserver(nodes: &'static str) -> std::path::PathBuf {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
                let forbidden = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden","reason":"Forbidden","code":403}"#;
                let (status, body) = if path == "/version" {
                    (
                        "200 OK",
                        r#"{"major":"1","minor":"33","gitVersion":"v1.33.1"}"#,
                    )
                } else if path.starts_with("/api/v1/nodes") && nodes == "stall" {
                    std::thread::sleep(Duration::from_secs(60));
                    return;
                } else {
                    ("403 Forbidden", forbidden)
                };
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    let dir = tempfile::tempdir().unwrap().keep();
    let kubeconfig = dir.join("config");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:{port}\nusers:\n- name: u\n  user: {{}}\ncontexts:\n- name: x\n  context: {{cluster: c, user: u}}\ncurrent-context: x\n"
        ),
    )
    .unwrap();
    kubeconfig
}

#[test]
fn a_stalled_list_nodes_is_a_timed_out_gap_not_a_hang() {
    let kubeconfig = fake_apiserver("stall");
    let o = Case::new(["check-nodes", "--kubeconfig"])
        .arg(&kubeconfig)
        .args(["--request-timeout", "2s"])
        .run();
    o.exit(4);
    assert!(o.took() < Duration::from_secs(15), "took {:?}", o.took());
    o.stdout_has("nodes: 0 of ? nodes examined: list nodes: timeout\n")
        .stdout_has("CLUSTER VERDICT: incomplete");
    // With no per-request limit, the run's --timeout ends it, and the report still comes.
    let o = Case::new(["check-nodes", "-o", "json", "--kubeconfig"])
        .arg(&kubeconfig)
        .args(["--request-timeout", "0", "--timeout", "3s"])
        .run();
    o.exit(4);
    assert!(o.took() < Duration::from_secs(8), "took {:?}", o.took());
    let v = o.json();
    let gap = &section(&v, "nodes")["gaps"][0];
    assert_eq!(gap["cause"], "timeout");
    assert!(
        gap["detail"].as_str().unwrap().contains("--timeout (3s)"),
        "{gap}"
    );
}

#[test]
fn a_forbidden_list_nodes_still_reports_the_control_plane() {
    let kubeconfig = fake_apiserver("forbidden");
    Case::new(["check-nodes", "--kubeconfig"])
        .arg(&kubeconfig)
        .run()
        .exit(4)
        .stdout_has("kube-apiserver            v1.33.1")
        .stdout_has("nodes: 0 of ? nodes examined: list nodes: forbidden (needs list nodes)\n")
        // 1.33 is locked on: the forbidden /metrics decides nothing against it.
        .stdout_has("controlPlane: 1 of 3 components examined");
}

#[test]
fn node_names_narrow_the_report_like_kubectl_get_nodes() {
    let first = "ip-10-0-11-21.eu-west-1.compute.internal";
    let report = on("mixed-fleet.json", &[first, "-o", "json"])
        .exit(0)
        .json();
    let names: Vec<&str> = report["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, [first]);
    assert_eq!(report["summary"]["nodes"], 1, "{report}");

    on("mixed-fleet.json", &[first, "nope-1"]).one_line_error(
        2,
        &[
            "node(s) not in the snapshot: nope-1",
            "--snapshot FILE -o json",
        ],
    );
}

#[test]
fn node_names_and_a_selector_must_both_match() {
    // The first node is in pool `system`: asked for by name but outside -l, it is not there.
    let first = "ip-10-0-11-21.eu-west-1.compute.internal";
    on(
        "mixed-fleet.json",
        &[first, "-l", "eks.amazonaws.com/nodegroup=payments"],
    )
    .one_line_error(
        2,
        &[&format!(
            "node(s) not among the snapshot's nodes that -l selects: {first}"
        )],
    );
}

#[test]
fn kubelet_flags_are_refused_with_a_snapshot() {
    on(
        "mixed-fleet.json",
        &["--concurrency", "4", "--deadline", "2m"],
    )
    .one_line_error(
        2,
        &["--concurrency, --deadline cannot be used with --snapshot"],
    );
    // The defaults, spelled out, change nothing and pass.
    on("all-supported.json", &["--node-timeout", "5s"]).exit(0);
}
