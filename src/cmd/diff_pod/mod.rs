//! `kubectl sidecar diff-pod`: what admission did to a pod, and who stripped the sidecar.
//!
//! `-f`: each pod template in the input becomes the pod its controller would create, dry-run
//! created; `POD`: a live pod against what was submitted for it (owner templates, last-applied).
//! Both end in the same facts (`facts`), analysed by pure checks (`analyze`), rendered (`render`).

mod analyze;
mod attribution;
mod blame;
mod classify;
mod coverage;
mod diff;
#[cfg(test)]
mod grouping_tests;
mod normalize;
mod owner;
mod redact;
mod render;
mod replay;
mod report;
pub mod template;
#[cfg(test)]
mod trust_tests;
mod unified;

use std::collections::BTreeMap;

use futures::{StreamExt, stream};
use serde_json::Value;

use crate::cli::{DiffPodArgs, OutputFormat};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::facts::contract::{Header, Kind};
use crate::facts::coverage::Gap;
use crate::facts::diff_pod::{DiffFacts, Outcome, PodFacts, Source, Webhooks};
use crate::kube::access::Budget;
use crate::kube::admission as collect;
use crate::kube::selector::{Labels, string_map};
use crate::kube::webhooks;
use template::{Extracted, Submission};

/// Pods dry-run at once.
const CONCURRENCY: usize = 4;

pub async fn run(ctx: Context, args: &DiffPodArgs) -> Result<i32> {
    if let Some(path) = &args.snapshot {
        // Read first, so that a file that is no snapshot at all is named as such.
        crate::facts::snapshot::load::<serde::de::IgnoredAny>(path)?;
        return Err(Error::usage(format!(
            "diff-pod cannot analyse snapshot {}: it holds no dry run of the pods diff-pod compares (only doctor's canaries)",
            path.display()
        ))
        .hint("run diff-pod against the cluster (check-nodes and doctor read snapshots)"));
    }
    let submissions = if args.filename.is_empty() {
        if args.pod.is_none() {
            return Err(Error::usage("diff-pod needs a POD name or -f FILE|DIR|-")
                .hint("e.g. kubectl sidecar diff-pod -f deploy.yaml, or kubectl sidecar diff-pod my-pod -n shop"));
        }
        Vec::new()
    } else {
        read_submissions(&ctx, args)?
    };
    let ctx = ctx.connect().await?;
    let collected_at = crate::facts::contract::now();
    let cluster = ctx.cluster().clone();
    let client = &cluster.client;
    let budget = &ctx.budget;
    progress(
        &ctx,
        "reading the apiserver's version and mutating webhooks",
    );
    let apiserver = collect::apiserver(client, &cluster.server, budget).await?;
    let webhooks = collect::webhooks(client, budget).await;
    let pods = match &args.pod {
        Some(name) => vec![
            live_pod(
                &ctx,
                client,
                &webhooks,
                &cluster.namespace,
                name,
                args.blame,
            )
            .await?,
        ],
        None => {
            let namespaces: Vec<String> = submissions
                .iter()
                .map(|s| namespace_of(s, &cluster.namespace))
                .collect();
            progress(&ctx, "reading the namespaces' labels");
            let labels = namespace_labels(client, &namespaces, budget).await;
            let jobs = submissions.into_iter().map(|s| {
                let ns = namespace_of(&s, &cluster.namespace);
                let ns_labels = labels.get(&ns).cloned().unwrap_or_else(|| {
                    Err(budget
                        .deadline_passed()
                        .gap(format!("get namespace {ns}"), "get namespaces"))
                });
                let webhooks = &webhooks;
                let ctx = &ctx;
                async move {
                    progress(ctx, &format!("dry-running {} in namespace {ns}", s.object));
                    dry_run_one(client, webhooks, s, ns, ns_labels, args.blame, budget).await
                }
            });
            stream::iter(jobs)
                .buffered(CONCURRENCY)
                .collect::<Vec<PodFacts>>()
                .await
        }
    };
    let facts = DiffFacts {
        apiserver,
        webhooks,
        pods,
    };
    let analysis = analyze::analyze(&facts, args.show_defaults);
    let rule = report::rule(args.fail_on.threshold());
    let exit_code = rule.exit_code(analysis.outcome(), &analysis.report.findings);
    let header = Header::new(Kind::DiffPodReport, collected_at, Some(cluster.origin));
    let text = match ctx.output {
        OutputFormat::Json | OutputFormat::Yaml => {
            crate::render::document(&header, &analysis.report, ctx.output)?
        }
        OutputFormat::Table | OutputFormat::Wide => {
            render::table_output(&analysis, ctx.color, ctx.output == OutputFormat::Wide)
        }
        OutputFormat::Sarif | OutputFormat::Junit => {
            let run = ci_run(&analysis, &header, rule, exit_code);
            crate::render::ci_document(&run, ctx.output)?
        }
    };
    crate::output::print(&text)?;
    Ok(exit_code)
}

