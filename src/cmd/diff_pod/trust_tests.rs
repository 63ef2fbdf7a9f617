//! The verdict contract end to end over facts: exit codes and their precedence, coverage in
//! every output format, remedies that follow the cause, and secrets that never reach any output.

use serde_json::{Value, json};

use super::analyze::analyze;
use super::render::table_output;
use super::report::{Analysis, Result_};
use crate::cli::OutputFormat;
use crate::error::{EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE};
use crate::facts::contract::{Header, Kind};
use crate::facts::coverage::{Cause, Gap};
use crate::facts::diff_pod::{
    Apiserver, BlameResult, BlameStep, DiffFacts, Gate, Outcome, PodFacts, Source, Webhooks,
};
use crate::facts::object::KindName;
use crate::kube::access::Failure;
use crate::kube::webhooks::parse_configurations;

const SECRET: &str = "S3CRET-MARKER-7f3a9";

fn submitted() -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
    "metadata": {"generateName": "web-", "labels": {"app": "web"},
        "annotations": {"vault.example.com/token": SECRET,
            "kubectl.kubernetes.io/last-applied-configuration": format!("{{\"env\":\"{SECRET}\"}}")}},
    "spec": {
        "initContainers": [{"name": "proxy", "image": "envoy", "restartPolicy": "Always",
            "command": ["sh", "-c", format!("run --token={SECRET}")]}],
        "containers": [{"name": "app", "image": "nginx", "args": [SECRET],
            "env": [{"name": "TOKEN", "value": SECRET}, {"name": "PLAIN", "value": "x"}]}]
    }})
}

/// What a stripping webhook makes of it: restartPolicy gone, and the secret-bearing fields
/// rewritten too, so that each shows up as a change.
pub(super) fn stripped() -> Value {
    let mut p = submitted();
    p["metadata"]["name"] = json!("web-abcde");
    p["spec"]["initContainers"][0]
        .as_object_mut()
        .map(|c| c.remove("restartPolicy"));
    p["spec"]["containers"][0]["env"][0]["value"] = json!(format!("{SECRET}-rotated"));
    p["spec"]["containers"][0]["args"] = json!([format!("{SECRET}-2")]);
    p["metadata"]["annotations"]["vault.example.com/token"] = json!(format!("{SECRET}-new"));
    p["metadata"]["annotations"]["injected.example.com/secret"] = json!(SECRET);
    p
}

fn unchanged() -> Value {
    let mut p = submitted();
    p["metadata"]["name"] = json!("web-abcde");
    p
}

fn hooks() -> Vec<crate::kube::webhooks::Webhook> {
    parse_configurations(&[json!({"metadata": {"name": "legacy"}, "webhooks": [{
        "name": "strip.example.com",
        "clientConfig": {"service": {"namespace": "hooks", "name": "strip", "path": "/mutate", "port": 8443}},
        "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
        "failurePolicy": "Fail", "sideEffects": "None", "admissionReviewVersions": ["v1"]}]})])
}

pub(super) fn pod(name: &str, outcome: Outcome) -> PodFacts {
    PodFacts {
        object: KindName {
            kind: "Deployment".into(),
            name: name.into(),
            namespace: None,
        },
        namespace: "ns".into(),
        source: "deploy.yaml".into(),
        location: None,
        live: false,
        namespace_labels: Some(Default::default()),
        namespace_error: None,
        lineage: vec![Source {
            what: "manifest deploy.yaml".into(),
            writer: None,
            pod: submitted(),
        }],
        outcome,
        blame: vec![],
        notes: vec![],
        gaps: vec![],
    }
}

pub(super) fn facts(pods: Vec<PodFacts>) -> DiffFacts {
    DiffFacts {
        apiserver: Apiserver {
            version: Some("v1.37.2".into()),
            gate: Gate::AlwaysOn,
            metrics_read: false,
            gap: None,
        },
        webhooks: Webhooks {
            items: hooks(),
            error: None,
        },
        pods,
    }
}

pub(super) fn admitted(p: Value) -> Outcome {
    Outcome::Admitted {
        pod: p,
        warnings: vec![],
    }
}

/// A dry run that never answered: what collect records when the budget runs out.
fn timed_out(name: &str) -> PodFacts {
    let f = Failure::Timeout("no answer within 30s (--request-timeout)".into());
    let mut p = pod(
        name,
        Outcome::NotRun {
            why: f.text().into(),
        },
    );
    p.gaps.push(f.gap(
        format!("dry-run create of Deployment/{name} in namespace ns"),
        "create pods",
    ));
    p
}

