//! Coverage: what each section of a report examined and what it could not, and why. A verdict
//! is only as good as what was seen, so every command records its coverage beside its facts,
//! carries it in snapshots and `-o json|yaml`, and never says "ready" over a gap.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Why something could not be examined. The remedy depends on it, so it is kept apart from the
/// message: forbidden asks for a permission, the others point at the component or the network.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum Cause {
    /// RBAC refused the request (401/403 from the apiserver itself).
    Forbidden,
    /// No answer within the per-request timeout, or the run's `--timeout` ran out.
    Timeout,
    /// The server answered with an error (5xx) or with something that is not an answer
    /// (HTML, garbage, a body too large).
    ServerError,
    /// The connection could not be made or was cut (refused, reset, TLS, 503 through a proxy).
    Unreachable,
    /// The object or endpoint does not exist.
    NotFound,
    /// Deliberately not asked (a NotReady node, a webhook that cannot dry-run).
    NotAsked,
    /// An offline run (`doctor --offline`): it reads manifests and contacts no cluster, so
    /// what only the cluster can show was not examined, by design.
    Offline,
    /// Anything else.
    Error,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Forbidden => "forbidden",
            Cause::Timeout => "timeout",
            Cause::ServerError => "server error",
            Cause::Unreachable => "unreachable",
            Cause::NotFound => "not found",
            Cause::NotAsked => "not asked",
            Cause::Offline => "offline",
            Cause::Error => "error",
        }
    }
}

/// One thing that could not be examined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Gap {
    /// What was not examined: `list pods in all namespaces`, `metrics of node n1`.
    pub what: String,
    pub cause: Cause,
    /// The RBAC rule that would allow it (`list pods`), when the cause is `forbidden`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// The error as received, on one line (never a secret: only what the server said).
    pub detail: String,
}

/// What one section examined. `examined`/`total` count the section's unit (nodes, pods,
/// namespaces...); `total` is `None` when even the size could not be learned ("0 of ?").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SectionCoverage {
    pub section: String,
    pub unit: String,
    pub examined: u64,
    pub total: Option<u64>,
    /// Whether this section decides the verdict (a section that only informs never makes a run
    /// incomplete).
    #[serde(default = "yes")]
    pub decisive: bool,
    #[serde(default)]
    pub gaps: Vec<Gap>,
}

fn yes() -> bool {
    true
}

impl SectionCoverage {
    pub fn new(section: &str, unit: &str) -> Self {
        Self {
            section: section.to_string(),
            unit: unit.to_string(),
            examined: 0,
            total: None,
            decisive: true,
            gaps: Vec::new(),
        }
    }

    pub fn complete(&self) -> bool {
        self.gaps.is_empty()
    }

    /// Records a gap once (the same failure on many pages or nodes is one line).
    pub fn gap(&mut self, gap: Gap) {
        if !self.gaps.contains(&gap) {
            self.gaps.push(gap);
        }
    }

    /// One line for the table: `pods: 0 of ? seen: list pods forbidden in all namespaces`.
    pub fn line(&self) -> String {
        let total = self
            .total
            .map_or_else(|| "?".to_string(), |t| t.to_string());
        let head = format!(
            "{}: {} of {} {} examined",
            self.section, self.examined, total, self.unit
        );
        if self.gaps.is_empty() {
            return format!("{head}, complete");
        }
        let causes: Vec<String> = self.gaps.iter().take(3).map(Gap::short).collect();
        let more = self.gaps.len().saturating_sub(3);
        let tail = if more > 0 {
            format!(" (+{more} more)")
        } else {
            String::new()
        };
        format!("{head}: {}{tail}", causes.join("; "))
    }
}

impl Gap {
    pub fn new(what: impl Into<String>, cause: Cause, detail: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            cause,
            permission: None,
            detail: detail.into(),
        }
    }

    pub fn forbidden(
        what: impl Into<String>,
        permission: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            what: what.into(),
            cause: Cause::Forbidden,
            permission: Some(permission.into()),
            detail: detail.into(),
        }
    }

    /// `list pods in all namespaces: forbidden (needs list pods)`.
    pub fn short(&self) -> String {
        match &self.permission {
            Some(p) => format!("{}: forbidden (needs {p})", self.what),
            None => format!("{}: {}", self.what, self.cause.as_str()),
        }
    }

    /// What to do about it, following the cause.
    pub fn remedy(&self) -> String {
        match self.cause {
            Cause::Forbidden => match &self.permission {
                Some(p) => format!("grant `{p}` to the user running this tool"),
                None => "grant the missing permission to the user running this tool".to_string(),
            },
            Cause::Timeout => {
                "the server did not answer in time: check its load, or raise --request-timeout / --timeout".to_string()
            }
            Cause::ServerError => "the server failed: check its logs and health".to_string(),
            Cause::Unreachable => {
                "it could not be reached: check that it is running and that the network path to it is open".to_string()
            }
            Cause::NotFound => "it does not exist: check the name".to_string(),
            Cause::NotAsked => "it was not asked; see the detail".to_string(),
            Cause::Offline => {
                "run the same command against the cluster (without --offline) to examine it"
                    .to_string()
            }
            Cause::Error => "see the detail".to_string(),
        }
    }
}

