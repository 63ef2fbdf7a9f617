//! What diff-pod may print of a pod. A diff of the spec would otherwise copy env values,
//! command lines and annotation values (tokens, passwords, a whole last-applied configuration)
//! into terminals, CI logs and JSON files. Every value is judged by where it sits, so the same
//! rules cover a whole pod, one change's value and a webhook's JSON patch.

use serde_json::{Map, Value};

use super::diff::{Path, Seg};

pub const REDACTED: &str = "(redacted)";
/// Shown on the admitted side of a value that admission changed, so the diff still shows that
/// it changed without showing either value.
pub const REDACTED_CHANGED: &str = "(redacted, changed)";

/// Annotation keys whose values a check reads and which carry no secret: shown as they are.
const SHOWN_ANNOTATIONS: &[&str] = &[
    "sidecar.istio.io/inject",
    "sidecar.istio.io/nativeSidecar",
    "batch.kubernetes.io/job-completion-index",
];

/// One step of the location of a value: an object key, or a list item (by key or position).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step<'a> {
    Key(&'a str),
    Item,
}

/// What must be hidden at a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// A whole scalar value (an env value, an annotation value, a header value, one argument).
    Value,
    /// A command line (`command`, `args`): how many items, not their text.
    Words,
    Keep,
}

fn rule(at: &[Step]) -> Rule {
    match at {
        [.., Step::Key("command" | "args")] => Rule::Words,
        [.., Step::Key("command" | "args"), Step::Item] => Rule::Value,
        [.., Step::Key("env"), Step::Item, Step::Key("value")] => Rule::Value,
        [.., Step::Key("httpHeaders"), Step::Item, Step::Key("value")] => Rule::Value,
        [.., Step::Key("annotations"), Step::Key(k)] if !SHOWN_ANNOTATIONS.contains(k) => {
            Rule::Value
        }
        _ => Rule::Keep,
    }
}

/// The text that stands for a command line of `v`'s length.
fn words(v: &Value) -> Value {
    match v.as_array() {
        Some(items) if items.len() == 1 => Value::String("(1 item, redacted)".into()),
        Some(items) => Value::String(format!("({} items, redacted)", items.len())),
        None => Value::String(REDACTED.into()),
    }
}

/// `value` with everything secret-bearing masked, `at` being where it sits in a pod.
fn walk<'a>(value: &'a Value, at: &mut Vec<Step<'a>>) -> Value {
    match rule(at) {
        Rule::Value => return Value::String(REDACTED.into()),
        Rule::Words => return words(value),
        Rule::Keep => {}
    }
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                at.push(Step::Key(k));
                out.insert(k.clone(), walk(v, at));
                at.pop();
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for v in items {
                at.push(Step::Item);
                out.push(walk(v, at));
                at.pop();
            }
            Value::Array(out)
        }
        other => other.clone(),
    }
}

/// A whole pod (or any object holding pod fields), masked.
pub fn pod(value: &Value) -> Value {
    walk(value, &mut Vec::new())
}

/// The value found at `path` of a pod, masked.
pub fn at_path(path: &Path, value: &Value) -> Value {
    let mut at: Vec<Step<'_>> = path
        .0
        .iter()
        .map(|s| match s {
            Seg::Key(k) => Step::Key(k.as_str()),
            Seg::Item { .. } | Seg::Index(_) => Step::Item,
        })
        .collect();
    walk(value, &mut at)
}

/// A JSON patch (RFC 6902) with every operation's value masked by the location it targets.
pub fn patch(patch: &Value) -> Value {
    let Some(ops) = patch.as_array() else {
        return Value::String(REDACTED.into());
    };
    let masked = ops
        .iter()
        .map(|op| {
            let Some(obj) = op.as_object() else {
                return Value::String(REDACTED.into());
            };
            let pointer = obj.get("path").and_then(Value::as_str).unwrap_or("");
            let segments: Vec<String> = pointer
                .split('/')
                .skip(1)
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .collect();
            let mut at: Vec<Step<'_>> = segments
                .iter()
                .map(|s| {
                    if s == "-" || s.parse::<usize>().is_ok() {
                        Step::Item
                    } else {
                        Step::Key(s.as_str())
                    }
                })
                .collect();
            let mut out = obj.clone();
            if let Some(v) = obj.get("value") {
                out.insert("value".into(), walk(v, &mut at));
            }
            Value::Object(out)
        })
        .collect();
    Value::Array(masked)
}

