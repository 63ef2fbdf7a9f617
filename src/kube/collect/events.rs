//! Events that carry sidecar signatures: the kubelet's InitContainerRestartPolicyForbidden, the
//! scheduler's FailedScheduling with the gate-off message, and controllers' FailedCreate when a
//! pod with probes lost its restartPolicy. Listed by reason (a server-side field selector), so
//! the rest of the event stream is never read. Events only inform (see `coverage::EVENTS`):
//! a failed list is recorded in the events section, which never makes a run incomplete.

use k8s_openapi::api::core::v1::Event;
use kube::api::{Api, ListParams};

use super::{fail, how_far};
use crate::context::Context;
use crate::facts::doctor::DoctorFacts;
use crate::facts::workloads::OwnerFacts;
use crate::kube::access::Pages;
use crate::kube::collect::coverage::{self, EVENTS};
use crate::kube::collect::extract::{self, KUBELET_REJECTED};
use crate::kube::selector::Selector;

use std::collections::BTreeSet;

/// Events kept at most; a storm of identical events adds nothing after the first few.
const MAX_EVENTS: usize = 2_000;

pub async fn collect(ctx: &Context, facts: &mut DoctorFacts) {
    let client = ctx.cluster().client.clone();
    let (api, where_): (Api<Event>, String) = match facts.scope.namespace.as_deref() {
        Some(ns) if !facts.scope.all_namespaces => {
            (Api::namespaced(client, ns), format!("in namespace {ns}"))
        }
        _ => (Api::all(client), "in all namespaces".to_string()),
    };
    let reasons = [KUBELET_REJECTED, "FailedScheduling", "FailedCreate"];
    let mut examined = 0;
    'reasons: for reason in reasons {
        let base = ListParams::default().fields(&format!("reason={reason}"));
        let mut pages = Pages::new(&api, base, ctx.budget);
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(failure) => {
                    let permission = format!("list events {where_}");
                    let read = facts.workloads.events.len() as u64;
                    fail(
                        facts,
                        EVENTS,
                        how_far(&format!("{permission} (reason {reason})"), read),
                        &permission,
                        &failure,
                    );
                    break 'reasons;
                }
            };
            for e in &page.items {
                let e = extract::event(e);
                if extract::event_relevant(&e) && facts.workloads.events.len() < MAX_EVENTS {
                    facts.workloads.events.push(e);
                }
            }
            if page.metadata.continue_.is_none_or(|t| t.is_empty()) {
                examined += 1;
            }
        }
    }
    let section = coverage::section(&mut facts.coverage, EVENTS);
    section.examined = examined;
    section.total = Some(reasons.len() as u64);
}

/// With `-l`, only events about the pods the selector let in, or about controllers whose pod
/// template carries matching labels (a ReplicaSet that could create no pod has only those).
/// Runs once the events' controllers have been fetched.
/// The owners known before the events' controllers are fetched (with `-l`, the selected ones).
pub fn owner_keys(facts: &DoctorFacts) -> BTreeSet<(String, String, String)> {
    facts
        .workloads
        .owners
        .iter()
        .map(|o| (o.namespace.clone(), o.kind.clone(), o.name.clone()))
        .collect()
}

/// `listed` are the owners known before the events' controllers were fetched: controllers
/// fetched only for events the selector drops are dropped too, so their templates are not
/// checked either.
pub fn scope_to_selector(
    facts: &mut DoctorFacts,
    selector: Option<&Selector>,
    listed: &BTreeSet<(String, String, String)>,
) {
    let Some(selector) = selector else {
        return;
    };
    let w = &mut facts.workloads;
    let pods = &w.pods;
    let owners = &w.owners;
    w.events.retain(|e| match e.kind.as_str() {
        "Pod" => pods
            .iter()
            .any(|p| p.namespace == e.namespace && p.name == e.name),
        kind => owners.iter().any(|o| {
            o.namespace == e.namespace
                && o.kind == kind
                && o.name == e.name
                && o.template
                    .as_ref()
                    .is_some_and(|t| selector.matches(&t.labels))
        }),
    });
    // Controllers of the events kept, and their own controllers.
    let mut wanted: BTreeSet<(String, String, String)> = listed.clone();
    for e in w.events.iter().filter(|e| e.kind != "Pod") {
        wanted.extend(controllers(owners, &e.namespace, &e.kind, &e.name));
    }
    w.owners
        .retain(|o| wanted.contains(&(o.namespace.clone(), o.kind.clone(), o.name.clone())));
}

