//! Reading the SidecarContainers series from components' `/metrics` through the apiserver:
//! one kubelet at a time via the node proxy, many at once with a bound, every request under a
//! per-node timeout and all of them under an overall deadline. Failures become readings, never
//! errors: one bad node must not stall or fail the report.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use http::header::ACCEPT;

use super::facts::GateReading;
use super::gate::GATE;
use crate::error::flatten;
use crate::metrics;

/// The text exposition format: a kubelet would otherwise be free to pick OpenMetrics.
const ACCEPT_TEXT: &str = "text/plain;version=0.0.4;q=1,*/*;q=0.1";

/// How long to wait after a 429 before asking again.
const THROTTLE_PAUSE: Duration = Duration::from_millis(500);

/// RBAC each read needs, as the report names it.
pub const KUBELET_PERMISSION: &str = "get nodes/proxy";
pub const APISERVER_PERMISSION: &str = "get on nonResourceURL /metrics";

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub concurrency: usize,
    pub node_timeout: Duration,
    pub deadline: Instant,
    /// The --deadline as given, for messages.
    pub deadline_len: Duration,
}

/// Reads every node's gate. Returns, per input index, the reading and how long it took.
pub async fn fetch_all(
    client: &kube::Client,
    nodes: &[String],
    limits: Limits,
    progress: bool,
) -> Vec<(GateReading, Option<u64>)> {
    let total = nodes.len();
    let mut out: Vec<(GateReading, Option<u64>)> = nodes
        .iter()
        .map(|_| (super::report::skipped("not asked"), None))
        .collect();
    let mut results = futures::stream::iter(nodes.iter().enumerate())
        .map(|(i, name)| async move {
            let path = format!("/api/v1/nodes/{name}/proxy/metrics");
            (
                i,
                fetch_one(client, &path, KUBELET_PERMISSION, limits).await,
            )
        })
        .buffer_unordered(limits.concurrency.max(1));
    let mut done = 0;
    while let Some((i, result)) = results.next().await {
        done += 1;
        if progress {
            crate::output::note(&format!("\rreading kubelet metrics: {done}/{total}"));
        }
        if let Some(slot) = out.get_mut(i) {
            *slot = result;
        }
    }
    if progress && total > 0 {
        crate::output::note("\r\x1b[K");
    }
    out
}

/// One GET under min(timeout, what is left of the deadline).
pub async fn fetch_one(
    client: &kube::Client,
    path: &str,
    permission: &str,
    limits: Limits,
) -> (GateReading, Option<u64>) {
    let remaining = limits.deadline.saturating_duration_since(Instant::now());
    if remaining.is_zero() {
        return (
            GateReading::Skipped {
                reason: format!(
                    "not asked: the overall --deadline ({}) had passed",
                    seconds(limits.deadline_len)
                ),
            },
            None,
        );
    }
    let budget = limits.node_timeout.min(remaining);
    let started = Instant::now();
    let throttled = AtomicBool::new(false);
    let result = tokio::time::timeout(budget, async {
        loop {
            match read_gate(client, path).await {
                // API Priority and Fairness said "too many requests": wait and ask again, within
                // this node's budget. Nothing else is retried: a retry cannot fix it in time.
                Err(kube::Error::Api(status)) if status.code == 429 => {
                    throttled.store(true, Ordering::Relaxed);
                    tokio::time::sleep(THROTTLE_PAUSE).await;
                }
                Err(e) => return classify(&e, permission),
                Ok(reading) => return reading,
            }
        }
    })
    .await;
    let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let reading = match result {
        Ok(reading) => reading,
        Err(_) if throttled.load(Ordering::Relaxed) => GateReading::Failed {
            reason: format!(
                "the apiserver throttled the request (HTTP 429) for {}: try a lower --concurrency",
                seconds(budget)
            ),
        },
        Err(_) if budget < limits.node_timeout => GateReading::Failed {
            reason: format!(
                "metrics did not answer before the overall --deadline ({})",
                seconds(limits.deadline_len)
            ),
        },
        Err(_) => GateReading::Failed {
            reason: format!(
                "metrics did not answer within {} (kubelet hung or slow)",
                seconds(limits.node_timeout)
            ),
        },
    };
    (reading, Some(millis))
}

