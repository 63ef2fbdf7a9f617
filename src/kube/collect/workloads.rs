//! Pods, page by page (limit 500): each page is reduced to facts and dropped before the next is
//! read; pods of one owner in the same state fold into one record. Each owner is fetched once
//! (a cache across pages), then its own owner, up to the top-level controller. CronJobs are
//! listed too: their templates matter even when no Job is running. Coverage counts pods: those
//! reduced and checked, of those the list returned ("of ?" when the list stopped early).

use std::collections::{BTreeSet, HashMap};

use futures::{StreamExt, stream};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};

use super::{Progress, fail, how_far};
use crate::context::Context;
use crate::facts::coverage::{Cause, Gap};
use crate::facts::doctor::DoctorFacts;
use crate::facts::workloads::{OwnerFacts, OwnerKey, PodFacts};
use crate::kube::access::{Failure, Pages};
use crate::kube::collect::coverage::{self, WORKLOADS};
use crate::kube::collect::extract;

/// Owners fetched at once.
const OWNER_CONCURRENCY: usize = 8;
/// Distinct pod records kept; beyond this, pods are only counted (a workloads coverage gap).
const MAX_KEPT: usize = 20_000;
/// Nodes remembered per folded record.
const MAX_SIMILAR_NODES: usize = 256;

fn list_params(facts: &DoctorFacts) -> ListParams {
    let mut lp = ListParams::default();
    if let Some(sel) = facts.scope.selector.as_deref() {
        lp = lp.labels(sel);
    }
    lp
}

fn where_(facts: &DoctorFacts) -> String {
    match facts.scope.namespace.as_deref() {
        Some(ns) if !facts.scope.all_namespaces => format!("in namespace {ns}"),
        _ => "in all namespaces".to_string(),
    }
}

fn api<K>(ctx: &Context, facts: &DoctorFacts) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    <K as kube::Resource>::DynamicType: Default,
{
    let client = ctx.cluster().client.clone();
    match facts.scope.namespace.as_deref() {
        Some(ns) if !facts.scope.all_namespaces => Api::namespaced(client, ns),
        _ => Api::all(client),
    }
}

/// Adds a pod record, folding it into an earlier one of the same owner and state.
fn keep(pod: PodFacts, folded: &mut HashMap<String, usize>, pods: &mut Vec<PodFacts>) -> bool {
    let key = extract::fold_key(&pod);
    if let Some(i) = key.as_ref().and_then(|k| folded.get(k)).copied()
        && let Some(existing) = pods.get_mut(i)
    {
        existing.similar += 1;
        if let Some(node) = pod.node {
            let known = existing.similar_nodes.len();
            if let Some(n) = existing.similar_nodes.get_mut(&node) {
                *n += 1;
            } else if known < MAX_SIMILAR_NODES {
                existing.similar_nodes.insert(node, 1);
            }
        }
        return true;
    }
    if pods.len() >= MAX_KEPT {
        return false;
    }
    if let Some(k) = key {
        folded.insert(k, pods.len());
    }
    pods.push(pod);
    true
}

pub async fn collect(ctx: &Context, facts: &mut DoctorFacts, progress: &Progress) {
    let mut owners = OwnerCache::default();
    list_declared(ctx, facts, &mut owners, progress).await;
    owners.live_replicasets = list_live_replicasets(ctx, facts).await;
    let pods_api: Api<Pod> = api(ctx, facts);
    let mut pages = Pages::new(&pods_api, list_params(facts), ctx.budget);
    let mut folded: HashMap<String, usize> = HashMap::new();
    let mut dropped = 0u64;
    let mut complete = false;
    progress.say(&format!("listing pods {}", where_(facts)));
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            Err(failure) => {
                let permission = format!("list pods {}", where_(facts));
                let what = how_far(&permission, facts.workloads.pods_seen);
                fail(facts, WORKLOADS, what, &permission, &failure);
                break;
            }
        };
        let mut wanted: BTreeSet<(String, OwnerKey)> = BTreeSet::new();
        for pod in &page.items {
            facts.workloads.pods_seen += 1;
            let p = extract::pod(pod);
            if !extract::relevant(&p) {
                continue;
            }
            if let Some(o) = p.owner.as_ref() {
                wanted.insert((p.namespace.clone(), o.clone()));
            }
            if !keep(p, &mut folded, &mut facts.workloads.pods) {
                dropped += 1;
            }
        }
        drop(page.items);
        owners.fetch(ctx, wanted, facts).await;
        if page.metadata.continue_.is_none_or(|t| t.is_empty()) {
            complete = true;
            break;
        }
        progress.say(&format!(
            "listing pods {}: {} read, {} with sidecar-relevant specs, waiting for the next page",
            where_(facts),
            facts.workloads.pods_seen,
            facts.workloads.pods.len()
        ));
    }
    if dropped > 0 {
        super::gap(
            facts,
            WORKLOADS,
            Gap::new(
                format!("{dropped} pods only counted, not checked"),
                Cause::NotAsked,
                format!("more than {MAX_KEPT} distinct pod states; narrow the run with -n or -l"),
            ),
        );
    }
    let seen = facts.workloads.pods_seen;
    let section = coverage::section(&mut facts.coverage, WORKLOADS);
    section.examined = seen - dropped;
    section.total = complete.then_some(seen);
    facts.workloads.owners = owners.into_owners();
}

