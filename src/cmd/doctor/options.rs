//! Doctor's flags, resolved once before anything is collected or read: `-l` parsed into a
//! selector, the source (a live cluster or a snapshot), and, for a snapshot, what `-n`, `-A` and
//! `-l` mean there: they narrow the snapshot's facts, or are refused in one line when the
//! snapshot does not hold what they ask for. Flags that only shape a connection are refused with
//! a snapshot or `--offline` (`Context::refuse_connection_flags`), never silently ignored.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::cli::DoctorArgs;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::facts::doctor::{DoctorFacts, Scope};
use crate::kube::selector::Selector;

pub enum Source {
    Live,
    Snapshot(PathBuf),
    /// `--offline -f ...`: manifests, no cluster.
    Offline(super::offline::Offline),
}

pub struct Options {
    pub source: Source,
    /// `-n` as typed (None: the kubeconfig's namespace when live, the snapshot's scope offline).
    pub namespace: Option<String>,
    pub all_namespaces: bool,
    pub selector: Option<Selector>,
    pub save: Option<PathBuf>,
}

impl Options {
    pub fn resolve(ctx: &Context, args: &DoctorArgs) -> Result<Self> {
        let selector = match args.selector.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(text) => Some(Selector::parse(text).map_err(|e| {
                Error::usage(format!("-l {text:?}: {e}"))
                    .hint("use kubectl's selector syntax, e.g. app=web,tier!=cache")
            })?),
            None => None,
        };
        let source = match &args.snapshot {
            _ if args.offline => {
                ctx.refuse_connection_flags_with(
                    "--offline",
                    "an offline run reads manifests and contacts no cluster",
                    "drop it; --target-version 1.NN picks the Kubernetes rules to judge by",
                )?;
                Source::Offline(super::offline::Offline {
                    files: args.filename.clone(),
                    recursive: args.recursive,
                    target: super::offline::Offline::target(args.target_version.as_deref())?,
                    namespace: ctx.namespace_flag.clone(),
                })
            }
            Some(path) => {
                ctx.refuse_connection_flags()?;
                Source::Snapshot(path.clone())
            }
            None => Source::Live,
        };
        Ok(Self {
            source,
            namespace: ctx.namespace_flag.clone(),
            all_namespaces: args.all_namespaces,
            selector,
            save: args.save_snapshot.clone(),
        })
    }

    /// What a live run collects, once the kubeconfig's namespace is known.
    pub fn live_scope(&self, default_namespace: &str) -> Scope {
        Scope {
            namespace: (!self.all_namespaces).then(|| {
                self.namespace
                    .clone()
                    .unwrap_or_else(|| default_namespace.to_string())
            }),
            all_namespaces: self.all_namespaces,
            selector: self.selector.as_ref().map(ToString::to_string),
        }
    }

    /// Narrows a snapshot's facts to `-n`/`-l`; `-A` or a namespace the snapshot does not hold
    /// is refused. Coverage stays the collection's: a gap anywhere in the snapshot still counts.
    pub fn narrow(&self, facts: &mut DoctorFacts) -> Result<()> {
        let held = facts.scope.clone();
        let holds = match &held.namespace {
            Some(ns) if !held.all_namespaces => format!("namespace {ns} only"),
            _ => "every namespace".to_string(),
        };
        let refuse = |asked: String| {
            Err(Error::usage(format!(
                "{asked} with --snapshot: the snapshot holds {holds}"
            ))
            .hint("drop the flag, or collect a snapshot with that scope"))
        };
        if self.all_namespaces && !held.all_namespaces {
            return refuse("-A".to_string());
        }
        let namespace = match (&self.namespace, held.all_namespaces) {
            (Some(ns), false) if held.namespace.as_ref() != Some(ns) => {
                return refuse(format!("-n {ns}"));
            }
            (Some(ns), true) => Some(ns.clone()),
            _ => None,
        };
        if namespace.is_none() && self.selector.is_none() {
            return Ok(());
        }
        if let Some(ns) = &namespace {
            facts.scope.namespace = Some(ns.clone());
            facts.scope.all_namespaces = false;
        }
        if let Some(selector) = &self.selector {
            facts.scope.selector = Some(match held.selector {
                Some(own) => format!("{own},{selector}"),
                None => selector.to_string(),
            });
        }
        keep(facts, namespace.as_deref(), self.selector.as_ref());
        Ok(())
    }
}

