//! What kind of change each difference is: removed by admission, injected (a container, volume,
//! env var, annotation), a default the apiserver fills in, or another change, and whether it
//! damages a native sidecar of the submitted pod.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::diff::{Op, Path, RawChange, Seg, is_container_list};
use super::normalize::TOKEN_VOLUME;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// In the submission, gone after admission.
    Removed,
    /// A container, volume, env var, mount or annotation that admission added.
    Injected,
    /// A value the apiserver fills in when it is absent (or writes in canonical form).
    Defaulted,
    /// A value admission replaced.
    Changed,
    /// Another field admission added.
    Added,
}

/// How a change damages a sidecar that the submission declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SidecarEffect {
    /// `restartPolicy: Always` gone: the container becomes a classic init container.
    RestartPolicyRemoved,
    /// The whole sidecar container is gone.
    SidecarRemoved,
    /// Another field of the sidecar was removed or changed.
    SidecarModified,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub raw: RawChange,
    pub kind: Kind,
    /// The container the change is in, if any.
    pub container: Option<String>,
    pub sidecar: Option<SidecarEffect>,
}

/// Init containers declared as native sidecars (`restartPolicy: Always`) in a pod.
pub fn sidecars(pod: &Value) -> Vec<String> {
    pod.pointer("/spec/initContainers")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter(|c| c.get("restartPolicy").and_then(Value::as_str) == Some("Always"))
                .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `submitted` and `admitted` are the normalized pods the raw changes were computed from.
pub fn classify(raw: Vec<RawChange>, submitted: &Value, admitted: &Value) -> Vec<Change> {
    let declared = sidecars(submitted);
    raw.into_iter()
        .map(|raw| {
            let container = raw.path.container().map(|(_, name)| name.to_string());
            let kind = kind_of(&raw, admitted);
            let sidecar = sidecar_effect(&raw, kind, &declared);
            Change {
                raw,
                kind,
                container,
                sidecar,
            }
        })
        .collect()
}

fn kind_of(c: &RawChange, admitted: &Value) -> Kind {
    match c.op {
        Op::Removed => Kind::Removed,
        Op::Changed => {
            if is_resource_quantity(&c.path) && same_quantity(c.before.as_ref(), c.after.as_ref()) {
                Kind::Defaulted
            } else {
                Kind::Changed
            }
        }
        Op::Added => {
            let value = c.after.as_ref().unwrap_or(&Value::Null);
            if is_default(&c.path, value, admitted) {
                Kind::Defaulted
            } else if is_injection(&c.path) {
                Kind::Injected
            } else {
                Kind::Added
            }
        }
    }
}

fn sidecar_effect(c: &RawChange, kind: Kind, declared: &[String]) -> Option<SidecarEffect> {
    let (list, name) = c.path.container()?;
    if list != "initContainers" || !declared.iter().any(|d| d == name) {
        return None;
    }
    if !matches!(kind, Kind::Removed | Kind::Changed) {
        return None;
    }
    match c.path.in_container()? {
        [] => Some(SidecarEffect::SidecarRemoved),
        [Seg::Key(k)] if k == "restartPolicy" => Some(SidecarEffect::RestartPolicyRemoved),
        _ => Some(SidecarEffect::SidecarModified),
    }
}

fn is_injection(path: &Path) -> bool {
    match path.0.as_slice() {
        [Seg::Key(m), Seg::Key(map), Seg::Key(_)] => {
            m == "metadata" && (map == "annotations" || map == "labels")
        }
        [.., Seg::Key(list), Seg::Item { .. } | Seg::Index(_)] => {
            is_container_list(list)
                || matches!(
                    list.as_str(),
                    "volumes" | "imagePullSecrets" | "env" | "envFrom" | "volumeMounts"
                )
        }
        _ => false,
    }
}

/// One token of a path pattern: a literal key, `*` for any list item, or a set of keys.
fn token_matches(token: &str, seg: &Seg) -> bool {
    match (token, seg) {
        ("*", Seg::Item { .. } | Seg::Index(_)) => true,
        ("@c", Seg::Key(k)) => is_container_list(k),
        ("@probe", Seg::Key(k)) => {
            matches!(
                k.as_str(),
                "livenessProbe" | "readinessProbe" | "startupProbe"
            )
        }
        ("@hook", Seg::Key(k)) => matches!(k.as_str(), "postStart" | "preStop"),
        ("@vs", Seg::Key(k)) => matches!(
            k.as_str(),
            "configMap" | "secret" | "downwardAPI" | "projected"
        ),
        (lit, Seg::Key(k)) => lit == k,
        _ => false,
    }
}

fn path_matches(pattern: &str, path: &Path) -> bool {
    let tokens: Vec<&str> = pattern.split('.').collect();
    tokens.len() == path.0.len() && tokens.iter().zip(&path.0).all(|(t, s)| token_matches(t, s))
}

/// A predicate on the value found at a path.
type ValueTest = fn(&Value) -> bool;

const SERVICE_ACCOUNT_MOUNT: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Defaults from k/k pkg/apis/core/v1/defaults.go and the built-in admission plugins that every
/// cluster runs (ServiceAccount, DefaultTolerationSeconds, Priority).
fn is_default(path: &Path, value: &Value, admitted: &Value) -> bool {
    let is = |v: Value| *value == v;
    let probe_default = |field: &str, v: i64| {
        path_matches(&format!("spec.@c.*.@probe.{field}"), path) && is(Value::from(v))
    };
    if probe_default("timeoutSeconds", 1)
        || probe_default("periodSeconds", 10)
        || probe_default("successThreshold", 1)
        || probe_default("failureThreshold", 3)
    {
        return true;
    }
    let table: &[(&str, ValueTest)] = &[
        ("spec.restartPolicy", |v| v == "Always"),
        ("spec.terminationGracePeriodSeconds", |v| v == 30),
        ("spec.dnsPolicy", |v| v == "ClusterFirst"),
        ("spec.schedulerName", |v| v == "default-scheduler"),
        ("spec.enableServiceLinks", |v| v == true),
        ("spec.preemptionPolicy", |v| v == "PreemptLowerPriority"),
        ("spec.priority", Value::is_i64),
        ("spec.serviceAccountName", Value::is_string),
        ("spec.serviceAccount", Value::is_string),
        ("spec.tolerations.*", is_default_toleration),
        ("spec.volumes.*", |v| {
            v.get("name") == Some(&Value::from(TOKEN_VOLUME))
        }),
        ("spec.@c.*.terminationMessagePath", |v| {
            v == "/dev/termination-log"
        }),
        ("spec.@c.*.terminationMessagePolicy", |v| v == "File"),
        ("spec.@c.*.imagePullPolicy", |v| {
            v == "Always" || v == "IfNotPresent"
        }),
        ("spec.@c.*.ports.*.protocol", |v| v == "TCP"),
        ("spec.@c.*.@probe.httpGet.scheme", |v| v == "HTTP"),
        ("spec.@c.*.lifecycle.@hook.httpGet.scheme", |v| v == "HTTP"),
        ("spec.@c.*.env.*.valueFrom.fieldRef.apiVersion", |v| {
            v == "v1"
        }),
        ("spec.@c.*.volumeMounts.*", |v| {
            v.get("mountPath") == Some(&Value::from(SERVICE_ACCOUNT_MOUNT))
        }),
        ("spec.volumes.*.@vs.defaultMode", |v| v == 420),
        ("spec.volumes.*.hostPath.type", |v| v == ""),
        (
            "spec.volumes.*.downwardAPI.items.*.fieldRef.apiVersion",
            |v| v == "v1",
        ),
        (
            "spec.volumes.*.projected.sources.*.downwardAPI.items.*.fieldRef.apiVersion",
            |v| v == "v1",
        ),
    ];
    if table
        .iter()
        .any(|(pattern, ok)| path_matches(pattern, path) && ok(value))
    {
        return true;
    }
    requests_from_limits(path, value, admitted)
}

/// The apiserver copies limits into requests that are not set.
fn requests_from_limits(path: &Path, value: &Value, admitted: &Value) -> bool {
    let limits_of = |container_path: &[Seg]| {
        let mut p = Path(container_path.to_vec());
        p.0.push(Seg::Key("resources".into()));
        p.0.push(Seg::Key("limits".into()));
        p.get(admitted).cloned()
    };
    if path_matches("spec.@c.*.resources.requests", path) {
        return limits_of(&path.0[..3]).is_some_and(|l| {
            value
                .as_object()
                .is_some_and(|r| r.iter().all(|(k, v)| same_quantity(l.get(k), Some(v))))
        });
    }
    if path.0.len() == 6
        && path_matches("spec.@c.*.resources.requests", &Path(path.0[..5].to_vec()))
        && let Some(Seg::Key(resource)) = path.0.last()
    {
        return limits_of(&path.0[..3])
            .is_some_and(|l| same_quantity(l.get(resource), Some(value)));
    }
    false
}

fn is_default_toleration(v: &Value) -> bool {
    let key = v.get("key").and_then(Value::as_str);
    matches!(
        key,
        Some("node.kubernetes.io/not-ready" | "node.kubernetes.io/unreachable")
    ) && v.get("operator").and_then(Value::as_str) == Some("Exists")
        && v.get("effect").and_then(Value::as_str) == Some("NoExecute")
        && v.get("tolerationSeconds").and_then(Value::as_i64) == Some(300)
}

fn is_resource_quantity(path: &Path) -> bool {
    path.0.len() == 6
        && path_matches("spec.@c.*.resources", &Path(path.0[..4].to_vec()))
        && matches!(&path.0[4], Seg::Key(k) if k == "limits" || k == "requests")
}

/// Whether two resource quantities are equal (`0.5` and `500m`, `1Gi` and `1024Mi`).
pub fn same_quantity(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a.and_then(quantity), b.and_then(quantity)) {
        (Some(x), Some(y)) => (x - y).abs() <= f64::EPSILON * x.abs().max(y.abs()).max(1.0),
        _ => false,
    }
}

