//! What diff-pod reports (its `-o json|yaml` shape and what the table shows): per object the
//! result, the webhooks called and the gaps; the findings; the changes with who made them; and
//! the exit code they add up to. Plain types; the checks that fill them are in `analyze`.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::classify::{Kind, SidecarEffect};
use super::diff::Path;
use crate::checks::finding::Finding;
use crate::error::{EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE};
use crate::facts::coverage::{Coverage, Gap};
use crate::facts::diff_pod::Apiserver;
use crate::kube::strippers::KnownStripper;
use crate::kube::webhooks::Verdict;

/// A webhook that is (or may be) called for the pod.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub webhook: String,
    pub configuration: String,
    #[serde(flatten)]
    pub verdict: Verdict,
    pub failure_policy: String,
    pub reinvocation_policy: String,
    pub side_effects: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_stripper: Option<KnownStripper>,
}

/// Who made a change.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "by")]
pub enum Attribution {
    /// The apiserver's defaulting or a built-in admission plugin; not interesting by itself.
    Defaulting,
    /// The apiserver dropped the field itself.
    Apiserver {
        why: String,
    },
    /// `--blame` replayed this webhook's own patch and it made the change.
    Webhook {
        webhook: String,
        configuration: String,
        patch: Value,
    },
    /// One of these webhooks, which are called for this pod.
    Webhooks {
        candidates: Vec<Candidate>,
        #[serde(skip_serializing_if = "Option::is_none")]
        also: Option<String>,
    },
    Unknown {
        why: String,
    },
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ChangeOut {
    pub object: String,
    pub path: Path,
    pub kind: Kind,
    pub container: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sidecar: Option<SidecarEffect>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub attribution: Attribution,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Result_ {
    /// Admission changed nothing but defaults.
    Unchanged,
    /// Admission changed the pod, but no sidecar.
    Changed,
    /// A change damages a native sidecar (or the create was rejected because of one).
    SidecarAffected,
    /// The dry run could not show what admission does.
    NotRun,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ObjectReport {
    pub object: String,
    pub namespace: String,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_from: Option<String>,
    pub result: Result_,
    /// Mutating webhooks that are (or may be) called when this pod is created.
    pub webhooks: Vec<Candidate>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blame: Vec<crate::facts::diff_pod::BlameStep>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What could not be read or compared for this object (also in `coverage`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<Gap>,
    /// Whether submitted and admitted (or live) specs were compared.
    #[serde(skip)]
    pub compared: bool,
    #[serde(skip)]
    pub exit_code: i32,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Report {
    pub apiserver: Apiserver,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhooks_error: Option<String>,
    pub objects: Vec<ObjectReport>,
    pub findings: Vec<Finding>,
    pub changes: Vec<ChangeOut>,
    pub coverage: Coverage,
}

/// The two sides of one pod's diff as they are shown (defaults hidden unless asked for).
#[derive(Debug, Clone)]
pub struct View {
    pub object: String,
    pub submitted_from: String,
    pub result_from: String,
    pub before: Value,
    pub after: Value,
}

#[derive(Debug, Clone)]
pub struct Analysis {
    pub report: Report,
    pub views: Vec<View>,
}

impl Analysis {
    /// 1 when a sidecar is affected (definite, whatever else could not be compared); else 2
    /// when the input named something without a known submission; else 4 when an object could
    /// not be compared; else 0.
    pub fn exit_code(&self) -> i32 {
        let worst = self
            .report
            .objects
            .iter()
            .map(|o| o.exit_code)
            .max_by_key(|c| rank(*c))
            .unwrap_or(EXIT_OK);
        if worst == EXIT_OK && !self.report.coverage.complete() {
            EXIT_INCOMPLETE
        } else {
            worst
        }
    }
}

/// The findings that make an object exit 1 whatever their severity: an altered sidecar (what
/// diff-pod exists to catch), or restart rules dropped by admission.
const DECISIVE: &[&str] = &[
    "restart-policy-removed",
    "restart-policy-removed-upstream",
    "sidecar-removed",
    "sidecar-modified",
    "rejected-stripped-sidecar",
    "webhook-drops-restart-rules",
];

/// diff-pod's `--fail-on` rule (checks/fail_on.rs).
pub fn rule(threshold: Option<crate::checks::finding::Severity>) -> crate::checks::fail_on::Rule {
    crate::checks::fail_on::Rule {
        threshold,
        decisive: |f| DECISIVE.contains(&f.id.as_str()),
    }
}

impl Analysis {
    /// What the objects add up to before `--fail-on`.
    pub fn outcome(&self) -> crate::checks::fail_on::Outcome {
        let any = |code| self.report.objects.iter().any(|o| o.exit_code == code);
        crate::checks::fail_on::Outcome {
            negative: any(EXIT_FINDINGS),
            bad_input: any(EXIT_USAGE),
            incomplete: any(EXIT_INCOMPLETE) || !self.report.coverage.complete(),
        }
    }
}

/// Precedence of per-object exit codes: a definite finding beats bad input, which beats a gap.
pub(super) fn rank(code: i32) -> u8 {
    match code {
        EXIT_FINDINGS => 3,
        EXIT_USAGE => 2,
        EXIT_INCOMPLETE => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod fail_on_tests {
    use super::*;
    use crate::checks::catalog;
    use crate::checks::finding::Severity;

    /// With the default `--fail-on error`, exit 1 is exactly what the objects decide: every
    /// error diff-pod can report either is decisive or says an object was not compared.
    #[test]
    fn every_error_is_a_damaged_sidecar_or_a_gap() {
        for check in catalog::all().filter(|c| c.reported_by.contains(&"diff-pod")) {
            if check.severity == Severity::Error {
                assert!(
                    DECISIVE.contains(&check.id) || catalog::NOT_EXAMINED.contains(&check.id),
                    "{}",
                    check.id
                );
            }
        }
        for id in DECISIVE.iter().chain(catalog::NOT_EXAMINED) {
            assert!(catalog::get(id).is_some(), "{id}");
        }
    }
}
