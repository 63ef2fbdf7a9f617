//! Findings for people: the same problem with the same cause on many objects is one row of a
//! table, with how many objects, in how many namespaces, and a few examples. Machine output and
//! `-o wide` never fold: they keep every finding.
//!
//! What "the same cause" is, by what a finding holds:
//! - about a container whose image is known: the id, the container's name and its image (an
//!   injector's proxy left as a regular container in 500 Deployments is one cause, whatever each
//!   Deployment calls its app);
//! - anything else: the id, the container's name (if any), and the message and fix once the
//!   object's own name and namespace are masked: the same owner template installed in many
//!   namespaces, the same misspelled annotation, the same injected container.

use std::collections::{BTreeSet, HashMap};

use crate::checks::catalog;
use crate::checks::finding::{Finding, ObjectRef};

/// How many examples a folded row names.
pub const EXAMPLES: usize = 3;

/// Findings that share an id and a cause, in the order they were given.
#[derive(Debug)]
pub struct Group<'a> {
    pub members: Vec<&'a Finding>,
}

#[derive(Debug, PartialEq, Eq, Hash)]
enum Key<'a> {
    Image {
        id: &'a str,
        container: &'a str,
        image: &'a str,
    },
    Text {
        id: &'a str,
        container: Option<&'a str>,
        message: String,
        fix: String,
    },
}

fn key(f: &Finding) -> Key<'_> {
    match (f.object.container.as_deref(), f.image.as_deref()) {
        (Some(container), Some(image)) => Key::Image {
            id: &f.id,
            container,
            image,
        },
        (container, _) => Key::Text {
            id: &f.id,
            container,
            message: mask(&f.message, &f.object),
            fix: mask(&f.fix, &f.object),
        },
    }
}

/// `text` with every whole-word occurrence of the object's name and namespace replaced, so that
/// "in namespace shop" and "in namespace cart" read the same.
fn mask(text: &str, object: &ObjectRef) -> String {
    let mut out = text.to_string();
    for word in std::iter::once(object.name.as_str()).chain(object.namespace.as_deref()) {
        out = mask_word(&out, word);
    }
    out
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')
}

fn mask_word(text: &str, word: &str) -> String {
    if word.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + word.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(is_name_char) || after.is_some_and(is_name_char) {
            out.push_str(word);
        } else {
            out.push('\u{0}');
        }
        rest = &rest[at + word.len()..];
    }
    out.push_str(rest);
    out
}

/// Folds findings that share an id and a cause. Groups come in the order of their first
/// member, so an ordered list of findings gives ordered groups; every finding is in exactly one.
pub fn group<'a, I>(findings: I) -> Vec<Group<'a>>
where
    I: IntoIterator<Item = &'a Finding>,
{
    let mut groups: Vec<Group<'a>> = Vec::new();
    let mut index: HashMap<Key<'a>, usize> = HashMap::new();
    for f in findings {
        let k = key(f);
        match index.get(&k) {
            Some(&i) => groups[i].members.push(f),
            None => {
                index.insert(k, groups.len());
                groups.push(Group { members: vec![f] });
            }
        }
    }
    groups
}

