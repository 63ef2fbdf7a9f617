//! Table output: findings first, then one line per object, then a unified diff of submitted vs
//! admitted, grouped by container (the pod's own fields first). JSON/YAML output is the
//! `Report` itself (see README.md, "diff-pod").

use serde_json::Value;

use super::attribution::patch_summary;
use super::report::{Analysis, Result_, View};
use super::unified::{Line, diff_lines, hunks};
use crate::checks::finding::Severity;
use crate::checks::group::{self, Group};
use crate::facts::diff_pod::{BlameResult, Gate};
use crate::render::{Tone, bold, paint, table, table_text};

pub fn table_output(a: &Analysis, color: bool, wide: bool) -> String {
    let mut out = String::new();
    let r = &a.report;
    out.push_str(&apiserver_line(a, color));
    if let Some(e) = &r.webhooks_error {
        out.push_str(&format!(
            "{} {e}: webhooks cannot be matched\n",
            paint("warning:", Tone::Warn, color)
        ));
    }
    out.push('\n');
    if r.findings.is_empty() {
        out.push_str("No findings.\n");
    } else {
        let several = r.objects.len() > 1;
        let mut headers = vec!["severity"];
        if several {
            headers.push("object");
        }
        headers.extend(["container", "finding"]);
        let mut t = table(&headers);
        // Without `wide`, the same finding on many objects (an injector's container added to
        // every Deployment of a directory) is one row naming a few of them.
        let groups: Vec<Group<'_>> = if wide || !several {
            r.findings
                .iter()
                .map(|f| Group { members: vec![f] })
                .collect()
        } else {
            group::group(&r.findings)
        };
        for g in &groups {
            let f = g.first();
            let tone = match f.severity {
                Severity::Error => Tone::Bad,
                Severity::Warning => Tone::Warn,
                Severity::Info => Tone::Plain,
            };
            let mut row = vec![paint(f.severity.as_str(), tone, color)];
            if several {
                row.push(match g.count() {
                    1 => format!("{}/{}", f.object.kind, f.object.name),
                    _ => g.objects(),
                });
            }
            row.push(f.object.container.clone().unwrap_or_else(|| "-".into()));
            row.push(match g.count() {
                1 => f.message.clone(),
                n => {
                    let examples: Vec<String> = g
                        .examples(group::EXAMPLES)
                        .iter()
                        .map(|o| format!("{}/{}", o.kind, o.name))
                        .collect();
                    let more = n - examples.len();
                    let more = if more > 0 {
                        format!(" (+{more} more)")
                    } else {
                        String::new()
                    };
                    format!("{}\ne.g. {}{more}", g.summary(), examples.join(", "))
                }
            });
            t.add_row(row);
        }
        out.push_str(&table_text(&t));
        if groups.len() < r.findings.len() {
            out.push_str(&format!(
                "({} findings in {} row{}: the same finding on many objects is one row; -o wide lists every one)\n",
                r.findings.len(),
                groups.len(),
                if groups.len() == 1 { "" } else { "s" }
            ));
        }
    }
    out.push('\n');
    let mut t = table(&[
        "object",
        "namespace",
        "result",
        "submitted from",
        "webhooks called",
    ]);
    for o in &r.objects {
        let (word, tone) = match o.result {
            Result_::Unchanged => ("unchanged", Tone::Good),
            Result_::Changed => ("changed", Tone::Good),
            Result_::SidecarAffected => ("sidecar-affected", Tone::Bad),
            Result_::NotRun => ("not-compared", Tone::Warn),
        };
        let word = match (o.result, o.gaps.first()) {
            (Result_::NotRun, Some(g)) => format!("{word} ({})", g.cause.as_str()),
            _ => word.to_string(),
        };
        let hooks = if o.webhooks.is_empty() {
            "none".to_string()
        } else {
            o.webhooks
                .iter()
                .map(|c| c.webhook.clone())
                .collect::<Vec<_>>()
                .join(",")
        };
        t.add_row(vec![
            o.object.clone(),
            o.namespace.clone(),
            paint(&word, tone, color),
            o.submitted_from.clone().unwrap_or_else(|| "unknown".into()),
            hooks,
        ]);
    }
    out.push_str(&table_text(&t));
    for o in &r.objects {
        for note in &o.notes {
            out.push_str(&format!("note: {}: {note}\n", o.object));
        }
        for step in &o.blame {
            let what = match &step.result {
                BlameResult::Patched { patch } => format!("patch: {}", patch_summary(patch)),
                BlameResult::Unchanged => "no change".into(),
                BlameResult::Denied { message } => format!("denied: {message}"),
                BlameResult::Skipped { why } => format!("not called: {why}"),
                BlameResult::Failed { error, cause } => {
                    format!("call failed ({}): {error}", cause.as_str())
                }
            };
            out.push_str(&format!(
                "blame: {}: webhook {} ({}): {what}\n",
                o.object, step.webhook, step.configuration
            ));
        }
    }
    for view in &a.views {
        out.push_str(&view_diff(view, color, wide));
    }
    out.push_str(&coverage(a, color));
    out
}

/// What was examined, one line per section, what to do about each gap, and the verdict when
/// something that decides it is missing. Last, so that it ends the output however long the
/// diff.
fn coverage(a: &Analysis, color: bool) -> String {
    let c = &a.report.coverage;
    let mut out = format!("\n{}\n", bold("COVERAGE", color));
    for s in &c.sections {
        out.push_str(&s.line());
        out.push('\n');
        for g in &s.gaps {
            out.push_str(&format!("  {}: {}\n", g.what, g.remedy()));
        }
    }
    if let Some(reason) = c.reason() {
        let verdict = if a.exit_code() == crate::error::EXIT_INCOMPLETE {
            paint("incomplete", Tone::Warn, color)
        } else {
            "also incomplete".to_string()
        };
        out.push_str(&format!("\n{verdict}: {reason}\n"));
    }
    out
}

