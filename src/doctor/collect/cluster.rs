//! Control plane and nodes: the check-nodes engine's collection (with check-nodes' default
//! limits), stored whole in the doctor snapshot. What it could not read becomes a named skip.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ListParams};

use super::{Failure, request, skip};
use crate::context::Context;
use crate::doctor::catalog::Section;
use crate::doctor::facts::DoctorFacts;
use crate::error::Result;
use crate::nodes::collect::{self as nodes_collect, Options, deadline_from};
use crate::nodes::facts::{
    ApiServerFacts, ControlPlaneFacts, Count, GateReading, SNAPSHOT_KIND, SNAPSHOT_VERSION,
    Snapshot,
};
use crate::nodes::kubelets::{self, APISERVER_PERMISSION, KUBELET_PERMISSION, Limits};

/// check-nodes' defaults (its --concurrency, --node-timeout and --deadline).
const CONCURRENCY: usize = 16;
const NODE_TIMEOUT: Duration = Duration::from_secs(5);
const DEADLINE: Duration = Duration::from_secs(60);

fn limits(budget: crate::access::Budget) -> Limits {
    Limits {
        concurrency: CONCURRENCY,
        node_timeout: NODE_TIMEOUT,
        deadline: deadline_from(Instant::now(), DEADLINE),
        deadline_len: DEADLINE,
        budget,
    }
}

pub async fn collect(ctx: &Context, facts: &mut DoctorFacts) -> Result<()> {
    let cluster = ctx.cluster();
    let client = &cluster.client;
    let git_version = nodes_collect::apiserver_version(cluster, &ctx.budget).await?;
    let nodes: Api<Node> = Api::all(client.clone());
    let snapshot = match request(ctx, nodes.list(&ListParams::default().limit(1))).await {
        Ok(_) => {
            let options = Options {
                selector: None,
                limits: limits(ctx.budget),
                progress: ctx.progress,
            };
            match nodes_collect::collect(cluster, &options, git_version.clone()).await {
                Ok(snapshot) => snapshot,
                Err(e) => {
                    let failure = Failure::Other(e.to_string());
                    skip(
                        facts,
                        Section::Nodes,
                        "list nodes",
                        "the control plane and nodes",
                        &failure,
                    );
                    return Ok(());
                }
            }
        }
        Err(failure) => {
            skip(
                facts,
                Section::Nodes,
                "list nodes",
                "nodes: no node verdicts, so pods on unsupported nodes cannot be found",
                &failure,
            );
            // The apiserver's own gate is still worth reading.
            let (metrics, _) =
                kubelets::fetch_one(client, "/metrics", APISERVER_PERMISSION, limits(ctx.budget))
                    .await;
            Snapshot {
                kind: SNAPSHOT_KIND.to_string(),
                version: SNAPSHOT_VERSION,
                selector: None,
                apiserver: ApiServerFacts {
                    git_version,
                    metrics,
                    leases: Count::Unknown {
                        reason: "not counted: nodes are not readable either".into(),
                        cause: Some(crate::coverage::Cause::NotAsked),
                    },
                },
                control_plane: ControlPlaneFacts {
                    static_pods: None,
                    error: Some("not read: nodes could not be listed".into()),
                    cause: Some(crate::coverage::Cause::NotAsked),
                },
                nodes: Vec::new(),
                nodes_gap: Some(match &failure {
                    Failure::Forbidden(t) => {
                        crate::coverage::Gap::forbidden("list nodes", "list nodes", t.clone())
                    }
                    other => crate::coverage::Gap::new(
                        "list nodes",
                        crate::coverage::Cause::Error,
                        other.text(),
                    ),
                }),
            }
        }
    };
    name_what_was_refused(facts, &snapshot);
    facts.cluster = Some(snapshot);
    Ok(())
}

/// The refusals inside check-nodes' facts, each named once.
fn name_what_was_refused(facts: &mut DoctorFacts, snapshot: &Snapshot) {
    if let GateReading::Forbidden {
        permission,
        message,
    } = &snapshot.apiserver.metrics
    {
        skip(
            facts,
            Section::ControlPlane,
            permission,
            "the apiserver's SidecarContainers gate (inferred from its version instead)",
            &Failure::Forbidden(message.clone()),
        );
    }
    let refused: Vec<&str> = snapshot
        .nodes
        .iter()
        .filter(|n| matches!(&n.metrics, GateReading::Forbidden { .. }))
        .map(|n| n.name.as_str())
        .collect();
    if let Some(GateReading::Forbidden {
        permission,
        message,
    }) = snapshot
        .nodes
        .iter()
        .map(|n| &n.metrics)
        .find(|m| matches!(m, GateReading::Forbidden { .. }))
    {
        let permission = if permission.is_empty() {
            KUBELET_PERMISSION
        } else {
            permission
        };
        skip(
            facts,
            Section::Nodes,
            permission,
            format!(
                "the kubelet gates of {} node(s) (verdicts inferred from kubelet versions)",
                refused.len()
            ),
            &Failure::Forbidden(message.clone()),
        );
    }
    if let Some(error) = snapshot.control_plane.error.as_deref() {
        let failure = if error.contains("forbidden") || error.contains("403") {
            Failure::Forbidden(error.to_string())
        } else {
            Failure::Other(error.to_string())
        };
        skip(
            facts,
            Section::ControlPlane,
            "list pods in namespace kube-system",
            "kube-scheduler and kube-controller-manager flags (their static pods)",
            &failure,
        );
    }
}
