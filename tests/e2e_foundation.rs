#![cfg(feature = "e2e")]
//! The harness itself, asserted through a real kube-apiserver with plain kube clients: if these
//! fail, no other end-to-end test means anything.

mod common;

use std::time::Duration;

use common::TestCluster;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use kube::Api;
use kube::api::{ListParams, PostParams};

const V137: &str = "tests/scenarios/foundation-1.37.yaml";
const V134: &str = "tests/scenarios/foundation-1.34.yaml";

/// The nodes whose fake kubelet serves metrics, in both foundation scenarios.
const SERVING: [&str; 3] = ["node-a", "node-b", "node-c"];

async fn get_text(client: &kube::Client, path: &str) -> Result<String, kube::Error> {
    let req = http::Request::get(path)
        .body(Vec::new())
        .expect("a static path is a valid request");
    client.request_text(req).await
}

fn api_code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

fn sidecar_pod() -> Pod {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "probe"},
        "spec": {
            "initContainers": [{"name": "proxy", "image": "registry.example/proxy:1", "restartPolicy": "Always"}],
            "containers": [{"name": "app", "image": "registry.example/app:1"}]
        }
    }))
    .expect("static pod manifest")
}

/// (restartPolicy of each init container, names of the containers) of a dry-run create.
async fn dry_run_create(
    client: &kube::Client,
    ns: &str,
) -> Result<(Vec<Option<String>>, Vec<String>), kube::Error> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let pp = PostParams {
        dry_run: true,
        ..Default::default()
    };
    let pod = pods.create(&pp, &sidecar_pod()).await?;
    let spec = pod.spec.unwrap_or_default();
    let init = spec
        .init_containers
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.restart_policy)
        .collect();
    let containers = spec.containers.into_iter().map(|c| c.name).collect();
    Ok((init, containers))
}

// --- node proxy -> fake kubelets -------------------------------------------------------------

async fn node_proxy_serves_each_kubelets_own_text(
    scenario: &str,
    expected: &[(&str, &str, Option<&str>)],
) {
    let c = TestCluster::start(scenario);
    let client = c.admin_client().await;
    for (node, version, sidecar) in expected {
        let text = get_text(&client, &format!("/api/v1/nodes/{node}/proxy/metrics"))
            .await
            .unwrap_or_else(|e| panic!("{node}: GET proxy/metrics: {e}\n{}", c.log_tail(20)));
        assert!(
            text.len() >= 100_000,
            "{node}: only {} bytes of metrics",
            text.len()
        );
        assert!(
            text.lines()
                .any(|l| l == format!("kubelet_node_name{{node=\"{node}\"}} 1")),
            "{node}: its own marker is missing"
        );
        for other in SERVING.iter().filter(|o| *o != node) {
            assert!(
                !text.contains(&format!("kubelet_node_name{{node=\"{other}\"}}")),
                "{node}: the proxy returned {other}'s text"
            );
        }
        assert!(
            text.contains(&format!("git_version=\"{version}\"")),
            "{node}: kubernetes_build_info does not report {version}"
        );
        match sidecar {
            Some(line) => assert!(
                text.lines().any(|l| l == *line),
                "{node}: expected {line:?}; SidecarContainers lines: {:?}",
                text.lines()
                    .filter(|l| l.contains("SidecarContainers"))
                    .collect::<Vec<_>>()
            ),
            None => assert!(
                !text.contains("name=\"SidecarContainers\""),
                "{node}: expected no SidecarContainers series"
            ),
        }
        // Families sorted by name, as Prometheus' Go client writes them.
        let families: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        assert!(
            families.len() > 50,
            "{node}: only {} families",
            families.len()
        );
        assert!(
            families.windows(2).all(|w| w[0] < w[1]),
            "{node}: families not sorted"
        );
    }
}

