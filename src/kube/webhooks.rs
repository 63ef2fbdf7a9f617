//! Mutating webhooks and whether one would be called for a request: rules (operation, group,
//! version, resource, scope), namespaceSelector against the namespace's labels, objectSelector
//! against the object's labels. matchConditions are CEL, which is not evaluated here: a webhook
//! that has them "may match".

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kube::selector::{Labels, Selector};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// The MutatingWebhookConfiguration's name.
    pub configuration: String,
    pub name: String,
    pub rules: Vec<Rule>,
    pub namespace_selector: Value,
    pub object_selector: Value,
    /// Names of the matchConditions (the CEL expressions are not evaluated).
    pub match_conditions: Vec<String>,
    pub failure_policy: String,
    pub reinvocation_policy: String,
    pub side_effects: String,
    pub timeout_seconds: u64,
    pub client: ClientConfig,
    /// Base64 PEM bundle that signs the webhook's serving certificate (public data).
    #[serde(skip_serializing, default)]
    pub ca_bundle: Option<String>,
    pub admission_review_versions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub operations: Vec<String>,
    pub api_groups: Vec<String>,
    pub api_versions: Vec<String>,
    pub resources: Vec<String>,
    pub scope: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum ClientConfig {
    Url {
        url: String,
    },
    Service {
        namespace: String,
        name: String,
        path: Option<String>,
        port: u16,
    },
    /// Neither url nor service: the apiserver would refuse such a configuration.
    None,
}

/// One request, as the admission chain sees it.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub operation: &'a str,
    pub group: &'a str,
    pub version: &'a str,
    pub resource: &'a str,
    pub subresource: &'a str,
    pub namespaced: bool,
    /// None: the namespace's labels could not be read.
    pub namespace_labels: Option<&'a Labels>,
    pub object_labels: &'a Labels,
}

impl Target<'_> {
    pub fn describe(&self) -> String {
        let group = if self.group.is_empty() {
            String::new()
        } else {
            format!("{}/", self.group)
        };
        format!(
            "{} {group}{}/{}",
            self.operation, self.version, self.resource
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "verdict", content = "why")]
pub enum Verdict {
    Matches,
    MayMatch(String),
    NoMatch(String),
}

