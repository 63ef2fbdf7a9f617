//! Workload checks: live pods (what the kubelet and scheduler wrote), owners' templates (what
//! was declared), and the events of controllers that could not create pods.
//!
//! Pod-level findings are reported on the object a person edits (the Deployment, the CronJob),
//! one finding per (check, object, container), with the pods it was seen on as evidence.

use std::collections::{BTreeMap, BTreeSet};

use super::looks::{self, helper, ports_text, serves_ports, split_regular};
use super::{Input, age_seconds, is_job_kind, list_some, submitted_specs};
use crate::checks::cluster::verdict::Verdict;
use crate::checks::finding::{Finding, ObjectRef};
use crate::cmd::doctor::extract::{KUBELET_REJECTED, PROBE_FORBIDDEN, SCHEDULER_GATE_OFF};
use crate::cmd::doctor::facts::{
    CanaryOutcome, ContainerFacts, EventFacts, PodFacts, PodSpecFacts,
};

/// An init container running longer than this while the pod waits is "stuck", not "slow".
const STUCK_AFTER_SECONDS: i64 = 600;

pub fn check(input: &Input<'_>) -> Vec<Finding> {
    let mut hits = Hits::default();
    for pod in &input.facts.workloads.pods {
        let object = input.owners.top_object(pod);
        let seen = Seen {
            pod: format!("{}/{}", pod.namespace, pod.name),
            weight: 1 + pod.similar,
        };
        let submitted = submitted_specs(input, pod);
        stripped_pod(input, pod, &object, &submitted, &seen, &mut hits);
        run_as_init(input, pod, &object, &submitted, &seen, &mut hits);
        on_unsupported_node(input, pod, &object, &seen, &mut hits);
        rejected_by_kubelet(pod, &object, &seen, &mut hits);
        unschedulable(pod, &object, &seen, &mut hits);
        blocks_job(pod, &object, &seen, &mut hits);
        start_race_live(pod, &object, &seen, &mut hits);
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
            },
            None,
            &mut hits,
        );
        if let Some(la) = owner.last_applied.as_ref() {
            stripped_template(input, &object, la, &template.spec, &mut hits);
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
        from_event(input, event, &pods, &mut hits);
    }
    hits.finish()
}

fn all_containers(spec: &PodSpecFacts) -> impl Iterator<Item = &ContainerFacts> {
    spec.init_containers.iter().chain(spec.containers.iter())
}

/// Which pods a pod-level finding was seen on (a folded pod stands for `weight` pods).
struct Seen {
    pod: String,
    weight: u32,
}

/// Findings keyed by (id, object with container): the same problem on many pods of one
/// Deployment is one finding.
#[derive(Default)]
struct Hits {
    order: Vec<(String, ObjectRef)>,
    by_key: BTreeMap<(String, ObjectRef), Hit>,
}

struct Hit {
    finding: Finding,
    pods: Vec<String>,
    count: u32,
}

impl Hits {
    fn add(&mut self, finding: Finding, seen: Option<&Seen>) {
        let key = (finding.id.clone(), finding.object.clone());
        let hit = match self.by_key.get_mut(&key) {
            Some(hit) => {
                for line in finding.evidence {
                    if !hit.finding.evidence.contains(&line) && hit.finding.evidence.len() < 12 {
                        hit.finding.evidence.push(line);
                    }
                }
                hit
            }
            None => {
                self.order.push(key.clone());
                self.by_key.entry(key).or_insert(Hit {
                    finding,
                    pods: Vec::new(),
                    count: 0,
                })
            }
        };
        if let Some(seen) = seen
            && !hit.pods.contains(&seen.pod)
        {
            hit.pods.push(seen.pod.clone());
            hit.count += seen.weight;
        }
    }

    fn has(&self, id: &str, object: &ObjectRef) -> bool {
        self.by_key.contains_key(&(id.to_string(), object.clone()))
    }

