//! `-o sarif`: SARIF 2.1.0, one run (one per cluster with several contexts), for code-scanning
//! tools. Rules are the catalog's checks the
//! command reports (help text, fix and reference link); results carry the finding's level,
//! message, object (a logical location) and, when the object was read from a file, its file
//! and line (a physical location, which code scanning needs to annotate a pull request).
//! What could not be examined is in the invocation: `executionSuccessful` is false and each
//! gap is a notification, so an incomplete run is never read as a clean one.

use serde_json::{Value, json};

use super::ci::{CiFinding, CiRun, Status};
use crate::checks::catalog::Check;
use crate::checks::finding::{Finding, Severity};
use crate::error::{Error, Result};
use crate::facts::coverage::Cause;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The key of `partialFingerprints`; versioned so that a change of recipe is a new key.
const FINGERPRINT: &str = "kubectlSidecarObject/v1";

pub fn render(run: &CiRun<'_>) -> Result<String> {
    let mut text = serde_json::to_string_pretty(&document(run))
        .map_err(|e| Error::usage(format!("cannot encode the report as SARIF: {e}")))?;
    text.push('\n');
    Ok(text)
}

pub fn document(run: &CiRun<'_>) -> Value {
    log(vec![run_of(run, None)])
}

/// Several clusters in one log (`--context` repeated): a run per cluster, each with its own
/// category (`automationDetails`), so that a tool keeps their results apart.
pub fn fleet(runs: Vec<Value>) -> Result<String> {
    let mut text = serde_json::to_string_pretty(&log(runs))
        .map_err(|e| Error::usage(format!("cannot encode the report as SARIF: {e}")))?;
    text.push('\n');
    Ok(text)
}

fn log(runs: Vec<Value>) -> Value {
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": runs,
    })
}

/// One run; `context` names the cluster when the log holds several.
pub fn run_of(run: &CiRun<'_>, context: Option<&str>) -> Value {
    let checks = run.checks();
    let results: Vec<Value> = run
        .findings
        .iter()
        .map(|f| result(run, f, checks.iter().position(|c| c.id == f.finding.id)))
        .collect();
    let mut driver = driver(&checks);
    if let Some(ctx) = &run.header.context {
        driver["properties"] = json!({"context": ctx.name, "cluster": ctx.cluster});
    }
    json!({
        "tool": {"driver": driver},
        "automationDetails": {"id": category(run.command, context)},
        "invocations": [invocation(run)],
        "results": results,
        "columnKind": "unicodeCodePoints",
    })
}

/// The run of a cluster that could not be examined: no results, and an invocation that failed
/// with the one line a single run prints, so that no tool reads it as a clean cluster.
pub fn failed_run(
    command: &'static str,
    context: &str,
    cluster: Option<&str>,
    error: &Error,
    cause: &str,
) -> Value {
    let mut driver = driver(&super::ci::checks_of(command));
    driver["properties"] = json!({"context": context, "cluster": cluster});
    let mut text = format!("context {context}: {}", error.what);
    if let Some(hint) = &error.hint {
        text.push_str(&format!(" (hint: {hint})"));
    }
    json!({
        "tool": {"driver": driver},
        "automationDetails": {"id": category(command, Some(context))},
        "invocations": [{
            "executionSuccessful": false,
            "exitCode": error.code,
            "toolExecutionNotifications": [{
                "level": "error",
                "message": {"text": text},
                "descriptor": {"id": format!("cluster/{cause}")},
            }],
            "properties": {"command": command, "cause": cause, "incomplete": true},
        }],
        "results": [],
        "columnKind": "unicodeCodePoints",
    })
}

/// SARIF's `category/` form: one category per command, and per cluster when there are several.
fn category(command: &str, context: Option<&str>) -> String {
    match context {
        Some(name) => format!("kubectl-sidecar/{command}/{name}/"),
        None => format!("kubectl-sidecar/{command}/"),
    }
}

