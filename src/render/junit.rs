//! `-o junit`: JUnit XML for CI test reports. One testsuite per report section that has
//! findings, one testcase per check id and object: a `<failure>` when the finding fails the run
//! under `--fail-on`, `<skipped>` when it only says the object could not be examined, and a
//! passing testcase (the finding in `<system-out>`) below `--fail-on`. A last `coverage` suite
//! has one testcase per coverage section, `<skipped>` with the gaps when it could not look.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::ci::{CiRun, Status};
use crate::checks::finding::{Finding, Section};

/// One testcase: a check id on one object, with every finding of it (normally one).
struct Case<'a> {
    name: String,
    findings: Vec<&'a Finding>,
    status: Status,
}

pub fn render(run: &CiRun<'_>) -> String {
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
            attr(section.title()),
            cases.len()
        );
        properties(&mut body, run);
        let class = format!("kubectl-sidecar.{}.{}", run.command, section_word(*section));
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
        "  <testsuite name=\"Coverage\" tests=\"{}\" failures=\"0\" errors=\"0\" skipped=\"{gaps}\">",
        sections.len()
    );
    properties(&mut body, run);
    for s in sections {
        let _ = write!(
            body,
            "    <testcase name=\"{}\" classname=\"kubectl-sidecar.{}.coverage\"",
            attr(&format!("coverage {}", s.section)),
            run.command
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
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n{body}</testsuites>\n",
        attr(&format!("kubectl-sidecar {}", run.command))
    )
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