    fn finish(mut self) -> Vec<Finding> {
        // A symptom already explains its static cause: keep only the more telling finding.
        const SUPERSEDED: &[(&str, &[&str])] = &[
            ("legacy-sidecar-in-job", &["legacy-sidecar-blocks-job"]),
            ("sidecar-missing-startup-probe", &["sidecar-start-race"]),
            (
                "init-container-never-exits",
                &["sidecar-run-as-init", "sidecar-stripped"],
            ),
            ("probe-on-classic-init", &["sidecar-stripped"]),
        ];
        let superseded: BTreeSet<(String, ObjectRef)> = self
            .order
            .iter()
            .filter(|key| {
                SUPERSEDED
                    .iter()
                    .any(|(id, by)| *id == key.0 && by.iter().any(|other| self.has(other, &key.1)))
            })
            .cloned()
            .collect();
        let mut out = Vec::new();
        for key in std::mem::take(&mut self.order) {
            if superseded.contains(&key) {
                continue;
            }
            let Some(hit) = self.by_key.remove(&key) else {
                continue;
            };
            let mut finding = hit.finding;
            match (hit.count, hit.pods.first()) {
                (0, _) | (_, None) => {}
                (1, Some(pod)) => finding.evidence.push(format!("seen on pod {pod}")),
                (n, Some(_)) => finding.evidence.push(format!(
                    "seen on {n} pods, e.g. {}",
                    list_some(&hit.pods, 3)
                )),
            }
            out.push(finding);
        }
        out
    }
}

/// What a cluster fact says about who strips `restartPolicy` in a namespace.
fn strip_cause(input: &Input<'_>, namespace: &str) -> (Option<String>, Option<String>) {
    if input.apiserver_strips() {
        return (
            Some("the apiserver drops the field: its SidecarContainers gate is off or it is older than 1.28 (see Control plane)".into()),
            Some("Enable SidecarContainers on kube-apiserver (or upgrade it), then recreate the pods.".into()),
        );
    }
    let canary = input
        .facts
        .admission
        .canaries
        .iter()
        .find(|c| c.namespace == namespace && c.outcome == CanaryOutcome::Stripped);
    if let Some(canary) = canary {
        let names = if canary.candidates.is_empty() {
            "none matched by rules and selectors".to_string()
        } else {
            canary.candidates.join(", ")
        };
        return (
            Some(format!(
                "admission strips restartPolicy in namespace {namespace}: candidate webhooks {names}"
            )),
            Some(format!(
                "Upgrade or exclude the stripping webhook ({names}); `kubectl sidecar diff-pod -n {namespace} <pod> --blame` names it. Then recreate the pods."
            )),
        );
    }
    (None, None)
}

fn recreate_hint(object: &ObjectRef) -> String {
    match object.kind.as_str() {
        "Deployment" | "StatefulSet" | "DaemonSet" => format!(
            "kubectl rollout restart -n {} {}/{}",
            object.namespace.as_deref().unwrap_or("default"),
            object.kind.to_lowercase(),
            object.name
        ),
        _ => "delete and recreate the pods".to_string(),
    }
}

fn stripped_pod(
    input: &Input<'_>,
    pod: &PodFacts,
    object: &ObjectRef,
    submitted: &[(String, &PodSpecFacts)],
    seen: &Seen,
    hits: &mut Hits,
) {
    for (source, spec) in submitted {
        for declared in spec.init_containers.iter().filter(|c| c.is_restartable()) {
            let Some(actual) = pod
                .spec
                .init_containers
                .iter()
                .find(|c| c.name == declared.name)
            else {
                continue;
            };
            if actual.is_restartable() {
                continue;
            }
            let (cause, fix) = strip_cause(input, &pod.namespace);
            let mut f = Finding::new(
                "sidecar-stripped",
                object.clone().with_container(&declared.name),
                format!(
                    "restartPolicy: Always was removed from init container {}: it runs as a classic init container and the pod cannot finish initializing",
                    declared.name
                ),
            )
            .evidence(format!("{source} declares restartPolicy: Always on {}", declared.name))
            .evidence(format!("pod {}: {} has no restartPolicy", seen.pod, declared.name));
            let template_kept = source.ends_with("'s template");
            match cause {
                Some(cause) => f = f.evidence(cause),
                None if template_kept => {
                    f = f.evidence(
                        "the stored template kept the field, so it was removed when the pod was created: a mutating webhook (see Admission)",
                    )
                }
                None => {}
            }
            let fix = fix.unwrap_or_else(|| {
                format!(
                    "Find who strips it (`kubectl sidecar diff-pod -n {} {} --blame`), fix that, then {}.",
                    pod.namespace,
                    pod.name,
                    recreate_hint(object)
                )
            });
            hits.add(f.fix(fix), Some(seen));
        }
    }
}