fn rejected(code: u16, reason: &str, message: &str) -> Outcome {
    Outcome::Rejected {
        code,
        reason: reason.into(),
        message: message.into(),
    }
}

/// Every output format of one analysis, as the user would see it; the JSON document must
/// validate against the published schema (tests/schemas/DiffPodReport.json).
fn outputs(a: &Analysis) -> Vec<(&'static str, String)> {
    let header = Header::new(Kind::DiffPodReport, None, None);
    let document = |format| crate::render::document(&header, &a.report, format).expect("render");
    let json = document(OutputFormat::Json);
    assert_valid(&serde_json::from_str(&json).expect("JSON"));
    vec![
        ("table", table_output(a, false, false)),
        ("wide", table_output(a, false, true)),
        ("json", json),
        ("yaml", document(OutputFormat::Yaml)),
    ]
}

#[track_caller]
fn assert_valid(document: &Value) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/schemas/DiffPodReport.json"
    );
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect(path)).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

fn json_of(a: &Analysis) -> Value {
    serde_json::to_value(&a.report).expect("the report serializes")
}

#[test]
fn everything_compared_and_nothing_affected_is_zero() {
    let a = analyze(&facts(vec![pod("web", admitted(unchanged()))]), false);
    assert_eq!(a.exit_code(), EXIT_OK);
    assert!(a.report.coverage.complete());
    let j = json_of(&a);
    assert_eq!(j["coverage"]["sections"][1]["section"], "objects");
    assert_eq!(j["coverage"]["sections"][1]["examined"], 1);
    assert_eq!(j["coverage"]["sections"][1]["total"], 1);
    let table = table_output(&a, false, false);
    assert!(table.contains("COVERAGE\nadmission: 2 of 2 lookups examined, complete\nobjects: 1 of 1 objects examined, complete\n"), "{table}");
    assert!(!table.contains("incomplete"), "{table}");
}

#[test]
fn a_timed_out_dry_run_is_incomplete_with_its_cause_and_remedy() {
    let a = analyze(&facts(vec![timed_out("web")]), false);
    assert_eq!(a.exit_code(), EXIT_INCOMPLETE);
    assert_eq!(a.report.objects[0].result, Result_::NotRun);
    let j = json_of(&a);
    assert_eq!(j["objects"][0]["result"], "not-run");
    assert_eq!(j["findings"][0]["id"], "dry-run-failed");
    let objects = &j["coverage"]["sections"][1];
    assert_eq!(objects["decisive"], true);
    assert_eq!(objects["examined"], 0);
    assert_eq!(objects["gaps"][0]["cause"], "timeout");
    assert!(objects["gaps"][0].get("permission").is_none());
    let table = table_output(&a, false, false);
    assert!(table.contains("not-compared (timeout)"), "{table}");
    assert!(
        table.contains("a slow one keeps it waiting: strip.example.com (service hooks/strip:8443 path /mutate, timeoutSeconds 10)"),
        "{table}"
    );
    assert!(
        table.contains("objects: 0 of 1 objects examined: dry-run create of Deployment/web in namespace ns: timeout"),
        "{table}"
    );
    assert!(table.contains("--request-timeout / --timeout"), "{table}");
    assert!(
        table.ends_with("incomplete: not fully examined: objects\n"),
        "{table}"
    );
}

#[test]
fn a_definite_finding_wins_over_an_object_not_compared() {
    let a = analyze(
        &facts(vec![pod("web", admitted(stripped())), timed_out("late")]),
        false,
    );
    assert_eq!(a.exit_code(), EXIT_FINDINGS);
    assert!(!a.report.coverage.complete());
    let table = table_output(&a, false, false);
    assert!(
        table.contains("also incomplete: not fully examined: objects"),
        "{table}"
    );
}

#[test]
fn forbidden_dry_run_names_create_pods() {
    let a = analyze(
        &facts(vec![pod(
            "web",
            rejected(
                403,
                "Forbidden",
                "pods is forbidden: User \"u\" cannot create resource \"pods\" in API group \"\" in the namespace \"ns\"",
            ),
        )]),
        false,
    );
    assert_eq!(a.exit_code(), EXIT_INCOMPLETE);
    let gap = &json_of(&a)["coverage"]["sections"][1]["gaps"][0];
    assert_eq!(gap["cause"], "forbidden");
    assert_eq!(gap["permission"], "create pods");
    assert!(table_output(&a, false, false).contains("grant `create pods`"));
}

