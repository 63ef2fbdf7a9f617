//! `kubectl sidecar rbac`: the least-privilege RBAC for the people who run the tool. The rule
//! table below is the list of every request the collect code makes (src/kube/cluster.rs,
//! src/kube/kubelets.rs, src/kube/admission.rs, src/cmd/diff_pod/{owner,blame}.rs,
//! src/cmd/doctor/collect/*, src/complete.rs); tests/e2e_rbac.rs binds it to a fresh user and removes each rule in turn.

use crate::cli::RbacArgs;
use crate::error::{Error, Result};

/// Where a rule is granted with --namespace-scoped. Without it every rule is in the ClusterRole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Cluster-scoped resources and URLs: always the ClusterRole.
    Cluster,
    /// The namespace of -n: the workloads looked at.
    Target,
    /// kube-system: the control plane's static pods and the apiserver leases.
    KubeSystem,
    /// istio-system: where doctor looks for istiod when it may not list deployments everywhere.
    IstioSystem,
}

#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Stable name for --omit.
    pub id: &'static str,
    pub api_group: &'static str,
    pub resources: &'static [&'static str],
    pub non_resource_urls: &'static [&'static str],
    pub verbs: &'static [&'static str],
    pub places: &'static [Place],
    /// Who uses it, for what.
    pub used_for: &'static str,
    /// What a run without it reports instead.
    pub without: &'static str,
}

