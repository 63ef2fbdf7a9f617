//! `kubectl sidecar diff-pod`: what admission did to a pod, and who stripped the sidecar.
//!
//! `-f`: each pod template in the input becomes the pod its controller would create, dry-run
//! created; `POD`: a live pod against what was submitted for it (owner templates, last-applied).
//! Both end in the same facts (`facts::diff_pod`, collected by `kube::collect::diff_pod`),
//! analysed by pure checks (`analyze`), rendered (`render`). `--save-snapshot` saves them
//! redacted; `--snapshot` reads them back (saved by it or by `snapshot -f`) and analyses them
//! the same way, so the findings and changes are the live run's.

mod analyze;
mod attribution;
mod classify;
mod coverage;
mod diff;
#[cfg(test)]
mod grouping_tests;
mod normalize;
mod redact;
mod render;
mod replay;
mod report;
#[cfg(test)]
mod trust_tests;
mod unified;

use std::path::Path;

use serde::de::IgnoredAny;

use crate::cli::{DiffPodArgs, OutputFormat};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::facts::contract::{Header, Kind};
use crate::facts::diff_pod::{DiffFacts, PodFacts};
use crate::facts::snapshot::{self, Snapshot};
use crate::kube::collect::diff_pod::{self as collect, Target};

pub async fn run(ctx: Context, args: &DiffPodArgs) -> Result<i32> {
    let (facts, header, snapshot) = match &args.snapshot {
        Some(path) => {
            let (facts, header) = from_snapshot(&ctx, args, path)?;
            (facts, header, Some(path.display().to_string()))
        }
        None => {
            let (facts, header) = live(ctx.clone(), args).await?;
            (facts, header, None)
        }
    };
    let analysis = analyze::analyze(&facts, args.show_defaults);
    let rule = report::rule(args.fail_on.threshold());
    let exit_code = rule.exit_code(analysis.outcome(), &analysis.report.findings);
    let text = match ctx.output {
        OutputFormat::Json | OutputFormat::Yaml => {
            crate::render::document(&header, &analysis.report, ctx.output)?
        }
        OutputFormat::Table | OutputFormat::Wide => {
            render::table_output(&analysis, ctx.color, ctx.output == OutputFormat::Wide)
        }
        OutputFormat::Sarif | OutputFormat::Junit => {
            let run = ci_run(&analysis, &header, rule, exit_code, snapshot);
            crate::render::ci_document(&run, ctx.output)?
        }
    };
    crate::output::print(&text)?;
    Ok(exit_code)
}

/// The run for the CI formats: a finding on a manifest's object carries its file and line.
/// Read from a snapshot, a finding without a file of its own points at the snapshot.
fn ci_run<'a>(
    analysis: &'a report::Analysis,
    header: &'a Header,
    rule: crate::checks::fail_on::Rule,
    exit_code: i32,
    snapshot: Option<String>,
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
                artifact: snapshot.clone(),
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

/// Collects from the cluster; with `--save-snapshot`, saves the facts redacted first.
async fn live(ctx: Context, args: &DiffPodArgs) -> Result<(DiffFacts, Header)> {
    let target = if args.filename.is_empty() {
        match &args.pod {
            Some(name) => Target::Pod(name),
            None => {
                return Err(Error::usage("diff-pod needs a POD name or -f FILE|DIR|-")
                    .hint("e.g. kubectl sidecar diff-pod -f deploy.yaml, or kubectl sidecar diff-pod my-pod -n shop"));
            }
        }
    } else {
        let read = crate::manifests::submission::read(
            &args.filename,
            args.recursive,
            ctx.namespace_flag.as_deref(),
        )?;
        if let Some(line) = read.skipped_note("diff-pod").filter(|_| ctx.progress) {
            crate::output::note(&line);
        }
        Target::Manifests(read.submissions)
    };
    let ctx = ctx.connect().await?;
    let collected_at = crate::facts::contract::now();
    let origin = ctx.cluster().origin.clone();
    let facts = collect::collect(&ctx, target, args.blame, "diff-pod").await?;
    if let Some(path) = &args.save_snapshot {
        let header = Header::new(Kind::Snapshot, collected_at.clone(), Some(origin.clone()));
        let saved = Snapshot::<()>::new(header, None, None)
            .with_diff_pod(crate::kube::redact::for_snapshot(&facts));
        snapshot::save(path, &saved)?;
    }
    let header = Header::new(Kind::DiffPodReport, collected_at, Some(origin));
    Ok((facts, header))
}