#[test]
fn a_webhook_without_dry_run_is_not_asked() {
    let a = analyze(
        &facts(vec![pod(
            "web",
            rejected(
                400,
                "BadRequest",
                "admission webhook \"audit.example.com\" does not support dry run",
            ),
        )]),
        false,
    );
    assert_eq!(a.exit_code(), EXIT_INCOMPLETE);
    let gap = &json_of(&a)["coverage"]["sections"][1]["gaps"][0];
    assert_eq!(gap["cause"], "notAsked");
    assert!(
        gap["what"]
            .as_str()
            .unwrap_or("")
            .contains("audit.example.com")
    );
}

#[test]
fn a_webhook_the_apiserver_cannot_call_is_named_with_its_service() {
    for (message, cause) in [
        (
            "Internal error occurred: failed calling webhook \"strip.example.com\": failed to call webhook: Post \"https://strip.hooks.svc:8443/mutate?timeout=10s\": dial tcp 10.0.0.9:8443: connect: connection refused",
            "unreachable",
        ),
        (
            "Internal error occurred: failed calling webhook \"strip.example.com\": failed to call webhook: Post \"https://strip.hooks.svc:8443/mutate?timeout=10s\": context deadline exceeded",
            "timeout",
        ),
    ] {
        let a = analyze(
            &facts(vec![pod("web", rejected(500, "InternalError", message))]),
            false,
        );
        assert_eq!(a.exit_code(), EXIT_INCOMPLETE, "{message}");
        let j = json_of(&a);
        assert_eq!(j["findings"][0]["id"], "webhook-failed");
        let text = j["findings"][0]["message"].as_str().unwrap_or("");
        assert!(text.contains("strip.example.com"), "{text}");
        assert!(
            text.contains("service hooks/strip:8443 path /mutate"),
            "{text}"
        );
        assert!(text.contains("failurePolicy Fail"), "{text}");
        let gap = &j["coverage"]["sections"][1]["gaps"][0];
        assert_eq!(gap["cause"], cause);
        assert!(
            gap["what"]
                .as_str()
                .unwrap_or("")
                .contains("webhook strip.example.com at service hooks/strip:8443"),
            "{gap}"
        );
    }
}

#[test]
fn other_failures_of_the_dry_run_follow_their_status() {
    for (code, cause) in [(500, "serverError"), (504, "timeout"), (404, "notFound")] {
        let a = analyze(
            &facts(vec![pod("web", rejected(code, "", "<html>boom</html>"))]),
            false,
        );
        assert_eq!(a.exit_code(), EXIT_INCOMPLETE, "{code}");
        assert_eq!(
            json_of(&a)["coverage"]["sections"][1]["gaps"][0]["cause"],
            cause,
            "{code}"
        );
    }
}

#[test]
fn unlisted_webhooks_leave_attribution_open_but_the_comparison_decides() {
    let gap = Failure::Forbidden("403 Forbidden: nope".into()).gap(
        "list mutatingwebhookconfigurations",
        "list mutatingwebhookconfigurations",
    );
    let mut f = facts(vec![pod("web", admitted(unchanged()))]);
    f.webhooks = Webhooks {
        items: vec![],
        error: Some(gap),
    };
    let a = analyze(&f, false);
    assert_eq!(a.exit_code(), EXIT_OK, "the comparison itself is complete");
    let j = json_of(&a);
    let admission = &j["coverage"]["sections"][0];
    assert_eq!(admission["decisive"], false);
    assert_eq!(
        admission["gaps"][0]["permission"],
        "list mutatingwebhookconfigurations"
    );
    assert!(table_output(&a, false, false).contains(
        "admission: 1 of 2 lookups examined: list mutatingwebhookconfigurations: forbidden (needs list mutatingwebhookconfigurations)"
    ));

    f.pods = vec![pod("web", admitted(stripped()))];
    let a = analyze(&f, false);
    assert_eq!(a.exit_code(), EXIT_FINDINGS);
    let finding = &a.report.findings[0];
    assert_eq!(finding.id, "restart-policy-removed");
    assert!(
        finding.message.contains("Who did it is unknown"),
        "{}",
        finding.message
    );
    assert!(finding.message.contains("forbidden"), "{}", finding.message);
}

