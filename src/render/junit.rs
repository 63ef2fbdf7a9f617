//! `-o junit`: JUnit XML for CI test reports. One testsuite per report section that has
//! findings, one testcase per check id and object: a `<failure>` when the finding fails the run
//! under `--fail-on`, `<skipped>` when it only says the object could not be examined, and a
//! passing testcase (the finding in `<system-out>`) below `--fail-on`. A last `coverage` suite
//! has one testcase per coverage section, `<skipped>` with the gaps when it could not look.
//! With several contexts, each cluster's suites are named after it, and a cluster that could
//! not be examined is a testcase in `<error>`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::ci::{CiRun, Status};
use crate::checks::finding::{Finding, Section};
use crate::error::Error;

/// One testcase: a check id on one object, with every finding of it (normally one).
struct Case<'a> {
    name: String,
    findings: Vec<&'a Finding>,
    status: Status,
}

pub fn render(run: &CiRun<'_>) -> String {
    document(run.command, &[suites(run, None)])
}

/// Several clusters in one report (`--context` repeated): each cluster's suites, their names
/// prefixed with the context.
pub fn fleet(command: &str, parts: &[Suites]) -> String {
    document(command, parts)
}

/// Some testsuites and their counts, to be wrapped in `<testsuites>`.
pub struct Suites {
    body: String,
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

fn document(command: &str, parts: &[Suites]) -> String {
    let sum = |f: fn(&Suites) -> usize| parts.iter().map(f).sum::<usize>();
    let body: String = parts.iter().map(|p| p.body.as_str()).collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n{body}</testsuites>\n",
        attr(&format!("kubectl-sidecar {command}")),
        sum(|p| p.tests),
        sum(|p| p.failures),
        sum(|p| p.errors),
        sum(|p| p.skipped),
    )
}

/// A cluster that could not be examined: one suite with one testcase in error, the one line a
/// single run prints, so that the report never shows that cluster as passing.
pub fn failed(command: &str, context: &str, error: &Error, cause: &str) -> Suites {
    let mut body = String::new();
    let _ = writeln!(
        body,
        "  <testsuite name=\"{}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">",
        attr(&format!("{context}: Cluster"))
    );
    let _ = writeln!(
        body,
        "    <properties>\n      <property name=\"command\" value=\"{}\"/>\n      <property name=\"exitCode\" value=\"{}\"/>\n      <property name=\"context\" value=\"{}\"/>\n    </properties>",
        attr(command),
        error.code,
        attr(context)
    );
    let _ = writeln!(
        body,
        "    <testcase name=\"{}\" classname=\"{}\">\n      <error message=\"{}\" type=\"{}\">{}</error>\n    </testcase>\n  </testsuite>",
        attr(&format!("cluster {context}")),
        attr(&classname(command, Some(context), "cluster")),
        attr(&error.what),
        attr(cause),
        text(error.hint.as_deref().unwrap_or(""))
    );
    Suites {
        body,
        tests: 1,
        failures: 0,
        errors: 1,
        skipped: 0,
    }
}

/// One run's suites; `context` prefixes their names when the report holds several clusters.
pub fn suites(run: &CiRun<'_>, context: Option<&str>) -> Suites {
    let named = |name: &str| match context {
        Some(c) => format!("{c}: {name}"),
        None => name.to_string(),
    };
    let mut suites: BTreeMap<Section, BTreeMap<(usize, String), Case<'_>>> = BTreeMap::new();
    for (i, f) in run.findings.iter().enumerate() {
        let finding = f.finding;
        let name = format!("{} {}", finding.id, finding.object);
        let status = run.status(finding);
        let cases = suites.entry(finding.section).or_default();
        // Keep first-seen order (the command's order: most important first), merge repeats.
        let existing = cases.keys().find(|(_, n)| *n == name).cloned();
        let key = existing.unwrap_or((i, name.clone()));
        let case = cases.entry(key).or_insert_with(|| Case {
            name,
            findings: Vec::new(),
            status,
        });
        case.findings.push(finding);
        case.status = worse(case.status, status);
    }
    let mut body = String::new();
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    for (section, cases) in &suites {
        let cases: Vec<&Case<'_>> = cases.values().collect();
        let f = cases.iter().filter(|c| c.status == Status::Fails).count();
        let s = cases
            .iter()
            .filter(|c| c.status == Status::NotExamined)
            .count();
        tests += cases.len();
        failures += f;
        skipped += s;
        let _ = writeln!(
            body,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"0\" skipped=\"{s}\">",
            attr(&named(section.title())),
            cases.len()
        );
        properties(&mut body, run);
        let class = classname(run.command, context, &section_word(*section));
        for case in cases {
            testcase(&mut body, &class, case);
        }
        body.push_str("  </testsuite>\n");
    }
    let sections = &run.coverage.sections;
    let gaps = sections.iter().filter(|s| !s.complete()).count();
    tests += sections.len();
    skipped += gaps;
    let _ = writeln!(
        body,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"0\" errors=\"0\" skipped=\"{gaps}\">",
        attr(&named("Coverage")),
        sections.len()
    );
    properties(&mut body, run);
    for s in sections {
        let _ = write!(
            body,
            "    <testcase name=\"{}\" classname=\"{}\"",
            attr(&format!("coverage {}", s.section)),
            attr(&classname(run.command, context, "coverage"))
        );
        if s.complete() {
            let _ = writeln!(
                body,
                ">\n      <system-out>{}</system-out>\n    </testcase>",
                text(&s.line())
            );
        } else {
            let remedies: Vec<String> = s
                .gaps
                .iter()
                .map(|g| format!("{}: {}", g.short(), g.remedy()))
                .collect();
            let decides = if s.decisive {
                "decides the verdict: the run is incomplete"
            } else {
                "informative only"
            };
            let _ = writeln!(
                body,
                ">\n      <skipped message=\"{}\"/>\n      <system-out>{}</system-out>\n    </testcase>",
                attr(&format!("{} ({decides})", s.line())),
                text(&remedies.join("\n"))
            );
        }
    }
    body.push_str("  </testsuite>\n");
    Suites {
        body,
        tests,
        failures,
        errors: 0,
        skipped,
    }
}

