//! `kubectl sidecar check-nodes`: can the control plane and each node run native sidecars?
//! collect (API) -> facts (snapshot) -> report (pure) -> render.

pub mod render;

use std::path::Path;
use std::time::Instant;

use crate::checks::cluster::report;
use crate::cli::CheckNodesArgs;
use crate::context::Context;
use crate::duration;
use crate::error::{Error, Result};
use crate::facts::cluster::{SNAPSHOT_KIND, SNAPSHOT_VERSION, Snapshot};
use crate::kube::access::Budget;
use crate::kube::cluster as collect;
use crate::kube::kubelets;

pub async fn run(ctx: Context, args: &CheckNodesArgs) -> Result<i32> {
    let start = Instant::now();
    let snapshot = match &args.snapshot {
        Some(path) => load(path)?,
        None => {
            let options = options(args, start, ctx.budget, ctx.progress)?;
            let ctx = ctx.clone().connect().await?;
            let version = collect::apiserver_version(ctx.cluster(), &ctx.budget).await?;
            collect::collect(ctx.cluster(), &options, version).await?
        }
    };
    if let Some(path) = &args.save_snapshot {
        save(path, &snapshot)?;
    }
    let report = report::analyse(&snapshot);
    let text = render::render(&report, ctx.output, ctx.color)?;
    crate::output::print(&text)?;
    Ok(report::exit_code(&report))
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

fn load(path: &Path) -> Result<Snapshot> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::usage(format!("cannot read snapshot {shown}: {e}"))
            .hint("pass a file written by check-nodes --save-snapshot")
    })?;
    parse(&text).map_err(|e| {
        Error::usage(format!("snapshot {shown} {e}"))
            .hint("pass a file written by check-nodes --save-snapshot")
    })
}

/// A snapshot from its text, apart from the file (the fuzz targets feed it arbitrary bytes).
pub fn parse(text: &str) -> std::result::Result<Snapshot, String> {
    let snapshot: Snapshot =
        serde_json::from_str(text).map_err(|e| format!("is not a check-nodes snapshot: {e}"))?;
    if snapshot.kind != SNAPSHOT_KIND || snapshot.version > SNAPSHOT_VERSION {
        return Err(format!(
            "is {:?} version {}, this build reads {SNAPSHOT_KIND:?} up to version {SNAPSHOT_VERSION}",
            snapshot.kind, snapshot.version
        ));
    }
    Ok(snapshot)
}

fn save(path: &Path, snapshot: &Snapshot) -> Result<()> {
    let mut text = serde_json::to_string_pretty(snapshot)
        .map_err(|e| Error::usage(format!("cannot encode the snapshot: {e}")))?;
    text.push('\n');
    std::fs::write(path, text)
        .map_err(|e| Error::usage(format!("cannot write snapshot {}: {e}", path.display())))
}
