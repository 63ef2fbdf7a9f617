//! Node pools from the well-known labels of managed node groups, their summaries, and the
//! recommendation for mixed fleets: label the nodes that can run native sidecars and pin
//! sidecar workloads to them with node affinity.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::checks::cluster::verdict::Verdict;
use crate::kube::version::{self, KubeVersion};

/// Pool labels, first present wins: GKE, EKS, AKS (current and legacy), Karpenter (current and
/// pre-v1beta1).
pub const POOL_LABELS: &[&str] = &[
    "cloud.google.com/gke-nodepool",
    "eks.amazonaws.com/nodegroup",
    "kubernetes.azure.com/agentpool",
    "agentpool",
    "karpenter.sh/nodepool",
    "karpenter.sh/provisioner-name",
];

/// Used when no pool label is present: nodes of one instance type are often one group.
pub const FALLBACK_LABELS: &[&str] = &[
    "node.kubernetes.io/instance-type",
    "beta.kubernetes.io/instance-type",
];

pub const NO_POOL: &str = "(none)";

/// The label this tool recommends for nodes that support native sidecars.
pub const SUPPORT_LABEL_KEY: &str = "native-sidecars";
pub const SUPPORT_LABEL_VALUE: &str = "supported";

/// The pool a node belongs to and the label that says so (None for "(none)").
pub fn pool_of(labels: &BTreeMap<String, String>) -> (String, Option<String>) {
    for key in POOL_LABELS.iter().chain(FALLBACK_LABELS) {
        if let Some(value) = labels.get(*key).filter(|v| !v.is_empty()) {
            return (value.clone(), Some((*key).to_string()));
        }
    }
    (NO_POOL.to_string(), None)
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Counts {
    pub supported: usize,
    pub partial: usize,
    pub unsupported: usize,
    pub unknown: usize,
}

impl Counts {
    pub fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Supported => self.supported += 1,
            Verdict::Partial => self.partial += 1,
            Verdict::Unsupported => self.unsupported += 1,
            Verdict::Unknown | Verdict::Incomplete => self.unknown += 1,
        }
    }
    pub fn total(&self) -> usize {
        self.supported + self.partial + self.unsupported + self.unknown
    }
    /// More than one verdict present.
    pub fn mixed(&self) -> bool {
        [self.supported, self.partial, self.unsupported, self.unknown]
            .iter()
            .filter(|n| **n > 0)
            .count()
            > 1
    }
}

/// What pools need from a node row.
pub struct Member<'a> {
    pub name: &'a str,
    pub pool: &'a str,
    pub pool_label: Option<&'a str>,
    pub version: String,
    pub verdict: Verdict,
    pub skew_broken: bool,
    /// Whether the verdict rests on what was seen (see `coverage::decided`): only such nodes
    /// are ever recommended for the support label.
    pub examined: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pool {
    pub name: String,
    /// The label the pool was recognised by (None for "(none)").
    pub label: Option<String>,
    pub nodes: usize,
    /// Distinct kubelet versions, oldest first.
    pub versions: Vec<String>,
    pub verdicts: Counts,
    pub skew_broken: usize,
    pub mixed: bool,
}