fn stripped_template(
    input: &Input<'_>,
    object: &ObjectRef,
    last_applied: &PodSpecFacts,
    template: &PodSpecFacts,
    hits: &mut Hits,
) {
    for declared in last_applied
        .init_containers
        .iter()
        .filter(|c| c.is_restartable())
    {
        let Some(stored) = template
            .init_containers
            .iter()
            .find(|c| c.name == declared.name)
        else {
            continue;
        };
        if stored.is_restartable() {
            continue;
        }
        let mut f = Finding::new(
            "sidecar-stripped",
            object.clone().with_container(&declared.name),
            format!(
                "the stored template lost restartPolicy: Always on init container {}: every pod it creates runs it as a classic init container",
                declared.name
            ),
        )
        .evidence(format!(
            "the last-applied configuration declares restartPolicy: Always on {}; the stored template has none",
            declared.name
        ))
        .evidence(
            "templates are not sent to pod webhooks, so the apiserver itself dropped the field (SidecarContainers off, or older than 1.28)",
        );
        if input.apiserver_strips() {
            f = f.evidence(
                "confirmed: the apiserver's gate is off or it is too old (see Control plane)",
            );
        }
        hits.add(
            f.fix("Enable SidecarContainers on kube-apiserver (or upgrade it), then re-apply the manifest so the template gets the field back."),
            None,
        );
    }
}

fn declared_restartable<'a>(
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

fn run_as_init(
    input: &Input<'_>,
    pod: &PodFacts,
    object: &ObjectRef,
    submitted: &[(String, &PodSpecFacts)],
    seen: &Seen,
    hits: &mut Hits,
) {
    if !matches!(pod.phase.as_deref(), None | Some("Pending")) {
        return;
    }
    let initialized = pod
        .conditions
        .iter()
        .any(|c| c.type_ == "Initialized" && c.status == "True");
    if initialized {
        return;
    }
    for (i, status) in pod.init_statuses.iter().enumerate() {
        if status.state != "running" || status.ready {
            continue;
        }
        let waiting_behind = pod.init_statuses[i + 1..]
            .iter()
            .chain(pod.statuses.iter())
            .any(|s| s.state == "waiting" && s.reason.as_deref() == Some("PodInitializing"));
        if !waiting_behind {
            continue;
        }
        let Some(spec) = pod
            .spec
            .init_containers
            .iter()
            .find(|c| c.name == status.name)
        else {
            continue;
        };
        let evidence_state = format!(
            "pod {}: init container {} is running, not ready; later containers wait in PodInitializing",
            seen.pod, status.name
        );
        if spec.is_restartable() {
            // A kubelet that knows sidecars reports `started` for them; none means it is older
            // than 1.28 and ignores restartPolicy.
            if status.started.is_none() {
                let mut f = Finding::new(
                    "sidecar-run-as-init",
                    object.clone().with_container(&status.name),
                    format!(
                        "pod stuck in Init: the node's kubelet ignores restartPolicy: Always and runs {} as a classic init container",
                        status.name
                    ),
                )
                .evidence(evidence_state)
                .evidence(format!(
                    "no `started` field in {}'s status: the kubelet predates native sidecars (< 1.28)",
                    status.name
                ));
                if let Some(node) = pod.node.as_deref() {
                    f = f.evidence(node_line(input, node));
                }
                hits.add(
                    f.fix("Upgrade the node to 1.29+, or keep this workload off it with a node affinity for nodes that support native sidecars."),
                    Some(seen),
                );
            }
            continue;
        }
        let why = if let Some(source) = declared_restartable(submitted, &status.name) {
            Some(format!("{source} declares it with restartPolicy: Always"))
        } else if let Some(why) = helper(spec) {
            Some(format!("it {why}"))
        } else if serves_ports(spec) {
            Some(format!("it serves ports {}", ports_text(spec)))
        } else if spec.sleeps_forever {
            Some("its command never exits (sleep infinity, tail -f, while true)".to_string())
        } else {
            age_seconds(input, status.started_at.as_deref())
                .filter(|age| *age > STUCK_AFTER_SECONDS)
                .map(|age| format!("it has been running for {} minutes", age / 60))
        };
        let Some(why) = why else { continue };
        hits.add(
            Finding::new(
                "sidecar-run-as-init",
                object.clone().with_container(&status.name),
                format!(
                    "pod stuck in Init behind {}, a sidecar run as a classic init container (it never exits)",
                    status.name
                ),
            )
            .evidence(evidence_state)
            .evidence(why),
            Some(seen),
        );
    }
}

