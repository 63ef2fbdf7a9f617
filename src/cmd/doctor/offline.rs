//! `doctor --offline -f ...`: the checks a pod template decides, on manifests, with no cluster.
//! Each object that carries a template becomes the facts a live run collects for it (an owner
//! with its template, or a bare pod; a Namespace for its annotations), through the same
//! reduction (`kube::collect::extract`) and the same checks, one object at a time so that every
//! finding keeps the file, document and line it was written at. Only the ids the catalog marks
//! static are kept: what needs the cluster is never guessed. The coverage names what only the
//! cluster could show (`Cause::Offline`), so the verdict is "manifests ok" or "not ready",
//! never "ready".

use std::io::Read;
use std::path::PathBuf;

use k8s_openapi::api::core::v1::{Namespace, Pod, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::checks::{self, Input};
use crate::checks::catalog;
use crate::checks::finding::{Finding, Section, SourceLocation};
use crate::error::{Error, Result};
use crate::facts::coverage::{Cause, Coverage, Gap};
use crate::facts::doctor::{DoctorFacts, Scope};
use crate::kube::collect::coverage::{
    ADMISSION, CONTROL_PLANE, EVENTS, INJECTORS, NODES, WORKLOADS, empty,
};
use crate::kube::collect::extract;
use crate::kube::version::{self, KubeVersion};
use crate::kube::versions;
use crate::manifests::template::{kind_name, pod_template};
use crate::manifests::{self, Document};

/// What `--offline` reads and how it judges.
pub struct Offline {
    pub files: Vec<PathBuf>,
    pub recursive: bool,
    /// The Kubernetes minor whose rules apply (`--target-version`, else the newest known).
    pub target: KubeVersion,
    /// `-n`: the namespace of objects that name none, as kubectl applies it.
    pub namespace: Option<String>,
}

impl Offline {
    /// `--target-version 1.NN` (a `v` prefix and a patch are accepted and the patch ignored).
    pub fn target(text: Option<&str>) -> Result<KubeVersion> {
        let Some(text) = text else {
            return Ok(versions::newest_known());
        };
        match version::parse(text) {
            Some(v) if v.major == 1 => Ok(KubeVersion::new(v.major, v.minor, 0)),
            _ => Err(Error::usage(format!(
                "--target-version {text:?}: not a Kubernetes version"
            ))
            .hint(format!(
                "give a minor such as 1.34 (this build knows the rules up to {})",
                minor(versions::newest_known())
            ))),
        }
    }
}

fn minor(v: KubeVersion) -> String {
    format!("{}.{}", v.major, v.minor)
}

/// The manifests an offline report was made from (`manifests` in `-o json|yaml`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Manifests {
    /// The Kubernetes minor whose rules were applied (`1.37`).
    pub target_version: String,
    /// Every object read, in input order, Lists flattened.
    pub objects: Vec<ManifestObject>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManifestObject {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub location: SourceLocation,
    /// What was checked (`pod template at spec.template`, `annotations`); null when the object
    /// was skipped because no check reads its kind (a Service, a ConfigMap, a Secret).
    pub checked: Option<String>,
}

/// An offline run's facts (the manifests' objects and the offline coverage), its findings and
/// what it read.
pub struct Checked {
    pub facts: DoctorFacts,
    pub findings: Vec<Finding>,
    pub manifests: Manifests,
}

/// Reads the manifests and runs the static checks on each object.
pub fn check(o: &Offline, stdin: &mut dyn Read) -> Result<Checked> {
    let docs = manifests::read_all(&o.files, o.recursive, stdin)?;
    let mut facts = DoctorFacts {
        scope: Scope {
            namespace: o.namespace.clone(),
            all_namespaces: false,
            selector: None,
        },
        ..DoctorFacts::default()
    };
    let mut findings = Vec::new();
    let mut objects = Vec::new();
    let mut templates = 0;
    for doc in &docs {
        let location = SourceLocation {
            file: doc.file.clone(),
            document: doc.document,
            line: doc.line,
        };
        let object = kind_name(&doc.value);
        let checked = match facts_of(doc, o.namespace.as_deref())? {
            None => None,
            Some((one, what)) => {
                if !one.workloads.pods.is_empty() || !one.workloads.owners.is_empty() {
                    templates += 1;
                }
                findings.extend(static_findings(&one, o.target, &location));
                let w = &mut facts.workloads;
                w.pods_seen += one.workloads.pods_seen;
                w.pods.extend(one.workloads.pods);
                w.owners.extend(one.workloads.owners);
                w.namespaces.extend(one.workloads.namespaces);
                Some(what)
            }
        };
        objects.push(ManifestObject {
            namespace: object.namespace.clone().or_else(|| {
                // The namespace -n gives to namespaced objects that name none.
                (object.kind != "Namespace")
                    .then(|| o.namespace.clone())
                    .flatten()
            }),
            kind: object.kind,
            name: object.name,
            location,
            checked,
        });
    }
    if templates == 0 {
        let found: Vec<String> = objects
            .iter()
            .take(5)
            .map(|m| {
                format!(
                    "{}/{} ({}, document {}, line {})",
                    m.kind,
                    m.name,
                    manifests::parse::origin(&m.location.file),
                    m.location.document,
                    m.location.line
                )
            })
            .collect();
        return Err(Error::usage(format!(
            "no object in the input holds a pod template (found: {})",
            found.join(", ")
        ))
        .hint("give a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob or PodTemplate"));
    }
    facts.coverage = coverage(templates, o.target);
    Ok(Checked {
        facts,
        findings,
        manifests: Manifests {
            target_version: minor(o.target),
            objects,
        },
    })
}

/// One object's facts as a live run would collect them, and what of it is checked; None for
/// kinds no check reads. A template that does not read as a pod template is a usage error.
fn facts_of(doc: &Document, namespace: Option<&str>) -> Result<Option<(DoctorFacts, String)>> {
    let mut facts = DoctorFacts::default();
    let kind = doc.value.get("kind").and_then(Value::as_str).unwrap_or("");
    let object = kind_name(&doc.value);
    let malformed = |at: &str, e: serde_json::Error| {
        let at = if at.is_empty() {
            String::new()
        } else {
            format!(" at {at}")
        };
        Error::usage(format!(
            "{}: {object}: malformed{at}: {e} ({})",
            doc.origin(),
            doc.place()
        ))
        .hint("fix the manifest so that it reads as its kind (kubectl apply --dry-run=client -f names the field)")
    };
    if kind == "Namespace" && doc.value.get("apiVersion").and_then(Value::as_str) == Some("v1") {
        let ns: Namespace =
            serde_json::from_value(doc.value.clone()).map_err(|e| malformed("", e))?;
        facts.workloads.namespaces.push(extract::namespace(&ns));
        return Ok(Some((facts, "annotations".to_string())));
    }
    let Some(template) = pod_template(doc)? else {
        return Ok(None);
    };
    let own_namespace = |meta: &mut ObjectMeta| {
        if meta.namespace.as_deref().is_none_or(str::is_empty) {
            meta.namespace = namespace.map(str::to_string);
        }
    };
    // The manifest is the declaration: a last-applied annotation copied from a cluster is not
    // what this input submits, so it is not compared (that is diff-pod's and the live run's).
    if template.path.is_empty() {
        let mut pod: Pod =
            serde_json::from_value(doc.value.clone()).map_err(|e| malformed("", e))?;
        own_namespace(&mut pod.metadata);
        if let Some(what) = pod.spec.as_ref().and_then(unnamed) {
            return Err(malformed_at(doc, &object, format!("spec.{what}")));
        }
        pod.status = None;
        let mut p = extract::pod(&pod);
        p.owner = None;
        p.last_applied = None;
        facts.workloads.pods_seen = 1;
        facts.workloads.pods.push(p);
        return Ok(Some((facts, "pod spec".to_string())));
    }
    let spec: PodTemplateSpec = serde_json::from_value(template.template.clone())
        .map_err(|e| malformed(&template.path, e))?;
    if let Some(what) = spec.spec.as_ref().and_then(unnamed) {
        return Err(malformed_at(
            doc,
            &object,
            format!("{}.spec.{what}", template.path),
        ));
    }
    let mut meta: ObjectMeta = match doc.value.get("metadata") {
        Some(m) => serde_json::from_value(m.clone()).map_err(|e| malformed("metadata", e))?,
        None => ObjectMeta::default(),
    };
    own_namespace(&mut meta);
    let mut owner = extract::owner(kind, &meta, Some(&spec));
    owner.owner = None;
    owner.last_applied = None;
    facts.workloads.owners.push(owner);
    Ok(Some((facts, format!("pod template at {}", template.path))))
}

/// The first container without a name (`containers[1].name is missing`): the apiserver
/// refuses it, and every check names containers.
fn unnamed(spec: &PodSpec) -> Option<String> {
    let init = spec.init_containers.iter().flatten();
    let lists = [
        ("initContainers", init.collect::<Vec<_>>()),
        ("containers", spec.containers.iter().collect()),
    ];
    for (field, containers) in lists {
        if let Some(i) = containers.iter().position(|c| c.name.trim().is_empty()) {
            return Some(format!("{field}[{i}].name is missing"));
        }
    }
    None
}

fn malformed_at(
    doc: &Document,
    object: &crate::manifests::template::KindName,
    what: String,
) -> Error {
    Error::usage(format!(
        "{}: {object}: malformed: {what} ({})",
        doc.origin(),
        doc.place()
    ))
    .hint("every container needs a name")
}

/// The static checks' findings on one object's facts, judged by `target`'s rules, placed.
fn static_findings(facts: &DoctorFacts, target: KubeVersion, at: &SourceLocation) -> Vec<Finding> {
    let mut input = Input::new(facts);
    input.apiserver = Some(target);
    checks::run_with(&input)
        .into_iter()
        .filter(|f| catalog::get(&f.id).is_some_and(|c| c.is_static))
        .map(|mut f| {
            if f.object.namespace.as_deref() == Some("") {
                f.object.namespace = None;
            }
            f.at(at.clone())
        })
        .collect()
}

/// What an offline run examined: the templates; and what it leaves to a cluster run, each
/// section with an `offline` gap.
fn coverage(templates: u64, target: KubeVersion) -> Coverage {
    let mut coverage = empty();
    let rules = format!(
        "no cluster is contacted; Kubernetes {}'s rules are applied (--target-version)",
        minor(target)
    );
    for s in coverage.sections.iter_mut() {
        let (what, detail) = match s.section.as_str() {
            CONTROL_PLANE => (
                "the control plane's versions and SidecarContainers gates",
                rules.clone(),
            ),
            NODES => (
                "the kubelets' versions and gates",
                "no cluster is contacted".to_string(),
            ),
            ADMISSION => (
                "the mutating webhooks and the dry-run canary (restartPolicy stripped at admission)",
                "no cluster is contacted; `kubectl sidecar diff-pod -f` dry-runs these manifests"
                    .to_string(),
            ),
            INJECTORS => {
                // The manifests' native-sidecar annotations are examined; istiod is not.
                s.examined = 1;
                s.total = Some(2);
                (
                    "istiod's ENABLE_NATIVE_SIDECARS against the nodes",
                    "no cluster is contacted; the manifests' native-sidecar annotations were checked"
                        .to_string(),
                )
            }
            WORKLOADS => {
                s.unit = "pod templates".to_string();
                s.examined = templates;
                s.total = Some(templates);
                (
                    "live pods, their status and events (stuck in Init, stripped, rejected)",
                    "no cluster is contacted; every pod template in the input was checked"
                        .to_string(),
                )
            }
            EVENTS => ("events", "no cluster is contacted".to_string()),
            _ => ("the cluster", "no cluster is contacted".to_string()),
        };
        s.gap(Gap::new(what, Cause::Offline, detail));
    }
    coverage
}

/// The table's lines for a section of an offline report (what was read, what was not).
pub fn section_lines(m: &Manifests, section: Section) -> Vec<String> {
    match section {
        Section::ControlPlane => vec![format!(
            "not examined (offline): judged by Kubernetes {}'s rules",
            m.target_version
        )],
        Section::Nodes | Section::Admission => vec!["not examined (offline)".to_string()],
        Section::Injectors => {
            vec!["istiod: not examined (offline); the manifests' annotations were checked".into()]
        }
        Section::Workloads => {
            let checked = m.objects.iter().filter(|o| o.checked.is_some()).count();
            let files: std::collections::BTreeSet<&str> =
                m.objects.iter().map(|o| o.location.file.as_str()).collect();
            let mut lines = vec![format!(
                "{} object(s) in {} file(s): {checked} checked",
                m.objects.len(),
                files.len()
            )];
            let skipped: Vec<String> = m
                .objects
                .iter()
                .filter(|o| o.checked.is_none())
                .map(|o| {
                    format!(
                        "{}/{} ({}:{})",
                        o.kind,
                        o.name,
                        manifests::parse::origin(&o.location.file),
                        o.location.line
                    )
                })
                .collect();
            if !skipped.is_empty() {
                lines.push(format!(
                    "skipped (no pod template): {}",
                    crate::kube::access::list_some(&skipped, 5)
                ));
            }
            lines
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::coverage::Coverage;

    fn run(text: &str, target: &str) -> Checked {
        let o = Offline {
            files: vec![PathBuf::from("-")],
            recursive: false,
            target: Offline::target(Some(target)).unwrap(),
            namespace: None,
        };
        check(&o, &mut text.as_bytes()).unwrap()
    }

    fn ids(c: &Checked) -> Vec<&str> {
        c.findings.iter().map(|f| f.id.as_str()).collect()
    }

    const JOB: &str = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: work\n        image: migrate\n      - name: log\n        image: shipper\n        restartPolicy: Always\n";

    #[test]
    fn the_target_version_decides_what_a_container_restart_policy_means() {
        assert_eq!(ids(&run(JOB, "1.35")), ["app-container-restarts-forever"]);
        assert_eq!(ids(&run(JOB, "1.34")), ["restart-policy-on-app-container"]);
        let newest = Offline::target(None).unwrap();
        assert_eq!(newest, versions::newest_known());
        for bad in ["latest", "2.1", ""] {
            let err = Offline::target(Some(bad)).unwrap_err().to_string();
            assert!(err.contains("not a Kubernetes version"), "{err}");
        }
    }

    #[test]
    fn findings_carry_their_place_and_only_static_ids() {
        let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n---\n".to_string() + JOB;
        let c = run(&text, "1.35");
        let f = &c.findings[0];
        assert_eq!(
            f.location,
            Some(SourceLocation {
                file: "-".into(),
                document: 2,
                line: 6
            })
        );
        assert_eq!(f.object.to_string(), "job/migrate [log]");
        for f in &c.findings {
            assert!(catalog::get(&f.id).unwrap().is_static, "{}", f.id);
        }
        assert_eq!(c.manifests.objects.len(), 2);
        assert_eq!(c.manifests.objects[0].checked, None);
        assert_eq!(
            c.manifests.objects[1].checked.as_deref(),
            Some("pod template at spec.template")
        );
    }

    #[test]
    fn the_coverage_says_what_only_the_cluster_shows() {
        let c = run(JOB, "1.37");
        let coverage: &Coverage = &c.facts.coverage;
        assert!(coverage.offline());
        let workloads = coverage
            .sections
            .iter()
            .find(|s| s.section == WORKLOADS)
            .unwrap();
        assert_eq!((workloads.examined, workloads.total), (1, Some(1)));
        for s in &coverage.sections {
            assert!(
                s.gaps.iter().all(|g| g.cause == Cause::Offline) && !s.gaps.is_empty(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn malformed_templates_and_inputs_without_one_are_usage_errors() {
        let o = Offline {
            files: vec![PathBuf::from("-")],
            recursive: false,
            target: versions::newest_known(),
            namespace: None,
        };
        let bad = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n  template:\n    spec:\n      containers:\n      - image: no-name\n";
        let err = check(&o, &mut bad.as_bytes()).err().unwrap().to_string();
        assert!(
            err.contains(
                "Deployment/w: malformed: spec.template.spec.containers[0].name is missing"
            ) && err.contains("(document 1, line 1)"),
            "{err}"
        );
        let bad = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: ok}\n  spec: {containers: [{name: a}]}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec: {containers: [{name: a, ports: 8080}]}\n";
        let err = check(&o, &mut bad.as_bytes()).err().unwrap().to_string();
        assert!(
            err.starts_with("stdin: Pod/p: malformed: invalid type: integer `8080`")
                && err.contains("(document 1, item 2, line 8)"),
            "{err}"
        );
        let none = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
        let err = check(&o, &mut none.as_bytes()).err().unwrap().to_string();
        assert!(
            err.contains("no object in the input holds a pod template")
                && err.contains("ConfigMap/c (stdin, document 1, line 1)"),
            "{err}"
        );
    }
}