pub fn summarize(members: &[Member<'_>]) -> Vec<Pool> {
    #[derive(Default)]
    struct Acc {
        counts: Counts,
        // Sorted by parsed version, so 1.9 comes before 1.10; the raw text is what is shown.
        versions: BTreeSet<(Option<KubeVersion>, String)>,
        skew_broken: usize,
    }
    let mut pools: BTreeMap<(&str, Option<&str>), Acc> = BTreeMap::new();
    for m in members {
        let acc = pools.entry((m.pool, m.pool_label)).or_default();
        acc.counts.add(m.verdict);
        acc.versions
            .insert((version::parse(&m.version), m.version.clone()));
        acc.skew_broken += usize::from(m.skew_broken);
    }
    pools
        .into_iter()
        .map(|((name, label), acc)| Pool {
            name: name.to_string(),
            label: label.map(str::to_string),
            nodes: acc.counts.total(),
            versions: acc.versions.into_iter().map(|(_, raw)| raw).collect(),
            mixed: acc.counts.mixed(),
            verdicts: acc.counts,
            skew_broken: acc.skew_broken,
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    pub why: String,
    /// `kubectl label` commands to run (this tool never runs them).
    pub label_commands: Vec<String>,
    /// What to add to sidecar workloads' pod templates.
    pub node_affinity: String,
    pub note: String,
}

/// Recommends labelling when the fleet (or a pool) mixes nodes that fully support native
/// sidecars with nodes that do not. `selector` is the `-l` the nodes were listed with: a
/// `-l` in the printed command must not reach nodes outside the report.
pub fn recommend(
    members: &[Member<'_>],
    pools: &[Pool],
    selector: Option<&str>,
) -> Option<Recommendation> {
    // A node assumed to support them (its gate unread, its version's default) is not labelled:
    // the gate may have been turned off, and the label would send sidecar pods there.
    let labelable = |m: &Member<'_>| m.verdict == Verdict::Supported && m.examined;
    let supported = members.iter().filter(|m| labelable(m)).count();
    if supported == 0 || supported == members.len() {
        return None;
    }
    let label = format!("{SUPPORT_LABEL_KEY}={SUPPORT_LABEL_VALUE}");
    let mut commands = Vec::new();
    let mut by_name = Vec::new();
    let mut whole_pools = BTreeSet::new();
    for pool in pools {
        // A whole pool can be labelled by its own label, which also survives node replacement.
        if let Some(key) = pool.label.as_deref()
            && POOL_LABELS.contains(&key)
            && pool.verdicts.supported == pool.nodes
            && members
                .iter()
                .filter(|m| m.pool == pool.name && m.pool_label == Some(key))
                .all(|m| m.examined)
        {
            let mut sel = format!("{key}={}", pool.name);
            if let Some(extra) = selector.filter(|s| !s.trim().is_empty()) {
                sel = format!("{extra},{sel}");
            }
            commands.push(format!(
                "kubectl label nodes -l {} {label} --overwrite",
                shell_quote(&sel)
            ));
            whole_pools.insert((pool.name.as_str(), key));
        }
    }
    for m in members {
        if labelable(m)
            && !m
                .pool_label
                .is_some_and(|key| whole_pools.contains(&(m.pool, key)))
        {
            by_name.push(shell_quote(m.name));
        }
    }
    if !by_name.is_empty() {
        commands.push(format!(
            "kubectl label nodes {} {label} --overwrite",
            by_name.join(" ")
        ));
    }
    let mixed_pools: Vec<&str> = pools
        .iter()
        .filter(|p| p.verdicts.supported > 0 && p.verdicts.supported < p.nodes)
        .map(|p| p.name.as_str())
        .collect();
    let why = if mixed_pools.is_empty() {
        format!(
            "{supported} of {} nodes support native sidecars: run sidecar workloads only there",
            members.len()
        )
    } else {
        format!(
            "{supported} of {} nodes support native sidecars, and pool{} {} mix{} supporting and other nodes: run sidecar workloads only on supporting nodes",
            members.len(),
            if mixed_pools.len() == 1 { "" } else { "s" },
            mixed_pools.join(", "),
            if mixed_pools.len() == 1 { "es" } else { "" }
        )
    };
    Some(Recommendation {
        why,
        label_commands: commands,
        node_affinity: format!(
            "affinity: {{nodeAffinity: {{requiredDuringSchedulingIgnoredDuringExecution: {{nodeSelectorTerms: [{{matchExpressions: [{{key: {SUPPORT_LABEL_KEY}, operator: In, values: [{SUPPORT_LABEL_VALUE}]}}]}}]}}}}}}"
        ),
        note: "labels set by hand are lost when a node is replaced: set them in the node pool's configuration too, or select whole pools by their pool label".to_string(),
    })
}

/// Quotes a word for a POSIX shell when it needs it (node names and label values never do, but
/// a user's `-l` selector may hold `!` or spaces).
fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,/=:".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn pool_label_precedence() {
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, Option<&'a str>);
        let cases: &[Case<'_>] = &[
            (
                &[("cloud.google.com/gke-nodepool", "default-pool")],
                "default-pool",
                Some("cloud.google.com/gke-nodepool"),
            ),
            (
                &[
                    ("eks.amazonaws.com/nodegroup", "ng-1"),
                    ("node.kubernetes.io/instance-type", "m5.large"),
                ],
                "ng-1",
                Some("eks.amazonaws.com/nodegroup"),
            ),
            (
                &[
                    ("kubernetes.azure.com/agentpool", "sys"),
                    ("agentpool", "old"),
                ],
                "sys",
                Some("kubernetes.azure.com/agentpool"),
            ),
            (&[("agentpool", "old")], "old", Some("agentpool")),
            (
                &[("karpenter.sh/nodepool", "default")],
                "default",
                Some("karpenter.sh/nodepool"),
            ),
            (
                &[("karpenter.sh/provisioner-name", "legacy")],
                "legacy",
                Some("karpenter.sh/provisioner-name"),
            ),
            (
                &[("node.kubernetes.io/instance-type", "m5.large")],
                "m5.large",
                Some("node.kubernetes.io/instance-type"),
            ),
            (&[("cloud.google.com/gke-nodepool", "")], NO_POOL, None),
            (&[], NO_POOL, None),
        ];
        for (pairs, name, key) in cases {
            let (got_name, got_key) = pool_of(&labels(pairs));
            assert_eq!(got_name, *name, "{pairs:?}");
            assert_eq!(got_key.as_deref(), *key, "{pairs:?}");
        }
    }

    fn member<'a>(name: &'a str, pool: &'a str, verdict: Verdict) -> Member<'a> {
        Member {
            name,
            pool,
            pool_label: Some("cloud.google.com/gke-nodepool"),
            version: "v1.30.1".into(),
            verdict,
            skew_broken: false,
            examined: true,
        }
    }

    #[test]
    fn summaries_and_recommendation() {
        use Verdict::*;
        let members = vec![
            member("a1", "new", Supported),
            member("a2", "new", Supported),
            member("b1", "mixed", Supported),
            member("b2", "mixed", Unsupported),
            member("c1", "old", Unsupported),
        ];
        let pools = summarize(&members);
        assert_eq!(pools.len(), 3);
        let mixed = pools.iter().find(|p| p.name == "mixed").unwrap();
        assert!(mixed.mixed);
        assert_eq!(mixed.verdicts.supported, 1);
        assert!(!pools.iter().find(|p| p.name == "new").unwrap().mixed);

        let rec = recommend(&members, &pools, None).unwrap();
        assert_eq!(
            rec.label_commands,
            vec![
                "kubectl label nodes -l cloud.google.com/gke-nodepool=new native-sidecars=supported --overwrite",
                "kubectl label nodes b1 native-sidecars=supported --overwrite",
            ]
        );
        assert!(
            rec.why.contains("3 of 5") && rec.why.contains("mixed"),
            "{}",
            rec.why
        );

        // The user's selector narrows the -l form, quoted for the shell.
        let rec = recommend(&members, &pools, Some("env!=dev")).unwrap();
        assert_eq!(
            rec.label_commands[0],
            "kubectl label nodes -l 'env!=dev,cloud.google.com/gke-nodepool=new' native-sidecars=supported --overwrite"
        );
    }

    #[test]
    fn no_recommendation_when_uniform() {
        use Verdict::*;
        let all = vec![member("a", "p", Supported), member("b", "p", Supported)];
        assert!(recommend(&all, &summarize(&all), None).is_none());
        let none = vec![member("a", "p", Unsupported), member("b", "p", Unknown)];
        assert!(recommend(&none, &summarize(&none), None).is_none());
    }

    #[test]
    fn fallback_pools_are_labelled_by_name() {
        let mut m = member("x1", "m5.large", Verdict::Supported);
        m.pool_label = Some("node.kubernetes.io/instance-type");
        let members = vec![m, member("y", "p", Verdict::Unsupported)];
        let rec = recommend(&members, &summarize(&members), None).unwrap();
        assert_eq!(
            rec.label_commands,
            vec!["kubectl label nodes x1 native-sidecars=supported --overwrite"]
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("node-1.example"), "node-1.example");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
