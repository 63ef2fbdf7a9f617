//! Puts a submitted pod and an admitted pod in the same shape before diffing: what identifies an
//! object or records its history (names, uid, timestamps, managedFields, status) is not what
//! admission did to it, and empty values mean the same as absent ones.

use serde_json::{Map, Value};

/// The annotation `kubectl apply` writes is the submission, not a change to it.
use crate::kube::collect::extract::LAST_APPLIED;

/// The projected token volume the ServiceAccount admission plugin adds, `kube-api-access-xxxxx`.
const TOKEN_VOLUME_PREFIX: &str = "kube-api-access-";
pub const TOKEN_VOLUME: &str = "kube-api-access-<generated>";

const IDENTITY_FIELDS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
    "managedFields",
    "ownerReferences",
];

/// `live`: the pod exists, so the scheduler's binding (`spec.nodeName`) is not admission either.
pub fn normalize(pod: &Value, live: bool) -> Value {
    let mut pod = pod.clone();
    let Some(obj) = pod.as_object_mut() else {
        return pod;
    };
    obj.remove("status");
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in IDENTITY_FIELDS {
            meta.remove(*field);
        }
        if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            ann.remove(LAST_APPLIED);
        }
    }
    if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
        if live {
            spec.remove("nodeName");
        }
        rename_token_volume(spec);
    }
    prune(&mut pod);
    pod
}

/// Gives the generated token volume one stable name on both sides, so repeated runs (and the
/// volume and its mounts) line up.
fn rename_token_volume(spec: &mut Map<String, Value>) {
    let generated = |v: &Value| {
        v.as_str().is_some_and(|n| {
            n.strip_prefix(TOKEN_VOLUME_PREFIX)
                .is_some_and(|s| s.len() == 5 && s.chars().all(|c| c.is_ascii_alphanumeric()))
        })
    };
    if let Some(volumes) = spec.get_mut("volumes").and_then(Value::as_array_mut) {
        for v in volumes {
            if let Some(name) = v.get_mut("name").filter(|n| generated(n)) {
                *name = Value::String(TOKEN_VOLUME.into());
            }
        }
    }
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
            continue;
        };
        for c in containers {
            let Some(mounts) = c.get_mut("volumeMounts").and_then(Value::as_array_mut) else {
                continue;
            };
            for m in mounts {
                if let Some(name) = m.get_mut("name").filter(|n| generated(n)) {
                    *name = Value::String(TOKEN_VOLUME.into());
                }
            }
        }
    }
}

/// Drops nulls, empty maps and empty lists, which the API treats as absent. `emptyDir: {}` is
/// the exception: it is a volume source, and removing it would change the meaning.
pub fn prune(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (_, v) in map.iter_mut() {
                prune(v);
            }
            map.retain(|k, v| match v {
                Value::Null => false,
                Value::Object(m) if m.is_empty() => k == "emptyDir",
                Value::Array(a) => !a.is_empty(),
                _ => true,
            });
        }
        Value::Array(items) => {
            for v in items.iter_mut() {
                prune(v);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identity_history_and_status_are_dropped() {
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "name": "web-x7k2p", "generateName": "web-", "namespace": "ns",
                "uid": "u", "resourceVersion": "1", "creationTimestamp": "2026-01-01T00:00:00Z",
                "managedFields": [{"manager": "kubectl"}],
                "ownerReferences": [{"kind": "ReplicaSet"}],
                "labels": {"app": "web"},
                "annotations": {(LAST_APPLIED): "{}", "keep": "me"}
            },
            "spec": {"nodeName": "n1", "containers": [{"name": "app"}]},
            "status": {"phase": "Pending"}
        });
        let n = normalize(&pod, true);
        assert_eq!(
            n,
            json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"labels": {"app": "web"}, "annotations": {"keep": "me"}},
                "spec": {"containers": [{"name": "app"}]}
            })
        );
    }

    #[test]
    fn node_name_is_kept_for_dry_runs() {
        let pod = json!({"spec": {"nodeName": "n1"}});
        assert_eq!(normalize(&pod, false), pod);
    }

    #[test]
    fn empty_values_vanish_but_empty_dir_stays() {
        let pod = json!({
            "metadata": {"creationTimestamp": null, "labels": {}},
            "spec": {
                "securityContext": {},
                "volumes": [{"name": "scratch", "emptyDir": {}}],
                "containers": [{"name": "a", "resources": {}, "args": [], "env": null}]
            }
        });
        assert_eq!(
            normalize(&pod, false),
            json!({"spec": {
                "volumes": [{"name": "scratch", "emptyDir": {}}],
                "containers": [{"name": "a"}]
            }})
        );
    }

    #[test]
    fn generated_token_volume_gets_a_stable_name() {
        let pod = json!({"spec": {
            "volumes": [{"name": "kube-api-access-abc12"}, {"name": "kube-api-access-long-name"}],
            "containers": [{"name": "a", "volumeMounts": [{"name": "kube-api-access-abc12"}]}]
        }});
        let n = normalize(&pod, false);
        assert_eq!(n["spec"]["volumes"][0]["name"], TOKEN_VOLUME);
        assert_eq!(n["spec"]["volumes"][1]["name"], "kube-api-access-long-name");
        assert_eq!(
            n["spec"]["containers"][0]["volumeMounts"][0]["name"],
            TOKEN_VOLUME
        );
    }

    #[test]
    fn non_objects_pass_through() {
        assert_eq!(normalize(&json!("x"), false), json!("x"));
    }
}