impl Verdict {
    pub fn applies(&self) -> bool {
        !matches!(self, Verdict::NoMatch(_))
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn text(v: Option<&Value>, default: &str) -> String {
    v.and_then(Value::as_str).unwrap_or(default).to_string()
}

/// Reads the webhooks of MutatingWebhookConfiguration objects, in the order the apiserver calls
/// them: configurations sorted by name, webhooks in their order within each.
pub fn parse_configurations(items: &[Value]) -> Vec<Webhook> {
    let mut configs: Vec<&Value> = items.iter().collect();
    configs.sort_by_key(|c| {
        c.pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    });
    let mut out = Vec::new();
    for config in configs {
        let configuration = text(config.pointer("/metadata/name"), "");
        let Some(hooks) = config.get("webhooks").and_then(Value::as_array) else {
            continue;
        };
        for hook in hooks {
            out.push(parse_webhook(&configuration, hook));
        }
    }
    out
}

fn parse_webhook(configuration: &str, hook: &Value) -> Webhook {
    let rules = hook
        .get("rules")
        .and_then(Value::as_array)
        .map(|rs| {
            rs.iter()
                .map(|r| Rule {
                    operations: strings(r.get("operations")),
                    api_groups: strings(r.get("apiGroups")),
                    api_versions: strings(r.get("apiVersions")),
                    resources: strings(r.get("resources")),
                    scope: text(r.get("scope"), "*"),
                })
                .collect()
        })
        .unwrap_or_default();
    let cc = hook.get("clientConfig");
    let client = if let Some(url) = cc.and_then(|c| c.get("url")).and_then(Value::as_str) {
        ClientConfig::Url { url: url.into() }
    } else if let Some(svc) = cc.and_then(|c| c.get("service")) {
        ClientConfig::Service {
            namespace: text(svc.get("namespace"), ""),
            name: text(svc.get("name"), ""),
            path: svc.get("path").and_then(Value::as_str).map(str::to_string),
            port: svc
                .get("port")
                .and_then(Value::as_u64)
                .and_then(|p| u16::try_from(p).ok())
                .unwrap_or(443),
        }
    } else {
        ClientConfig::None
    };
    Webhook {
        configuration: configuration.to_string(),
        name: text(hook.get("name"), ""),
        rules,
        namespace_selector: hook
            .get("namespaceSelector")
            .cloned()
            .unwrap_or(Value::Null),
        object_selector: hook.get("objectSelector").cloned().unwrap_or(Value::Null),
        match_conditions: hook
            .get("matchConditions")
            .and_then(Value::as_array)
            .map(|mc| mc.iter().map(|c| text(c.get("name"), "?")).collect())
            .unwrap_or_default(),
        failure_policy: text(hook.get("failurePolicy"), "Fail"),
        reinvocation_policy: text(hook.get("reinvocationPolicy"), "Never"),
        side_effects: text(hook.get("sideEffects"), "Unknown"),
        timeout_seconds: hook
            .get("timeoutSeconds")
            .and_then(Value::as_u64)
            .unwrap_or(10),
        client,
        ca_bundle: cc
            .and_then(|c| c.get("caBundle"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        admission_review_versions: strings(hook.get("admissionReviewVersions")),
    }
}

/// The range the apiserver allows for a webhook's timeoutSeconds (k/k
/// pkg/apis/admissionregistration/validation: "must be between 1 and 30 seconds").
const TIMEOUT_SECONDS: std::ops::RangeInclusive<u64> = 1..=30;

impl Webhook {
    /// How long the apiserver waits for this webhook: its timeoutSeconds, within what the API
    /// allows (a stored value outside it can only come from a hand-made object).
    pub fn timeout(&self) -> std::time::Duration {
        let secs = self
            .timeout_seconds
            .clamp(*TIMEOUT_SECONDS.start(), *TIMEOUT_SECONDS.end());
        std::time::Duration::from_secs(secs)
    }

    /// Whether a dry run may call this webhook: any other sideEffects value makes the apiserver
    /// refuse the whole dry-run request.
    pub fn dry_run_safe(&self) -> bool {
        matches!(self.side_effects.as_str(), "None" | "NoneOnDryRun")
    }

    /// Where a webhook is served, for remedies: `service hooks/strip:443 /mutate` or its url.
    pub fn endpoint(&self) -> String {
        match &self.client {
            ClientConfig::Service {
                namespace,
                name,
                path,
                port,
            } => format!(
                "service {namespace}/{name}:{port}{}",
                path.as_deref()
                    .map(|p| format!(" path {p}"))
                    .unwrap_or_default()
            ),
            ClientConfig::Url { url } => format!("url {url}"),
            ClientConfig::None => {
                "its endpoint (the configuration has neither url nor service)".into()
            }
        }
    }

    /// Whether a rule covers the request, selectors and matchConditions aside.
    pub fn rules_cover(&self, t: &Target) -> bool {
        self.rules.iter().any(|r| r.matches(t))
    }

    /// Decides like k/k staging/src/k8s.io/apiserver/pkg/admission/plugin/webhook (rules, then
    /// namespace, then object selector, then matchConditions).
    pub fn evaluate(&self, t: &Target) -> Verdict {
        if !self.rules_cover(t) {
            return Verdict::NoMatch(format!("no rule covers {}", t.describe()));
        }
        if t.namespaced {
            match Selector::from_label_selector(&self.namespace_selector) {
                Err(e) => return Verdict::MayMatch(format!("namespaceSelector unreadable: {e}")),
                Ok(s) if s.is_empty() => {}
                Ok(s) => match t.namespace_labels {
                    None => {
                        return Verdict::MayMatch(format!(
                            "namespaceSelector {s} not evaluated: the namespace's labels could not be read"
                        ));
                    }
                    Some(labels) if !s.matches(labels) => {
                        return Verdict::NoMatch(format!(
                            "namespaceSelector {s} does not match the namespace"
                        ));
                    }
                    Some(_) => {}
                },
            }
        }
        match Selector::from_label_selector(&self.object_selector) {
            Err(e) => return Verdict::MayMatch(format!("objectSelector unreadable: {e}")),
            Ok(s) if !s.is_empty() && !s.matches(t.object_labels) => {
                return Verdict::NoMatch(format!(
                    "objectSelector {s} does not match the object's labels"
                ));
            }
            Ok(_) => {}
        }
        if !self.match_conditions.is_empty() {
            return Verdict::MayMatch(format!(
                "matchConditions ({}) are CEL and were not evaluated",
                self.match_conditions.join(", ")
            ));
        }
        Verdict::Matches
    }
}

impl Rule {
    fn matches(&self, t: &Target) -> bool {
        let any = |list: &[String], want: &str| list.iter().any(|v| v == "*" || v == want);
        let scope_ok = match self.scope.as_str() {
            "Namespaced" => t.namespaced,
            "Cluster" => !t.namespaced,
            _ => true,
        };
        scope_ok
            && any(&self.operations, t.operation)
            && any(&self.api_groups, t.group)
            && any(&self.api_versions, t.version)
            && self.resources.iter().any(|r| {
                // `pods/*` also covers `pods` itself: the subresource part matches "" too.
                let (res, sub) = r.split_once('/').unwrap_or((r, ""));
                (res == "*" || res == t.resource) && (sub == "*" || sub == t.subresource)
            })
    }
}

/// Where the pods of a namespace stand, for a CREATE of pods.
pub fn pod_create<'a>(
    namespace_labels: Option<&'a Labels>,
    object_labels: &'a Labels,
) -> Target<'a> {
    Target {
        operation: "CREATE",
        group: "",
        version: "v1",
        resource: "pods",
        subresource: "",
        namespaced: true,
        namespace_labels,
        object_labels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn config(name: &str, hook: Value) -> Value {
        json!({"metadata": {"name": name}, "webhooks": [hook]})
    }

    fn hook(extra: Value) -> Webhook {
        let mut h = json!({
            "name": "strip.example.com",
            "clientConfig": {"service": {"namespace": "hooks", "name": "strip", "path": "/mutate"}},
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                "resources": ["pods"]}],
            "sideEffects": "None",
            "admissionReviewVersions": ["v1"]
        });
        if let (Some(h), Some(e)) = (h.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                h.insert(k.clone(), v.clone());
            }
        }
        parse_configurations(&[config("c", h)]).remove(0)
    }

