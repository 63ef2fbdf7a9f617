//! What diff-pod examined and what it could not, in the shared coverage shape.
//!
//! `objects` decides the verdict: an object that was not compared leaves the run incomplete.
//! `admission` (the webhook list, the namespaces' labels, the apiserver's gate, `--blame`
//! calls) only decides who made a change, never whether a sidecar was affected: the comparison
//! is the dry run's own answer, whoever shaped it. So an admission gap is shown, and a removed
//! restartPolicy it leaves unattributed is still a definite finding (exit 1), but it does not
//! make a run incomplete by itself.

use std::collections::BTreeMap;

use super::report::ObjectReport;
use crate::facts::coverage::{Cause, Coverage, Gap, SectionCoverage};
use crate::facts::diff_pod::{BlameResult, DiffFacts};

pub fn coverage(facts: &DiffFacts, objects: &[ObjectReport]) -> Coverage {
    Coverage {
        sections: vec![admission(facts), compared(objects)],
    }
}

fn admission(facts: &DiffFacts) -> SectionCoverage {
    let mut s = SectionCoverage::new("admission", "lookups");
    s.decisive = false;
    let mut total = 0;
    let mut failed = 0;
    let mut record = |s: &mut SectionCoverage, gap: Option<&Gap>| {
        total += 1;
        if let Some(g) = gap {
            failed += 1;
            s.gap(g.clone());
        }
    };
    record(&mut s, facts.webhooks.error.as_ref());
    if facts.apiserver.metrics_read {
        record(&mut s, facts.apiserver.gap.as_ref());
    }
    let namespaces: BTreeMap<&str, Option<&Gap>> = facts
        .pods
        .iter()
        .map(|p| (p.namespace.as_str(), p.namespace_error.as_ref()))
        .collect();
    for gap in namespaces.values() {
        record(&mut s, *gap);
    }
    for pod in &facts.pods {
        for step in &pod.blame {
            let hook = facts
                .webhooks
                .items
                .iter()
                .find(|h| h.name == step.webhook && h.configuration == step.configuration);
            let at = hook
                .map(|h| format!(", {}", h.endpoint()))
                .unwrap_or_default();
            let what = format!(
                "call webhook {}{at} for {} (--blame)",
                step.webhook, pod.object
            );
            let gap = match &step.result {
                BlameResult::Failed { error, cause } => Some(Gap {
                    what,
                    cause: *cause,
                    permission: (*cause == Cause::Forbidden)
                        .then(|| "create services/proxy".into()),
                    detail: crate::kube::redact::message(error),
                }),
                BlameResult::Skipped { why } => Some(Gap::new(what, Cause::NotAsked, why.clone())),
                _ => None,
            };
            record(&mut s, gap.as_ref());
        }
    }
    s.total = Some(total);
    s.examined = total - failed;
    s
}

fn compared(objects: &[ObjectReport]) -> SectionCoverage {
    let mut s = SectionCoverage::new("objects", "objects");
    s.total = Some(objects.len() as u64);
    s.examined = objects.iter().filter(|o| o.compared).count() as u64;
    for o in objects {
        for g in &o.gaps {
            s.gap(g.clone());
        }
    }
    s
}