pub const RULES: &[Rule] = &[
    Rule {
        id: "version",
        api_group: "",
        resources: &[],
        non_resource_urls: &["/version"],
        verbs: &["get"],
        places: &[Place::Cluster],
        used_for: "every command reads the apiserver's version first",
        without: "the run stops (exit 3); every authenticated user normally has it already (system:public-info-viewer)",
    },
    Rule {
        id: "metrics",
        api_group: "",
        resources: &[],
        non_resource_urls: &["/metrics"],
        verbs: &["get"],
        places: &[Place::Cluster],
        used_for: "check-nodes, doctor, diff-pod: the apiserver's SidecarContainers gate",
        without: "the gate is inferred from the version; on 1.28-1.32, where it can be off, the verdict is incomplete",
    },
    Rule {
        id: "nodes",
        api_group: "",
        resources: &["nodes"],
        non_resource_urls: &[],
        verbs: &["list"],
        places: &[Place::Cluster],
        used_for: "check-nodes, doctor: every node's kubelet version, readiness and labels",
        without: "check-nodes stops (exit 3); doctor's nodes section is not examined (incomplete)",
    },
    Rule {
        id: "nodes-proxy",
        api_group: "",
        resources: &["nodes/proxy"],
        non_resource_urls: &[],
        verbs: &["get"],
        places: &[Place::Cluster],
        used_for: "check-nodes, doctor: each kubelet's gate from GET /api/v1/nodes/NODE/proxy/metrics. \
                   It reads every kubelet endpoint, not just /metrics: treat it as a powerful right",
        without: "each kubelet's gate is inferred from its version; on 1.28-1.32 kubelets the verdict is incomplete",
    },
    Rule {
        id: "namespaces",
        api_group: "",
        resources: &["namespaces"],
        non_resource_urls: &[],
        verbs: &["get", "list"],
        places: &[Place::Cluster],
        used_for: "doctor, diff-pod: namespace labels for webhook namespaceSelectors and injector annotations; doctor -A lists them",
        without: "webhooks with a namespaceSelector only \"may match\"; namespace annotations are not examined",
    },
    Rule {
        id: "pods-read",
        api_group: "",
        resources: &["pods"],
        non_resource_urls: &[],
        verbs: &["get", "list"],
        places: &[Place::Target, Place::KubeSystem],
        used_for: "doctor: live pods; check-nodes: scheduler and controller-manager static pods in kube-system; diff-pod POD",
        without: "doctor's workloads and the control plane's flags are not examined; diff-pod POD stops",
    },
    Rule {
        id: "pods-dry-run",
        api_group: "",
        resources: &["pods"],
        non_resource_urls: &[],
        verbs: &["create"],
        places: &[Place::Target],
        used_for: "doctor's admission canary and diff-pod -f: creates with dryRun=All, which store nothing. \
                   RBAC cannot limit a verb to dry runs: this right also allows real creates",
        without: "doctor skips the canary (admission incomplete); diff-pod -f stops",
    },
    Rule {
        id: "events",
        api_group: "",
        resources: &["events"],
        non_resource_urls: &[],
        verbs: &["list"],
        places: &[Place::Target],
        used_for: "doctor: events with sidecar signatures (InitContainerRestartPolicyForbidden, FailedCreate, FailedScheduling)",
        without: "the events are not examined",
    },
    Rule {
        id: "workloads",
        api_group: "apps",
        resources: &["deployments", "statefulsets", "daemonsets"],
        non_resource_urls: &[],
        verbs: &["get", "list"],
        places: &[Place::Target, Place::IstioSystem],
        used_for: "doctor: declared pod templates and owners of live pods, istiod's settings; diff-pod POD: the owner's template",
        without: "declared workloads without running pods and istiod are not examined; diff-pod cannot reach the template",
    },
    Rule {
        id: "replicasets",
        api_group: "apps",
        resources: &["replicasets"],
        non_resource_urls: &[],
        verbs: &["get", "list"],
        places: &[Place::Target],
        used_for: "doctor, diff-pod POD: the owner between a pod and its Deployment (doctor lists them once; without list it asks one by one)",
        without: "pods are not traced to their Deployment",
    },
    Rule {
        id: "jobs",
        api_group: "batch",
        resources: &["jobs", "cronjobs"],
        non_resource_urls: &[],
        verbs: &["get", "list"],
        places: &[Place::Target],
        used_for: "doctor: Job and CronJob templates (a classic sidecar keeps a Job from completing); diff-pod POD: owners",
        without: "Jobs and CronJobs without running pods are not examined",
    },
    Rule {
        id: "replicationcontrollers",
        api_group: "",
        resources: &["replicationcontrollers"],
        non_resource_urls: &[],
        verbs: &["get"],
        places: &[Place::Target],
        used_for: "diff-pod POD: a pod owned by a ReplicationController",
        without: "diff-pod cannot reach such a pod's template",
    },
    Rule {
        id: "leases",
        api_group: "coordination.k8s.io",
        resources: &["leases"],
        non_resource_urls: &[],
        verbs: &["list"],
        places: &[Place::KubeSystem],
        used_for: "check-nodes, doctor: how many apiserver instances there are (kube-apiserver-* leases in kube-system)",
        without: "the number of apiserver instances is unknown, so one /metrics answer may not speak for all",
    },
    Rule {
        id: "webhooks",
        api_group: "admissionregistration.k8s.io",
        resources: &["mutatingwebhookconfigurations"],
        non_resource_urls: &[],
        verbs: &["list"],
        places: &[Place::Cluster],
        used_for: "doctor, diff-pod: the mutating webhooks that may strip restartPolicy",
        without: "admission is not examined; a stripped restartPolicy cannot be attributed to a webhook",
    },
    Rule {
        id: "services-proxy",
        api_group: "",
        resources: &["services/proxy"],
        non_resource_urls: &[],
        verbs: &["create"],
        places: &[Place::Cluster],
        used_for: "diff-pod --blame: a dry-run AdmissionReview to each service-backed webhook, through the apiserver's service proxy",
        without: "--blame cannot call service-backed webhooks; url-backed ones are called directly",
    },
];

pub struct Options {
    pub name: String,
    pub subjects: Vec<Subject>,
    /// The namespace of -n when --namespace-scoped.
    pub namespace: Option<String>,
    /// With a namespace: a Role in istio-system too.
    pub istio: bool,
    pub omit: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    User(String),
    Group(String),
    ServiceAccount { namespace: String, name: String },
}

