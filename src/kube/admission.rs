//! All of diff-pod's API access except the owner walk and `--blame`: the apiserver's version and
//! gate, the mutating webhooks, namespace labels, and the dry-run create. Reads are GET/LIST; the
//! one write is `POST pods?dryRun=All`, which persists nothing. Objects stay `serde_json::Value`
//! end to end: typed structs would drop the very fields this command looks for.

use serde_json::Value;

use crate::error::Error;
use crate::facts::admission::{Apiserver, Gate, Outcome, Webhooks};
use crate::facts::coverage::{Cause, Gap};
use crate::kube::access::{Budget, Failure, PAGE, one_line};
use crate::kube::selector::{Labels, string_map};
use crate::kube::webhooks::parse_configurations;

/// An answer from the apiserver: status, `Warning` headers, body.
pub struct Reply {
    pub status: u16,
    pub warnings: Vec<String>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// (reason, message) of a failure, from its Status body or its text.
    pub fn failure(&self) -> (String, String) {
        match self.json() {
            Some(v) if v.get("kind").and_then(Value::as_str) == Some("Status") => (
                v.get("reason")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                v.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            ),
            _ => {
                let text = String::from_utf8_lossy(&self.body);
                let first = text.lines().next().unwrap_or("").trim();
                (String::new(), first.chars().take(300).collect())
            }
        }
    }

    pub fn describe(&self) -> String {
        let (reason, message) = self.failure();
        let text = match (reason.is_empty(), message.is_empty()) {
            (_, true) => format!("HTTP {}", self.status),
            (true, false) => format!("HTTP {}: {message}", self.status),
            (false, false) => format!("{} {reason}: {message}", self.status),
        };
        one_line(&text)
    }

    /// A failed answer sorted by cause, as `access::classify` sorts kube's errors.
    pub fn to_failure(&self) -> Failure {
        let text = self.describe();
        match self.status {
            401 | 403 => Failure::Forbidden(text),
            404 => Failure::NotFound(text),
            408 | 504 => Failure::Timeout(text),
            429 | 500..=599 => Failure::Server(text),
            _ => Failure::Other(text),
        }
    }
}

/// Sends one request within the run's budget. Any HTTP status is a reply; only a transport
/// failure or running out of time is a `Failure`.
pub async fn send(
    client: &kube::Client,
    request: http::Request<Vec<u8>>,
    budget: &Budget,
) -> Result<Reply, Failure> {
    budget
        .run(async {
            let response = client.send(request.map(kube::client::Body::from)).await?;
            let status = response.status().as_u16();
            let warnings = response
                .headers()
                .get_all(http::header::WARNING)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(warning_text)
                .collect();
            let body = response.into_body().collect_bytes().await?.to_vec();
            Ok::<_, kube::Error>(Reply {
                status,
                warnings,
                body,
            })
        })
        .await
}

/// A GET whose answer must be a JSON object: any other outcome is a `Failure`.
pub async fn get_json(
    client: &kube::Client,
    path: &str,
    budget: &Budget,
) -> Result<Value, Failure> {
    let reply = send(client, get(path), budget).await?;
    if !reply.ok() {
        return Err(reply.to_failure());
    }
    reply
        .json()
        .ok_or_else(|| Failure::Server("the answer is not JSON".into()))
}

/// `299 - "unknown field \"spec.x\""` -> `unknown field "spec.x"`.
fn warning_text(header: &str) -> String {
    let text = header
        .split_once(' ')
        .and_then(|(_, rest)| rest.split_once(' '))
        .map_or(header, |(_, text)| text)
        .trim();
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => text.to_string(),
    }
}

pub fn get(path: &str) -> http::Request<Vec<u8>> {
    http::Request::get(path)
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .unwrap_or_default()
}

/// The apiserver's version, and for 1.28-1.32 its SidecarContainers gate from `/metrics`.
/// `/version` is the one request whose failure means the cluster cannot be used at all.
pub async fn apiserver(
    client: &kube::Client,
    server: &str,
    budget: &Budget,
) -> Result<Apiserver, Error> {
    let doing = format!("reading the apiserver version of {server} (GET /version)");
    let unusable = |f: Failure| {
        let hint = match f.cause() {
            Cause::Forbidden => {
                "your credentials were refused; refresh them (e.g. log in again) and retry"
            }
            Cause::Timeout => {
                "the apiserver did not answer in time: check that it is up, or raise --request-timeout / --timeout"
            }
            _ => {
                "check that the apiserver in your kubeconfig is up and reachable, or pass --context"
            }
        };
        Error::cluster(format!("{doing}: {}", f.text())).hint(hint)
    };
    let info = get_json(client, "/version", budget)
        .await
        .map_err(unusable)?;
    let version = info
        .get("gitVersion")
        .and_then(Value::as_str)
        .map(str::to_string);
    let parsed = version.as_deref().and_then(crate::kube::version::parse);
    let needs_metrics = parsed.is_some_and(crate::kube::versions::gate_may_be_off);
    let (series, gap) = if needs_metrics {
        match gate_series(client, budget).await {
            Ok(s) => (Ok(s), None),
            Err(gap) => (Err(gap.short()), Some(gap)),
        }
    } else {
        (Ok(None), None)
    };
    Ok(Apiserver {
        gate: Gate::decide(parsed, series),
        version,
        metrics_read: needs_metrics,
        gap,
    })
}

const METRICS: &str = "read the apiserver's SidecarContainers gate (GET /metrics)";

