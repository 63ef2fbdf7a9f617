//! Kubernetes objects reduced to doctor facts, one object at a time, so that a page of pods can
//! be dropped as soon as it is read. Only fields some check reads survive: no env, no volumes,
//! no command or arguments (they may carry secrets), no raw last-applied annotation (only the
//! pod spec facts derived from it), no annotation but the injectors' native-sidecar switches
//! (and near misses of them), whose values are kept only when they are plain words, and no
//! event text but the sidecar signature it carries.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStatus, Event, Namespace, Pod, PodSpec, PodTemplateSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use crate::facts::workloads::{
    ConditionFacts, ContainerFacts, ContainerStatusFacts, EventFacts, NamespaceFacts, OwnerFacts,
    OwnerKey, PodFacts, PodSpecFacts, TemplateFacts,
};

pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The scheduler's message when its SidecarContainers gate is off (k/k
/// pkg/scheduler/framework/plugins/noderesources/fit.go); some secondary schedulers lower-case
/// the first letter, so it is compared case-insensitively.
pub const SCHEDULER_GATE_OFF: &str =
    "restartable init container and the sidecarcontainers feature is disabled";

/// The kubelet's pod status reason when it rejects a restartable init container (k/k
/// pkg/kubelet/lifecycle/predicate.go).
pub const KUBELET_REJECTED: &str = "InitContainerRestartPolicyForbidden";

/// The apiserver's validation message for probes/lifecycle on a classic init container (k/k
/// pkg/apis/core/validation/validation.go).
pub const PROBE_FORBIDDEN: &str = "may not be set for init containers without restartPolicy=Always";

