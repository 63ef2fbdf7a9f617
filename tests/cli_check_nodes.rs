//! Black-box tests of `check-nodes` that need no cluster: bundled snapshots, output shapes,
//! color rules, flag errors and exit codes.

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

fn snapshot(name: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests/fixtures/snapshots", name]
        .iter()
        .collect();
    path.to_string_lossy().into_owned()
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

#[test]
fn bundled_snapshot_shows_a_report_and_exits_one() {
    let o = run(&["check-nodes", "--snapshot", &snapshot("mixed-fleet.json")]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    for needle in [
        "CONTROL PLANE",
        "NODES",
        "POOLS",
        "SUMMARY: 6 of 13 nodes can run native sidecars",
        "CLUSTER VERDICT: partial",
        "kubectl label nodes -l eks.amazonaws.com/nodegroup=system native-sidecars=supported --overwrite",
        "not visible (managed control plane?)",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    // Not a terminal: no color codes, and nothing on stderr.
    assert!(!out.contains('\x1b'), "color in a pipe");
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    assert!(!out.contains("RUNTIME"));
}

#[test]
fn all_supported_exits_zero() {
    let o = run(&["check-nodes", "--snapshot", &snapshot("all-supported.json")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("CLUSTER VERDICT: supported"));
}

#[test]
fn wide_adds_runtime_and_os_arch() {
    let o = run(&[
        "check-nodes",
        "--snapshot",
        &snapshot("mixed-fleet.json"),
        "-o",
        "wide",
    ]);
    let out = stdout(&o);
    assert!(out.contains("RUNTIME") && out.contains("OS/ARCH"), "{out}");
    assert!(out.contains("containerd://2.0.5+bottlerocket"));
    assert!(out.contains("linux/arm64") && out.contains("windows/amd64"));
}

fn json(args: &[&str]) -> Value {
    let o = run(args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("valid JSON")
}

#[test]
fn json_shape_is_the_documented_contract() {
    let v = json(&[
        "check-nodes",
        "--snapshot",
        &snapshot("mixed-fleet.json"),
        "-o",
        "json",
    ]);
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
    let o = run(&[
        "check-nodes",
        "--snapshot",
        &snapshot("mixed-fleet.json"),
        "-o",
        "json",
        "--color",
        "always",
    ]);
    assert!(!stdout(&o).contains('\x1b'));
}

#[test]
fn yaml_carries_the_same_data_as_json() {
    let path = snapshot("mixed-fleet.json");
    let j = json(&["check-nodes", "--snapshot", &path, "-o", "json"]);
    let o = run(&["check-nodes", "--snapshot", &path, "-o", "yaml"]);
    assert_eq!(o.status.code(), Some(1));
    let y: Value = serde_saphyr::from_str(&stdout(&o)).expect("valid YAML");
    assert_eq!(y, j);
}

#[test]
fn color_always_colors_the_verdicts() {
    let o = run(&[
        "check-nodes",
        "--snapshot",
        &snapshot("mixed-fleet.json"),
        "--color",
        "always",
    ]);
    let out = stdout(&o);
    // Red for unsupported, green for supported.
    assert!(out.contains("\x1b[31munsupported\x1b[39m"), "{out}");
    assert!(out.contains("\x1b[32msupported\x1b[39m"), "{out}");
    let o = run(&[
        "check-nodes",
        "--snapshot",
        &snapshot("mixed-fleet.json"),
        "--color",
        "never",
    ]);
    assert!(!stdout(&o).contains('\x1b'));
}

/// Runs the binary on a pseudo-terminal (util-linux `script`), where `--color auto` decides.
fn on_terminal(extra_env: &[(&str, &str)]) -> Option<String> {
    let bin = env!("CARGO_BIN_EXE_kubectl-sidecar");
    let cmd = format!(
        "{bin} check-nodes --snapshot {}",
        snapshot("all-supported.json")
    );
    let mut c = Command::new("script");
    c.args(["-qefc", &cmd, "/dev/null"])
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env("TERM", "xterm")
        .env_remove("NO_COLOR");
    for (k, v) in extra_env {
        c.env(k, v);
    }
    let o = c.output().ok()?;
    Some(String::from_utf8_lossy(&o.stdout).into_owned())
}

#[test]
fn auto_color_on_a_terminal_honours_no_color() {
    let Some(colored) = on_terminal(&[]) else {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    };
    assert!(
        colored.contains("\x1b["),
        "no color on a terminal:\n{colored}"
    );
    let plain = on_terminal(&[("NO_COLOR", "1")]).unwrap();
    assert!(plain.contains("CLUSTER VERDICT"), "{plain}");
    assert!(!plain.contains("\x1b["), "NO_COLOR ignored:\n{plain}");
    let dumb = on_terminal(&[("TERM", "dumb")]).unwrap();
    assert!(!dumb.contains("\x1b["), "TERM=dumb ignored");
}

fn assert_one_line_error(o: &Output, code: i32, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert!(stdout(o).is_empty(), "stdout: {}", stdout(o));
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(err.contains(needle), "{needle:?} not in {err}");
}

#[test]
fn bad_flags_exit_two_with_one_line() {
    assert_one_line_error(
        &run(&["check-nodes", "--concurrency", "0"]),
        2,
        "--concurrency must be at least 1",
    );
    assert_one_line_error(
        &run(&["check-nodes", "--node-timeout", "soon"]),
        2,
        "--node-timeout",
    );
    assert_one_line_error(&run(&["check-nodes", "--deadline", "0"]), 2, "--deadline");
    assert_one_line_error(
        &run(&["check-nodes", "--request-timeout", "x"]),
        2,
        "--request-timeout",
    );
    // clap's own usage errors also exit 2.
    let o = run(&["check-nodes", "--concurrency", "many"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["check-nodes", "-o", "xml"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&[
        "check-nodes",
        "-l",
        "a=b",
        "--snapshot",
        &snapshot("mixed-fleet.json"),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn bad_snapshots_exit_two() {
    assert_one_line_error(
        &run(&["check-nodes", "--snapshot", "/nonexistent/snap.json"]),
        2,
        "cannot read snapshot /nonexistent/snap.json",
    );
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "{\"kind\": 3").unwrap();
    assert_one_line_error(
        &run(&["check-nodes", "--snapshot", garbage.to_str().unwrap()]),
        2,
        "is not a check-nodes snapshot",
    );
    let other = dir.path().join("other.json");
    let text = std::fs::read_to_string(snapshot("all-supported.json"))
        .unwrap()
        .replace("\"version\": 1", "\"version\": 99");
    std::fs::write(&other, text).unwrap();
    assert_one_line_error(
        &run(&["check-nodes", "--snapshot", other.to_str().unwrap()]),
        2,
        "version 99",
    );
}

#[test]
fn no_cluster_exits_three_with_one_line() {
    assert_one_line_error(&run(&["check-nodes"]), 3, "cannot load");
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
    let o = bin()
        .args(["check-nodes", "--kubeconfig", kubeconfig.to_str().unwrap()])
        .output()
        .unwrap();
    assert_one_line_error(&o, 3, "/version");
    assert!(!stderr(&o).contains("not-a-secret"));
}

#[test]
fn save_snapshot_conflicts_with_snapshot() {
    let o = run(&[
        "check-nodes",
        "--snapshot",
        &snapshot("mixed-fleet.json"),
        "--save-snapshot",
        "/tmp/x.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

/// Runs check-nodes on a bundled snapshot: (exit code, table, JSON).
fn report(name: &str) -> (Option<i32>, String, Value) {
    let path = snapshot(name);
    let table = run(&["check-nodes", "--snapshot", &path]);
    let json = run(&["check-nodes", "--snapshot", &path, "-o", "json"]);
    assert_eq!(table.status.code(), json.status.code(), "{name}");
    assert!(stderr(&table).is_empty(), "{name}: {}", stderr(&table));
    let value = serde_json::from_slice(&json.stdout).expect("valid JSON");
    (table.status.code(), stdout(&table), value)
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

use std::time::{Duration, Instant};

#[test]
fn a_stalled_list_nodes_is_a_timed_out_gap_not_a_hang() {
    let kubeconfig = fake_apiserver("stall");
    let started = Instant::now();
    let o = bin()
        .args(["check-nodes", "--kubeconfig"])
        .arg(&kubeconfig)
        .args(["--request-timeout", "2s"])
        .output()
        .unwrap();
    let took = started.elapsed();
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(4), "{out}\n{}", stderr(&o));
    assert!(took < Duration::from_secs(15), "took {took:?}");
    for needle in [
        "nodes: 0 of ? nodes examined: list nodes: timeout\n",
        "CLUSTER VERDICT: incomplete",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    // With no per-request limit, the run's --timeout ends it, and the report still comes.
    let started = Instant::now();
    let o = bin()
        .args(["check-nodes", "-o", "json", "--kubeconfig"])
        .arg(&kubeconfig)
        .args(["--request-timeout", "0", "--timeout", "3s"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(started.elapsed() < Duration::from_secs(8));
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
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
    let o = bin()
        .args(["check-nodes", "--kubeconfig"])
        .arg(&kubeconfig)
        .output()
        .unwrap();
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(4), "{out}\n{}", stderr(&o));
    for needle in [
        "kube-apiserver            1.33.1",
        "nodes: 0 of ? nodes examined: list nodes: forbidden (needs list nodes)\n",
        // 1.33 is locked on: the forbidden /metrics decides nothing against it.
        "controlPlane: 1 of 3 components examined",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
}
