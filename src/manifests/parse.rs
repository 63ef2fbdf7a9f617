//! One input's text to objects, each with the place it was written. YAML goes through
//! serde-saphyr, whose spans give the line of each object and of each List item; JSON (one
//! value or several in a row) through serde_json, lines counted from its byte offsets. The
//! document index counts documents as the file holds them (`---` starts one, an empty one
//! included), so that "document 3" is the third a person counts in an editor.

use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

use crate::error::{Error, Result};

pub const HINT: &str =
    "pass -f with a Kubernetes manifest (YAML or JSON), a directory of them, or - for stdin";

/// One Kubernetes object from the input, and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The input as given on the command line (`-` for stdin).
    pub file: String,
    /// 1-based index of the YAML document (or JSON value) in the file.
    pub document: usize,
    /// 1-based line of the object's first key (of its item, inside a List).
    pub line: usize,
    /// The item's position in each enclosing List (1-based), outermost first; empty outside.
    pub items: Vec<usize>,
    /// For messages and reports: `deploy.yaml`, `deploy.yaml (document 2)`, `stdin item 1`.
    pub source: String,
    pub value: Value,
}

impl Document {
    /// `document 2, item 1, line 14`: where a person finds the object.
    pub fn place(&self) -> String {
        place(self.document, &self.items, Some(self.line))
    }

    /// The input's name in messages: the path, or `stdin`.
    pub fn origin(&self) -> &str {
        origin(&self.file)
    }
}

pub fn origin(file: &str) -> &str {
    if file == "-" { "stdin" } else { file }
}

fn place(document: usize, items: &[usize], line: Option<usize>) -> String {
    let mut out = format!("document {document}");
    for item in items {
        out.push_str(&format!(", item {item}"));
    }
    if let Some(line) = line {
        out.push_str(&format!(", line {line}"));
    }
    out
}

/// Where each value of a document starts, and its List items', when the parser could tell.
#[derive(Debug, Default, Clone)]
struct Lines {
    line: usize,
    items: Vec<Lines>,
}

/// Only what locates List items; every other field is skipped by the derive.
#[derive(Deserialize)]
struct ItemShape {
    #[serde(default)]
    items: Option<Vec<Spanned<ItemShape>>>,
}

impl Lines {
    fn from_shape(line: usize, shape: &ItemShape, base: usize) -> Self {
        Lines {
            line,
            items: shape
                .items
                .iter()
                .flatten()
                .map(|s| Lines::from_shape(s.referenced.line() as usize + base, &s.value, base))
                .collect(),
        }
    }
}

/// Parses one input's text (`file` as given, `-` for stdin) into objects.
pub fn parse(file: &str, text: &str) -> Result<Vec<Document>> {
    let origin = origin(file);
    if text.contains('\0') {
        return Err(Error::usage(format!(
            "{origin}: binary content, not a YAML or JSON manifest"
        ))
        .hint(HINT));
    }
    // JSON documents separated by `---` are YAML documents (kubectl reads them so); a `---`
    // line cannot occur inside JSON, whose strings hold no raw newline.
    let separated = text.lines().any(|l| l.trim_end() == "---");
    let values = if text.trim_start().starts_with('{') && !separated {
        parse_json(origin, text)?
    } else {
        parse_yaml(origin, text)?
    };
    if values.is_empty() {
        let what = if text.trim().is_empty() {
            "no objects found (the input is empty)"
        } else {
            "no objects found (only comments or empty documents)"
        };
        return Err(Error::usage(format!("{origin}: {what}")).hint(HINT));
    }
    let several = values.len() > 1;
    let mut docs = Vec::new();
    for (document, value, lines) in values {
        let source = if several {
            format!("{origin} (document {document})")
        } else {
            origin.to_string()
        };
        let at = At {
            file,
            document,
            source,
        };
        flatten(&at, Vec::new(), value, &lines, &mut docs)?;
    }
    Ok(docs)
}

/// The document index of `line`: one per `---` before it, plus one for content before the
/// first `---` (a leading comment or directive starts no document).
pub fn document_at(text: &str, line: usize) -> usize {
    let mut documents = 0;
    let mut open = false;
    for (i, l) in text.lines().enumerate() {
        if i + 1 >= line {
            break;
        }
        if l == "---" || l.starts_with("--- ") || l.starts_with("---\t") {
            documents += 1;
            open = true;
        } else if !open {
            let t = l.trim();
            if !(t.is_empty() || t.starts_with('#') || l.starts_with('%')) {
                documents += 1;
                open = true;
            }
        }
    }
    if open { documents } else { documents + 1 }
}

