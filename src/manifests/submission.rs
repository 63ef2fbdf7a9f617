//! The Pod a controller would create from an object's pod template: the template's labels,
//! annotations and spec (copied verbatim, unknown fields included), a generated name, and the
//! labels the controller itself adds where they are known in advance. No ownerReferences: a dry
//! run must not look like it belongs to a real owner.

use serde_json::{Map, Value, json};

use super::Document;
use super::template::{kind_name, pod_template};
use crate::error::{Error, Result};
use crate::facts::object::{KindName, SourceLocation};

/// A pod to dry-run, built from one input object.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub source: String,
    /// Where the object was declared: findings on it point there (SARIF annotates the line).
    pub location: SourceLocation,
    pub object: KindName,
    /// `apiVersion`, `kind`, `metadata` (generateName, labels, annotations) and `spec`; the
    /// namespace is filled in once the context is known.
    pub pod: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Extracted {
    Pod(Box<Submission>),
    /// An object that holds no pod template (a Service, a ConfigMap...).
    Skipped {
        source: String,
        object: KindName,
    },
}

pub fn extract(doc: &Document) -> Result<Extracted> {
    let Some(found) = pod_template(doc)? else {
        return Ok(Extracted::Skipped {
            source: doc.source.clone(),
            object: kind_name(&doc.value),
        });
    };
    let object = found.object;
    let prefix = match doc
        .value
        .pointer("/metadata/generateName")
        .and_then(Value::as_str)
    {
        Some(g) if doc.value.pointer("/metadata/name").is_none() => g.to_string(),
        _ => format!("{}-", object.name),
    };
    let mut pod = pod_from_template(found.template, &prefix);
    add_controller_labels(&object.kind, &object.name, &doc.value, &mut pod);
    Ok(Extracted::Pod(Box::new(Submission {
        source: doc.source.clone(),
        location: SourceLocation {
            file: doc.file.clone(),
            document: doc.document,
            line: doc.line,
        },
        object,
        pod,
    })))
}

/// What `-f` held: the pods to dry-run, and the objects skipped for holding no pod template.
pub struct Read {
    pub submissions: Vec<Submission>,
    pub skipped: Vec<String>,
}

impl Read {
    /// The progress line naming the skipped objects, for `command`; None when none was skipped.
    pub fn skipped_note(&self, command: &str) -> Option<String> {
        (!self.skipped.is_empty()).then(|| {
            format!(
                "{command}: skipping objects without a pod template: {}\n",
                self.skipped.join(", ")
            )
        })
    }
}

/// The pods to dry-run from `-f` inputs, read and checked before any connection so that bad input
/// fails fast with exit 2, and the objects skipped for holding no pod template. An object whose
/// own namespace differs from `-n` is refused, as kubectl refuses it.
pub fn read(
    files: &[std::path::PathBuf],
    recursive: bool,
    namespace_flag: Option<&str>,
) -> Result<Read> {
    let stdin = std::io::stdin();
    let docs = super::read_all(files, recursive, &mut stdin.lock())?;
    let mut submissions = Vec::new();
    let mut skipped = Vec::new();
    for doc in &docs {
        match extract(doc)? {
            Extracted::Pod(s) => {
                if let (Some(flag), Some(own)) = (namespace_flag, &s.object.namespace)
                    && flag != own
                {
                    return Err(Error::usage(format!(
                        "{}: the namespace from the provided object {own:?} does not match the namespace {flag:?}",
                        s.source
                    ))
                    .hint(format!(
                        "pass --namespace={own}, or remove metadata.namespace from the manifest"
                    )));
                }
                submissions.push(*s);
            }
            Extracted::Skipped { object, .. } => skipped.push(object.to_string()),
        }
    }
    if submissions.is_empty() {
        return Err(Error::usage(format!(
            "no object in the input holds a pod template (found: {})",
            skipped.join(", ")
        ))
        .hint("give a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or PodTemplate"));
    }
    Ok(Read {
        submissions,
        skipped,
    })
}

/// The pod a controller creates from `template` (k/k pkg/controller GetPodFromTemplate):
/// labels, annotations and finalizers copied, the spec copied as is, a generated name.
pub fn pod_from_template(template: &Value, generate_name: &str) -> Value {
    let mut meta = Map::new();
    meta.insert("generateName".into(), Value::String(generate_name.into()));
    if let Some(src) = template.get("metadata") {
        for field in ["labels", "annotations", "finalizers"] {
            if let Some(v) = src.get(field).filter(|v| !v.is_null()) {
                meta.insert(field.into(), v.clone());
            }
        }
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": Value::Object(meta),
        "spec": template.get("spec").cloned().unwrap_or_else(|| json!({})),
    })
}