#[test]
fn a_live_pod_that_cannot_be_read_is_incomplete_not_a_cluster_error() {
    let mut p = pod("web", Outcome::NotRun { why: "x".into() });
    p.live = true;
    p.lineage.clear();
    p.gaps.push(Gap::forbidden(
        "get pod web in namespace ns",
        "get pods",
        "403 Forbidden",
    ));
    let a = analyze(&facts(vec![p]), false);
    assert_eq!(a.exit_code(), EXIT_INCOMPLETE);
    assert_eq!(a.report.findings[0].id, "not-compared");

    let mut p = pod(
        "solo",
        Outcome::NotRun {
            why: "no owner".into(),
        },
    );
    p.live = true;
    p.lineage.clear();
    let a = analyze(&facts(vec![p]), false);
    assert_eq!(
        a.exit_code(),
        EXIT_USAGE,
        "no known submission stays bad input"
    );
    assert_eq!(
        a.report.coverage.sections[1].line(),
        "objects: 0 of 1 objects examined: what was submitted for Deployment/solo: not found"
    );
}

#[test]
fn an_unread_owner_further_up_leaves_a_live_comparison_incomplete() {
    let mut p = pod("web", admitted(unchanged()));
    p.live = true;
    p.gaps.push(Gap::forbidden(
        "get Deployment/web (owner) in namespace ns",
        "get deployments",
        "403",
    ));
    let a = analyze(&facts(vec![p]), false);
    assert_eq!(a.exit_code(), EXIT_INCOMPLETE);
    assert_eq!(a.report.coverage.sections[1].examined, 1);
    assert!(
        a.report.objects[0]
            .notes
            .iter()
            .any(|n| n.contains("get deployments"))
    );
}

#[test]
fn blame_failures_are_admission_gaps_with_the_webhook_endpoint() {
    let mut p = pod("web", admitted(unchanged()));
    p.blame = vec![BlameStep {
        webhook: "strip.example.com".into(),
        configuration: "legacy".into(),
        result: BlameResult::Failed {
            error: "503 ServiceUnavailable: no endpoints".into(),
            cause: Cause::Unreachable,
        },
    }];
    let a = analyze(&facts(vec![p]), false);
    assert_eq!(a.exit_code(), EXIT_OK);
    let admission = &a.report.coverage.sections[0];
    assert_eq!(admission.total, Some(3));
    assert_eq!(admission.gaps[0].cause, Cause::Unreachable);
    assert!(
        admission.gaps[0].what.contains("service hooks/strip:8443"),
        "{:?}",
        admission.gaps
    );
}

#[test]
fn planted_secrets_reach_no_output_format() {
    let patch = json!([
        {"op": "replace", "path": "/spec", "value": stripped()["spec"]},
        {"op": "add", "path": "/metadata/annotations/injected.example.com~1secret", "value": SECRET}
    ]);
    let mut affected = pod("web", admitted(stripped()));
    affected.blame = vec![BlameStep {
        webhook: "strip.example.com".into(),
        configuration: "legacy".into(),
        result: BlameResult::Patched { patch },
    }];
    let invalid = pod(
        "bad",
        rejected(
            422,
            "Invalid",
            &format!(
                "Pod \"bad\" is invalid: spec.containers[0].env[0].value: Invalid value: \"{SECRET}\": too long"
            ),
        ),
    );
    for show_defaults in [false, true] {
        let a = analyze(
            &facts(vec![affected.clone(), invalid.clone()]),
            show_defaults,
        );
        assert_eq!(a.exit_code(), EXIT_FINDINGS);
        for (format, text) in outputs(&a) {
            assert!(!text.contains(SECRET), "{format} shows the secret:\n{text}");
        }
        // What changed still shows, without the values.
        let table = table_output(&a, false, false);
        assert!(table.contains("value: (redacted, changed)"), "{table}");
        assert!(table.contains("(1 item, redacted, changed)"), "{table}");
        let j = json_of(&a);
        let env = j["changes"]
            .as_array()
            .and_then(|cs| {
                cs.iter()
                    .find(|c| c["path"] == "spec.containers[name=app].env[name=TOKEN].value")
            })
            .unwrap_or_else(|| panic!("{j:#}"));
        assert_eq!(env["before"], "(redacted)");
        assert_eq!(env["after"], "(redacted, changed)");
    }
}

