//! All API access of check-nodes: GET/LIST only, lists paginated. Produces the snapshot.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, ListParams};
use serde::de::DeserializeOwned;

use crate::context::Cluster;
use crate::error::{Error, Result, describe_kube_error};
use crate::facts::cluster::{
    ApiServerFacts, ClusterFacts, ControlPlaneFacts, Count, GateReading, NodeFacts, StaticPodFacts,
};
use crate::facts::coverage::{Cause, Gap};
use crate::kube::access::{Budget, Failure, PAGE};
use crate::kube::kubelets::{self, APISERVER_PERMISSION, Limits, one_line};
use crate::kube::staticpods;
use crate::progress::{LISTING_NODES, Progress};

/// The apiserver's /metrics is several megabytes and the family sits after the apiserver_*
/// families: give it more time than a kubelet, within the deadline.
const APISERVER_METRICS_MIN: Duration = Duration::from_secs(15);

/// RBAC of the lists, as coverage names it.
pub const LIST_NODES: &str = "list nodes";
pub const LIST_PODS: &str = "list pods in kube-system";
pub const LIST_LEASES: &str = "list leases in kube-system";

pub struct Options {
    pub selector: Option<String>,
    /// Only these nodes (`check-nodes NODE...`); empty: every node listed.
    pub names: Vec<String>,
    pub limits: Limits,
    pub progress: bool,
}

/// Collects everything check-nodes needs. `git_version` comes from `apiserver_version`, read
/// first by the caller: it is the one request whose failure means the cluster is unusable.
/// Anything else that fails (even `LIST nodes`) is recorded with its cause, and the run goes on
/// to report what it saw. Err only for a selector the apiserver rejects.
pub async fn collect(
    cluster: &Cluster,
    opts: &Options,
    git_version: String,
) -> Result<ClusterFacts> {
    let client = &cluster.client;
    let budget = opts.limits.budget;
    let progress = Progress::new(opts.progress);
    let api_limits = Limits {
        node_timeout: opts.limits.node_timeout.max(APISERVER_METRICS_MIN),
        ..opts.limits
    };
    // The kubelets do not wait for the apiserver's own (large) /metrics: all run together.
    let (metrics, leases, control_plane, nodes) = tokio::join!(
        progress.around(
            "the apiserver's /metrics",
            kubelets::fetch_one(client, "/metrics", APISERVER_PERMISSION, api_limits)
        ),
        progress.around("apiserver leases", count_leases(client, &budget)),
        progress.around("kube-system pods", static_pods(client, &budget)),
        nodes_with_gates(client, opts, &progress),
    );
    progress.clear();
    let (nodes, nodes_gap) = nodes?;

    Ok(ClusterFacts {
        selector: opts.selector.clone(),
        names: opts.names.clone(),
        apiserver: ApiServerFacts {
            git_version,
            metrics: metrics.0,
            leases,
        },
        control_plane,
        nodes,
        nodes_gap,
    })
}

/// Lists the nodes, then reads every Ready node's gate. When the list fails part-way, the nodes
/// of the pages that arrived are still read, and the gap says what is missing.
async fn nodes_with_gates(
    client: &kube::Client,
    opts: &Options,
    progress: &Progress,
) -> Result<(Vec<NodeFacts>, Option<Gap>)> {
    let (mut nodes, gap) = progress
        .around(
            LISTING_NODES,
            list_nodes(client, opts.selector.as_deref(), &opts.limits.budget),
        )
        .await?;
    // Named nodes are picked from the list (one request, whatever their number); the kubelets
    // of the others are never asked.
    if !opts.names.is_empty() {
        nodes.retain(|n| opts.names.contains(&n.name));
    }
    // NotReady nodes are not asked: their kubelets tend to hang until the timeout, and a
    // node that cannot run pods gets `unknown` whatever its kubelet would say.
    let ask: Vec<usize> = (0..nodes.len())
        .filter(|i| nodes[*i].ready == Some(true))
        .collect();
    for n in nodes.iter_mut().filter(|n| n.ready != Some(true)) {
        n.metrics = GateReading::skipped(format!("not asked: {}", n.not_ready()), Cause::NotAsked);
    }
    let names: Vec<String> = ask.iter().map(|i| nodes[*i].name.clone()).collect();
    let readings = kubelets::fetch_all(client, &names, opts.limits, progress).await;
    for (i, (reading, millis)) in ask.into_iter().zip(readings) {
        if let Some(n) = nodes.get_mut(i) {
            n.metrics = reading;
            n.fetch_millis = millis;
        }
    }
    Ok((nodes, gap))
}

