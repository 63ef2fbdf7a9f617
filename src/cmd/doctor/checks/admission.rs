//! Admission checks: the dry-run canaries (did `restartPolicy` survive in this namespace?) and
//! the mutating webhooks that intercept pod creation.

use std::collections::BTreeMap;

use super::{Input, list_some};
use crate::checks::finding::{Finding, ObjectRef};
use crate::facts::doctor::{CanaryFacts, CanaryOutcome, WebhookFacts};

fn webhook_object(w: &WebhookFacts) -> ObjectRef {
    ObjectRef::cluster("MutatingWebhook", &w.name)
}

fn configuration_line(w: &WebhookFacts) -> String {
    format!(
        "in MutatingWebhookConfiguration {}, calling {}",
        w.configuration,
        w.target.as_deref().unwrap_or("(no client config)")
    )
}

/// The canary's app container lost its `restartPolicyRules` (a webhook on k8s.io/api
/// v0.28-v0.33 keeps `restartPolicy` and drops them). Sent only where workloads declare rules.
fn rules_dropped(canary: &CanaryFacts, by_name: &BTreeMap<&str, &WebhookFacts>) -> Finding {
    let mut f = Finding::new(
        "webhook-drops-restart-rules",
        ObjectRef::cluster("Namespace", &canary.namespace),
        format!(
            "a dry-run pod whose container declares restartPolicyRules came back without them in namespace {}, where workloads declare them: pods created here lose their restart rules",
            canary.namespace
        ),
    );
    if canary.candidates.is_empty() {
        return f.evidence("no mutating webhook matches the canary by its rules and selectors");
    }
    f = f.evidence(format!(
        "candidate webhooks, in call order: {}",
        canary.candidates.join(", ")
    ));
    for name in &canary.candidates {
        if let Some(w) = by_name.get(name.as_str()) {
            f = f.evidence(format!("{name}: {}", configuration_line(w)));
        }
    }
    f.fix(format!(
        "Upgrade {} to a release built on k8s.io/api v0.34 or later, or keep these pods out of its selectors; `kubectl sidecar diff-pod -n {} -f <manifest> --blame` names it by its own patch.",
        canary.candidates.join(" or "),
        canary.namespace
    ))
}

/// Webhooks whose side effects make the apiserver refuse dry runs that reach them.
fn blocks_dry_run(w: &WebhookFacts) -> bool {
    !matches!(
        w.side_effects.as_deref(),
        Some("None") | Some("NoneOnDryRun") | None
    )
}

