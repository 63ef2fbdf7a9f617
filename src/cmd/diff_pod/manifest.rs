//! Reading `-f FILE|DIR|-`: YAML (multi-document) or JSON, `List`s flattened, each object kept as
//! a `serde_json::Value` so that no field the user wrote is lost on the way to the apiserver.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};

/// One Kubernetes object from the input, and where it came from (for messages).
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub source: String,
    pub value: Value,
}

const HINT: &str =
    "pass -f with a Kubernetes manifest (YAML or JSON), a directory of them, or - for stdin";

/// Reads every input in order. `stdin` is read only if `-` is given (once).
pub fn read_all(paths: &[PathBuf], stdin: &mut dyn Read) -> Result<Vec<Document>> {
    let mut docs = Vec::new();
    let mut stdin_used = false;
    for path in paths {
        if path.as_os_str() == "-" {
            if stdin_used {
                return Err(
                    Error::usage("-f - given more than once").hint("stdin can be read only once")
                );
            }
            stdin_used = true;
            let mut text = String::new();
            stdin
                .read_to_string(&mut text)
                .map_err(|e| Error::usage(format!("cannot read stdin: {e}")).hint(HINT))?;
            docs.extend(parse("stdin", &text)?);
        } else if path.is_dir() {
            let files = manifests_in(path)?;
            if files.is_empty() {
                return Err(Error::usage(format!(
                    "{}: no .yaml, .yml or .json files in this directory",
                    path.display()
                ))
                .hint(HINT));
            }
            for file in files {
                docs.extend(read_file(&file)?);
            }
        } else {
            docs.extend(read_file(path)?);
        }
    }
    Ok(docs)
}

fn read_file(path: &Path) -> Result<Vec<Document>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())).hint(HINT))?;
    parse(&path.display().to_string(), &text)
}

/// Files a directory holds, as `kubectl apply -f DIR` takes them: not recursive, sorted.
fn manifests_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::usage(format!("cannot read directory {}: {e}", dir.display())))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry
            .map_err(|e| Error::usage(format!("cannot read directory {}: {e}", dir.display())))?;
        let path = entry.path();
        let wanted = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"));
        if wanted && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Parses one input's text into objects; `origin` names it in messages.
pub fn parse(origin: &str, text: &str) -> Result<Vec<Document>> {
    let values = if text.trim_start().starts_with('{') {
        parse_json(origin, text)?
    } else {
        parse_yaml(origin, text)?
    };
    if values.is_empty() {
        return Err(Error::usage(format!("{origin}: no objects found")).hint(HINT));
    }
    let several = values.len() > 1;
    let mut docs = Vec::new();
    for (i, value) in values.into_iter().enumerate() {
        let source = if several {
            format!("{origin} (document {})", i + 1)
        } else {
            origin.to_string()
        };
        flatten(source, value, &mut docs)?;
    }
    Ok(docs)
}

fn parse_json(origin: &str, text: &str) -> Result<Vec<Value>> {
    // A file may hold several JSON objects one after another, as `kubectl get -o json` pipes do.
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::usage(format!("{origin}: invalid JSON: {e}")).hint(HINT))
}

fn parse_yaml(origin: &str, text: &str) -> Result<Vec<Value>> {
    // YAML 1.1 numbers, as kubectl reads manifests (sigs.k8s.io/yaml): `defaultMode: 0644` is octal.
    let mut options = serde_saphyr::Options::default();
    options.legacy_octal_numbers = true;
    options.with_snippet = false;
    serde_saphyr::from_multiple_with_options::<Value>(text, options).map_err(|e| {
        let message = e.to_string();
        let first = message.lines().next().unwrap_or("").trim();
        Error::usage(format!("{origin}: invalid YAML: {first}")).hint(HINT)
    })
}

