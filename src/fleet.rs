//! Many clusters in one run (`--context a --context b`, `--all-contexts`): each cluster gets a
//! Context of its own (its own `--timeout`, its own coverage), clusters are examined
//! concurrently up to `--max-clusters`, and a cluster that cannot be used becomes a row naming
//! why, never a failed or delayed run. Commands supply one cluster's run (`Examined`); this
//! module prints the fleet: a summary row per cluster then each cluster's own report, a
//! `kind: List` of the per-cluster documents, or for the CI formats a SARIF run and JUnit suites
//! per cluster; and one exit code over them all.

use std::fmt::Write as _;
use std::future::Future;
use std::time::Duration;

use futures::StreamExt;
use schemars::JsonSchema;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::cli::OutputFormat;
use crate::context::Context;
use crate::error::{EXIT_CLUSTER, EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE};
use crate::error::{Error, Result};
use crate::facts::contract::{self, Document, Header, Kind, Origin};
use crate::render::ci::CiRun;
use crate::render::{Tone, bold, junit, paint, sarif, table, table_text};

/// Clusters examined at once by default. A cluster costs the client little CPU (it mostly waits
/// on its apiserver) but holds its facts until it is printed: measured 21 MiB for check-nodes
/// at 200 nodes and 98 MiB for doctor at 20,000 pods (tests/bench/BENCHMARKS.md), so ten at
/// once stays near 1 GiB in the worst case while a typical fleet of ten goes in one round.
pub const DEFAULT_MAX_CLUSTERS: usize = 10;

/// After a cluster's `--timeout`, its command reports what it has; this margin lets it do so
/// before the cluster's run is stopped as unfinished.
pub const GRACE: Duration = Duration::from_secs(5);