/// The apiserver's SidecarContainers series, read by check-nodes' gate reader (streaming,
/// bounded, 429-aware), so both commands read and classify `/metrics` the same way.
async fn gate_series(
    client: &kube::Client,
    budget: &Budget,
) -> Result<Option<(String, bool)>, Gap> {
    use crate::facts::cluster::GateReading;
    use crate::kube::kubelets::{APISERVER_PERMISSION, Limits, fetch_one};
    if budget.expired() {
        return Err(budget.deadline_passed().gap(METRICS, APISERVER_PERMISSION));
    }
    let limits = Limits {
        concurrency: 1,
        node_timeout: budget.limit(),
        deadline: budget.deadline,
        deadline_len: budget.timeout,
        budget: *budget,
    };
    let reading = fetch_one(client, "/metrics", APISERVER_PERMISSION, limits)
        .await
        .0;
    let cause = reading.cause().unwrap_or(Cause::Error);
    match reading {
        GateReading::Series { stage, enabled } => Ok(Some((stage, enabled))),
        GateReading::NoSeries { .. } => Ok(None),
        GateReading::Forbidden { permission, .. } => Err(Gap::forbidden(
            METRICS,
            permission,
            "reading /metrics is forbidden",
        )),
        GateReading::Failed { reason, .. } | GateReading::Skipped { reason, .. } => {
            Err(Gap::new(METRICS, cause, one_line(&reason)))
        }
    }
}

pub const LIST_WEBHOOKS: &str = "list mutatingwebhookconfigurations";

/// Every MutatingWebhookConfiguration, page by page. A failure degrades attribution only: it
/// is recorded as the list's gap, never an error.
pub async fn webhooks(client: &kube::Client, budget: &Budget) -> Webhooks {
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut path = format!(
            "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations?limit={PAGE}"
        );
        if let Some(t) = &token {
            path.push_str("&continue=");
            path.push_str(&encode(t));
        }
        let list = match get_json(client, &path, budget).await {
            Ok(list) => list,
            Err(f) => {
                // A partial list would name the wrong candidates: none is better than some.
                return Webhooks {
                    items: Vec::new(),
                    error: Some(f.gap(LIST_WEBHOOKS, LIST_WEBHOOKS)),
                };
            }
        };
        if let Some(page) = list.get("items").and_then(Value::as_array) {
            items.extend(page.iter().cloned());
        }
        token = list
            .pointer("/metadata/continue")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Webhooks {
        items: parse_configurations(&items),
        error: None,
    }
}

/// Percent-encodes a query value (continue tokens are base64 and may hold `+`, `/`, `=`).
pub fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A namespace's labels, or why they could not be read.
pub async fn namespace_labels(
    client: &kube::Client,
    namespace: &str,
    budget: &Budget,
) -> Result<Labels, Gap> {
    let path = format!("/api/v1/namespaces/{}", encode(namespace));
    get_json(client, &path, budget)
        .await
        .map(|ns| string_map(ns.pointer("/metadata/labels")))
        .map_err(|f| f.gap(format!("get namespace {namespace}"), "get namespaces"))
}

/// `POST /api/v1/namespaces/NS/pods?dryRun=All`: what admission makes of `pod`. A refusal is
/// an `Outcome::Rejected` (the analysis reads it); no answer at all is a `Failure`.
pub async fn dry_run(
    client: &kube::Client,
    namespace: &str,
    pod: &Value,
    budget: &Budget,
) -> Result<Outcome, Failure> {
    let body = serde_json::to_vec(pod)
        .map_err(|e| Failure::Other(format!("cannot encode the pod: {e}")))?;
    let path = format!(
        "/api/v1/namespaces/{}/pods?dryRun=All&fieldManager=kubectl-sidecar",
        encode(namespace)
    );
    let request = http::Request::post(&path)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::ACCEPT, "application/json")
        .body(body)
        .map_err(|e| Failure::Other(format!("cannot build the dry-run request: {e}")))?;
    let reply = send(client, request, budget).await?;
    if reply.ok() {
        return match reply.json() {
            Some(pod) => Ok(Outcome::Admitted {
                pod,
                warnings: reply.warnings,
            }),
            None => Err(Failure::Server("the dry run's answer is not JSON".into())),
        };
    }
    let (reason, message) = reply.failure();
    Ok(Outcome::Rejected {
        code: reply.status,
        reason,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_headers() {
        assert_eq!(
            warning_text(r#"299 - "unknown field \"spec.initContainers[0].restartPolicy\"""#),
            "unknown field \"spec.initContainers[0].restartPolicy\""
        );
        assert_eq!(warning_text("299 - plain"), "plain");
        assert_eq!(warning_text("odd"), "odd");
    }

    #[test]
    fn failures_from_status_or_text() {
        let status = Reply {
            status: 400,
            warnings: vec![],
            body: br#"{"kind":"Status","reason":"BadRequest","message":"admission webhook \"x\" does not support dry run"}"#.to_vec(),
        };
        assert_eq!(status.failure().0, "BadRequest");
        assert!(
            status
                .describe()
                .starts_with("400 BadRequest: admission webhook")
        );
        let text = Reply {
            status: 502,
            warnings: vec![],
            body: b"Bad Gateway\nmore".to_vec(),
        };
        assert_eq!(text.describe(), "HTTP 502: Bad Gateway");
        let empty = Reply {
            status: 500,
            warnings: vec![],
            body: vec![],
        };
        assert_eq!(empty.describe(), "HTTP 500");
    }

    #[test]
    fn query_encoding() {
        assert_eq!(encode("a+b/c=="), "a%2Bb%2Fc%3D%3D");
        assert_eq!(encode("kube-system"), "kube-system");
    }
}