fn driver(checks: &[&Check]) -> Value {
    let rules: Vec<Value> = checks.iter().map(|c| rule(c)).collect();
    json!({
        "name": "kubectl-sidecar",
        "version": crate::VERSION,
        "semanticVersion": crate::VERSION,
        "informationUri": env!("CARGO_PKG_REPOSITORY"),
        "rules": rules,
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `node-skew-too-old` -> `NodeSkewTooOld`: SARIF's rule names are identifiers.
fn camel(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

fn rule(check: &Check) -> Value {
    json!({
        "id": check.id,
        "name": camel(check.id),
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": check.explanation},
        "help": {
            "text": format!("{}\n\nFix: {}\n\nReference: {}", check.explanation, check.fix, check.reference),
            "markdown": format!("{}\n\n**Fix:** {}\n\n**Reference:** <{}>", check.explanation, check.fix, check.reference),
        },
        "helpUri": check.reference,
        "defaultConfiguration": {"level": level(check.severity)},
        "properties": {
            "tags": ["kubernetes", "native-sidecars", check.section.title()],
            "severity": check.severity.as_str(),
        },
    })
}

fn result(run: &CiRun<'_>, f: &CiFinding<'_>, rule_index: Option<usize>) -> Value {
    let finding = f.finding;
    let mut location = json!({"logicalLocations": [logical(finding)]});
    if let Some(place) = f.place() {
        let mut physical = json!({"artifactLocation": {"uri": uri(&place.file)}});
        if let Some(line) = place.line {
            physical["region"] = json!({"startLine": line.max(1)});
        }
        location["physicalLocation"] = physical;
    }
    let mut message = finding.message.clone();
    if !finding.fix.is_empty() {
        let stop = if message.ends_with(['.', '!', '?']) {
            ""
        } else {
            "."
        };
        message.push_str(&format!("{stop} Fix: {}", finding.fix));
    }
    let mut out = json!({
        "ruleId": finding.id,
        "level": level(finding.severity),
        "message": {"text": message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT: fingerprint(finding)},
        "properties": {
            "severity": finding.severity.as_str(),
            "section": finding.section,
            "object": finding.object,
            "evidence": finding.evidence,
            "fix": finding.fix,
            "failsRun": run.status(finding) == Status::Fails,
            "notExamined": run.status(finding) == Status::NotExamined,
        },
    });
    if let Some(i) = rule_index {
        out["ruleIndex"] = json!(i);
    }
    out
}

fn logical(finding: &Finding) -> Value {
    let o = &finding.object;
    json!({
        "name": o.container.as_deref().unwrap_or(&o.name),
        "fullyQualifiedName": o.to_string(),
        "kind": if o.container.is_some() { "member" } else { "resource" },
    })
}

/// Whether the run examined everything that decides it, and what it could not examine.
fn invocation(run: &CiRun<'_>) -> Value {
    let mut notes: Vec<Value> = Vec::new();
    for section in &run.coverage.sections {
        for gap in &section.gaps {
            notes.push(json!({
                "level": match (gap.cause, section.decisive) {
                    (Cause::Offline, _) => "note",
                    (_, true) => "error",
                    (_, false) => "warning",
                },
                "message": {"text": format!("{}: not examined: {}; {}", section.section, gap.short(), gap.remedy())},
                "descriptor": {"id": format!("coverage/{}", section.section)},
                "properties": {
                    "section": section.section,
                    "decisive": section.decisive,
                    "cause": gap.cause,
                    "permission": gap.permission,
                    "detail": gap.detail,
                },
            }));
        }
    }
    let mut inv = json!({
        "executionSuccessful": !run.incomplete(),
        "exitCode": run.exit_code,
        "toolExecutionNotifications": notes,
        "properties": {
            "command": run.command,
            "failOn": run.fail_on(),
            "incomplete": run.incomplete(),
            "notFullyExamined": run.coverage.missing().iter().map(|s| s.section.clone()).collect::<Vec<_>>(),
        },
    });
    if let Some(at) = &run.header.collected_at {
        inv["startTimeUtc"] = json!(at);
    }
    inv
}

/// A relative path as a URI reference (code scanning resolves it against the repository), an
/// absolute one as a `file://` URI; characters outside the unreserved set are percent-encoded.
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::new();
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Stable per (id, object) across runs and builds: FNV-1a over both (std's hasher may change
/// between Rust releases), so code scanning follows one alert from run to run.
fn fingerprint(finding: &Finding) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("{}\u{0}{}", finding.id, finding.object).bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fail_on::Rule;
    use crate::checks::finding::{ObjectRef, SourceLocation};
    use crate::facts::contract::{Header, Kind};
    use crate::facts::coverage::{Coverage, Gap, SectionCoverage};

    #[test]
    fn fingerprints_follow_id_and_object_only() {
        let a = Finding::new("node-unsupported", ObjectRef::cluster("Node", "n1"), "one");
        let b = Finding::new("node-unsupported", ObjectRef::cluster("Node", "n1"), "two");
        let c = Finding::new("node-unsupported", ObjectRef::cluster("Node", "n2"), "one");
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
        // Pinned: a change here moves every alert in code scanning.
        assert_eq!(fingerprint(&a), "8f60fefd4d65bc63");
    }

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri("deploy/web app.yaml"), "deploy/web%20app.yaml");
        assert_eq!(uri("/tmp/x.json"), "file:///tmp/x.json");
        assert_eq!(camel("node-skew-too-old"), "NodeSkewTooOld");
    }

    #[test]
    fn locations_and_gaps() {
        let header = Header::new(Kind::DoctorReport, None, None);
        let at = Finding::new(
            "sidecar-missing-startup-probe",
            ObjectRef::new("Deployment", Some("shop"), "web").with_container("proxy"),
            "m",
        )
        .at(SourceLocation {
            file: "k8s/web.yaml".into(),
            document: 2,
            line: 14,
        });
        let live = Finding::new("node-unsupported", ObjectRef::cluster("Node", "n1"), "m");
        let mut s = SectionCoverage::new("nodes", "nodes");
        s.gap(Gap::forbidden("list nodes", "list nodes", "403"));
        let coverage = Coverage { sections: vec![s] };
        let run = CiRun {
            command: "doctor",
            header: &header,
            findings: vec![
                CiFinding {
                    finding: &at,
                    artifact: None,
                },
                CiFinding {
                    finding: &live,
                    artifact: None,
                },
            ],
            coverage: &coverage,
            rule: Rule::errors(Some(Severity::Error)),
            exit_code: 1,
        };
        let doc = document(&run);
        let results = &doc["runs"][0]["results"];
        let physical = &results[0]["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], "k8s/web.yaml");
        assert_eq!(physical["region"]["startLine"], 14);
        assert_eq!(
            results[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "deployment/shop/web [proxy]"
        );
        assert!(results[1]["locations"][0]["physicalLocation"].is_null());
        assert_eq!(results[1]["properties"]["failsRun"], true);
        let inv = &doc["runs"][0]["invocations"][0];
        assert_eq!(inv["executionSuccessful"], false);
        assert_eq!(inv["exitCode"], 1);
        assert!(
            inv["toolExecutionNotifications"][0]["message"]["text"]
                .as_str()
                .unwrap()
                .contains("list nodes: forbidden (needs list nodes)")
        );
        let rule_index = results[0]["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            doc["runs"][0]["tool"]["driver"]["rules"][rule_index]["id"],
            "sidecar-missing-startup-probe"
        );
    }
}
