//! Events that carry sidecar signatures: the kubelet's InitContainerRestartPolicyForbidden, the
//! scheduler's FailedScheduling with the gate-off message, and controllers' FailedCreate when a
//! pod with probes lost its restartPolicy. Listed by reason (a server-side field selector), so
//! the rest of the event stream is never read.

use k8s_openapi::api::core::v1::Event;
use kube::api::{Api, ListParams};

use super::{PAGE, request, skip};
use crate::context::Context;
use crate::doctor::catalog::Section;
use crate::doctor::extract::{self, KUBELET_REJECTED};
use crate::doctor::facts::DoctorFacts;

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
    for reason in [KUBELET_REJECTED, "FailedScheduling", "FailedCreate"] {
        let base = ListParams::default()
            .limit(PAGE)
            .fields(&format!("reason={reason}"));
        let mut token: Option<String> = None;
        loop {
            let lp = match token.as_deref() {
                Some(t) => base.clone().continue_token(t),
                None => base.clone(),
            };
            let page = match request(ctx, api.list(&lp)).await {
                Ok(page) => page,
                Err(failure) => {
                    skip(
                        facts,
                        Section::Workloads,
                        &format!("list events {where_}"),
                        "events (scheduler and kubelet rejections, failed pod creations)",
                        &failure,
                    );
                    return;
                }
            };
            for e in &page.items {
                let e = extract::event(e);
                if extract::event_relevant(&e)
                    && facts.workloads.events.len() < MAX_EVENTS
                    && in_selector_scope(facts, &e.namespace, &e.kind, &e.name)
                {
                    facts.workloads.events.push(e);
                }
            }
            token = page.metadata.continue_.filter(|t| !t.is_empty());
            if token.is_none() {
                break;
            }
        }
    }
}

/// With `-l`, only events about the pods and owners that the selector let in.
fn in_selector_scope(facts: &DoctorFacts, namespace: &str, kind: &str, name: &str) -> bool {
    if facts.scope.selector.is_none() {
        return true;
    }
    let w = &facts.workloads;
    match kind {
        "Pod" => w
            .pods
            .iter()
            .any(|p| p.namespace == namespace && p.name == name),
        _ => w
            .owners
            .iter()
            .any(|o| o.namespace == namespace && o.kind == kind && o.name == name),
    }
}
