//! `kubectl sidecar snapshot`: collects what check-nodes and doctor analyse, with the same
//! collectors as `doctor --save-snapshot` (`kube::collect`), and writes the one snapshot kind.
//! Nothing is judged here: exit 4 only says that a section doctor's verdict rests on could not
//! be fully examined (the file says which, in its coverage), so a CI job notices a thin snapshot.

use std::path::PathBuf;

use crate::cli::{Output, OutputFormat, SnapshotArgs};
use crate::context::Context;
use crate::error::{EXIT_INCOMPLETE, EXIT_OK, Error, Result};
use crate::facts::contract::{Header, Kind};
use crate::facts::doctor::{DoctorFacts, Scope};
use crate::facts::snapshot::{self, Snapshot};
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
    let saved = Snapshot::new(header, facts.cluster.clone(), Some(&facts));
    match &target {
        Target::File(path) => {
            snapshot::save(path, &saved)?;
            crate::output::print(&format!("{}: {}\n", path.display(), summary(&facts)))?;
        }
        Target::Stdout => crate::output::print(&snapshot::text(&saved)?)?,
    }
    Ok(match facts.coverage.reason() {
        Some(reason) => {
            crate::output::note(&format!(
                "snapshot: {reason} (the snapshot's coverage names each gap and its cause)\n"
            ));
            EXIT_INCOMPLETE
        }
        None => EXIT_OK,
    })
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

/// What the file holds, in one line: `3 nodes, 12 pods in namespace shop, 2 webhooks`.
fn summary(facts: &DoctorFacts) -> String {
    let nodes = facts.cluster.as_ref().map_or(0, |c| c.nodes.len());
    let w = &facts.workloads;
    let scope = match &facts.scope.namespace {
        Some(ns) if !facts.scope.all_namespaces => format!("namespace {ns}"),
        _ => "all namespaces".to_string(),
    };
    format!(
        "{nodes} node(s), {} pod(s) seen in {scope}, {} mutating webhook(s), {} canary dry run(s)",
        w.pods_seen,
        facts.admission.webhooks.len(),
        facts.admission.canaries.len()
    )
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
