//! The table report: one block per section in the order (Control plane, Nodes and
//! pools, Admission, Injectors, Workloads, Verdict), each with its facts and its findings.
//! `wide` adds every finding's evidence and fix.

use std::fmt::Write as _;

use super::cluster::NodeSummary;
use super::report::Report;
use super::verdict::{self, Verdict};
use crate::checks::cluster::verdict::Verdict as NodeVerdict;
use crate::checks::finding::Section;
use crate::checks::finding::{Finding, Severity};
use crate::checks::group::{self, Group};
use crate::facts::doctor::CanaryOutcome;
use crate::kube::access::list_some;
use crate::render::{Tone, bold, paint, table, table_text};

fn severity_tone(s: Severity) -> Tone {
    match s {
        Severity::Error => Tone::Bad,
        Severity::Warning => Tone::Warn,
        Severity::Info => Tone::Muted,
    }
}

pub fn verdict_tone(v: Verdict) -> Tone {
    match v {
        Verdict::Ready | Verdict::ManifestsOk => Tone::Good,
        Verdict::ReadyWithWarnings | Verdict::Incomplete => Tone::Warn,
        Verdict::NotReady => Tone::Bad,
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// A finding's object, and for one read from a file (offline) where to edit it.
fn object_cell(f: &Finding) -> String {
    match &f.location {
        Some(l) => format!(
            "{} ({}:{})",
            f.object,
            crate::manifests::parse::origin(&l.file),
            l.line
        ),
        None => f.object.to_string(),
    }
}

fn findings_block(findings: &[&Finding], wide: bool, color: bool) -> String {
    if findings.is_empty() {
        return indent(&paint("no findings", Tone::Muted, color));
    }
    let mut t = table(&["severity", "id", "object", "message"]);
    let severity = |f: &Finding| paint(f.severity.as_str(), severity_tone(f.severity), color);
    let groups = group::group(findings.iter().copied());
    if wide {
        for f in findings {
            t.add_row(vec![
                severity(f),
                f.id.clone(),
                object_cell(f),
                f.message.clone(),
            ]);
        }
    } else {
        for g in &groups {
            let f = g.first();
            t.add_row(match g.count() {
                1 => vec![severity(f), f.id.clone(), object_cell(f), f.message.clone()],
                _ => vec![severity(f), f.id.clone(), g.objects(), group_message(g)],
            });
        }
    }
    let mut out = indent(&table_text(&t));
    if !wide && groups.len() < findings.len() {
        let _ = writeln!(
            out,
            "  {}",
            paint(
                &format!(
                    "{} findings in {} row{}: the same check and cause on many objects is one row; -o wide lists every one",
                    findings.len(),
                    groups.len(),
                    if groups.len() == 1 { "" } else { "s" }
                ),
                Tone::Muted,
                color
            )
        );
    }
    if wide {
        for f in findings {
            let title = crate::checks::catalog::get(&f.id).map_or("", |c| c.title);
            let _ = writeln!(out, "  {} {}: {title}", bold(&f.id, color), f.object);
            for e in &f.evidence {
                let _ = writeln!(out, "      evidence: {e}");
            }
            let _ = writeln!(out, "      fix: {}", f.fix);
            let _ = writeln!(out, "      see: {}", f.reference);
        }
    }
    out
}

/// A folded row's message: what the members share, then which objects, on a second line.
fn group_message(g: &Group<'_>) -> String {
    let cause = g.cause().map(|c| format!("{c}: ")).unwrap_or_default();
    let examples: Vec<String> = g
        .example_findings(group::EXAMPLES)
        .into_iter()
        .map(object_cell)
        .collect();
    let more = g.count().saturating_sub(examples.len());
    let more = if more > 0 {
        format!(" (+{more} more)")
    } else {
        String::new()
    };
    format!("{cause}{}\ne.g. {}{more}", g.summary(), examples.join(", "))
}

fn heading(out: &mut String, section: &str, color: bool) {
    let _ = writeln!(out, "\n{}", bold(&section.to_uppercase(), color));
}

pub fn table_report(report: &Report<'_>, wide: bool, color: bool) -> String {
    let mut out = String::new();
    let scope = match (&report.scope.all_namespaces, &report.scope.namespace) {
        (true, _) => "all namespaces".to_string(),
        (false, Some(ns)) => format!("namespace {ns}"),
        (false, None) => "the current namespace".to_string(),
    };
    let selector = report
        .scope
        .selector
        .as_deref()
        .map(|s| format!(", pods matching {s}"))
        .unwrap_or_default();
    let when = report
        .collected_at
        .map(|t| format!(" (collected {t})"))
        .unwrap_or_default();
    match &report.manifests {
        Some(m) => {
            let _ = writeln!(
                out,
                "Manifests (offline, judged by Kubernetes {}'s rules)",
                m.target_version
            );
        }
        None => {
            let _ = writeln!(out, "Scope: {scope}{selector}{when}");
        }
    }
    let sections = verdict::by_section(&report.findings);
    let empty = Vec::new();
    for section in Section::ALL {
        heading(&mut out, section.title(), color);
        out.push_str(&section_facts(report, section, wide, color));
        let findings = sections.get(&section).unwrap_or(&empty);
        out.push_str(&findings_block(findings, wide, color));
    }
    heading(&mut out, "Coverage", color);
    out.push_str(&coverage_block(report, wide, color));
    heading(&mut out, "Verdict", color);
    let s = &report.summary;
    let missing = report
        .reason
        .as_deref()
        .map(|r| format!("{r}; "))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  {}: {missing}{} error(s), {} warning(s), {} info",
        paint(report.verdict.as_str(), verdict_tone(report.verdict), color),
        s.error,
        s.warning,
        s.info
    );
    if report.next_steps.is_empty() && report.verdict == Verdict::Ready {
        let _ = writeln!(
            out,
            "  Nothing stands in the way of native sidecars in this scope."
        );
    } else {
        let _ = writeln!(out, "  Next steps:");
        for (i, step) in report.next_steps.iter().enumerate() {
            let _ = writeln!(out, "  {}. {}", i + 1, step.line());
        }
    }
    out
}

/// One line per section (`SectionCoverage::line()`); `wide` adds each gap's detail and remedy.
fn coverage_block(report: &Report<'_>, wide: bool, color: bool) -> String {
    let mut out = String::new();
    if report.coverage.sections.is_empty() {
        return indent(&paint("not recorded", Tone::Muted, color));
    }
    for s in &report.coverage.sections {
        let tone = match (s.complete(), s.decisive) {
            (true, _) => Tone::Good,
            (false, true) => Tone::Warn,
            (false, false) => Tone::Muted,
        };
        let informative = if s.decisive { "" } else { " (informative)" };
        let _ = writeln!(out, "  {}{informative}", paint(&s.line(), tone, color));
        if wide {
            for g in &s.gaps {
                let _ = writeln!(out, "      {}: {}", g.what, g.detail);
                let _ = writeln!(out, "      fix: {}", super::coverage::remedy(g));
            }
        }
    }
    out
}

/// Failing nodes as table rows: one per node with `wide`, else nodes of one pool with the same
/// kubelet, verdict and reason fold into one row that names a few of them.
fn node_rows<'a>(failing: &[&'a NodeSummary], wide: bool) -> Vec<(String, &'a NodeSummary)> {
    if wide {
        return failing.iter().map(|n| (n.name.clone(), *n)).collect();
    }
    let mut rows: Vec<Vec<&'a NodeSummary>> = Vec::new();
    for node in failing {
        let same = |m: &&NodeSummary| {
            (&m.pool, &m.kubelet_version, m.verdict, &m.reason)
                == (
                    &node.pool,
                    &node.kubelet_version,
                    node.verdict,
                    &node.reason,
                )
        };
        match rows.iter_mut().find(|r| same(&r[0])) {
            Some(row) => row.push(node),
            None => rows.push(vec![node]),
        }
    }
    rows.into_iter()
        .map(|nodes| {
            let names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
            let cell = match names.len() {
                1 => names[0].to_string(),
                n => format!("{n} nodes: {}", list_some(&names, group::EXAMPLES)),
            };
            (cell, nodes[0])
        })
        .collect()
}

