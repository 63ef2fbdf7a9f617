//! All API access of doctor (and of `snapshot`, which saves the same facts): every request is a
//! GET or LIST (plus the admission canary's `dryRun=All` create), and each goes through the run's
//! budget (`crate::kube::access::Budget`): a per-request timeout inside the whole run's
//! `--timeout`. Lists are paginated and stop when the budget runs out. A refused, failed or
//! timed-out request degrades the report (a coverage gap naming its cause and, when RBAC refused
//! it, the permission) instead of failing the run. The controlPlane and nodes coverage is
//! check-nodes' own, set by the caller from the cluster facts (`checks::cluster::analyse::cover`).
//!
//! diff-pod's facts are collected here too (`diff_pod`, with `owner` and `blame`), so that
//! `snapshot -f` saves the very dry runs diff-pod analyses.

pub mod admission;
pub mod blame;
pub mod cluster;
pub mod coverage;
pub mod diff_pod;
pub mod events;
pub mod extract;
pub mod istio;
pub mod namespaces;
pub mod owner;
pub mod workloads;

use crate::context::Context;
use crate::error::Result;
use crate::facts::coverage::Gap;
use crate::facts::doctor::{DoctorFacts, Scope};
use crate::kube::access::Failure;
use crate::kube::selector::Selector;

pub use crate::kube::access::PAGE;

/// Records a gap in a section of the facts' coverage.
pub fn gap(facts: &mut DoctorFacts, section: &str, gap: Gap) {
    coverage::section(&mut facts.coverage, section).gap(gap);
}

/// Records what a failed request cost the report: `what` was not examined, `permission` is the
/// RBAC rule that would allow it (named only when the cause is a refusal).
pub fn fail(
    facts: &mut DoctorFacts,
    section: &str,
    what: impl Into<String>,
    permission: &str,
    failure: &Failure,
) {
    gap(facts, section, failure.gap(what, permission));
}

/// Where a paginated list stopped: `list pods in all namespaces` or, after some pages, `list pods
/// in all namespaces (stopped after 1000)`.
pub fn how_far(what: &str, read: u64) -> String {
    if read == 0 {
        what.to_string()
    } else {
        format!("{what} (stopped after {read})")
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

/// Collects every section's facts. Only connection-level failures (before anything could be
/// read) stop the run; everything else becomes a coverage gap.
pub async fn collect(
    ctx: &Context,
    scope: Scope,
    selector: Option<&Selector>,
) -> Result<DoctorFacts> {
    let progress = Progress::new(ctx);
    let mut facts = DoctorFacts {
        collected_at: crate::facts::contract::now(),
        scope,
        coverage: coverage::empty(),
        ..Default::default()
    };
    progress.say("apiserver version");
    let git_version = cluster::apiserver_version(ctx).await?;
    // The cluster facts arrive only at the end; admission needs the version before.
    let apiserver = git_version.clone();
    let rest = async {
        progress.say("namespaces");
        namespaces::collect(ctx, &mut facts).await;
        workloads::collect(ctx, &mut facts, &progress).await;
        progress.say("events (sidecar signatures)");
        events::collect(ctx, &mut facts).await;
        let listed = events::owner_keys(&facts);
        progress.say("controllers named by events");
        workloads::fetch_event_owners(ctx, &mut facts).await;
        events::scope_to_selector(&mut facts, selector, &listed);
        progress.say("injectors: istiod deployments");
        istio::collect(ctx, &mut facts).await;
        progress.say("admission: mutating webhooks and dry-run canaries");
        admission::collect(ctx, &mut facts, &progress, &apiserver).await;
    };
    // Kubelets are read beside everything else (each inside the same run budget).
    let (cluster, ()) = tokio::join!(cluster::collect(ctx, git_version), rest);
    facts.cluster = Some(cluster);
    progress.done();
    Ok(facts)
}
