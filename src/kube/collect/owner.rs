//! What was submitted for a live pod: its controller's template, followed up the ownerReferences
//! (Pod -> ReplicaSet -> Deployment; Pod -> Job -> CronJob; StatefulSet; DaemonSet;
//! ReplicationController), each owner's last-applied configuration, and for a bare pod its own
//! last-applied configuration. Each becomes the pod its controller would have created, with the
//! labels and fields the controller adds copied from the live pod, so that only admission's
//! changes remain.

use serde_json::{Map, Value};

use super::extract::LAST_APPLIED;
use crate::error::{Error, Result};
use crate::facts::coverage::Gap;
use crate::facts::diff_pod::{KindName, Source, Writer};
use crate::kube::access::{Budget, Failure};
use crate::kube::admission::{encode, get_json};
use crate::kube::controllers::{CONTROLLER_ANNOTATIONS, CONTROLLER_LABELS, DAEMONSET_TOLERATIONS};
use crate::kube::selector::{Labels, string_map};
use crate::manifests::submission::pod_from_template;
use crate::manifests::template::{kind_name, template_of};

/// How far up the ownerReferences we go (CronJob -> Job -> Pod is the longest built-in chain).
const MAX_DEPTH: usize = 4;

pub struct Live {
    pub object: KindName,
    pub pod: Value,
    pub lineage: Vec<Source>,
    pub notes: Vec<String>,
    /// The pod or an owner that could not be read.
    pub gaps: Vec<Gap>,
}

/// (group, version, resource) of the owner kinds we follow.
fn owner_resource(api_version: &str, kind: &str) -> Option<(String, String, &'static str)> {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let resource = match (group, kind) {
        ("apps", "ReplicaSet") => "replicasets",
        ("apps", "Deployment") => "deployments",
        ("apps", "StatefulSet") => "statefulsets",
        ("apps", "DaemonSet") => "daemonsets",
        ("batch", "Job") => "jobs",
        ("batch", "CronJob") => "cronjobs",
        ("", "ReplicationController") => "replicationcontrollers",
        _ => return None,
    };
    Some((group.to_string(), version.to_string(), resource))
}

fn object_path(group: &str, version: &str, resource: &str, ns: &str, name: &str) -> String {
    let base = if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    };
    format!(
        "{base}/namespaces/{}/{resource}/{}",
        encode(ns),
        encode(name)
    )
}

/// The controlling owner reference (the first one when none is marked controller).
fn owner_of(obj: &Value) -> Option<(String, String, String)> {
    let refs = obj.pointer("/metadata/ownerReferences")?.as_array()?;
    let chosen = refs
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .or_else(|| refs.first())?;
    let text = |k: &str| chosen.get(k).and_then(Value::as_str).map(str::to_string);
    Some((text("apiVersion")?, text("kind")?, text("name")?))
}

