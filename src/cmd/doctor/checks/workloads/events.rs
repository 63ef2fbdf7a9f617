//! Events of pods that could not be created, scheduled or admitted by a kubelet: the only trace
//! of a workload whose controller could create no pod.

use std::collections::BTreeMap;

use super::hits::Hits;
use super::live::{first_sidecar, with_optional_container};
use super::stripped;
use crate::checks::finding::{Finding, ObjectRef};
use crate::cmd::doctor::checks::Input;
use crate::facts::workloads::{EventFacts, PodFacts};
use crate::kube::collect::extract::{KUBELET_REJECTED, PROBE_FORBIDDEN, SCHEDULER_GATE_OFF};

/// `spec.initContainers[2].startupProbe: Forbidden...` -> [2].
pub(super) fn init_indices(message: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for part in message.split("initContainers[").skip(1) {
        if let Some(end) = part.find(']')
            && let Ok(i) = part[..end].parse::<usize>()
            && !out.contains(&i)
        {
            out.push(i);
        }
    }
    out
}

pub(super) fn from_event(
    input: &Input<'_>,
    event: &EventFacts,
    pods: &BTreeMap<(&str, &str), &PodFacts>,
    hits: &mut Hits,
) {
    let message = event.message.to_lowercase();
    let evidence = format!(
        "event {} on {}/{}{}: {}",
        event.reason,
        event.kind.to_lowercase(),
        event.name,
        if event.count > 1 {
            format!(" (x{})", event.count)
        } else {
            String::new()
        },
        event.message
    );
    let pod = pods
        .get(&(event.namespace.as_str(), event.name.as_str()))
        .copied();
    let pod_object = || match pod {
        Some(p) => with_optional_container(&input.owners.top_object(p), first_sidecar(&p.spec)),
        None => ObjectRef::new("Pod", Some(&event.namespace), &event.name),
    };
    if event.kind == "Pod" && event.reason == KUBELET_REJECTED {
        hits.add(
            Finding::new(
                "sidecar-rejected-by-kubelet",
                pod_object(),
                "the kubelet rejected the pod: its SidecarContainers gate is off",
            )
            .evidence(evidence),
            None,
        );
        return;
    }
    if event.kind == "Pod"
        && event.reason == "FailedScheduling"
        && message.contains(SCHEDULER_GATE_OFF)
    {
        hits.add(
            Finding::new(
                "sidecar-unschedulable-gate-off",
                pod_object(),
                "the scheduler refuses the pod: its SidecarContainers gate is off",
            )
            .evidence(evidence),
            None,
        );
        return;
    }
    if event.reason != "FailedCreate" || !message.contains(&PROBE_FORBIDDEN.to_lowercase()) {
        return;
    }
    let key = crate::facts::workloads::OwnerKey {
        kind: event.kind.clone(),
        name: event.name.clone(),
    };
    let owner = input.owners.get(&event.namespace, &key);
    let object = match owner {
        Some(o) => input.owners.top_object_of(o),
        None => ObjectRef::new(&event.kind, Some(&event.namespace), &event.name),
    };
    let template = owner.and_then(|o| o.template.as_ref()).map(|t| &t.spec);
    let indices = init_indices(&event.message);
    for i in indices {
        let declared = template.and_then(|t| t.init_containers.get(i));
        match declared {
            Some(c) if c.is_restartable() => {
                let f = stripped::stripped(
                    input,
                    &event.namespace,
                    object.clone().with_container(&c.name),
                    format!(
                        "no pod can be created: {} loses restartPolicy: Always during admission and its probes are then rejected",
                        c.name
                    ),
                    [
                        format!(
                            "the template declares restartPolicy: Always on initContainers[{i}] ({})",
                            c.name
                        ),
                        evidence.clone(),
                    ],
                    Some(
                        "the template kept the field, so a mutating webhook removed it from the pod (see Admission)",
                    ),
                    format!(
                        "Find the webhook that strips it (`kubectl sidecar diff-pod -n {} -f <manifest> --blame`), upgrade or exclude it; the controller retries on its own.",
                        event.namespace
                    ),
                );
                hits.add(f, None);
            }
            other => {
                let object = match other {
                    Some(c) => object.clone().with_container(&c.name),
                    None => object.clone(),
                };
                let mut f = Finding::new(
                    "probe-on-classic-init",
                    object,
                    format!("pods cannot be created: initContainers[{i}] has probes or lifecycle hooks but no restartPolicy: Always"),
                )
                .evidence(evidence.clone());
                if template.is_none() {
                    f = f.evidence("the owner's template was not available: if it declares restartPolicy: Always, something strips it (see sidecar-stripped)");
                }
                hits.add(f, None);
            }
        }
    }
}
