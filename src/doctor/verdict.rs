//! The verdict: findings in the order a person should act on them, counts by severity, one word
//! for the whole run, and the three most important next steps.

use std::collections::BTreeMap;

use serde::Serialize;

use super::catalog::{self, Section};
use super::findings::{Finding, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Verdict {
    #[serde(rename = "ready")]
    Ready,
    #[serde(rename = "ready with warnings")]
    ReadyWithWarnings,
    #[serde(rename = "not ready")]
    NotReady,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::ReadyWithWarnings => "ready with warnings",
            Verdict::NotReady => "not ready",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NextStep {
    pub id: String,
    pub severity: Severity,
    /// What to do, naming the objects.
    pub action: String,
    /// How many findings this step addresses.
    pub findings: usize,
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

pub fn verdict(summary: &Summary) -> Verdict {
    if summary.error > 0 {
        Verdict::NotReady
    } else if summary.warning > 0 {
        Verdict::ReadyWithWarnings
    } else {
        Verdict::Ready
    }
}

/// The first three distinct checks among ordered findings, each as one action over all the
/// objects it names. Info findings count only when nothing more serious remains.
pub fn next_steps(ordered: &[Finding]) -> Vec<NextStep> {
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
        .take(3)
        .map(|(id, fs)| {
            let first = fs[0];
            let mut objects: Vec<String> = Vec::new();
            for f in &fs {
                let name = f.object.to_string();
                if !objects.contains(&name) {
                    objects.push(name);
                }
            }
            let shown = objects
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            let more = if objects.len() > 3 {
                format!(" and {} more", objects.len() - 3)
            } else {
                String::new()
            };
            // The fix of a single finding names its object; for several, the generic fix.
            let fix = if fs.len() == 1 {
                first.fix.clone()
            } else {
                catalog::get(id).map_or(first.fix.clone(), |c| c.fix.to_string())
            };
            NextStep {
                id: id.to_string(),
                severity: first.severity,
                action: format!("{fix} ({id}: {shown}{more})"),
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

/// Whether the run should exit 1 for `--fail-on`.
pub fn fails(summary: &Summary, threshold: Severity) -> bool {
    match threshold {
        Severity::Error => summary.error > 0,
        Severity::Warning => summary.error + summary.warning > 0,
        Severity::Info => summary.error + summary.warning + summary.info > 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::findings::ObjectRef;

    fn f(id: &str, name: &str) -> Finding {
        Finding::new(id, ObjectRef::new("Deployment", Some("ns"), name), "m")
    }

    #[test]
    fn causes_before_symptoms_and_errors_before_warnings() {
        let mut v = vec![
            f("sidecar-missing-startup-probe", "a"),
            f("sidecar-run-as-init", "b"),
            f("sidecar-stripped", "c"),
            f("permission-missing", "d"),
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
                "permission-missing",
            ]
        );
    }

    #[test]
    fn verdict_words_and_fail_on() {
        let s = Summary {
            error: 0,
            warning: 2,
            info: 1,
        };
        assert_eq!(verdict(&s), Verdict::ReadyWithWarnings);
        assert!(!fails(&s, Severity::Error));
        assert!(fails(&s, Severity::Warning));
        assert!(fails(&s, Severity::Info));
        let clean = Summary::default();
        assert_eq!(verdict(&clean), Verdict::Ready);
        assert!(!fails(&clean, Severity::Info));
        assert_eq!(
            verdict(&Summary {
                error: 1,
                warning: 0,
                info: 0
            }),
            Verdict::NotReady
        );
        assert_eq!(
            serde_json::to_string(&Verdict::ReadyWithWarnings).unwrap(),
            "\"ready with warnings\""
        );
    }

    #[test]
    fn next_steps_group_by_check_and_skip_info_when_more_serious_exist() {
        let mut v = vec![
            f("sidecar-stripped", "a"),
            f("sidecar-stripped", "b"),
            f("sidecar-start-race", "c"),
            f("permission-missing", "d"),
            f("legacy-sidecar-blocks-job", "e"),
            f("sidecar-readiness-not-startup", "g"),
        ];
        order(&mut v);
        let steps = next_steps(&v);
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
        assert!(steps[0].action.contains("deployment/ns/a, deployment/ns/b"));
        let only_info = vec![f("permission-missing", "d")];
        assert_eq!(next_steps(&only_info).len(), 1);
        assert!(next_steps(&[]).is_empty());
    }
}
