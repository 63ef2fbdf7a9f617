//! All API access of check-nodes: GET/LIST only, lists paginated. Produces the snapshot.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, ListParams};
use serde::de::DeserializeOwned;

use super::facts::{
    ApiServerFacts, ControlPlaneFacts, Count, NodeFacts, SNAPSHOT_KIND, SNAPSHOT_VERSION, Snapshot,
    StaticPodFacts,
};
use super::kubelets::{self, APISERVER_PERMISSION, Limits, one_line};
use super::report;
use super::staticpods;
use crate::context::Cluster;
use crate::error::{Error, Result, describe_kube_error};

/// Page size for every list: large enough to be few requests, small enough for any apiserver.
const PAGE: u32 = 500;

/// The apiserver's /metrics is several megabytes and the family sits after the apiserver_*
/// families: give it more time than a kubelet, within the deadline.
const APISERVER_METRICS_MIN: Duration = Duration::from_secs(15);

pub struct Options {
    pub selector: Option<String>,
    pub limits: Limits,
    pub progress: bool,
}

/// Collects everything check-nodes needs. `git_version` comes from `apiserver_version`, read
/// first by the caller: it is the one request whose failure means the cluster is unusable.
pub async fn collect(cluster: &Cluster, opts: &Options, git_version: String) -> Result<Snapshot> {
    let client = &cluster.client;
    let api_limits = Limits {
        node_timeout: opts.limits.node_timeout.max(APISERVER_METRICS_MIN),
        ..opts.limits
    };
    // The kubelets do not wait for the apiserver's own (large) /metrics: all run together.
    let (metrics, leases, control_plane, nodes) = tokio::join!(
        kubelets::fetch_one(client, "/metrics", APISERVER_PERMISSION, api_limits),
        count_leases(client),
        static_pods(client),
        nodes_with_gates(client, opts),
    );
    let nodes = nodes?;

    Ok(Snapshot {
        kind: SNAPSHOT_KIND.to_string(),
        version: SNAPSHOT_VERSION,
        selector: opts.selector.clone(),
        apiserver: ApiServerFacts {
            git_version,
            metrics: metrics.0,
            leases,
        },
        control_plane,
        nodes,
    })
}

/// Lists the nodes, then reads every Ready node's gate.
async fn nodes_with_gates(client: &kube::Client, opts: &Options) -> Result<Vec<NodeFacts>> {
    let mut nodes = list_nodes(client, opts.selector.as_deref()).await?;
    // NotReady nodes are not asked: their kubelets tend to hang until the timeout, and a
    // node that cannot run pods gets `unknown` whatever its kubelet would say.
    let ask: Vec<usize> = (0..nodes.len())
        .filter(|i| nodes[*i].ready == Some(true))
        .collect();
    for n in nodes.iter_mut().filter(|n| n.ready != Some(true)) {
        n.metrics = report::skipped(format!("not asked: {}", report::not_ready(n)));
    }
    let names: Vec<String> = ask.iter().map(|i| nodes[*i].name.clone()).collect();
    let readings = kubelets::fetch_all(client, &names, opts.limits, opts.progress).await;
    for (i, (reading, millis)) in ask.into_iter().zip(readings) {
        if let Some(n) = nodes.get_mut(i) {
            n.metrics = reading;
            n.fetch_millis = millis;
        }
    }
    Ok(nodes)
}

/// `GET /version`, which everyone may read: when it fails, the cluster cannot be used at all.
/// Bounded by --request-timeout, else `VERSION_WAIT`, so a silent apiserver cannot stall a run.
pub async fn apiserver_version(cluster: &Cluster, wait: Option<Duration>) -> Result<String> {
    let server = &cluster.server;
    let doing = format!("reading the apiserver version of {server} (GET /version)");
    let wait = wait.unwrap_or(VERSION_WAIT);
    match tokio::time::timeout(wait, cluster.client.apiserver_version()).await {
        Ok(Ok(info)) => Ok(info.git_version),
        Ok(Err(e)) => Err(describe_kube_error(&doing, &e)),
        Err(_) => Err(Error::cluster(format!("{doing}: no answer within {}s", wait.as_secs()))
            .hint("check that the apiserver in your kubeconfig is up and reachable, or pass --context")),
    }
}

const VERSION_WAIT: Duration = Duration::from_secs(30);

/// Lists every page. `what` names the request in errors.
async fn list_all<K>(api: &Api<K>, params: ListParams) -> std::result::Result<Vec<K>, kube::Error>
where
    K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    let mut out = Vec::new();
    let mut params = params.limit(PAGE);
    loop {
        let page = api.list(&params).await?;
        out.extend(page.items);
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => return Ok(out),
        }
    }
}

