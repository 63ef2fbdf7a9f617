//! Reading the SidecarContainers series from components' `/metrics` through the apiserver:
//! one kubelet at a time via the node proxy, many at once with a bound, every request under a
//! per-node timeout and all of them under an overall deadline. Failures become readings, never
//! errors: one bad node must not stall or fail the report.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use http::header::ACCEPT;

use crate::error::flatten;
use crate::facts::cluster::GateReading;
use crate::facts::coverage::Cause;
use crate::kube::access::Budget;
pub use crate::kube::access::{one_line, seconds};
use crate::kube::gate::GATE;
use crate::kube::metrics;
use crate::progress::Progress;

/// The text exposition format: a kubelet would otherwise be free to pick OpenMetrics.
const ACCEPT_TEXT: &str = "text/plain;version=0.0.4;q=1,*/*;q=0.1";

/// How long to wait after a 429 before asking again.
const THROTTLE_PAUSE: Duration = Duration::from_millis(500);

/// RBAC each read needs, as the report names it.
pub const KUBELET_PERMISSION: &str = "get nodes/proxy";
pub const APISERVER_PERMISSION: &str = "get on nonResourceURL /metrics";

/// The defaults of check-nodes' `--concurrency`, `--node-timeout` and `--deadline`, which
/// doctor's collection of the same facts uses too.
pub const DEFAULT_CONCURRENCY: usize = 16;
pub const DEFAULT_NODE_TIMEOUT: &str = "5s";
pub const DEFAULT_DEADLINE: &str = "60s";

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub concurrency: usize,
    pub node_timeout: Duration,
    /// `--deadline`: when to stop waiting for kubelets.
    pub deadline: Instant,
    /// The --deadline as given, for messages.
    pub deadline_len: Duration,
    /// The run's `--request-timeout` and `--timeout`, which cap both of the above.
    pub budget: Budget,
}

/// Which limit ends a read first, for the message when it runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    Node,
    Request,
    Deadline,
    Run,
}

impl Limits {
    /// How long the next read may take, and which limit that is.
    fn next(&self) -> (Duration, Bound) {
        let deadline = self.deadline.saturating_duration_since(Instant::now());
        let mut best = (self.node_timeout, Bound::Node);
        let mut candidates = vec![
            (deadline, Bound::Deadline),
            (self.budget.remaining(), Bound::Run),
        ];
        if let Some(t) = self.budget.request_timeout {
            candidates.push((t, Bound::Request));
        }
        for c in candidates {
            if c.0 < best.0 {
                best = c;
            }
        }
        best
    }
}

/// Reads every node's gate. Returns, per input index, the reading and how long it took.
pub async fn fetch_all(
    client: &kube::Client,
    nodes: &[String],
    limits: Limits,
    progress: &Progress,
) -> Vec<(GateReading, Option<u64>)> {
    let mut out: Vec<(GateReading, Option<u64>)> = nodes
        .iter()
        .map(|_| (GateReading::skipped("not asked", Cause::NotAsked), None))
        .collect();
    progress.kubelets(nodes.len());
    let mut results = futures::stream::iter(nodes.iter().enumerate())
        .map(|(i, name)| async move {
            progress.kubelet_started(name);
            let path = format!("/api/v1/nodes/{name}/proxy/metrics");
            let result = fetch_one(client, &path, KUBELET_PERMISSION, limits).await;
            progress.kubelet_done(name);
            (i, result)
        })
        .buffer_unordered(limits.concurrency.max(1));
    while let Some((i, result)) = results.next().await {
        if let Some(slot) = out.get_mut(i) {
            *slot = result;
        }
    }
    out
}

/// One GET under the smallest of the per-read timeout, what is left of `--deadline`, the
/// `--request-timeout` and what is left of the run's `--timeout`.
pub async fn fetch_one(
    client: &kube::Client,
    path: &str,
    permission: &str,
    limits: Limits,
) -> (GateReading, Option<u64>) {
    if limits.budget.expired() {
        return (
            GateReading::skipped(limits.budget.deadline_passed().text(), Cause::Timeout),
            None,
        );
    }
    let (budget, bound) = limits.next();
    if budget.is_zero() {
        return (
            GateReading::skipped(
                format!(
                    "not asked: the overall --deadline ({}) had passed",
                    seconds(limits.deadline_len)
                ),
                Cause::Timeout,
            ),
            None,
        );
    }
    let who = if path.starts_with("/api/v1/nodes/") {
        "kubelet"
    } else {
        "apiserver"
    };
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
    let reason = match result {
        Ok(reading) => return (reading, Some(millis)),
        Err(_) if throttled.load(Ordering::Relaxed) => format!(
            "the apiserver throttled the request (HTTP 429) for {}: try a lower --concurrency",
            seconds(budget)
        ),
        Err(_) => match bound {
            Bound::Node => format!(
                "metrics did not answer within {} ({who} hung or slow)",
                seconds(budget)
            ),
            Bound::Request => format!(
                "metrics did not answer within {} (--request-timeout)",
                seconds(budget)
            ),
            Bound::Deadline => format!(
                "metrics did not answer before the overall --deadline ({})",
                seconds(limits.deadline_len)
            ),
            Bound::Run => format!(
                "metrics did not answer before the run's --timeout ({}) ran out",
                seconds(limits.budget.timeout)
            ),
        },
    };
    (GateReading::failed(reason, Cause::Timeout), Some(millis))
}