/// The live pod and what was submitted for it. Only a pod that does not exist is an error (the
/// user named it); any other failure to read it or its owners is a gap in what is compared.
pub async fn collect(client: &kube::Client, ns: &str, name: &str, budget: &Budget) -> Result<Live> {
    let object = KindName {
        kind: "Pod".into(),
        name: name.to_string(),
        namespace: Some(ns.to_string()),
    };
    let path = format!("/api/v1/namespaces/{}/pods/{}", encode(ns), encode(name));
    let pod = match get_json(client, &path, budget).await {
        Ok(pod) => pod,
        Err(Failure::NotFound(_)) => {
            return Err(
                Error::usage(format!("pod {name} not found in namespace {ns}"))
                    .hint("check the name, or pass -n NAMESPACE"),
            );
        }
        Err(f) => {
            return Ok(Live {
                object,
                pod: Value::Null,
                lineage: Vec::new(),
                notes: Vec::new(),
                gaps: vec![f.gap(format!("get pod {name} in namespace {ns}"), "get pods")],
            });
        }
    };
    let mut lineage = Vec::new();
    let mut notes = Vec::new();
    let mut gaps = Vec::new();
    let mut current = pod.clone();
    for _ in 0..MAX_DEPTH {
        let Some((api_version, kind, owner_name)) = owner_of(&current) else {
            break;
        };
        let Some((group, version, resource)) = owner_resource(&api_version, &kind) else {
            notes.push(format!(
                "owner {kind}/{owner_name} ({api_version}) is not a built-in controller: its template is not read"
            ));
            break;
        };
        let path = object_path(&group, &version, resource, ns, &owner_name);
        let owner = match get_json(client, &path, budget).await {
            Ok(o) => o,
            Err(f) => {
                gaps.push(f.gap(
                    format!("get {kind}/{owner_name} (owner) in namespace {ns}"),
                    &format!("get {resource}"),
                ));
                break;
            }
        };
        let oref = kind_name(&owner);
        if let Some((template, _)) = template_of(&owner) {
            lineage.push(Source {
                what: format!("template of {oref}"),
                writer: Some(Writer {
                    object: oref.clone(),
                    group: group.clone(),
                    version: version.clone(),
                    resource: resource.to_string(),
                    labels: labels_of(&owner),
                }),
                pod: as_created(template, &kind, &pod),
            });
        }
        if let Some(applied) = last_applied(&owner)
            && let Some((template, _)) = template_of(&applied)
        {
            lineage.push(Source {
                what: format!("last-applied configuration of {oref}"),
                writer: None,
                pod: as_created(template, &kind, &pod),
            });
        }
        current = owner;
    }
    if lineage.is_empty()
        && owner_of(&pod).is_none()
        && let Some(applied) = last_applied(&pod)
    {
        lineage.push(Source {
            what: format!("last-applied configuration of Pod/{name}"),
            writer: None,
            pod: as_created(&applied, "Pod", &pod),
        });
    }
    Ok(Live {
        object,
        pod,
        lineage,
        notes,
        gaps,
    })
}

fn last_applied(obj: &Value) -> Option<Value> {
    let text = obj
        .pointer("/metadata/annotations")?
        .get(LAST_APPLIED)?
        .as_str()?;
    serde_json::from_str::<Value>(text)
        .ok()
        .filter(Value::is_object)
}

/// The pod `kind`'s controller would have created from `template`, given what the live pod
/// shows the controller added.
pub fn as_created(template: &Value, owner_kind: &str, live: &Value) -> Value {
    let prefix = live
        .pointer("/metadata/generateName")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut pod = pod_from_template(template, prefix);
    copy_controller_metadata(live, &mut pod);
    if let (Some(live_spec), Some(spec)) = (
        live.get("spec").and_then(Value::as_object),
        pod.get_mut("spec").and_then(Value::as_object_mut),
    ) {
        match owner_kind {
            "StatefulSet" | "Job" => {
                for field in ["hostname", "subdomain"] {
                    if let Some(v) = live_spec.get(field) {
                        spec.entry(field).or_insert_with(|| v.clone());
                    }
                }
            }
            "DaemonSet" => daemonset_additions(live_spec, spec),
            _ => {}
        }
    }
    pod
}

