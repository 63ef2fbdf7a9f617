//! What diff-pod may print or save of a pod. A diff of the spec would otherwise copy env values,
//! command lines and annotation values (tokens, passwords, a whole last-applied configuration)
//! into terminals, CI logs, JSON files and snapshots. Every value is judged by where it sits, so
//! the same rules cover a whole pod, one change's value and a webhook's JSON patch.
//!
//! Two ways to hide a value: masked (`pod`, `patch`, `at`: what is shown) and tokenized
//! (`Tokens`: what a snapshot saves). A snapshot must still give the live run's diff, so it
//! keeps which hidden values are equal, and nothing else: within one pod's facts each distinct
//! value becomes one token (`(redacted #1)`), the same in every version of the pod and in every
//! patch. Where admission changed a hidden value, the admitted side holds another token, and
//! the diff read from the snapshot shows the change (masked again) exactly as the live one.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::facts::diff_pod::{BlameResult, DiffFacts, Outcome, PodFacts, Webhooks};

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
pub enum Step<'a> {
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
    walk_with(value, at, &mut |rule, v| match rule {
        Rule::Words => Some(words(v)),
        Rule::Value | Rule::Keep => Some(Value::String(REDACTED.into())),
    })
}

/// `value` rebuilt with `hide(rule, v)` standing for each value `rule` hides at its location
/// (None: look inside it instead), `at` being where it sits in a pod.
fn walk_with<'a>(
    value: &'a Value,
    at: &mut Vec<Step<'a>>,
    hide: &mut dyn FnMut(Rule, &Value) -> Option<Value>,
) -> Value {
    let rule = rule(at);
    if rule != Rule::Keep
        && let Some(hidden) = hide(rule, value)
    {
        return hidden;
    }
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                at.push(Step::Key(k));
                out.insert(k.clone(), walk_with(v, at, hide));
                at.pop();
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for v in items {
                at.push(Step::Item);
                out.push(walk_with(v, at, hide));
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

/// The value found at `at` (its location in a pod), masked.
pub fn at<'a>(value: &'a Value, mut at: Vec<Step<'a>>) -> Value {
    walk(value, &mut at)
}

/// A JSON patch (RFC 6902) with every operation's value masked by the location it targets.
pub fn patch(patch: &Value) -> Value {
    patch_with(patch, &mut |v, at| walk(v, at))
}

/// Each operation of a JSON patch with its value passed through `hide` at its target.
fn patch_with(
    patch: &Value,
    hide: &mut dyn for<'x> FnMut(&'x Value, &mut Vec<Step<'x>>) -> Value,
) -> Value {
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
                out.insert("value".into(), hide(v, &mut at));
            }
            Value::Object(out)
        })
        .collect();
    Value::Array(masked)
}

/// One token per distinct hidden value, within one pod's facts.
#[derive(Default)]
pub struct Tokens {
    seen: BTreeMap<String, usize>,
}

impl Tokens {
    fn token(&mut self, value: &Value) -> Value {
        if value.is_null() {
            // Null is absent to the diff (pruned): it must stay null to stay absent.
            return Value::Null;
        }
        let next = self.seen.len() + 1;
        let n = *self.seen.entry(value.to_string()).or_insert(next);
        Value::String(format!("(redacted #{n})"))
    }

    /// `value` with every hidden value replaced by its token; lists (a command line) keep
    /// their length, so the masked form read back is the live one.
    fn walk<'a>(&mut self, value: &'a Value, at: &mut Vec<Step<'a>>) -> Value {
        walk_with(value, at, &mut |rule, v| match rule {
            Rule::Words if v.is_array() => None,
            _ => Some(self.token(v)),
        })
    }

    pub fn pod(&mut self, value: &Value) -> Value {
        self.walk(value, &mut Vec::new())
    }

    pub fn patch(&mut self, patch: &Value) -> Value {
        patch_with(patch, &mut |v, at| self.walk(v, at))
    }
}

/// What a snapshot may hold of diff-pod's facts: every pod version, admitted pod and patch
/// tokenized (one set of tokens per pod), apiserver messages masked, no pod's `status` or
/// `managedFields` (a termination message may carry anything; neither is compared), and of a
/// namespace's labels only those some webhook's namespaceSelector reads (the only use of them;
/// a label value may be a token too).
pub fn for_snapshot(facts: &DiffFacts) -> DiffFacts {
    let mut out = facts.clone();
    let read = selector_keys(&facts.webhooks);
    for pod in &mut out.pods {
        redact_pod_facts(pod);
        if let Some(labels) = &mut pod.namespace_labels {
            labels.retain(|k, _| read.contains(k));
        }
    }
    out
}