/// GETs `path` as a stream and reads the gate's series, stopping once past its family.
/// Err only for the request itself (the caller decides about 429); every other outcome,
/// including an unreadable body, is a reading.
pub async fn read_gate(client: &kube::Client, path: &str) -> Result<GateReading, kube::Error> {
    let request = match http::Request::get(path)
        .header(ACCEPT, ACCEPT_TEXT)
        .body(Vec::new())
    {
        Ok(r) => r,
        Err(e) => {
            return Ok(GateReading::Failed {
                reason: format!("cannot build the request for {path}: {e}"),
            });
        }
    };
    let body = client.request_stream(request).await?;
    let family = match metrics::read_family(Box::pin(body)).await {
        Ok(f) => f,
        Err(e) => {
            return Ok(GateReading::Failed {
                reason: one_line(&format!("unreadable metrics: {e}")),
            });
        }
    };
    Ok(match family.feature_gate(GATE) {
        Ok(Some(series)) => GateReading::Series {
            stage: series.stage,
            enabled: series.enabled,
        },
        Ok(None) => GateReading::NoSeries {
            family: family.present(),
        },
        Err(e) => GateReading::Failed {
            reason: one_line(&format!("unreadable metrics: {e}")),
        },
    })
}

/// An error from the apiserver (or from the kubelet behind its proxy) as a reading.
pub fn classify(err: &kube::Error, permission: &str) -> GateReading {
    match err {
        // The apiserver's own RBAC refusal is a Status with reason Forbidden. A kubelet refusing
        // the apiserver's proxied call answers 403 too, but in plain text: that is no
        // permission of ours, so it stays a failure.
        kube::Error::Api(status) if status.code == 403 && status.reason == "Forbidden" => {
            GateReading::Forbidden {
                permission: permission.to_string(),
                message: one_line(&status.message),
            }
        }
        kube::Error::Api(status) if status.code == 403 => GateReading::Failed {
            reason: one_line(&format!(
                "the kubelet refused the apiserver's proxied request (403): {}",
                status.message
            )),
        },
        kube::Error::Api(status) => GateReading::Failed {
            reason: one_line(&format!("HTTP {}: {}", status.code, status.message)),
        },
        other => GateReading::Failed {
            reason: one_line(&flatten(other)),
        },
    }
}

/// Messages from the network go into one table cell: one line, bounded.
pub fn one_line(text: &str) -> String {
    const MAX: usize = 240;
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= MAX {
        flat
    } else {
        let cut: String = flat.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

pub fn seconds(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::Status;

    fn api(code: u16, reason: &str, message: &str) -> kube::Error {
        let mut status = Status::failure(message, reason).with_code(code);
        status.reason = reason.to_string();
        kube::Error::Api(Box::new(status))
    }

    #[test]
    fn forbidden_by_rbac_names_the_permission() {
        let e = api(
            403,
            "Forbidden",
            r#"nodes "n1" is forbidden: User "dev" cannot get resource "nodes/proxy""#,
        );
        match classify(&e, KUBELET_PERMISSION) {
            GateReading::Forbidden { permission, .. } => assert_eq!(permission, "get nodes/proxy"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_kubelet_403_is_not_our_permission() {
        let e = api(
            403,
            "Failed to parse error data",
            "Forbidden (user=kube-apiserver, verb=get, resource=nodes, subresource=metrics)",
        );
        assert!(matches!(
            classify(&e, KUBELET_PERMISSION),
            GateReading::Failed { reason } if reason.contains("kubelet refused")
        ));
    }

    #[test]
    fn proxy_errors_keep_their_message_on_one_line() {
        let e = api(
            503,
            "ServiceUnavailable",
            "error trying to reach service:\ndial tcp 10.9.0.4:10250: connect: connection refused",
        );
        match classify(&e, KUBELET_PERMISSION) {
            GateReading::Failed { reason } => {
                assert_eq!(
                    reason,
                    "HTTP 503: error trying to reach service: dial tcp 10.9.0.4:10250: connect: connection refused"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn one_line_bounds_length() {
        let long = "x ".repeat(500);
        let got = one_line(&long);
        assert!(got.chars().count() <= 241);
        assert!(got.ends_with('…'));
        assert_eq!(one_line("a\n  b\tc"), "a b c");
    }

    #[test]
    fn seconds_format() {
        assert_eq!(seconds(Duration::from_secs(5)), "5s");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5s");
    }
}
