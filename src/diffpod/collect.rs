//! All of diff-pod's API access except the owner walk and `--blame`: the apiserver's version and
//! gate, the mutating webhooks, namespace labels, and the dry-run create. Reads are GET/LIST; the
//! one write is `POST pods?dryRun=All`, which persists nothing. Objects stay `serde_json::Value`
//! end to end: typed structs would drop the very fields this command looks for.

use std::time::Duration;

use serde_json::Value;

use super::facts::{Apiserver, Gate, Outcome, Webhooks};
use super::webhooks::parse_configurations;
use crate::error::{Error, describe_kube_error};
use crate::selector::{Labels, string_map};

/// Longest wait for one API request when --request-timeout does not say.
pub const REQUEST_WAIT: Duration = Duration::from_secs(30);
/// Page size for lists.
const PAGE: usize = 250;

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
        match (reason.is_empty(), message.is_empty()) {
            (_, true) => format!("HTTP {}", self.status),
            (true, false) => format!("HTTP {}: {message}", self.status),
            (false, false) => format!("{} {reason}: {message}", self.status),
        }
    }
}

/// Sends one request; only a transport failure (or timeout) is an error, any HTTP status is a
/// reply. `doing` names the request in that error.
pub async fn send(
    client: &kube::Client,
    request: http::Request<Vec<u8>>,
    wait: Duration,
    doing: &str,
) -> Result<Reply, Error> {
    let exchange = async {
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
    };
    match tokio::time::timeout(wait, exchange).await {
        Err(_) => Err(
            Error::cluster(format!("{doing}: no answer within {}s", wait.as_secs()))
                .hint("check that the apiserver is reachable, or raise --request-timeout"),
        ),
        Ok(Err(e)) => Err(describe_kube_error(doing, &e)),
        Ok(Ok(reply)) => Ok(reply),
    }
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
pub async fn apiserver(
    client: &kube::Client,
    server: &str,
    wait: Duration,
) -> Result<Apiserver, Error> {
    let doing = format!("reading the apiserver version of {server} (GET /version)");
    let reply = send(client, get("/version"), wait, &doing).await?;
    let version = reply.json().filter(|_| reply.ok()).and_then(|v| {
        v.get("gitVersion")
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let parsed = version.as_deref().and_then(crate::version::parse);
    let needs_metrics = parsed.is_some_and(|v| v.at_least(1, 28) && !v.at_least(1, 33));
    let series = if needs_metrics {
        gate_series(client, wait).await
    } else {
        Ok(None)
    };
    Ok(Apiserver {
        gate: Gate::decide(parsed, series),
        version,
    })
}

/// The apiserver's SidecarContainers series, read by check-nodes' gate reader (streaming,
/// bounded, 429-aware), so both commands read and classify `/metrics` the same way.
async fn gate_series(
    client: &kube::Client,
    wait: Duration,
) -> Result<Option<(String, bool)>, String> {
    use crate::nodes::facts::GateReading;
    use crate::nodes::kubelets::{APISERVER_PERMISSION, Limits, fetch_one};
    let limits = Limits {
        concurrency: 1,
        node_timeout: wait,
        deadline: std::time::Instant::now() + wait,
        deadline_len: wait,
    };
    match fetch_one(client, "/metrics", APISERVER_PERMISSION, limits)
        .await
        .0
    {
        GateReading::Series { stage, enabled } => Ok(Some((stage, enabled))),
        GateReading::NoSeries { .. } => Ok(None),
        GateReading::Forbidden { permission, .. } => Err(format!(
            "reading /metrics is forbidden (needs {permission})"
        )),
        GateReading::Failed { reason } | GateReading::Skipped { reason } => {
            Err(format!("GET /metrics: {reason}"))
        }
    }
}

/// Every MutatingWebhookConfiguration, page by page. A refusal degrades attribution only.
pub async fn webhooks(client: &kube::Client, wait: Duration) -> Result<Webhooks, Error> {
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
        let reply = send(
            client,
            get(&path),
            wait,
            "LIST mutatingwebhookconfigurations",
        )
        .await?;
        if !reply.ok() {
            return Ok(Webhooks {
                items: Vec::new(),
                error: Some(format!(
                    "LIST mutatingwebhookconfigurations: {}",
                    reply.describe()
                )),
            });
        }
        let Some(list) = reply.json() else {
            return Ok(Webhooks {
                items: Vec::new(),
                error: Some("LIST mutatingwebhookconfigurations: the answer is not JSON".into()),
            });
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
    Ok(Webhooks {
        items: parse_configurations(&items),
        error: None,
    })
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

/// A namespace's labels; an error message when they cannot be read.
pub async fn namespace_labels(
    client: &kube::Client,
    namespace: &str,
    wait: Duration,
) -> Result<Result<Labels, String>, Error> {
    let path = format!("/api/v1/namespaces/{}", encode(namespace));
    let reply = send(
        client,
        get(&path),
        wait,
        &format!("GET namespace {namespace}"),
    )
    .await?;
    if !reply.ok() {
        return Ok(Err(reply.describe()));
    }
    Ok(reply
        .json()
        .map(|ns| string_map(ns.pointer("/metadata/labels")))
        .ok_or_else(|| "the answer is not JSON".to_string()))
}

/// `POST /api/v1/namespaces/NS/pods?dryRun=All`: what admission makes of `pod`.
pub async fn dry_run(
    client: &kube::Client,
    namespace: &str,
    pod: &Value,
    wait: Duration,
) -> Result<Outcome, Error> {
    let body =
        serde_json::to_vec(pod).map_err(|e| Error::usage(format!("cannot encode the pod: {e}")))?;
    let path = format!(
        "/api/v1/namespaces/{}/pods?dryRun=All&fieldManager=kubectl-sidecar",
        encode(namespace)
    );
    let request = http::Request::post(&path)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::ACCEPT, "application/json")
        .body(body)
        .map_err(|e| Error::usage(format!("cannot build the dry-run request: {e}")))?;
    let doing = format!("dry-run create of a pod in namespace {namespace}");
    let reply = send(client, request, wait, &doing).await?;
    if reply.ok() {
        return match reply.json() {
            Some(pod) => Ok(Outcome::Admitted {
                pod,
                warnings: reply.warnings,
            }),
            None => Err(Error::cluster(format!("{doing}: the answer is not JSON"))),
        };
    }
    if reply.status == 401 {
        return Err(
            Error::cluster(format!("{doing}: unauthorized ({})", reply.describe()))
                .hint("your credentials were refused; refresh them (e.g. log in again) and retry"),
        );
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