fn copy_controller_metadata(live: &Value, pod: &mut Value) {
    let Some(meta) = pod.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    for (field, keys) in [
        ("labels", CONTROLLER_LABELS),
        ("annotations", CONTROLLER_ANNOTATIONS),
    ] {
        let Some(live_map) = live
            .pointer(&format!("/metadata/{field}"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        let wanted: Vec<(&String, &Value)> = live_map
            .iter()
            .filter(|(k, _)| keys.contains(&k.as_str()))
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let map = meta
            .entry(field)
            .or_insert_with(|| Value::Object(Map::new()));
        if !map.is_object() {
            *map = Value::Object(Map::new());
        }
        if let Some(map) = map.as_object_mut() {
            for (k, v) in wanted {
                map.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
}

/// The DaemonSet controller pins each pod to its node (a nodeAffinity on metadata.name) and adds
/// tolerations for node conditions.
fn daemonset_additions(live: &Map<String, Value>, spec: &mut Map<String, Value>) {
    if let Some(affinity) = live.get("affinity") {
        spec.insert("affinity".into(), affinity.clone());
    }
    let Some(live_tolerations) = live.get("tolerations").and_then(Value::as_array) else {
        return;
    };
    let added: Vec<Value> = live_tolerations
        .iter()
        .filter(|t| {
            t.get("key")
                .and_then(Value::as_str)
                .is_some_and(|k| DAEMONSET_TOLERATIONS.contains(&k))
                && t.get("tolerationSeconds").is_none()
        })
        .cloned()
        .collect();
    if added.is_empty() {
        return;
    }
    let list = spec
        .entry("tolerations")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Some(list) = list.as_array_mut() {
        for t in added {
            if !list.contains(&t) {
                list.push(t);
            }
        }
    }
}

/// Labels of an object, for the `Writer` of an owner.
fn labels_of(obj: &Value) -> Labels {
    string_map(obj.pointer("/metadata/labels"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn owner_kinds() {
        assert_eq!(
            owner_resource("apps/v1", "ReplicaSet"),
            Some(("apps".into(), "v1".into(), "replicasets"))
        );
        assert_eq!(
            owner_resource("v1", "ReplicationController"),
            Some(("".into(), "v1".into(), "replicationcontrollers"))
        );
        assert_eq!(owner_resource("argoproj.io/v1alpha1", "Rollout"), None);
        assert_eq!(
            object_path("", "v1", "replicationcontrollers", "ns", "rc"),
            "/api/v1/namespaces/ns/replicationcontrollers/rc"
        );
        assert_eq!(
            object_path("batch", "v1", "cronjobs", "ns", "c"),
            "/apis/batch/v1/namespaces/ns/cronjobs/c"
        );
    }

    #[test]
    fn controller_reference_wins() {
        let pod = json!({"metadata": {"ownerReferences": [
            {"apiVersion": "v1", "kind": "ConfigMap", "name": "x"},
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "controller": true}
        ]}});
        assert_eq!(
            owner_of(&pod),
            Some(("apps/v1".into(), "ReplicaSet".into(), "web-1".into()))
        );
        assert_eq!(owner_of(&json!({})), None);
    }

    #[test]
    fn as_created_copies_what_controllers_add() {
        let template = json!({"metadata": {"labels": {"app": "db"}},
            "spec": {"containers": [{"name": "db"}]}});
        let live = json!({
            "metadata": {"generateName": "db-", "labels": {"app": "db",
                "controller-revision-hash": "abc", "statefulset.kubernetes.io/pod-name": "db-0",
                "injected": "by-webhook"}},
            "spec": {"hostname": "db-0", "subdomain": "db", "containers": [{"name": "db"}]}
        });
        let pod = as_created(&template, "StatefulSet", &live);
        assert_eq!(pod["metadata"]["labels"]["controller-revision-hash"], "abc");
        assert_eq!(pod["metadata"]["labels"].get("injected"), None);
        assert_eq!(pod["spec"]["hostname"], "db-0");
        assert_eq!(pod["metadata"]["generateName"], "db-");
    }

    #[test]
    fn daemonset_affinity_and_tolerations() {
        let template = json!({"spec": {"containers": [{"name": "agent"}],
            "tolerations": [{"key": "dedicated", "operator": "Exists"}]}});
        let pin = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {}}});
        let live = json!({"spec": {"affinity": pin, "tolerations": [
            {"key": "dedicated", "operator": "Exists"},
            {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": 300}
        ]}});
        let pod = as_created(&template, "DaemonSet", &live);
        assert_eq!(pod["spec"]["affinity"], pin);
        assert_eq!(pod["spec"]["tolerations"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn last_applied_is_parsed_leniently() {
        let obj = json!({"metadata": {"annotations": {(LAST_APPLIED): "{\"kind\":\"Pod\"}"}}});
        assert_eq!(last_applied(&obj), Some(json!({"kind": "Pod"})));
        let bad = json!({"metadata": {"annotations": {(LAST_APPLIED): "not json"}}});
        assert_eq!(last_applied(&bad), None);
    }
}
