//! What diff-pod compares, collected: the apiserver's version and gate, the mutating webhooks,
//! and per pod what was submitted and what admission returned. `-f`: each pod template dry-run
//! created (`dryRun=All`, nothing persists); `POD`: a live pod and what was submitted for it
//! (its owners' templates and last-applied configurations, `owner`). `--blame` calls each
//! webhook itself (`blame`). diff-pod analyses the result; `snapshot -f` and
//! `diff-pod --save-snapshot` save it.

use std::collections::BTreeMap;

use futures::{StreamExt, stream};
use serde_json::Value;

use super::{blame, owner};
use crate::context::Context;
use crate::error::Result;
use crate::facts::coverage::Gap;
use crate::facts::diff_pod::{DiffFacts, Outcome, PodFacts, Source, Webhooks};
use crate::kube::access::Budget;
use crate::kube::admission as collect;
use crate::kube::selector::{Labels, string_map};
use crate::kube::webhooks;
use crate::manifests::submission::Submission;

/// Pods dry-run at once.
const CONCURRENCY: usize = 4;

/// What to compare: one live pod, or the pods of manifests.
pub enum Target<'a> {
    Pod(&'a str),
    Manifests(Vec<Submission>),
}

/// Collects diff-pod's facts on a connected context. `command` names the progress lines.
pub async fn collect(
    ctx: &Context,
    target: Target<'_>,
    blame: bool,
    command: &str,
) -> Result<DiffFacts> {
    let cluster = ctx.cluster();
    let client = &cluster.client;
    let budget = &ctx.budget;
    let progress = |what: &str| {
        if ctx.progress {
            crate::output::note(&format!("{command}: {what}...\n"));
        }
    };
    progress("reading the apiserver's version and mutating webhooks");
    let apiserver = collect::apiserver(client, &cluster.server, budget).await?;
    let webhooks = collect::webhooks(client, budget).await;
    let pods = match target {
        Target::Pod(name) => {
            progress(&format!("reading pod {name} and its owners"));
            vec![live_pod(client, &webhooks, &cluster.namespace, name, blame, budget).await?]
        }
        Target::Manifests(submissions) => {
            let namespaces: Vec<String> = submissions
                .iter()
                .map(|s| namespace_of(s, &cluster.namespace))
                .collect();
            progress("reading the namespaces' labels");
            let labels = namespace_labels(client, &namespaces, budget).await;
            let jobs = submissions.into_iter().map(|s| {
                let ns = namespace_of(&s, &cluster.namespace);
                let ns_labels = labels.get(&ns).cloned().unwrap_or_else(|| {
                    Err(budget
                        .deadline_passed()
                        .gap(format!("get namespace {ns}"), "get namespaces"))
                });
                let webhooks = &webhooks;
                let progress = &progress;
                async move {
                    progress(&format!("dry-running {} in namespace {ns}", s.object));
                    dry_run_one(client, webhooks, s, ns, ns_labels, blame, budget).await
                }
            });
            stream::iter(jobs)
                .buffered(CONCURRENCY)
                .collect::<Vec<PodFacts>>()
                .await
        }
    };
    Ok(DiffFacts {
        apiserver,
        webhooks,
        pods,
    })
}

fn namespace_of(s: &Submission, default: &str) -> String {
    s.object
        .namespace
        .clone()
        .unwrap_or_else(|| default.to_string())
}

async fn namespace_labels(
    client: &kube::Client,
    namespaces: &[String],
    budget: &Budget,
) -> BTreeMap<String, std::result::Result<Labels, Gap>> {
    let mut out = BTreeMap::new();
    for ns in namespaces {
        if !out.contains_key(ns) {
            out.insert(
                ns.clone(),
                collect::namespace_labels(client, ns, budget).await,
            );
        }
    }
    out
}

/// The webhooks that would be called for `pod` in a namespace, in the apiserver's order.
fn called_for<'a>(
    hooks: &'a Webhooks,
    pod: &Value,
    ns_labels: Option<&Labels>,
) -> Vec<&'a webhooks::Webhook> {
    let labels = string_map(pod.pointer("/metadata/labels"));
    let target = webhooks::pod_create(ns_labels, &labels);
    hooks
        .items
        .iter()
        .filter(|h| h.evaluate(&target).applies())
        .collect()
}

async fn dry_run_one(
    client: &kube::Client,
    hooks: &Webhooks,
    s: Submission,
    ns: String,
    ns_labels: std::result::Result<Labels, Gap>,
    blame: bool,
    budget: &Budget,
) -> PodFacts {
    let mut pod = s.pod;
    if let Some(meta) = pod.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("namespace".into(), Value::String(ns.clone()));
    }
    let mut gaps = Vec::new();
    let outcome = match collect::dry_run(client, &ns, &pod, budget).await {
        Ok(outcome) => outcome,
        Err(f) => {
            gaps.push(f.gap(
                format!("dry-run create of {} in namespace {ns}", s.object),
                "create pods",
            ));
            Outcome::NotRun {
                why: f.text().to_string(),
            }
        }
    };
    let (namespace_labels, namespace_error) = split(ns_labels);
    let blame = if blame && gaps.is_empty() {
        let called = called_for(hooks, &pod, namespace_labels.as_ref());
        blame::run(client, &called, &pod, &ns, budget).await
    } else {
        Vec::new()
    };
    PodFacts {
        object: s.object,
        namespace: ns,
        source: s.source.clone(),
        location: Some(s.location.clone()),
        live: false,
        namespace_labels,
        namespace_error,
        lineage: vec![Source {
            what: format!("manifest {}", s.source),
            writer: None,
            pod,
        }],
        outcome,
        blame,
        notes: Vec::new(),
        gaps,
    }
}

fn split(r: std::result::Result<Labels, Gap>) -> (Option<Labels>, Option<Gap>) {
    match r {
        Ok(l) => (Some(l), None),
        Err(e) => (None, Some(e)),
    }
}

async fn live_pod(
    client: &kube::Client,
    hooks: &Webhooks,
    ns: &str,
    name: &str,
    blame: bool,
    budget: &Budget,
) -> Result<PodFacts> {
    let live = owner::collect(client, ns, name, budget).await?;
    let (namespace_labels, namespace_error) =
        split(collect::namespace_labels(client, ns, budget).await);
    let outcome = if let (true, Some(gap)) = (live.lineage.is_empty(), live.gaps.first()) {
        Outcome::NotRun { why: gap.short() }
    } else if live.lineage.is_empty() {
        Outcome::NotRun {
            why: format!(
                "Pod/{name} has no owner and no last-applied-configuration annotation: what was submitted for it is unknown; run kubectl sidecar diff-pod -f with the manifest it came from"
            ),
        }
    } else {
        Outcome::Admitted {
            pod: live.pod.clone(),
            warnings: Vec::new(),
        }
    };
    let blame = match (blame, live.lineage.first()) {
        (true, Some(base)) => {
            let mut pod = base.pod.clone();
            if let Some(meta) = pod.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.insert("namespace".into(), Value::String(ns.to_string()));
            }
            let called = called_for(hooks, &pod, namespace_labels.as_ref());
            blame::run(client, &called, &pod, ns, budget).await
        }
        _ => Vec::new(),
    };
    Ok(PodFacts {
        object: live.object,
        namespace: ns.to_string(),
        source: format!("live pod {name}"),
        location: None,
        live: true,
        namespace_labels,
        namespace_error,
        lineage: live.lineage,
        outcome,
        blame,
        notes: live.notes,
        gaps: live.gaps,
    })
}
