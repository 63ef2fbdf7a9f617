//! The verdict: findings in the order a person should act on them, counts by severity, one word
//! for the whole run, and the three most important next steps. The verdict is only as good as
//! the coverage: "ready" only when every deciding section was fully examined; `incomplete`
//! otherwise, unless an error already makes it "not ready".

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::coverage::remedy;
use crate::checks::catalog;
use crate::checks::finding::Section;
use crate::checks::finding::{Finding, ObjectRef, Severity};
use crate::facts::coverage::{Cause, Coverage};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub enum Verdict {
    #[serde(rename = "ready")]
    Ready,
    #[serde(rename = "ready with warnings")]
    ReadyWithWarnings,
    /// No error, but a deciding section has gaps: nothing can be promised.
    #[serde(rename = "incomplete")]
    Incomplete,
    #[serde(rename = "not ready")]
    NotReady,
    /// `doctor --offline`: no error in the manifests, but the cluster was not examined, so
    /// nothing is promised about it (never "ready").
    #[serde(rename = "manifests ok")]
    ManifestsOk,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::ReadyWithWarnings => "ready with warnings",
            Verdict::Incomplete => "incomplete",
            Verdict::NotReady => "not ready",
            Verdict::ManifestsOk => "manifests ok",
        }
    }
}

/// The id of the next steps that close a coverage gap (they are not findings).
pub const COVERAGE_STEP: &str = "coverage";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Summary {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NextStep {
    pub id: String,
    pub severity: Severity,
    /// What to do (a coverage step names its sections and permissions in it).
    pub action: String,
    /// The objects of the findings it addresses, distinct, in action order; empty for a
    /// coverage step.
    pub objects: Vec<ObjectRef>,
    /// How many findings this step addresses.
    pub findings: usize,
}

impl NextStep {
    /// As the table prints it: the action, then the id and the first three objects.
    pub fn line(&self) -> String {
        if self.objects.is_empty() {
            return self.action.clone();
        }
        let shown: Vec<String> = self.objects.iter().take(3).map(|o| o.to_string()).collect();
        let more = match self.objects.len() {
            n if n > 3 => format!(" and {} more", n - 3),
            _ => String::new(),
        };
        format!("{} ({}: {}{more})", self.action, self.id, shown.join(", "))
    }
}

/// Most serious first; within a severity, causes before symptoms (catalog order, which puts
/// the control plane before nodes, admission, injectors and workloads); then by object.
pub fn order(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| catalog::rank(&a.id).cmp(&catalog::rank(&b.id)))
            .then_with(|| a.section.cmp(&b.section))
            .then_with(|| a.object.cmp(&b.object))
    });
}

pub fn summarize(findings: &[Finding]) -> Summary {
    let mut s = Summary::default();
    for f in findings {
        match f.severity {
            Severity::Error => s.error += 1,
            Severity::Warning => s.warning += 1,
            Severity::Info => s.info += 1,
        }
    }
    s
}

/// An error is a definite "not ready" whatever was not seen; without one, a gap in a deciding
/// section makes the run incomplete; only then do warnings decide between the two "ready"s.
pub fn verdict(summary: &Summary, coverage: &Coverage) -> Verdict {
    if summary.error > 0 {
        Verdict::NotReady
    } else if coverage.offline() {
        Verdict::ManifestsOk
    } else if !coverage.complete() {
        Verdict::Incomplete
    } else if summary.warning > 0 {
        Verdict::ReadyWithWarnings
    } else {
        Verdict::Ready
    }
}