/// The run for the CI formats: a finding on a manifest's object carries its file and line.
fn ci_run<'a>(
    analysis: &'a report::Analysis,
    header: &'a Header,
    rule: crate::checks::fail_on::Rule,
    exit_code: i32,
) -> crate::render::ci::CiRun<'a> {
    crate::render::ci::CiRun {
        command: "diff-pod",
        header,
        findings: analysis
            .report
            .findings
            .iter()
            .map(|finding| crate::render::ci::CiFinding {
                finding,
                artifact: None,
            })
            .collect(),
        coverage: &analysis.report.coverage,
        rule,
        exit_code,
    }
}

/// The JSON Schema of `-o json|yaml` (tests/schemas/DiffPodReport.json).
pub fn schema() -> schemars::Schema {
    crate::facts::contract::schema::<report::Report>(Kind::DiffPodReport)
}

fn progress(ctx: &Context, what: &str) {
    if ctx.progress {
        crate::output::note(&format!("diff-pod: {what}...\n"));
    }
}

/// Reads and checks the manifests before any connection, so bad input fails fast with exit 2.
fn read_submissions(ctx: &Context, args: &DiffPodArgs) -> Result<Vec<Submission>> {
    let stdin = std::io::stdin();
    let docs = crate::manifests::read_all(&args.filename, args.recursive, &mut stdin.lock())?;
    let mut submissions = Vec::new();
    let mut skipped = Vec::new();
    for doc in &docs {
        match template::extract(doc)? {
            Extracted::Pod(s) => {
                if let (Some(flag), Some(own)) = (&ctx.namespace_flag, &s.object.namespace)
                    && flag != own
                {
                    return Err(Error::usage(format!(
                        "{}: the namespace from the provided object {own:?} does not match the namespace {flag:?}",
                        s.source
                    ))
                    .hint(format!(
                        "pass --namespace={own}, or remove metadata.namespace from the manifest"
                    )));
                }
                submissions.push(*s);
            }
            Extracted::Skipped { object, .. } => skipped.push(object.to_string()),
        }
    }
    if submissions.is_empty() {
        return Err(Error::usage(format!(
            "no object in the input holds a pod template (found: {})",
            skipped.join(", ")
        ))
        .hint("give a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or PodTemplate"));
    }
    if !skipped.is_empty() && ctx.progress {
        crate::output::note(&format!(
            "diff-pod: skipping objects without a pod template: {}\n",
            skipped.join(", ")
        ));
    }
    Ok(submissions)
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
    ctx: &Context,
    client: &kube::Client,
    hooks: &Webhooks,
    ns: &str,
    name: &str,
    blame: bool,
) -> Result<PodFacts> {
    let budget = &ctx.budget;
    progress(ctx, &format!("reading pod {name} and its owners"));
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
