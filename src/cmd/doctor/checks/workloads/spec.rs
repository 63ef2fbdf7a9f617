//! Checks on declared specs (owners' templates, bare pods, containers injected into pods):
//! sidecars without startupProbe, restartPolicy on app containers, probes on classic init
//! containers, legacy sidecars in Jobs.

use std::collections::BTreeSet;

use super::hits::{Hits, Seen};
use crate::checks::finding::{Finding, ObjectRef};
use crate::cmd::doctor::checks::looks::{self, helper, ports_text, serves_ports, split_regular};
use crate::facts::workloads::{ContainerFacts, PodSpecFacts};
use crate::kube::version::KubeVersion;
use crate::kube::versions::{CONTAINER_RESTART_RULES_ALPHA, CONTAINER_RESTART_RULES_BETA};

/// A declared spec and where it came from.
pub(super) struct Declared<'a> {
    pub(super) object: &'a ObjectRef,
    pub(super) source: String,
    pub(super) is_job: bool,
    /// Only these containers (the ones injected into a pod); None for all.
    pub(super) only: Option<&'a BTreeSet<&'a str>>,
    /// Other declarations of the same workload (last-applied), to tell stripping from intent.
    pub(super) elsewhere: &'a [(String, &'a PodSpecFacts)],
    /// The apiserver's version: it decides what a restartPolicy on a regular container does.
    pub(super) apiserver: Option<KubeVersion>,
}

impl Declared<'_> {
    fn wants(&self, c: &ContainerFacts) -> bool {
        self.only.is_none_or(|set| set.contains(c.name.as_str()))
    }

    fn at(&self, c: &ContainerFacts) -> ObjectRef {
        self.object.clone().with_container(&c.name)
    }
}