/// What a snapshot holds of `f`: redacted, written and read back as the file would be.
fn through_snapshot(f: &DiffFacts) -> (DiffFacts, String) {
    let saved = crate::facts::snapshot::Snapshot::<()>::new(
        Header::new(Kind::Snapshot, None, None),
        None,
        None,
    )
    .with_diff_pod(crate::kube::redact::for_snapshot(f));
    let text = crate::facts::snapshot::text(&saved).expect("encode");
    let back = crate::facts::snapshot::parse::<serde::de::IgnoredAny>(&text).expect("parse");
    (back.diff_pod.expect("the part was saved"), text)
}

fn secret_facts() -> DiffFacts {
    let patch = json!([
        {"op": "replace", "path": "/spec", "value": stripped()["spec"]},
        {"op": "add", "path": "/metadata/annotations/injected.example.com~1secret", "value": SECRET}
    ]);
    let mut affected = pod("web", admitted(stripped()));
    affected.blame = vec![BlameStep {
        webhook: "strip.example.com".into(),
        configuration: "legacy".into(),
        result: BlameResult::Patched { patch },
    }];
    // No webhook's namespaceSelector reads it: the snapshot has no use for it.
    affected.namespace_labels = Some([("team-token".to_string(), SECRET.to_string())].into());
    let quiet = pod("quiet", admitted(unchanged()));
    let invalid = pod(
        "bad",
        rejected(
            422,
            "Invalid",
            &format!(
                "Pod \"bad\" is invalid: spec.containers[0].args[0]: Invalid value: \"{SECRET}\": bad"
            ),
        ),
    );
    facts(vec![affected, quiet, invalid])
}

#[test]
fn a_snapshot_holds_no_secret_and_gives_the_live_analysis_in_every_format() {
    let live = secret_facts();
    let (saved, text) = through_snapshot(&live);
    assert!(
        !text.contains(SECRET),
        "the snapshot holds the secret:\n{text}"
    );
    for show_defaults in [false, true] {
        let a = analyze(&live, show_defaults);
        let b = analyze(&saved, show_defaults);
        assert_eq!(a.exit_code(), EXIT_FINDINGS);
        assert_eq!(a.exit_code(), b.exit_code());
        for ((format, live_text), (_, saved_text)) in outputs(&a).into_iter().zip(outputs(&b)) {
            assert_eq!(live_text, saved_text, "{format} differs from the live run");
        }
    }
}

#[test]
fn masking_instead_of_tokens_would_lose_the_changes() {
    // The planted difference: a snapshot that masked values as they are shown would hide what
    // admission changed, and the comparison above would catch it.
    let live = secret_facts();
    let mut masked = live.clone();
    for p in &mut masked.pods {
        for s in &mut p.lineage {
            s.pod = super::redact::pod(&s.pod);
        }
        if let Outcome::Admitted { pod, .. } = &mut p.outcome {
            *pod = super::redact::pod(pod);
        }
    }
    let a = json_of(&analyze(&live, false));
    let b = json_of(&analyze(&masked, false));
    assert_ne!(a["changes"], b["changes"]);
}

/// Errors that quote what was sent (a dry run refused before admission answered, a webhook call
/// that failed under --blame) lose the quoted value in every format, as the apiserver's own
/// rejections do; what failed still shows.
#[test]
fn quoted_values_in_errors_reach_no_output_format() {
    let quoted =
        format!("admission webhook \"v.example.com\" failed: Invalid value: \"{SECRET}\": no");
    let refused = pod(
        "refused",
        Outcome::NotRun {
            why: quoted.clone(),
        },
    );
    let mut failed = pod("failed", admitted(unchanged()));
    failed.blame = vec![BlameStep {
        webhook: "v.example.com".into(),
        configuration: "v".into(),
        result: BlameResult::Failed {
            error: quoted,
            cause: Cause::ServerError,
        },
    }];
    let live = facts(vec![refused, failed]);
    let a = analyze(&live, false);
    for (format, text) in outputs(&a) {
        assert!(!text.contains(SECRET), "{format} shows the secret:\n{text}");
        assert!(text.contains("v.example.com"), "{format}:\n{text}");
    }
    // Nor does a snapshot save them, and it reads back as the live run.
    let (saved, text) = through_snapshot(&live);
    assert!(!text.contains(SECRET), "the snapshot holds it:\n{text}");
    let b = analyze(&saved, false);
    for ((format, live_text), (_, saved_text)) in outputs(&a).into_iter().zip(outputs(&b)) {
        assert_eq!(live_text, saved_text, "{format} differs from the live run");
    }
}
