//! `kubectl sidecar diff-pod`: what admission did to a pod, and who stripped the sidecar.
//!
//! `-f`: each pod template in the input becomes the pod its controller would create, dry-run
//! created; `POD`: a live pod against what was submitted for it (owner templates, last-applied).
//! Both end in the same facts (`facts`), analysed by pure checks (`analyze`), rendered (`render`).

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

use crate::cli::{DiffPodArgs, OutputFormat};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::facts::contract::{Header, Kind};
use crate::kube::collect::diff_pod::{self as collect, Target};

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
    let target = if args.filename.is_empty() {
        match &args.pod {
            Some(name) => Target::Pod(name),
            None => {
                return Err(Error::usage("diff-pod needs a POD name or -f FILE|DIR|-")
                    .hint("e.g. kubectl sidecar diff-pod -f deploy.yaml, or kubectl sidecar diff-pod my-pod -n shop"));
            }
        }
    } else {
        let (submissions, skipped) = crate::manifests::submission::read(
            &args.filename,
            args.recursive,
            ctx.namespace_flag.as_deref(),
        )?;
        if !skipped.is_empty() && ctx.progress {
            crate::output::note(&format!(
                "diff-pod: skipping objects without a pod template: {}\n",
                skipped.join(", ")
            ));
        }
        Target::Manifests(submissions)
    };
    let ctx = ctx.connect().await?;
    let collected_at = crate::facts::contract::now();
    let cluster = ctx.cluster().clone();
    let facts = collect::collect(&ctx, target, args.blame, "diff-pod").await?;
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