/// The fetched owner named (namespace, kind, name) and the fetched owners above it, as keys.
/// Owner references can form cycles in hand-written objects: the walk never loops.
fn controllers(
    owners: &[OwnerFacts],
    namespace: &str,
    kind: &str,
    name: &str,
) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = Vec::new();
    let mut next = (kind.to_string(), name.to_string());
    while let Some(o) = owners
        .iter()
        .find(|o| o.namespace == namespace && o.kind == next.0 && o.name == next.1)
    {
        let key = (o.namespace.clone(), o.kind.clone(), o.name.clone());
        if out.contains(&key) {
            break;
        }
        out.push(key);
        match &o.owner {
            Some(up) => next = (up.kind.clone(), up.name.clone()),
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::workloads::{EventFacts, OwnerKey, PodFacts, TemplateFacts};

    #[test]
    fn selector_keeps_events_of_selected_pods_and_matching_controllers() {
        let mut facts = DoctorFacts::default();
        facts.scope.selector = Some("app=web".into());
        facts.workloads.pods.push(PodFacts {
            namespace: "ns".into(),
            name: "web-1".into(),
            ..Default::default()
        });
        let template = |app: &str| TemplateFacts {
            labels: [("app".to_string(), app.to_string())].into(),
            ..Default::default()
        };
        for (name, app) in [("web-abc", "web"), ("db-abc", "db")] {
            facts.workloads.owners.push(OwnerFacts {
                kind: "ReplicaSet".into(),
                namespace: "ns".into(),
                name: name.into(),
                template: Some(template(app)),
                ..Default::default()
            });
        }
        let event = |kind: &str, name: &str| EventFacts {
            namespace: "ns".into(),
            kind: kind.into(),
            name: name.into(),
            ..Default::default()
        };
        facts.workloads.events = vec![
            event("Pod", "web-1"),
            event("Pod", "other"),
            event("ReplicaSet", "web-abc"),
            event("ReplicaSet", "db-abc"),
            event("ReplicaSet", "gone"),
        ];
        let listed = owner_keys(&facts);
        let web = Selector::parse("app=web").unwrap();
        scope_to_selector(&mut facts, Some(&web), &listed);
        let kept: Vec<&str> = facts
            .workloads
            .events
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(kept, ["web-1", "web-abc"]);
        // Without -l every event stays.
        facts.scope.selector = None;
        facts.workloads.events.push(event("Pod", "other"));
        scope_to_selector(&mut facts, None, &listed);
        assert_eq!(facts.workloads.events.len(), 3);
    }

    #[test]
    fn controllers_walk_up_fetched_owners_and_never_loop() {
        let owner = |kind: &str, name: &str, up: Option<(&str, &str)>| OwnerFacts {
            kind: kind.into(),
            namespace: "ns".into(),
            name: name.into(),
            owner: up.map(|(kind, name)| OwnerKey {
                kind: kind.into(),
                name: name.into(),
            }),
            ..Default::default()
        };
        let owners = vec![
            owner("ReplicaSet", "web-abc", Some(("Deployment", "web"))),
            owner("Deployment", "web", None),
            owner("Job", "a", Some(("Job", "b"))),
            owner("Job", "b", Some(("Job", "a"))),
        ];
        let names = |kind, name| -> Vec<String> {
            controllers(&owners, "ns", kind, name)
                .into_iter()
                .map(|(_, _, n)| n)
                .collect()
        };
        assert_eq!(names("ReplicaSet", "web-abc"), ["web-abc", "web"]);
        assert_eq!(names("Job", "a"), ["a", "b"]);
        assert!(names("ReplicaSet", "gone").is_empty());
        assert!(controllers(&owners, "other", "Deployment", "web").is_empty());
    }
}
