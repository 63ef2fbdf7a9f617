//! The namespaces in scope: their labels (for the admission canary's namespaceSelector
//! matching) and injector annotations (Linkerd reads its config annotations from namespaces).
//! One of the injectors section's two sources.

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ListParams};

use super::{fail, how_far};
use crate::context::Context;
use crate::facts::doctor::DoctorFacts;
use crate::kube::access::Pages;
use crate::kube::collect::coverage::{self, INJECTORS};
use crate::kube::collect::extract;

pub async fn collect(ctx: &Context, facts: &mut DoctorFacts) {
    let api: Api<Namespace> = Api::all(ctx.cluster().client.clone());
    let read =
        if let (Some(ns), false) = (facts.scope.namespace.clone(), facts.scope.all_namespaces) {
            match ctx.budget.run(api.get(&ns)).await {
                Ok(n) => {
                    facts.workloads.namespaces.push(extract::namespace(&n));
                    true
                }
                Err(failure) => {
                    fail(
                        facts,
                        INJECTORS,
                        format!("get namespace {ns} (injector annotations, canary selectors)"),
                        &format!("get namespaces/{ns}"),
                        &failure,
                    );
                    false
                }
            }
        } else {
            list_all(ctx, &api, facts).await
        };
    let section = coverage::section(&mut facts.coverage, INJECTORS);
    section.total = Some(section.total.unwrap_or(0) + 1);
    section.examined += u64::from(read);
}

async fn list_all(ctx: &Context, api: &Api<Namespace>, facts: &mut DoctorFacts) -> bool {
    let mut pages = Pages::new(api, ListParams::default(), ctx.budget);
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => {
                facts
                    .workloads
                    .namespaces
                    .extend(page.items.iter().map(extract::namespace));
            }
            Err(failure) => {
                let read = facts.workloads.namespaces.len() as u64;
                fail(
                    facts,
                    INJECTORS,
                    how_far(
                        "list namespaces (injector annotations, canary selectors)",
                        read,
                    ),
                    "list namespaces",
                    &failure,
                );
                return false;
            }
        }
    }
    true
}
