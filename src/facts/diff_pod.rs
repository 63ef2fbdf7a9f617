//! Everything diff-pod learns from the cluster, as plain data: the apiserver's version and gate,
//! the mutating webhooks, and per pod what was submitted and what admission returned. diff-pod's
//! analysis is a pure function of these.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::facts::admission::{Apiserver, Gate, Outcome, Webhooks};
use crate::facts::coverage::{Cause, Gap};
pub use crate::facts::object::{KindName, SourceLocation};
use crate::kube::selector::Labels;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DiffFacts {
    #[serde(with = "crate::facts::admission::saved")]
    #[schemars(with = "crate::facts::admission::SavedApiserver")]
    pub apiserver: Apiserver,
    pub webhooks: Webhooks,
    pub pods: Vec<PodFacts>,
}

/// One pod: what was submitted, what admission made of it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PodFacts {
    pub object: KindName,
    pub namespace: String,
    pub source: String,
    /// Where a manifest declared the object (None for a live pod); its findings point there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
    /// A live pod (compared with what was submitted for it), not a dry run.
    pub live: bool,
    pub namespace_labels: Option<Labels>,
    /// Why the namespace's labels could not be read (webhooks' namespaceSelectors then "may
    /// match").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_error: Option<Gap>,
    /// Where the submitted spec comes from, nearest first: for a live pod, its owner's template,
    /// the owner's owner's template, their last-applied configurations; for a manifest, the
    /// manifest. Empty when nothing is known.
    pub lineage: Vec<Source>,
    pub outcome: Outcome,
    /// `--blame` results, in the order the webhooks were called; empty without `--blame`.
    pub blame: Vec<BlameStep>,
    /// Things worth saying that are not findings of their own (an owner not followed...).
    pub notes: Vec<String>,
    /// What could not be read for this object: the dry run or the live pod (then it is not
    /// compared), or an owner further up (then the upstream comparison is missing).
    pub gaps: Vec<Gap>,
}

/// One version of the pod's spec, as some object holds it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Source {
    /// "manifest deploy.yaml", "template of ReplicaSet/web-5d9", "last-applied configuration of
    /// Deployment/web".
    pub what: String,
    /// The object whose write produced this version (None: what a user sent, unchanged).
    pub writer: Option<Writer>,
    /// The pod this version describes, as its controller would create it.
    pub pod: Value,
}

/// An object written through the apiserver, for webhook matching.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Writer {
    pub object: KindName,
    pub group: String,
    pub version: String,
    pub resource: String,
    pub labels: Labels,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct BlameStep {
    pub webhook: String,
    pub configuration: String,
    #[serde(flatten)]
    pub result: BlameResult,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "result")]
pub enum BlameResult {
    /// The webhook answered with this JSON patch (applied before calling the next one).
    Patched {
        patch: Value,
    },
    Unchanged,
    Denied {
        message: String,
    },
    /// Not called (sideEffects, no reachable endpoint).
    Skipped {
        why: String,
    },
    Failed {
        error: String,
        cause: Cause,
    },
}
