//! The one snapshot kind every command reads: `--save-snapshot` writes it, `--snapshot` analyses
//! it offline. check-nodes fills `cluster` only; doctor fills `cluster` and `doctor`, so a doctor
//! snapshot serves check-nodes too. `diffPod` holds diff-pod's dry runs (and live pods), redacted
//! (`kube::redact::for_snapshot`): `snapshot -f MANIFEST` saves them beside the rest,
//! `diff-pod --save-snapshot` alone.
//!
//! The doctor part's type belongs to doctor (`D`): this layer does not know it, and check-nodes
//! reads it as `IgnoredAny`. Files of earlier builds (`kubectl-sidecar/check-nodes` version 1
//! and 2, `DoctorSnapshot` version 2) are refused with one line naming what was found.

use std::path::Path;

use schemars::JsonSchema;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::facts::cluster::ClusterFacts;
use crate::facts::contract::{API_VERSION, Header, Kind};
use crate::facts::diff_pod::DiffFacts;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot<D = IgnoredAny> {
    #[serde(flatten)]
    pub header: Header,
    /// The control plane and nodes; null when they were not collected.
    pub cluster: Option<ClusterFacts>,
    /// Everything else doctor collected (scope, admission, injectors, workloads, coverage);
    /// null in a snapshot saved by check-nodes or diff-pod.
    pub doctor: Option<D>,
    /// diff-pod's facts: the apiserver, the mutating webhooks, and per pod what was submitted
    /// and what admission made of it, every secret-bearing value replaced by a token; null
    /// when no pod was dry-run or compared.
    #[serde(default)]
    pub diff_pod: Option<DiffFacts>,
}

/// Reads a snapshot file; every failure is one line (exit 2) naming the file.
pub fn load<D: DeserializeOwned>(path: &Path) -> Result<Snapshot<D>> {
    let shown = path.display();
    let hint = "pass a file written by --save-snapshot (check-nodes, doctor or diff-pod) or kubectl sidecar snapshot";
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::usage(format!("cannot read snapshot {shown}: {e}")).hint(hint))?;
    parse(&text).map_err(|e| Error::usage(format!("snapshot {shown} {e}")).hint(hint))
}

/// A snapshot from its text, apart from the file (the fuzz targets feed it arbitrary bytes).
pub fn parse<D: DeserializeOwned>(text: &str) -> std::result::Result<Snapshot<D>, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("is not JSON: {e}"))?;
    let field = |name: &str| value.get(name).and_then(|v| v.as_str());
    let wanted = format!("this build reads kind Snapshot, apiVersion {API_VERSION}");
    match (field("kind"), field("apiVersion")) {
        (Some("Snapshot"), Some(API_VERSION)) => {}
        (Some("Snapshot"), found) => {
            return Err(format!(
                "is apiVersion {}, {wanted}",
                found.unwrap_or("(none)")
            ));
        }
        (Some(kind @ ("kubectl-sidecar/check-nodes" | "DoctorSnapshot")), _) => {
            let version = value
                .get("version")
                .map_or_else(|| "(none)".to_string(), ToString::to_string);
            return Err(format!(
                "is {kind:?} version {version} (an earlier build), {wanted}: save it again with --save-snapshot"
            ));
        }
        (Some(other), _) => return Err(format!("is kind {other:?}, not a snapshot; {wanted}")),
        (None, _) => return Err(format!("has no \"kind\": not a snapshot; {wanted}")),
    }
    serde_json::from_value(value).map_err(|e| format!("is malformed: {e}"))
}