impl Subject {
    pub fn parse(text: &str) -> Result<Subject> {
        let bad = || {
            Error::usage(format!("--subject {text:?} is not KIND:NAME"))
                .hint("use User:NAME, Group:NAME or ServiceAccount:NAMESPACE:NAME")
        };
        let (kind, rest) = text.split_once(':').ok_or_else(bad)?;
        if rest.is_empty() {
            return Err(bad());
        }
        match kind.to_ascii_lowercase().as_str() {
            "user" => Ok(Subject::User(rest.to_string())),
            "group" => Ok(Subject::Group(rest.to_string())),
            "serviceaccount" | "sa" => match rest.split_once(':') {
                Some((ns, name)) if !ns.is_empty() && !name.is_empty() => {
                    valid_name("the ServiceAccount's namespace", ns)?;
                    Ok(Subject::ServiceAccount {
                        namespace: ns.to_string(),
                        name: name.to_string(),
                    })
                }
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }
}

/// RBAC object names may hold almost anything but '/' and '%'; namespaces are DNS labels.
fn valid_name(what: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!("{what} {name:?} is not a valid name"))
            .hint("use lower-case letters, digits and '-', at most 63 characters"))
    }
}

impl Options {
    pub fn from_args(args: &RbacArgs, namespace: Option<&str>) -> Result<Options> {
        valid_name("--name", &args.name)?;
        let namespace = match (args.namespace_scoped, namespace) {
            (false, _) => None,
            (true, Some(ns)) => {
                valid_name("-n", ns)?;
                Some(ns.to_string())
            }
            (true, None) => {
                return Err(Error::usage("--namespace-scoped needs -n NAMESPACE")
                    .hint("name the namespace whose workloads the users look at"));
            }
        };
        for id in &args.omit {
            if !RULES.iter().any(|r| r.id == id) {
                let ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
                return Err(Error::usage(format!("--omit {id:?}: no such rule"))
                    .hint(format!("rules: {}", ids.join(", "))));
            }
        }
        Ok(Options {
            name: args.name.clone(),
            subjects: args
                .subject
                .iter()
                .map(|s| Subject::parse(s))
                .collect::<Result<_>>()?,
            namespace,
            istio: args.istio,
            omit: args.omit.clone(),
        })
    }
}

/// JSON strings are YAML strings: every user-given value is quoted this way.
fn q(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| q(i)).collect();
    format!("[{}]", quoted.join(", "))
}

fn rule_yaml(rule: &Rule) -> String {
    let mut out = format!(
        "# {}: {}.\n#   Without it: {}.\n",
        rule.id, rule.used_for, rule.without
    );
    if rule.non_resource_urls.is_empty() {
        out.push_str(&format!(
            "- apiGroups: {}\n  resources: {}\n  verbs: {}\n",
            list(&[rule.api_group]),
            list(rule.resources),
            list(rule.verbs)
        ));
    } else {
        out.push_str(&format!(
            "- nonResourceURLs: {}\n  verbs: {}\n",
            list(rule.non_resource_urls),
            list(rule.verbs)
        ));
    }
    out
}

fn subjects_yaml(subjects: &[Subject]) -> String {
    let mut out = String::from("subjects:\n");
    for s in subjects {
        match s {
            Subject::User(name) => out.push_str(&format!(
                "- kind: User\n  apiGroup: rbac.authorization.k8s.io\n  name: {}\n",
                q(name)
            )),
            Subject::Group(name) => out.push_str(&format!(
                "- kind: Group\n  apiGroup: rbac.authorization.k8s.io\n  name: {}\n",
                q(name)
            )),
            Subject::ServiceAccount { namespace, name } => out.push_str(&format!(
                "- kind: ServiceAccount\n  namespace: {}\n  name: {}\n",
                q(namespace),
                q(name)
            )),
        }
    }
    out
}

const LABELS: &str = "  labels:\n    app.kubernetes.io/name: kubectl-sidecar\n";

fn role(kind: &str, name: &str, namespace: Option<&str>, rules: &[&Rule]) -> String {
    let mut out = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: {}\n",
        q(name)
    );
    if let Some(ns) = namespace {
        out.push_str(&format!("  namespace: {}\n", q(ns)));
    }
    out.push_str(LABELS);
    out.push_str("rules:\n");
    for rule in rules {
        out.push_str(&rule_yaml(rule));
    }
    out
}