/// Every section's coverage, in report order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    pub sections: Vec<SectionCoverage>,
}

impl Coverage {
    /// True when every section that decides the verdict was fully examined.
    pub fn complete(&self) -> bool {
        self.sections.iter().all(|s| !s.decisive || s.complete())
    }

    /// The deciding sections with gaps, for the verdict's reason.
    pub fn missing(&self) -> Vec<&SectionCoverage> {
        self.sections
            .iter()
            .filter(|s| s.decisive && !s.complete())
            .collect()
    }

    /// True when the deciding sections' gaps are all an offline run's (`Cause::Offline`): what
    /// was left out was left out by design, not lost to a failure.
    pub fn offline(&self) -> bool {
        let missing = self.missing();
        !missing.is_empty()
            && missing
                .iter()
                .all(|s| s.gaps.iter().all(|g| g.cause == Cause::Offline))
    }

    /// `not fully examined: pods, nodes` (`not examined offline: ...` for an offline run).
    pub fn reason(&self) -> Option<String> {
        let missing = self.missing();
        if missing.is_empty() {
            return None;
        }
        let names: Vec<&str> = missing.iter().map(|s| s.section.as_str()).collect();
        let head = if self.offline() {
            "not examined offline"
        } else {
            "not fully examined"
        };
        Some(format!("{head}: {}", names.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forbidden_list_reads_as_one_line_and_makes_the_run_incomplete() {
        let mut pods = SectionCoverage::new("workloads", "pods");
        pods.gap(Gap::forbidden(
            "list pods in all namespaces",
            "list pods",
            "403 Forbidden: pods is forbidden",
        ));
        pods.gap(Gap::forbidden(
            "list pods in all namespaces",
            "list pods",
            "403 Forbidden: pods is forbidden",
        ));
        assert_eq!(pods.gaps.len(), 1, "the same gap is recorded once");
        assert_eq!(
            pods.line(),
            "workloads: 0 of ? pods examined: list pods in all namespaces: forbidden (needs list pods)"
        );
        let coverage = Coverage {
            sections: vec![pods],
        };
        assert!(!coverage.complete());
        assert_eq!(coverage.reason().unwrap(), "not fully examined: workloads");
    }

    #[test]
    fn informative_sections_do_not_decide() {
        let mut s = SectionCoverage::new("events", "events");
        s.decisive = false;
        s.gap(Gap::new(
            "list events",
            Cause::Timeout,
            "no answer within 30s",
        ));
        let coverage = Coverage { sections: vec![s] };
        assert!(coverage.complete());
        assert!(coverage.reason().is_none());
    }

    #[test]
    fn offline_gaps_are_told_apart_from_failures() {
        let mut nodes = SectionCoverage::new("nodes", "nodes");
        nodes.gap(Gap::new("kubelets", Cause::Offline, "no cluster"));
        let mut coverage = Coverage {
            sections: vec![nodes],
        };
        assert!(!coverage.complete() && coverage.offline());
        assert_eq!(coverage.reason().unwrap(), "not examined offline: nodes");
        coverage.sections[0].gap(Gap::new("list nodes", Cause::Timeout, "30s"));
        assert!(!coverage.offline());
        assert!(
            !Coverage::default().offline(),
            "nothing missing is not offline"
        );
    }

    #[test]
    fn remedies_follow_the_cause() {
        let refused = Gap::new(
            "metrics of node n1",
            Cause::Unreachable,
            "HTTP 503: connection refused",
        );
        assert!(!refused.remedy().contains("grant"));
        let forbidden = Gap::forbidden("metrics of node n1", "get nodes/proxy", "403");
        assert!(forbidden.remedy().contains("get nodes/proxy"));
    }
}