/// One cluster's finished run, as its command reports it.
pub trait Examined: Send + 'static {
    /// The command's word (`doctor`, `check-nodes`), as the catalog's `reported_by` has it.
    const COMMAND: &'static str;
    /// The headers of the counts the summary row shows, between VERDICT and COVERAGE.
    const COUNTS: &'static [&'static str];
    /// The versioned document a single run prints with `-o json|yaml`.
    fn document(&self) -> impl Serialize + '_;
    /// The table a single run prints.
    fn table(&self, wide: bool, color: bool) -> Result<String>;
    fn row(&self) -> Row;
    /// The exit code a single run would end with.
    fn code(&self) -> i32;
    /// The run as the CI formats see it, handed to `render`.
    fn ci<R>(&self, render: impl FnOnce(&CiRun<'_>) -> R) -> R;
}

/// A cluster's summary row: its verdict, its counts (as `COUNTS` names them) and what was not
/// examined.
pub struct Row {
    pub verdict: String,
    pub tone: Tone,
    pub counts: Vec<usize>,
    /// `complete`, or the deciding sections not fully examined.
    pub coverage: String,
}

/// A cluster and how its run ended.
pub struct Cluster<T> {
    pub origin: Origin,
    pub collected_at: Option<String>,
    pub outcome: Result<T>,
}

/// Several contexts were given: the flags that make sense for one cluster only are refused in
/// one line, the first one given.
pub fn refuse(flags: &[(&str, bool)]) -> Result<()> {
    match flags.iter().find(|(_, given)| *given) {
        Some((flag, _)) => Err(Error::usage(format!(
            "{flag} cannot be used with several contexts: it is for one cluster, or none"
        ))
        .hint("drop it, or run once per context (--context NAME)")),
        None => Ok(()),
    }
}

/// Examines every cluster of `origins` with `examine`, at most `ctx.max_clusters` at once, in
/// their order; each cluster's time starts with its turn and is bounded by its `--timeout`.
pub async fn examine_all<T, F, Fut>(
    ctx: &Context,
    origins: Vec<Origin>,
    examine: F,
) -> Vec<Cluster<T>>
where
    T: Examined,
    F: Fn(Context) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<T>>,
{
    let max = ctx.max_clusters.max(1);
    let progress = Progress::new(ctx.progress, origins.len());
    let progress = &progress;
    // `buffered` pulls the next cluster (and so builds its Context, starting its clock) only
    // when a slot is free. Each cluster runs on a thread and runtime of its own: clusters share
    // no CPU-bound work (gzip, JSON), and a command's future need not be Send.
    futures::stream::iter(origins.into_iter().map(|origin| {
        let name = origin.name.clone().unwrap_or_default();
        let one = ctx.for_context(&name);
        progress.started(&name);
        let collected_at = contract::now();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let examine = examine.clone();
        let spawned = std::thread::Builder::new()
            .name("cluster".into())
            .spawn(move || {
                let _ = tx.send(run_one(one, examine));
            });
        async move {
            let outcome = match spawned {
                Ok(_) => rx.await.unwrap_or_else(|_| {
                    Err(Error::usage(
                        "the run for this cluster stopped unexpectedly",
                    ))
                }),
                Err(e) => Err(Error::usage(format!(
                    "cannot start a thread for this cluster: {e}"
                ))),
            };
            progress.done(&name);
            Cluster {
                origin,
                collected_at,
                outcome,
            }
        }
    }))
    .buffered(max)
    .collect()
    .await
}

/// The one progress line of a run over several clusters, on a terminal's stderr only (each
/// cluster's own line is off: they would draw over each other): how many are done, and which
/// one the run has waited for longest.
struct Progress {
    enabled: bool,
    state: std::sync::Mutex<(usize, usize, Vec<String>)>,
}

impl Progress {
    fn new(enabled: bool, total: usize) -> Self {
        Self {
            enabled,
            state: std::sync::Mutex::new((total, 0, Vec::new())),
        }
    }

    fn started(&self, name: &str) {
        self.update(|(_, _, waiting)| waiting.push(name.to_string()));
    }

    fn done(&self, name: &str) {
        self.update(|(_, done, waiting)| {
            *done += 1;
            waiting.retain(|w| w != name);
        });
    }

    fn update(&self, change: impl FnOnce(&mut (usize, usize, Vec<String>))) {
        if !self.enabled {
            return;
        }
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        change(&mut state);
        let (total, done, waiting) = &*state;
        crate::output::note(&match progress_line(*total, *done, waiting) {
            Some(line) => format!("\r{line}\x1b[K"),
            None => "\r\x1b[K".to_string(),
        });
    }
}

/// `examining clusters 3/10, waiting for prod-eu`; None once every cluster is done. At most 79
/// characters: a wrapped line would defeat the carriage return that redraws it.
fn progress_line(total: usize, done: usize, waiting: &[String]) -> Option<String> {
    if done >= total {
        return None;
    }
    let mut line = format!("examining clusters {done}/{total}");
    if let Some(first) = waiting.first() {
        line.push_str(&format!(", waiting for {first}"));
    }
    Some(line.chars().take(79).collect())
}

/// One cluster on the current thread, within its `--timeout` and a grace to report.
fn run_one<T, F, Fut>(ctx: Context, examine: F) -> Result<T>
where
    F: Fn(Context) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::usage(format!("cannot start the async runtime: {e}")))?;
    let budget = ctx.budget;
    let outcome = runtime.block_on(async move {
        match tokio::time::timeout(budget.remaining() + GRACE, examine(ctx)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Error::incomplete(format!(
                "the run did not finish within --timeout ({}) and was stopped",
                crate::kube::access::seconds(budget.timeout)
            ))
            .hint("nothing was reported for this cluster; raise --timeout")),
        }
    });
    // Requests still in flight (a stalled server) must not hold this cluster's result.
    runtime.shutdown_timeout(Duration::from_millis(100));
    outcome
}

/// The fleet's exit code: the most serious of the clusters' codes, in the order 1 (something
/// stands in the way somewhere) > 2 (bad input for a cluster) > 3 (a cluster could not be used)
/// > 4 (a cluster not fully examined) > 0 (every cluster ready and fully examined).
pub fn exit_code(codes: impl IntoIterator<Item = i32>) -> i32 {
    let rank = |code: i32| match code {
        EXIT_FINDINGS => 0,
        EXIT_OK => 5,
        EXIT_INCOMPLETE => 3,
        EXIT_CLUSTER => 2,
        _ => 1,
    };
    codes
        .into_iter()
        .min_by_key(|c| rank(*c))
        .map_or(EXIT_OK, |c| if rank(c) == 1 { EXIT_USAGE } else { c })
}

impl<T: Examined> Cluster<T> {
    pub fn code(&self) -> i32 {
        match &self.outcome {
            Ok(run) => run.code(),
            Err(e) => e.code,
        }
    }

