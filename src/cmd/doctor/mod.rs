//! `kubectl sidecar doctor`: collect everything (or read a snapshot, or with `--offline` only
//! manifests), run every check, print one report with a verdict, its coverage and the next
//! steps. Exit 1 when a finding reaches
//! `--fail-on`, else 4 when a deciding section could not be fully examined, else 0; 2 and 3 when
//! the run could not start (bad input, unusable cluster).

pub mod checks;
pub mod cluster;
pub mod coverage;
pub mod offline;
pub mod options;
pub mod render;
pub mod report;
pub mod verdict;

use crate::checks::fail_on::{Outcome, Rule};
use crate::cli::{DoctorArgs, OutputFormat};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::facts::contract::{Header, Kind};
use crate::facts::doctor::DoctorFacts;
use crate::facts::snapshot::{self, Snapshot};
use options::{Options, Source};

pub async fn run(ctx: Context, args: &DoctorArgs) -> Result<i32> {
    let doctored = examine(ctx.clone(), args).await?;
    let report = doctored.report();
    let text = match ctx.output {
        OutputFormat::Json | OutputFormat::Yaml => {
            crate::render::document(&doctored.header, &report, ctx.output)?
        }
        OutputFormat::Table => render::table_report(&report, false, ctx.color),
        OutputFormat::Wide => render::table_report(&report, true, ctx.color),
        OutputFormat::Sarif | OutputFormat::Junit => {
            use crate::fleet::Examined as _;
            doctored.ci(|run| crate::render::ci_document(run, ctx.output))?
        }
    };
    crate::output::print(&text)?;
    Ok(doctored.code())
}

/// One cluster's (or one snapshot's) facts, with the header of its report and the rule of
/// `--fail-on`; the report is analysed from them when it is printed.
pub struct Doctored {
    pub header: Header,
    pub facts: DoctorFacts,
    /// `--fail-on` (doctor counts its errors as standing in the way).
    pub rule: Rule,
    /// `--offline`: the static checks' findings on the manifests, and what was read.
    pub offline: Option<(Vec<crate::checks::finding::Finding>, offline::Manifests)>,
    /// The snapshot analysed, where findings without a file of their own point.
    pub snapshot: Option<String>,
}

/// Several contexts: refuses what is for one cluster or none (a file, --offline), before any cluster is asked.
pub fn refuse_several(args: &DoctorArgs) -> Result<()> {
    crate::fleet::refuse(&[
        ("--snapshot", args.snapshot.is_some()),
        ("--save-snapshot", args.save_snapshot.is_some()),
        ("--offline", args.offline),
    ])
}

/// Collects (or reads) the facts, without printing: a run over several clusters calls this
/// once per cluster.
pub async fn examine(ctx: Context, args: &DoctorArgs) -> Result<Doctored> {
    let options = Options::resolve(&ctx, args)?;
    let mut offline_run = None;
    let (facts, header) = match &options.source {
        Source::Offline(o) => {
            let checked = offline::check(o, &mut std::io::stdin().lock())?;
            offline_run = Some((checked.findings, checked.manifests));
            (checked.facts, Header::new(Kind::Snapshot, None, None))
        }
        Source::Snapshot(path) => {
            let snapshot = snapshot::load::<DoctorFacts>(path)?;
            let (mut facts, header) = from_snapshot(snapshot).map_err(|e| {
                Error::usage(format!("snapshot {} {e}", path.display()))
                    .hint("pass a file written by `kubectl sidecar doctor --save-snapshot`")
            })?;
            options.narrow(&mut facts)?;
            (facts, header)
        }
        Source::Live => {
            let ctx = ctx.clone().connect().await?;
            let scope = options.live_scope(&ctx.cluster().namespace);
            let mut facts =
                crate::kube::collect::collect(&ctx, scope, options.selector.as_ref()).await?;
            if let Some(cluster) = &facts.cluster {
                crate::checks::cluster::analyse::cover(&mut facts.coverage, cluster);
            }
            let header = Header::new(
                Kind::Snapshot,
                facts.collected_at.clone(),
                Some(ctx.cluster().origin.clone()),
            );
            (facts, header)
        }
    };
    if let Some(path) = options.save.as_deref() {
        let saved = Snapshot::new(header.clone(), facts.cluster.clone(), Some(&facts));
        snapshot::save(path, &saved)?;
    }
    Ok(Doctored {
        header: Header::new(Kind::DoctorReport, header.collected_at, header.context),
        facts,
        rule: Rule::errors(args.fail_on.threshold()),
        offline: offline_run,
        snapshot: match &options.source {
            Source::Snapshot(path) => Some(path.display().to_string()),
            Source::Live | Source::Offline(_) => None,
        },
    })
}