/// The controllers of the events' objects (a ReplicaSet that cannot create pods has none to
/// lead to it), fetched like pods' owners and added to the facts.
pub async fn fetch_event_owners(ctx: &Context, facts: &mut DoctorFacts) {
    let wanted: BTreeSet<(String, OwnerKey)> = facts
        .workloads
        .events
        .iter()
        .filter(|e| e.kind != "Pod" && plural(&e.kind).is_some())
        .map(|e| {
            (
                e.namespace.clone(),
                OwnerKey {
                    kind: e.kind.clone(),
                    name: e.name.clone(),
                },
            )
        })
        .collect();
    if wanted.is_empty() {
        return;
    }
    let mut owners = OwnerCache::seeded(std::mem::take(&mut facts.workloads.owners));
    owners.fetch(ctx, wanted, facts).await;
    facts.workloads.owners = owners.into_owners();
}

/// One LIST (paginated) of a kind of workload in scope, each reduced to its template.
async fn list_kind<K, F>(ctx: &Context, facts: &mut DoctorFacts, owners: &mut OwnerCache, reduce: F)
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    <K as kube::Resource>::DynamicType: Default,
    F: Fn(&K) -> OwnerFacts,
{
    let list: Api<K> = api(ctx, facts);
    let mut pages = Pages::new(&list, list_params(facts), ctx.budget);
    let mut read = 0u64;
    let plural = K::plural(&Default::default()).into_owned();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => {
                read += page.items.len() as u64;
                for item in &page.items {
                    let o = reduce(item);
                    owners.cache.insert(
                        (o.namespace.clone(), o.kind.clone(), o.name.clone()),
                        Some(o),
                    );
                }
            }
            Err(failure) => {
                let permission = format!("list {plural} {}", where_(facts));
                fail(
                    facts,
                    WORKLOADS,
                    how_far(&format!("{permission} (their templates)"), read),
                    &permission,
                    &failure,
                );
                return;
            }
        }
    }
}

/// Every workload that declares pods, running or not: its template is what the static checks
/// and the admission canary read. ReplicaSets are fetched only as owners of live pods (old
/// ones, scaled to zero, would only repeat their Deployment).
async fn list_declared(
    ctx: &Context,
    facts: &mut DoctorFacts,
    owners: &mut OwnerCache,
    progress: &Progress,
) {
    progress.say(&format!(
        "listing deployments, statefulsets, daemonsets, jobs and cronjobs {}",
        where_(facts)
    ));
    list_kind::<Deployment, _>(ctx, facts, owners, |o| {
        extract::owner("Deployment", &o.metadata, Some(&o.spec.template))
    })
    .await;
    list_kind::<StatefulSet, _>(ctx, facts, owners, |o| {
        extract::owner("StatefulSet", &o.metadata, Some(&o.spec.template))
    })
    .await;
    list_kind::<DaemonSet, _>(ctx, facts, owners, |o| {
        extract::owner("DaemonSet", &o.metadata, Some(&o.spec.template))
    })
    .await;
    list_kind::<Job, _>(ctx, facts, owners, |o| {
        extract::owner("Job", &o.metadata, o.spec.as_ref().map(|s| &s.template))
    })
    .await;
    list_kind::<CronJob, _>(ctx, facts, owners, cronjob).await;
}