/// The steps that close the deciding sections' gaps: one for every permission refused (they
/// are granted together), then one per other gap, its remedy following its cause.
pub fn coverage_steps(coverage: &Coverage) -> Vec<NextStep> {
    let missing = coverage.missing();
    let mut permissions: Vec<&str> = Vec::new();
    let mut sections: Vec<&str> = Vec::new();
    let mut refused = 0;
    let mut others = Vec::new();
    let mut offline: Vec<&str> = Vec::new();
    for s in &missing {
        for g in &s.gaps {
            if g.cause == Cause::Offline {
                if !offline.contains(&s.section.as_str()) {
                    offline.push(&s.section);
                }
                continue;
            }
            match (g.cause, g.permission.as_deref()) {
                (Cause::Forbidden, Some(p)) => {
                    refused += 1;
                    if !permissions.contains(&p) {
                        permissions.push(p);
                    }
                    if !sections.contains(&s.section.as_str()) {
                        sections.push(&s.section);
                    }
                }
                _ => others.push(NextStep {
                    id: COVERAGE_STEP.to_string(),
                    severity: Severity::Info,
                    action: format!("{} ({} not fully examined)", remedy(g), s.section),
                    objects: Vec::new(),
                    findings: 0,
                }),
            }
        }
    }
    let mut out = Vec::new();
    if !permissions.is_empty() {
        let quoted: Vec<String> = permissions.iter().map(|p| format!("`{p}`")).collect();
        out.push(NextStep {
            id: COVERAGE_STEP.to_string(),
            severity: Severity::Info,
            action: format!(
                "Grant {} to the user running doctor, then run it again ({} not fully examined; {refused} refusal(s))",
                quoted.join(", "),
                sections.join(", ")
            ),
            objects: Vec::new(),
            findings: 0,
        });
    }
    out.extend(others);
    if !offline.is_empty() {
        // One step for everything an offline run leaves out: the cluster run covers it all.
        out.push(NextStep {
            id: COVERAGE_STEP.to_string(),
            severity: Severity::Info,
            action: format!(
                "Run `kubectl sidecar doctor` against the cluster the manifests are meant for: {} cannot be examined offline",
                offline.join(", ")
            ),
            objects: Vec::new(),
            findings: 0,
        });
    }
    out
}

/// The three most important steps: errors first (they decide "not ready"), then what closes
/// the coverage gaps (without it nothing can be promised), then warnings, then info.
pub fn next_steps(ordered: &[Finding], coverage: &Coverage) -> Vec<NextStep> {
    let (errors, rest): (Vec<Finding>, Vec<Finding>) = ordered
        .iter()
        .cloned()
        .partition(|f| f.severity == Severity::Error);
    let mut out = finding_steps(&errors);
    out.extend(coverage_steps(coverage));
    if out.len() < 3 {
        // Info matters only when nothing more serious, nor any gap, is left to act on.
        let more_serious = !errors.is_empty() || !coverage.complete();
        out.extend(
            finding_steps(&rest)
                .into_iter()
                .filter(|s| !(more_serious && s.severity == Severity::Info)),
        );
    }
    out.truncate(3);
    out
}

/// Distinct checks among ordered findings, each as one action over all the objects it names.
/// Info findings count only when nothing more serious remains.
fn finding_steps(ordered: &[Finding]) -> Vec<NextStep> {
    let mut groups: Vec<(&str, Vec<&Finding>)> = Vec::new();
    for f in ordered {
        match groups.iter_mut().find(|(id, _)| *id == f.id) {
            Some((_, list)) => list.push(f),
            None => groups.push((&f.id, vec![f])),
        }
    }
    let serious = groups
        .iter()
        .filter(|(_, fs)| fs[0].severity > Severity::Info)
        .count();
    groups
        .into_iter()
        .filter(|(_, fs)| serious == 0 || fs[0].severity > Severity::Info)
        .map(|(id, fs)| {
            let first = fs[0];
            let mut objects: Vec<ObjectRef> = Vec::new();
            for f in &fs {
                if !objects.contains(&f.object) {
                    objects.push(f.object.clone());
                }
            }
            // The fix of a single finding names its object; for several, the generic fix.
            let fix = if fs.len() == 1 {
                first.fix.clone()
            } else {
                catalog::get(id).map_or(first.fix.clone(), |c| c.fix.to_string())
            };
            NextStep {
                id: id.to_string(),
                severity: first.severity,
                action: fix,
                objects,
                findings: fs.len(),
            }
        })
        .collect()
}