pub fn check(input: &Input<'_>) -> Vec<Finding> {
    let admission = &input.facts.admission;
    let mut out = Vec::new();
    let by_name: BTreeMap<&str, &WebhookFacts> = admission
        .webhooks
        .iter()
        .map(|w| (w.name.as_str(), w))
        .collect();
    // Namespaces where a webhook refused a dry run, per webhook.
    let mut refused: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for canary in &admission.canaries {
        let ns_object = ObjectRef::cluster("Namespace", &canary.namespace);
        let labelled = canary
            .labelled_like
            .as_deref()
            .map(|w| format!(" (labelled like {w})"))
            .unwrap_or_default();
        match canary.outcome {
            CanaryOutcome::Kept => {}
            CanaryOutcome::Stripped => {
                let mut f = Finding::new(
                    "admission-strips-restartpolicy",
                    ns_object,
                    format!(
                        "a dry-run pod with a native sidecar{labelled} lost restartPolicy: Always in namespace {}",
                        canary.namespace
                    ),
                );
                if input.apiserver_strips() {
                    f = f.evidence("the apiserver itself drops the field (see Control plane)");
                }
                if canary.candidates.is_empty() {
                    f = f.evidence(
                        "no mutating webhook matches the canary by its rules and selectors",
                    );
                } else {
                    f = f.evidence(format!(
                        "candidate webhooks, in call order: {}",
                        canary.candidates.join(", ")
                    ));
                    for name in &canary.candidates {
                        if let Some(known) = by_name
                            .get(name.as_str())
                            .and_then(|w| w.known_stripper.as_deref())
                        {
                            f = f.evidence(format!(
                                "{name} is publicly reported to strip it: {known}"
                            ));
                        }
                    }
                    f = f.fix(format!(
                        "Upgrade or exclude the stripping webhook among {}; `kubectl sidecar diff-pod -n {} -f <manifest> --blame` names it by its own patch.",
                        canary.candidates.join(", "),
                        canary.namespace
                    ));
                }
                if let Some(detail) = canary.detail.as_deref() {
                    f = f.evidence(detail.to_string());
                }
                out.push(f);
            }
            CanaryOutcome::DryRunUnsupported => {
                let name = canary.webhook.as_deref().unwrap_or("(unnamed webhook)");
                refused
                    .entry(name.to_string())
                    .or_default()
                    .push(&canary.namespace);
            }
            // Coverage names these (collect::admission::canary_coverage): not findings.
            CanaryOutcome::Forbidden | CanaryOutcome::Rejected | CanaryOutcome::Failed => {}
        }
    }
    for canary in &admission.canaries {
        if canary.restart_rules_kept == Some(false) {
            out.push(rules_dropped(canary, &by_name));
        }
    }
    for w in &admission.webhooks {
        let seen_refusing = refused.remove(&w.name);
        if blocks_dry_run(w) || seen_refusing.is_some() {
            let mut f = Finding::new(
                "webhook-blocks-dry-run",
                webhook_object(w),
                format!(
                    "{} does not support dry run (sideEffects: {}): dry-run creates of pods it matches fail",
                    w.name,
                    w.side_effects.as_deref().unwrap_or("unknown")
                ),
            )
            .evidence(configuration_line(w))
            .evidence(format!("rules: {}", w.rules.join("; ")));
            if let Some(namespaces) = seen_refusing {
                f = f.evidence(format!(
                    "refused the canary in namespace(s) {}",
                    list_some(&namespaces, 6)
                ));
            }
            out.push(f);
        }
        if let Some(known) = w.known_stripper.as_deref() {
            out.push(
                Finding::new(
                    "webhook-known-stripper",
                    webhook_object(w),
                    format!("{} matches a webhook publicly reported to strip restartPolicy", w.name),
                )
                .evidence(known.to_string())
                .evidence(configuration_line(w))
                .evidence(format!(
                    "failurePolicy {}, reinvocationPolicy {}, namespaceSelector {}, objectSelector {}",
                    w.failure_policy.as_deref().unwrap_or("Fail"),
                    w.reinvocation_policy.as_deref().unwrap_or("Never"),
                    w.namespace_selector.as_deref().unwrap_or("(all)"),
                    w.object_selector.as_deref().unwrap_or("(all)")
                )),
            );
        }
    }
    // A refusal by a webhook not in the list (the list may be forbidden to read).
    for (name, namespaces) in refused {
        out.push(
            Finding::new(
                "webhook-blocks-dry-run",
                ObjectRef::cluster("MutatingWebhook", &name),
                format!("{name} does not support dry run"),
            )
            .evidence(format!(
                "refused the canary in namespace(s) {}",
                list_some(&namespaces, 6)
            )),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::doctor::{CanaryFacts, DoctorFacts};

    fn canary(ns: &str, outcome: CanaryOutcome, candidates: &[&str]) -> CanaryFacts {
        CanaryFacts {
            namespace: ns.into(),
            labels: Default::default(),
            labelled_like: Some("deployment/web".into()),
            outcome,
            candidates: candidates.iter().map(|s| s.to_string()).collect(),
            webhook: None,
            detail: None,
            restart_rules_kept: None,
        }
    }

    fn webhook(name: &str, side_effects: &str, known: Option<&str>) -> WebhookFacts {
        WebhookFacts {
            configuration: format!("{name}-cfg"),
            name: name.into(),
            side_effects: Some(side_effects.into()),
            rules: vec!["CREATE pods".into()],
            known_stripper: known.map(Into::into),
            ..Default::default()
        }
    }

    #[test]
    fn canaries_and_webhooks() {
        let mut facts = DoctorFacts::default();
        facts.admission.webhooks = vec![
            webhook(
                "legacy.example.com",
                "None",
                Some("gtoken (gtoken.doit-intl.com)"),
            ),
            webhook("audit.example.com", "Some", None),
            webhook("fine.example.com", "NoneOnDryRun", None),
        ];
        let mut refused = canary("batch", CanaryOutcome::DryRunUnsupported, &[]);
        refused.webhook = Some("audit.example.com".into());
        facts.admission.canaries = vec![
            canary("legacy", CanaryOutcome::Stripped, &["legacy.example.com"]),
            canary("clean", CanaryOutcome::Kept, &["fine.example.com"]),
            refused,
            canary("locked", CanaryOutcome::Forbidden, &[]),
        ];
        let mut ruled = canary("retry", CanaryOutcome::Kept, &["v032.example.com"]);
        ruled.restart_rules_kept = Some(false);
        let mut fine = canary("retry-ok", CanaryOutcome::Kept, &[]);
        fine.restart_rules_kept = Some(true);
        facts.admission.canaries.extend([ruled, fine]);
        let found = check(&Input::new(&facts));
        let rules: Vec<&Finding> = found
            .iter()
            .filter(|f| f.id == "webhook-drops-restart-rules")
            .collect();
        assert_eq!(rules.len(), 1, "{found:?}");
        assert_eq!(rules[0].object.name, "retry");
        assert!(
            rules[0].fix.contains("v032.example.com"),
            "{}",
            rules[0].fix
        );
        let ids: Vec<(&str, &str)> = found
            .iter()
            .map(|f| (f.id.as_str(), f.object.name.as_str()))
            .collect();
        assert!(ids.contains(&("admission-strips-restartpolicy", "legacy")));
        assert!(ids.contains(&("webhook-known-stripper", "legacy.example.com")));
        assert!(ids.contains(&("webhook-blocks-dry-run", "audit.example.com")));
        assert!(
            !ids.iter().any(|(_, n)| *n == "locked"),
            "a refused canary is a coverage gap, not a finding: {ids:?}"
        );
        assert!(
            !ids.iter()
                .any(|(_, n)| *n == "clean" || n.starts_with("fine"))
        );
        let strip = found
            .iter()
            .find(|f| f.id == "admission-strips-restartpolicy")
            .unwrap();
        assert!(
            strip
                .evidence
                .iter()
                .any(|e| e.contains("publicly reported"))
        );
        let blocks = found
            .iter()
            .find(|f| f.id == "webhook-blocks-dry-run")
            .unwrap();
        assert!(blocks.evidence.iter().any(|e| e.contains("batch")));
    }
}