fn node_line(input: &Input<'_>, node: &str) -> String {
    match input.node(node) {
        Some(n) => format!(
            "node {node}: kubelet {}, {} ({})",
            n.kubelet_version.as_deref().unwrap_or("unknown"),
            n.verdict,
            n.reason
        ),
        None => format!("node {node}: not in the node report"),
    }
}

fn on_unsupported_node(
    input: &Input<'_>,
    pod: &PodFacts,
    object: &ObjectRef,
    seen: &Seen,
    hits: &mut Hits,
) {
    let Some(sidecar) = pod.spec.init_containers.iter().find(|c| c.is_restartable()) else {
        return;
    };
    // How many pods of this record run on each node: the representative, then the folded.
    let mut on: BTreeMap<&str, u32> = BTreeMap::new();
    if let Some(node) = pod.node.as_deref() {
        on.insert(node, 1);
    }
    for (node, n) in &pod.similar_nodes {
        *on.entry(node.as_str()).or_default() += n;
    }
    let bad: Vec<(&str, u32)> = on
        .into_iter()
        .filter(|(node, _)| input.node_verdict(node) == Some(Verdict::Unsupported))
        .collect();
    let Some((first, _)) = bad.first() else {
        return;
    };
    let message = match bad.len() {
        1 => format!(
            "native sidecar {} runs on node {first}, which cannot run native sidecars",
            sidecar.name
        ),
        n => format!(
            "native sidecar {} runs on {n} nodes that cannot run native sidecars",
            sidecar.name
        ),
    };
    let f = Finding::new(
        "sidecar-on-unsupported-node",
        object.clone().with_container(&sidecar.name),
        message,
    )
    .evidence_all(bad.iter().take(5).map(|(node, _)| node_line(input, node)));
    let on_bad = Seen {
        pod: seen.pod.clone(),
        weight: bad.iter().map(|(_, n)| n).sum(),
    };
    hits.add(f, Some(&on_bad));
}

fn first_sidecar(spec: &PodSpecFacts) -> Option<&str> {
    spec.init_containers
        .iter()
        .find(|c| c.is_restartable())
        .map(|c| c.name.as_str())
}

fn with_optional_container(object: &ObjectRef, container: Option<&str>) -> ObjectRef {
    match container {
        Some(c) => object.clone().with_container(c),
        None => object.clone(),
    }
}

fn rejected_by_kubelet(pod: &PodFacts, object: &ObjectRef, seen: &Seen, hits: &mut Hits) {
    if pod.reason.as_deref() != Some(KUBELET_REJECTED) {
        return;
    }
    let node = pod.node.as_deref().unwrap_or("its node");
    hits.add(
        Finding::new(
            "sidecar-rejected-by-kubelet",
            with_optional_container(object, first_sidecar(&pod.spec)),
            format!("the kubelet on {node} rejected the pod: its SidecarContainers gate is off"),
        )
        .evidence(format!(
            "pod {}: phase {}, reason {KUBELET_REJECTED}: {}",
            seen.pod,
            pod.phase.as_deref().unwrap_or("?"),
            pod.message.as_deref().unwrap_or("")
        )),
        Some(seen),
    );
}

fn unschedulable(pod: &PodFacts, object: &ObjectRef, seen: &Seen, hits: &mut Hits) {
    let Some(condition) = pod.conditions.iter().find(|c| {
        c.type_ == "PodScheduled"
            && c.status == "False"
            && c.message
                .as_deref()
                .is_some_and(|m| m.to_lowercase().contains(SCHEDULER_GATE_OFF))
    }) else {
        return;
    };
    hits.add(
        Finding::new(
            "sidecar-unschedulable-gate-off",
            with_optional_container(object, first_sidecar(&pod.spec)),
            "the scheduler refuses the pod: its SidecarContainers gate is off",
        )
        .evidence(format!(
            "pod {}: PodScheduled=False: {}",
            seen.pod,
            condition.message.as_deref().unwrap_or("")
        )),
        Some(seen),
    );
}

