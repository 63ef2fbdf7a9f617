//! `--blame`: call each webhook that would see the pod, ourselves, with a dry-run AdmissionReview,
//! in the apiserver's order, applying each patch before the next call, so that every change can
//! be pinned on the webhook whose own patch made it. Only webhooks that declare no side effects
//! on dry run are called; nothing is persisted. This is the collect side (the calls); pinning
//! changes on the recorded patches is `replay`, which is pure.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::error::flatten;
use crate::facts::coverage::Cause;
use crate::facts::diff_pod::{BlameResult, BlameStep};
use crate::kube::access::{Budget, Failure};
use crate::kube::webhooks::{ClientConfig, Webhook};

/// Applies a JSON patch (RFC 6902) to a copy of `pod`.
pub fn apply(pod: &Value, patch: &Value) -> Result<Value, String> {
    let ops: json_patch::Patch =
        serde_json::from_value(patch.clone()).map_err(|e| format!("not a JSON patch: {e}"))?;
    let mut out = pod.clone();
    json_patch::patch(&mut out, &ops).map_err(|e| e.to_string())?;
    Ok(out)
}

/// The AdmissionReview the apiserver would send for a dry-run CREATE of `pod`.
pub fn review(uid: &str, pod: &Value, namespace: &str, version: &str) -> Value {
    let gvk = json!({"group": "", "version": "v1", "kind": "Pod"});
    let gvr = json!({"group": "", "version": "v1", "resource": "pods"});
    json!({
        "apiVersion": format!("admission.k8s.io/{version}"),
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": gvk,
            "resource": gvr,
            "requestKind": gvk,
            "requestResource": gvr,
            "name": pod.pointer("/metadata/name").and_then(Value::as_str).unwrap_or(""),
            "namespace": namespace,
            "operation": "CREATE",
            "userInfo": {"username": "kubectl-sidecar-blame"},
            "object": pod,
            "oldObject": null,
            "dryRun": true,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions", "dryRun": ["All"]}
        }
    })
}

/// The AdmissionReview version to speak: the first the webhook accepts that we know.
pub fn review_version(hook: &Webhook) -> Option<&'static str> {
    hook.admission_review_versions
        .iter()
        .find_map(|v| match v.as_str() {
            "v1" => Some("v1"),
            "v1beta1" => Some("v1beta1"),
            _ => None,
        })
}

/// Reads a webhook's answer: allowed or denied, and its JSON patch if any.
pub fn read_response(answer: &Value, uid: &str) -> BlameResult {
    let Some(response) = answer.get("response") else {
        return failed("the answer is not an AdmissionReview with a response");
    };
    if response.get("uid").and_then(Value::as_str) != Some(uid) {
        return failed("the answer's response.uid does not match the request");
    }
    if response.get("allowed").and_then(Value::as_bool) != Some(true) {
        let message = response
            .pointer("/status/message")
            .and_then(Value::as_str)
            .unwrap_or("denied without a message")
            .to_string();
        return BlameResult::Denied { message };
    }
    let Some(patch) = response.get("patch").and_then(Value::as_str) else {
        return BlameResult::Unchanged;
    };
    if let Some(t) = response.get("patchType").and_then(Value::as_str)
        && t != "JSONPatch"
    {
        return failed(format!("unsupported patchType {t:?}"));
    }
    let bytes = match base64::engine::general_purpose::STANDARD.decode(patch.trim()) {
        Ok(b) => b,
        Err(e) => {
            return failed(format!("response.patch is not base64: {e}"));
        }
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Array(ops)) if ops.is_empty() => BlameResult::Unchanged,
        Ok(p @ Value::Array(_)) => BlameResult::Patched { patch: p },
        Ok(_) | Err(_) => failed("response.patch is not a JSON patch (a JSON list of operations)"),
    }
}

/// A webhook that answered something unusable.
fn failed(error: impl Into<String>) -> BlameResult {
    BlameResult::Failed {
        error: error.into(),
        cause: Cause::ServerError,
    }
}

fn new_uid() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let hex = format!("{:032x}", nanos ^ (u128::from(n) << 64));
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Calls `hooks` in order with `pod` (namespace set), each seeing the previous ones' patches.
pub async fn run(
    client: &kube::Client,
    hooks: &[&Webhook],
    pod: &Value,
    namespace: &str,
    budget: &Budget,
) -> Vec<BlameStep> {
    let mut current = pod.clone();
    let mut steps = Vec::new();
    for hook in hooks {
        let result = call(client, hook, &current, namespace, budget).await;
        if let BlameResult::Patched { patch } = &result {
            match apply(&current, patch) {
                Ok(next) => current = next,
                Err(e) => {
                    steps.push(BlameStep {
                        webhook: hook.name.clone(),
                        configuration: hook.configuration.clone(),
                        result: failed(format!("its patch does not apply to the pod: {e}")),
                    });
                    continue;
                }
            }
        }
        steps.push(BlameStep {
            webhook: hook.name.clone(),
            configuration: hook.configuration.clone(),
            result,
        });
    }
    steps
}

