//! Structural diff of two JSON objects, with Kubernetes list semantics: containers, volumes, env
//! and the like are matched by their merge key (`name`, `mountPath`, ...) rather than by
//! position, so an injected container shows up as one added item instead of every later item
//! "changing".

use std::fmt;

use schemars::JsonSchema;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// One step into a JSON value: an object key, a list item chosen by its merge key, or a list
/// position for lists without a key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
    Item { key: String, value: String },
    Index(usize),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Path(pub Vec<Seg>);

impl Path {
    pub fn key(&self, k: &str) -> Path {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }

    fn push(&self, seg: Seg) -> Path {
        let mut p = self.clone();
        p.0.push(seg);
        p
    }

    /// Parses the display form back (tests write paths this way), e.g.
    /// `spec.initContainers[name=proxy].restartPolicy` or `metadata.annotations["a.b/c"]`.
    #[cfg(test)]
    pub fn parse(text: &str) -> Option<Path> {
        let mut segs = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix("[\"") {
                let end = r.find("\"]")?;
                segs.push(Seg::Key(r[..end].to_string()));
                rest = &r[end + 2..];
            } else if let Some(r) = rest.strip_prefix('[') {
                let end = r.find(']')?;
                let inner = &r[..end];
                match inner.split_once('=') {
                    Some((k, v)) => segs.push(Seg::Item {
                        key: k.to_string(),
                        value: v.to_string(),
                    }),
                    None => segs.push(Seg::Index(inner.parse().ok()?)),
                }
                rest = &r[end + 1..];
            } else {
                let r = rest.strip_prefix('.').unwrap_or(rest);
                let end = r.find(['.', '[']).unwrap_or(r.len());
                if end == 0 {
                    return None;
                }
                segs.push(Seg::Key(r[..end].to_string()));
                rest = &r[end..];
            }
        }
        Some(Path(segs))
    }

    /// `(list, name)` when the path is inside a container: `spec.initContainers[name=proxy]...`.
    pub fn container(&self) -> Option<(&str, &str)> {
        match self.0.as_slice() {
            [Seg::Key(spec), Seg::Key(list), Seg::Item { key, value }, ..]
                if spec == "spec" && is_container_list(list) && key == "name" =>
            {
                Some((list.as_str(), value.as_str()))
            }
            _ => None,
        }
    }

    /// The segments below the container, when the path is inside one.
    pub fn in_container(&self) -> Option<&[Seg]> {
        self.container().map(|_| &self.0[3..])
    }

    pub fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(Seg::Key(k)) => Some(k),
            _ => None,
        }
    }

    pub fn get<'a>(&self, root: &'a Value) -> Option<&'a Value> {
        let mut cur = root;
        for seg in &self.0 {
            cur = match seg {
                Seg::Key(k) => cur.get(k)?,
                Seg::Index(i) => cur.get(i)?,
                Seg::Item { key, value } => cur
                    .as_array()?
                    .iter()
                    .find(|item| item.get(key).map(key_text).as_deref() == Some(value))?,
            };
        }
        Some(cur)
    }

    fn get_mut<'a>(&self, root: &'a mut Value) -> Option<&'a mut Value> {
        let mut cur = root;
        for seg in &self.0 {
            cur = match seg {
                Seg::Key(k) => cur.get_mut(k)?,
                Seg::Index(i) => cur.get_mut(i)?,
                Seg::Item { key, value } => cur
                    .as_array_mut()?
                    .iter_mut()
                    .find(|item| item.get(key).map(key_text).as_deref() == Some(value))?,
            };
        }
        Some(cur)
    }

    /// Sets the value at this path, creating missing object keys along the way. Returns false
    /// when the parent is missing or not a container of the right kind.
    pub fn set(&self, root: &mut Value, value: Value) -> bool {
        let Some((last, parent)) = self.0.split_last() else {
            *root = value;
            return true;
        };
        let Some(parent) = Path(parent.to_vec()).get_mut(root) else {
            return false;
        };
        match (last, parent) {
            (Seg::Key(k), Value::Object(m)) => {
                m.insert(k.clone(), value);
                true
            }
            (Seg::Index(i), Value::Array(a)) if *i <= a.len() => {
                if *i == a.len() {
                    a.push(value);
                } else {
                    a[*i] = value;
                }
                true
            }
            (Seg::Item { key, value: want }, Value::Array(a)) => {
                match a
                    .iter_mut()
                    .find(|item| item.get(key).map(key_text).as_deref() == Some(want))
                {
                    Some(slot) => *slot = value,
                    None => a.push(value),
                }
                true
            }
            _ => false,
        }
    }

    /// Removes the value at this path; returns whether something was removed.
    pub fn remove(&self, root: &mut Value) -> bool {
        let Some((last, parent)) = self.0.split_last() else {
            return false;
        };
        let Some(parent) = Path(parent.to_vec()).get_mut(root) else {
            return false;
        };
        match (last, parent) {
            (Seg::Key(k), Value::Object(m)) => m.remove(k).is_some(),
            (Seg::Index(i), Value::Array(a)) if *i < a.len() => {
                a.remove(*i);
                true
            }
            (Seg::Item { key, value }, Value::Array(a)) => {
                let before = a.len();
                a.retain(|item| item.get(key).map(key_text).as_deref() != Some(value));
                a.len() != before
            }
            _ => false,
        }
    }
}

