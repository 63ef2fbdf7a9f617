//! `kubectl sidecar snapshot`: collects what check-nodes and doctor analyse, with the same
//! collectors as `doctor --save-snapshot` (`kube::collect`), and writes the one snapshot kind.
//! With `-f`, also dry-runs each pod template of the manifests as `diff-pod -f` does, and saves
//! the result (redacted) as the snapshot's `diffPod`, which `diff-pod --snapshot` analyses.
//! Nothing is judged here: exit 4 only says that a section doctor's verdict rests on could not
//! be fully examined (the file says which, in its coverage), so a CI job notices a thin snapshot.

use std::path::PathBuf;

use crate::cli::{Output, OutputFormat, SnapshotArgs};
use crate::context::Context;
use crate::error::{EXIT_INCOMPLETE, EXIT_OK, Error, Result};
use crate::facts::contract::{Header, Kind};
use crate::facts::diff_pod::DiffFacts;
use crate::facts::doctor::{DoctorFacts, Scope};
use crate::facts::snapshot::{self, Snapshot};
use crate::kube::collect::diff_pod;
use crate::kube::selector::Selector;

/// Where the snapshot goes.
enum Target {
    File(PathBuf),
    Stdout,
}

pub async fn run(ctx: Context, args: &SnapshotArgs) -> Result<i32> {
    // Every flag is checked before the cluster is touched.
    let target = target(args.output.as_ref())?;
    let selector = match args.selector.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(text) => Some(Selector::parse(text).map_err(|e| {
            Error::usage(format!("-l {text:?}: {e}"))
                .hint("use kubectl's selector syntax, e.g. app=web,tier!=cache")
        })?),
        None => None,
    };
    let submissions = if args.filename.is_empty() {
        None
    } else {
        let read = crate::manifests::submission::read(
            &args.filename,
            args.recursive,
            ctx.namespace_flag.as_deref(),
        )?;
        if let Some(line) = read.skipped_note("snapshot").filter(|_| ctx.progress) {
            crate::output::note(&line);
        }
        Some(read.submissions)
    };
    let namespace_flag = ctx.namespace_flag.clone();
    let ctx = ctx.connect().await?;
    let scope = Scope {
        namespace: (!args.all_namespaces)
            .then(|| namespace_flag.unwrap_or_else(|| ctx.cluster().namespace.clone())),
        all_namespaces: args.all_namespaces,
        selector: selector.as_ref().map(ToString::to_string),
    };
    let mut facts = crate::kube::collect::collect(&ctx, scope, selector.as_ref()).await?;
    if let Some(cluster) = &facts.cluster {
        crate::checks::cluster::analyse::cover(&mut facts.coverage, cluster);
    }
    let header = Header::new(
        Kind::Snapshot,
        facts.collected_at.clone(),
        Some(ctx.cluster().origin.clone()),
    );
    let dry_runs = match submissions {
        Some(submissions) => Some(
            diff_pod::collect(
                &ctx,
                diff_pod::Target::Manifests(submissions),
                false,
                "snapshot",
            )
            .await?,
        ),
        None => None,
    };
    let mut saved = Snapshot::new(header, facts.cluster.clone(), Some(&facts));
    if let Some(dry_runs) = &dry_runs {
        saved = saved.with_diff_pod(crate::kube::redact::for_snapshot(dry_runs));
    }
    match &target {
        Target::File(path) => {
            snapshot::save(path, &saved)?;
            crate::output::print(&format!(
                "{}: {}\n",
                path.display(),
                summary(&facts, dry_runs.as_ref())
            ))?;
        }
        Target::Stdout => crate::output::print(&snapshot::text(&saved)?)?,
    }
    let not_run = dry_runs
        .as_ref()
        .map_or(0, |d| d.pods.iter().filter(|p| !p.gaps.is_empty()).count());
    let mut code = EXIT_OK;
    if let Some(reason) = facts.coverage.reason() {
        crate::output::note(&format!(
            "snapshot: {reason} (the snapshot's coverage names each gap and its cause)\n"
        ));
        code = EXIT_INCOMPLETE;
    }
    if not_run > 0 {
        crate::output::note(&format!(
            "snapshot: {not_run} manifest dry run(s) could not be made (diff-pod --snapshot names each and why)\n"
        ));
        code = EXIT_INCOMPLETE;
    }
    Ok(code)
}

/// `-o FILE` or `-o -` (also `-o json`: a snapshot is JSON); anything else is refused.
fn target(output: Option<&Output>) -> Result<Target> {
    let hint = "e.g. kubectl sidecar snapshot -A -o cluster.json (or -o - for stdout)";
    match output {
        None => Err(Error::usage("snapshot needs -o FILE").hint(hint)),
        Some(Output::File(path)) if path.as_os_str() == "-" => Ok(Target::Stdout),
        Some(Output::File(path)) => Ok(Target::File(path.clone())),
        Some(Output::Format(OutputFormat::Json)) => Ok(Target::Stdout),
        Some(Output::Format(other)) => Err(Error::usage(format!(
            "-o {}: a snapshot is written as JSON to a file",
            format!("{other:?}").to_lowercase()
        ))
        .hint(hint)),
    }
}

/// What the file holds, in one line: `3 nodes, 12 pods in namespace shop, 2 webhooks`, and
/// with `-f` the manifests' dry runs.
fn summary(facts: &DoctorFacts, dry_runs: Option<&DiffFacts>) -> String {
    let nodes = facts.cluster.as_ref().map_or(0, |c| c.nodes.len());
    let w = &facts.workloads;
    let scope = match &facts.scope.namespace {
        Some(ns) if !facts.scope.all_namespaces => format!("namespace {ns}"),
        _ => "all namespaces".to_string(),
    };
    let mut text = format!(
        "{nodes} node(s), {} pod(s) seen in {scope}, {} mutating webhook(s), {} canary dry run(s)",
        w.pods_seen,
        facts.admission.webhooks.len(),
        facts.admission.canaries.len()
    );
    if let Some(d) = dry_runs {
        text.push_str(&format!(
            ", {} manifest dry run(s) for diff-pod --snapshot",
            d.pods.len()
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_comes_from_dash_o_and_only_json_is_a_format_it_takes() {
        assert!(matches!(
            target(Some(&Output::File("s.json".into()))),
            Ok(Target::File(p)) if p.as_os_str() == "s.json"
        ));
        assert!(matches!(
            target(Some(&Output::File("-".into()))),
            Ok(Target::Stdout)
        ));
        assert!(matches!(
            target(Some(&Output::Format(OutputFormat::Json))),
            Ok(Target::Stdout)
        ));
        let yaml = target(Some(&Output::Format(OutputFormat::Yaml)))
            .err()
            .unwrap();
        assert!(yaml.to_string().contains("-o yaml"), "{yaml}");
        let none = target(None).err().unwrap();
        assert!(none.to_string().contains("needs -o FILE"), "{none}");
    }
}
