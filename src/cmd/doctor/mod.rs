//! `kubectl sidecar doctor`: collect everything (or read a snapshot), run every check, print one
//! report with a verdict, its coverage and the next steps. Exit 1 when a finding reaches
//! `--fail-on`, else 4 when a deciding section could not be fully examined, else 0; 2 and 3 when
//! the run could not start (bad input, unusable cluster).

pub mod checks;
pub mod cluster;
pub mod collect;
pub mod coverage;
pub mod extract;
pub mod facts;
pub mod render;
pub mod report;
pub mod verdict;

use std::path::Path;

use crate::checks::finding::Severity;
use crate::cli::{DoctorArgs, FailOn, OutputFormat};
use crate::context::Context;
use crate::error::{Error, Result};
use facts::{DoctorFacts, SNAPSHOT_KIND, SNAPSHOT_VERSION, Scope};

pub async fn run(ctx: Context, args: &DoctorArgs) -> Result<i32> {
    if let Some(selector) = args.selector.as_deref() {
        crate::kube::selector::Selector::parse(selector).map_err(|e| {
            Error::usage(format!("-l {selector:?}: {e}"))
                .hint("use kubectl's selector syntax, e.g. app=web,tier!=cache")
        })?;
    }
    let facts = match args.snapshot.as_deref() {
        Some(path) => load_snapshot(path)?,
        None => {
            let ctx = ctx.clone().connect().await?;
            let scope = Scope {
                namespace: (!args.all_namespaces).then(|| ctx.cluster().namespace.clone()),
                all_namespaces: args.all_namespaces,
                selector: args.selector.clone(),
            };
            collect::collect(&ctx, scope).await?
        }
    };
    if let Some(path) = args.save_snapshot.as_deref() {
        save_snapshot(&facts, path)?;
    }
    let report = report::analyse(&facts);
    let text = match ctx.output {
        OutputFormat::Json | OutputFormat::Yaml => crate::render::machine(&report, ctx.output)?,
        OutputFormat::Table => render::table_report(&report, false, ctx.color),
        OutputFormat::Wide => render::table_report(&report, true, ctx.color),
    };
    crate::output::print(&text)?;
    let threshold = match args.fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Info => Severity::Info,
    };
    Ok(verdict::exit_code(
        &report.summary,
        report.coverage,
        threshold,
    ))
}

pub fn load_snapshot(path: &Path) -> Result<DoctorFacts> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::usage(format!("cannot read snapshot {shown}: {e}"))
            .hint("pass a file written by `kubectl sidecar doctor --save-snapshot`")
    })?;
    parse_snapshot(&text).map_err(|e| {
        Error::usage(format!("snapshot {shown}: {e}"))
            .hint("pass a file written by `kubectl sidecar doctor --save-snapshot`")
    })
}

pub fn parse_snapshot(text: &str) -> std::result::Result<DoctorFacts, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    match value.get("kind").and_then(|k| k.as_str()) {
        Some(SNAPSHOT_KIND) => {}
        Some(other) => {
            return Err(format!(
                "kind is {other:?}, not a doctor snapshot ({SNAPSHOT_KIND})"
            ));
        }
        None => {
            return Err(format!(
                "no \"kind\": not a doctor snapshot ({SNAPSHOT_KIND})"
            ));
        }
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(SNAPSHOT_VERSION) => {}
        Some(v) if v < u64::from(SNAPSHOT_VERSION) => {
            return Err(format!(
                "snapshot version {v} predates coverage and cannot back a verdict (this build reads version {SNAPSHOT_VERSION}); collect it again with --save-snapshot"
            ));
        }
        Some(v) => {
            return Err(format!(
                "snapshot version {v} is not supported (this build reads version {SNAPSHOT_VERSION})"
            ));
        }
        None => {
            return Err(format!(
                "no \"version\": not a doctor snapshot this build reads (version {SNAPSHOT_VERSION})"
            ));
        }
    }
    serde_json::from_value(value).map_err(|e| format!("malformed doctor snapshot: {e}"))
}

fn save_snapshot(facts: &DoctorFacts, path: &Path) -> Result<()> {
    let text = serde_json::to_string_pretty(facts)
        .map_err(|e| Error::usage(format!("cannot encode the snapshot: {e}")))?;
    std::fs::write(path, text + "\n").map_err(|e| {
        Error::usage(format!("cannot write snapshot {}: {e}", path.display()))
            .hint("check that the directory exists and is writable")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_round_trip_and_reject_strangers() {
        let facts = DoctorFacts::default();
        let text = serde_json::to_string(&facts).unwrap();
        assert!(parse_snapshot(&text).is_ok());
        assert!(parse_snapshot("[]").unwrap_err().contains("no \"kind\""));
        assert!(parse_snapshot("{").unwrap_err().contains("not JSON"));
        assert!(
            parse_snapshot(r#"{"kind":"CheckNodesSnapshot"}"#)
                .unwrap_err()
                .contains("not a doctor snapshot")
        );
        assert!(
            parse_snapshot(r#"{"kind":"DoctorSnapshot","version":99}"#)
                .unwrap_err()
                .contains("not supported")
        );
        let old = parse_snapshot(r#"{"kind":"DoctorSnapshot","version":1}"#).unwrap_err();
        assert!(
            old.contains("version 1") && old.contains("version 2"),
            "{old}"
        );
        assert!(
            parse_snapshot(r#"{"kind":"DoctorSnapshot","version":2,"workloads":{"podsSeen":"x"}}"#)
                .unwrap_err()
                .contains("malformed")
        );
    }
}
