//! Aggregation: the same problem on many pods of one workload is one finding, with the pods it
//! was seen on as evidence; a symptom supersedes the static cause it already explains.

use std::collections::{BTreeMap, BTreeSet};

use crate::checks::finding::{Finding, ObjectRef};
use crate::cmd::doctor::checks::list_some;

/// Which pods a pod-level finding was seen on (a folded pod stands for `weight` pods).
pub(super) struct Seen {
    pub(super) pod: String,
    pub(super) weight: u32,
}

/// Findings keyed by (id, object with container): the same problem on many pods of one
/// Deployment is one finding.
#[derive(Default)]
pub(super) struct Hits {
    order: Vec<(String, ObjectRef)>,
    by_key: BTreeMap<(String, ObjectRef), Hit>,
}

struct Hit {
    finding: Finding,
    pods: Vec<String>,
    count: u32,
}

impl Hits {
    pub(super) fn add(&mut self, finding: Finding, seen: Option<&Seen>) {
        let key = (finding.id.clone(), finding.object.clone());
        let hit = match self.by_key.get_mut(&key) {
            Some(hit) => {
                for line in finding.evidence {
                    if !hit.finding.evidence.contains(&line) && hit.finding.evidence.len() < 12 {
                        hit.finding.evidence.push(line);
                    }
                }
                hit
            }
            None => {
                self.order.push(key.clone());
                self.by_key.entry(key).or_insert(Hit {
                    finding,
                    pods: Vec::new(),
                    count: 0,
                })
            }
        };
        if let Some(seen) = seen
            && !hit.pods.contains(&seen.pod)
        {
            hit.pods.push(seen.pod.clone());
            hit.count += seen.weight;
        }
    }

    fn has(&self, id: &str, object: &ObjectRef) -> bool {
        self.by_key.contains_key(&(id.to_string(), object.clone()))
    }

    pub(super) fn finish(mut self) -> Vec<Finding> {
        // A symptom already explains its static cause: keep only the more telling finding.
        const SUPERSEDED: &[(&str, &[&str])] = &[
            ("legacy-sidecar-in-job", &["legacy-sidecar-blocks-job"]),
            ("sidecar-missing-startup-probe", &["sidecar-start-race"]),
            (
                "init-container-never-exits",
                &["sidecar-run-as-init", "sidecar-stripped"],
            ),
            ("probe-on-classic-init", &["sidecar-stripped"]),
        ];
        let superseded: BTreeSet<(String, ObjectRef)> = self
            .order
            .iter()
            .filter(|key| {
                SUPERSEDED
                    .iter()
                    .any(|(id, by)| *id == key.0 && by.iter().any(|other| self.has(other, &key.1)))
            })
            .cloned()
            .collect();
        let mut out = Vec::new();
        for key in std::mem::take(&mut self.order) {
            if superseded.contains(&key) {
                continue;
            }
            let Some(hit) = self.by_key.remove(&key) else {
                continue;
            };
            let mut finding = hit.finding;
            match (hit.count, hit.pods.first()) {
                (0, _) | (_, None) => {}
                (1, Some(pod)) => finding.evidence.push(format!("seen on pod {pod}")),
                (n, Some(_)) => finding.evidence.push(format!(
                    "seen on {n} pods, e.g. {}",
                    list_some(&hit.pods, 3)
                )),
            }
            out.push(finding);
        }
        out
    }
}