    fn name(&self) -> &str {
        self.origin.name.as_deref().unwrap_or("")
    }
}

/// Prints the fleet as `format` asks and returns the fleet's exit code. A cluster that could
/// not be examined is also named on stderr, one line each, as a single run would name it.
pub fn print<T: Examined>(
    clusters: &[Cluster<T>],
    format: OutputFormat,
    color: bool,
) -> Result<i32> {
    for c in clusters {
        if let Err(e) = &c.outcome {
            crate::output::note(&format!("error: context {}: {e}\n", c.name()));
        }
    }
    let text = match format {
        OutputFormat::Json | OutputFormat::Yaml => crate::render::machine(&List(clusters), format)?,
        OutputFormat::Table => tables(clusters, false, color)?,
        OutputFormat::Wide => tables(clusters, true, color)?,
        OutputFormat::Sarif => sarif::fleet(
            clusters
                .iter()
                .map(|c| match &c.outcome {
                    Ok(run) => run.ci(|r| sarif::run_of(r, Some(c.name()))),
                    Err(e) => sarif::failed_run(
                        T::COMMAND,
                        c.name(),
                        c.origin.cluster.as_deref(),
                        e,
                        cause(e),
                    ),
                })
                .collect(),
        )?,
        OutputFormat::Junit => {
            let parts: Vec<junit::Suites> = clusters
                .iter()
                .map(|c| match &c.outcome {
                    Ok(run) => run.ci(|r| junit::suites(r, Some(c.name()))),
                    Err(e) => junit::failed(T::COMMAND, c.name(), e, cause(e)),
                })
                .collect();
            junit::fleet(T::COMMAND, &parts)
        }
    };
    crate::output::print(&text)?;
    Ok(exit_code(clusters.iter().map(Cluster::code)))
}

/// The summary (one row per cluster), then each cluster's own report under its name.
fn tables<T: Examined>(clusters: &[Cluster<T>], wide: bool, color: bool) -> Result<String> {
    let mut headers = vec!["context", "cluster", "verdict"];
    let counts: Vec<String> = T::COUNTS.iter().map(|c| c.to_lowercase()).collect();
    headers.extend(counts.iter().map(String::as_str));
    headers.push("coverage");
    let mut t = table(&headers);
    for c in clusters {
        let mut cells = vec![
            c.name().to_string(),
            c.origin.cluster.clone().unwrap_or_default(),
        ];
        match &c.outcome {
            Ok(run) => {
                let row = run.row();
                cells.push(paint(&row.verdict, row.tone, color));
                cells.extend(row.counts.iter().map(ToString::to_string));
                cells.push(row.coverage);
            }
            Err(e) => {
                cells.push(paint(cause(e), Tone::Bad, color));
                cells.extend(T::COUNTS.iter().map(|_| String::new()));
                cells.push(e.what.clone());
            }
        }
        t.add_row(cells);
    }
    let mut out = table_text(&t);
    for c in clusters {
        let title = format!(
            "CONTEXT {} (cluster {})",
            c.name(),
            c.origin.cluster.as_deref().unwrap_or("unknown")
        );
        let _ = write!(out, "\n{}\n\n", bold(&format!("=== {title} ==="), color));
        match &c.outcome {
            Ok(run) => out.push_str(&run.table(wide, color)?),
            Err(e) => {
                let _ = writeln!(out, "{}: {e}", paint(cause(e), Tone::Bad, color));
            }
        }
    }
    Ok(out)
}

/// One word for why a cluster could not be examined, read from its one-line error.
pub fn cause(e: &Error) -> &'static str {
    let what = e.what.to_lowercase();
    if what.contains("--timeout") || what.contains("no answer within") || what.contains("timed out")
    {
        "timeout"
    } else if what.contains("unauthorized") {
        "unauthorized"
    } else if what.contains("forbidden") {
        "forbidden"
    } else if what.contains("cannot reach") || what.contains("connection refused") {
        "unreachable"
    } else if e.code == EXIT_CLUSTER {
        "unusable"
    } else {
        "error"
    }
}

/// kubectl's list document: `apiVersion: v1`, `kind: List`, `items`, each item the document a
/// single run prints, or a `ClusterError` for a cluster that could not be examined.
struct List<'a, T>(&'a [Cluster<T>]);

