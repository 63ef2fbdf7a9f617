//! Which kinds carry a pod template and where: Pod (the object itself), Deployment,
//! StatefulSet, DaemonSet, ReplicaSet, ReplicationController and Job (`spec.template`), CronJob
//! (`spec.jobTemplate.spec.template`), PodTemplate (`template`); any other kind with
//! `spec.template.spec.containers` (CRDs such as Argo Rollouts) is read like a Deployment.

use serde_json::Value;

use super::parse::Document;
use crate::error::{Error, Result};

pub use crate::facts::object::KindName;

/// Where each kind keeps its pod template (a JSON pointer; "" for a Pod itself).
fn template_path(kind: &str, obj: &Value) -> Option<&'static str> {
    match kind {
        "Pod" => Some(""),
        "CronJob" => Some("/spec/jobTemplate/spec/template"),
        "PodTemplate" => Some("/template"),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => Some("/spec/template"),
        _ if obj.pointer("/spec/template/spec/containers").is_some() => Some("/spec/template"),
        _ => None,
    }
}

/// The template (`metadata` + `spec`) an object holds, and the JSON pointer it was found at.
pub fn template_of(obj: &Value) -> Option<(&Value, &'static str)> {
    let kind = obj.get("kind")?.as_str()?;
    let path = template_path(kind, obj)?;
    Some((obj.pointer(path)?, path))
}

pub fn kind_name(obj: &Value) -> KindName {
    let meta = obj.get("metadata");
    let text = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    KindName {
        kind: obj
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string(),
        name: text("name")
            .or_else(|| text("generateName").map(|g| format!("{g}*")))
            .unwrap_or_else(|| "<unnamed>".into()),
        namespace: text("namespace"),
    }
}

/// A pod template found in an input object, checked for the shape every reader relies on.
#[derive(Debug, Clone, PartialEq)]
pub struct Template<'a> {
    pub object: KindName,
    /// The template: `metadata` and `spec` (for a Pod, the Pod itself).
    pub template: &'a Value,
    /// Where it was found, as users read it: `spec.template` ("" for a Pod).
    pub path: String,
}

/// The pod template of `doc`; None for kinds that hold none (a Service, a ConfigMap). A
/// template-kind object whose template is missing or misshapen is a usage error naming the
/// input, the object and the place.
pub fn pod_template(doc: &Document) -> Result<Option<Template<'_>>> {
    let object = kind_name(&doc.value);
    let Some(path) = template_path(&object.kind, &doc.value) else {
        return Ok(None);
    };
    let bad = |what: String| {
        Error::usage(format!(
            "{}: {object}: {what} ({})",
            doc.origin(),
            doc.place()
        ))
        .hint("fix the manifest: a pod template needs spec.containers")
    };
    let template = doc
        .value
        .pointer(path)
        .ok_or_else(|| bad(format!("no pod template at {}", dotted(path))))?;
    if !template.is_object() {
        return Err(bad(format!("{} is not an object", dotted(path))));
    }
    let spec_path = format!("{}.spec", dotted(path));
    let spec_path = spec_path.trim_start_matches('.');
    match template.get("spec") {
        Some(Value::Object(_)) => {}
        Some(_) => return Err(bad(format!("{spec_path} is not an object"))),
        None => return Err(bad(format!("{spec_path}.containers is missing"))),
    }
    match template.pointer("/spec/containers") {
        Some(Value::Array(_)) => {}
        Some(_) => return Err(bad(format!("{spec_path}.containers is not a list"))),
        None => return Err(bad(format!("{spec_path}.containers is missing"))),
    }
    if object.name == "<unnamed>" {
        return Err(bad("metadata.name is missing".into()));
    }
    Ok(Some(Template {
        object,
        template,
        path: dotted(path),
    }))
}

/// `/spec/template` as users read it: `spec.template`.
fn dotted(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(value: Value) -> Document {
        Document {
            file: "t.yaml".into(),
            document: 2,
            line: 7,
            items: Vec::new(),
            source: "t.yaml".into(),
            value,
        }
    }

    fn spec() -> Value {
        json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "a"}]}})
    }

    #[test]
    fn every_template_kind() {
        for (kind, spec_field, path) in [
            (
                "CronJob",
                json!({"jobTemplate": {"spec": {"template": spec()}}}),
                "spec.jobTemplate.spec.template",
            ),
            ("Deployment", json!({"template": spec()}), "spec.template"),
            ("StatefulSet", json!({"template": spec()}), "spec.template"),
            ("DaemonSet", json!({"template": spec()}), "spec.template"),
            ("ReplicaSet", json!({"template": spec()}), "spec.template"),
            (
                "ReplicationController",
                json!({"template": spec()}),
                "spec.template",
            ),
            ("Job", json!({"template": spec()}), "spec.template"),
            ("Rollout", json!({"template": spec()}), "spec.template"),
        ] {
            let d = doc(json!({"apiVersion": "x/v1", "kind": kind,
                "metadata": {"name": "w"}, "spec": spec_field}));
            let t = pod_template(&d).unwrap().unwrap();
            assert_eq!(t.template, &spec(), "{kind}");
            assert_eq!(t.path, path, "{kind}");
        }
        let d = doc(json!({"apiVersion": "v1", "kind": "PodTemplate",
            "metadata": {"name": "pt"}, "template": spec()}));
        assert_eq!(pod_template(&d).unwrap().unwrap().path, "template");
        let d = doc(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p"}, "spec": {"containers": []}}));
        assert_eq!(pod_template(&d).unwrap().unwrap().path, "");
    }

    #[test]
    fn objects_without_templates_are_none() {
        let d = doc(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}));
        assert_eq!(pod_template(&d).unwrap(), None);
    }

    #[test]
    fn broken_templates_are_usage_errors_naming_the_place() {
        for (value, want) in [
            (
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"},
                    "spec": {}}),
                "no pod template at spec.template",
            ),
            (
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"},
                    "spec": {"template": {"spec": {}}}}),
                "spec.template.spec.containers is missing",
            ),
            (
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"},
                    "spec": {"template": {"spec": "x"}}}),
                "spec.template.spec is not an object",
            ),
            (
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "w"},
                    "spec": {"containers": "app"}}),
                "spec.containers is not a list",
            ),
            (
                json!({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": []}}),
                "metadata.name is missing",
            ),
            (
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"},
                    "spec": {"template": "x"}}),
                "is not an object",
            ),
        ] {
            let err = pod_template(&doc(value)).unwrap_err().to_string();
            assert!(err.contains(want), "{err}");
            assert!(err.starts_with("t.yaml: "), "{err}");
            assert!(err.contains("(document 2, line 7)"), "{err}");
        }
    }
}