/// `GET /version`, which everyone may read: when it fails, the cluster cannot be used at all.
/// Bounded like every request by the run's budget, so a silent apiserver cannot stall a run.
pub async fn apiserver_version(cluster: &Cluster, budget: &Budget) -> Result<String> {
    let server = &cluster.server;
    let doing = format!("reading the apiserver version of {server} (GET /version)");
    let hint = "check that the apiserver in your kubeconfig is up and reachable, or pass --context";
    if budget.expired() {
        return Err(
            Error::cluster(format!("{doing}: {}", budget.deadline_passed().text())).hint(hint),
        );
    }
    let limit = budget.limit();
    match tokio::time::timeout(limit, cluster.client.apiserver_version()).await {
        Ok(Ok(info)) => Ok(info.git_version),
        Ok(Err(e)) => Err(describe_kube_error(&doing, &e)),
        Err(_) => {
            Err(Error::cluster(format!("{doing}: {}", budget.timed_out(limit).text())).hint(hint))
        }
    }
}

/// How a paginated list ended.
enum Listed<K> {
    All(Vec<K>),
    /// A page failed: the items of the pages before it, and why.
    Partial(Vec<K>, Failure),
    /// The apiserver rejected the request itself (a bad label selector).
    BadRequest(Vec<K>, String),
}

/// Lists every page, each request within the run's budget.
async fn list_all<K>(api: &Api<K>, params: ListParams, budget: &Budget) -> Listed<K>
where
    K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    let mut out = Vec::new();
    let mut params = params.limit(PAGE);
    loop {
        let page = budget
            .run(async {
                match api.list(&params).await {
                    Err(kube::Error::Api(s)) if s.code == 400 => Ok(Err(s.message)),
                    other => other.map(Ok),
                }
            })
            .await;
        let page = match page {
            Ok(Ok(page)) => page,
            Ok(Err(message)) => return Listed::BadRequest(out, message),
            Err(failure) => return Listed::Partial(out, failure),
        };
        out.extend(page.items);
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => return Listed::All(out),
        }
    }
}

async fn list_nodes(
    client: &kube::Client,
    selector: Option<&str>,
    budget: &Budget,
) -> Result<(Vec<NodeFacts>, Option<Gap>)> {
    let api: Api<Node> = Api::all(client.clone());
    let mut params = ListParams::default();
    if let Some(s) = selector {
        params = params.labels(s);
    }
    let facts = |nodes: Vec<Node>| nodes.iter().map(node_facts).collect::<Vec<_>>();
    Ok(match list_all(&api, params, budget).await {
        Listed::All(nodes) => (facts(nodes), None),
        Listed::Partial(nodes, failure) => {
            (facts(nodes), Some(failure.gap("list nodes", LIST_NODES)))
        }
        Listed::BadRequest(nodes, message) => match selector {
            Some(s) => {
                return Err(Error::usage(format!("-l {s}: {message}")).hint(
                    "use a label selector such as pool=blue,!spot or 'env in (prod,stage)'",
                ));
            }
            None => (
                facts(nodes),
                Some(Gap::new("list nodes", Cause::Error, one_line(&message))),
            ),
        },
    })
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
        metrics: GateReading::skipped("not asked", Cause::NotAsked),
        fetch_millis: None,
    }
}

async fn count_leases(client: &kube::Client, budget: &Budget) -> Count {
    let api: Api<Lease> = Api::namespaced(client.clone(), "kube-system");
    let params = ListParams::default().labels("apiserver.kubernetes.io/identity=kube-apiserver");
    match list_all(&api, params, budget).await {
        Listed::All(leases) => Count::Counted {
            count: u32::try_from(leases.len()).unwrap_or(u32::MAX),
        },
        Listed::Partial(_, failure) => Count::Unknown {
            reason: failed_list("leases", &failure),
            cause: Some(failure.cause()),
        },
        Listed::BadRequest(_, message) => Count::Unknown {
            reason: one_line(&format!("listing leases in kube-system failed: {message}")),
            cause: Some(Cause::Error),
        },
    }
}

async fn static_pods(client: &kube::Client, budget: &Budget) -> ControlPlaneFacts {
    let api: Api<Pod> = Api::namespaced(client.clone(), "kube-system");
    let (error, cause) = match list_all(&api, ListParams::default(), budget).await {
        Listed::All(pods) => {
            return ControlPlaneFacts {
                static_pods: Some(pods.iter().filter_map(static_pod_facts).collect()),
                error: None,
                cause: None,
            };
        }
        Listed::Partial(_, failure) => (failed_list("pods", &failure), failure.cause()),
        Listed::BadRequest(_, message) => (
            one_line(&format!("listing pods in kube-system failed: {message}")),
            Cause::Error,
        ),
    };
    ControlPlaneFacts {
        static_pods: None,
        error: Some(error),
        cause: Some(cause),
    }
}

fn failed_list(what: &str, failure: &Failure) -> String {
    match failure {
        Failure::Forbidden(_) => format!("cannot list {what} in kube-system (forbidden)"),
        other => one_line(&format!(
            "listing {what} in kube-system failed: {}",
            other.text()
        )),
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