/// Findings grouped by section, each group in action order.
pub fn by_section(ordered: &[Finding]) -> BTreeMap<Section, Vec<&Finding>> {
    let mut out: BTreeMap<Section, Vec<&Finding>> = BTreeMap::new();
    for f in ordered {
        out.entry(f.section).or_default().push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::finding::ObjectRef;
    use crate::error::{EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK};
    use crate::facts::coverage::{Gap, SectionCoverage};

    fn f(id: &str, name: &str) -> Finding {
        Finding::new(id, ObjectRef::new("Deployment", Some("ns"), name), "m")
    }

    fn complete() -> Coverage {
        let mut c = crate::kube::collect::coverage::empty();
        for s in &mut c.sections {
            s.total = Some(1);
            s.examined = 1;
        }
        c
    }

    fn with_gap(section: &str, gap: Gap) -> Coverage {
        let mut c = complete();
        crate::kube::collect::coverage::section(&mut c, section).gap(gap);
        c
    }

    fn forbidden_pods() -> Coverage {
        with_gap(
            "workloads",
            Gap::forbidden(
                "list pods in all namespaces",
                "list pods in all namespaces",
                "403",
            ),
        )
    }

    #[test]
    fn causes_before_symptoms_and_errors_before_warnings() {
        let mut v = vec![
            f("sidecar-missing-startup-probe", "a"),
            f("sidecar-run-as-init", "b"),
            f("sidecar-stripped", "c"),
            f("node-gate-unknown", "d"),
            f("apiserver-gate-off", "e"),
            f("mixed-pool-support", "f"),
            f("admission-strips-restartpolicy", "g"),
        ];
        order(&mut v);
        let ids: Vec<&str> = v.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "apiserver-gate-off",
                "admission-strips-restartpolicy",
                "sidecar-stripped",
                "sidecar-run-as-init",
                "mixed-pool-support",
                "sidecar-missing-startup-probe",
                "node-gate-unknown",
            ]
        );
    }

    /// Every combination of worst finding, coverage and --fail-on: the verdict and the exit.
    #[test]
    fn verdict_and_exit_for_every_combination() {
        let summaries = [
            ("none", Summary::default()),
            (
                "info",
                Summary {
                    error: 0,
                    warning: 0,
                    info: 1,
                },
            ),
            (
                "warning",
                Summary {
                    error: 0,
                    warning: 1,
                    info: 1,
                },
            ),
            (
                "error",
                Summary {
                    error: 1,
                    warning: 1,
                    info: 1,
                },
            ),
        ];
        let informative_gap = with_gap(
            "events",
            Gap::new("list events in all namespaces", Cause::Timeout, "slow"),
        );
        for (worst, s) in &summaries {
            for (covered, c) in [
                ("complete", complete()),
                ("events only", informative_gap.clone()),
                ("gaps", forbidden_pods()),
            ] {
                let gaps = covered == "gaps";
                let want = match (*worst, gaps) {
                    ("error", _) => Verdict::NotReady,
                    (_, true) => Verdict::Incomplete,
                    ("warning", false) => Verdict::ReadyWithWarnings,
                    _ => Verdict::Ready,
                };
                assert_eq!(verdict(s, &c), want, "{worst}, {covered}");
                for (threshold, reached) in [
                    (Severity::Error, *worst == "error"),
                    (Severity::Warning, matches!(*worst, "error" | "warning")),
                    (Severity::Info, *worst != "none"),
                ] {
                    let code = if reached {
                        EXIT_FINDINGS
                    } else if gaps {
                        EXIT_INCOMPLETE
                    } else {
                        EXIT_OK
                    };
                    let findings: Vec<Finding> = [
                        ("apiserver-gate-off", s.error),
                        ("mixed-pool-support", s.warning),
                        ("node-gate-unknown", s.info),
                    ]
                    .into_iter()
                    .filter(|(_, n)| *n > 0)
                    .map(|(id, _)| f(id, "x"))
                    .collect();
                    let outcome = crate::checks::fail_on::Outcome {
                        incomplete: !c.complete(),
                        ..Default::default()
                    };
                    assert_eq!(
                        crate::checks::fail_on::Rule::errors(Some(threshold))
                            .exit_code(outcome, &findings),
                        code,
                        "{worst}, {covered}, --fail-on {threshold}"
                    );
                }
            }
        }
        assert_eq!(
            serde_json::to_string(&Verdict::ReadyWithWarnings).unwrap(),
            "\"ready with warnings\""
        );
        assert_eq!(
            serde_json::to_string(&Verdict::Incomplete).unwrap(),
            "\"incomplete\""
        );
    }

    #[test]
    fn next_steps_group_by_check_and_skip_info_when_more_serious_exist() {
        let mut v = vec![
            f("sidecar-stripped", "a"),
            f("sidecar-stripped", "b"),
            f("sidecar-start-race", "c"),
            f("node-gate-unknown", "d"),
            f("legacy-sidecar-blocks-job", "e"),
            f("sidecar-readiness-not-startup", "g"),
        ];
        order(&mut v);
        let steps = next_steps(&v, &complete());
        let ids: Vec<&str> = steps.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "sidecar-stripped",
                "legacy-sidecar-blocks-job",
                "sidecar-start-race"
            ]
        );
        assert_eq!(steps[0].findings, 2);
        // The objects are fields; the table's line names them after the id.
        let names: Vec<String> = steps[0].objects.iter().map(|o| o.to_string()).collect();
        assert_eq!(names, ["deployment/ns/a", "deployment/ns/b"]);
        assert!(
            !steps[0].action.contains("deployment/ns/a"),
            "{}",
            steps[0].action
        );
        assert!(
            steps[0]
                .line()
                .ends_with("(sidecar-stripped: deployment/ns/a, deployment/ns/b)"),
            "{}",
            steps[0].line()
        );
        let only_info = vec![f("node-gate-unknown", "d")];
        assert_eq!(next_steps(&only_info, &complete()).len(), 1);
        assert!(next_steps(&[], &complete()).is_empty());
    }

    #[test]
    fn gaps_come_after_errors_and_before_warnings_and_follow_their_cause() {
        let mut c = forbidden_pods();
        let nodes = crate::kube::collect::coverage::section(&mut c, "nodes");
        nodes.gap(Gap::forbidden(
            "kubelet gate of 1 node(s): a",
            "get nodes/proxy",
            "403",
        ));
        nodes.gap(Gap::new(
            "kubelet gate of 2 node(s): b, c",
            Cause::Unreachable,
            "HTTP 503: connection refused",
        ));
        let mut v = vec![f("sidecar-start-race", "w"), f("sidecar-stripped", "e")];
        order(&mut v);
        let steps = next_steps(&v, &c);
        let ids: Vec<&str> = steps.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["sidecar-stripped", COVERAGE_STEP, COVERAGE_STEP]);
        assert!(
            steps[1]
                .action
                .starts_with("Grant `get nodes/proxy`, `list pods in all namespaces`"),
            "{}",
            steps[1].action
        );
        assert!(!steps[2].action.contains("Grant"), "{}", steps[2].action);
        assert!(steps[2].action.contains("b, c"), "{}", steps[2].action);
        // Without errors the gaps lead; info gives way to them.
        let steps = next_steps(&[f("node-gate-unknown", "i")], &c);
        assert!(steps.iter().all(|s| s.id == COVERAGE_STEP), "{steps:#?}");
        // Informative sections never make a step.
        let mut events = SectionCoverage::new("events", "event reasons");
        events.decisive = false;
        events.gap(Gap::new("list events", Cause::Timeout, "slow"));
        let only_events = Coverage {
            sections: vec![events],
        };
        assert!(coverage_steps(&only_events).is_empty());
    }
}