fn cronjob(cj: &CronJob) -> OwnerFacts {
    let template = cj.spec.job_template.spec.as_ref().map(|j| &j.template);
    extract::owner("CronJob", &cj.metadata, template)
}

/// The ReplicaSets that have pods, from one paginated LIST, so that the owners of 20,000 pods
/// cost a few pages instead of one GET per ReplicaSet. Old revisions scaled to zero are not kept
/// (they would only repeat their Deployment and weigh on memory). A ReplicaSet missing here (a
/// refused or failed list, or one scaled down while its pods terminate) is still fetched by GET,
/// so a failure here costs speed, never coverage, and records no gap.
async fn list_live_replicasets(
    ctx: &Context,
    facts: &DoctorFacts,
) -> HashMap<(String, String), OwnerFacts> {
    let list: Api<ReplicaSet> = api(ctx, facts);
    let mut pages = Pages::new(&list, list_params(facts), ctx.budget);
    let mut live = HashMap::new();
    while let Some(Ok(page)) = pages.next().await {
        for rs in &page.items {
            let wanted = rs.spec.replicas.unwrap_or(1) > 0
                || rs.status.as_ref().is_some_and(|s| s.replicas > 0);
            if !wanted {
                continue;
            }
            let o = extract::owner("ReplicaSet", &rs.metadata, rs.spec.template.as_ref());
            live.insert((o.namespace.clone(), o.name.clone()), o);
        }
    }
    live
}

#[derive(Default)]
struct OwnerCache {
    /// None: looked up and not available (unknown kind, gone, or forbidden).
    cache: HashMap<(String, String, String), Option<OwnerFacts>>,
    /// (plural, namespace) pairs already refused: not asked again.
    refused: BTreeSet<(String, String)>,
    /// ReplicaSets with pods, listed up front: taken from here instead of a GET each.
    live_replicasets: HashMap<(String, String), OwnerFacts>,
}

impl OwnerCache {
    fn seeded(owners: Vec<OwnerFacts>) -> Self {
        let mut cache = Self::default();
        for o in owners {
            cache.cache.insert(
                (o.namespace.clone(), o.kind.clone(), o.name.clone()),
                Some(o),
            );
        }
        cache
    }

    async fn fetch(
        &mut self,
        ctx: &Context,
        wanted: BTreeSet<(String, OwnerKey)>,
        facts: &mut DoctorFacts,
    ) {
        let mut next: BTreeSet<(String, OwnerKey)> = wanted;
        // Owners of owners: ReplicaSet -> Deployment, Job -> CronJob; a few levels at most.
        for _ in 0..4 {
            let todo: Vec<(String, OwnerKey)> = next
                .into_iter()
                .filter(|(ns, k)| {
                    !self
                        .cache
                        .contains_key(&(ns.clone(), k.kind.clone(), k.name.clone()))
                        && plural(&k.kind)
                            .is_some_and(|p| !self.refused.contains(&(p.to_string(), ns.clone())))
                })
                .collect();
            if todo.is_empty() {
                return;
            }
            let (listed, todo): (Vec<_>, Vec<_>) = todo.into_iter().partition(|(ns, k)| {
                k.kind == "ReplicaSet"
                    && self
                        .live_replicasets
                        .contains_key(&(ns.clone(), k.name.clone()))
            });
            let listed = listed.into_iter().map(|(ns, key)| {
                let owner = self
                    .live_replicasets
                    .remove(&(ns.clone(), key.name.clone()));
                (ns, key, Ok(owner))
            });
            let fetched: Vec<_> = stream::iter(todo)
                .map(|(ns, key)| async move {
                    let got = get_owner(ctx, &ns, &key).await;
                    (ns, key, got)
                })
                .buffer_unordered(OWNER_CONCURRENCY)
                .collect()
                .await;
            next = BTreeSet::new();
            for (ns, key, got) in listed.collect::<Vec<_>>().into_iter().chain(fetched) {
                let slot = (ns.clone(), key.kind.clone(), key.name.clone());
                match got {
                    Ok(Some(owner)) => {
                        if let Some(up) = owner.owner.clone() {
                            next.insert((ns.clone(), up));
                        }
                        self.cache.insert(slot, Some(owner));
                    }
                    Ok(None) => {
                        self.cache.insert(slot, None);
                    }
                    Err(failure) => {
                        self.cache.insert(slot, None);
                        if let (Failure::Forbidden(_), Some(p)) = (&failure, plural(&key.kind)) {
                            self.refused.insert((p.to_string(), ns.clone()));
                        }
                        // An owner deleted since its pods were listed is nothing to examine.
                        if !matches!(failure, Failure::NotFound(_)) {
                            let p = plural(&key.kind).unwrap_or("owners");
                            let permission = format!("get {p} in namespace {ns}");
                            fail(
                                facts,
                                WORKLOADS,
                                format!("{permission} (the templates of running pods)"),
                                &permission,
                                &failure,
                            );
                        }
                    }
                }
            }
        }
    }