fn line_at(text: &str, offset: usize) -> usize {
    1 + text[..offset.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
}

type Parsed = Vec<(usize, Value, Lines)>;

fn parse_json(origin: &str, text: &str) -> Result<Parsed> {
    // Several JSON objects may follow one another, as `kubectl get -o json` pipes do.
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut out = Vec::new();
    loop {
        let before = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                let rest = &text[before..];
                let begin = before + (rest.len() - rest.trim_start().len());
                let end = stream.byte_offset();
                let line = line_at(text, begin);
                // JSON is YAML's flow syntax: serde-saphyr locates the List items; when it
                // cannot, they keep the object's line.
                let lines = serde_saphyr::from_str::<ItemShape>(&text[begin..end])
                    .map(|shape| Lines::from_shape(line, &shape, line - 1))
                    .unwrap_or(Lines {
                        line,
                        items: Vec::new(),
                    });
                out.push((out.len() + 1, value, lines));
            }
            Some(Err(e)) => {
                return Err(Error::usage(format!(
                    "{origin}: invalid JSON: {e} ({})",
                    place(out.len() + 1, &[], None)
                ))
                .hint(HINT));
            }
        }
    }
    Ok(out)
}

fn yaml_options() -> serde_saphyr::Options {
    // YAML 1.1 numbers, as kubectl reads manifests (sigs.k8s.io/yaml): `defaultMode: 0644` is octal.
    let mut options = serde_saphyr::Options::default();
    options.legacy_octal_numbers = true;
    options.with_snippet = false;
    options
}

fn parse_yaml(origin: &str, text: &str) -> Result<Parsed> {
    let values = serde_saphyr::from_multiple_with_options::<Spanned<Value>>(text, yaml_options())
        .map_err(|e| {
        let message = e.to_string();
        let first = message.lines().next().unwrap_or("").trim();
        let line = e.location().map(|l| l.line() as usize).filter(|l| *l > 0);
        let place = match line {
            Some(line) => format!(" ({})", place(document_at(text, line), &[], Some(line))),
            None => String::new(),
        };
        Error::usage(format!("{origin}: invalid YAML: {first}{place}")).hint(HINT)
    })?;
    // A second, lighter pass locates List items; a document it cannot read (not a mapping)
    // keeps its own line for its items, and fails later with a better message anyway.
    let shapes = values
        .iter()
        .any(|v| v.value.get("items").is_some())
        .then(|| {
            serde_saphyr::from_multiple_with_options::<Spanned<ItemShape>>(text, yaml_options())
                .ok()
        })
        .flatten()
        .filter(|s| s.len() == values.len());
    Ok(values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let line = (v.referenced.line() as usize).max(1);
            let lines = match shapes.as_ref().and_then(|s| s.get(i)) {
                Some(shape) => Lines::from_shape(line, &shape.value, 0),
                None => Lines {
                    line,
                    items: Vec::new(),
                },
            };
            (document_at(text, line), v.value, lines)
        })
        .collect())
}

struct At<'a> {
    file: &'a str,
    document: usize,
    source: String,
}

