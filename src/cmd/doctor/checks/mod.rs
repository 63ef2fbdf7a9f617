//! Checks: pure functions from facts to findings, one module per report section. This module
//! builds the lookups they share (owners, nodes, the time of collection) and runs them all.

pub mod admission;
pub mod control_plane;
mod images;
pub mod injectors;
pub mod looks;
pub mod nodes;
pub mod workloads;

#[cfg(test)]
mod fixtures;

use std::collections::BTreeMap;

use k8s_openapi::jiff::Timestamp;

use crate::cmd::doctor::cluster::{ClusterFacts, NodeSummary};

use crate::facts::doctor::DoctorFacts;

use crate::checks::cluster::verdict::Verdict;
use crate::checks::finding::{Finding, ObjectRef};
use crate::facts::workloads::{OwnerFacts, OwnerKey, PodFacts, PodSpecFacts};
use crate::kube::version::{self, KubeVersion};
use crate::kube::versions;

/// Everything a check may read: the facts and indexes over them.
pub struct Input<'a> {
    pub facts: &'a DoctorFacts,
    /// The control plane and nodes as the check-nodes engine judges them.
    pub cluster: ClusterFacts,
    pub owners: Owners<'a>,
    node_index: BTreeMap<String, usize>,
    pub now: Option<Timestamp>,
    pub apiserver: Option<KubeVersion>,
}

impl<'a> Input<'a> {
    pub fn new(facts: &'a DoctorFacts) -> Self {
        Self::with_cluster(facts, super::cluster::view(facts))
    }

    pub fn with_cluster(facts: &'a DoctorFacts, cluster: ClusterFacts) -> Self {
        let node_index = cluster
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.clone(), i))
            .collect();
        let apiserver = cluster
            .apiserver
            .as_ref()
            .and_then(|a| a.version.as_deref())
            .and_then(version::parse);
        Self {
            facts,
            cluster,
            owners: Owners::new(&facts.workloads.owners),
            node_index,
            now: facts
                .collected_at
                .as_deref()
                .and_then(|t| t.parse::<Timestamp>().ok()),
            apiserver,
        }
    }

    pub fn node(&self, name: &str) -> Option<&NodeSummary> {
        self.node_index
            .get(name)
            .and_then(|i| self.cluster.nodes.get(*i))
    }

    /// The check-nodes verdict of a node, when known.
    pub fn node_verdict(&self, node: &str) -> Option<Verdict> {
        self.node(node).map(|n| n.verdict)
    }

    /// True when the apiserver is known to drop `restartPolicy` (gate off or too old).
    pub fn apiserver_strips(&self) -> bool {
        let Some(api) = self.cluster.apiserver.as_ref() else {
            return false;
        };
        api.gate_enabled == Some(false)
            || self.apiserver.is_some_and(|v| !versions::has_sidecars(v))
    }
}

/// Owners by (namespace, kind, name), with the walk up to the top-level controller.
pub struct Owners<'a> {
    by_key: BTreeMap<(&'a str, &'a str, &'a str), &'a OwnerFacts>,
}

impl<'a> Owners<'a> {
    pub fn new(owners: &'a [OwnerFacts]) -> Self {
        Self {
            by_key: owners
                .iter()
                .map(|o| ((o.namespace.as_str(), o.kind.as_str(), o.name.as_str()), o))
                .collect(),
        }
    }

