//! Everything doctor knows about a cluster, as plain data: what `--save-snapshot` writes and
//! `--snapshot` reads back. Checks read only this, so a snapshot reproduces a report offline.
//!
//! Pods are reduced when collected (see `kube::collect::extract`): only what a check reads is kept, never
//! environment values, command lines, the raw last-applied annotation or annotation values
//! other than the injector switches, so a snapshot carries no secrets.
//!
//! Saved inside the one snapshot kind (`crate::facts::snapshot`): the collection time and the
//! cluster facts live in the snapshot's header and `cluster`, the rest under `doctor`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::facts::coverage::Coverage;
use crate::facts::workloads::WorkloadFacts;

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DoctorFacts {
    /// RFC 3339 time of collection; durations such as "running for 20m" are measured from it.
    /// Saved as the snapshot's `collectedAt`.
    #[serde(skip)]
    pub collected_at: Option<String>,
    #[serde(default)]
    pub scope: Scope,
    /// The control plane and nodes (check-nodes' facts); None when not collected. Saved as the
    /// snapshot's `cluster`, where check-nodes reads it too.
    #[serde(skip)]
    pub cluster: Option<crate::facts::cluster::ClusterFacts>,
    #[serde(default)]
    pub admission: AdmissionFacts,
    #[serde(default)]
    pub injectors: InjectorFacts,
    #[serde(default)]
    pub workloads: WorkloadFacts,
    /// What each section examined, and each gap with its cause (and, when RBAC refused, the
    /// permission). The verdict is never "ready" over a gap in a deciding section, so it is
    /// required: a snapshot that does not say what was examined cannot back a verdict.
    pub coverage: Coverage,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Scope {
    /// None with `all_namespaces` false never happens after resolution.
    pub namespace: Option<String>,
    pub all_namespaces: bool,
    pub selector: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Admission.

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionFacts {
    /// Mutating webhooks whose rules intercept pod creation.
    #[serde(default)]
    pub webhooks: Vec<WebhookFacts>,
    /// One dry-run canary per namespace in scope that runs or declares sidecar workloads.
    #[serde(default)]
    pub canaries: Vec<CanaryFacts>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookFacts {
    pub configuration: String,
    pub name: String,
    pub failure_policy: Option<String>,
    pub reinvocation_policy: Option<String>,
    pub side_effects: Option<String>,
    /// Human-readable rule and selector summaries.
    pub rules: Vec<String>,
    pub namespace_selector: Option<String>,
    pub object_selector: Option<String>,
    /// The service or URL it calls (never its caBundle).
    pub target: Option<String>,
    /// When it matches the publicly reported strippers list: which entry and its source.
    pub known_stripper: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CanaryOutcome {
    /// `restartPolicy: Always` survived admission.
    Kept,
    /// It came back without it.
    Stripped,
    /// A webhook does not support dry run.
    DryRunUnsupported,
    /// The dry run was rejected (validation or a webhook denied it).
    Rejected,
    /// No permission to create pods (dry run needs the same RBAC as a create).
    Forbidden,
    /// Any other failure (timeout, unreachable webhook).
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CanaryFacts {
    pub namespace: String,
    /// The labels the canary carried, copied from a sidecar workload of the namespace.
    pub labels: BTreeMap<String, String>,
    /// Where the labels came from (`deployment/web`).
    pub labelled_like: Option<String>,
    pub outcome: CanaryOutcome,
    /// Webhooks that match the canary (rules and selectors), in call order.
    pub candidates: Vec<String>,
    /// The webhook named by a dry-run refusal, when there is one.
    pub webhook: Option<String>,
    pub detail: Option<String>,
    /// Whether the canary's `restartPolicyRules` came back: asked only where a workload of the
    /// namespace declares rules and the apiserver keeps them (1.35+); None when not asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_rules_kept: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// Injectors.

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InjectorFacts {
    #[serde(default)]
    pub istiod: Vec<IstiodFacts>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IstiodFacts {
    pub namespace: String,
    pub name: String,
    pub revision: Option<String>,
    pub image: Option<String>,
    /// What istiod makes of its `ENABLE_NATIVE_SIDECARS` env var, never the raw value: `true`
    /// or `false` (as Go's ParseBool reads it), `(from a reference)` when it comes from a
    /// ConfigMap or Secret, `(not true or false)` otherwise; None when unset.
    pub enable_native_sidecars: Option<String>,
}
