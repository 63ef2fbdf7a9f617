//! Workload checks: live pods (what the kubelet and scheduler wrote), owners' templates (what
//! was declared), and the events of controllers that could not create pods.
//!
//! Pod-level findings are reported on the object a person edits (the Deployment, the CronJob),
//! one finding per (check, object, container), with the pods it was seen on as evidence
//! (`hits`). The checks, by what they read: `live` (pod status), `spec` (declared specs),
//! `stripped` (restartPolicy lost between declaration and pod), `events` (controllers' and
//! kubelets' events).

mod events;
mod hits;
mod live;
mod spec;
mod stripped;

use std::collections::{BTreeMap, BTreeSet};

use super::{Input, is_job_kind, submitted_specs};
use crate::checks::finding::{Finding, ObjectRef};
use crate::facts::workloads::{ContainerFacts, PodFacts, PodSpecFacts};
use hits::{Hits, Seen};
use spec::{Declared, static_spec};

pub fn check(input: &Input<'_>) -> Vec<Finding> {
    let mut hits = Hits::default();
    for pod in &input.facts.workloads.pods {
        let object = input.owners.top_object(pod);
        let seen = Seen {
            pod: format!("{}/{}", pod.namespace, pod.name),
            weight: 1 + pod.similar,
        };
        let submitted = submitted_specs(input, pod);
        stripped::stripped_pod(input, pod, &object, &submitted, &seen, &mut hits);
        live::run_as_init(input, pod, &object, &submitted, &seen, &mut hits);
        live::on_unsupported_node(input, pod, &object, &seen, &mut hits);
        live::rejected_by_kubelet(pod, &object, &seen, &mut hits);
        live::unschedulable(pod, &object, &seen, &mut hits);
        live::blocks_job(pod, &object, &seen, &mut hits);
        live::start_race_live(pod, &object, &seen, &mut hits);
        // The declared spec is checked on the owner's template; on the pod only what the
        // template lacks (containers injected at admission), or everything for bare pods.
        let template = pod
            .owner
            .as_ref()
            .and_then(|k| input.owners.get(&pod.namespace, k))
            .and_then(|o| o.template.as_ref());
        let injected: Option<BTreeSet<&str>> = template.map(|t| {
            all_containers(&pod.spec)
                .filter(|c| !all_containers(&t.spec).any(|tc| tc.name == c.name))
                .map(|c| c.name.as_str())
                .collect()
        });
        if injected.as_ref().is_none_or(|set| !set.is_empty()) {
            let is_job = pod.owner.as_ref().is_some_and(|o| is_job_kind(&o.kind));
            static_spec(
                &pod.spec,
                &Declared {
                    object: &object,
                    source: format!("pod {}", seen.pod),
                    is_job,
                    only: injected.as_ref(),
                    elsewhere: &submitted,
                    apiserver: input.apiserver,
                },
                Some(&seen),
                &mut hits,
            );
        }
    }
    for owner in input.owners.tops() {
        let Some(template) = owner.template.as_ref() else {
            continue;
        };
        let object = ObjectRef::new(&owner.kind, Some(&owner.namespace), &owner.name);
        let source = format!("{}/{}'s template", owner.kind.to_lowercase(), owner.name);
        let elsewhere: Vec<(String, &PodSpecFacts)> = owner
            .last_applied
            .iter()
            .map(|la| {
                (
                    format!(
                        "{}/{}'s last-applied configuration",
                        owner.kind.to_lowercase(),
                        owner.name
                    ),
                    la,
                )
            })
            .collect();
        static_spec(
            &template.spec,
            &Declared {
                object: &object,
                source,
                is_job: is_job_kind(&owner.kind),
                only: None,
                elsewhere: &elsewhere,
                apiserver: input.apiserver,
            },
            None,
            &mut hits,
        );
        if let Some(la) = owner.last_applied.as_ref() {
            stripped::stripped_template(input, &object, la, &template.spec, &mut hits);
        }
    }
    let pods: BTreeMap<(&str, &str), &PodFacts> = input
        .facts
        .workloads
        .pods
        .iter()
        .map(|p| ((p.namespace.as_str(), p.name.as_str()), p))
        .collect();
    for event in &input.facts.workloads.events {
        events::from_event(input, event, &pods, &mut hits);
    }
    hits.finish()
}

fn all_containers(spec: &PodSpecFacts) -> impl Iterator<Item = &ContainerFacts> {
    spec.init_containers.iter().chain(spec.containers.iter())
}

#[cfg(test)]
mod tests;