pub fn pod(pod: &Pod) -> PodFacts {
    let meta = &pod.metadata;
    let status = pod.status.as_ref();
    let annotations = meta.annotations.as_ref();
    PodFacts {
        namespace: meta.namespace.clone().unwrap_or_default(),
        name: meta.name.clone().unwrap_or_default(),
        node: pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .filter(|n| !n.is_empty()),
        phase: status.and_then(|s| s.phase.clone()),
        reason: status.and_then(|s| s.reason.clone()),
        message: status.and_then(|s| s.message.clone()),
        owner: controller(meta),
        labels: meta.labels.clone().unwrap_or_default(),
        annotations: interesting_annotations(annotations),
        last_applied: annotations
            .and_then(|a| a.get(LAST_APPLIED))
            .and_then(|text| last_applied_spec(text)),
        spec: pod.spec.as_ref().map(spec).unwrap_or_default(),
        init_statuses: status
            .and_then(|s| s.init_container_statuses.as_ref())
            .map(|v| v.iter().map(container_status).collect())
            .unwrap_or_default(),
        statuses: status
            .and_then(|s| s.container_statuses.as_ref())
            .map(|v| v.iter().map(container_status).collect())
            .unwrap_or_default(),
        conditions: status
            .and_then(|s| s.conditions.as_ref())
            .map(|v| {
                v.iter()
                    .map(|c| ConditionFacts {
                        type_: c.type_.clone(),
                        status: c.status.clone(),
                        reason: c.reason.clone(),
                        message: c.message.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        similar: 0,
        similar_nodes: BTreeMap::new(),
    }
}

/// Whether any check could say something about this pod. Plain one-container pods without init
/// containers or injector annotations are only counted.
pub fn relevant(p: &PodFacts) -> bool {
    !p.spec.init_containers.is_empty()
        || p.spec.containers.len() > 1
        || p.spec.containers.iter().any(|c| c.restart_policy.is_some())
        || !p.annotations.is_empty()
        || p.reason.as_deref() == Some(KUBELET_REJECTED)
        || p.conditions.iter().any(|c| {
            c.message
                .as_deref()
                .is_some_and(|m| m.to_lowercase().contains(SCHEDULER_GATE_OFF))
        })
        || p.last_applied
            .as_ref()
            .is_some_and(|s| !s.init_containers.is_empty() || s.containers.len() > 1)
}

/// What identifies "the same state" for folding pods of one owner: everything but the pod's
/// name, node and timestamps. Bare pods are never folded.
pub fn fold_key(p: &PodFacts) -> Option<String> {
    let owner = p.owner.as_ref()?;
    let mut shape = p.clone();
    shape.name.clear();
    shape.node = None;
    shape
        .labels
        .retain(|k, _| k != "pod-template-hash" && k != "controller-revision-hash");
    for s in shape
        .init_statuses
        .iter_mut()
        .chain(shape.statuses.iter_mut())
    {
        s.started_at = None;
        // Restarts matter as "some" or "none"; the exact count would defeat folding.
        s.restart_count = s.restart_count.min(1);
    }
    for c in shape.conditions.iter_mut() {
        c.message = c.message.as_ref().map(|m| m.chars().take(200).collect());
    }
    let body = serde_json::to_string(&shape).ok()?;
    Some(format!(
        "{}/{}/{}|{body}",
        p.namespace, owner.kind, owner.name
    ))
}

pub fn controller(meta: &ObjectMeta) -> Option<OwnerKey> {
    let refs = meta.owner_references.as_ref()?;
    let r = refs
        .iter()
        .find(|r| r.controller == Some(true))
        .or_else(|| refs.first())?;
    Some(OwnerKey {
        kind: r.kind.clone(),
        name: r.name.clone(),
    })
}

pub fn spec(s: &PodSpec) -> PodSpecFacts {
    PodSpecFacts {
        restart_policy: s.restart_policy.clone(),
        init_containers: s
            .init_containers
            .as_ref()
            .map(|v| v.iter().map(container).collect())
            .unwrap_or_default(),
        containers: s.containers.iter().map(container).collect(),
    }
}

pub fn container(c: &Container) -> ContainerFacts {
    let command = c.command.clone().unwrap_or_default();
    let args = c.args.clone().unwrap_or_default();
    ContainerFacts {
        name: c.name.clone(),
        image: c.image.clone(),
        restart_policy: c.restart_policy.clone(),
        ports: c
            .ports
            .as_ref()
            .map(|ps| ps.iter().map(|p| p.container_port).collect())
            .unwrap_or_default(),
        startup_probe: c.startup_probe.is_some(),
        readiness_probe: c.readiness_probe.is_some(),
        liveness_probe: c.liveness_probe.is_some(),
        lifecycle: c.lifecycle.is_some(),
        sleeps_forever: sleeps_forever(&command, &args),
        restart_rules: c
            .restart_policy_rules
            .as_ref()
            .is_some_and(|r| !r.is_empty()),
    }
}

fn basename(path: &str) -> &str {
    let trimmed = path.trim();
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// `sleep infinity`, `tail -f /dev/null`, `while true; do ...; done`: a process meant never to
/// exit. Only this verdict is kept, never the words.
pub fn sleeps_forever(command: &[String], args: &[String]) -> bool {
    let text = command
        .iter()
        .chain(args.iter())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let words: Vec<&str> = text.split_whitespace().collect();
    let sleep_forever = words.windows(2).any(|w| {
        basename(w[0]) == "sleep" && matches!(w[1].trim_end_matches(';'), "infinity" | "inf")
    });
    sleep_forever
        || text.contains("tail -f /dev/null")
        || text.contains("while true")
        || text.contains("while :")
        || text.contains("while [ 1 ]")
}

pub fn container_status(s: &ContainerStatus) -> ContainerStatusFacts {
    let (state, reason, exit_code, started_at) = state_of(s.state.as_ref());
    let last_exit_code = s
        .last_state
        .as_ref()
        .and_then(|l| l.terminated.as_ref())
        .map(|t| t.exit_code);
    ContainerStatusFacts {
        name: s.name.clone(),
        state,
        reason,
        exit_code,
        started_at,
        restart_count: s.restart_count,
        ready: s.ready,
        started: s.started,
        last_exit_code,
    }
}

fn state_of(
    state: Option<&ContainerState>,
) -> (String, Option<String>, Option<i32>, Option<String>) {
    let Some(state) = state else {
        return ("unknown".into(), None, None, None);
    };
    if let Some(r) = &state.running {
        return (
            "running".into(),
            None,
            None,
            r.started_at.as_ref().map(|t| t.0.to_string()),
        );
    }
    if let Some(t) = &state.terminated {
        return (
            "terminated".into(),
            t.reason.clone(),
            Some(t.exit_code),
            t.started_at.as_ref().map(|t| t.0.to_string()),
        );
    }
    if let Some(w) = &state.waiting {
        return ("waiting".into(), w.reason.clone(), None, None);
    }
    ("unknown".into(), None, None, None)
}

/// Keeps the annotations the injector checks read: the native-sidecar switches of Istio and
/// Linkerd and what looks like a misspelling of one, each value reduced by `switch_value`.
pub fn interesting_annotations(all: Option<&BTreeMap<String, String>>) -> BTreeMap<String, String> {
    let Some(all) = all else {
        return BTreeMap::new();
    };
    all.iter()
        .filter(|(k, _)| k.as_str() != LAST_APPLIED && is_switch(k))
        .map(|(k, v)| (k.clone(), switch_value(v)))
        .collect()
}

/// A native-sidecar switch or a near miss of one: the keys the injector checks judge.
fn is_switch(key: &str) -> bool {
    crate::kube::injectors::switch(key).is_some()
}

/// A switch's value as stored: short plain words as written (`true`, `enabled`, `yes`), since
/// the checks quote them; anything else is withheld, as an annotation may carry anything.
pub fn switch_value(value: &str) -> String {
    let plain = value.len() <= 32
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain {
        value.to_string()
    } else {
        format!("(withheld: {} characters)", value.chars().count())
    }
}

/// The pod spec in a last-applied-configuration annotation, for a Pod or any kind that holds a
/// pod template. None when the annotation is not JSON or holds no pod spec.
pub fn last_applied_spec(text: &str) -> Option<PodSpecFacts> {
    let value: Value = serde_json::from_str(text).ok()?;
    let spec = pod_spec_in(&value)?;
    let spec: PodSpec = serde_json::from_value(spec.clone()).ok()?;
    Some(self::spec(&spec))
}

fn pod_spec_in(object: &Value) -> Option<&Value> {
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    let spec = object.get("spec")?;
    match kind {
        "Pod" => Some(spec),
        "CronJob" => spec.pointer("/jobTemplate/spec/template/spec"),
        "PodTemplate" => object.pointer("/template/spec"),
        _ => spec.pointer("/template/spec"),
    }
}

/// An owner (Deployment, ReplicaSet, Job, CronJob, StatefulSet, DaemonSet) with its template.
pub fn owner(kind: &str, meta: &ObjectMeta, template: Option<&PodTemplateSpec>) -> OwnerFacts {
    let annotations = meta.annotations.as_ref();
    OwnerFacts {
        kind: kind.to_string(),
        namespace: meta.namespace.clone().unwrap_or_default(),
        name: meta.name.clone().unwrap_or_default(),
        owner: controller(meta),
        template: template.map(|t| {
            let tmeta = t.metadata.as_ref();
            TemplateFacts {
                labels: tmeta.and_then(|m| m.labels.clone()).unwrap_or_default(),
                annotations: interesting_annotations(tmeta.and_then(|m| m.annotations.as_ref())),
                spec: t.spec.as_ref().map(spec).unwrap_or_default(),
            }
        }),
        last_applied: annotations
            .and_then(|a| a.get(LAST_APPLIED))
            .and_then(|text| last_applied_spec(text)),
    }
}

pub fn event(e: &Event) -> EventFacts {
    let last_seen = e
        .last_timestamp
        .as_ref()
        .map(|t| t.0.to_string())
        .or_else(|| e.event_time.as_ref().map(|t| t.0.to_string()));
    EventFacts {
        namespace: e
            .involved_object
            .namespace
            .clone()
            .or_else(|| e.metadata.namespace.clone())
            .unwrap_or_default(),
        kind: e.involved_object.kind.clone().unwrap_or_default(),
        name: e.involved_object.name.clone().unwrap_or_default(),
        reason: e.reason.clone().unwrap_or_default(),
        message: event_message(
            e.reason.as_deref().unwrap_or_default(),
            e.message.as_deref().unwrap_or_default(),
        ),
        type_: e.type_.clone(),
        count: e
            .series
            .as_ref()
            .and_then(|s| s.count)
            .or(e.count)
            .unwrap_or(1),
        last_seen,
    }
}

/// An event's message as kept. A FailedCreate message quotes the apiserver's validation errors,
/// which may quote any field of the pod (an env value among them): only the forbidden-probe
/// errors it carries are kept, with their field paths. Kubelet and scheduler messages name
/// containers and nodes only.
pub fn event_message(reason: &str, message: &str) -> String {
    if reason != "FailedCreate" {
        return message.chars().take(1024).collect();
    }
    let mut parts = message.split(PROBE_FORBIDDEN);
    let Some(mut before) = parts.next() else {
        return String::new();
    };
    let mut fields: Vec<String> = Vec::new();
    for after in parts {
        // `...[spec.initContainers[0].startupProbe: Forbidden: ` -> the field path.
        let head = before.trim_end().trim_end_matches("Forbidden:").trim_end();
        let head = head.trim_end_matches(':');
        if let Some(at) = head.rfind("spec.") {
            fields.push(format!("{}: Forbidden: {PROBE_FORBIDDEN}", &head[at..]));
        }
        before = after;
    }
    if fields.is_empty() {
        return "(withheld: not a sidecar signature)".to_string();
    }
    let fields: Vec<String> = fields.into_iter().take(16).collect();
    format!("Error creating: the pod is invalid: {}", fields.join(", "))
}

/// Whether an event is one of the sidecar signatures doctor reads.
pub fn event_relevant(e: &EventFacts) -> bool {
    let message = e.message.to_lowercase();
    e.reason == KUBELET_REJECTED
        || (e.reason == "FailedScheduling" && message.contains(SCHEDULER_GATE_OFF))
        || (e.reason == "FailedCreate" && message.contains(&PROBE_FORBIDDEN.to_lowercase()))
}

pub fn namespace(ns: &Namespace) -> NamespaceFacts {
    NamespaceFacts {
        name: ns.metadata.name.clone().unwrap_or_default(),
        labels: ns.metadata.labels.clone().unwrap_or_default(),
        annotations: interesting_annotations(ns.metadata.annotations.as_ref()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod_json(v: Value) -> Pod {
        serde_json::from_value(v).expect("fixture is a valid pod")
    }

    #[test]
    fn reduces_a_pod_and_keeps_no_env_or_args() {
        let p = pod_json(serde_json::json!({
            "metadata": {"name": "web-1", "namespace": "shop",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc", "uid": "u", "controller": true}],
                "annotations": {"sidecar.istio.io/nativeSidecar": "true", "team": "x",
                    "kubectl.kubernetes.io/last-applied-configuration": "{\"kind\":\"Pod\",\"spec\":{\"initContainers\":[{\"name\":\"proxy\",\"image\":\"envoy\",\"restartPolicy\":\"Always\"}],\"containers\":[{\"name\":\"app\",\"image\":\"app\"}]}}"}},
            "spec": {"nodeName": "n1",
                "initContainers": [{"name": "proxy", "image": "envoyproxy/envoy:v1.30", "command": ["/usr/local/bin/envoy"], "args": ["--token", "s3cret"], "ports": [{"containerPort": 15001}], "startupProbe": {"tcpSocket": {"port": 15001}}}],
                "containers": [{"name": "app", "image": "shop/web:1", "env": [{"name": "PASSWORD", "value": "hunter2"}]}]},
            "status": {"phase": "Pending",
                "initContainerStatuses": [{"name": "proxy", "image": "envoy", "imageID": "", "ready": false, "restartCount": 0,
                    "state": {"running": {"startedAt": "2024-01-01T00:00:00Z"}}}],
                "conditions": [{"type": "Initialized", "status": "False", "reason": "ContainersNotInitialized"}]}
        }));
        let f = pod(&p);
        assert_eq!(f.namespace, "shop");
        assert_eq!(f.node.as_deref(), Some("n1"));
        assert_eq!(
            f.owner.as_ref().map(|o| o.kind.as_str()),
            Some("ReplicaSet")
        );
        assert_eq!(f.annotations.len(), 1, "only injector annotations are kept");
        let la = f.last_applied.as_ref().expect("last-applied parsed");
        assert!(la.init_containers[0].is_restartable());
        let proxy = &f.spec.init_containers[0];
        assert!(!proxy.is_restartable());
        assert_eq!(proxy.ports, vec![15001]);
        assert!(proxy.startup_probe);
        assert_eq!(f.init_statuses[0].state, "running");
        assert_eq!(f.init_statuses[0].started, None);
        assert!(relevant(&f));
        let text = serde_json::to_string(&f).unwrap();
        for secret in ["hunter2", "s3cret", "PASSWORD", "--token"] {
            assert!(!text.contains(secret), "{secret} leaked into the facts");
        }
    }

    #[test]
    fn only_switch_annotations_survive_and_odd_values_are_withheld() {
        let all: BTreeMap<String, String> = [
            ("sidecar.istio.io/nativeSidecar", "true"),
            (
                "config.linkerd.io/proxy-enable-native-sidecars",
                "yes please: token=abc",
            ),
            (
                "sidecar.istio.io/status",
                "{\"containers\":[\"istio-proxy\"]}",
            ),
            (
                "proxy.istio.io/config",
                "{\"proxyMetadata\":{\"TOKEN\":\"s3cret\"}}",
            ),
            ("linkerd.io/inject", "enabled"),
            (LAST_APPLIED, "{\"kind\":\"Pod\"}"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let kept = interesting_annotations(Some(&all));
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert_eq!(kept["sidecar.istio.io/nativeSidecar"], "true");
        assert_eq!(
            kept["config.linkerd.io/proxy-enable-native-sidecars"],
            "(withheld: 21 characters)"
        );
    }

    #[test]
    fn failed_create_events_keep_only_the_sidecar_signature() {
        let message = "Error creating: Pod \"db-migrate-6c9d8-x\" is invalid: [spec.containers[0].env[0].value: Invalid value: \"hunter2\": too long, spec.initContainers[1].startupProbe: Forbidden: may not be set for init containers without restartPolicy=Always]";
        let kept = event_message("FailedCreate", message);
        assert_eq!(
            kept,
            "Error creating: the pod is invalid: spec.initContainers[1].startupProbe: Forbidden: may not be set for init containers without restartPolicy=Always"
        );
        assert!(!kept.contains("hunter2"));
        assert!(event_relevant(&EventFacts {
            reason: "FailedCreate".into(),
            message: kept,
            ..Default::default()
        }));
        assert!(event_message("FailedCreate", "quota exceeded: secret").starts_with("(withheld"));
        assert_eq!(
            event_message("FailedScheduling", "0/3 nodes are available"),
            "0/3 nodes are available"
        );
    }

    #[test]
    fn plain_pods_are_not_kept() {
        let p = pod_json(serde_json::json!({
            "metadata": {"name": "a", "namespace": "x"},
            "spec": {"containers": [{"name": "app", "image": "nginx"}]}
        }));
        assert!(!relevant(&pod(&p)));
    }

    #[test]
    fn scheduler_rejection_makes_a_pod_relevant_even_without_init_containers() {
        let mut f = PodFacts::default();
        f.conditions.push(ConditionFacts {
            type_: "PodScheduled".into(),
            status: "False".into(),
            reason: Some("Unschedulable".into()),
            message: Some("0/3 nodes are available: 1 Pod has a restartable init container and the SidecarContainers feature is disabled.".into()),
        });
        assert!(relevant(&f));
    }

    #[test]
    fn forever_commands() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(sleeps_forever(&s(&["sleep", "infinity"]), &[]));
        assert!(sleeps_forever(&s(&["/bin/sleep"]), &s(&["inf"])));
        assert!(sleeps_forever(
            &s(&["sh", "-c"]),
            &s(&["while true; do sleep 5; done"])
        ));
        assert!(sleeps_forever(&s(&["tail", "-f", "/dev/null"]), &[]));
        assert!(!sleeps_forever(&s(&["sleep", "5"]), &[]));
        assert!(!sleeps_forever(&s(&["migrate", "--up"]), &[]));
        assert!(!sleeps_forever(&[], &[]));
    }

    #[test]
    fn last_applied_for_every_template_kind() {
        let spec = r#"{"initContainers":[{"name":"s","image":"i","restartPolicy":"Always"}],"containers":[{"name":"a","image":"i"}]}"#;
        let docs = [
            format!(r#"{{"kind":"Pod","spec":{spec}}}"#),
            format!(r#"{{"kind":"Deployment","spec":{{"template":{{"spec":{spec}}}}}}}"#),
            format!(r#"{{"kind":"Job","spec":{{"template":{{"spec":{spec}}}}}}}"#),
            format!(
                r#"{{"kind":"CronJob","spec":{{"jobTemplate":{{"spec":{{"template":{{"spec":{spec}}}}}}}}}}}"#
            ),
        ];
        for doc in docs {
            let s = last_applied_spec(&doc).unwrap_or_else(|| panic!("{doc}"));
            assert!(s.init_containers[0].is_restartable(), "{doc}");
        }
        assert!(last_applied_spec("not json").is_none());
        assert!(last_applied_spec(r#"{"kind":"Service","spec":{}}"#).is_none());
        assert!(last_applied_spec(r#"{"kind":"Pod","spec":{"containers":"bad"}}"#).is_none());
    }

    #[test]
    fn folding_ignores_names_nodes_and_restart_counts() {
        let mut a = PodFacts {
            namespace: "ns".into(),
            name: "a".into(),
            node: Some("n1".into()),
            owner: Some(OwnerKey {
                kind: "ReplicaSet".into(),
                name: "rs".into(),
            }),
            ..Default::default()
        };
        a.statuses.push(ContainerStatusFacts {
            name: "app".into(),
            state: "running".into(),
            restart_count: 3,
            ..Default::default()
        });
        let mut b = a.clone();
        b.name = "b".into();
        b.node = Some("n2".into());
        b.statuses[0].restart_count = 7;
        assert_eq!(fold_key(&a), fold_key(&b));
        b.statuses[0].restart_count = 0;
        assert_ne!(
            fold_key(&a),
            fold_key(&b),
            "restarts or none is a different state"
        );
        a.owner = None;
        assert_eq!(fold_key(&a), None, "bare pods are never folded");
    }

    #[test]
    fn relevant_events() {
        let e = |reason: &str, message: &str| EventFacts {
            reason: reason.into(),
            message: message.into(),
            ..Default::default()
        };
        assert!(event_relevant(&e(
            "FailedScheduling",
            "0/1 nodes are available: 1 pod has a restartable init container and the SidecarContainers feature is disabled."
        )));
        assert!(!event_relevant(&e(
            "FailedScheduling",
            "0/1 nodes are available: 1 Insufficient cpu."
        )));
        assert!(event_relevant(&e(
            "FailedCreate",
            "Error creating: Pod \"x\" is invalid: spec.initContainers[0].startupProbe: Forbidden: may not be set for init containers without restartPolicy=Always"
        )));
        assert!(event_relevant(&e(
            "InitContainerRestartPolicyForbidden",
            "anything"
        )));
    }
}