/// Keeps what lies in `namespace` and, for workloads, what `selector` selects: pods by their
/// labels, controllers by their template's labels or by a kept pod they own; events and
/// canaries follow what they are about.
fn keep(facts: &mut DoctorFacts, namespace: Option<&str>, selector: Option<&Selector>) {
    let in_ns = |ns: &str| namespace.is_none_or(|n| n == ns);
    let w = &mut facts.workloads;
    w.pods
        .retain(|p| in_ns(&p.namespace) && selector.is_none_or(|s| s.matches(&p.labels)));
    let mut owned: BTreeSet<(String, String, String)> = w
        .pods
        .iter()
        .filter_map(|p| {
            let o = p.owner.as_ref()?;
            Some((p.namespace.clone(), o.kind.clone(), o.name.clone()))
        })
        .collect();
    // Owners of owners (the Deployment of a kept pod's ReplicaSet).
    for o in &w.owners {
        if owned.contains(&(o.namespace.clone(), o.kind.clone(), o.name.clone()))
            && let Some(up) = &o.owner
        {
            owned.insert((o.namespace.clone(), up.kind.clone(), up.name.clone()));
        }
    }
    w.owners.retain(|o| {
        in_ns(&o.namespace)
            && (owned.contains(&(o.namespace.clone(), o.kind.clone(), o.name.clone()))
                || selector
                    .is_none_or(|s| o.template.as_ref().is_some_and(|t| s.matches(&t.labels))))
    });
    let pods = &w.pods;
    let owners = &w.owners;
    w.events.retain(|e| {
        in_ns(&e.namespace)
            && match e.kind.as_str() {
                "Pod" => pods
                    .iter()
                    .any(|p| p.namespace == e.namespace && p.name == e.name),
                kind => owners
                    .iter()
                    .any(|o| o.namespace == e.namespace && o.kind == kind && o.name == e.name),
            }
    });
    w.namespaces.retain(|n| in_ns(&n.name));
    // Only the pods kept can be counted now; the rest of the snapshot's count lay outside.
    w.pods_seen = w.pods.iter().map(|p| 1 + u64::from(p.similar)).sum();
    facts.admission.canaries.retain(|c| in_ns(&c.namespace));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::workloads::{EventFacts, OwnerFacts, OwnerKey, PodFacts, TemplateFacts};

    fn options(namespace: Option<&str>, all: bool, selector: Option<&str>) -> Options {
        Options {
            source: Source::Live,
            namespace: namespace.map(Into::into),
            all_namespaces: all,
            selector: selector.map(|s| Selector::parse(s).unwrap()),
            save: None,
        }
    }

    fn pod(ns: &str, name: &str, app: &str, owner: Option<(&str, &str)>) -> PodFacts {
        PodFacts {
            namespace: ns.into(),
            name: name.into(),
            labels: [("app".to_string(), app.to_string())].into(),
            owner: owner.map(|(kind, name)| OwnerKey {
                kind: kind.into(),
                name: name.into(),
            }),
            ..Default::default()
        }
    }

    fn snapshot(scope: Scope) -> DoctorFacts {
        let mut facts = DoctorFacts {
            scope,
            ..Default::default()
        };
        let w = &mut facts.workloads;
        w.pods = vec![
            pod("shop", "web-1", "web", Some(("ReplicaSet", "web-1"))),
            pod("shop", "db-0", "db", None),
            pod("blog", "web-2", "web", None),
        ];
        w.pods_seen = 10;
        w.owners = vec![
            OwnerFacts {
                kind: "ReplicaSet".into(),
                namespace: "shop".into(),
                name: "web-1".into(),
                owner: Some(OwnerKey {
                    kind: "Deployment".into(),
                    name: "web".into(),
                }),
                ..Default::default()
            },
            OwnerFacts {
                kind: "Deployment".into(),
                namespace: "shop".into(),
                name: "web".into(),
                ..Default::default()
            },
            OwnerFacts {
                kind: "Job".into(),
                namespace: "shop".into(),
                name: "migrate".into(),
                template: Some(TemplateFacts {
                    labels: [("app".to_string(), "db".to_string())].into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ];
        w.events = vec![
            EventFacts {
                namespace: "shop".into(),
                kind: "Job".into(),
                name: "migrate".into(),
                ..Default::default()
            },
            EventFacts {
                namespace: "blog".into(),
                kind: "Pod".into(),
                name: "web-2".into(),
                ..Default::default()
            },
        ];
        facts
    }

    fn all() -> Scope {
        Scope {
            namespace: None,
            all_namespaces: true,
            selector: None,
        }
    }

    fn names(facts: &DoctorFacts) -> Vec<String> {
        let w = &facts.workloads;
        w.pods
            .iter()
            .map(|p| format!("pod {}/{}", p.namespace, p.name))
            .chain(w.owners.iter().map(|o| format!("{} {}", o.kind, o.name)))
            .chain(
                w.events
                    .iter()
                    .map(|e| format!("event {} {}", e.kind, e.name)),
            )
            .collect()
    }

    #[test]
    fn a_namespace_narrows_an_all_namespaces_snapshot() {
        let mut facts = snapshot(all());
        options(Some("blog"), false, None)
            .narrow(&mut facts)
            .unwrap();
        assert_eq!(names(&facts), ["pod blog/web-2", "event Pod web-2"]);
        assert_eq!(facts.scope.namespace.as_deref(), Some("blog"));
        assert!(!facts.scope.all_namespaces);
        assert_eq!(facts.workloads.pods_seen, 1);
    }

    #[test]
    fn a_selector_keeps_pods_their_controllers_and_matching_templates() {
        let mut facts = snapshot(all());
        options(None, false, Some("app=web"))
            .narrow(&mut facts)
            .unwrap();
        assert_eq!(
            names(&facts),
            [
                "pod shop/web-1",
                "pod blog/web-2",
                "ReplicaSet web-1",
                "Deployment web",
                "event Pod web-2"
            ]
        );
        assert_eq!(facts.scope.selector.as_deref(), Some("app=web"));
        let mut facts = snapshot(all());
        options(None, false, Some("app=db"))
            .narrow(&mut facts)
            .unwrap();
        assert_eq!(
            names(&facts),
            ["pod shop/db-0", "Job migrate", "event Job migrate"]
        );
    }

    #[test]
    fn no_flags_keep_the_snapshot_whole() {
        let mut facts = snapshot(all());
        options(None, false, None).narrow(&mut facts).unwrap();
        assert_eq!(names(&facts).len(), 8);
        assert_eq!(facts.workloads.pods_seen, 10);
    }

    #[test]
    fn what_the_snapshot_does_not_hold_is_refused() {
        let shop = Scope {
            namespace: Some("shop".into()),
            all_namespaces: false,
            selector: None,
        };
        let err = options(None, true, None)
            .narrow(&mut snapshot(shop.clone()))
            .unwrap_err();
        assert_eq!(
            err.to_string().split(':').next(),
            Some("-A with --snapshot"),
            "{err}"
        );
        assert!(err.to_string().contains("namespace shop only"), "{err}");
        let err = options(Some("blog"), false, None)
            .narrow(&mut snapshot(shop.clone()))
            .unwrap_err();
        assert!(
            err.to_string().starts_with("-n blog with --snapshot"),
            "{err}"
        );
        // The namespace it holds is no narrowing at all.
        let mut facts = snapshot(shop);
        options(Some("shop"), false, None)
            .narrow(&mut facts)
            .unwrap();
        assert_eq!(names(&facts).len(), 8);
    }
}
