//! istiod's native-sidecar switch: the `ENABLE_NATIVE_SIDECARS` env of its Deployments (label
//! app=istiod, every revision). Read cluster-wide, falling back to istio-system when the user may
//! not list Deployments everywhere.

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, ListParams};

use super::{Failure, request, skip};
use crate::context::Context;
use crate::doctor::catalog::Section;
use crate::doctor::facts::{DoctorFacts, IstiodFacts};

const ISTIOD_SELECTOR: &str = "app=istiod";
const ISTIO_NAMESPACE: &str = "istio-system";

pub fn istiod(d: &Deployment) -> IstiodFacts {
    let containers = d
        .spec
        .template
        .spec
        .as_ref()
        .map(|s| s.containers.as_slice())
        .unwrap_or_default();
    // istiod's container is "discovery"; any container's env counts if it is named otherwise.
    let main = containers
        .iter()
        .find(|c| c.name == "discovery")
        .or_else(|| containers.first());
    IstiodFacts {
        namespace: d.metadata.namespace.clone().unwrap_or_default(),
        name: d.metadata.name.clone().unwrap_or_default(),
        revision: d
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("istio.io/rev").cloned()),
        image: main.and_then(|c| c.image.clone()),
        enable_native_sidecars: main
            .and_then(|c| c.env.as_ref())
            .and_then(|env| env.iter().find(|e| e.name == "ENABLE_NATIVE_SIDECARS"))
            .map(|e| {
                e.value
                    .clone()
                    .unwrap_or_else(|| "(from a reference)".into())
            }),
    }
}

pub async fn collect(ctx: &Context, facts: &mut DoctorFacts) {
    let client = ctx.cluster().client.clone();
    let lp = ListParams::default().labels(ISTIOD_SELECTOR).limit(100);
    let all: Api<Deployment> = Api::all(client.clone());
    let found = match request(ctx, all.list(&lp)).await {
        Ok(list) => list.items,
        Err(Failure::Forbidden(_)) => {
            let ns: Api<Deployment> = Api::namespaced(client, ISTIO_NAMESPACE);
            match request(ctx, ns.list(&lp)).await {
                Ok(list) => list.items,
                Err(failure) => {
                    skip(
                        facts,
                        Section::Injectors,
                        &format!("list deployments in namespace {ISTIO_NAMESPACE}"),
                        "istiod's ENABLE_NATIVE_SIDECARS setting",
                        &failure,
                    );
                    return;
                }
            }
        }
        Err(failure) => {
            skip(
                facts,
                Section::Injectors,
                "list deployments in all namespaces",
                "istiod's ENABLE_NATIVE_SIDECARS setting",
                &failure,
            );
            return;
        }
    };
    facts.injectors.istiod = found.iter().map(istiod).collect();
}