/// The saved part of a snapshot, narrowed to POD (and `-n`), as the live run would have
/// collected it: without `--blame`, the saved blame steps are left out.
fn from_snapshot(ctx: &Context, args: &DiffPodArgs, path: &Path) -> Result<(DiffFacts, Header)> {
    ctx.refuse_connection_flags()?;
    let shown = path.display();
    if !args.filename.is_empty() {
        return Err(Error::usage(format!(
            "-f cannot be used with --snapshot: snapshot {shown} holds the dry runs of the manifests it was saved with"
        ))
        .hint("drop -f to analyse them (name one with POD), or drop --snapshot to dry-run these manifests on a cluster"));
    }
    let saved = snapshot::load::<IgnoredAny>(path)?;
    let holds = saved.holds();
    let Some(mut facts) = saved.diff_pod else {
        return Err(Error::usage(format!(
            "snapshot {shown} holds no dry runs for diff-pod ({holds})"
        ))
        .hint("save them with kubectl sidecar snapshot -f MANIFEST -o FILE, or diff-pod --save-snapshot FILE"));
    };
    let everything: Vec<String> = facts.pods.iter().map(place).collect();
    let namespace = ctx.namespace_flag.as_deref();
    facts.pods.retain(|p| {
        namespace.is_none_or(|ns| p.namespace == ns)
            && args
                .pod
                .as_deref()
                .is_none_or(|name| p.object.name == name || p.object.to_string() == name)
    });
    if facts.pods.is_empty() {
        let wanted = match (&args.pod, namespace) {
            (Some(pod), Some(ns)) => format!("{pod} in namespace {ns}"),
            (Some(pod), None) => pod.clone(),
            (None, Some(ns)) => format!("anything in namespace {ns}"),
            (None, None) => "any object".to_string(),
        };
        return Err(Error::usage(format!(
            "snapshot {shown} holds no dry run of {wanted}; it holds: {}",
            if everything.is_empty() {
                "none".to_string()
            } else {
                everything.join(", ")
            }
        ))
        .hint(
            "name one of those (POD takes a name or Kind/name), or drop POD to analyse them all",
        ));
    }
    if args.blame {
        if facts.pods.iter().all(|p| p.blame.is_empty()) {
            return Err(Error::usage(format!(
                "--blame: snapshot {shown} holds no --blame results"
            ))
            .hint(
                "drop --blame, or save the snapshot with diff-pod --blame --save-snapshot FILE",
            ));
        }
    } else {
        for pod in &mut facts.pods {
            pod.blame.clear();
        }
    }
    let header = Header::new(
        Kind::DiffPodReport,
        saved.header.collected_at,
        saved.header.context,
    );
    Ok((facts, header))
}

/// `Deployment/web in namespace shop`.
fn place(pod: &PodFacts) -> String {
    format!("{} in namespace {}", pod.object, pod.namespace)
}

/// Every output of a snapshot's diffPod part, apart from the file (the fuzz targets feed it
/// arbitrary bytes: a snapshot that loads must not crash the analysis that reads it next);
/// None when the text holds no diffPod part.
pub fn snapshot_outputs(text: &str) -> Option<Vec<String>> {
    let facts = snapshot::parse::<IgnoredAny>(text).ok()?.diff_pod?;
    let header = Header::new(Kind::DiffPodReport, None, None);
    let mut out = Vec::new();
    for show_defaults in [false, true] {
        let analysis = analyze::analyze(&facts, show_defaults);
        let rule = report::rule(None);
        let exit_code = rule.exit_code(analysis.outcome(), &analysis.report.findings);
        out.push(render::table_output(&analysis, true, true));
        out.push(render::table_output(&analysis, false, false));
        out.extend(crate::render::document(&header, &analysis.report, OutputFormat::Json).ok());
        let run = ci_run(&analysis, &header, rule, exit_code, None);
        out.extend(crate::render::ci_document(&run, OutputFormat::Sarif).ok());
    }
    Some(out)
}