    pub fn get(&self, namespace: &str, key: &OwnerKey) -> Option<&'a OwnerFacts> {
        self.by_key
            .get(&(namespace, key.kind.as_str(), key.name.as_str()))
            .copied()
    }

    /// The chain from `key` upwards (direct owner first), following fetched owners only.
    pub fn chain(&self, namespace: &str, key: &OwnerKey) -> Vec<&'a OwnerFacts> {
        let mut out: Vec<&'a OwnerFacts> = Vec::new();
        let mut next = self.get(namespace, key);
        while let Some(owner) = next {
            // Owner references can form cycles in hand-written objects; never loop.
            if out.len() >= 8 || out.iter().any(|o| std::ptr::eq(*o, owner)) {
                break;
            }
            out.push(owner);
            next = owner.owner.as_ref().and_then(|k| self.get(namespace, k));
        }
        out
    }

    /// The object a person edits for this pod: its top-level controller (Deployment, CronJob,
    /// StatefulSet...), else its direct owner as referenced, else the pod itself.
    pub fn top_object(&self, pod: &PodFacts) -> ObjectRef {
        let Some(key) = pod.owner.as_ref() else {
            return ObjectRef::new("Pod", Some(&pod.namespace), &pod.name);
        };
        let chain = self.chain(&pod.namespace, key);
        match chain.last() {
            Some(top) => match top.owner.as_ref() {
                // The top fetched owner has an owner we could not fetch: name that one.
                Some(up) if self.get(&pod.namespace, up).is_none() => {
                    ObjectRef::new(&up.kind, Some(&pod.namespace), &up.name)
                }
                _ => ObjectRef::new(&top.kind, Some(&top.namespace), &top.name),
            },
            None => ObjectRef::new(&key.kind, Some(&pod.namespace), &key.name),
        }
    }

    /// Owners that no other fetched owner controls: the objects whose templates are checked.
    pub fn tops(&self) -> impl Iterator<Item = &'a OwnerFacts> + '_ {
        self.by_key.values().copied().filter(|o| {
            o.owner
                .as_ref()
                .is_none_or(|k| self.get(&o.namespace, k).is_none())
        })
    }

    pub fn top_object_of(&self, owner: &OwnerFacts) -> ObjectRef {
        match owner.owner.as_ref() {
            Some(up) => {
                let chain = self.chain(&owner.namespace, up);
                match chain.last() {
                    Some(top) => ObjectRef::new(&top.kind, Some(&top.namespace), &top.name),
                    None => ObjectRef::new(&up.kind, Some(&owner.namespace), &up.name),
                }
            }
            None => ObjectRef::new(&owner.kind, Some(&owner.namespace), &owner.name),
        }
    }
}

/// True when a pod spec was made for a Job (directly or through a CronJob).
pub fn is_job_kind(kind: &str) -> bool {
    kind == "Job" || kind == "CronJob"
}

/// The specs a pod was submitted from, with where each came from: the direct owner's template,
/// the last-applied configurations of its owners, its own last-applied configuration.
pub fn submitted_specs<'a>(
    input: &Input<'a>,
    pod: &'a PodFacts,
) -> Vec<(String, &'a PodSpecFacts)> {
    let mut out = Vec::new();
    if let Some(key) = pod.owner.as_ref() {
        let chain = input.owners.chain(&pod.namespace, key);
        if let Some(direct) = chain.first()
            && let Some(t) = direct.template.as_ref()
        {
            out.push((
                format!("{}/{}'s template", direct.kind.to_lowercase(), direct.name),
                &t.spec,
            ));
        }
        for owner in &chain {
            if let Some(la) = owner.last_applied.as_ref() {
                out.push((
                    format!(
                        "{}/{}'s last-applied configuration",
                        owner.kind.to_lowercase(),
                        owner.name
                    ),
                    la,
                ));
            }
        }
    }
    if let Some(la) = pod.last_applied.as_ref() {
        out.push(("the pod's last-applied configuration".to_string(), la));
    }
    out
}

/// Runs every check. Findings are unordered here; `verdict` orders them.
pub fn run_with(input: &Input<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    findings.extend(control_plane::check(input));
    findings.extend(nodes::check(input));
    findings.extend(admission::check(input));
    findings.extend(injectors::check(input));
    findings.extend(workloads::check(input));
    images::attach(input, &mut findings);
    findings
}

/// Seconds between an RFC 3339 time and the collection time.
pub fn age_seconds(input: &Input<'_>, since: Option<&str>) -> Option<i64> {
    let now = input.now?;
    let since: Timestamp = since?.parse().ok()?;
    Some(now.as_second() - since.as_second())
}

pub use crate::kube::access::list_some;
