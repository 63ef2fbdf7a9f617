//! All API access of doctor: every request is a GET or LIST (plus the admission canary's
//! `dryRun=All` create), bounded by a timeout; lists are paginated. A refused or failed request
//! degrades the report (a `Skipped` entry naming the permission) instead of failing the run.

pub mod admission;
pub mod cluster;
pub mod events;
pub mod istio;
pub mod namespaces;
pub mod workloads;

use std::future::Future;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

use super::catalog::Section;
use super::facts::{DoctorFacts, Scope, Skipped};
use crate::context::Context;
use crate::error::{Result, flatten};

/// Default per-request limit when `--request-timeout` is not given: doctor must never hang on
/// one slow list.
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Page size for every list, as the issue asks (and kubectl uses).
pub const PAGE: u32 = 500;

/// A request's failure, sorted into "not allowed" and "did not work".
#[derive(Debug)]
pub enum Failure {
    Forbidden(String),
    NotFound(String),
    Other(String),
}

impl Failure {
    pub fn text(&self) -> &str {
        match self {
            Failure::Forbidden(t) | Failure::NotFound(t) | Failure::Other(t) => t,
        }
    }
}

pub fn classify(err: &kube::Error) -> Failure {
    match err {
        kube::Error::Api(status) if status.code == 403 || status.code == 401 => Failure::Forbidden(
            format!("{} {}: {}", status.code, status.reason, status.message),
        ),
        kube::Error::Api(status) if status.code == 404 => Failure::NotFound(format!(
            "{} {}: {}",
            status.code, status.reason, status.message
        )),
        kube::Error::Api(status) => Failure::Other(format!(
            "{} {}: {}",
            status.code, status.reason, status.message
        )),
        other => Failure::Other(flatten(other)),
    }
}

/// Runs one request with the run's timeout.
pub async fn request<T, F>(ctx: &Context, fut: F) -> std::result::Result<T, Failure>
where
    F: Future<Output = std::result::Result<T, kube::Error>>,
{
    let limit = ctx.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT);
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(classify(&e)),
        Err(_) => Err(Failure::Other(format!(
            "no answer within {}s",
            limit.as_secs_f32()
        ))),
    }
}

/// Records what a failed request cost the report.
pub fn skip(
    facts: &mut DoctorFacts,
    section: Section,
    permission: &str,
    what: impl Into<String>,
    failure: &Failure,
) {
    let entry = Skipped {
        section,
        permission: matches!(failure, Failure::Forbidden(_)).then(|| permission.to_string()),
        what: what.into(),
        error: failure.text().to_string(),
    };
    if !facts.skipped.contains(&entry) {
        facts.skipped.push(entry);
    }
}

/// Progress on stderr, only on a terminal, overwritten in place.
pub struct Progress {
    on: bool,
}

impl Progress {
    pub fn new(ctx: &Context) -> Self {
        Self { on: ctx.progress }
    }

    pub fn say(&self, text: &str) {
        if self.on {
            crate::output::note(&format!("\r\x1b[2Kdoctor: {text}"));
        }
    }

    pub fn done(&self) {
        if self.on {
            crate::output::note("\r\x1b[2K");
        }
    }
}

fn now() -> Option<String> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Timestamp::from_second(i64::try_from(secs).ok()?)
        .ok()
        .map(|t| t.to_string())
}

/// Collects every section's facts. Only connection-level failures (before anything could be
/// read) stop the run; everything else is recorded as skipped.
pub async fn collect(ctx: &Context, scope: Scope) -> Result<DoctorFacts> {
    let progress = Progress::new(ctx);
    let mut facts = DoctorFacts {
        collected_at: now(),
        scope,
        ..Default::default()
    };
    progress.say("control plane and nodes");
    cluster::collect(ctx, &mut facts).await?;
    progress.say("namespaces");
    namespaces::collect(ctx, &mut facts).await;
    workloads::collect(ctx, &mut facts, &progress).await;
    progress.say("events");
    events::collect(ctx, &mut facts).await;
    let listed = events::owner_keys(&facts);
    workloads::fetch_event_owners(ctx, &mut facts).await;
    events::scope_to_selector(&mut facts, &listed);
    progress.say("injectors");
    istio::collect(ctx, &mut facts).await;
    progress.say("admission");
    admission::collect(ctx, &mut facts).await;
    progress.done();
    Ok(facts)
}