/// Labels a controller adds that can be known before it runs, so that webhooks' objectSelectors
/// see what they would see. Hash labels (pod-template-hash, controller-revision-hash) and the
/// Job's controller-uid cannot be known and are left out.
fn add_controller_labels(kind: &str, name: &str, obj: &Value, pod: &mut Value) {
    let mut add: Vec<(&str, String)> = Vec::new();
    match kind {
        "Job" => {
            let manual = obj.pointer("/spec/manualSelector").and_then(Value::as_bool) == Some(true);
            if !manual {
                add.push(("batch.kubernetes.io/job-name", name.to_string()));
                add.push(("job-name", name.to_string()));
            }
        }
        "StatefulSet" => {
            add.push(("statefulset.kubernetes.io/pod-name", format!("{name}-0")));
            add.push(("apps.kubernetes.io/pod-index", "0".to_string()));
        }
        _ => {}
    }
    if add.is_empty() {
        return;
    }
    let Some(meta) = pod.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let labels = meta
        .entry("labels")
        .or_insert_with(|| Value::Object(Map::new()));
    if !labels.is_object() {
        *labels = Value::Object(Map::new());
    }
    if let Some(labels) = labels.as_object_mut() {
        for (k, v) in add {
            labels.entry(k).or_insert(Value::String(v));
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_skipped_note_names_the_command_and_the_objects_or_is_absent() {
        let mut read = Read {
            submissions: Vec::new(),
            skipped: vec!["Service/web".into(), "ConfigMap/cfg".into()],
        };
        assert_eq!(
            read.skipped_note("snapshot").as_deref(),
            Some("snapshot: skipping objects without a pod template: Service/web, ConfigMap/cfg\n")
        );
        read.skipped.clear();
        assert_eq!(read.skipped_note("diff-pod"), None);
    }

    use super::*;

    fn doc(value: Value) -> Document {
        Document {
            file: "t.yaml".into(),
            document: 1,
            line: 1,
            items: Vec::new(),
            source: "t.yaml".into(),
            value,
        }
    }

    fn pod_of(value: Value) -> Submission {
        match extract(&doc(value)).unwrap() {
            Extracted::Pod(s) => *s,
            other => panic!("expected a pod, got {other:?}"),
        }
    }

    fn template() -> Value {
        json!({
            "metadata": {"labels": {"app": "web"}, "annotations": {"a": "1"}, "name": "ignored"},
            "spec": {
                "initContainers": [{"name": "proxy", "image": "envoy", "restartPolicy": "Always",
                    "someFutureField": true}],
                "containers": [{"name": "app", "image": "nginx"}]
            }
        })
    }

    #[test]
    fn deployment_template_becomes_a_pod_verbatim() {
        let s = pod_of(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "labels": {"team": "x"}},
            "spec": {"template": template()}
        }));
        assert_eq!(s.object.to_string(), "Deployment/web");
        assert_eq!(s.object.namespace.as_deref(), Some("shop"));
        assert_eq!(
            s.pod,
            json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"generateName": "web-", "labels": {"app": "web"},
                    "annotations": {"a": "1"}},
                "spec": template()["spec"].clone()
            })
        );
    }

    #[test]
    fn every_template_kind() {
        let cases = [
            (
                "CronJob",
                json!({"jobTemplate": {"spec": {"template": template()}}}),
            ),
            ("StatefulSet", json!({"template": template()})),
            ("DaemonSet", json!({"template": template()})),
            ("ReplicaSet", json!({"template": template()})),
            ("Job", json!({"template": template()})),
            ("Rollout", json!({"template": template()})),
        ];
        for (kind, spec) in cases {
            let s = pod_of(json!({"apiVersion": "x/v1", "kind": kind,
                "metadata": {"name": "w"}, "spec": spec}));
            assert_eq!(s.pod["spec"], template()["spec"], "{kind}");
            assert_eq!(s.pod["metadata"]["labels"]["app"], "web", "{kind}");
        }
        let s = pod_of(json!({"apiVersion": "v1", "kind": "PodTemplate",
            "metadata": {"name": "pt"}, "template": template()}));
        assert_eq!(s.pod["spec"], template()["spec"]);
    }

    #[test]
    fn bare_pod_keeps_its_own_metadata_but_not_its_name() {
        let s = pod_of(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "solo", "labels": {"x": "y"},
                "ownerReferences": [{"kind": "ReplicaSet"}]},
            "spec": {"containers": [{"name": "a"}]}}));
        assert_eq!(
            s.pod["metadata"],
            json!({"generateName": "solo-", "labels": {"x": "y"}})
        );
    }

    #[test]
    fn generate_name_only_pods_keep_their_prefix() {
        let s = pod_of(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"generateName": "job-run-"},
            "spec": {"containers": [{"name": "a"}]}}));
        assert_eq!(s.pod["metadata"]["generateName"], "job-run-");
    }

    #[test]
    fn controller_labels_for_jobs_and_statefulsets() {
        let s = pod_of(json!({"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "migrate"}, "spec": {"template": template()}}));
        assert_eq!(s.pod["metadata"]["labels"]["job-name"], "migrate");
        assert_eq!(
            s.pod["metadata"]["labels"]["batch.kubernetes.io/job-name"],
            "migrate"
        );
        let s = pod_of(json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "db"}, "spec": {"template": {"spec": {"containers": []}}}}));
        assert_eq!(
            s.pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"],
            "db-0"
        );
    }

    #[test]
    fn objects_without_templates_are_skipped() {
        let got = extract(&doc(json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "svc"}})))
        .unwrap();
        assert!(matches!(got, Extracted::Skipped { .. }));
    }
}