fn blocks_job(pod: &PodFacts, object: &ObjectRef, seen: &Seen, hits: &mut Hits) {
    if pod.owner.as_ref().is_none_or(|o| o.kind != "Job") {
        return;
    }
    if matches!(pod.phase.as_deref(), Some("Succeeded") | Some("Failed")) {
        return;
    }
    let regular = |name: &str| pod.spec.containers.iter().any(|c| c.name == name);
    let finished: Vec<_> = pod
        .statuses
        .iter()
        .filter(|s| s.state == "terminated" && regular(&s.name))
        .collect();
    if finished.is_empty() {
        return;
    }
    let finished_text = finished
        .iter()
        .map(|s| {
            format!(
                "{} (exit {}{})",
                s.name,
                s.exit_code.map_or("?".to_string(), |c| c.to_string()),
                s.reason
                    .as_deref()
                    .map(|r| format!(", {r}"))
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    for running in pod
        .statuses
        .iter()
        .filter(|s| s.state == "running" && regular(&s.name))
    {
        hits.add(
            Finding::new(
                "legacy-sidecar-blocks-job",
                object.clone().with_container(&running.name),
                format!(
                    "the Job's work finished but {} is still running, so the pod never completes",
                    running.name
                ),
            )
            .evidence(format!("pod {}: terminated: {finished_text}", seen.pod))
            .evidence(format!("pod {}: still running: {}", seen.pod, running.name)),
            Some(seen),
        );
    }
}

fn start_race_live(pod: &PodFacts, object: &ObjectRef, seen: &Seen, hits: &mut Hits) {
    let (helpers, work) = split_regular(&pod.spec.containers);
    let mut sidecars: Vec<(&ContainerFacts, &str)> = helpers
        .iter()
        .filter(|(c, _)| serves_ports(c))
        .map(|(c, _)| (*c, "a regular container, started together with the app"))
        .collect();
    sidecars.extend(
        pod.spec
            .init_containers
            .iter()
            .filter(|c| c.is_restartable() && serves_ports(c) && !c.startup_probe)
            .map(|c| (c, "a native sidecar without startupProbe")),
    );
    if sidecars.is_empty() {
        return;
    }
    for app in work {
        let Some(status) = pod.statuses.iter().find(|s| s.name == app.name) else {
            continue;
        };
        let failed_now = status.state == "terminated" && status.exit_code.is_some_and(|c| c != 0);
        let failed_before = status.last_exit_code.is_some_and(|c| c != 0);
        if status.restart_count == 0 && !failed_now && !failed_before {
            continue;
        }
        let what = if status.restart_count > 0 {
            format!("restarted {} times", status.restart_count)
        } else {
            "failed".to_string()
        };
        for (sidecar, kind) in &sidecars {
            hits.add(
                Finding::new(
                    "sidecar-start-race",
                    object.clone().with_container(&sidecar.name),
                    format!(
                        "app container {} {what} while {} ({kind}) serves ports {}: the app may start before the sidecar is ready",
                        app.name,
                        sidecar.name,
                        ports_text(sidecar)
                    ),
                )
                .evidence(format!(
                    "pod {}: {}: state {}, restarts {}, last exit {}",
                    seen.pod,
                    app.name,
                    status.state,
                    status.restart_count,
                    status
                        .last_exit_code
                        .or(status.exit_code)
                        .map_or("-".to_string(), |c| c.to_string())
                )),
                Some(seen),
            );
        }
    }
}

/// A declared spec and where it came from.
struct Declared<'a> {
    object: &'a ObjectRef,
    source: String,
    is_job: bool,
    /// Only these containers (the ones injected into a pod); None for all.
    only: Option<&'a BTreeSet<&'a str>>,
    /// Other declarations of the same workload (last-applied), to tell stripping from intent.
    elsewhere: &'a [(String, &'a PodSpecFacts)],
}

impl Declared<'_> {
    fn wants(&self, c: &ContainerFacts) -> bool {
        self.only.is_none_or(|set| set.contains(c.name.as_str()))
    }

    fn at(&self, c: &ContainerFacts) -> ObjectRef {
        self.object.clone().with_container(&c.name)
    }
}