    #[test]
    fn parses_defaults_and_client() {
        let h = hook(json!({}));
        assert_eq!(h.failure_policy, "Fail");
        assert_eq!(h.reinvocation_policy, "Never");
        assert_eq!(h.timeout_seconds, 10);
        assert_eq!(
            h.client,
            ClientConfig::Service {
                namespace: "hooks".into(),
                name: "strip".into(),
                path: Some("/mutate".into()),
                port: 443
            }
        );
        assert!(h.dry_run_safe());
        let u = hook(
            json!({"clientConfig": {"url": "https://10.1.0.2:8443/m", "caBundle": "Zm9v"},
            "sideEffects": "Some"}),
        );
        assert_eq!(
            u.client,
            ClientConfig::Url {
                url: "https://10.1.0.2:8443/m".into()
            }
        );
        assert_eq!(u.ca_bundle.as_deref(), Some("Zm9v"));
        assert!(!u.dry_run_safe());
    }

    #[test]
    fn apiserver_order_is_configuration_name_then_position() {
        let items = [
            json!({"metadata": {"name": "zeta"}, "webhooks": [{"name": "z1"}]}),
            json!({"metadata": {"name": "alpha"}, "webhooks": [{"name": "a1"}, {"name": "a0"}]}),
        ];
        let names: Vec<String> = parse_configurations(&items)
            .into_iter()
            .map(|h| h.name)
            .collect();
        assert_eq!(names, vec!["a1", "a0", "z1"]);
    }