/// GETs `path` as a stream and reads the gate's series, stopping once past its family.
/// Err only for the request itself (the caller decides about 429); every other outcome,
/// including an unreadable, cut or oversized body, is a reading.
pub async fn read_gate(client: &kube::Client, path: &str) -> Result<GateReading, kube::Error> {
    let request = match http::Request::get(path)
        .header(ACCEPT, ACCEPT_TEXT)
        .body(Vec::new())
    {
        Ok(r) => r,
        Err(e) => {
            return Ok(GateReading::failed(
                format!("cannot build the request for {path}: {e}"),
                Cause::Error,
            ));
        }
    };
    let body = client.request_stream(request).await?;
    let family = match metrics::read_family(Box::pin(body)).await {
        Ok(f) => f,
        Err(e) => return Ok(unreadable(&e)),
    };
    Ok(match family.feature_gate(GATE) {
        Ok(Some(series)) => GateReading::Series {
            stage: series.stage,
            enabled: series.enabled,
        },
        Ok(None) => GateReading::NoSeries {
            family: family.present(),
        },
        Err(e) => unreadable(&e),
    })
}

/// A body that could not be used: a cut connection is the network's doing, anything else
/// (garbage, HTML, too large) the server's.
fn unreadable(e: &metrics::MetricsError) -> GateReading {
    let cause = if e.is_transport() {
        Cause::Unreachable
    } else {
        Cause::ServerError
    };
    GateReading::failed(one_line(&format!("unreadable metrics: {e}")), cause)
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
        kube::Error::Api(status) if status.code == 403 => GateReading::failed(
            one_line(&format!(
                "the kubelet refused the apiserver's proxied request (403): {}",
                status.message
            )),
            Cause::ServerError,
        ),
        kube::Error::Api(status) => {
            // Through the node proxy, 502/503 mean the apiserver could not reach the kubelet.
            let cause = match status.code {
                502 | 503 => Cause::Unreachable,
                _ => crate::kube::access::classify(err).cause(),
            };
            GateReading::failed(
                one_line(&format!("HTTP {}: {}", status.code, status.message)),
                cause,
            )
        }
        other => GateReading::failed(
            one_line(&flatten(other)),
            crate::kube::access::classify(other).cause(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::Status;

    #[test]
    fn the_default_limits_parse() {
        let parse = |t| crate::duration::parse(t).unwrap();
        assert_eq!(parse(DEFAULT_NODE_TIMEOUT), Duration::from_secs(5));
        assert_eq!(parse(DEFAULT_DEADLINE), Duration::from_secs(60));
    }

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
            GateReading::Failed { reason, cause: Some(Cause::ServerError) } if reason.contains("kubelet refused")
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
            GateReading::Failed { reason, cause } => {
                assert_eq!(
                    reason,
                    "HTTP 503: error trying to reach service: dial tcp 10.9.0.4:10250: connect: connection refused"
                );
                // Refused is the kubelet's or the network's doing, never a permission.
                assert_eq!(cause, Some(Cause::Unreachable));
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

    #[test]
    fn errors_carry_the_cause_the_remedy_follows() {
        let cause = |e: kube::Error| classify(&e, KUBELET_PERMISSION).cause();
        assert_eq!(
            cause(api(500, "InternalError", "boom")),
            Some(Cause::ServerError)
        );
        assert_eq!(cause(api(502, "", "bad gateway")), Some(Cause::Unreachable));
        assert_eq!(cause(api(504, "Timeout", "slow")), Some(Cause::Timeout));
        assert_eq!(
            cause(api(404, "NotFound", "no node")),
            Some(Cause::NotFound)
        );
        assert_eq!(cause(api(403, "Forbidden", "rbac")), Some(Cause::Forbidden));
    }

    fn limits(node: u64, deadline: u64, request: Option<u64>, run: u64) -> Limits {
        let now = Instant::now();
        Limits {
            concurrency: 1,
            node_timeout: Duration::from_secs(node),
            deadline: now + Duration::from_secs(deadline),
            deadline_len: Duration::from_secs(deadline),
            budget: Budget::new(
                request.map(Duration::from_secs),
                Duration::from_secs(run),
                now,
            ),
        }
    }

    #[test]
    fn the_smallest_limit_bounds_a_read_and_names_itself() {
        assert_eq!(limits(5, 60, Some(30), 120).next().1, Bound::Node);
        assert_eq!(limits(30, 2, Some(30), 120).next().1, Bound::Deadline);
        assert_eq!(limits(30, 60, Some(3), 120).next().1, Bound::Request);
        // --deadline is capped by what is left of --timeout.
        let (limit, bound) = limits(30, 60, None, 10).next();
        assert_eq!(bound, Bound::Run);
        assert!(limit <= Duration::from_secs(10));
    }

    #[tokio::test]
    async fn nothing_is_asked_once_the_run_is_out_of_time() {
        // No request can be sent: the client points nowhere, and the budget is spent.
        let config = kube::Config::new("https://127.0.0.1:1".parse().unwrap());
        let client = kube::Client::try_from(config).unwrap();
        let (reading, millis) = fetch_one(
            &client,
            "/metrics",
            APISERVER_PERMISSION,
            limits(5, 60, None, 0),
        )
        .await;
        assert_eq!(millis, None);
        assert!(
            matches!(
                &reading,
                GateReading::Skipped { reason, cause: Some(Cause::Timeout) } if reason.contains("--timeout")
            ),
            "{reading:?}"
        );
    }
}
