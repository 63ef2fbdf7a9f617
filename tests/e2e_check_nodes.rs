#![cfg(feature = "e2e")]
//! check-nodes against a real kube-apiserver (1.37) and fake kubelets behind its node proxy:
//! every node's verdict, gate source and skew from `-o json`, as the admin and as the
//! restricted user (no nodes/proxy, no /metrics).

mod common;

use std::time::{Duration, Instant};

use common::TestCluster;
use serde_json::Value;

const SCENARIO: &str = "tests/scenarios/mixed-fleet.yaml";

fn cluster() -> &'static TestCluster {
    TestCluster::start(SCENARIO)
}

/// Runs check-nodes, returning (exit code, parsed JSON, stderr, how long it took).
fn json(restricted: bool, extra: &[&str]) -> (Option<i32>, Value, String, Duration) {
    let mut args = vec!["check-nodes", "-o", "json"];
    args.extend_from_slice(extra);
    let started = Instant::now();
    let (status, stdout, stderr) = if restricted {
        cluster().run_restricted(&args)
    } else {
        cluster().run(&args)
    };
    let took = started.elapsed();
    let value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    common::assert_schema("CheckNodesReport", &value);
    (status.code(), value, stderr, took)
}

/// The coverage section `name` of a report.
fn section<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["coverage"]["sections"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["section"] == name))
        .unwrap_or_else(|| panic!("no coverage section {name} in {}", report["coverage"]))
}

/// The cause of the nodes gap that names `node`.
fn gap_cause(report: &Value, node: &str) -> String {
    section(report, "nodes")["gaps"]
        .as_array()
        .and_then(|gaps| {
            gaps.iter().find(|g| {
                g["what"]
                    .as_str()
                    .is_some_and(|w| w.split([' ', ',', '(']).any(|word| word == node))
            })
        })
        .and_then(|g| g["cause"].as_str())
        .unwrap_or_else(|| panic!("no gap names {node}: {}", report["coverage"]))
        .to_string()
}

fn node<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["name"] == name))
        .unwrap_or_else(|| panic!("no node {name} in {report}"))
}

