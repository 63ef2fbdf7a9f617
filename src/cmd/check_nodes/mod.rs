//! `kubectl sidecar check-nodes`: can the control plane and each node run native sidecars?
//! collect (API) -> facts (snapshot) -> report (pure) -> render.

pub mod render;

use std::time::Instant;

use serde::de::IgnoredAny;

use crate::checks::cluster::analyse;
use crate::checks::cluster::findings as cluster_findings;
use crate::checks::cluster::report::Report;
use crate::checks::fail_on::{Outcome, Rule};
use crate::checks::finding::Finding;
use crate::cli::{CheckNodesArgs, OutputFormat};
use crate::context::Context;
use crate::duration;
use crate::error::{Error, Result};
use crate::facts::cluster::ClusterFacts;
use crate::facts::contract::{self, Header, Kind};
use crate::facts::snapshot::{self, Snapshot};
use crate::fleet;
use crate::kube::access::Budget;
use crate::kube::cluster as collect;
use crate::kube::kubelets;
use crate::kube::selector::Selector;

pub async fn run(ctx: Context, args: &CheckNodesArgs) -> Result<i32> {
    let checked = examine(ctx.clone(), args).await?;
    let text = if ctx.output.is_ci() {
        checked.ci_document(ctx.output)?
    } else {
        render::render(&checked.header, &checked.report, ctx.output, ctx.color)?
    };
    crate::output::print(&text)?;
    Ok(checked.code())
}

/// One cluster's (or one snapshot's) report, with the header of its document.
pub struct Checked {
    pub header: Header,
    pub report: Report,
    /// `--fail-on`, with what check-nodes counts as standing in the way.
    pub rule: Rule,
    /// The snapshot analysed, where findings without a file of their own point.
    pub snapshot: Option<String>,
}

impl Checked {
    /// The verdicts as findings of the catalog (CI formats, `--fail-on`).
    pub fn findings(&self) -> Vec<Finding> {
        cluster_findings::findings(&self.report)
    }

    /// The verdict's code, then `--fail-on` (checks/fail_on.rs).
    pub fn code(&self) -> i32 {
        let verdict = analyse::exit_code(&self.report);
        let outcome = Outcome {
            negative: verdict == crate::error::EXIT_FINDINGS,
            bad_input: false,
            incomplete: verdict == crate::error::EXIT_INCOMPLETE
                || !self.report.coverage.complete(),
        };
        self.rule.exit_code(outcome, &self.findings())
    }

    /// `-o sarif|junit`.
    pub fn ci_document(&self, format: OutputFormat) -> Result<String> {
        use fleet::Examined as _;
        self.ci(|run| crate::render::ci_document(run, format))
    }
}

/// Several contexts: refuses what names one file for one cluster, before any cluster is asked.
pub fn refuse_several(args: &CheckNodesArgs) -> Result<()> {
    fleet::refuse(&[
        ("--snapshot", args.snapshot.is_some()),
        ("--save-snapshot", args.save_snapshot.is_some()),
    ])
}

/// Collects (or reads) and analyses, without printing: a run over several clusters calls this
/// once per cluster.
pub async fn examine(ctx: Context, args: &CheckNodesArgs) -> Result<Checked> {
    let start = Instant::now();
    let selector = selector(args)?;
    let (facts, header) = match &args.snapshot {
        Some(path) => {
            ctx.refuse_connection_flags()?;
            refuse_collection_flags(args)?;
            let snapshot = snapshot::load::<IgnoredAny>(path)?;
            let header = snapshot.header.clone();
            let facts = cluster_part(snapshot).map_err(|e| {
                Error::usage(format!("snapshot {} {e}", path.display()))
                    .hint("pass a file written by --save-snapshot (check-nodes or doctor)")
            })?;
            let facts = narrow(facts, selector.as_ref(), &args.nodes);
            (facts, header)
        }
        None => {
            let options = options(args, start, ctx.budget, ctx.progress)?;
            let ctx = ctx.clone().connect().await?;
            let collected_at = contract::now();
            let version = collect::apiserver_version(ctx.cluster(), &ctx.budget).await?;
            let facts = collect::collect(ctx.cluster(), &options, version).await?;
            let origin = ctx.cluster().origin.clone();
            (
                facts,
                Header::new(Kind::Snapshot, collected_at, Some(origin)),
            )
        }
    };
    named_nodes_found(&facts, args.snapshot.is_some())?;
    if let Some(path) = &args.save_snapshot {
        let saved = Snapshot::<()>::new(header.clone(), Some(facts.clone()), None);
        snapshot::save(path, &saved)?;
    }
    let report = analyse::analyse(&facts);
    let header = Header::new(Kind::CheckNodesReport, header.collected_at, header.context);
    Ok(Checked {
        header,
        report,
        rule: Rule {
            threshold: args.fail_on.threshold(),
            decisive: cluster_findings::decisive,
        },
        snapshot: args.snapshot.as_ref().map(|p| p.display().to_string()),
    })
}