fn quantity(v: &Value) -> Option<f64> {
    if let Some(n) = v.as_f64() {
        return Some(n);
    }
    let s = v.as_str()?.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let scale = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exp if exp.starts_with(['e', 'E']) => 10f64.powi(exp[1..].parse().ok()?),
        _ => return None,
    };
    Some(n * scale)
}

#[cfg(test)]
mod tests {
    use super::super::diff::diff;
    use super::*;
    use serde_json::json;

    fn classified(before: Value, after: Value) -> Vec<(String, Kind, Option<SidecarEffect>)> {
        classify(diff(&before, &after), &before, &after)
            .into_iter()
            .map(|c| (c.raw.path.to_string(), c.kind, c.sidecar))
            .collect()
    }

    fn pod(init: Value) -> Value {
        json!({"spec": {"containers": [{"name": "app", "image": "app"}], "initContainers": init}})
    }

    #[test]
    fn stripped_restart_policy_is_the_headline() {
        let before = pod(json!([{"name": "proxy", "image": "envoy", "restartPolicy": "Always"}]));
        let after = pod(json!([{"name": "proxy", "image": "envoy"}]));
        assert_eq!(
            classified(before, after),
            vec![(
                "spec.initContainers[name=proxy].restartPolicy".into(),
                Kind::Removed,
                Some(SidecarEffect::RestartPolicyRemoved)
            )]
        );
    }