fn apiserver_line(a: &Analysis, color: bool) -> String {
    let s = &a.report.apiserver;
    let version = s.version.as_deref().unwrap_or("unknown version");
    let gate = match &s.gate {
        Gate::Unsupported => paint("too old for native sidecars (< 1.28)", Tone::Bad, color),
        Gate::On { stage } => format!("SidecarContainers on ({})", stage_word(stage)),
        Gate::Off { stage } => paint(
            &format!("SidecarContainers OFF ({})", stage_word(stage)),
            Tone::Bad,
            color,
        ),
        Gate::AlwaysOn => "SidecarContainers always on".to_string(),
        Gate::Unknown { why } => paint(
            &format!("SidecarContainers unknown: {why}"),
            Tone::Warn,
            color,
        ),
    };
    format!("{} {version}: {gate}\n", bold("apiserver", color))
}

fn stage_word(stage: &str) -> &str {
    if stage.is_empty() { "GA" } else { stage }
}

/// Sections of a pod: its own fields, then each container by list and name.
fn sections(pod: &Value) -> Vec<(String, Value)> {
    let mut own = pod.clone();
    let mut out = Vec::new();
    if let Some(spec) = own.get_mut("spec").and_then(Value::as_object_mut) {
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            if let Some(Value::Array(items)) = spec.remove(list) {
                for item in items {
                    let name = item
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .to_string();
                    out.push((format!("{list}/{name}"), item));
                }
            }
        }
    }
    if own
        .get("spec")
        .and_then(Value::as_object)
        .is_some_and(|s| s.is_empty())
        && let Some(map) = own.as_object_mut()
    {
        map.remove("spec");
    }
    out.insert(0, ("pod".to_string(), own));
    out
}

fn view_diff(view: &View, color: bool, _wide: bool) -> String {
    let before = sections(&view.before);
    let after = sections(&view.after);
    let mut names: Vec<&String> = before.iter().map(|(n, _)| n).collect();
    for (n, _) in &after {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    // The pod first, then init containers, containers, ephemeral containers.
    names.sort_by_key(|n| {
        let rank = match n.split('/').next() {
            Some("pod") => 0,
            Some("initContainers") => 1,
            Some("containers") => 2,
            _ => 3,
        };
        (rank, before.iter().chain(&after).position(|(m, _)| m == *n))
    });
    let yaml = |v: Option<&Value>| match v {
        None => String::new(),
        Some(v) => serde_saphyr::to_string(v).unwrap_or_else(|e| format!("<cannot render: {e}>\n")),
    };
    let mut out = String::new();
    for name in names {
        let b = before.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        let a = after.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        if b == a {
            continue;
        }
        let (bt, at) = (yaml(b), yaml(a));
        let bl: Vec<&str> = bt.lines().collect();
        let al: Vec<&str> = at.lines().collect();
        let lines = diff_lines(&bl, &al);
        let hs = hunks(&lines);
        if hs.is_empty() {
            continue;
        }
        out.push('\n');
        out.push_str(&bold(
            &format!("--- {}: {name} ({})", view.object, view.submitted_from),
            color,
        ));
        out.push('\n');
        out.push_str(&bold(
            &format!("+++ {}: {name} ({})", view.object, view.result_from),
            color,
        ));
        out.push('\n');
        for h in hs {
            out.push_str(&paint(&h.header, Tone::Muted, color));
            out.push('\n');
            for l in &h.lines {
                let text = match l {
                    Line::Same(t) => format!(" {t}"),
                    Line::Removed(t) => paint(&format!("-{t}"), Tone::Bad, color),
                    Line::Added(t) => paint(&format!("+{t}"), Tone::Good, color),
                };
                out.push_str(&text);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sections_split_containers_out() {
        let pod = json!({"metadata": {"labels": {"a": "b"}}, "spec": {
            "dnsPolicy": "None",
            "initContainers": [{"name": "proxy"}], "containers": [{"name": "app"}]}});
        let names: Vec<String> = sections(&pod).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, vec!["pod", "initContainers/proxy", "containers/app"]);
    }

    #[test]
    fn diff_shows_only_changed_sections() {
        let before = json!({"spec": {"initContainers": [{"name": "proxy", "image": "envoy",
            "restartPolicy": "Always"}], "containers": [{"name": "app", "image": "nginx"}]}});
        let mut after = before.clone();
        after["spec"]["initContainers"][0]
            .as_object_mut()
            .map(|c| c.remove("restartPolicy"));
        let view = View {
            object: "Deployment/web".into(),
            submitted_from: "manifest web.yaml".into(),
            result_from: "the dry run's result".into(),
            before,
            after,
        };
        let text = view_diff(&view, false, false);
        assert!(
            text.contains("--- Deployment/web: initContainers/proxy (manifest web.yaml)"),
            "{text}"
        );
        assert!(text.contains("\n-restartPolicy: Always\n"), "{text}");
        assert!(!text.contains("containers/app"), "{text}");
        assert!(
            !text.contains('\u{1b}'),
            "no color when color is off: {text}"
        );
        let colored = view_diff(&view, true, false);
        assert!(colored.contains('\u{1b}'));
    }
}