impl fleet::Examined for Checked {
    const COMMAND: &'static str = "check-nodes";
    const COUNTS: &'static [&'static str] =
        &["nodes", "supported", "partial", "unsupported", "unknown"];

    fn document(&self) -> impl serde::Serialize + '_ {
        contract::Document::new(self.header.clone(), &self.report)
    }

    fn table(&self, wide: bool, color: bool) -> Result<String> {
        let format = if wide {
            OutputFormat::Wide
        } else {
            OutputFormat::Table
        };
        render::render(&self.header, &self.report, format, color)
    }

    fn row(&self) -> fleet::Row {
        let s = &self.report.summary;
        fleet::Row {
            verdict: s.verdict.word().to_string(),
            tone: render::tone(s.verdict),
            counts: vec![s.nodes, s.supported, s.partial, s.unsupported, s.unknown],
            coverage: self
                .report
                .coverage
                .reason()
                .unwrap_or_else(|| "complete".to_string()),
        }
    }

    fn code(&self) -> i32 {
        Checked::code(self)
    }

    fn ci<R>(&self, render: impl FnOnce(&crate::render::ci::CiRun<'_>) -> R) -> R {
        let findings = self.findings();
        render(&crate::render::ci::CiRun {
            command: Self::COMMAND,
            header: &self.header,
            findings: findings
                .iter()
                .map(|finding| crate::render::ci::CiFinding {
                    finding,
                    artifact: self.snapshot.clone(),
                })
                .collect(),
            coverage: &self.report.coverage,
            rule: self.rule,
            exit_code: self.code(),
        })
    }
}

/// The flags that only shape how kubelets are read mean nothing for a snapshot: refused in
/// one line rather than silently ignored (a value equal to the default cannot be told apart
/// from none, and changes nothing either).
fn refuse_collection_flags(args: &CheckNodesArgs) -> Result<()> {
    use crate::kube::kubelets::{DEFAULT_CONCURRENCY, DEFAULT_DEADLINE, DEFAULT_NODE_TIMEOUT};
    let given: Vec<&str> = [
        (args.concurrency != DEFAULT_CONCURRENCY, "--concurrency"),
        (args.node_timeout != DEFAULT_NODE_TIMEOUT, "--node-timeout"),
        (args.deadline != DEFAULT_DEADLINE, "--deadline"),
    ]
    .into_iter()
    .filter_map(|(set, flag)| set.then_some(flag))
    .collect();
    if given.is_empty() {
        return Ok(());
    }
    Err(Error::usage(format!(
        "{} cannot be used with --snapshot: they shape how kubelets are read, and a snapshot was read already",
        given.join(", ")
    ))
    .hint("drop them, or run against the cluster without --snapshot"))
}

/// `-l`, parsed once: it scopes the nodes listed, or the nodes analysed from a snapshot.
fn selector(args: &CheckNodesArgs) -> Result<Option<Selector>> {
    let Some(text) = args.selector.as_deref().filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    Selector::parse(text).map(Some).map_err(|e| {
        Error::usage(format!("-l {text:?}: {e}"))
            .hint("use kubectl's selector syntax, e.g. pool=blue,!spot")
    })
}

