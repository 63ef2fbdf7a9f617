//! Injector checks: Istio's and Linkerd's native-sidecar switches, compared with what the nodes
//! support, and misspellings of those switches (which the injectors silently ignore).

use std::collections::BTreeMap;

use super::{Input, list_some};
use crate::checks::cluster::verdict::Verdict;
use crate::checks::finding::{Finding, ObjectRef};
use crate::cmd::doctor::cluster::NodeSummary;
use crate::facts::workloads::PodFacts;
use crate::kube::injectors::{Mesh, Switch, parse_bool, switch};
use crate::kube::{version, versions};

pub use crate::kube::injectors::{ISTIO_NATIVE, LINKERD_NATIVE};
pub const ISTIO_PROXY: &str = "istio-proxy";

/// What is wrong with an annotation that looks like a native-sidecar switch, and the id.
pub fn annotation_problem(key: &str, value: &str) -> Option<(&'static str, String)> {
    let id = |mesh| match mesh {
        Mesh::Istio => "istio-annotation-typo",
        Mesh::Linkerd => "linkerd-annotation-typo",
    };
    match switch(key)? {
        Switch::Exact(mesh) => parse_bool(value).is_none().then(|| {
            (
                id(mesh),
                format!("{key}: {value:?} is not true or false, so it is ignored"),
            )
        }),
        Switch::NearMiss(Mesh::Linkerd) => Some((
            id(Mesh::Linkerd),
            format!(
                "{key} is not an annotation Linkerd knows; did you mean {}?",
                LINKERD_NATIVE[0]
            ),
        )),
        Switch::NearMiss(Mesh::Istio) => Some((
            id(Mesh::Istio),
            format!("{key} is not an annotation Istio knows; did you mean {ISTIO_NATIVE}?"),
        )),
    }
}

#[derive(Default)]
struct Collected {
    order: Vec<(String, ObjectRef)>,
    by_key: BTreeMap<(String, ObjectRef), Finding>,
}

impl Collected {
    fn add(&mut self, f: Finding) {
        let key = (f.id.clone(), f.object.clone());
        match self.by_key.get_mut(&key) {
            Some(existing) => {
                for line in f.evidence {
                    if !existing.evidence.contains(&line) && existing.evidence.len() < 10 {
                        existing.evidence.push(line);
                    }
                }
            }
            None => {
                self.order.push(key.clone());
                self.by_key.insert(key, f);
            }
        }
    }

    fn finish(mut self) -> Vec<Finding> {
        self.order
            .iter()
            .filter_map(|k| self.by_key.remove(k))
            .collect()
    }
}

fn typos(
    annotations: &BTreeMap<String, String>,
    object: &ObjectRef,
    where_: &str,
    out: &mut Collected,
) {
    for (key, value) in annotations {
        if let Some((id, message)) = annotation_problem(key, value) {
            out.add(
                Finding::new(id, object.clone(), message)
                    .evidence(format!("{where_}: {key}: {value:?}")),
            );
        }
    }
}

fn istio_asks_native(annotations: &BTreeMap<String, String>) -> Option<bool> {
    annotations.get(ISTIO_NATIVE).and_then(|v| parse_bool(v))
}

fn injected_classic(pod: &PodFacts) -> bool {
    pod.spec.containers.iter().any(|c| c.name == ISTIO_PROXY)
}