fn binding(
    kind: &str,
    name: &str,
    namespace: Option<&str>,
    role_kind: &str,
    subjects: &[Subject],
) -> String {
    let mut out = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: {}\n",
        q(name)
    );
    if let Some(ns) = namespace {
        out.push_str(&format!("  namespace: {}\n", q(ns)));
    }
    out.push_str(LABELS);
    out.push_str(&format!(
        "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: {role_kind}\n  name: {}\n",
        q(name)
    ));
    out.push_str(&subjects_yaml(subjects));
    out
}

/// The manifest: roles first, then their bindings, as `---`-separated YAML documents.
pub fn manifest(opts: &Options) -> String {
    let rules: Vec<&Rule> = RULES
        .iter()
        .filter(|r| !opts.omit.iter().any(|o| o == r.id))
        .collect();
    let mut docs = Vec::new();
    let mut header = format!(
        "# RBAC for kubectl-sidecar {}: what a full run of check-nodes, diff-pod and doctor reads.\n\
         # Every right is read-only but `create pods`, which the tool only uses with dryRun=All.\n\
         # A run without one of these rights still reports: what it could not read is named in its\n\
         # COVERAGE lines, and a verdict that depends on it becomes incomplete (exit 4).\n",
        crate::VERSION
    );
    if !opts.omit.is_empty() {
        header.push_str(&format!("# Omitted: {}.\n", opts.omit.join(", ")));
    }
    match &opts.namespace {
        None => {
            docs.push(format!(
                "{header}{}",
                role("ClusterRole", &opts.name, None, &rules)
            ));
            docs.push(binding(
                "ClusterRoleBinding",
                &opts.name,
                None,
                "ClusterRole",
                &opts.subjects,
            ));
        }
        Some(target) => {
            let at = |place: Place| -> Vec<&Rule> {
                rules
                    .iter()
                    .copied()
                    .filter(|r| r.places.contains(&place))
                    .collect()
            };
            docs.push(format!(
                "{header}# Namespace-scoped: workloads in {target}, the control plane in kube-system{}.\n{}",
                if opts.istio {
                    ", istiod in istio-system"
                } else {
                    "; without --istio, doctor cannot look for istiod in istio-system"
                },
                role("ClusterRole", &opts.name, None, &at(Place::Cluster))
            ));
            docs.push(binding(
                "ClusterRoleBinding",
                &opts.name,
                None,
                "ClusterRole",
                &opts.subjects,
            ));
            // -n kube-system (or istio-system) folds that namespace's own rules into one Role.
            let mut namespaces: Vec<(&str, Vec<Place>)> = Vec::new();
            // A Role in a namespace that does not exist fails the whole apply: istio-system
            // only when asked for.
            let istio = opts.istio.then_some(("istio-system", Place::IstioSystem));
            for (ns, place) in [
                Some((target.as_str(), Place::Target)),
                Some(("kube-system", Place::KubeSystem)),
                istio,
            ]
            .into_iter()
            .flatten()
            {
                match namespaces.iter_mut().find(|(n, _)| *n == ns) {
                    Some((_, places)) => places.push(place),
                    None => namespaces.push((ns, vec![place])),
                }
            }
            for (ns, places) in namespaces {
                let here: Vec<&Rule> = rules
                    .iter()
                    .copied()
                    .filter(|r| places.iter().any(|p| r.places.contains(p)))
                    .collect();
                if here.is_empty() {
                    continue;
                }
                docs.push(role("Role", &opts.name, Some(ns), &here));
                docs.push(binding(
                    "RoleBinding",
                    &opts.name,
                    Some(ns),
                    "Role",
                    &opts.subjects,
                ));
            }
        }
    }
    docs.join("---\n")
}