fn section_facts(report: &Report<'_>, section: Section, wide: bool, color: bool) -> String {
    if let Some(m) = &report.manifests {
        return indent(&super::offline::section_lines(m, section).join("\n"));
    }
    let mut lines: Vec<String> = Vec::new();
    match section {
        Section::ControlPlane => {
            match report.control_plane_view.apiserver.as_ref() {
                Some(api) => {
                    let gate = match api.gate_enabled {
                        Some(true) => "on",
                        Some(false) => "off",
                        None => "unknown",
                    };
                    let instances = api
                        .instances
                        .map(|n| format!(", {n} instance(s), gate read from one"))
                        .unwrap_or_default();
                    lines.push(format!(
                        "kube-apiserver {}: SidecarContainers {gate} (source: {}){instances}",
                        api.version.as_deref().unwrap_or("unknown"),
                        api.gate_source
                    ));
                }
                None => lines.push("kube-apiserver: not collected".into()),
            }
            for c in &report.control_plane_view.components {
                if c.visible {
                    let gate = match c.gate_enabled {
                        Some(true) => "gate on",
                        Some(false) => "gate off",
                        None => "gate default",
                    };
                    lines.push(format!(
                        "{} {}: {gate}",
                        c.name,
                        c.version.as_deref().unwrap_or("unknown")
                    ));
                } else {
                    lines.push(format!(
                        "{}: {}",
                        c.name,
                        c.reason
                            .as_deref()
                            .unwrap_or("not visible (managed control plane?)")
                    ));
                }
            }
        }
        Section::Nodes => {
            let n = &report.nodes_view;
            lines.push(format!(
                "{} node(s): {} supported, {} partial, {} unsupported, {} unknown",
                n.total, n.supported, n.partial, n.unsupported, n.unknown
            ));
            let failing: Vec<_> = n
                .nodes
                .iter()
                .filter(|n| n.verdict != NodeVerdict::Supported)
                .collect();
            if !failing.is_empty() {
                let rows = node_rows(&failing, wide);
                let mut t = table(&["node", "pool", "kubelet", "verdict", "reason"]);
                let shown = if wide { rows.len() } else { 50 };
                for (names, node) in rows.iter().take(shown) {
                    let tone = match node.verdict {
                        NodeVerdict::Unsupported => Tone::Bad,
                        NodeVerdict::Partial => Tone::Warn,
                        _ => Tone::Muted,
                    };
                    t.add_row(vec![
                        names.clone(),
                        node.pool.clone().unwrap_or_else(|| "-".into()),
                        node.kubelet_version.clone().unwrap_or_else(|| "?".into()),
                        paint(node.verdict.word(), tone, color),
                        node.reason.clone(),
                    ]);
                }
                let mut text = table_text(&t);
                if rows.len() > shown {
                    let _ = writeln!(
                        text,
                        "... and {} more rows (-o wide lists every node)",
                        rows.len() - shown
                    );
                }
                return indent(&(lines.join("\n") + "\n" + &text));
            }
        }
        Section::Admission => {
            let a = report.admission;
            lines.push(format!(
                "{} mutating webhook(s) intercept pod creation",
                a.webhooks.len()
            ));
            for c in &a.canaries {
                let outcome = match c.outcome {
                    CanaryOutcome::Kept => paint("restartPolicy kept", Tone::Good, color),
                    CanaryOutcome::Stripped => paint("restartPolicy STRIPPED", Tone::Bad, color),
                    CanaryOutcome::DryRunUnsupported => "dry run refused".into(),
                    CanaryOutcome::Rejected => "rejected".into(),
                    CanaryOutcome::Forbidden => "not allowed (create pods)".into(),
                    CanaryOutcome::Failed => "failed".into(),
                };
                let via = if c.candidates.is_empty() {
                    String::new()
                } else {
                    format!(" (matching webhooks: {})", c.candidates.join(", "))
                };
                lines.push(format!("canary in {}: {outcome}{via}", c.namespace));
            }
        }
        Section::Injectors => {
            if report.injectors.istiod.is_empty() {
                lines.push("istiod: not found".into());
            }
            for i in &report.injectors.istiod {
                lines.push(format!(
                    "istiod {}/{}: ENABLE_NATIVE_SIDECARS={}",
                    i.namespace,
                    i.name,
                    i.enable_native_sidecars.as_deref().unwrap_or("(unset)")
                ));
            }
        }
        Section::Workloads => {
            let w = &report.workloads;
            lines.push(format!(
                "{} pod(s) seen, {} with sidecar-relevant specs, {} owner(s), {} sidecar event(s)",
                w.pods_seen, w.pods_checked, w.owners, w.events
            ));
        }
    }
    indent(&lines.join("\n"))
}
