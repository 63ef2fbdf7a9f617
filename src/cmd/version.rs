//! `kubectl sidecar version` (and `--version`): the tool's version, the commit it was built from,
//! and the Kubernetes minors whose SidecarContainers rules it encodes. The ranges are read from
//! the version table in `kube::versions`, so they cannot drift from what the checks decide with.

use serde::Serialize;

use crate::cli::OutputFormat;
use crate::error::Result;
use crate::kube::version::KubeVersion;
use crate::kube::versions::Phase;

pub use crate::{COMMIT, VERSION};

/// Far beyond any minor the table names: the scan only has to reach the last phase.
const SCAN_MINORS: u32 = 200;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    pub version: &'static str,
    pub commit: &'static str,
    pub kubernetes: Kubernetes,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kubernetes {
    /// The first minor with native sidecars (behind a gate).
    pub sidecars_from: String,
    /// The newest minor with a rule of its own; later minors are judged as this one.
    pub newest_known: String,
    pub phases: Vec<PhaseRange>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhaseRange {
    pub first: String,
    /// None for the last phase: it holds for every later minor.
    pub last: Option<String>,
    /// The gate's stage label (`ALPHA`, `BETA`, `""` for GA), or None where there is no gate.
    pub stage: Option<&'static str>,
    pub sidecars: &'static str,
}

fn describe(phase: Phase) -> &'static str {
    match phase {
        Phase::NoFeature => "no native sidecars",
        Phase::Alpha => "gate ALPHA, off by default",
        Phase::Beta => "gate BETA, on by default, can be turned off",
        Phase::Locked => "gate GA, locked on",
        Phase::Removed => "gate removed, always on",
    }
}

/// Minors 1.0 onwards grouped by the gate phase the table gives them.
fn phases() -> Vec<(Phase, u32, Option<u32>)> {
    let phase = |minor| Phase::of(KubeVersion::new(1, minor, 0));
    let mut out: Vec<(Phase, u32, Option<u32>)> = Vec::new();
    for minor in 0..=SCAN_MINORS {
        let p = phase(minor);
        match out.last_mut() {
            Some((last, _, end)) if *last == p => *end = Some(minor),
            _ => out.push((p, minor, Some(minor))),
        }
    }
    if let Some(last) = out.last_mut() {
        last.2 = None;
    }
    out
}

pub fn info() -> VersionInfo {
    let ranges = phases();
    let minor = |m: u32| format!("1.{m}");
    let sidecars_from = ranges
        .iter()
        .find(|(p, _, _)| *p != Phase::NoFeature)
        .map(|(_, first, _)| minor(*first))
        .unwrap_or_default();
    let newest_known = ranges
        .last()
        .map(|(_, first, _)| minor(*first))
        .unwrap_or_default();
    VersionInfo {
        version: VERSION,
        commit: COMMIT,
        kubernetes: Kubernetes {
            sidecars_from,
            newest_known,
            phases: ranges
                .into_iter()
                .map(|(p, first, last)| PhaseRange {
                    first: minor(first),
                    last: last.map(minor),
                    stage: p.stage(),
                    sidecars: describe(p),
                })
                .collect(),
        },
    }
}

/// The text of `version` and `--version`.
pub fn text() -> String {
    let info = info();
    let k = &info.kubernetes;
    let mut out = format!(
        "kubectl-sidecar {}\ncommit: {}\nkubernetes: native sidecar rules for {} to {} (a newer minor is judged as {}):\n",
        info.version, info.commit, k.sidecars_from, k.newest_known, k.newest_known
    );
    for p in &k.phases {
        let range = match &p.last {
            Some(last) if *last == p.first => p.first.clone(),
            Some(last) => format!("{}-{last}", p.first),
            None => format!("{}+", p.first),
        };
        out.push_str(&format!("  {range:<10} {}\n", p.sidecars));
    }
    out
}

pub fn run(output: OutputFormat) -> Result<i32> {
    let text = match output {
        OutputFormat::Json | OutputFormat::Yaml => crate::render::machine(&info(), output)?,
        OutputFormat::Table | OutputFormat::Wide => text(),
        OutputFormat::Sarif | OutputFormat::Junit => {
            return Err(crate::error::Error::usage(
                "version has no findings: -o sarif and -o junit are for check-nodes, diff-pod and doctor",
            )
            .hint("use -o json or -o yaml"));
        }
    };
    crate::output::print(&text)?;
    Ok(crate::error::EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_the_gate_table() {
        let info = info();
        let k = &info.kubernetes;
        // Cross-checked with the table's own words, not its numbers: the first phase with a
        // gate is ALPHA and the last one has none.
        let first_gated = k.phases.iter().find(|p| p.stage.is_some()).unwrap();
        assert_eq!(first_gated.first, k.sidecars_from);
        assert_eq!(first_gated.stage, Some("ALPHA"));
        let last = k.phases.last().unwrap();
        assert_eq!(last.last, None);
        assert_eq!(last.first, k.newest_known);
        assert_eq!(k.phases.first().unwrap().first, "1.0");
        // Contiguous: each phase starts one minor after the previous ends.
        for pair in k.phases.windows(2) {
            let end: u32 = pair[0].last.as_ref().unwrap()[2..].parse().unwrap();
            let start: u32 = pair[1].first[2..].parse().unwrap();
            assert_eq!(start, end + 1);
        }
    }

    #[test]
    fn text_names_version_commit_and_range() {
        let t = text();
        assert!(t.starts_with(&format!("kubectl-sidecar {VERSION}\ncommit: {COMMIT}\n")));
        assert!(t.contains(&info().kubernetes.newest_known));
        assert!(!COMMIT.is_empty());
    }
}