/// Checks that `value` is an object with apiVersion and kind, and expands `List` kinds.
fn flatten(
    at: &At<'_>,
    items: Vec<usize>,
    value: Value,
    lines: &Lines,
    out: &mut Vec<Document>,
) -> Result<()> {
    let source = items.iter().fold(at.source.clone(), |mut s, i| {
        s.push_str(&format!(" item {i}"));
        s
    });
    let where_ = place(at.document, &items, Some(lines.line));
    let origin = origin(at.file);
    let bad = |what: String| Error::usage(format!("{origin}: {what} ({where_})")).hint(HINT);
    let found = match &value {
        Value::Object(_) => None,
        Value::Array(_) => Some("a list"),
        Value::String(_) => Some("a string"),
        Value::Number(_) => Some("a number"),
        Value::Bool(_) => Some("a boolean"),
        Value::Null => Some("nothing"),
    };
    if let Some(found) = found {
        return Err(bad(format!(
            "not a Kubernetes object (expected a mapping with apiVersion and kind, found {found})"
        )));
    }
    let kind = match value.get("kind") {
        Some(Value::String(k)) if !k.is_empty() => k.clone(),
        _ => return Err(bad("the object has no kind".to_string())),
    };
    if !matches!(value.get("apiVersion"), Some(Value::String(v)) if !v.is_empty()) {
        return Err(bad(format!("the {kind} has no apiVersion")));
    }
    if kind.ends_with("List")
        && let Some(list) = value.get("items")
    {
        let Value::Array(list) = list else {
            return Err(bad(format!("{kind}.items is not a list")));
        };
        for (i, item) in list.iter().enumerate() {
            let mut path = items.clone();
            path.push(i + 1);
            let item_lines = lines.items.get(i).cloned().unwrap_or(Lines {
                line: lines.line,
                items: Vec::new(),
            });
            flatten(at, path, item.clone(), &item_lines, out)?;
        }
        return Ok(());
    }
    out.push(Document {
        file: at.file.to_string(),
        document: at.document,
        line: lines.line,
        items,
        source,
        value,
    });
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

    fn places(docs: &[Document]) -> Vec<String> {
        docs.iter().map(Document::place).collect()
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
                ("x.yaml (document 3)", "Deployment")
            ]
        );
        assert_eq!(places(&docs), ["document 1, line 2", "document 3, line 7"]);
    }

    #[test]
    fn json_documents_separated_as_yaml_documents() {
        let text = "{\"apiVersion\": \"v1\", \"kind\": \"Pod\"}\n---\n{\n  \"apiVersion\": \"apps/v1\",\n  \"kind\": \"Deployment\"\n}\n";
        let docs = parse("j.json", text).unwrap();
        assert_eq!(
            kinds(&docs),
            vec![
                ("j.json (document 1)", "Pod"),
                ("j.json (document 2)", "Deployment")
            ]
        );
        assert_eq!(places(&docs), ["document 1, line 1", "document 2, line 3"]);
    }

    #[test]
    fn helm_template_output_keeps_lines() {
        let text = "---\n# Source: chart/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n---\n# Source: chart/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n";
        let docs = parse("-", text).unwrap();
        assert_eq!(places(&docs), ["document 1, line 3", "document 2, line 9"]);
        assert_eq!(docs[0].file, "-");
        assert_eq!(docs[0].source, "stdin (document 1)");
    }

    #[test]
    fn yaml_list_items_have_their_own_lines() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n- apiVersion: v1\n  kind: PodList\n  items:\n  - apiVersion: v1\n    kind: Pod\n";
        let docs = parse("l.yaml", text).unwrap();
        assert_eq!(
            places(&docs),
            [
                "document 1, item 1, line 4",
                "document 1, item 2, item 1, line 9"
            ]
        );
    }

    #[test]
    fn lists_are_flattened() {
        let docs = parse(
            "l.json",
            "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[\n  {\"apiVersion\":\"v1\",\"kind\":\"Pod\"},\n  {\"apiVersion\":\"apps/v1\",\"kind\":\"DeploymentList\",\"items\":[\n    {\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\"}]}]}",
        )
        .unwrap();
        assert_eq!(
            kinds(&docs),
            vec![
                ("l.json item 1", "Pod"),
                ("l.json item 2 item 1", "Deployment")
            ]
        );
        assert_eq!(
            places(&docs),
            [
                "document 1, item 1, line 2",
                "document 1, item 2, item 1, line 4"
            ]
        );
    }

    #[test]
    fn concatenated_json_objects() {
        let docs = parse(
            "-",
            "{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}\n\n{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}",
        )
        .unwrap();
        assert_eq!(places(&docs), ["document 1, line 1", "document 2, line 3"]);
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
    fn document_index_counts_markers() {
        let text = "# c\n---\na: 1\n---\n---\nb: 2\n";
        assert_eq!(document_at(text, 3), 1);
        assert_eq!(document_at(text, 6), 3);
        assert_eq!(document_at("a: 1\n---\nb: 2\n", 3), 2);
        assert_eq!(document_at("a: 1\n", 1), 1);
    }

    #[test]
    fn errors_are_one_line_and_name_the_input_and_document() {
        let cases = [
            (
                "a: b: c\n",
                "bad.yaml: invalid YAML: mapping values are not allowed",
            ),
            (
                "apiVersion: v1\nkind: Pod\n---\nx: [\n",
                "(document 2, line",
            ),
            ("{\"kind\": ", "bad.yaml: invalid JSON"),
            ("- a\n- b\n", "not a Kubernetes object"),
            ("apiVersion: v1\n", "has no kind (document 1, line 1)"),
            ("kind: Pod\n", "the Pod has no apiVersion"),
            ("", "no objects found (the input is empty)"),
            ("# only a comment\n", "no objects found"),
            ("\u{0}\u{1}ELF", "binary content"),
            (
                "apiVersion: v1\nkind: List\nitems: 3\n",
                "List.items is not a list",
            ),
            (
                "apiVersion: v1\nkind: Pod\n---\n- x\n",
                "bad.yaml: not a Kubernetes object (expected a mapping with apiVersion and kind, found a list) (document 2, line 4)",
            ),
            (
                "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n- kind: Pod\n",
                "the Pod has no apiVersion (document 1, item 2, line 6)",
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
}