/// Apiserver messages quote rejected values (`Invalid value: "..."`): keep the field, drop the
/// value, as it may be an env value or an argument.
pub fn message(text: &str) -> String {
    const MARK: &str = "Invalid value: ";
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(MARK) {
        out.push_str(&rest[..i + MARK.len()]);
        rest = &rest[i + MARK.len()..];
        let end = quoted_end(rest)
            .unwrap_or_else(|| rest.find([':', ',', ' ', ']']).unwrap_or(rest.len()));
        out.push_str(REDACTED);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The end of a Go-quoted string at the start of `text` (`"a \"b\""`), if it starts with one.
fn quoted_end(text: &str) -> Option<usize> {
    let body = text.strip_prefix('"')?;
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(i + 2),
            _ => escaped = false,
        }
    }
    Some(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &str = "S3CRET-MARKER-7f3a9";

    #[test]
    fn a_pod_keeps_its_shape_but_not_its_secrets() {
        let p = json!({
            "metadata": {"annotations": {"vault/token": SECRET, "sidecar.istio.io/nativeSidecar": "true"},
                "labels": {"app": "web"}},
            "spec": {"initContainers": [{"name": "proxy", "restartPolicy": "Always",
                "command": ["sh", "-c", SECRET], "args": [SECRET],
                "env": [{"name": "TOKEN", "value": SECRET},
                        {"name": "FROM", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
                "startupProbe": {"exec": {"command": ["check", SECRET]},
                    "httpGet": {"path": "/", "httpHeaders": [{"name": "Authorization", "value": SECRET}]}}}]}
        });
        let m = pod(&p);
        assert!(!m.to_string().contains(SECRET), "{m:#}");
        let c = &m["spec"]["initContainers"][0];
        assert_eq!(c["restartPolicy"], "Always");
        assert_eq!(c["command"], "(3 items, redacted)");
        assert_eq!(c["args"], "(1 item, redacted)");
        assert_eq!(c["env"][0], json!({"name": "TOKEN", "value": REDACTED}));
        assert_eq!(c["env"][1]["valueFrom"]["secretKeyRef"]["key"], "k");
        assert_eq!(m["metadata"]["annotations"]["vault/token"], REDACTED);
        assert_eq!(
            m["metadata"]["annotations"]["sidecar.istio.io/nativeSidecar"],
            "true"
        );
        assert_eq!(m["metadata"]["labels"]["app"], "web");
    }

    #[test]
    fn values_at_paths() {
        let env = Path::parse("spec.containers[name=a].env[name=TOKEN].value").unwrap();
        assert_eq!(at_path(&env, &json!(SECRET)), json!(REDACTED));
        let item = Path::parse("spec.containers[name=a].env[name=TOKEN]").unwrap();
        assert_eq!(
            at_path(&item, &json!({"name": "TOKEN", "value": SECRET})),
            json!({"name": "TOKEN", "value": REDACTED})
        );
        let args = Path::parse("spec.containers[name=a].args").unwrap();
        assert_eq!(
            at_path(&args, &json!(["a", "b"])),
            json!("(2 items, redacted)")
        );
        let ann = Path::parse("metadata.annotations[\"a/b\"]").unwrap();
        assert_eq!(at_path(&ann, &json!(SECRET)), json!(REDACTED));
        let image = Path::parse("spec.containers[name=a].image").unwrap();
        assert_eq!(at_path(&image, &json!("nginx")), json!("nginx"));
    }

    #[test]
    fn patches_are_masked_by_their_target() {
        let p = json!([
            {"op": "replace", "path": "/spec", "value": {"containers": [{"name": "a",
                "env": [{"name": "T", "value": SECRET}], "args": [SECRET]}]}},
            {"op": "add", "path": "/spec/containers/0/env/-", "value": {"name": "U", "value": SECRET}},
            {"op": "add", "path": "/metadata/annotations/vault~1secret", "value": SECRET},
            {"op": "add", "path": "/metadata/annotations", "value": {"k": SECRET}},
            {"op": "replace", "path": "/spec/containers/0/args/0", "value": SECRET},
            {"op": "remove", "path": "/spec/initContainers/0/restartPolicy"}
        ]);
        let m = patch(&p);
        assert!(!m.to_string().contains(SECRET), "{m:#}");
        assert_eq!(m[5], p[5]);
        assert_eq!(m[0]["value"]["containers"][0]["name"], "a");
    }

    #[test]
    fn messages_lose_quoted_values() {
        let m = message(&format!(
            "Pod \"x\" is invalid: spec.containers[0].env[0].value: Invalid value: \"{SECRET} \\\"q\\\"\": too long, spec.x: Invalid value: 5: bad"
        ));
        assert!(!m.contains(SECRET), "{m}");
        assert!(
            m.contains("env[0].value: Invalid value: (redacted): too long"),
            "{m}"
        );
        assert!(m.contains("spec.x: Invalid value: (redacted): bad"), "{m}");
        assert_eq!(message("plain"), "plain");
    }
}