#[tokio::test]
async fn node_proxy_serves_each_kubelets_own_text_1_37() {
    node_proxy_serves_each_kubelets_own_text(
        V137,
        &[
            ("node-a", "v1.37.2", None),
            (
                "node-b",
                "v1.33.5-eks-1552ad0",
                Some("kubernetes_feature_enabled{name=\"SidecarContainers\",stage=\"\"} 1"),
            ),
            (
                "node-c",
                "v1.30.6",
                Some("kubernetes_feature_enabled{name=\"SidecarContainers\",stage=\"BETA\"} 0"),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn node_proxy_serves_each_kubelets_own_text_1_34() {
    node_proxy_serves_each_kubelets_own_text(
        V134,
        &[
            (
                "node-a",
                "v1.34.4",
                Some("kubernetes_feature_enabled{name=\"SidecarContainers\",stage=\"\"} 1"),
            ),
            (
                "node-b",
                "v1.33.5-eks-1552ad0",
                Some("kubernetes_feature_enabled{name=\"SidecarContainers\",stage=\"\"} 1"),
            ),
            (
                "node-c",
                "v1.30.6",
                Some("kubernetes_feature_enabled{name=\"SidecarContainers\",stage=\"BETA\"} 0"),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn broken_kubelets_fail_the_way_the_scenario_says() {
    let c = TestCluster::start(V137);
    let client = c.admin_client().await;

    let err = get_text(&client, "/api/v1/nodes/node-err/proxy/metrics")
        .await
        .expect_err("node-err answers /metrics with 503");
    assert_eq!(api_code(&err), Some(503), "node-err: {err}");

    let err = get_text(&client, "/api/v1/nodes/node-gone/proxy/metrics")
        .await
        .expect_err("nothing listens on node-gone's address");
    assert_eq!(api_code(&err), Some(503), "node-gone: {err}");
    assert!(
        err.to_string().contains("connection refused"),
        "node-gone: {err}"
    );

    // The apiserver treats proxy requests as long-running: only the client's timeout ends them.
    let hung = tokio::time::timeout(
        Duration::from_secs(3),
        get_text(&client, "/api/v1/nodes/node-hang/proxy/metrics"),
    )
    .await;
    assert!(hung.is_err(), "node-hang answered: {hung:?}");

    // The healthy node still answers on the same client: the failures above are per node.
    get_text(&client, "/api/v1/nodes/node-a/proxy/healthz")
        .await
        .expect("node-a /healthz");
}

// --- the apiserver's own gate --------------------------------------------------------------

#[tokio::test]
async fn apiserver_1_37_reports_no_sidecar_gate() {
    let c = TestCluster::start(V137);
    let text = get_text(&c.admin_client().await, "/metrics")
        .await
        .expect("GET /metrics");
    assert!(
        text.contains("kubernetes_feature_enabled{"),
        "the family itself must be there, or the absence below proves nothing"
    );
    assert!(
        !text.contains("name=\"SidecarContainers\""),
        "1.37 removed the gate: {:?}",
        text.lines()
            .filter(|l| l.contains("SidecarContainers"))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn apiserver_1_34_reports_the_gate_ga() {
    let c = TestCluster::start(V134);
    let text = get_text(&c.admin_client().await, "/metrics")
        .await
        .expect("GET /metrics");
    assert!(
        text.lines()
            .any(|l| l == "kubernetes_feature_enabled{name=\"SidecarContainers\",stage=\"\"} 1"),
        "SidecarContainers lines: {:?}",
        text.lines()
            .filter(|l| l.contains("SidecarContainers"))
            .collect::<Vec<_>>()
    );
}

// --- webhooks through server-side dry run ----------------------------------------------------

async fn webhooks_act_on_dry_run(scenario: &str) {
    let c = TestCluster::start(scenario);
    let client = c.admin_client().await;
    let always = Some("Always".to_string());

    let (init, containers) = dry_run_create(&client, "plain").await.expect("plain");
    assert_eq!(
        init,
        vec![always.clone()],
        "no webhook in plain: restartPolicy kept"
    );
    assert_eq!(containers, vec!["app"]);

    let (init, _) = dry_run_create(&client, "legacy").await.expect("legacy");
    assert_eq!(
        init,
        vec![None],
        "the v0.27 webhook re-encodes the spec without restartPolicy"
    );

    let (init, containers) = dry_run_create(&client, "meshed").await.expect("meshed");
    assert_eq!(init, vec![always], "the injector strips nothing");
    assert_eq!(containers, vec!["app", "injected-proxy"]);

    let err = dry_run_create(&client, "audited")
        .await
        .expect_err("sideEffects Some");
    assert_eq!(api_code(&err), Some(400), "{err}");
    assert!(
        err.to_string().contains("does not support dry run"),
        "{err}"
    );

    let err = dry_run_create(&client, "frozen")
        .await
        .expect_err("reject webhook");
    assert_eq!(api_code(&err), Some(403), "{err}");
    assert!(
        err.to_string().contains("pods are not allowed here"),
        "{err}"
    );
}

#[tokio::test]
async fn webhooks_act_on_dry_run_1_37() {
    webhooks_act_on_dry_run(V137).await;
}

#[tokio::test]
async fn webhooks_act_on_dry_run_1_34() {
    webhooks_act_on_dry_run(V134).await;
}

// --- the restricted user ---------------------------------------------------------------------

#[tokio::test]
async fn restricted_user_reads_but_gets_no_proxy_metrics_or_writes() {
    let c = TestCluster::start(V137);
    let client = c.restricted_client().await;

    let nodes: Api<Node> = Api::all(client.clone());
    let listed = nodes
        .list(&ListParams::default())
        .await
        .expect("restricted user lists nodes");
    assert_eq!(listed.items.len(), c.env.nodes.len());

    let err = get_text(&client, "/api/v1/nodes/node-a/proxy/metrics")
        .await
        .expect_err("no nodes/proxy");
    assert_eq!(api_code(&err), Some(403), "{err}");
    let err = get_text(&client, "/metrics")
        .await
        .expect_err("no /metrics");
    assert_eq!(api_code(&err), Some(403), "{err}");
    let err = dry_run_create(&client, "plain")
        .await
        .expect_err("no create");
    assert_eq!(api_code(&err), Some(403), "{err}");
}

// --- what the scenario put into the API ------------------------------------------------------

#[tokio::test]
async fn scenario_objects_carry_status_and_resolved_uids() {
    let c = TestCluster::start(V137);
    let client = c.admin_client().await;

    let nodes: Api<Node> = Api::all(client.clone());
    for (name, address) in &c.env.nodes {
        let node = nodes.get(name).await.expect("node");
        let status = node.status.unwrap_or_default();
        let addresses = status.addresses.unwrap_or_default();
        assert_eq!(
            addresses
                .first()
                .map(|a| (a.type_.as_str(), a.address.as_str())),
            Some(("InternalIP", address.as_str()))
        );
        let port = status
            .daemon_endpoints
            .and_then(|d| d.kubelet_endpoint)
            .map(|e| e.port);
        assert_eq!(
            port,
            c.env.kubelet_ports.get(name).map(|p| i32::from(*p)),
            "{name}"
        );
        let ready = status
            .conditions
            .unwrap_or_default()
            .into_iter()
            .find(|c| c.type_ == "Ready")
            .map(|c| c.status);
        let want = if name == "node-gone" { "False" } else { "True" };
        assert_eq!(ready.as_deref(), Some(want), "{name}");
    }
    let b = nodes.get("node-b").await.expect("node-b");
    assert_eq!(
        b.status
            .and_then(|s| s.node_info)
            .map(|i| i.kubelet_version),
        Some("v1.33.5-eks-1552ad0".to_string())
    );
    assert_eq!(
        b.metadata
            .labels
            .unwrap_or_default()
            .get("pool")
            .map(String::as_str),
        Some("green")
    );

    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "plain");
    let d = deploys.get("web").await.expect("deployment");
    assert_eq!(d.status.and_then(|s| s.ready_replicas), Some(1));

    let pods: Api<Pod> = Api::namespaced(client.clone(), "plain");
    let pod = pods.get("web-6d4b75cb6d-x7k2p").await.expect("pod");
    assert_eq!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Running")
    );
    let owner = pod.metadata.owner_references.unwrap_or_default();
    let rs: Api<k8s_openapi::api::apps::v1::ReplicaSet> = Api::namespaced(client.clone(), "plain");
    let rs_uid = rs
        .get("web-6d4b75cb6d")
        .await
        .expect("replicaset")
        .metadata
        .uid;
    assert_eq!(
        owner.first().map(|o| o.uid.clone()),
        rs_uid,
        "owner uid filled in"
    );
    let events: Api<Event> = Api::namespaced(client, "plain");
    let ev = events
        .get("web-6d4b75cb6d-x7k2p.started")
        .await
        .expect("event");
    assert_eq!(
        ev.involved_object.uid, pod.metadata.uid,
        "event uid filled in"
    );
}

// --- teardown --------------------------------------------------------------------------------

/// Everything a scenario owns, as recorded in its env.json, is gone.
fn assert_nothing_left(c: &TestCluster) {
    let env = &c.env;
    assert!(!env.pids.is_empty());
    for (name, pid) in &env.pids {
        assert!(!common::pid_alive(*pid), "{name} (pid {pid}) still runs");
    }
    assert!(
        !common::netns_exists(&env.netns),
        "netns {} still exists",
        env.netns
    );
    assert!(
        !common::link_exists(&env.host_veth),
        "veth {} still exists",
        env.host_veth
    );
    assert!(
        !env.data_dir.exists(),
        "{} still exists",
        env.data_dir.display()
    );
    let state = common::read_env(&c.dir)
        .map(|e| e.state)
        .unwrap_or_default();
    assert_eq!(state, "down");
}

/// What a scenario owns while it is up: the assertions above must have something to disprove.
fn assert_all_there(c: &TestCluster) {
    let env = &c.env;
    for (name, pid) in &env.pids {
        assert!(common::pid_alive(*pid), "{name} (pid {pid}) is not running");
    }
    for want in ["supervisor", "etcd", "kube-apiserver", "kubelets"] {
        assert!(env.pids.contains_key(want), "no {want} pid recorded");
    }
    assert!(common::netns_exists(&env.netns));
    assert!(common::link_exists(&env.host_veth));
    assert!(env.data_dir.exists());
}

#[test]
fn down_leaves_nothing_behind() {
    let c = TestCluster::start_private(V137, "down");
    assert_all_there(&c);
    c.down();
    assert_nothing_left(&c);
}

#[test]
fn stdin_eof_tears_down() {
    let c = TestCluster::start_private(V137, "eof");
    assert_all_there(&c);
    let status = c
        .close_stdin_and_wait()
        .expect("the supervisor was running");
    assert!(status.success(), "supervisor exit after EOF: {status}");
    assert_nothing_left(&c);
}

// --- the worked example of tests/SCENARIOS.md ------------------------------------------------

const EXAMPLE: &str = "tests/scenarios/example-split.yaml";

#[test]
fn worked_example_file_matches_scenarios_md() {
    let root = common::crate_root();
    let doc = std::fs::read_to_string(root.join("tests/SCENARIOS.md")).expect("SCENARIOS.md");
    let marker = "```yaml\n# tests/scenarios/example-split.yaml\n";
    let start = doc.find(marker).expect("the example block in SCENARIOS.md") + marker.len();
    let block = &doc[start..start + doc[start..].find("```").expect("end of the example block")];
    let file = std::fs::read_to_string(root.join(EXAMPLE)).expect("example-split.yaml");
    let file_body = file
        .split_once('\n')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    assert_eq!(
        file_body, block,
        "SCENARIOS.md section 10 and {EXAMPLE} differ"
    );
}

#[tokio::test]
async fn worked_example_behaves_as_documented() {
    let c = TestCluster::start(EXAMPLE);
    let client = c.admin_client().await;

    let pods: Api<Pod> = Api::namespaced(client.clone(), "shop");
    let cart = pods.get("cart-0").await.expect("cart-0");
    let init = cart
        .spec
        .unwrap_or_default()
        .init_containers
        .unwrap_or_default();
    assert_eq!(init.len(), 1);
    assert_eq!(
        init[0].restart_policy, None,
        "stored through the stripping webhook"
    );
    assert_eq!(
        cart.status.and_then(|s| s.phase).as_deref(),
        Some("Pending")
    );

    let (init, _) = dry_run_create(&client, "billing").await.expect("billing");
    assert_eq!(init, vec![Some("Always".to_string())]);

    let text = get_text(&client, "/api/v1/nodes/pool-old-1/proxy/metrics")
        .await
        .expect("pool-old-1 metrics");
    assert!(
        text.lines()
            .any(|l| l == "kubernetes_feature_enabled{name=\"SidecarContainers\",stage=\"BETA\"} 0")
    );
    let text = get_text(&client, "/api/v1/nodes/pool-new-1/proxy/metrics")
        .await
        .expect("pool-new-1 metrics");
    assert!(
        text.lines()
            .any(|l| l == "kubernetes_feature_enabled{name=\"SidecarContainers\",stage=\"\"} 1")
    );
    let hung = tokio::time::timeout(
        Duration::from_secs(3),
        get_text(&client, "/api/v1/nodes/pool-old-2/proxy/metrics"),
    )
    .await;
    assert!(hung.is_err(), "pool-old-2 answered: {hung:?}");

    let events: Api<Event> = Api::namespaced(client, "shop");
    let ev = events.get("cart-0.1").await.expect("event");
    assert_eq!(ev.involved_object.uid, cart.metadata.uid);

    let err = get_text(&c.restricted_client().await, "/metrics")
        .await
        .expect_err("restricted /metrics");
    assert_eq!(api_code(&err), Some(403));
}