async fn call(
    client: &kube::Client,
    hook: &Webhook,
    pod: &Value,
    namespace: &str,
    budget: &Budget,
) -> BlameResult {
    if !hook.dry_run_safe() {
        return BlameResult::Skipped {
            why: format!(
                "sideEffects {}: calling it could have side effects",
                hook.side_effects
            ),
        };
    }
    let Some(version) = review_version(hook) else {
        return BlameResult::Skipped {
            why: format!(
                "it accepts no AdmissionReview version we speak ({})",
                hook.admission_review_versions.join(", ")
            ),
        };
    };
    let uid = new_uid();
    let body = match serde_json::to_vec(&review(&uid, pod, namespace, version)) {
        Ok(b) => b,
        Err(e) => {
            return BlameResult::Failed {
                error: format!("cannot encode the AdmissionReview: {e}"),
                cause: Cause::Error,
            };
        }
    };
    // The apiserver's own wait for this webhook; the budget's request limit applies as well.
    let wait = hook.timeout();
    let answer = match &hook.client {
        ClientConfig::Service {
            namespace: ns,
            name,
            path,
            port,
        } => {
            let uri = service_proxy_path(ns, name, *port, path.as_deref());
            post(client, &uri, body, wait, budget)
                .await
                .map_err(through_proxy)
        }
        ClientConfig::Url { url } => match url_client(url, hook.ca_bundle.as_deref(), wait).await {
            Ok((direct, path)) => post(&direct, &path, body, wait, budget).await,
            Err(e) => Err(Failure::Other(e)),
        },
        ClientConfig::None => Err(Failure::Other("it has neither a url nor a service".into())),
    };
    match answer {
        Ok(text) => match serde_json::from_str::<Value>(&text) {
            Ok(v) => read_response(&v, &uid),
            Err(e) => failed(format!("the answer is not JSON: {e}")),
        },
        Err(f) => BlameResult::Failed {
            error: f.text().to_string(),
            cause: f.cause(),
        },
    }
}

/// The apiserver's service proxy path to a service-backed webhook (always https, like the
/// apiserver's own call). The apiserver does not verify the webhook's certificate on this path.
fn service_proxy_path(ns: &str, name: &str, port: u16, path: Option<&str>) -> String {
    let path = path.unwrap_or("/");
    let slash = if path.starts_with('/') { "" } else { "/" };
    format!(
        "/api/v1/namespaces/{}/services/https:{}:{port}/proxy{slash}{path}",
        crate::kube::admission::encode(ns),
        crate::kube::admission::encode(name)
    )
}

/// Through the service proxy, 502 and 503 come from the apiserver failing to reach the
/// webhook (no endpoints, connection refused): the webhook is unreachable, not failing.
fn through_proxy(f: Failure) -> Failure {
    match f {
        Failure::Server(t) if t.starts_with("502") || t.starts_with("503") => {
            Failure::Unreachable(t)
        }
        other => other,
    }
}

/// One call, bounded by the webhook's own timeoutSeconds and by the run's budget.
async fn post(
    client: &kube::Client,
    uri: &str,
    body: Vec<u8>,
    wait: Duration,
    budget: &Budget,
) -> Result<String, Failure> {
    let request = http::Request::post(uri)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::ACCEPT, "application/json")
        .body(body)
        .map_err(|e| Failure::Other(format!("cannot build the request: {e}")))?;
    match tokio::time::timeout(wait, budget.run(client.request_text(request))).await {
        Err(_) => Err(Failure::Timeout(format!(
            "no answer within {} (the webhook's timeoutSeconds)",
            crate::kube::access::seconds(wait)
        ))),
        Ok(result) => result,
    }
}

