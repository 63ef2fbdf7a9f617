//! Kubernetes access shared by every command: one request budget (a per-request timeout inside
//! the run's overall `--timeout`) and one way of sorting a failed request by its cause, so that
//! coverage and remediation say the same thing whichever command met the failure.

use std::future::Future;
use std::time::{Duration, Instant};

use kube::api::{Api, ListParams, ObjectList};
use serde::de::DeserializeOwned;

use crate::error::flatten;
use crate::facts::coverage::{Cause, Gap};

/// The identity every request carries, so that audit logs can tell this tool apart.
pub const USER_AGENT: &str = concat!("kubectl-sidecar/", env!("CARGO_PKG_VERSION"));

/// Default per-request limit (`--request-timeout`), as a diagnosis must never hang on one call.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Page size for every list: few requests, small enough for any apiserver.
pub const PAGE: u32 = 500;

/// How long each request may take: the per-request timeout, cut to what is left of the run.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Per request; `None` when `--request-timeout=0` (only the run's deadline applies).
    pub request_timeout: Option<Duration>,
    /// When the whole run must be done by.
    pub deadline: Instant,
    /// `--timeout` as given, for messages.
    pub timeout: Duration,
}

impl Budget {
    pub fn new(request_timeout: Option<Duration>, timeout: Duration, start: Instant) -> Self {
        Self {
            request_timeout,
            deadline: start + timeout,
            timeout,
        }
    }

    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    pub fn expired(&self) -> bool {
        self.remaining().is_zero()
    }

    /// The limit for the next request: the smaller of the request timeout and what is left.
    pub fn limit(&self) -> Duration {
        let left = self.remaining();
        self.request_timeout.map_or(left, |t| t.min(left))
    }

    /// Runs one request within the budget; a refusal, failure or timeout comes back classified.
    pub async fn run<T, F>(&self, fut: F) -> Result<T, Failure>
    where
        F: Future<Output = Result<T, kube::Error>>,
    {
        if self.expired() {
            return Err(self.deadline_passed());
        }
        let limit = self.limit();
        match tokio::time::timeout(limit, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(classify(&e)),
            Err(_) => Err(self.timed_out(limit)),
        }
    }

    /// The failure for a request that ran out of time after `limit`.
    pub fn timed_out(&self, limit: Duration) -> Failure {
        if self.request_timeout.is_some_and(|t| limit >= t) {
            Failure::Timeout(format!(
                "no answer within {} (--request-timeout)",
                seconds(limit)
            ))
        } else {
            Failure::Timeout(format!(
                "no answer before the run's --timeout ({}) ran out",
                seconds(self.timeout)
            ))
        }
    }

    /// The failure for a request that was not sent because the run's time was up.
    pub fn deadline_passed(&self) -> Failure {
        Failure::Timeout(format!(
            "not asked: the run's --timeout ({}) had passed",
            seconds(self.timeout)
        ))
    }
}

/// A paginated LIST inside the run's budget: each `next` asks for one page (PAGE items, the
/// continue token carried over) until the list is done or a page fails.
pub struct Pages<'a, K> {
    api: &'a Api<K>,
    base: ListParams,
    budget: Budget,
    token: Option<String>,
    done: bool,
}

impl<'a, K> Pages<'a, K>
where
    K: Clone + DeserializeOwned + std::fmt::Debug,
{
    pub fn new(api: &'a Api<K>, base: ListParams, budget: Budget) -> Self {
        Self {
            api,
            base: base.limit(PAGE),
            budget,
            token: None,
            done: false,
        }
    }

    /// The next page; `None` once the last page was read or a page failed.
    pub async fn next(&mut self) -> Option<Result<ObjectList<K>, Failure>> {
        if self.done {
            return None;
        }
        let lp = match self.token.as_deref() {
            Some(t) => self.base.clone().continue_token(t),
            None => self.base.clone(),
        };
        let page = self.budget.run(self.api.list(&lp)).await;
        match &page {
            Ok(list) => {
                self.token = list.metadata.continue_.clone().filter(|t| !t.is_empty());
                self.done = self.token.is_none();
            }
            Err(_) => self.done = true,
        }
        Some(page)
    }

    /// Every item of every page, or the failure of the first page that failed: for lists that
    /// are judged whole, where a part would be read as all there is.
    pub async fn all(mut self) -> Result<Vec<K>, Failure> {
        let mut items = Vec::new();
        while let Some(page) = self.next().await {
            items.extend(page?.items);
        }
        Ok(items)
    }
}

/// A request's failure, sorted by what the user can do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Forbidden(String),
    NotFound(String),
    Timeout(String),
    Server(String),
    Unreachable(String),
    Other(String),
}

