//! `sidecar-stripped`: a declared `restartPolicy: Always` missing where it should have arrived
//! (the pod, the stored template, a create a controller could not make), with the cause the
//! cluster facts give: the apiserver, or the namespace's stripping canary.

use super::hits::{Hits, Seen};
use crate::checks::finding::{Finding, ObjectRef};
use crate::cmd::doctor::checks::Input;
use crate::facts::doctor::CanaryOutcome;
use crate::facts::workloads::{PodFacts, PodSpecFacts};

/// What a cluster fact says about who strips `restartPolicy` in a namespace.
fn strip_cause(input: &Input<'_>, namespace: &str) -> (Option<String>, Option<String>) {
    if input.apiserver_strips() {
        return (
            Some("the apiserver drops the field: its SidecarContainers gate is off or it is older than 1.28 (see Control plane)".into()),
            Some("Enable SidecarContainers on kube-apiserver (or upgrade it), then recreate the pods.".into()),
        );
    }
    let canary = input
        .facts
        .admission
        .canaries
        .iter()
        .find(|c| c.namespace == namespace && c.outcome == CanaryOutcome::Stripped);
    if let Some(canary) = canary {
        let names = if canary.candidates.is_empty() {
            "none matched by rules and selectors".to_string()
        } else {
            canary.candidates.join(", ")
        };
        return (
            Some(format!(
                "admission strips restartPolicy in namespace {namespace}: candidate webhooks {names}"
            )),
            Some(format!(
                "Upgrade or exclude the stripping webhook ({names}); `kubectl sidecar diff-pod -n {namespace} <pod> --blame` names it. Then recreate the pods."
            )),
        );
    }
    (None, None)
}

/// The `sidecar-stripped` finding on a pod or a create that lost the field: what declared it and
/// what was seen, then the cause (from the cluster facts, else `kept` when the template is known
/// to have kept the field) and its fix (else `otherwise`).
pub(super) fn stripped(
    input: &Input<'_>,
    namespace: &str,
    on: ObjectRef,
    message: String,
    evidence: [String; 2],
    kept: Option<&str>,
    otherwise: String,
) -> Finding {
    let (cause, fix) = strip_cause(input, namespace);
    let mut f = Finding::new("sidecar-stripped", on, message).evidence_all(evidence);
    if let Some(cause) = cause.or_else(|| kept.map(str::to_string)) {
        f = f.evidence(cause);
    }
    f.fix(fix.unwrap_or(otherwise))
}

fn recreate_hint(object: &ObjectRef) -> String {
    match object.kind.as_str() {
        "Deployment" | "StatefulSet" | "DaemonSet" => format!(
            "kubectl rollout restart -n {} {}/{}",
            object.namespace.as_deref().unwrap_or("default"),
            object.kind.to_lowercase(),
            object.name
        ),
        _ => "delete and recreate the pods".to_string(),
    }
}

pub(super) fn stripped_pod(
    input: &Input<'_>,
    pod: &PodFacts,
    object: &ObjectRef,
    submitted: &[(String, &PodSpecFacts)],
    seen: &Seen,
    hits: &mut Hits,
) {
    for (source, spec) in submitted {
        for declared in spec.init_containers.iter().filter(|c| c.is_restartable()) {
            let Some(actual) = pod
                .spec
                .init_containers
                .iter()
                .find(|c| c.name == declared.name)
            else {
                continue;
            };
            if actual.is_restartable() {
                continue;
            }
            // The stored template kept the field, so it was removed when the pod was created.
            let kept = source.ends_with("'s template").then_some(
                "the stored template kept the field, so it was removed when the pod was created: a mutating webhook (see Admission)",
            );
            let f = stripped(
                input,
                &pod.namespace,
                object.clone().with_container(&declared.name),
                format!(
                    "restartPolicy: Always was removed from init container {}: it runs as a classic init container and the pod cannot finish initializing",
                    declared.name
                ),
                [
                    format!(
                        "{source} declares restartPolicy: Always on {}",
                        declared.name
                    ),
                    format!("pod {}: {} has no restartPolicy", seen.pod, declared.name),
                ],
                kept,
                format!(
                    "Find who strips it (`kubectl sidecar diff-pod -n {} {} --blame`), fix that, then {}.",
                    pod.namespace,
                    pod.name,
                    recreate_hint(object)
                ),
            );
            hits.add(f, Some(seen));
        }
    }
}

pub(super) fn stripped_template(
    input: &Input<'_>,
    object: &ObjectRef,
    last_applied: &PodSpecFacts,
    template: &PodSpecFacts,
    hits: &mut Hits,
) {
    for declared in last_applied
        .init_containers
        .iter()
        .filter(|c| c.is_restartable())
    {
        let Some(stored) = template
            .init_containers
            .iter()
            .find(|c| c.name == declared.name)
        else {
            continue;
        };
        if stored.is_restartable() {
            continue;
        }
        let mut f = Finding::new(
            "sidecar-stripped",
            object.clone().with_container(&declared.name),
            format!(
                "the stored template lost restartPolicy: Always on init container {}: every pod it creates runs it as a classic init container",
                declared.name
            ),
        )
        .evidence(format!(
            "the last-applied configuration declares restartPolicy: Always on {}; the stored template has none",
            declared.name
        ))
        .evidence(
            "templates are not sent to pod webhooks, so the apiserver itself dropped the field (SidecarContainers off, or older than 1.28)",
        );
        if input.apiserver_strips() {
            f = f.evidence(
                "confirmed: the apiserver's gate is off or it is too old (see Control plane)",
            );
        }
        hits.add(
            f.fix("Enable SidecarContainers on kube-apiserver (or upgrade it), then re-apply the manifest so the template gets the field back."),
            None,
        );
    }
}