/// The label keys the webhooks' namespaceSelectors name (matchLabels and matchExpressions).
fn selector_keys(hooks: &Webhooks) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for hook in &hooks.items {
        let selector = &hook.namespace_selector;
        if let Some(m) = selector.get("matchLabels").and_then(Value::as_object) {
            keys.extend(m.keys().cloned());
        }
        for e in selector
            .get("matchExpressions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(k) = e.get("key").and_then(Value::as_str) {
                keys.insert(k.to_string());
            }
        }
    }
    keys
}

fn redact_pod_facts(pod: &mut PodFacts) {
    let mut tokens = Tokens::default();
    for source in &mut pod.lineage {
        source.pod = tokens.pod(&stripped(&source.pod));
    }
    pod.outcome = match &pod.outcome {
        Outcome::Admitted {
            pod: admitted,
            warnings,
        } => Outcome::Admitted {
            pod: tokens.pod(&stripped(admitted)),
            warnings: warnings.iter().map(|w| message(w)).collect(),
        },
        Outcome::Rejected {
            code,
            reason,
            message: text,
        } => Outcome::Rejected {
            code: *code,
            reason: reason.clone(),
            message: message(text),
        },
        Outcome::NotRun { why } => Outcome::NotRun { why: message(why) },
    };
    for step in &mut pod.blame {
        match &mut step.result {
            BlameResult::Patched { patch } => *patch = tokens.patch(patch),
            BlameResult::Denied { message: text } => *text = message(text),
            BlameResult::Failed { error, .. } => *error = message(error),
            _ => {}
        }
    }
}

/// A pod without what is never compared and may carry anything.
fn stripped(pod: &Value) -> Value {
    let mut pod = pod.clone();
    if let Some(obj) = pod.as_object_mut() {
        obj.remove("status");
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("managedFields");
        }
    }
    pod
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
    fn tokens_keep_equality_and_shape_but_not_values() {
        let mut t = Tokens::default();
        let before = t.pod(&json!({"metadata": {"annotations": {"a": SECRET, "sidecar.istio.io/inject": "true"}},
            "spec": {"containers": [{"name": "c", "args": [SECRET, "x"], "env": [
                {"name": "A", "value": SECRET}, {"name": "B", "value": "other"}, {"name": "N", "value": null}]}]}}));
        let after = t.pod(
            &json!({"spec": {"containers": [{"name": "c", "args": [SECRET, "y"],
            "env": [{"name": "A", "value": "rotated"}]}]}}),
        );
        let patch = t.patch(&json!([{"op": "add", "path": "/spec/containers/0/env/-",
            "value": {"name": "A", "value": "rotated"}}]));
        for v in [&before, &after, &patch] {
            assert!(
                !v.to_string().contains(SECRET) && !v.to_string().contains("rotated"),
                "{v:#}"
            );
        }
        let c = &before["spec"]["containers"][0];
        // Equal values share a token wherever they sit; a changed one gets another.
        assert_eq!(c["env"][0]["value"], before["metadata"]["annotations"]["a"]);
        assert_eq!(c["args"][0], c["env"][0]["value"]);
        assert_ne!(c["env"][1]["value"], c["env"][0]["value"]);
        let a = &after["spec"]["containers"][0];
        assert_ne!(a["env"][0]["value"], c["env"][0]["value"]);
        assert_eq!(patch[0]["value"]["value"], a["env"][0]["value"]);
        assert_ne!(a["args"], c["args"]);
        assert_eq!(a["args"][0], c["args"][0]);
        // A command line keeps its length, null stays absent, switches stay readable.
        assert_eq!(c["args"].as_array().map(Vec::len), Some(2));
        assert!(c["env"][2]["value"].is_null());
        assert_eq!(
            before["metadata"]["annotations"]["sidecar.istio.io/inject"],
            "true"
        );
        // Masked as shown, a token reads as the value did.
        assert_eq!(
            pod(&before)["spec"]["containers"][0]["args"],
            "(2 items, redacted)"
        );
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