/// A snapshot as the file holds it: pretty JSON, one trailing newline.
pub fn text<D: Serialize>(snapshot: &Snapshot<D>) -> Result<String> {
    let mut text = serde_json::to_string_pretty(snapshot)
        .map_err(|e| Error::usage(format!("cannot encode the snapshot: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// Writes a snapshot as pretty JSON.
pub fn save<D: Serialize>(path: &Path, snapshot: &Snapshot<D>) -> Result<()> {
    let text = text(snapshot)?;
    std::fs::write(path, text).map_err(|e| {
        Error::usage(format!("cannot write snapshot {}: {e}", path.display()))
            .hint("check that the directory exists and is writable")
    })
}

impl<D> Snapshot<D> {
    pub fn new(header: Header, cluster: Option<ClusterFacts>, doctor: Option<D>) -> Self {
        debug_assert_eq!(header.kind, Kind::Snapshot);
        Self {
            header,
            cluster,
            doctor,
            diff_pod: None,
        }
    }

    /// With diff-pod's facts, which must already be redacted for a snapshot.
    pub fn with_diff_pod(mut self, facts: DiffFacts) -> Self {
        self.diff_pod = Some(facts);
        self
    }

    /// What the file holds, for one-line refusals: `the control plane and nodes, doctor's
    /// facts` or `only diff-pod's dry runs`.
    pub fn holds(&self) -> String {
        let parts: Vec<&str> = [
            (self.cluster.is_some(), "the control plane and nodes"),
            (self.doctor.is_some(), "doctor's facts"),
            (self.diff_pod.is_some(), "diff-pod's dry runs"),
        ]
        .into_iter()
        .filter_map(|(has, what)| has.then_some(what))
        .collect();
        match parts.as_slice() {
            [] => "nothing".to_string(),
            [one] => format!("only {one}"),
            _ => parts.join(", "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Any = Snapshot<IgnoredAny>;

    #[test]
    fn earlier_builds_and_strangers_are_refused_with_what_was_found() {
        let old = parse::<IgnoredAny>(r#"{"kind":"kubectl-sidecar/check-nodes","version":2}"#)
            .unwrap_err();
        assert!(
            old.contains("\"kubectl-sidecar/check-nodes\" version 2")
                && old.contains("kubectl-sidecar/v1"),
            "{old}"
        );
        let doctor = parse::<IgnoredAny>(r#"{"kind":"DoctorSnapshot","version":2}"#).unwrap_err();
        assert!(doctor.contains("\"DoctorSnapshot\" version 2"), "{doctor}");
        let later = parse::<IgnoredAny>(r#"{"kind":"Snapshot","apiVersion":"kubectl-sidecar/v2"}"#)
            .unwrap_err();
        assert!(
            later.contains("is apiVersion kubectl-sidecar/v2"),
            "{later}"
        );
        assert!(
            parse::<IgnoredAny>("[]")
                .unwrap_err()
                .contains("no \"kind\"")
        );
        assert!(parse::<IgnoredAny>("{").unwrap_err().contains("not JSON"));
        assert!(
            parse::<IgnoredAny>(r#"{"kind":"DoctorReport"}"#)
                .unwrap_err()
                .contains("not a snapshot")
        );
        let malformed = parse::<IgnoredAny>(
            r#"{"kind":"Snapshot","apiVersion":"kubectl-sidecar/v1","toolVersion":"0.1.0","cluster":5}"#,
        )
        .unwrap_err();
        assert!(malformed.contains("malformed"), "{malformed}");
    }

    #[test]
    fn a_doctor_part_is_skipped_by_a_reader_that_does_not_know_it() {
        let text = r#"{"apiVersion":"kubectl-sidecar/v1","kind":"Snapshot","toolVersion":"0.1.0",
            "collectedAt":null,"context":null,"cluster":null,"doctor":{"anything":[1,2]}}"#;
        let s: Any = parse(text).unwrap();
        assert!(s.doctor.is_some() && s.cluster.is_none());
    }
}

/// diff-pod's part: written here, so that its round trip lives beside the file format (facts
/// know nothing of the snapshot that holds them).
#[cfg(test)]
mod diff_pod_part {
    use serde_json::json;

    use super::{Snapshot, parse, text};
    use crate::facts::contract::{Header, Kind};
    use crate::facts::coverage::{Cause, Gap};
    use crate::facts::diff_pod::*;
    use crate::facts::object::{KindName, SourceLocation};

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
        let text = text(&saved).unwrap();
        let back = parse::<serde::de::IgnoredAny>(&text)
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