async fn list_nodes(client: &kube::Client, selector: Option<&str>) -> Result<Vec<NodeFacts>> {
    let api: Api<Node> = Api::all(client.clone());
    let mut params = ListParams::default();
    if let Some(s) = selector {
        params = params.labels(s);
    }
    let nodes = list_all(&api, params)
        .await
        .map_err(|e| match (&e, selector) {
            (kube::Error::Api(status), Some(s)) if status.code == 400 => {
                Error::usage(format!("-l {s}: {}", status.message))
                    .hint("use a label selector such as pool=blue,!spot or 'env in (prod,stage)'")
            }
            _ => describe_kube_error("listing nodes", &e),
        })?;
    Ok(nodes.iter().map(node_facts).collect())
}

pub fn node_facts(node: &Node) -> NodeFacts {
    let labels: BTreeMap<String, String> = node.metadata.labels.clone().unwrap_or_default();
    let status = node.status.as_ref();
    let info = status.and_then(|s| s.node_info.as_ref());
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"));
    let label = |key: &str| labels.get(key).cloned().unwrap_or_default();
    let or_label = |value: Option<&String>, key: &str| match value {
        Some(v) if !v.is_empty() => v.clone(),
        _ => label(key),
    };
    NodeFacts {
        name: node.metadata.name.clone().unwrap_or_default(),
        kubelet_version: info.map(|i| i.kubelet_version.clone()).unwrap_or_default(),
        os: or_label(info.map(|i| &i.operating_system), "kubernetes.io/os"),
        arch: or_label(info.map(|i| &i.architecture), "kubernetes.io/arch"),
        os_image: info.map(|i| i.os_image.clone()).unwrap_or_default(),
        container_runtime: info
            .map(|i| i.container_runtime_version.clone())
            .unwrap_or_default(),
        ready: ready.and_then(|c| match c.status.as_str() {
            "True" => Some(true),
            "False" => Some(false),
            _ => None,
        }),
        ready_reason: ready
            .filter(|c| c.status != "True")
            .and_then(|c| c.reason.clone().or_else(|| c.message.clone()))
            .map(|r| one_line(&r)),
        labels,
        metrics: report::skipped("not asked"),
        fetch_millis: None,
    }
}

async fn count_leases(client: &kube::Client) -> Count {
    let api: Api<Lease> = Api::namespaced(client.clone(), "kube-system");
    let params = ListParams::default().labels("apiserver.kubernetes.io/identity=kube-apiserver");
    match list_all(&api, params).await {
        Ok(leases) => Count::Counted {
            count: u32::try_from(leases.len()).unwrap_or(u32::MAX),
        },
        Err(kube::Error::Api(s)) if s.code == 403 => Count::Unknown {
            reason: "cannot list leases in kube-system (forbidden)".into(),
        },
        Err(e) => Count::Unknown {
            reason: one_line(&format!(
                "listing leases in kube-system failed: {}",
                crate::error::flatten(&e)
            )),
        },
    }
}

async fn static_pods(client: &kube::Client) -> ControlPlaneFacts {
    let api: Api<Pod> = Api::namespaced(client.clone(), "kube-system");
    match list_all(&api, ListParams::default()).await {
        Ok(pods) => ControlPlaneFacts {
            static_pods: Some(pods.iter().filter_map(static_pod_facts).collect()),
            error: None,
        },
        Err(kube::Error::Api(s)) if s.code == 403 => ControlPlaneFacts {
            static_pods: None,
            error: Some("cannot list pods in kube-system (forbidden)".into()),
        },
        Err(e) => ControlPlaneFacts {
            static_pods: None,
            error: Some(one_line(&format!(
                "listing pods in kube-system failed: {}",
                crate::error::flatten(&e)
            ))),
        },
    }
}

pub fn static_pod_facts(pod: &Pod) -> Option<StaticPodFacts> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let labels = pod.metadata.labels.clone().unwrap_or_default();
    let component = staticpods::component_of(&name, &labels)?;
    let spec = pod.spec.as_ref()?;
    let container = spec
        .containers
        .iter()
        .find(|c| c.name == component)
        .or_else(|| spec.containers.first())?;
    let mut args: Vec<String> = container.command.clone().unwrap_or_default();
    args.extend(container.args.clone().unwrap_or_default());
    Some(StaticPodFacts {
        component: component.to_string(),
        name,
        node: spec.node_name.clone(),
        image: container.image.clone().unwrap_or_default(),
        feature_gates: staticpods::flag_values(&args, "feature-gates"),
        emulated_version: staticpods::flag_values(&args, "emulated-version").pop(),
    })
}

/// When the run started, for the overall deadline.
pub fn deadline_from(start: Instant, len: Duration) -> Instant {
    start
        .checked_add(len)
        .unwrap_or(start + Duration::from_secs(86_400))
}