pub fn is_container_list(field: &str) -> bool {
    matches!(
        field,
        "containers" | "initContainers" | "ephemeralContainers"
    )
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if k.contains(['.', '/', '[', ']', '"', '=']) || k.is_empty() => {
                    write!(f, "[\"{k}\"]")?
                }
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Item { key, value } => write!(f, "[{key}={value}]")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl Serialize for Path {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl JsonSchema for Path {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Path".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A field path in display form: spec.initContainers[name=proxy].restartPolicy"
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Added,
    Removed,
    Changed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawChange {
    pub path: Path,
    pub op: Op,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// The merge key of a list field, as in the Kubernetes API's strategic-merge keys.
fn merge_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "resourceClaims"
        | "schedulingGates"
        | "claims" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "ports" => "containerPort",
        "readinessGates" => "conditionType",
        "hostAliases" => "ip",
        _ => return None,
    })
}

/// Fields whose absence means the same as an empty map, so that a map added to an object that
/// had none still diffs entry by entry.
fn is_string_map(field: &str) -> bool {
    matches!(field, "labels" | "annotations" | "nodeSelector")
}

fn key_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Differences from `before` to `after`, in a stable order (path order of `before`, then
/// additions).
pub fn diff(before: &Value, after: &Value) -> Vec<RawChange> {
    let mut out = Vec::new();
    walk(&Path::default(), before, after, &mut out);
    out
}

fn walk(path: &Path, before: &Value, after: &Value, out: &mut Vec<RawChange>) {
    if before == after {
        return;
    }
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => objects(path, b, a, out),
        (Value::Array(b), Value::Array(a)) => arrays(path, b, a, out),
        _ => out.push(RawChange {
            path: path.clone(),
            op: Op::Changed,
            before: Some(before.clone()),
            after: Some(after.clone()),
        }),
    }
}

fn objects(path: &Path, b: &Map<String, Value>, a: &Map<String, Value>, out: &mut Vec<RawChange>) {
    for (k, bv) in b {
        let p = path.key(k);
        match a.get(k) {
            Some(av) => walk(&p, bv, av, out),
            None => match empty_twin(k, bv) {
                Some(empty) => walk(&p, bv, &empty, out),
                None => out.push(RawChange {
                    path: p,
                    op: Op::Removed,
                    before: Some(bv.clone()),
                    after: None,
                }),
            },
        }
    }
    for (k, av) in a {
        if b.contains_key(k) {
            continue;
        }
        let p = path.key(k);
        match empty_twin(k, av) {
            Some(empty) => walk(&p, &empty, av, out),
            None => out.push(RawChange {
                path: p,
                op: Op::Added,
                before: None,
                after: Some(av.clone()),
            }),
        }
    }
}

/// What a missing field is equivalent to, when one side has a list or a string map: diffing
/// against it reports the items, not the whole field.
fn empty_twin(field: &str, present: &Value) -> Option<Value> {
    match present {
        Value::Array(_) => Some(Value::Array(Vec::new())),
        Value::Object(_) if is_string_map(field) => Some(Value::Object(Map::new())),
        _ => None,
    }
}

fn arrays(path: &Path, b: &[Value], a: &[Value], out: &mut Vec<RawChange>) {
    let field = path.last_key().unwrap_or("");
    let key = merge_key(field)
        .filter(|k| keyed(b, k) && keyed(a, k))
        .or_else(|| Some("name").filter(|k| keyed(b, k) && keyed(a, k) && !b.is_empty()));
    if let Some(key) = key {
        for bi in b {
            let kv = item_key(bi, key);
            let p = path.push(Seg::Item {
                key: key.to_string(),
                value: kv.clone(),
            });
            match a.iter().find(|ai| item_key(ai, key) == kv) {
                Some(ai) => walk(&p, bi, ai, out),
                None => out.push(RawChange {
                    path: p,
                    op: Op::Removed,
                    before: Some(bi.clone()),
                    after: None,
                }),
            }
        }
        for ai in a {
            let kv = item_key(ai, key);
            if !b.iter().any(|bi| item_key(bi, key) == kv) {
                out.push(RawChange {
                    path: path.push(Seg::Item {
                        key: key.to_string(),
                        value: kv,
                    }),
                    op: Op::Added,
                    before: None,
                    after: Some(ai.clone()),
                });
            }
        }
        return;
    }
    if b.iter().chain(a).all(|v| !v.is_object()) {
        // Lists of scalars (command, args, capabilities) are one value: order matters. A
        // missing list was compared as an empty one: report it as removed or added.
        let (op, before, after) = match (b.is_empty(), a.is_empty()) {
            (true, _) => (Op::Added, None, Some(Value::Array(a.to_vec()))),
            (_, true) => (Op::Removed, Some(Value::Array(b.to_vec())), None),
            _ => (
                Op::Changed,
                Some(Value::Array(b.to_vec())),
                Some(Value::Array(a.to_vec())),
            ),
        };
        out.push(RawChange {
            path: path.clone(),
            op,
            before,
            after,
        });
        return;
    }
    // Lists of objects without a key (tolerations, envFrom): compared as sets.
    for (i, bi) in b.iter().enumerate() {
        if !a.contains(bi) {
            out.push(RawChange {
                path: path.push(Seg::Index(i)),
                op: Op::Removed,
                before: Some(bi.clone()),
                after: None,
            });
        }
    }
    for (i, ai) in a.iter().enumerate() {
        if !b.contains(ai) {
            out.push(RawChange {
                path: path.push(Seg::Index(i)),
                op: Op::Added,
                before: None,
                after: Some(ai.clone()),
            });
        }
    }
}

/// Every item is an object carrying the key, and no two items share a key value.
fn keyed(items: &[Value], key: &str) -> bool {
    let mut seen = std::collections::BTreeSet::new();
    items
        .iter()
        .all(|i| i.get(key).is_some_and(|v| !v.is_null()) && seen.insert(item_key(i, key)))
}

fn item_key(item: &Value, key: &str) -> String {
    item.get(key).map(key_text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(changes: &[RawChange]) -> Vec<(String, Op)> {
        changes.iter().map(|c| (c.path.to_string(), c.op)).collect()
    }

    #[test]
    fn equal_values_have_no_changes() {
        let v = json!({"spec": {"containers": [{"name": "a", "image": "x"}]}});
        assert!(diff(&v, &v).is_empty());
    }

    #[test]
    fn removed_field_inside_a_named_container() {
        let before = json!({"spec": {"initContainers": [
            {"name": "log", "image": "busybox"},
            {"name": "proxy", "image": "envoy", "restartPolicy": "Always"}
        ]}});
        let after = json!({"spec": {"initContainers": [
            {"name": "proxy", "image": "envoy"},
            {"name": "log", "image": "busybox"}
        ]}});
        let changes = diff(&before, &after);
        assert_eq!(
            paths(&changes),
            vec![(
                "spec.initContainers[name=proxy].restartPolicy".to_string(),
                Op::Removed
            )]
        );
        assert_eq!(changes[0].before, Some(json!("Always")));
        assert_eq!(
            changes[0].path.container(),
            Some(("initContainers", "proxy"))
        );
    }

    #[test]
    fn injected_container_into_a_pod_without_init_containers() {
        let before = json!({"spec": {"containers": [{"name": "app"}]}});
        let after = json!({"spec": {
            "containers": [{"name": "app"}],
            "initContainers": [{"name": "istio-proxy", "restartPolicy": "Always"}]
        }});
        let changes = diff(&before, &after);
        assert_eq!(
            paths(&changes),
            vec![(
                "spec.initContainers[name=istio-proxy]".to_string(),
                Op::Added
            )]
        );
    }

    #[test]
    fn annotations_added_to_a_pod_without_any_diff_per_key() {
        let before = json!({"metadata": {"labels": {"app": "web"}}});
        let after = json!({"metadata": {"labels": {"app": "web"},
            "annotations": {"sidecar.istio.io/status": "{}", "b": "1"}}});
        assert_eq!(
            paths(&diff(&before, &after)),
            vec![
                ("metadata.annotations.b".to_string(), Op::Added),
                (
                    "metadata.annotations[\"sidecar.istio.io/status\"]".to_string(),
                    Op::Added
                ),
            ]
        );
    }

    #[test]
    fn scalar_lists_change_as_a_whole_and_unkeyed_lists_as_sets() {
        let before = json!({"args": ["a", "b"], "tolerations": [{"key": "x"}]});
        let after = json!({"args": ["b", "a"], "tolerations": [{"key": "x"}, {"key": "y"}]});
        assert_eq!(
            paths(&diff(&before, &after)),
            vec![
                ("args".to_string(), Op::Changed),
                ("tolerations[1]".to_string(), Op::Added)
            ]
        );
    }

    #[test]
    fn ports_are_keyed_by_number() {
        let before = json!({"ports": [{"containerPort": 80}]});
        let after = json!({"ports": [{"containerPort": 80, "protocol": "TCP"}]});
        assert_eq!(
            paths(&diff(&before, &after)),
            vec![("ports[containerPort=80].protocol".to_string(), Op::Added)]
        );
    }

    #[test]
    fn duplicate_keys_fall_back_to_set_semantics() {
        let before = json!({"env": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]});
        let after = json!({"env": [{"name": "A", "value": "1"}]});
        assert_eq!(
            paths(&diff(&before, &after)),
            vec![("env[1]".to_string(), Op::Removed)]
        );
    }

    #[test]
    fn type_changes_are_changes() {
        let changes = diff(&json!({"a": {"b": 1}}), &json!({"a": "x"}));
        assert_eq!(paths(&changes), vec![("a".to_string(), Op::Changed)]);
    }

    #[test]
    fn path_display_parse_round_trip() {
        for text in [
            "spec.initContainers[name=proxy].restartPolicy",
            "metadata.annotations[\"sidecar.istio.io/status\"]",
            "spec.tolerations[2]",
            "spec.containers[name=app].ports[containerPort=80].protocol",
        ] {
            let p = Path::parse(text).unwrap();
            assert_eq!(p.to_string(), text);
        }
        assert!(Path::parse("a[").is_none());
        assert!(Path::parse("a..b").is_none());
    }

    #[test]
    fn get_set_remove_follow_items() {
        let mut v = json!({"spec": {"containers": [{"name": "a", "image": "x"}]}});
        let p = Path::parse("spec.containers[name=a].image").unwrap();
        assert_eq!(p.get(&v), Some(&json!("x")));
        assert!(p.set(&mut v, json!("y")));
        assert_eq!(p.get(&v), Some(&json!("y")));
        assert!(p.remove(&mut v));
        assert_eq!(p.get(&v), None);
        assert!(!p.remove(&mut v));
        let item = Path::parse("spec.containers[name=b]").unwrap();
        assert!(item.set(&mut v, json!({"name": "b"})));
        assert_eq!(v["spec"]["containers"].as_array().map(Vec::len), Some(2));
        assert!(!Path::parse("nope.deeper").unwrap().set(&mut v, json!(1)));
    }
}
