//! Control plane and nodes: the check-nodes engine's collection (check-nodes' default limits,
//! inside the run's budget), stored whole in the doctor snapshot. Coverage for both sections is
//! check-nodes' own, derived from those facts by the caller (`checks::cluster::analyse::cover`),
//! so doctor counts nodes exactly as check-nodes does.

use std::time::Instant;

use crate::context::Context;
use crate::error::Result;
use crate::facts::cluster::{ApiServerFacts, ClusterFacts, ControlPlaneFacts, Count, GateReading};
use crate::facts::coverage::{Cause, Gap};
use crate::kube::cluster::{self as nodes_collect, Options, deadline_from};

/// check-nodes' defaults (its --concurrency, --node-timeout and --deadline).
fn options(ctx: &Context) -> Options {
    use crate::kube::kubelets::{DEFAULT_CONCURRENCY, DEFAULT_DEADLINE, DEFAULT_NODE_TIMEOUT};
    let parse = |text| crate::duration::parse(text).expect("a built-in default parses");
    let (node_timeout, deadline) = (parse(DEFAULT_NODE_TIMEOUT), parse(DEFAULT_DEADLINE));
    Options {
        selector: None,
        names: Vec::new(),
        limits: crate::kube::kubelets::Limits {
            concurrency: DEFAULT_CONCURRENCY,
            node_timeout,
            deadline: deadline_from(Instant::now(), deadline),
            deadline_len: deadline,
            budget: ctx.budget,
        },
        progress: ctx.progress,
    }
}

/// The one request whose failure means the cluster cannot be used at all (exit 3): asked first,
/// before anything else is read.
pub async fn apiserver_version(ctx: &Context) -> Result<String> {
    nodes_collect::apiserver_version(ctx.cluster(), &ctx.budget).await
}

/// The control plane and every kubelet. It reads nothing of `DoctorFacts`, so doctor runs it
/// beside the workload collection: at 2,000 nodes the kubelet reads are mostly waiting on round
/// trips, and the pod list need not wait for them. Its progress stays quiet for the same reason
/// (two writers would overwrite each other's line).
pub async fn collect(ctx: &Context, git_version: String) -> ClusterFacts {
    let mut options = options(ctx);
    options.progress = false;
    // The engine records every failure (even LIST nodes) in its facts; Err only for a node
    // selector the apiserver rejects, and doctor passes none.
    match nodes_collect::collect(ctx.cluster(), &options, git_version.clone()).await {
        Ok(snapshot) => snapshot,
        Err(e) => unread(git_version, e.to_string()),
    }
}

/// Facts that say nothing was read, and why: for an engine failure no request could name.
fn unread(git_version: String, why: String) -> ClusterFacts {
    let cause = Cause::Error;
    ClusterFacts {
        selector: None,
        names: Vec::new(),
        apiserver: ApiServerFacts {
            git_version,
            metrics: GateReading::skipped(format!("not asked: {why}"), cause),
            leases: Count::Unknown {
                reason: why.clone(),
                cause: Some(cause),
            },
        },
        control_plane: ControlPlaneFacts {
            static_pods: None,
            error: Some(why.clone()),
            cause: Some(cause),
        },
        nodes: Vec::new(),
        nodes_gap: Some(Gap::new("list nodes", cause, why)),
    }
}