pub fn run(args: &RbacArgs, namespace: Option<&str>) -> Result<i32> {
    let opts = Options::from_args(args, namespace)?;
    crate::output::print(&manifest(&opts))?;
    Ok(crate::error::EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> (RbacArgs, Option<String>) {
        let mut argv = vec!["kubectl-sidecar", "rbac"];
        argv.extend_from_slice(extra);
        let cli = crate::help::parse_from(argv).unwrap();
        match cli.command {
            crate::cli::Command::Rbac(a) => (a, cli.global.namespace),
            _ => unreachable!(),
        }
    }

    fn docs(text: &str) -> Vec<serde_json::Value> {
        text.split("---\n")
            .map(|d| serde_saphyr::from_str(d).expect("each document is valid YAML"))
            .collect()
    }

    #[test]
    fn cluster_wide_is_one_role_and_one_binding_with_every_rule() {
        let (a, ns) = args(&["--subject", "User:alice"]);
        let text = manifest(&Options::from_args(&a, ns.as_deref()).unwrap());
        let d = docs(&text);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0]["kind"], "ClusterRole");
        assert_eq!(d[0]["rules"].as_array().unwrap().len(), RULES.len());
        assert_eq!(d[1]["kind"], "ClusterRoleBinding");
        assert_eq!(d[1]["subjects"][0]["name"], "alice");
        assert_eq!(d[1]["roleRef"]["name"], "kubectl-sidecar");
        // Every rule says what breaks without it, next to it.
        for r in RULES {
            assert!(text.contains(&format!("# {}: ", r.id)), "{}", r.id);
        }
        // Read-only but the dry run.
        for rule in d[0]["rules"].as_array().unwrap() {
            for verb in rule["verbs"].as_array().unwrap() {
                let v = verb.as_str().unwrap();
                assert!(v == "get" || v == "list" || v == "create", "{v}");
                if v == "create" {
                    let res = rule["resources"][0].as_str().unwrap();
                    assert!(res == "pods" || res == "services/proxy", "{res}");
                }
            }
        }
    }

    #[test]
    fn omit_drops_exactly_that_rule() {
        let (a, ns) = args(&["--omit", "nodes-proxy"]);
        let text = manifest(&Options::from_args(&a, ns.as_deref()).unwrap());
        let d = docs(&text);
        assert_eq!(d[0]["rules"].as_array().unwrap().len(), RULES.len() - 1);
        assert!(!text.contains("\"nodes/proxy\""));
        assert!(crate::help::parse_from(["kubectl-sidecar", "rbac", "--omit", "nope"]).is_err());
    }

    #[test]
    fn namespace_scoped_puts_namespaced_reads_in_roles() {
        let (a, ns) = args(&["--namespace-scoped", "--istio", "-n", "shop"]);
        let text = manifest(&Options::from_args(&a, ns.as_deref()).unwrap());
        let d = docs(&text);
        let kinds: Vec<_> = d
            .iter()
            .map(|x| {
                format!(
                    "{}/{}",
                    x["kind"].as_str().unwrap(),
                    x["metadata"]["namespace"].as_str().unwrap_or("")
                )
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "ClusterRole/",
                "ClusterRoleBinding/",
                "Role/shop",
                "RoleBinding/shop",
                "Role/kube-system",
                "RoleBinding/kube-system",
                "Role/istio-system",
                "RoleBinding/istio-system"
            ]
        );
        let cluster = serde_json::to_string(&d[0]["rules"]).unwrap();
        assert!(!cluster.contains("\"pods\"") && cluster.contains("nodes/proxy"));
        let system = serde_json::to_string(&d[4]["rules"]).unwrap();
        assert!(system.contains("leases") && system.contains("\"pods\""));
        let (a, ns) = args(&["--namespace-scoped"]);
        assert!(Options::from_args(&a, ns.as_deref()).is_err());
        // istio-system may not exist: no Role there unless asked for.
        let (a, ns) = args(&["--namespace-scoped", "-n", "shop"]);
        let text = manifest(&Options::from_args(&a, ns.as_deref()).unwrap());
        assert_eq!(docs(&text).len(), 6);
        assert!(!text.contains("namespace: \"istio-system\""));
    }

    #[test]
    fn subjects() {
        assert_eq!(
            Subject::parse("ServiceAccount:ci:runner").unwrap(),
            Subject::ServiceAccount {
                namespace: "ci".into(),
                name: "runner".into()
            }
        );
        assert_eq!(
            Subject::parse("group:sre").unwrap(),
            Subject::Group("sre".into())
        );
        for bad in ["alice", "User:", "Robot:x", "ServiceAccount:x"] {
            assert!(Subject::parse(bad).is_err(), "{bad}");
        }
    }
}