impl Failure {
    pub fn text(&self) -> &str {
        match self {
            Failure::Forbidden(t)
            | Failure::NotFound(t)
            | Failure::Timeout(t)
            | Failure::Server(t)
            | Failure::Unreachable(t)
            | Failure::Other(t) => t,
        }
    }

    pub fn cause(&self) -> Cause {
        match self {
            Failure::Forbidden(_) => Cause::Forbidden,
            Failure::NotFound(_) => Cause::NotFound,
            Failure::Timeout(_) => Cause::Timeout,
            Failure::Server(_) => Cause::ServerError,
            Failure::Unreachable(_) => Cause::Unreachable,
            Failure::Other(_) => Cause::Error,
        }
    }

    /// The coverage gap this failure leaves; `permission` is named only when RBAC refused.
    pub fn gap(&self, what: impl Into<String>, permission: &str) -> Gap {
        Gap {
            what: what.into(),
            cause: self.cause(),
            permission: matches!(self, Failure::Forbidden(_)).then(|| permission.to_string()),
            detail: self.text().to_string(),
        }
    }
}

/// Sorts a kube error by cause. A body that is not a Status (an HTML error page, garbage) is a
/// server error, with its text bounded to one line.
pub fn classify(err: &kube::Error) -> Failure {
    match err {
        kube::Error::Api(status) => {
            let text = one_line(&format!(
                "{} {}: {}",
                status.code, status.reason, status.message
            ));
            match status.code {
                401 | 403 => Failure::Forbidden(text),
                404 => Failure::NotFound(text),
                408 | 504 => Failure::Timeout(text),
                500..=599 => Failure::Server(text),
                _ => Failure::Other(text),
            }
        }
        kube::Error::HyperError(_) | kube::Error::Service(_) => {
            let text = one_line(&flatten(err));
            let lower = text.to_ascii_lowercase();
            if lower.contains("timed out")
                || lower.contains("timeout")
                || lower.contains("deadline")
            {
                Failure::Timeout(text)
            } else {
                Failure::Unreachable(text)
            }
        }
        kube::Error::SerdeError(_)
        | kube::Error::ReadEvents(_)
        | kube::Error::LinesCodecMaxLineLengthExceeded => {
            Failure::Server(one_line(&format!("unreadable answer: {}", flatten(err))))
        }
        other => Failure::Other(one_line(&flatten(other))),
    }
}

/// `a, b, c (+N more)`, for gaps and evidence lines that list objects.
pub fn list_some<S: AsRef<str>>(items: &[S], max: usize) -> String {
    let shown: Vec<&str> = items.iter().take(max).map(AsRef::as_ref).collect();
    let mut out = shown.join(", ");
    if items.len() > max {
        out.push_str(&format!(" (+{} more)", items.len() - max));
    }
    out
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
    fn causes_follow_the_status() {
        assert_eq!(
            classify(&api(403, "Forbidden", "no")).cause(),
            Cause::Forbidden
        );
        assert_eq!(
            classify(&api(404, "NotFound", "no")).cause(),
            Cause::NotFound
        );
        assert_eq!(classify(&api(504, "Timeout", "no")).cause(), Cause::Timeout);
        assert_eq!(
            classify(&api(500, "", "<html>\n<body>oops</body></html>")).cause(),
            Cause::ServerError
        );
        assert!(
            !classify(&api(500, "", "<html>\n<body>oops</body></html>"))
                .text()
                .contains('\n')
        );
    }

    #[test]
    fn only_forbidden_names_a_permission() {
        let g = classify(&api(403, "Forbidden", "no")).gap("list pods", "list pods");
        assert_eq!(g.permission.as_deref(), Some("list pods"));
        let g = classify(&api(500, "", "boom")).gap("list pods", "list pods");
        assert_eq!(g.permission, None);
    }

    #[tokio::test]
    async fn an_expired_budget_sends_nothing() {
        let b = Budget::new(
            Some(Duration::from_secs(30)),
            Duration::ZERO,
            Instant::now(),
        );
        let sent = std::sync::atomic::AtomicBool::new(false);
        let r: Result<(), Failure> = b
            .run(async {
                sent.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            })
            .await;
        assert!(matches!(r, Err(Failure::Timeout(t)) if t.contains("--timeout")));
        assert!(!sent.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[tokio::test]
    async fn a_stalled_request_ends_at_the_request_timeout() {
        let b = Budget::new(
            Some(Duration::from_millis(50)),
            Duration::from_secs(60),
            Instant::now(),
        );
        let r: Result<(), Failure> = b.run(std::future::pending()).await;
        assert!(matches!(r, Err(Failure::Timeout(t)) if t.contains("--request-timeout")));
    }
}
