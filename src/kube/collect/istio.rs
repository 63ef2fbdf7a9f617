//! istiod's native-sidecar switch: the `ENABLE_NATIVE_SIDECARS` env of its Deployments (label
//! app=istiod, every revision), reduced to what istiod makes of it. Read cluster-wide, falling
//! back to istio-system when the user may not list Deployments everywhere. One of the
//! injectors section's two sources.

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, ListParams};

use super::fail;
use crate::context::Context;
use crate::facts::doctor::{DoctorFacts, IstiodFacts};
use crate::kube::access::{Failure, Pages};
use crate::kube::collect::coverage::{self, INJECTORS};

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
            .map(|e| switch(e.value.as_deref())),
    }
}

/// What istiod makes of the env value (Go's strconv.ParseBool), never the value itself.
fn switch(value: Option<&str>) -> String {
    match value {
        None => "(from a reference)",
        Some("1" | "t" | "T" | "true" | "TRUE" | "True") => "true",
        Some("0" | "f" | "F" | "false" | "FALSE" | "False") => "false",
        Some(_) => "(not true or false)",
    }
    .to_string()
}

pub async fn collect(ctx: &Context, facts: &mut DoctorFacts) {
    let client = ctx.cluster().client.clone();
    let lp = ListParams::default().labels(ISTIOD_SELECTOR);
    let all: Api<Deployment> = Api::all(client.clone());
    let found = match Pages::new(&all, lp.clone(), ctx.budget).all().await {
        Ok(items) => Some(items),
        Err(Failure::Forbidden(_)) => {
            let ns: Api<Deployment> = Api::namespaced(client, ISTIO_NAMESPACE);
            match Pages::new(&ns, lp, ctx.budget).all().await {
                Ok(items) => Some(items),
                Err(failure) => {
                    fail(
                        facts,
                        INJECTORS,
                        "istiod deployments (ENABLE_NATIVE_SIDECARS)",
                        &format!("list deployments in namespace {ISTIO_NAMESPACE}"),
                        &failure,
                    );
                    None
                }
            }
        }
        Err(failure) => {
            fail(
                facts,
                INJECTORS,
                "istiod deployments (ENABLE_NATIVE_SIDECARS)",
                "list deployments in all namespaces",
                &failure,
            );
            None
        }
    };
    let section = coverage::section(&mut facts.coverage, INJECTORS);
    section.total = Some(section.total.unwrap_or(0) + 1);
    section.examined += u64::from(found.is_some());
    facts.injectors.istiod = found.unwrap_or_default().iter().map(istiod).collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_is_kept_as_istiod_reads_it_never_as_written() {
        assert_eq!(switch(Some("1")), "true");
        assert_eq!(switch(Some("False")), "false");
        assert_eq!(switch(Some("s3cret-ish")), "(not true or false)");
        assert_eq!(switch(None), "(from a reference)");
    }
}