pub fn check(input: &Input<'_>) -> Vec<Finding> {
    let mut out = Collected::default();
    let nodes = &input.cluster.nodes;
    let lacking: Vec<&NodeSummary> = nodes
        .iter()
        .filter(|n| n.verdict == Verdict::Unsupported)
        .collect();
    let below_33: Vec<&NodeSummary> = nodes
        .iter()
        .filter(|n| {
            n.kubelet_version
                .as_deref()
                .and_then(version::parse)
                .is_some_and(|v| !versions::istio_native_kubelet(v))
        })
        .collect();
    let names = |ns: &[&NodeSummary]| {
        list_some(
            &ns.iter()
                .map(|n| {
                    format!(
                        "{} ({})",
                        n.name,
                        n.kubelet_version.as_deref().unwrap_or("?")
                    )
                })
                .collect::<Vec<_>>(),
            6,
        )
    };
    let classic_pods = input
        .facts
        .workloads
        .pods
        .iter()
        .filter(|p| injected_classic(p))
        .map(|p| 1 + p.similar as usize)
        .sum::<usize>();
    for istiod in &input.facts.injectors.istiod {
        let Some(raw) = istiod.enable_native_sidecars.as_deref() else {
            continue;
        };
        if parse_bool(raw) != Some(true) {
            continue;
        }
        let object = ObjectRef::new("Deployment", Some(&istiod.namespace), &istiod.name);
        let env = format!(
            "{}/{}: ENABLE_NATIVE_SIDECARS={raw}",
            istiod.namespace, istiod.name
        );
        if !lacking.is_empty() {
            out.add(
                Finding::new(
                    "istio-native-mismatch",
                    object.clone(),
                    format!(
                        "istiod asks for native sidecars but {} node(s) cannot run them",
                        lacking.len()
                    ),
                )
                .evidence(env.clone())
                .evidence(format!("nodes that cannot: {}", names(&lacking))),
            );
        } else if !below_33.is_empty() {
            let mut f = Finding::new(
                "istio-native-mismatch",
                object.clone(),
                format!(
                    "istiod asks for native sidecars, but {} kubelet(s) are older than 1.33: releases with auto-detection (istio#56428) then inject classic sidecars",
                    below_33.len()
                ),
            )
            .evidence(env.clone())
            .evidence(format!("kubelets older than 1.33: {}", names(&below_33)));
            if classic_pods > 0 {
                f = f.evidence(format!(
                    "{classic_pods} pod(s) have a classic istio-proxy container"
                ));
            }
            out.add(f);
        }
    }
    for pod in &input.facts.workloads.pods {
        let object = input.owners.top_object(pod);
        let template_annotations = pod
            .owner
            .as_ref()
            .and_then(|k| input.owners.get(&pod.namespace, k))
            .and_then(|o| o.template.as_ref())
            .map(|t| &t.annotations);
        let asks = istio_asks_native(&pod.annotations)
            .or_else(|| template_annotations.and_then(istio_asks_native));
        if asks == Some(true) && injected_classic(pod) {
            let mut f = Finding::new(
                "istio-native-mismatch",
                object.clone().with_container(ISTIO_PROXY),
                format!("asks for a native Istio sidecar ({ISTIO_NATIVE}: true) but got a classic istio-proxy container"),
            )
            .evidence(format!("pod {}/{}: istio-proxy is in containers, not initContainers", pod.namespace, pod.name));
            if let Some(node) = pod.node.as_deref().and_then(|n| input.node(n)) {
                f = f.evidence(format!(
                    "its node {}: kubelet {}, {}",
                    node.name,
                    node.kubelet_version.as_deref().unwrap_or("?"),
                    node.verdict
                ));
            }
            if !below_33.is_empty() {
                f = f.evidence(format!(
                    "{} kubelet(s) are older than 1.33, which makes istiod fall back to classic sidecars",
                    below_33.len()
                ));
            }
            out.add(f);
        }
        typos(
            &pod.annotations,
            &object,
            &format!("pod {}/{}", pod.namespace, pod.name),
            &mut out,
        );
    }
    for owner in input.owners.tops() {
        let Some(t) = owner.template.as_ref() else {
            continue;
        };
        let object = ObjectRef::new(&owner.kind, Some(&owner.namespace), &owner.name);
        let where_ = format!("{}/{} template", owner.kind.to_lowercase(), owner.name);
        typos(&t.annotations, &object, &where_, &mut out);
        if istio_asks_native(&t.annotations) == Some(true) && !lacking.is_empty() {
            out.add(
                Finding::new(
                    "istio-native-mismatch",
                    object,
                    format!(
                        "asks for native Istio sidecars, but {} node(s) cannot run them; its pods may land there unless an affinity keeps them off",
                        lacking.len()
                    ),
                )
                .evidence(format!("{where_}: {ISTIO_NATIVE}: true"))
                .evidence(format!("nodes that cannot: {}", names(&lacking))),
            );
        }
    }
    for ns in &input.facts.workloads.namespaces {
        let object = ObjectRef::cluster("Namespace", &ns.name);
        typos(
            &ns.annotations,
            &object,
            &format!("namespace {}", ns.name),
            &mut out,
        );
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linkerd_spellings() {
        for key in LINKERD_NATIVE {
            assert_eq!(annotation_problem(key, "true"), None, "{key}");
            assert_eq!(annotation_problem(key, "false"), None, "{key}");
        }
        for typo in [
            "config.linkerd.io/proxy-enable-native-sidecars",
            "config.linkerd.io/proxy-enabled-native-sidecar",
            "config.alpha.linkerd.io/proxy-native-sidecar",
            "linkerd.io/proxy-enable-native-sidecar",
            "config.linkerd.io/enable-native-sidecar",
            "config.aplha.linkerd.io/proxy-enable-native-sidecar",
            "config.linkerd.io/proxy_enable_native_sidecar",
        ] {
            let (id, _) = annotation_problem(typo, "true").unwrap_or_else(|| panic!("{typo}"));
            assert_eq!(id, "linkerd-annotation-typo", "{typo}");
        }
        let (id, message) =
            annotation_problem("config.linkerd.io/proxy-enable-native-sidecar", "enabled").unwrap();
        assert_eq!(id, "linkerd-annotation-typo");
        assert!(message.contains("not true or false"));
        // Unrelated Linkerd annotations are fine.
        assert_eq!(annotation_problem("linkerd.io/inject", "enabled"), None);
        assert_eq!(
            annotation_problem("config.linkerd.io/proxy-cpu-request", "100m"),
            None
        );
    }

    #[test]
    fn istio_spellings() {
        assert_eq!(annotation_problem(ISTIO_NATIVE, "true"), None);
        assert_eq!(annotation_problem("sidecar.istio.io/inject", "true"), None);
        for typo in [
            "sidecar.istio.io/nativeSidecars",
            "sidecar.istio.io/native-sidecar",
            "sidecar.istio.io/nativesidecar",
            "istio.io/nativeSidecar",
        ] {
            let (id, _) = annotation_problem(typo, "true").unwrap_or_else(|| panic!("{typo}"));
            assert_eq!(id, "istio-annotation-typo", "{typo}");
        }
        assert_eq!(
            annotation_problem(ISTIO_NATIVE, "yes").unwrap().0,
            "istio-annotation-typo"
        );
    }
}