    #[test]
    fn classic_init_containers_are_not_sidecars() {
        let before = pod(json!([{"name": "migrate", "image": "m", "command": ["a"]}]));
        let after = pod(json!([{"name": "migrate", "image": "m"}]));
        assert_eq!(
            classified(before, after),
            vec![(
                "spec.initContainers[name=migrate].command".into(),
                Kind::Removed,
                None
            )]
        );
    }

    #[test]
    fn removed_sidecar_and_modified_sidecar() {
        let before = pod(json!([
            {"name": "a", "restartPolicy": "Always", "image": "1"},
            {"name": "b", "restartPolicy": "Always", "image": "1"}
        ]));
        let after = pod(json!([{"name": "b", "restartPolicy": "Always", "image": "2"}]));
        assert_eq!(
            classified(before, after),
            vec![
                (
                    "spec.initContainers[name=a]".into(),
                    Kind::Removed,
                    Some(SidecarEffect::SidecarRemoved)
                ),
                (
                    "spec.initContainers[name=b].image".into(),
                    Kind::Changed,
                    Some(SidecarEffect::SidecarModified)
                ),
            ]
        );
    }

    #[test]
    fn injected_native_sidecar_does_not_affect_sidecars() {
        let before = json!({"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "image": "app"}]}});
        let after = json!({
            "metadata": {"labels": {"app": "web"}, "annotations": {"injected": "yes"}},
            "spec": {
                "containers": [{"name": "app", "image": "app",
                    "env": [{"name": "PROXY", "value": "1"}]}],
                "initContainers": [{"name": "proxy", "restartPolicy": "Always"}],
                "volumes": [{"name": "certs", "emptyDir": {}}]
            }
        });
        let got = classified(before, after);
        assert_eq!(
            got,
            vec![
                ("metadata.annotations.injected".into(), Kind::Injected, None),
                (
                    "spec.containers[name=app].env[name=PROXY]".into(),
                    Kind::Injected,
                    None
                ),
                (
                    "spec.initContainers[name=proxy]".into(),
                    Kind::Injected,
                    None
                ),
                ("spec.volumes[name=certs]".into(), Kind::Injected, None),
            ]
        );
    }

    #[test]
    fn apiserver_defaults_are_recognised() {
        let before = json!({"spec": {
            "containers": [{"name": "app", "image": "app:1",
                "ports": [{"containerPort": 80}],
                "readinessProbe": {"httpGet": {"port": 80}},
                "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}}}]
        }});
        let after = json!({"spec": {
            "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
            "terminationGracePeriodSeconds": 30, "schedulerName": "default-scheduler",
            "enableServiceLinks": true, "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0, "serviceAccountName": "default", "serviceAccount": "default",
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                "effect": "NoExecute", "tolerationSeconds": 300}],
            "containers": [{"name": "app", "image": "app:1",
                "imagePullPolicy": "IfNotPresent",
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                "readinessProbe": {"httpGet": {"port": 80, "scheme": "HTTP"},
                    "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1,
                    "failureThreshold": 3},
                "resources": {"limits": {"cpu": "0.5", "memory": "1Gi"},
                    "requests": {"cpu": "500m", "memory": "1024Mi"}}}]
        }});
        let got = classified(before, after);
        let not_default: Vec<_> = got.iter().filter(|c| c.1 != Kind::Defaulted).collect();
        assert!(not_default.is_empty(), "{not_default:?}");
        assert!(got.len() > 15, "{got:?}");
    }

    #[test]
    fn non_default_values_are_not_defaults() {
        let before = json!({"spec": {"containers": [{"name": "app"}]}});
        let after = json!({"spec": {"dnsPolicy": "None", "terminationGracePeriodSeconds": 5,
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                "effect": "NoExecute", "tolerationSeconds": 10}],
            "containers": [{"name": "app", "securityContext": {"runAsNonRoot": true},
                "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "2"}}}]}});
        let got = classified(before, after);
        assert!(got.iter().all(|c| c.1 != Kind::Defaulted), "{got:?}");
    }

    #[test]
    fn quantities_compare_by_value() {
        let q = |a: Value, b: Value| same_quantity(Some(&a), Some(&b));
        assert!(q(json!("0.5"), json!("500m")));
        assert!(q(json!("1Gi"), json!("1024Mi")));
        assert!(q(json!(2), json!("2")));
        assert!(q(json!("1e3"), json!("1k")));
        assert!(!q(json!("1G"), json!("1Gi")));
        assert!(!q(json!("x"), json!("x")));
    }

    #[test]
    fn sidecars_lists_restartable_init_containers() {
        let p = pod(json!([
            {"name": "a", "restartPolicy": "Always"},
            {"name": "b"},
            {"restartPolicy": "Always"}
        ]));
        assert_eq!(sidecars(&p), vec!["a".to_string()]);
        assert!(sidecars(&json!({})).is_empty());
    }
}