impl Doctored {
    /// The analysed report: every check on the facts, or for `--offline` the manifests' own.
    pub fn report(&self) -> report::Report<'_> {
        match &self.offline {
            Some((findings, manifests)) => {
                report::analyse_offline(&self.facts, findings.clone(), manifests.clone())
            }
            None => report::analyse(&self.facts),
        }
    }

    pub fn code(&self) -> i32 {
        let report = self.report();
        let outcome = Outcome {
            // An offline run's gaps are by design (the cluster was left out): 0, not 4.
            incomplete: !report.coverage.complete() && !report.coverage.offline(),
            ..Outcome::default()
        };
        self.rule.exit_code(outcome, &report.findings)
    }
}

impl crate::fleet::Examined for Doctored {
    const COMMAND: &'static str = "doctor";
    const COUNTS: &'static [&'static str] = &["errors", "warnings", "info"];

    fn document(&self) -> impl serde::Serialize + '_ {
        crate::facts::contract::Document::new(self.header.clone(), self.report())
    }

    fn table(&self, wide: bool, color: bool) -> Result<String> {
        Ok(render::table_report(&self.report(), wide, color))
    }

    fn row(&self) -> crate::fleet::Row {
        let report = self.report();
        let s = &report.summary;
        crate::fleet::Row {
            verdict: report.verdict.as_str().to_string(),
            tone: render::verdict_tone(report.verdict),
            counts: vec![s.error, s.warning, s.info],
            coverage: report
                .coverage
                .reason()
                .unwrap_or_else(|| "complete".to_string()),
        }
    }

    fn code(&self) -> i32 {
        Doctored::code(self)
    }

    fn ci<R>(&self, render: impl FnOnce(&crate::render::ci::CiRun<'_>) -> R) -> R {
        let report = self.report();
        render(&crate::render::ci::CiRun {
            command: Self::COMMAND,
            header: &self.header,
            findings: report
                .findings
                .iter()
                .map(|finding| crate::render::ci::CiFinding {
                    finding,
                    artifact: self.snapshot.clone(),
                })
                .collect(),
            coverage: report.coverage,
            rule: self.rule,
            exit_code: self.code(),
        })
    }
}

/// Doctor's facts from a snapshot: its doctor part, with the cluster facts and the collection
/// time it keeps beside them.
fn from_snapshot(
    snapshot: Snapshot<DoctorFacts>,
) -> std::result::Result<(DoctorFacts, Header), String> {
    let Some(mut facts) = snapshot.doctor else {
        if snapshot.cluster.is_none() && snapshot.diff_pod.is_some() {
            return Err(
                "holds only diff-pod's dry runs (saved by diff-pod --save-snapshot); doctor needs one saved by doctor --save-snapshot or kubectl sidecar snapshot"
                    .into(),
            );
        }
        return Err(
            "holds only the control plane and nodes (saved by check-nodes); doctor needs one saved by doctor --save-snapshot"
                .into(),
        );
    };
    facts.cluster = snapshot.cluster;
    facts.collected_at = snapshot.header.collected_at.clone();
    Ok((facts, snapshot.header))
}

/// The JSON Schema of `-o json|yaml` (tests/schemas/DoctorReport.json).
pub fn schema() -> schemars::Schema {
    crate::facts::contract::schema::<report::Report<'static>>(Kind::DoctorReport)
}

/// The JSON Schema of the one snapshot kind (tests/schemas/Snapshot.json): its doctor part is
/// doctor's type, so the whole schema is made here.
pub fn snapshot_schema() -> schemars::Schema {
    crate::facts::contract::schema_of::<Snapshot<DoctorFacts>>(Kind::Snapshot)
}

/// Doctor's facts from a snapshot's text, apart from the file (the fuzz targets feed it
/// arbitrary bytes).
pub fn parse_snapshot(text: &str) -> std::result::Result<DoctorFacts, String> {
    from_snapshot(snapshot::parse(text)?).map(|(facts, _)| facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_round_trip_and_a_check_nodes_one_is_refused() {
        let facts = DoctorFacts {
            collected_at: Some("2026-01-02T03:04:05Z".into()),
            ..DoctorFacts::default()
        };
        let header = Header::new(Kind::Snapshot, facts.collected_at.clone(), None);
        let text = serde_json::to_string(&Snapshot::new(header, None, Some(&facts))).unwrap();
        let back = parse_snapshot(&text).unwrap();
        assert_eq!(back.collected_at.as_deref(), Some("2026-01-02T03:04:05Z"));
        let nodes_only = serde_json::to_string(&Snapshot::<()>::new(
            Header::new(Kind::Snapshot, None, None),
            None,
            None,
        ))
        .unwrap();
        assert!(
            parse_snapshot(&nodes_only)
                .unwrap_err()
                .contains("saved by check-nodes")
        );
        let malformed = text.replace("\"podsSeen\":0", "\"podsSeen\":\"x\"");
        assert!(
            parse_snapshot(&malformed)
                .unwrap_err()
                .contains("malformed")
        );
    }
}
