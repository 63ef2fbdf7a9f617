//! Errors that stop a run. Each renders as one line: what failed, where, and what to do.
//! Anything that only degrades the report is a fact or a finding instead, never an `Error`.

use std::fmt;

/// Exit codes, as `kubectl diff` uses them: 0 clean, 1 something found, 2+ could not run.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_CLUSTER: i32 = 3;
/// The run could not examine everything that decides its verdict (forbidden, timed out, failed),
/// and found nothing that already decides it negatively: no "ready" over a gap.
pub const EXIT_INCOMPLETE: i32 = 4;

#[derive(Debug)]
pub struct Error {
    pub what: String,
    pub hint: Option<String>,
    pub code: i32,
}

impl Error {
    /// Bad flags or input given by the user.
    pub fn usage(what: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            hint: None,
            code: EXIT_USAGE,
        }
    }

    /// The cluster (or the kubeconfig that names it) could not be used.
    pub fn cluster(what: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            hint: None,
            code: EXIT_CLUSTER,
        }
    }

    /// The whole run ran out of time before it could report.
    pub fn incomplete(what: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            hint: None,
            code: EXIT_INCOMPLETE,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.what)?;
        if let Some(hint) = &self.hint {
            write!(f, ": {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One line for an error from kube, naming the request that failed and the usual remedy.
pub fn describe_kube_error(doing: &str, err: &kube::Error) -> Error {
    match err {
        kube::Error::Api(status) if status.code == 403 => {
            Error::cluster(format!("{doing}: forbidden ({})", status.message))
                .hint("ask for the RBAC permission named above, or run as a user that has it")
        }
        kube::Error::Api(status) if status.code == 401 => {
            Error::cluster(format!("{doing}: unauthorized ({})", status.message))
                .hint("your credentials were refused; refresh them (e.g. log in again) and retry")
        }
        kube::Error::Api(status) => Error::cluster(format!(
            "{doing}: {} {} ({})",
            status.code, status.reason, status.message
        )),
        kube::Error::HyperError(_) | kube::Error::Service(_) => Error::cluster(format!(
            "{doing}: cannot reach the cluster ({})",
            flatten(err)
        ))
        .hint("check that the apiserver in your kubeconfig is up and reachable, or pass --context"),
        other => Error::cluster(format!("{doing}: {}", flatten(other))),
    }
}

/// The error and its causes on one line; kube's errors hide the useful part in `source()`, and
/// YAML errors append a multi-line source snippet that we drop.
pub fn flatten(err: &dyn std::error::Error) -> String {
    let first_line = |e: &dyn std::error::Error| {
        e.to_string()
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_string()
    };
    let mut out = first_line(err);
    let mut source = err.source();
    while let Some(cause) = source {
        let text = first_line(cause);
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}