/// `kubectl-sidecar.doctor.workloads`, with the context after the command when there are
/// several clusters (tools that key testcases by class and name keep the clusters apart).
fn classname(command: &str, context: Option<&str>, what: &str) -> String {
    match context {
        Some(c) => format!("kubectl-sidecar.{command}.{c}.{what}"),
        None => format!("kubectl-sidecar.{command}.{what}"),
    }
}

fn worse(a: Status, b: Status) -> Status {
    match (a, b) {
        (Status::Fails, _) | (_, Status::Fails) => Status::Fails,
        (Status::NotExamined, _) | (_, Status::NotExamined) => Status::NotExamined,
        _ => Status::Passes,
    }
}

fn section_word(section: Section) -> String {
    serde_json::to_value(section)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn properties(out: &mut String, run: &CiRun<'_>) {
    out.push_str("    <properties>\n");
    let mut props = vec![
        ("command", run.command.to_string()),
        ("failOn", run.fail_on().to_string()),
        ("exitCode", run.exit_code.to_string()),
        ("incomplete", run.incomplete().to_string()),
        ("toolVersion", crate::VERSION.to_string()),
    ];
    if let Some(at) = &run.header.collected_at {
        props.push(("collectedAt", at.clone()));
    }
    if let Some(name) = run.header.context.as_ref().and_then(|c| c.name.clone()) {
        props.push(("context", name));
    }
    for (name, value) in props {
        let _ = writeln!(
            out,
            "      <property name=\"{name}\" value=\"{}\"/>",
            attr(&value)
        );
    }
    out.push_str("    </properties>\n");
}

fn testcase(out: &mut String, class: &str, case: &Case<'_>) {
    let _ = writeln!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\">",
        attr(&case.name),
        attr(class)
    );
    let first = case.findings[0];
    let message = case
        .findings
        .iter()
        .map(|f| f.message.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let mut details = String::new();
    for f in &case.findings {
        let _ = writeln!(details, "{}: {}", f.severity, f.message);
        for e in &f.evidence {
            let _ = writeln!(details, "  evidence: {e}");
        }
        if let Some(l) = &f.location {
            let _ = writeln!(
                details,
                "  at: {}:{} (document {})",
                l.file, l.line, l.document
            );
        }
    }
    let _ = writeln!(details, "fix: {}", first.fix);
    let _ = write!(details, "reference: {}", first.reference);
    match case.status {
        Status::Fails => {
            let _ = writeln!(
                out,
                "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                attr(&message),
                first.severity,
                text(&details)
            );
        }
        Status::NotExamined => {
            let _ = writeln!(
                out,
                "      <skipped message=\"{}\"/>\n      <system-out>{}</system-out>",
                attr(&message),
                text(&details)
            );
        }
        Status::Passes => {
            let _ = writeln!(out, "      <system-out>{}</system-out>", text(&details));
        }
    }
    out.push_str("    </testcase>\n");
}

/// Text content: the markup characters escaped, and what XML 1.0 cannot hold at all (control
/// characters other than tab and newlines) replaced.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' => out.push(c),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// An attribute value (always double-quoted): text escaping plus quotes, and line breaks kept
/// as character references (a parser would fold them into spaces).
fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in text(s).chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_nothing_a_parser_would_misread() {
        assert_eq!(text("a<b & c>d"), "a&lt;b &amp; c&gt;d");
        assert_eq!(attr("say \"x\"\nit's"), "say &quot;x&quot;&#10;it&apos;s");
        assert_eq!(text("bell\u{7}"), "bell\u{FFFD}");
    }
}
