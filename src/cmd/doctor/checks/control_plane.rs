//! Control-plane checks: the check-nodes engine's apiserver and component results, mapped to
//! catalog ids.

use super::Input;
use crate::checks::finding::{Finding, ObjectRef};
use crate::cmd::doctor::coverage::remedy;
use crate::kube::versions;

pub fn check(input: &Input<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let cluster = &input.cluster;
    if let Some(api) = cluster.apiserver.as_ref() {
        let object = ObjectRef::cluster("Component", "kube-apiserver");
        let version_text = api.version.as_deref().unwrap_or("unknown");
        let gate = match (api.gate_enabled, api.gate_source.as_str()) {
            (Some(true), source) => format!("SidecarContainers on ({source})"),
            (Some(false), source) => format!("SidecarContainers off ({source})"),
            (None, _) => "SidecarContainers state unknown".to_string(),
        };
        let evidence = format!(
            "kube-apiserver {version_text}: {gate}{}",
            api.gate_reason
                .as_deref()
                .map(|r| format!("; {r}"))
                .unwrap_or_default()
        );
        match input.apiserver {
            Some(v) if !versions::has_sidecars(v) => out.push(
                Finding::new(
                    "apiserver-too-old",
                    object.clone(),
                    format!("kube-apiserver {v} predates native sidecars (1.28)"),
                )
                .evidence(evidence.clone()),
            ),
            Some(v) => {
                if api.gate_enabled == Some(false) {
                    out.push(
                        Finding::new(
                            "apiserver-gate-off",
                            object.clone(),
                            format!(
                                "kube-apiserver {v} has SidecarContainers off: it strips restartPolicy from every init container"
                            ),
                        )
                        .evidence(evidence.clone()),
                    );
                } else if versions::sidecars_alpha(v) && api.gate_enabled == Some(true) {
                    out.push(
                        Finding::new(
                            "apiserver-alpha",
                            object.clone(),
                            "kube-apiserver 1.28 runs native sidecars as an alpha feature",
                        )
                        .evidence(evidence.clone()),
                    );
                }
                // From 1.33 the gate is locked on (and gone in 1.37): nothing left to verify.
                if api.gate_source != "metrics"
                    && !versions::gate_locked_on(v)
                    && api.gate_enabled != Some(false)
                {
                    let mut f = Finding::new(
                        "apiserver-gate-unverified",
                        object.clone(),
                        format!(
                            "the gate on kube-apiserver {v} could not be read; it is assumed from the version"
                        ),
                    )
                    .evidence(evidence.clone());
                    // The catalog's fix asks for a permission; any other cause needs another.
                    if let Some(gap) = api.gate_gap.as_ref().filter(|g| g.permission.is_none()) {
                        f = f.evidence(gap.short()).fix(format!(
                            "{}; or verify the apiserver's --feature-gates yourself.",
                            remedy(gap)
                        ));
                    }
                    out.push(f);
                }
            }
            None => {}
        }
    }
    for component in &cluster.components {
        let object = ObjectRef::cluster("Component", &component.name);
        if component.gate_enabled == Some(false) {
            out.push(
                Finding::new(
                    "control-plane-gate-off",
                    object.clone(),
                    format!("{} runs with SidecarContainers=false", component.name),
                )
                .evidence(format!(
                    "{} {}: {}",
                    component.name,
                    component.version.as_deref().unwrap_or(""),
                    component
                        .reason
                        .as_deref()
                        .unwrap_or("--feature-gates has SidecarContainers=false")
                )),
            );
        }
        if component.skew_ok == Some(false) {
            out.push(
                Finding::new(
                    "control-plane-skew",
                    object,
                    format!(
                        "{} {} is outside the skew policy against kube-apiserver",
                        component.name,
                        component.version.as_deref().unwrap_or("")
                    ),
                )
                .evidence(component.reason.clone().unwrap_or_default()),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::doctor::cluster::{ApiserverSummary, ClusterFacts, ComponentFacts};
    use crate::facts::doctor::DoctorFacts;

    fn ids(api: ApiserverSummary, components: Vec<ComponentFacts>) -> Vec<String> {
        let facts = DoctorFacts::default();
        let cluster = ClusterFacts {
            apiserver: Some(api),
            components,
            ..Default::default()
        };
        check(&Input::with_cluster(&facts, cluster))
            .into_iter()
            .map(|f| f.id)
            .collect()
    }

    fn api(version: &str, gate: Option<bool>, source: &str) -> ApiserverSummary {
        ApiserverSummary {
            version: Some(version.into()),
            gate_enabled: gate,
            gate_source: source.into(),
            ..Default::default()
        }
    }

    #[test]
    fn apiserver_table() {
        assert_eq!(
            ids(api("v1.27.9", None, "version"), vec![]),
            ["apiserver-too-old"]
        );
        assert_eq!(
            ids(api("v1.30.1", Some(false), "metrics"), vec![]),
            ["apiserver-gate-off"]
        );
        assert_eq!(
            ids(api("v1.28.3", Some(true), "metrics"), vec![]),
            ["apiserver-alpha"]
        );
        assert!(ids(api("v1.31.0", Some(true), "metrics"), vec![]).is_empty());
        assert_eq!(
            ids(api("v1.31.0-gke.1", Some(true), "version"), vec![]),
            ["apiserver-gate-unverified"]
        );
        // Locked on from 1.33: an unread gate is not worth a finding.
        assert!(ids(api("v1.34.4", Some(true), "version"), vec![]).is_empty());
        assert!(ids(api("v1.37.2", None, "version"), vec![]).is_empty());
    }

    #[test]
    fn components() {
        let sched = ComponentFacts {
            name: "kube-scheduler".into(),
            visible: true,
            version: Some("v1.30.0".into()),
            gate_enabled: Some(false),
            skew_ok: Some(false),
            reason: Some("2 minors older than kube-apiserver".into()),
        };
        assert_eq!(
            ids(api("v1.32.0", Some(true), "metrics"), vec![sched]),
            ["control-plane-gate-off", "control-plane-skew"]
        );
    }
}