/// A client for a url-backed webhook: no credentials, trusting only its caBundle (or the
/// system roots when it has none), and the path+query to post to.
async fn url_client(
    url: &str,
    ca_bundle: Option<&str>,
    wait: Duration,
) -> Result<(kube::Client, String), String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("its url {url:?} does not parse: {e}"))?;
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(format!("its url {url:?} has no scheme or host"));
    };
    let server = format!("{scheme}://{authority}");
    let path = uri
        .path_and_query()
        .map_or("/".to_string(), |p| p.as_str().to_string());
    let mut cluster = json!({"server": server});
    if let Some(ca) = ca_bundle {
        cluster["certificate-authority-data"] = Value::String(ca.to_string());
    }
    let kubeconfig = json!({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "webhook", "cluster": cluster}],
        "users": [{"name": "anonymous", "user": {}}],
        "contexts": [{"name": "webhook", "context": {"cluster": "webhook", "user": "anonymous"}}],
        "current-context": "webhook"
    });
    let kubeconfig = kube::config::Kubeconfig::from_yaml(&kubeconfig.to_string())
        .map_err(|e| format!("cannot use its caBundle: {}", flatten(&e)))?;
    let mut config = kube::Config::from_custom_kubeconfig(
        kubeconfig,
        &kube::config::KubeConfigOptions::default(),
    )
    .await
    .map_err(|e| format!("cannot use its caBundle: {}", flatten(&e)))?;
    config.connect_timeout = Some(wait);
    config.read_timeout = Some(wait);
    let client = kube::Client::try_from(config)
        .map_err(|e| format!("cannot build a client for {server}: {}", flatten(&e)))?;
    Ok((client, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(v: Value) -> String {
        base64::engine::general_purpose::STANDARD.encode(v.to_string())
    }

    #[test]
    fn review_is_a_dry_run_create() {
        let r = review(
            "u1",
            &json!({"metadata": {"generateName": "w-"}}),
            "ns",
            "v1",
        );
        assert_eq!(r["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(r["request"]["dryRun"], true);
        assert_eq!(r["request"]["operation"], "CREATE");
        assert_eq!(r["request"]["namespace"], "ns");
        assert_eq!(r["request"]["name"], "");
        assert_eq!(r["request"]["resource"]["resource"], "pods");
    }

    #[test]
    fn responses() {
        let patch = json!([{"op": "remove", "path": "/spec/initContainers/0/restartPolicy"}]);
        let ok = json!({"response": {"uid": "u", "allowed": true, "patchType": "JSONPatch",
            "patch": encoded(patch.clone())}});
        assert!(matches!(read_response(&ok, "u"), BlameResult::Patched { patch: p } if p == patch));
        let none = json!({"response": {"uid": "u", "allowed": true}});
        assert!(matches!(read_response(&none, "u"), BlameResult::Unchanged));
        let empty = json!({"response": {"uid": "u", "allowed": true, "patch": encoded(json!([]))}});
        assert!(matches!(read_response(&empty, "u"), BlameResult::Unchanged));
        let denied = json!({"response": {"uid": "u", "allowed": false,
            "status": {"message": "no sidecars here"}}});
        assert!(
            matches!(read_response(&denied, "u"), BlameResult::Denied { message } if message == "no sidecars here")
        );
        for bad in [
            json!({"response": {"uid": "other", "allowed": true}}),
            json!({"kind": "Status"}),
            json!({"response": {"uid": "u", "allowed": true, "patch": "%%%"}}),
            json!({"response": {"uid": "u", "allowed": true, "patch": encoded(json!({"op": "x"}))}}),
            json!({"response": {"uid": "u", "allowed": true, "patchType": "Merge", "patch": encoded(json!([]))}}),
        ] {
            assert!(
                matches!(read_response(&bad, "u"), BlameResult::Failed { .. }),
                "{bad}"
            );
        }
    }

    #[test]
    fn service_proxy_paths() {
        assert_eq!(
            service_proxy_path("hooks", "strip", 443, Some("/mutate?timeout=10s")),
            "/api/v1/namespaces/hooks/services/https:strip:443/proxy/mutate?timeout=10s"
        );
        assert_eq!(
            service_proxy_path("hooks", "strip", 8443, Some("mutate")),
            "/api/v1/namespaces/hooks/services/https:strip:8443/proxy/mutate"
        );
        assert_eq!(
            service_proxy_path("hooks", "strip", 443, None),
            "/api/v1/namespaces/hooks/services/https:strip:443/proxy/"
        );
    }

    #[test]
    fn uids_differ() {
        assert_ne!(new_uid(), new_uid());
        assert_eq!(new_uid().len(), 36);
    }

    #[test]
    fn review_versions() {
        let mut h: Webhook = serde_json::from_value(json!({
            "configuration": "c", "name": "n", "rules": [], "namespaceSelector": null,
            "objectSelector": null, "matchConditions": [], "failurePolicy": "Fail",
            "reinvocationPolicy": "Never", "sideEffects": "None", "timeoutSeconds": 10,
            "client": {"type": "none"}, "admissionReviewVersions": ["v2", "v1beta1", "v1"]
        }))
        .unwrap();
        assert_eq!(review_version(&h), Some("v1beta1"));
        h.admission_review_versions = vec!["v9".into()];
        assert_eq!(review_version(&h), None);
    }
}
