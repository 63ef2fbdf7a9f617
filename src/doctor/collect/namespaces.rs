//! The namespaces in scope: their labels (for the admission canary's namespaceSelector
//! matching) and injector annotations (Linkerd reads its config annotations from namespaces).

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ListParams};

use super::{PAGE, request, skip};
use crate::context::Context;
use crate::doctor::catalog::Section;
use crate::doctor::extract;
use crate::doctor::facts::DoctorFacts;

pub async fn collect(ctx: &Context, facts: &mut DoctorFacts) {
    let api: Api<Namespace> = Api::all(ctx.cluster().client.clone());
    if let (Some(ns), false) = (facts.scope.namespace.clone(), facts.scope.all_namespaces) {
        match request(ctx, api.get(&ns)).await {
            Ok(n) => facts.workloads.namespaces.push(extract::namespace(&n)),
            Err(failure) => skip(
                facts,
                Section::Injectors,
                &format!("get namespace {ns}"),
                format!(
                    "namespace {ns}'s labels and annotations (injector annotations, canary selectors)"
                ),
                &failure,
            ),
        }
        return;
    }
    let base = ListParams::default().limit(PAGE);
    let mut token: Option<String> = None;
    loop {
        let lp = match token.as_deref() {
            Some(t) => base.clone().continue_token(t),
            None => base.clone(),
        };
        match request(ctx, api.list(&lp)).await {
            Ok(page) => {
                facts
                    .workloads
                    .namespaces
                    .extend(page.items.iter().map(extract::namespace));
                token = page.metadata.continue_.filter(|t| !t.is_empty());
                if token.is_none() {
                    return;
                }
            }
            Err(failure) => {
                skip(
                    facts,
                    Section::Injectors,
                    "list namespaces",
                    "namespace labels and annotations (injector annotations, canary selectors)",
                    &failure,
                );
                return;
            }
        }
    }
}