    #[test]
    fn rules_decide_first() {
        let ns = labels(&[]);
        let obj = labels(&[]);
        let t = pod_create(Some(&ns), &obj);
        assert_eq!(hook(json!({})).evaluate(&t), Verdict::Matches);
        for rules in [
            json!([{"operations": ["UPDATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}]),
            json!([{"operations": ["*"], "apiGroups": ["apps"], "apiVersions": ["*"], "resources": ["*"]}]),
            json!([{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["v2"], "resources": ["*"]}]),
            json!([{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["pods/status"]}]),
            json!([{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["pods"], "scope": "Cluster"}]),
            json!([]),
        ] {
            let h = hook(json!({"rules": rules}));
            assert!(!h.rules_cover(&t), "{rules}");
            let v = h.evaluate(&t);
            assert!(matches!(v, Verdict::NoMatch(_)), "{rules}: {v:?}");
        }
        for rules in [
            json!([{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*/*"]}]),
            json!([{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods/*"], "scope": "Namespaced"}]),
            json!([{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["*"]}]),
        ] {
            let h = hook(json!({"rules": rules}));
            // Doctor lists the webhooks on pod creation by this, before any selector is known.
            assert!(h.rules_cover(&pod_create(None, &obj)), "{rules}");
            assert_eq!(h.evaluate(&t), Verdict::Matches, "{rules}");
        }
    }

    #[test]
    fn namespace_selector() {
        let h = hook(json!({"namespaceSelector": {"matchLabels": {"strip": "yes"}}}));
        let obj = labels(&[]);
        let yes = labels(&[("strip", "yes"), ("kubernetes.io/metadata.name", "a")]);
        let no = labels(&[("kubernetes.io/metadata.name", "b")]);
        assert_eq!(h.evaluate(&pod_create(Some(&yes), &obj)), Verdict::Matches);
        assert!(matches!(
            h.evaluate(&pod_create(Some(&no), &obj)),
            Verdict::NoMatch(_)
        ));
        assert!(matches!(
            h.evaluate(&pod_create(None, &obj)),
            Verdict::MayMatch(_)
        ));
        let mut cluster_scoped = pod_create(Some(&no), &obj);
        cluster_scoped.namespaced = false;
        cluster_scoped.resource = "namespaces";
        let any = hook(json!({
            "namespaceSelector": {"matchLabels": {"strip": "yes"}},
            "rules": [{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"]}]
        }));
        assert_eq!(any.evaluate(&cluster_scoped), Verdict::Matches);
    }

    #[test]
    fn object_selector_and_match_conditions() {
        let ns = labels(&[]);
        let h = hook(json!({"objectSelector": {"matchExpressions": [
            {"key": "sidecar.example.com/inject", "operator": "NotIn", "values": ["false"]}]}}));
        let opt_out = labels(&[("sidecar.example.com/inject", "false")]);
        let plain = labels(&[("app", "web")]);
        assert!(matches!(
            h.evaluate(&pod_create(Some(&ns), &opt_out)),
            Verdict::NoMatch(_)
        ));
        assert_eq!(h.evaluate(&pod_create(Some(&ns), &plain)), Verdict::Matches);
        let cel = hook(json!({"matchConditions": [{"name": "not-system", "expression": "true"}]}));
        match cel.evaluate(&pod_create(Some(&ns), &plain)) {
            Verdict::MayMatch(why) => assert!(why.contains("not-system"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}