fn static_spec(spec: &PodSpecFacts, d: &Declared<'_>, seen: Option<&Seen>, hits: &mut Hits) {
    for c in spec.init_containers.iter().filter(|c| d.wants(c)) {
        if c.is_restartable() {
            native_sidecar(c, d, seen, hits);
        } else if declared_restartable(d.elsewhere, &c.name).is_none() {
            classic_init(c, d, seen, hits);
        }
    }
    for c in spec.containers.iter().filter(|c| d.wants(c)) {
        if let Some(policy) = c.restart_policy.as_deref() {
            let meant = match helper(c) {
                Some(why) => format!("; it {why}, so a sidecar was probably meant"),
                None => String::new(),
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
                .evidence(format!("{}: containers[{}].restartPolicy: {policy}", d.source, c.name)),
                seen,
            );
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

/// `spec.initContainers[2].startupProbe: Forbidden...` -> [2].
fn init_indices(message: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for part in message.split("initContainers[").skip(1) {
        if let Some(end) = part.find(']')
            && let Ok(i) = part[..end].parse::<usize>()
            && !out.contains(&i)
        {
            out.push(i);
        }
    }
    out
}

fn from_event(
    input: &Input<'_>,
    event: &EventFacts,
    pods: &BTreeMap<(&str, &str), &PodFacts>,
    hits: &mut Hits,
) {
    let message = event.message.to_lowercase();
    let evidence = format!(
        "event {} on {}/{}{}: {}",
        event.reason,
        event.kind.to_lowercase(),
        event.name,
        if event.count > 1 {
            format!(" (x{})", event.count)
        } else {
            String::new()
        },
        event.message
    );
    let pod = pods
        .get(&(event.namespace.as_str(), event.name.as_str()))
        .copied();
    let pod_object = || match pod {
        Some(p) => with_optional_container(&input.owners.top_object(p), first_sidecar(&p.spec)),
        None => ObjectRef::new("Pod", Some(&event.namespace), &event.name),
    };
    if event.kind == "Pod" && event.reason == KUBELET_REJECTED {
        hits.add(
            Finding::new(
                "sidecar-rejected-by-kubelet",
                pod_object(),
                "the kubelet rejected the pod: its SidecarContainers gate is off",
            )
            .evidence(evidence),
            None,
        );
        return;
    }
    if event.kind == "Pod"
        && event.reason == "FailedScheduling"
        && message.contains(SCHEDULER_GATE_OFF)
    {
        hits.add(
            Finding::new(
                "sidecar-unschedulable-gate-off",
                pod_object(),
                "the scheduler refuses the pod: its SidecarContainers gate is off",
            )
            .evidence(evidence),
            None,
        );
        return;
    }
    if event.reason != "FailedCreate" || !message.contains(&PROBE_FORBIDDEN.to_lowercase()) {
        return;
    }
    let key = crate::cmd::doctor::facts::OwnerKey {
        kind: event.kind.clone(),
        name: event.name.clone(),
    };
    let owner = input.owners.get(&event.namespace, &key);
    let object = match owner {
        Some(o) => input.owners.top_object_of(o),
        None => ObjectRef::new(&event.kind, Some(&event.namespace), &event.name),
    };
    let template = owner.and_then(|o| o.template.as_ref()).map(|t| &t.spec);
    let indices = init_indices(&event.message);
    for i in indices {
        let declared = template.and_then(|t| t.init_containers.get(i));
        match declared {
            Some(c) if c.is_restartable() => {
                let (cause, fix) = strip_cause(input, &event.namespace);
                let mut f = Finding::new(
                    "sidecar-stripped",
                    object.clone().with_container(&c.name),
                    format!(
                        "no pod can be created: {} loses restartPolicy: Always during admission and its probes are then rejected",
                        c.name
                    ),
                )
                .evidence(format!("the template declares restartPolicy: Always on initContainers[{i}] ({})", c.name))
                .evidence(evidence.clone());
                f = f.evidence(cause.unwrap_or_else(|| {
                    "the template kept the field, so a mutating webhook removed it from the pod (see Admission)".into()
                }));
                let fix = fix.unwrap_or_else(|| {
                    format!(
                        "Find the webhook that strips it (`kubectl sidecar diff-pod -n {} -f <manifest> --blame`), upgrade or exclude it; the controller retries on its own.",
                        event.namespace
                    )
                });
                hits.add(f.fix(fix), None);
            }
            other => {
                let object = match other {
                    Some(c) => object.clone().with_container(&c.name),
                    None => object.clone(),
                };
                let mut f = Finding::new(
                    "probe-on-classic-init",
                    object,
                    format!("pods cannot be created: initContainers[{i}] has probes or lifecycle hooks but no restartPolicy: Always"),
                )
                .evidence(evidence.clone());
                if template.is_none() {
                    f = f.evidence("the owner's template was not available: if it declares restartPolicy: Always, something strips it (see sidecar-stripped)");
                }
                hits.add(f, None);
            }
        }
    }
}

#[cfg(test)]
mod tests;