pub(super) fn static_spec(
    spec: &PodSpecFacts,
    d: &Declared<'_>,
    seen: Option<&Seen>,
    hits: &mut Hits,
) {
    for c in spec.init_containers.iter().filter(|c| d.wants(c)) {
        if c.is_restartable() {
            native_sidecar(c, d, seen, hits);
        } else if declared_restartable(d.elsewhere, &c.name).is_none() {
            classic_init(c, d, seen, hits);
        }
    }
    for c in spec.containers.iter().filter(|c| d.wants(c)) {
        if let Some(policy) = c.restart_policy.as_deref() {
            app_restart_policy(spec, c, policy, d, seen, hits);
        }
    }
    let (helpers, work) = split_regular(&spec.containers);
    if work.is_empty() {
        return;
    }
    for (h, why) in helpers.iter().filter(|(h, _)| d.wants(h)) {
        if d.is_job {
            hits.add(
                Finding::new(
                    "legacy-sidecar-in-job",
                    d.at(h),
                    format!(
                        "{} is a regular container next to the Job's work ({}): it will keep the pod running after the work finishes",
                        h.name,
                        work.iter().map(|w| w.name.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                )
                .evidence(format!("{}: {} {why}", d.source, h.name)),
                seen,
            );
        } else if serves_ports(h) && d.only.is_none() {
            // Injected helpers are the injector's to change (see Injectors); the live check
            // still reports them when an app actually restarted.
            hits.add(
                Finding::new(
                    "sidecar-start-race",
                    d.at(h),
                    format!(
                        "{} serves ports {} as a regular container: it starts together with the app, which may call it before it listens",
                        h.name,
                        ports_text(h)
                    ),
                )
                .evidence(format!("{}: {} {why}", d.source, h.name)),
                seen,
            );
        }
    }
}

/// A restartPolicy on a regular container never makes a sidecar; what it does depends on the
/// apiserver (ContainerRestartRules): rejected up to 1.33, dropped by 1.34 (gate off), kept from
/// 1.35, where `Always` restarts the container forever, so a pod meant to finish never does.
fn app_restart_policy(
    spec: &PodSpecFacts,
    c: &ContainerFacts,
    policy: &str,
    d: &Declared<'_>,
    seen: Option<&Seen>,
    hits: &mut Hits,
) {
    let meant = match helper(c) {
        Some(why) => format!("; it {why}, so a sidecar was probably meant"),
        None => String::new(),
    };
    let evidence = format!(
        "{}: containers[{}].restartPolicy: {policy}",
        d.source, c.name
    );
    let must_finish =
        d.is_job || matches!(spec.restart_policy.as_deref(), Some("Never" | "OnFailure"));
    let kept = d
        .apiserver
        .is_some_and(|v| CONTAINER_RESTART_RULES_BETA.reached_by(v));
    if policy == "Always" && must_finish && kept {
        let api = d.apiserver.map(|v| v.to_string()).unwrap_or_default();
        hits.add(
            Finding::new(
                "app-container-restarts-forever",
                d.at(c),
                format!(
                    "regular container {} has restartPolicy: Always in a pod meant to finish: the apiserver ({api}) keeps the field, so the kubelet restarts it forever and the pod never completes{meant}",
                    c.name
                ),
            )
            .evidence(evidence)
            .evidence(format!(
                "apiserver {api}: ContainerRestartRules is on from {CONTAINER_RESTART_RULES_BETA}"
            )),
            seen,
        );
        return;
    }
    let today = match d.apiserver {
        Some(v) if CONTAINER_RESTART_RULES_BETA.reached_by(v) => {
            format!("the apiserver ({v}) keeps it and the kubelet applies it")
        }
        Some(v) if CONTAINER_RESTART_RULES_ALPHA.reached_by(v) => format!(
            "the apiserver ({v}) drops it unless ContainerRestartRules is turned on; from {CONTAINER_RESTART_RULES_BETA} it is applied"
        ),
        Some(v) => format!(
            "the apiserver ({v}) rejects it on new pods; from {CONTAINER_RESTART_RULES_BETA} it is applied"
        ),
        None => "what it does depends on the apiserver version (applied from 1.35)".to_string(),
    };
    hits.add(
        Finding::new(
            "restart-policy-on-app-container",
            d.at(c),
            format!(
                "regular container {} has restartPolicy: {policy}; that does not make it a sidecar{meant}",
                c.name
            ),
        )
        .evidence(evidence)
        .evidence(today),
        seen,
    );
}

fn native_sidecar(c: &ContainerFacts, d: &Declared<'_>, seen: Option<&Seen>, hits: &mut Hits) {
    if c.startup_probe {
        return;
    }
    if serves_ports(c) {
        hits.add(
            Finding::new(
                "sidecar-missing-startup-probe",
                d.at(c),
                format!(
                    "native sidecar {} serves ports {} without a startupProbe: later containers start before it listens",
                    c.name,
                    ports_text(c)
                ),
            )
            .evidence(format!("{}: initContainers[{}] has restartPolicy: Always, ports, no startupProbe", d.source, c.name)),
            seen,
        );
    } else if c.readiness_probe {
        hits.add(
            Finding::new(
                "sidecar-readiness-not-startup",
                d.at(c),
                format!(
                    "native sidecar {} has a readinessProbe but no startupProbe; readiness does not delay the next containers",
                    c.name
                ),
            )
            .evidence(format!("{}: initContainers[{}]", d.source, c.name)),
            seen,
        );
    }
}

fn classic_init(c: &ContainerFacts, d: &Declared<'_>, seen: Option<&Seen>, hits: &mut Hits) {
    let mut forbidden = Vec::new();
    for (set, field) in [
        (c.startup_probe, "startupProbe"),
        (c.readiness_probe, "readinessProbe"),
        (c.liveness_probe, "livenessProbe"),
        (c.lifecycle, "lifecycle"),
    ] {
        if set {
            forbidden.push(field);
        }
    }
    if !forbidden.is_empty() {
        hits.add(
            Finding::new(
                "probe-on-classic-init",
                d.at(c),
                format!(
                    "init container {} has {} but no restartPolicy: Always; the apiserver rejects that",
                    c.name,
                    forbidden.join(", ")
                ),
            )
            .evidence(format!("{}: initContainers[{}]", d.source, c.name)),
            seen,
        );
    }
    // Injectors run their own images as short setup steps (istio-init, vault-agent-init), so
    // an image alone counts only for containers not named as a setup step.
    let setup_step = c.name.to_lowercase().contains("init");
    let why = if let Some(image) = looks::known_sidecar_image(c).filter(|_| !setup_step) {
        Some(format!("runs the known sidecar image {image}"))
    } else if serves_ports(c) {
        Some(format!("declares ports {}", ports_text(c)))
    } else if c.sleeps_forever {
        Some("runs a command that never exits".to_string())
    } else {
        None
    };
    if let Some(why) = why {
        hits.add(
            Finding::new(
                "init-container-never-exits",
                d.at(c),
                format!(
                    "init container {} {why} but has no restartPolicy: Always: the pod will wait for it forever",
                    c.name
                ),
            )
            .evidence(format!("{}: initContainers[{}] {why}", d.source, c.name)),
            seen,
        );
    }
}

/// The first declaration (its source) that makes `name` a native sidecar.
pub(super) fn declared_restartable<'a>(
    submitted: &'a [(String, &PodSpecFacts)],
    name: &str,
) -> Option<&'a str> {
    submitted
        .iter()
        .find(|(_, spec)| {
            spec.init_containers
                .iter()
                .any(|c| c.name == name && c.is_restartable())
        })
        .map(|(source, _)| source.as_str())
}