impl<'a> Group<'a> {
    pub fn first(&self) -> &'a Finding {
        self.members[0]
    }

    pub fn count(&self) -> usize {
        self.members.len()
    }

    /// Distinct namespaces of the members' objects (cluster-scoped objects have none).
    pub fn namespaces(&self) -> usize {
        self.members
            .iter()
            .filter_map(|f| f.object.namespace.as_deref())
            .collect::<BTreeSet<_>>()
            .len()
    }

    /// The first `n` objects by namespace, then name, then kind and container: the same ones on
    /// every run, whatever order the cluster listed them in.
    pub fn examples(&self, n: usize) -> Vec<&'a ObjectRef> {
        self.example_findings(n)
            .into_iter()
            .map(|f| &f.object)
            .collect()
    }

    /// The findings of those objects, one each (where each was read from, offline).
    pub fn example_findings(&self, n: usize) -> Vec<&'a Finding> {
        let mut members = self.members.clone();
        let order = |f: &&'a Finding| {
            let o = &f.object;
            (&o.namespace, &o.name, &o.kind, &o.container)
        };
        members.sort_by(|a, b| order(a).cmp(&order(b)));
        members.dedup_by(|a, b| a.object == b.object);
        members.truncate(n);
        members
    }

    /// What the members share, in front of the summary: `istio-proxy (docker.io/istio/proxyv2:1.24.2)`,
    /// or the container's name when its image is not known.
    pub fn cause(&self) -> Option<String> {
        let first = self.first();
        let container = first.object.container.as_deref()?;
        Some(match first.image.as_deref() {
            Some(image) => format!("{container} ({image})"),
            None => container.to_string(),
        })
    }

    /// The message, when every member says the same; else the check's title, which is true of
    /// all of them.
    pub fn summary(&self) -> &'a str {
        let first = self.first();
        if self.members.iter().all(|f| f.message == first.message) {
            return &first.message;
        }
        catalog::get(&first.id).map_or(&first.message, |c| c.title)
    }

    /// `500 cronjobs in 40 namespaces`, `3 objects in 1 namespace`, `12 nodes`.
    pub fn objects(&self) -> String {
        let kinds: BTreeSet<&str> = self
            .members
            .iter()
            .map(|f| f.object.kind.as_str())
            .collect();
        let count = self.count();
        let what = match (kinds.iter().next(), kinds.len()) {
            (Some(kind), 1) => plural(&kind.to_lowercase(), count),
            _ => plural("object", count),
        };
        match self.namespaces() {
            0 => format!("{count} {what}"),
            1 => format!("{count} {what} in 1 namespace"),
            n => format!("{count} {what} in {n} namespaces"),
        }
    }
}

