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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::facts::contract::{Header, Kind};
    use crate::facts::coverage::Cause;
    use crate::facts::snapshot::{self, Snapshot};

    /// Every kind of value the facts hold, once.
    fn facts() -> DiffFacts {
        let object = |kind: &str, name: &str| KindName {
            kind: kind.into(),
            name: name.into(),
            namespace: Some("shop".into()),
        };
        let step = |result| BlameStep {
            webhook: "w.example.com".into(),
            configuration: "w".into(),
            result,
        };
        let pod = PodFacts {
            object: object("Deployment", "web"),
            namespace: "shop".into(),
            source: "deploy.yaml".into(),
            location: Some(SourceLocation {
                file: "deploy.yaml".into(),
                document: 2,
                line: 14,
            }),
            live: false,
            namespace_labels: Some([("team".to_string(), "a".to_string())].into()),
            namespace_error: Some(Gap::new("get namespace shop", Cause::Forbidden, "d")),
            lineage: vec![Source {
                what: "template of ReplicaSet/web-5d9".into(),
                writer: Some(Writer {
                    object: object("ReplicaSet", "web-5d9"),
                    group: "apps".into(),
                    version: "v1".into(),
                    resource: "replicasets".into(),
                    labels: [("app".to_string(), "web".to_string())].into(),
                }),
                pod: json!({"spec": {"containers": [{"name": "app"}]}}),
            }],
            outcome: Outcome::Admitted {
                pod: json!({"spec": {"containers": [{"name": "app", "image": "x"}]}}),
                warnings: vec!["w".into()],
            },
            blame: vec![
                step(BlameResult::Patched {
                    patch: json!([{"op": "remove", "path": "/spec/x"}]),
                }),
                step(BlameResult::Unchanged),
                step(BlameResult::Denied {
                    message: "no".into(),
                }),
                step(BlameResult::Skipped { why: "s".into() }),
                step(BlameResult::Failed {
                    error: "e".into(),
                    cause: Cause::Timeout,
                }),
            ],
            notes: vec!["n".into()],
            gaps: vec![Gap::new("get Deployment/web", Cause::NotFound, "d")],
        };
        let mut rejected = pod.clone();
        rejected.outcome = Outcome::Rejected {
            code: 422,
            reason: "Invalid".into(),
            message: "m".into(),
        };
        let mut not_run = pod.clone();
        not_run.outcome = Outcome::NotRun { why: "w".into() };
        not_run.location = None;
        DiffFacts {
            apiserver: Apiserver {
                version: Some("v1.30.2".into()),
                gate: Gate::Off {
                    stage: "BETA".into(),
                },
                metrics_read: true,
                gap: Some(Gap::new("get /metrics", Cause::Forbidden, "d")),
            },
            webhooks: Webhooks {
                items: Vec::new(),
                error: Some(Gap::new("list webhooks", Cause::Timeout, "d")),
            },
            pods: vec![pod, rejected, not_run],
        }
    }

    #[test]
    fn the_facts_come_back_from_the_file_as_they_went_in() {
        let facts = facts();
        let saved = Snapshot::<()>::new(Header::new(Kind::Snapshot, None, None), None, None)
            .with_diff_pod(facts.clone());
        let text = snapshot::text(&saved).unwrap();
        let back = snapshot::parse::<serde::de::IgnoredAny>(&text)
            .unwrap()
            .diff_pod
            .unwrap();
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            serde_json::to_value(&facts).unwrap()
        );
        // The apiserver is saved whole, not in its shown form, so the gate decides the same.
        assert_eq!(back.apiserver.gate, facts.apiserver.gate);
        assert!(back.apiserver.metrics_read && back.apiserver.gap.is_some());
        assert_eq!(back.pods[0].location, facts.pods[0].location);
    }
}
