//! check-nodes as a table (kubectl look), or the report's serde shape for -o json|yaml.

use std::fmt::Write as _;

use crate::checks::cluster::coverage::{NODES, remedy};
use crate::checks::cluster::report::Report;
use crate::checks::cluster::verdict::Verdict;
use crate::cli::OutputFormat;
use crate::error::Result;
use crate::facts::contract::Header;
use crate::kube::gate::{Gate, Source, stage_word};
use crate::kube::skew::Skew;
use crate::render::{Tone, bold, document, paint, table, table_text};

pub fn render(
    header: &Header,
    report: &Report,
    format: OutputFormat,
    color: bool,
) -> Result<String> {
    match format {
        OutputFormat::Json | OutputFormat::Yaml => document(header, report, format),
        OutputFormat::Table => Ok(text(report, false, color)),
        OutputFormat::Wide => Ok(text(report, true, color)),
        OutputFormat::Sarif | OutputFormat::Junit => {
            unreachable!("check-nodes renders its CI formats through render::ci")
        }
    }
}

fn text(report: &Report, wide: bool, color: bool) -> String {
    let mut out = String::new();
    let verdict = |v: Verdict| paint(v.word(), tone(v), color);

    let _ = writeln!(out, "{}", bold("CONTROL PLANE", color));
    let mut t = table(&[
        "component",
        "version",
        "gate",
        "source",
        "skew",
        "verdict",
        "reason",
    ]);
    let api = &report.apiserver;
    t.add_row(vec![
        "kube-apiserver".to_string(),
        api.version
            .clone()
            .unwrap_or_else(|| dash(&api.git_version)),
        gate_cell(&api.gate),
        source(&api.gate),
        skew_cell(&api.skew, color),
        verdict(api.verdict),
        with_skew(&api.reason, &api.skew),
    ]);
    for component in [
        &report.control_plane.scheduler,
        &report.control_plane.controller_manager,
    ] {
        if !component.visible {
            t.add_row(vec![
                component.component.clone(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                verdict(component.verdict),
                component.reason.clone(),
            ]);
            continue;
        }
        for i in &component.instances {
            let name = if component.instances.len() > 1 {
                format!("{}/{}", component.component, i.pod)
            } else {
                component.component.clone()
            };
            t.add_row(vec![
                name,
                i.version.clone().unwrap_or_else(|| "?".into()),
                gate_cell(&i.gate),
                source(&i.gate),
                skew_cell(&i.skew, color),
                verdict(i.verdict),
                with_skew(&i.reason, &i.skew),
            ]);
        }
    }
    out.push_str(&table_text(&t));
    let _ = writeln!(out, "kube-apiserver: {}", api.instances_note);
    out.push('\n');

    let _ = writeln!(out, "{}", bold("NODES", color));
    let mut headers = vec![
        "name", "pool", "version", "ready", "gate", "source", "skew", "verdict",
    ];
    if wide {
        headers.extend(["runtime", "os/arch"]);
    }
    headers.push("reason");
    let mut t = table(&headers);
    // Without `wide`, nodes of one pool with the same problem (every cell but the name equal,
    // verdict not supported) are one row naming a few of them.
    let mut rows: Vec<(Vec<&str>, Vec<String>)> = Vec::new();
    for n in &report.nodes {
        let mut row = vec![
            n.pool.clone(),
            dash(&n.kubelet_version),
            match n.ready {
                Some(true) => "True".to_string(),
                Some(false) => paint("False", Tone::Bad, color),
                None => paint("Unknown", Tone::Warn, color),
            },
            gate_cell(&n.gate),
            source(&n.gate),
            skew_cell(&n.skew, color),
            verdict(n.verdict),
        ];
        if wide {
            row.push(dash(&n.container_runtime));
            row.push(if n.os.is_empty() && n.arch.is_empty() {
                "-".to_string()
            } else {
                format!("{}/{}", dash(&n.os), dash(&n.arch))
            });
        }
        row.push(with_skew(&n.reason, &n.skew));
        let foldable = !wide && n.verdict != Verdict::Supported;
        match rows.iter_mut().find(|(_, cells)| foldable && *cells == row) {
            Some((names, _)) => names.push(&n.name),
            None => rows.push((vec![&n.name], row)),
        }
    }
    for (names, cells) in &rows {
        let name = match names.len() {
            1 => names[0].to_string(),
            n => format!("{n} nodes: {}", some_names(names)),
        };
        t.add_row(
            std::iter::once(name)
                .chain(cells.iter().cloned())
                .collect::<Vec<_>>(),
        );
    }
    let nodes_total = report
        .coverage
        .sections
        .iter()
        .find(|s| s.section == NODES)
        .and_then(|s| s.total);
    if report.nodes.is_empty() && nodes_total.is_none() {
        out.push_str("(the nodes could not be listed: see COVERAGE)\n");
    } else if report.nodes.is_empty() {
        out.push_str("(no nodes)\n");
    } else {
        out.push_str(&table_text(&t));
        if rows.len() < report.nodes.len() {
            let _ = writeln!(
                out,
                "({} nodes in {} rows: nodes of one pool with the same problem are one row; -o wide lists every node)",
                report.nodes.len(),
                rows.len()
            );
        }
    }
    out.push('\n');

    if !report.pools.is_empty() {
        let _ = writeln!(out, "{}", bold("POOLS", color));
        let mut t = table(&[
            "pool",
            "label",
            "nodes",
            "versions",
            "supported",
            "partial",
            "unsupported",
            "unknown",
            "skew broken",
        ]);
        for p in &report.pools {
            t.add_row(vec![
                if p.mixed {
                    format!("{} {}", p.name, paint("(mixed)", Tone::Warn, color))
                } else {
                    p.name.clone()
                },
                p.label.clone().unwrap_or_else(|| "-".into()),
                p.nodes.to_string(),
                p.versions.join(","),
                p.verdicts.supported.to_string(),
                p.verdicts.partial.to_string(),
                p.verdicts.unsupported.to_string(),
                p.verdicts.unknown.to_string(),
                p.skew_broken.to_string(),
            ]);
        }
        out.push_str(&table_text(&t));
        out.push('\n');
    }

    coverage_block(&mut out, report, color);

    let s = &report.summary;
    let _ = writeln!(
        out,
        "{} {} of {} nodes can run native sidecars ({} supported, {} partial, {} unsupported, {} unknown); {} skew problem{}.",
        bold("SUMMARY:", color),
        s.can_run,
        nodes_total.map_or_else(|| format!("? ({} listed)", s.nodes), |t| t.to_string()),
        s.supported,
        s.partial,
        s.unsupported,
        s.unknown,
        s.skew_broken,
        if s.skew_broken == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        out,
        "{} {}: {}",
        bold("CLUSTER VERDICT:", color),
        verdict(s.verdict),
        s.reason
    );
    if let Some(r) = &s.recommendation {
        let _ = writeln!(out, "\n{} {}", bold("RECOMMENDATION:", color), r.why);
        let _ = writeln!(
            out,
            "  1. label the supporting nodes (not run by this tool):"
        );
        for c in &r.label_commands {
            let _ = writeln!(out, "       {c}");
        }
        let _ = writeln!(
            out,
            "  2. in the pod template of every workload with native sidecars:"
        );
        let _ = writeln!(out, "       {}", r.node_affinity);
        let _ = writeln!(out, "  note: {}", r.note);
    }
    out
}

/// One line per section, then what to do about each gap of a deciding section.
fn coverage_block(out: &mut String, report: &Report, color: bool) {
    let _ = writeln!(out, "{}", bold("COVERAGE", color));
    for s in &report.coverage.sections {
        let _ = writeln!(out, "{}", s.line());
    }
    let gaps: Vec<_> = report
        .coverage
        .sections
        .iter()
        .filter(|s| s.decisive)
        .flat_map(|s| &s.gaps)
        .collect();
    if !gaps.is_empty() {
        let _ = writeln!(out, "to examine the rest:");
        for g in gaps {
            let _ = writeln!(out, "  - {}: {}", g.what, remedy(g));
        }
    }
    out.push('\n');
}

pub fn tone(v: Verdict) -> Tone {
    match v {
        Verdict::Supported => Tone::Good,
        Verdict::Partial | Verdict::Unknown | Verdict::Incomplete => Tone::Warn,
        Verdict::Unsupported => Tone::Bad,
    }
}

fn gate_cell(g: &Gate) -> String {
    // Inferred off with no stage: the component predates the gate, there is nothing to turn on.
    if g.enabled == Some(false) && g.stage.is_none() && g.source == Source::Version {
        return "no gate".to_string();
    }
    let state = match g.enabled {
        Some(true) => "on",
        Some(false) => "off",
        None => return "?".to_string(),
    };
    match &g.stage {
        Some(stage) => format!("{state} ({})", stage_word(stage)),
        None => state.to_string(),
    }
}

fn source(g: &Gate) -> String {
    serde_json::to_value(g.source)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn skew_cell(s: &Skew, color: bool) -> String {
    match s.ok {
        Some(true) => "ok".to_string(),
        Some(false) => paint("BROKEN", Tone::Bad, color),
        None => "?".to_string(),
    }
}

fn with_skew(reason: &str, skew: &Skew) -> String {
    if skew.is_broken() {
        format!("{reason}; skew: {}", skew.reason)
    } else {
        reason.to_string()
    }
}

/// `a, b, c (+N more)`.
fn some_names(names: &[&str]) -> String {
    let shown = crate::checks::group::EXAMPLES;
    let mut out = names[..names.len().min(shown)].join(", ");
    if names.len() > shown {
        let _ = write!(out, " (+{} more)", names.len() - shown);
    }
    out
}

fn dash(s: &str) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s.to_string()
    }
}