fn plural(word: &str, n: usize) -> String {
    match n {
        1 => word.to_string(),
        _ if word.ends_with('s') || word.ends_with('x') => format!("{word}es"),
        _ => format!("{word}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn legacy(ns: &str, job: &str, work: &str, image: Option<&str>) -> Finding {
        let f = Finding::new(
            "legacy-sidecar-in-job",
            ObjectRef::new("CronJob", Some(ns), job).with_container("istio-proxy"),
            format!("istio-proxy is a regular container next to the Job's work ({work})"),
        );
        match image {
            Some(image) => f.image(image),
            None => f,
        }
    }

    const PROXY: &str = "docker.io/istio/proxyv2:1.24.2";

    #[test]
    fn same_container_and_image_fold_whatever_the_message() {
        let findings: Vec<Finding> = (0..500)
            .map(|i| {
                legacy(
                    &format!("ns-{:02}", i % 40),
                    &format!("job-{i:03}"),
                    &format!("work-{i}"),
                    Some(PROXY),
                )
            })
            .collect();
        let groups = group(&findings);
        assert_eq!(groups.len(), 1);
        let g = &groups[0];
        assert_eq!(g.count(), 500);
        assert_eq!(g.namespaces(), 40);
        assert_eq!(g.objects(), "500 cronjobs in 40 namespaces");
        assert_eq!(
            g.cause().as_deref(),
            Some("istio-proxy (docker.io/istio/proxyv2:1.24.2)")
        );
        // The messages differ (each names its own work): the title is true of all of them.
        assert_eq!(g.summary(), "Job template with a regular helper container");
        let examples: Vec<String> = g.examples(EXAMPLES).iter().map(|o| o.to_string()).collect();
        assert_eq!(
            examples,
            [
                "cronjob/ns-00/job-000 [istio-proxy]",
                "cronjob/ns-00/job-040 [istio-proxy]",
                "cronjob/ns-00/job-080 [istio-proxy]",
            ]
        );
        // The examples do not depend on the order the findings came in.
        let reversed: Vec<Finding> = findings.iter().rev().cloned().collect();
        let again = group(&reversed);
        assert_eq!(again[0].examples(EXAMPLES), g.examples(EXAMPLES));
    }

    #[test]
    fn another_image_or_id_or_container_is_another_cause() {
        let findings = vec![
            legacy("a", "j1", "w", Some(PROXY)),
            legacy("b", "j2", "w", Some("docker.io/istio/proxyv2:1.22.0")),
            legacy("c", "j3", "w", Some(PROXY)),
            Finding::new(
                "legacy-sidecar-blocks-job",
                ObjectRef::new("CronJob", Some("d"), "j4").with_container("istio-proxy"),
                "the Job's work finished but istio-proxy is still running",
            )
            .image(PROXY),
            Finding::new(
                "legacy-sidecar-in-job",
                ObjectRef::new("CronJob", Some("e"), "j5").with_container("linkerd-proxy"),
                "linkerd-proxy is a regular container next to the Job's work (w)",
            )
            .image(PROXY),
        ];
        let groups = group(&findings);
        let counts: Vec<usize> = groups.iter().map(Group::count).collect();
        assert_eq!(counts, [2, 1, 1, 1], "{groups:#?}");
        // First-seen order, and every finding once.
        assert_eq!(groups[0].first().object.name, "j1");
        assert_eq!(groups[1].first().object.name, "j2");
        assert_eq!(
            groups.iter().map(Group::count).sum::<usize>(),
            findings.len()
        );
        // Identical messages are the summary as they are.
        assert_eq!(
            groups[0].summary(),
            "istio-proxy is a regular container next to the Job's work (w)"
        );
    }

    #[test]
    fn without_an_image_the_same_template_in_many_namespaces_folds() {
        let typo = |ns: &str, name: &str| {
            Finding::new(
                "linkerd-annotation-typo",
                ObjectRef::new("Deployment", Some(ns), name),
                "config.linkerd.io/proxy-enable-native-sidecars is not an annotation Linkerd knows",
            )
        };
        let stripped = |ns: &str| {
            Finding::new(
                "admission-strips-restartpolicy",
                ObjectRef::cluster("Namespace", ns),
                format!(
                    "a dry-run pod with a native sidecar (labelled like deployment/web) lost restartPolicy: Always in namespace {ns}"
                ),
            )
            .fix(format!("Upgrade or exclude the stripping webhook among legacy-injector; `kubectl sidecar diff-pod -n {ns} -f <manifest> --blame` names it"))
        };
        let findings = vec![
            typo("shop", "catalog"),
            typo("cart", "catalog"),
            stripped("shop"),
            stripped("cart"),
            stripped("shopping"),
        ];
        let groups = group(&findings);
        let counts: Vec<usize> = groups.iter().map(Group::count).collect();
        assert_eq!(counts, [2, 3], "{groups:#?}");
        assert_eq!(groups[0].objects(), "2 deployments in 2 namespaces");
        assert_eq!(groups[0].cause(), None);
        // Namespaces are cluster-scoped objects: counted, not "in N namespaces".
        assert_eq!(groups[1].objects(), "3 namespaces");
        // Masked messages agree, the real ones do not: the title stands for them.
        assert_eq!(
            groups[1].summary(),
            "Admission strips restartPolicy in this namespace"
        );
    }

    #[test]
    fn masking_replaces_whole_names_only() {
        let object = ObjectRef::new("Deployment", Some("shop"), "web");
        assert_eq!(
            mask("web in shop; webhook shopping/web-2 and shop/web", &object),
            "\u{0} in \u{0}; webhook shopping/web-2 and \u{0}/\u{0}"
        );
        // A different name in the same place is a different message.
        let messages = ["native sidecar a", "native sidecar b"].map(|m| {
            Finding::new(
                "sidecar-missing-startup-probe",
                ObjectRef::new("Deployment", Some("x"), "y").with_container("a"),
                m,
            )
        });
        assert_eq!(group(&messages).len(), 2);
    }

    #[test]
    fn a_lone_finding_is_its_own_group() {
        let one = [legacy("a", "j", "w", None)];
        let groups = group(&one);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].count(), 1);
        assert_eq!(groups[0].cause().as_deref(), Some("istio-proxy"));
        assert_eq!(groups[0].objects(), "1 cronjob in 1 namespace");
        assert!(group(std::iter::empty()).is_empty());
    }
}