    fn into_owners(self) -> Vec<OwnerFacts> {
        let mut out: Vec<OwnerFacts> = self.cache.into_values().flatten().collect();
        out.sort_by(|a, b| (&a.namespace, &a.kind, &a.name).cmp(&(&b.namespace, &b.kind, &b.name)));
        out
    }
}

fn plural(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "ReplicaSet" => "replicasets",
        "Deployment" => "deployments",
        "StatefulSet" => "statefulsets",
        "DaemonSet" => "daemonsets",
        "Job" => "jobs",
        "CronJob" => "cronjobs",
        _ => return None,
    })
}

async fn get_owner(ctx: &Context, ns: &str, key: &OwnerKey) -> Result<Option<OwnerFacts>, Failure> {
    let client = ctx.cluster().client.clone();
    let name = key.name.as_str();
    Ok(Some(match key.kind.as_str() {
        "ReplicaSet" => {
            let o = ctx
                .budget
                .run(Api::<ReplicaSet>::namespaced(client, ns).get(name))
                .await?;
            let t = o.spec.template.as_ref();
            extract::owner("ReplicaSet", &o.metadata, t)
        }
        "Deployment" => {
            let o = ctx
                .budget
                .run(Api::<Deployment>::namespaced(client, ns).get(name))
                .await?;
            extract::owner("Deployment", &o.metadata, Some(&o.spec.template))
        }
        "StatefulSet" => {
            let o = ctx
                .budget
                .run(Api::<StatefulSet>::namespaced(client, ns).get(name))
                .await?;
            extract::owner("StatefulSet", &o.metadata, Some(&o.spec.template))
        }
        "DaemonSet" => {
            let o = ctx
                .budget
                .run(Api::<DaemonSet>::namespaced(client, ns).get(name))
                .await?;
            extract::owner("DaemonSet", &o.metadata, Some(&o.spec.template))
        }
        "Job" => {
            let o = ctx
                .budget
                .run(Api::<Job>::namespaced(client, ns).get(name))
                .await?;
            extract::owner("Job", &o.metadata, o.spec.as_ref().map(|s| &s.template))
        }
        "CronJob" => cronjob(
            &ctx.budget
                .run(Api::<CronJob>::namespaced(client, ns).get(name))
                .await?,
        ),
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, node: &str) -> PodFacts {
        PodFacts {
            namespace: "ns".into(),
            name: name.into(),
            node: Some(node.into()),
            owner: Some(OwnerKey {
                kind: "ReplicaSet".into(),
                name: "rs".into(),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn pods_of_one_owner_in_one_state_fold_and_keep_their_nodes() {
        let mut folded = HashMap::new();
        let mut pods = Vec::new();
        assert!(keep(pod("a", "n1"), &mut folded, &mut pods));
        assert!(keep(pod("b", "n2"), &mut folded, &mut pods));
        assert!(keep(pod("c", "n1"), &mut folded, &mut pods));
        assert_eq!(pods.len(), 1);
        assert_eq!(pods[0].similar, 2);
        let nodes: Vec<(&str, u32)> = pods[0]
            .similar_nodes
            .iter()
            .map(|(n, c)| (n.as_str(), *c))
            .collect();
        assert_eq!(
            nodes,
            [("n1", 1), ("n2", 1)],
            "the representative's own node stays in `node`"
        );
        let mut bare = pod("d", "n1");
        bare.owner = None;
        assert!(keep(bare, &mut folded, &mut pods));
        assert_eq!(pods.len(), 2, "bare pods are never folded");
    }
}