/// A snapshot's nodes reduced to those `-l` selects and the NODE arguments name; its own
/// selector, if any, still holds, so the recorded one becomes both.
fn narrow(mut facts: ClusterFacts, selector: Option<&Selector>, names: &[String]) -> ClusterFacts {
    if !names.is_empty() {
        // A snapshot taken for some names holds only those: a name beyond them is not found.
        facts.nodes.retain(|n| names.contains(&n.name));
        facts.names = names.to_vec();
    }
    if let Some(selector) = selector {
        facts.nodes.retain(|n| selector.matches(&n.labels));
        facts.selector = Some(match facts.selector.take() {
            Some(own) => format!("{own},{selector}"),
            None => selector.to_string(),
        });
    }
    facts
}

/// Like `kubectl get nodes NAME...`, a name that is not there is an error rather than an empty
/// report, unless the node list itself could not be read (then the gap says so).
fn named_nodes_found(facts: &ClusterFacts, from_snapshot: bool) -> Result<()> {
    if facts.nodes_gap.is_some() {
        return Ok(());
    }
    let missing: Vec<&str> = facts
        .names
        .iter()
        .filter(|name| !facts.nodes.iter().any(|n| &n.name == *name))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let which = match (from_snapshot, facts.selector.is_some()) {
        (true, false) => "not in the snapshot",
        (true, true) => "not among the snapshot's nodes that -l selects",
        (false, true) => "not found among the nodes -l selects",
        (false, false) => "not found",
    };
    let hint = if from_snapshot {
        "`check-nodes --snapshot FILE -o json` lists the nodes it holds"
    } else {
        "`kubectl get nodes --show-labels` lists the names and labels"
    };
    Err(Error::usage(format!("node(s) {which}: {}", missing.join(", "))).hint(hint))
}

/// The cluster facts of a snapshot, whichever command saved it.
fn cluster_part(snapshot: Snapshot<IgnoredAny>) -> std::result::Result<ClusterFacts, String> {
    match snapshot.cluster {
        Some(cluster) => Ok(cluster),
        None if snapshot.diff_pod.is_some() => Err(
            "holds no control plane and nodes facts, only diff-pod's dry runs (saved by diff-pod --save-snapshot); check-nodes needs one saved by check-nodes, doctor or kubectl sidecar snapshot"
                .into(),
        ),
        None => Err("holds no control plane and nodes facts (they were not collected)".into()),
    }
}

fn options(
    args: &CheckNodesArgs,
    start: Instant,
    budget: Budget,
    progress: bool,
) -> Result<collect::Options> {
    if args.concurrency == 0 {
        return Err(Error::usage("--concurrency must be at least 1"));
    }
    let parse = |flag: &str, text: &str| {
        duration::parse(text)
            .map_err(|e| {
                Error::usage(format!("{flag}: {e}")).hint("use a duration such as 5s or 1m")
            })
            .and_then(|d| {
                if d.is_zero() {
                    Err(Error::usage(format!("{flag} must be more than 0")))
                } else {
                    Ok(d)
                }
            })
    };
    let node_timeout = parse("--node-timeout", &args.node_timeout)?;
    let deadline_len = parse("--deadline", &args.deadline)?;
    Ok(collect::Options {
        selector: args.selector.clone().filter(|s| !s.trim().is_empty()),
        names: args.nodes.clone(),
        limits: kubelets::Limits {
            concurrency: args.concurrency,
            node_timeout,
            deadline: collect::deadline_from(start, deadline_len),
            deadline_len,
            budget,
        },
        progress,
    })
}

/// The JSON Schema of `-o json|yaml` (tests/schemas/CheckNodesReport.json).
pub fn schema() -> schemars::Schema {
    contract::schema::<crate::checks::cluster::report::Report>(Kind::CheckNodesReport)
}

/// A snapshot's cluster facts from its text, apart from the file (the fuzz targets feed it
/// arbitrary bytes).
pub fn parse(text: &str) -> std::result::Result<ClusterFacts, String> {
    cluster_part(snapshot::parse::<IgnoredAny>(text)?)
}