impl<T: Examined> Serialize for List<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("apiVersion", "v1")?;
        map.serialize_entry("kind", "List")?;
        map.serialize_entry("items", &Items(self.0))?;
        map.end()
    }
}

struct Items<'a, T>(&'a [Cluster<T>]);

impl<T: Examined> Serialize for Items<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for c in self.0 {
            match &c.outcome {
                Ok(run) => seq.serialize_element(&run.document())?,
                Err(e) => seq.serialize_element(&Document::new(
                    Header::new(
                        Kind::ClusterError,
                        c.collected_at.clone(),
                        Some(c.origin.clone()),
                    ),
                    ClusterError::new(e),
                ))?,
            }
        }
        seq.end()
    }
}

/// The body of a `ClusterError` document: why a cluster of several could not be examined.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterError {
    pub error: ErrorBody,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// `unreachable`, `timeout`, `unauthorized`, `forbidden`, `unusable` or `error`.
    pub cause: String,
    /// The one line a single run prints on stderr, without its hint.
    pub message: String,
    pub hint: Option<String>,
    /// The exit code a single run against this cluster would end with.
    pub exit_code: i32,
}

impl ClusterError {
    fn new(e: &Error) -> Self {
        Self {
            error: ErrorBody {
                cause: cause(e).to_string(),
                message: e.what.clone(),
                hint: e.hint.clone(),
                exit_code: e.code,
            },
        }
    }
}

/// The JSON Schema of a `ClusterError` item (tests/schemas/ClusterError.json).
pub fn error_schema() -> schemars::Schema {
    contract::schema::<ClusterError>(Kind::ClusterError)
}

/// The JSON Schema of the fleet's list (tests/schemas/List.json): each item one of `items`
/// (the report kinds and `ClusterError`), embedded whole.
pub fn list_schema(items: Vec<schemars::Schema>) -> schemars::Schema {
    let any_of: Vec<serde_json::Value> = items.into_iter().map(|s| s.to_value()).collect();
    schemars::json_schema!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://kubectl-sidecar.dev/schemas/v1/List.json",
        "title": "List",
        "description": "Several clusters in one run (--context repeated, --all-contexts): kubectl's list, each item the document one run against that cluster prints, or a ClusterError.",
        "type": "object",
        "required": ["apiVersion", "kind", "items"],
        "properties": {
            "apiVersion": {"const": "v1"},
            "kind": {"const": "List"},
            "items": {"type": "array", "items": {"anyOf": any_of}}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_definite_negative_beats_everything_then_bad_input_unusable_incomplete() {
        assert_eq!(exit_code([0, 4, 3, 1]), 1);
        assert_eq!(exit_code([0, 4, 3]), 3);
        assert_eq!(exit_code([4, 0]), 4);
        assert_eq!(exit_code([0, 0]), 0);
        assert_eq!(exit_code([0, 2, 3]), 2);
        assert_eq!(exit_code([0, 101]), 2);
        assert_eq!(exit_code([]), 0);
    }

    #[test]
    fn the_progress_line_names_the_cluster_waited_for_longest() {
        let waiting = vec!["prod-eu".to_string(), "prod-us".to_string()];
        assert_eq!(
            progress_line(10, 3, &waiting).as_deref(),
            Some("examining clusters 3/10, waiting for prod-eu")
        );
        assert_eq!(progress_line(10, 10, &[]), None);
        let long = vec!["x".repeat(200)];
        assert_eq!(progress_line(2, 0, &long).unwrap().chars().count(), 79);
    }

    #[test]
    fn causes_are_read_from_the_one_line_error() {
        let e = |what: &str, code| Error {
            what: what.into(),
            hint: None,
            code,
        };
        assert_eq!(
            cause(&e(
                "reading the apiserver version of https://127.0.0.1:1/ (GET /version): cannot reach the cluster (connection refused)",
                3
            )),
            "unreachable"
        );
        assert_eq!(
            cause(&e(
                "reading ... (GET /version): no answer within 2s (--request-timeout)",
                3
            )),
            "timeout"
        );
        assert_eq!(
            cause(&e("GET /version: unauthorized (x)", 3)),
            "unauthorized"
        );
        assert_eq!(cause(&e("cannot use kubeconfig: bad", 3)), "unusable");
        assert_eq!(cause(&e("node(s) not found: a", 2)), "error");
    }
}