/// Checks that `value` is an object with apiVersion and kind, and expands `List` kinds.
fn flatten(source: String, value: Value, out: &mut Vec<Document>) -> Result<()> {
    let found = match &value {
        Value::Object(_) => None,
        Value::Array(_) => Some("a list"),
        Value::String(_) => Some("a string"),
        Value::Number(_) => Some("a number"),
        Value::Bool(_) => Some("a boolean"),
        Value::Null => Some("nothing"),
    };
    if let Some(found) = found {
        return Err(Error::usage(format!(
            "{source}: not a Kubernetes object (expected a mapping with apiVersion and kind, found {found})"
        ))
        .hint(HINT));
    }
    let kind = match value.get("kind") {
        Some(Value::String(k)) if !k.is_empty() => k.clone(),
        _ => {
            return Err(Error::usage(format!("{source}: the object has no kind")).hint(HINT));
        }
    };
    if !matches!(value.get("apiVersion"), Some(Value::String(v)) if !v.is_empty()) {
        return Err(Error::usage(format!("{source}: the {kind} has no apiVersion")).hint(HINT));
    }
    if kind.ends_with("List")
        && let Some(items) = value.get("items")
    {
        let Value::Array(items) = items else {
            return Err(Error::usage(format!("{source}: {kind}.items is not a list")).hint(HINT));
        };
        for (i, item) in items.iter().enumerate() {
            flatten(format!("{source} item {}", i + 1), item.clone(), out)?;
        }
        return Ok(());
    }
    out.push(Document { source, value });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kinds(docs: &[Document]) -> Vec<(&str, &str)> {
        docs.iter()
            .map(|d| (d.source.as_str(), d.value["kind"].as_str().unwrap_or("")))
            .collect()
    }

    #[test]
    fn yaml_multi_document_with_empty_documents() {
        let docs = parse(
            "x.yaml",
            "---\napiVersion: v1\nkind: Pod\n---\n---\n# comment\napiVersion: apps/v1\nkind: Deployment\n",
        )
        .unwrap();
        assert_eq!(
            kinds(&docs),
            vec![
                ("x.yaml (document 1)", "Pod"),
                ("x.yaml (document 2)", "Deployment")
            ]
        );
    }

    #[test]
    fn lists_are_flattened() {
        let docs = parse(
            "l.json",
            r#"{"apiVersion":"v1","kind":"List","items":[
                {"apiVersion":"v1","kind":"Pod"},
                {"apiVersion":"apps/v1","kind":"DeploymentList","items":[{"apiVersion":"apps/v1","kind":"Deployment"}]}]}"#,
        )
        .unwrap();
        assert_eq!(
            kinds(&docs),
            vec![
                ("l.json item 1", "Pod"),
                ("l.json item 2 item 1", "Deployment")
            ]
        );
    }

    #[test]
    fn concatenated_json_objects() {
        let docs = parse(
            "-",
            "{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}\n{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}",
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
    }

    #[test]
    fn yaml_octal_and_unknown_fields_survive() {
        let docs = parse(
            "x",
            "apiVersion: v1\nkind: Pod\nspec:\n  volumes:\n  - name: c\n    configMap:\n      defaultMode: 0644\n  futureField: {a: 1}\n",
        )
        .unwrap();
        assert_eq!(
            docs[0].value["spec"]["volumes"][0]["configMap"]["defaultMode"],
            json!(420)
        );
        assert_eq!(docs[0].value["spec"]["futureField"], json!({"a": 1}));
    }

    #[test]
    fn errors_are_one_line_and_name_the_input() {
        let cases = [
            (
                "a: b: c\n",
                "bad.yaml: invalid YAML: mapping values are not allowed",
            ),
            ("{\"kind\": ", "bad.yaml: invalid JSON"),
            ("- a\n- b\n", "not a Kubernetes object"),
            ("apiVersion: v1\n", "has no kind"),
            ("kind: Pod\n", "the Pod has no apiVersion"),
            ("", "no objects found"),
            ("# only a comment\n", "no objects found"),
            (
                "apiVersion: v1\nkind: List\nitems: 3\n",
                "List.items is not a list",
            ),
            (
                "apiVersion: v1\nkind: Pod\n---\n- x\n",
                "bad.yaml (document 2): not a Kubernetes object",
            ),
        ];
        for (text, want) in cases {
            let err = parse("bad.yaml", text).unwrap_err();
            let line = err.to_string();
            assert!(line.contains(want), "{text:?}: {line}");
            assert!(!line.contains('\n'), "{text:?}: {line}");
            assert_eq!(err.code, crate::error::EXIT_USAGE);
        }
    }

    #[test]
    fn directory_and_stdin_and_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.yaml"), "apiVersion: v1\nkind: Pod\n").unwrap();
        std::fs::write(
            dir.path().join("a.json"),
            "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\"}",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not yaml: [").unwrap();
        let mut stdin = "apiVersion: v1\nkind: PodTemplate\n".as_bytes();
        let docs = read_all(&[dir.path().to_path_buf(), PathBuf::from("-")], &mut stdin).unwrap();
        let got: Vec<&str> = docs
            .iter()
            .map(|d| d.value["kind"].as_str().unwrap())
            .collect();
        assert_eq!(got, vec!["Job", "Pod", "PodTemplate"]);

        let missing = dir.path().join("nope.yaml");
        let err = read_all(&[missing], &mut "".as_bytes()).unwrap_err();
        assert!(err.to_string().starts_with("cannot read "), "{err}");

        let empty = tempfile::tempdir().unwrap();
        let err = read_all(&[empty.path().to_path_buf()], &mut "".as_bytes()).unwrap_err();
        assert!(err.to_string().contains("no .yaml"), "{err}");

        let mut pod = "apiVersion: v1\nkind: Pod\n".as_bytes();
        let err = read_all(&[PathBuf::from("-"), PathBuf::from("-")], &mut pod).unwrap_err();
        assert!(err.to_string().contains("more than once"), "{err}");
    }
}