/// (node, verdict, gate source, skew ok) for every node of the scenario.
type Row = (&'static str, &'static str, &'static str, Option<bool>);

fn assert_rows(report: &Value, rows: &[Row]) {
    assert_eq!(
        report["nodes"].as_array().map(Vec::len),
        Some(rows.len()),
        "node count"
    );
    let mut wrong = Vec::new();
    for (name, verdict, source, skew_ok) in rows {
        let n = node(report, name);
        let got = (
            n["verdict"].as_str().unwrap_or("?"),
            n["gate"]["source"].as_str().unwrap_or("?"),
            n["skew"]["ok"].as_bool(),
        );
        if got != (*verdict, *source, *skew_ok) {
            wrong.push(format!(
                "{name}: want ({verdict}, {source}, {skew_ok:?}) got {got:?}: {} / {}",
                n["reason"], n["skew"]["reason"]
            ));
        }
        assert!(
            n["reason"]
                .as_str()
                .is_some_and(|r| !r.is_empty() && !r.contains('\n')),
            "{name}: reason must be one non-empty line"
        );
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn admin_sees_every_kubelet_as_it_is() {
    let (code, report, stderr, took) = json(false, &[]);
    assert_eq!(code, Some(1), "stderr: {stderr}");
    eprintln!("check-nodes as admin took {took:?}");
    assert_rows(
        &report,
        &[
            ("legacy-125", "unsupported", "version", Some(false)),
            ("legacy-127", "unsupported", "version", Some(false)),
            ("pay-128-off", "unsupported", "metrics", Some(false)),
            ("pay-128-on", "partial", "metrics", Some(false)),
            ("pay-129-off", "unsupported", "metrics", Some(false)),
            ("gen-130", "supported", "metrics", Some(false)),
            ("gen-133", "supported", "metrics", Some(false)),
            ("gen-137", "supported", "version", Some(true)),
            ("gen-138", "supported", "version", Some(false)),
            ("spot-hang", "unknown", "unknown", Some(true)),
            ("spot-refused", "unknown", "unknown", Some(true)),
            ("spot-500", "unknown", "unknown", Some(true)),
            ("spot-notready", "unknown", "unknown", Some(true)),
        ],
    );
    // The details that distinguish the rows.
    assert_eq!(node(&report, "gen-133")["gate"]["stage"], "");
    assert_eq!(node(&report, "gen-133")["gate"]["enabled"], true);
    assert_eq!(node(&report, "pay-128-off")["gate"]["stage"], "ALPHA");
    assert_eq!(node(&report, "pay-128-off")["gate"]["enabled"], false);
    assert_eq!(node(&report, "spot-hang")["gate"]["enabled"], Value::Null);
    let reason = |n: &str| {
        node(&report, n)["reason"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert!(
        reason("legacy-125").contains("predates"),
        "{}",
        reason("legacy-125")
    );
    assert!(
        node(&report, "legacy-125")["gate"]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("no kubernetes_feature_enabled family"),
        "{}",
        node(&report, "legacy-125")["gate"]
    );
    assert!(
        reason("spot-hang").contains("did not answer within 5s"),
        "{}",
        reason("spot-hang")
    );
    assert!(
        reason("spot-refused").contains("connection refused")
            || reason("spot-refused").contains("connect:"),
        "{}",
        reason("spot-refused")
    );
    assert!(reason("spot-500").contains("500"), "{}", reason("spot-500"));
    assert!(
        reason("spot-notready").contains("NotReady"),
        "{}",
        reason("spot-notready")
    );
    assert!(
        node(&report, "gen-138")["skew"]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("newer than the apiserver")
    );
    // The apiserver: 1.37 has no series, so the gate comes from its version.
    let api = &report["apiserver"];
    assert_eq!(api["version"], "v1.37.2");
    assert_eq!(api["gate"]["source"], "version");
    assert_eq!(api["gate"]["enabled"], true);
    assert_eq!(api["verdict"], "supported");
    assert_eq!(api["instances"], 1);
    // No scheduler or controller-manager pods in this control plane.
    assert_eq!(report["controlPlane"]["scheduler"]["visible"], false);
    assert_eq!(report["summary"]["verdict"], "partial");
    assert_eq!(report["summary"]["canRun"], 5);
    assert!(
        report["summary"]["recommendation"]["labelCommands"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );
    // What could not be examined, each with its cause: the remedy follows the cause.
    let nodes = section(&report, "nodes");
    assert_eq!(
        (nodes["examined"].as_u64(), nodes["total"].as_u64()),
        (Some(9), Some(13))
    );
    for (name, cause) in [
        ("spot-hang", "timeout"),
        ("spot-refused", "unreachable"),
        ("spot-500", "serverError"),
        ("spot-notready", "notAsked"),
    ] {
        assert_eq!(gap_cause(&report, name), cause, "{name}");
    }
    assert!(
        section(&report, "controlPlane")["gaps"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    // Something examined stands in the way, so the gaps do not make it incomplete.
    assert!(
        report["summary"]["reason"]
            .as_str()
            .unwrap_or("")
            .ends_with("not fully examined: nodes"),
        "{}",
        report["summary"]["reason"]
    );
    // The hung kubelet costs one --node-timeout, not the run.
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

#[test]
fn restricted_user_gets_version_inferred_verdicts_naming_the_permission() {
    let (code, report, stderr, _) = json(true, &[]);
    assert_eq!(code, Some(1), "stderr: {stderr}");
    assert_rows(
        &report,
        &[
            ("legacy-125", "unsupported", "version", Some(false)),
            ("legacy-127", "unsupported", "version", Some(false)),
            // 1.28's default is off: the gate that was turned on cannot be seen.
            ("pay-128-off", "unsupported", "version", Some(false)),
            ("pay-128-on", "unsupported", "version", Some(false)),
            // 1.29's default is on: the gate that was turned off cannot be seen.
            ("pay-129-off", "supported", "version", Some(false)),
            ("gen-130", "supported", "version", Some(false)),
            ("gen-133", "supported", "version", Some(false)),
            ("gen-137", "supported", "version", Some(true)),
            ("gen-138", "supported", "version", Some(false)),
            // RBAC refuses before the proxy dials, so the kubelet's state does not matter.
            ("spot-hang", "supported", "version", Some(true)),
            ("spot-refused", "supported", "version", Some(true)),
            ("spot-500", "supported", "version", Some(true)),
            ("spot-notready", "unknown", "unknown", Some(true)),
        ],
    );
    for name in ["pay-129-off", "gen-130", "spot-hang"] {
        let gate = &node(&report, name)["gate"];
        assert!(
            gate["reason"]
                .as_str()
                .unwrap_or("")
                .contains("get nodes/proxy"),
            "{name}: {gate}"
        );
    }
    assert!(
        node(&report, "pay-129-off")["reason"]
            .as_str()
            .unwrap_or("")
            .contains("assumed on")
    );
    let api = &report["apiserver"];
    assert_eq!(api["gate"]["source"], "version");
    assert!(
        api["gate"]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("nonResourceURL /metrics"),
        "{}",
        api["gate"]
    );
    assert_eq!(api["verdict"], "supported");
    // 1.28-1.32 kubelets could have the gate either way: not examined, the permission named.
    // Older and newer ones are decided by their versions; the 1.37 apiserver by its own.
    let nodes = section(&report, "nodes");
    assert_eq!(
        (nodes["examined"].as_u64(), nodes["total"].as_u64()),
        (Some(8), Some(13))
    );
    assert_eq!(gap_cause(&report, "spot-notready"), "notAsked");
    // One gap for the four, naming the first three (the rows name each).
    let forbidden = nodes["gaps"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["cause"] == "forbidden"))
        .expect("a forbidden gap");
    assert_eq!(forbidden["permission"], "get nodes/proxy");
    assert_eq!(
        forbidden["what"],
        "kubelet metrics of 4 nodes (gen-130, pay-128-off, pay-128-on, …)"
    );
    assert!(
        section(&report, "controlPlane")["gaps"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    // The 1.25 and 1.27 kubelets are definitely unsupported: exit 1 (above), not 4.
    assert_eq!(report["summary"]["verdict"], "partial");
}

/// A supported node and a hung kubelet: nothing seen stands in the way, but a node could not be
/// examined, so the run is incomplete (exit 4), never "supported"; the same for a NotReady node.
/// (Beta kubelets under a restricted user cannot show it here: against this 1.37 apiserver they
/// break the skew policy, a definite finding.)
#[test]
fn an_unexamined_node_makes_the_run_incomplete() {
    let selector = "kubernetes.io/hostname in (gen-137,spot-hang)";
    let (code, report, stderr, _) = json(false, &["-l", selector, "--node-timeout", "2s"]);
    assert_eq!(code, Some(4), "stderr: {stderr}");
    assert_eq!(report["summary"]["verdict"], "incomplete");
    assert_eq!(report["summary"]["ok"], false);
    assert_eq!(section(&report, "nodes")["examined"], 1);
    assert_eq!(gap_cause(&report, "spot-hang"), "timeout");
    let (status, table, _) =
        cluster().run(&["check-nodes", "-l", selector, "--node-timeout", "2s"]);
    assert_eq!(status.code(), Some(4));
    for needle in [
        "COVERAGE\n",
        "nodes: 1 of 2 nodes examined: kubelet metrics of spot-hang: timeout\n",
        "CLUSTER VERDICT: incomplete: nothing examined stands in the way, but not fully examined: nodes\n",
        "  - kubelet metrics of spot-hang: the kubelet did not answer in time",
    ] {
        assert!(table.contains(needle), "missing {needle:?} in:\n{table}");
    }
    // --timeout caps --node-timeout and --deadline: the report still comes, in time.
    let (code, report, stderr, took) = json(
        false,
        &["-l", selector, "--timeout", "4s", "--node-timeout", "30s"],
    );
    assert_eq!(code, Some(4), "stderr: {stderr}");
    let reason = node(&report, "spot-hang")["reason"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(reason.contains("--timeout (4s)"), "{reason}");
    assert!(took < Duration::from_secs(8), "took {took:?}");
    let (code, report, stderr, _) = json(
        true,
        &["-l", "kubernetes.io/hostname in (gen-137,spot-notready)"],
    );
    assert_eq!(code, Some(4), "stderr: {stderr}");
    assert_eq!(gap_cause(&report, "spot-notready"), "notAsked");
}

#[test]
fn table_output_and_wide() {
    let started = Instant::now();
    let (status, stdout, stderr) = cluster().run(&["check-nodes"]);
    let took = started.elapsed();
    eprintln!("--- check-nodes table ({took:?}) ---\n{stdout}");
    assert_eq!(status.code(), Some(1), "stderr: {stderr}");
    for needle in [
        "CONTROL PLANE",
        "kube-apiserver            v1.37.2",
        "not visible (managed control plane?)",
        "CLUSTER VERDICT: partial",
        // The whole pool supports them: labelled by its pool label, not node by node.
        "kubectl label nodes -l karpenter.sh/nodepool=general native-sidecars=supported --overwrite",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?}");
    }
    assert!(!stdout.contains('\x1b'), "color in a pipe");
    // Progress goes to stderr only on a terminal: not here.
    assert!(stderr.is_empty(), "stderr: {stderr}");
    let (_, wide, _) = cluster().run(&["check-nodes", "-o", "wide"]);
    assert!(wide.contains("docker://20.10.25"), "{wide}");
    assert!(
        wide.contains("linux/arm64") && wide.contains("windows/amd64"),
        "{wide}"
    );
}

#[test]
fn selector_limits_the_nodes() {
    let (_, report, stderr, _) = json(false, &["-l", "eks.amazonaws.com/nodegroup=payments"]);
    let names: Vec<&str> = report["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{stderr}"))
        .iter()
        .filter_map(|n| n["name"].as_str())
        .collect();
    assert_eq!(names, ["pay-128-off", "pay-128-on", "pay-129-off"]);
    assert_eq!(report["pools"].as_array().map(Vec::len), Some(1));
    // A selector the apiserver rejects is a usage error.
    let (status, _, stderr) = cluster().run(&["check-nodes", "-l", "a in (b"]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    // Nothing matching: the check ran, nothing can run a pod.
    let (code, report, _, _) = json(false, &["-l", "no-such-label=1"]);
    assert_eq!(code, Some(1));
    assert_eq!(report["summary"]["nodes"], 0);
    assert_eq!(report["summary"]["verdict"], "unknown");
}

#[test]
fn node_names_pick_nodes_like_kubectl_get_nodes() {
    let (_, report, stderr, _) = json(false, &["pay-128-on", "pay-129-off"]);
    let names: Vec<&str> = report["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{stderr}"))
        .iter()
        .filter_map(|n| n["name"].as_str())
        .collect();
    assert_eq!(names, ["pay-128-on", "pay-129-off"]);
    assert_eq!(report["summary"]["nodes"], 2);
    // With -l, a node must match both; a name that is not there is one line and exit 2.
    let (status, stdout, stderr) = cluster().run(&[
        "check-nodes",
        "pay-128-on",
        "nope-1",
        "-l",
        "eks.amazonaws.com/nodegroup=payments",
    ]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("node(s) not found among the nodes -l selects: nope-1"),
        "{stderr}"
    );
}

#[test]
fn saved_snapshot_reproduces_the_report_offline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("snap.json");
    let file = file.to_str().expect("utf-8 path");
    let (code, live, _, _) = json(false, &["--save-snapshot", file, "--node-timeout", "2s"]);
    assert_eq!(code, Some(1));
    // Offline: no cluster needed (a kubeconfig that does not exist proves it).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kubectl-sidecar"))
        .args(["check-nodes", "-o", "json", "--snapshot", file])
        .env("KUBECONFIG", "/nonexistent")
        .output()
        .expect("run kubectl-sidecar");
    assert_eq!(out.status.code(), Some(1));
    let offline: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(offline, live);
    // The snapshot holds the raw facts, and no credentials.
    let text = std::fs::read_to_string(file).expect("snapshot written");
    assert!(text.contains("\"kind\": \"Snapshot\""));
    common::assert_schema("Snapshot", &serde_json::from_str(&text).expect("JSON"));
    assert!(text.contains("\"apiVersion\": \"kubectl-sidecar/v1\""));
    assert!(!text.to_lowercase().contains("token"));
}

#[test]
fn timeouts_and_the_deadline_bound_the_run() {
    let (_, report, _, took) = json(false, &["--node-timeout", "2s"]);
    let reason = node(&report, "spot-hang")["reason"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(reason.contains("within 2s"), "{reason}");
    assert!(took < Duration::from_secs(20), "took {took:?}");

    let (_, report, _, took) = json(false, &["--node-timeout", "30s", "--deadline", "2s"]);
    let reason = node(&report, "spot-hang")["reason"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(reason.contains("--deadline"), "{reason}");
    assert_eq!(node(&report, "spot-hang")["verdict"], "unknown");
    // The others still answered.
    assert_eq!(node(&report, "gen-133")["gate"]["source"], "metrics");
    assert!(took < Duration::from_secs(20), "took {took:?}");

    // One at a time still finishes, the hung kubelet costing its timeout once.
    let (_, report, _, took) = json(false, &["--concurrency", "1", "--node-timeout", "2s"]);
    assert_eq!(node(&report, "gen-130")["verdict"], "supported");
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

/// CPU seconds (user + system) a process has used, from /proc/PID/stat.
fn cpu_seconds(pid: i32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// A TCP relay that delays everything the kubelet sends by `delay` (a one-way delay line, so
/// pipelined bytes are not serialised): each request/response round trip, the TCP and the TLS
/// handshakes each cost `delay`, as a network RTT plus kubelet think time would. `tc netem` would
/// be simpler but the test machines' kernels lack it.
fn relay(listener: std::net::TcpListener, upstream: std::net::SocketAddr, delay: Duration) {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    fn pipe(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
        if delay.is_zero() {
            let _ = std::io::copy(&mut from, &mut to);
            let _ = to.shutdown(std::net::Shutdown::Write);
            return;
        }
        let (tx, rx) = std::sync::mpsc::channel::<(Instant, Vec<u8>)>();
        let writer = std::thread::spawn(move || {
            for (at, chunk) in rx {
                let due = at + delay;
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                if to.write_all(&chunk).is_err() {
                    return;
                }
            }
            let _ = to.shutdown(std::net::Shutdown::Write);
        });
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || tx.send((Instant::now(), buf[..n].to_vec())).is_err() {
                break;
            }
        }
        drop(tx);
        let _ = writer.join();
    }
    std::thread::spawn(move || {
        for client in listener.incoming().map_while(Result::ok) {
            std::thread::spawn(move || {
                let Ok(server) = TcpStream::connect(upstream) else {
                    return;
                };
                let _ = server.set_nodelay(true);
                let _ = client.set_nodelay(true);
                let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
                    return;
                };
                std::thread::spawn(move || pipe(c2, s2, Duration::ZERO));
                // The connection's first bytes come from the client (SYN-ACK is not relayed),
                // so add one delay for the TCP handshake here.
                std::thread::sleep(delay);
                pipe(server, client, delay);
            });
        }
    });
}

/// Points every node of the cluster at a relay with the given delay (InternalIP = the host
/// end of the scenario's veth, a port per node), so the apiserver's node proxy goes through it.
async fn route_through_relays(c: &TestCluster, delay: Duration) {
    use k8s_openapi::api::core::v1::Node;
    use kube::api::{Api, Patch, PatchParams};
    let nodes: Api<Node> = Api::all(c.admin_client().await);
    for (name, address) in &c.env.nodes {
        let port = c.env.kubelet_ports.get(name).copied().unwrap_or(10250);
        let upstream: std::net::SocketAddr = format!("{address}:{port}").parse().expect("addr");
        let listener = std::net::TcpListener::bind((c.env.host_address.as_str(), 0))
            .expect("bind a relay on the host veth address");
        let relay_port = listener.local_addr().expect("relay addr").port();
        relay(listener, upstream, delay);
        let patch = serde_json::json!({"status": {
            "addresses": [{"type": "InternalIP", "address": c.env.host_address}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": relay_port}},
        }});
        nodes
            .patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .expect("patch node status");
    }
}

/// Chooses the --concurrency default: wall time and apiserver CPU for 200 kubelets at each
/// concurrency, with latency added between the apiserver and the kubelets by a delaying relay.
/// Prints a markdown table for tests/bench/README.md.
///     cargo test --features e2e --test e2e_check_nodes -- --ignored bench_concurrency --nocapture
/// KSC_BENCH_DELAY_MS sets the delay (default 50), KSC_BENCH_LEVELS the concurrencies.
#[test]
#[ignore = "benchmark, minutes long; see tests/bench/README.md"]
fn bench_concurrency() {
    let c = TestCluster::start("tests/bench/fleet-200.yaml");
    let delay_ms: u64 = std::env::var("KSC_BENCH_DELAY_MS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(50);
    let levels: Vec<usize> = std::env::var("KSC_BENCH_LEVELS")
        .unwrap_or_else(|_| "1,4,8,16,32,64,128".into())
        .split(',')
        .filter_map(|d| d.trim().parse().ok())
        .collect();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(route_through_relays(c, Duration::from_millis(delay_ms)));
    let apiserver = c
        .env
        .pids
        .iter()
        .find(|(name, _)| name.contains("apiserver"))
        .map(|(_, pid)| *pid);
    let rounds = 3;
    let mut table = format!(
        "| kubelet RTT | concurrency | wall time (median of {rounds}) | apiserver CPU per run | nodes answered |\n|---|---|---|---|---|\n"
    );
    for &level in &levels {
        let mut walls = Vec::new();
        let mut cpus = Vec::new();
        let mut answered = 0;
        for _ in 0..rounds {
            let before = apiserver.and_then(cpu_seconds);
            let started = Instant::now();
            let (status, stdout, stderr) = c.run(&[
                "check-nodes",
                "-o",
                "json",
                "--concurrency",
                &level.to_string(),
                "--node-timeout",
                "30s",
                "--deadline",
                "600s",
            ]);
            walls.push(started.elapsed());
            if let (Some(b), Some(a)) = (before, apiserver.and_then(cpu_seconds)) {
                cpus.push(a - b);
            }
            assert!(status.code().is_some(), "{stderr}");
            let v: Value = serde_json::from_str(&stdout).expect("JSON");
            // Answered: read from metrics, or no series on a 1.37 kubelet (source version).
            answered = v["nodes"]
                .as_array()
                .map(|n| {
                    n.iter()
                        .filter(|n| n["gate"]["source"] != "unknown")
                        .count()
                })
                .unwrap_or(0);
        }
        walls.sort();
        cpus.sort_by(f64::total_cmp);
        let cpu = cpus
            .get(cpus.len() / 2)
            .map(|c| format!("{c:.2}s"))
            .unwrap_or_else(|| "?".into());
        let line = format!(
            "| {delay_ms} ms | {level} | {:.2}s | {cpu} | {answered}/200 |\n",
            walls[walls.len() / 2].as_secs_f64()
        );
        eprint!("{line}");
        table.push_str(&line);
    }
    eprintln!("\n{table}");
}
