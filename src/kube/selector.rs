//! Kubernetes label selectors: the `-l` string syntax (k8s.io/apimachinery labels.Parse) and the
//! `metav1.LabelSelector` object (matchLabels + matchExpressions), both reduced to one list of
//! requirements that a label set must all satisfy.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// A conjunction of requirements; the empty selector matches every label set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    requirements: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub op: Op,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)] // Gt/Lt come only from `parse`
pub enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    /// `>` and `<` compare integer values (labels.Parse accepts them; node selectors use them).
    Gt,
    Lt,
}

pub type Labels = BTreeMap<String, String>;

impl Selector {
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Parses the `-l` syntax: `a=b,c!=d,e in (x,y),f notin (z),g,!h,n>3`.
    #[allow(dead_code)] // for the doctor's `-l`, which lands separately
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parser = Parser {
            chars: text.chars().collect(),
            pos: 0,
            text,
        };
        let mut requirements = Vec::new();
        parser.skip_ws();
        if parser.at_end() {
            return Ok(Self::default());
        }
        loop {
            requirements.push(parser.requirement()?);
            parser.skip_ws();
            if parser.at_end() {
                break;
            }
            if !parser.eat(',') {
                return Err(parser.error("expected ',' between requirements"));
            }
        }
        Ok(Self { requirements })
    }

    /// Reads a `metav1.LabelSelector` object. `null` or `{}` select everything, as in webhooks'
    /// namespaceSelector/objectSelector.
    pub fn from_label_selector(value: &Value) -> Result<Self, String> {
        let obj = match value {
            Value::Null => return Ok(Self::default()),
            Value::Object(obj) => obj,
            other => return Err(format!("label selector is not an object: {other}")),
        };
        let mut requirements = Vec::new();
        match obj.get("matchLabels") {
            None | Some(Value::Null) => {}
            Some(Value::Object(labels)) => {
                for (key, value) in labels {
                    let value = value
                        .as_str()
                        .ok_or_else(|| format!("matchLabels.{key} is not a string"))?;
                    validate_key(key)?;
                    requirements.push(Requirement {
                        key: key.clone(),
                        op: Op::In,
                        values: vec![value.to_string()],
                    });
                }
            }
            Some(_) => return Err("matchLabels is not a map".into()),
        }
        match obj.get("matchExpressions") {
            None | Some(Value::Null) => {}
            Some(Value::Array(exprs)) => {
                for (i, expr) in exprs.iter().enumerate() {
                    requirements
                        .push(expression(expr).map_err(|e| format!("matchExpressions[{i}]: {e}"))?);
                }
            }
            Some(_) => return Err("matchExpressions is not a list".into()),
        }
        Ok(Self { requirements })
    }
}

fn expression(expr: &Value) -> Result<Requirement, String> {
    let key = expr
        .get("key")
        .and_then(Value::as_str)
        .ok_or("no key")?
        .to_string();
    validate_key(&key)?;
    let operator = expr
        .get("operator")
        .and_then(Value::as_str)
        .ok_or("no operator")?;
    let values: Vec<String> = match expr.get("values") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(vs)) => vs
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or("a value is not a string")
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("values is not a list".into()),
    };
    let op = match operator {
        "In" => Op::In,
        "NotIn" => Op::NotIn,
        "Exists" => Op::Exists,
        "DoesNotExist" => Op::DoesNotExist,
        other => return Err(format!("unknown operator {other:?}")),
    };
    match op {
        Op::In | Op::NotIn if values.is_empty() => {
            Err(format!("operator {operator} needs at least one value"))
        }
        Op::Exists | Op::DoesNotExist if !values.is_empty() => {
            Err(format!("operator {operator} takes no values"))
        }
        _ => Ok(Requirement { key, op, values }),
    }
}

impl Requirement {
    pub fn matches(&self, labels: &Labels) -> bool {
        let value = labels.get(&self.key);
        match self.op {
            Op::In => value.is_some_and(|v| self.values.contains(v)),
            // As in apimachinery: a missing key satisfies `!=` and `notin`.
            Op::NotIn => value.is_none_or(|v| !self.values.contains(v)),
            Op::Exists => value.is_some(),
            Op::DoesNotExist => value.is_none(),
            Op::Gt | Op::Lt => {
                let (Some(have), Some(bound)) = (
                    value.and_then(|v| v.parse::<i64>().ok()),
                    self.values.first().and_then(|v| v.parse::<i64>().ok()),
                ) else {
                    return false;
                };
                if self.op == Op::Gt {
                    have > bound
                } else {
                    have < bound
                }
            }
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.requirements.is_empty() {
            return write!(f, "<everything>");
        }
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                write!(f, ",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = &self.key;
        match (self.op, self.values.as_slice()) {
            (Op::In, [one]) => write!(f, "{k}={one}"),
            (Op::NotIn, [one]) => write!(f, "{k}!={one}"),
            (Op::In, vs) => write!(f, "{k} in ({})", vs.join(",")),
            (Op::NotIn, vs) => write!(f, "{k} notin ({})", vs.join(",")),
            (Op::Exists, _) => write!(f, "{k}"),
            (Op::DoesNotExist, _) => write!(f, "!{k}"),
            (Op::Gt, vs) => write!(f, "{k}>{}", vs.first().map_or("", String::as_str)),
            (Op::Lt, vs) => write!(f, "{k}<{}", vs.first().map_or("", String::as_str)),
        }
    }
}

/// A label key is `[prefix/]name`, the name at most 63 characters of [A-Za-z0-9._-] starting and
/// ending alphanumeric. Checked loosely: enough to turn typos into errors, not a full validator.
fn validate_key(key: &str) -> Result<(), String> {
    let name = key.rsplit_once('/').map_or(key, |(_, n)| n);
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(format!("invalid label key {key:?}"))
    }
}

#[allow(dead_code)] // used by `parse`
fn validate_value(value: &str) -> Result<(), String> {
    let ok = value.is_empty()
        || (value.len() <= 63
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            && value.starts_with(|c: char| c.is_ascii_alphanumeric())
            && value.ends_with(|c: char| c.is_ascii_alphanumeric()));
    if ok {
        Ok(())
    } else {
        Err(format!("invalid label value {value:?}"))
    }
}

#[allow(dead_code)] // used by `parse`
struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    text: &'a str,
}

#[allow(dead_code)] // used by `parse`
impl Parser<'_> {
    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn error(&self, what: &str) -> String {
        format!(
            "invalid selector {:?} at character {}: {what}",
            self.text,
            self.pos + 1
        )
    }

    /// A key or value: everything up to whitespace or an operator character.
    fn word(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| !c.is_whitespace() && !"=!,()<>".contains(c))
        {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn requirement(&mut self) -> Result<Requirement, String> {
        self.skip_ws();
        if self.eat('!') {
            self.skip_ws();
            let key = self.word();
            validate_key(&key).map_err(|e| self.error(&e))?;
            return Ok(Requirement {
                key,
                op: Op::DoesNotExist,
                values: Vec::new(),
            });
        }
        let key = self.word();
        if key.is_empty() {
            return Err(self.error("expected a label key"));
        }
        validate_key(&key).map_err(|e| self.error(&e))?;
        self.skip_ws();
        let (op, single) = match self.peek() {
            None | Some(',') => {
                return Ok(Requirement {
                    key,
                    op: Op::Exists,
                    values: Vec::new(),
                });
            }
            Some('=') => {
                self.pos += 1;
                self.eat('=');
                (Op::In, true)
            }
            Some('!') => {
                self.pos += 1;
                if !self.eat('=') {
                    return Err(self.error("expected '=' after '!'"));
                }
                (Op::NotIn, true)
            }
            Some('>') => {
                self.pos += 1;
                (Op::Gt, true)
            }
            Some('<') => {
                self.pos += 1;
                (Op::Lt, true)
            }
            Some(_) => {
                let word = self.word();
                match word.as_str() {
                    "in" => (Op::In, false),
                    "notin" => (Op::NotIn, false),
                    "" => return Err(self.error("unexpected character")),
                    other => {
                        return Err(self.error(&format!(
                            "expected an operator (=, ==, !=, in, notin) but found {other:?}"
                        )));
                    }
                }
            }
        };
        self.skip_ws();
        let values = if single {
            let value = self.word();
            if matches!(op, Op::Gt | Op::Lt) && value.parse::<i64>().is_err() {
                return Err(self.error(&format!("{value:?} is not an integer")));
            }
            validate_value(&value).map_err(|e| self.error(&e))?;
            vec![value]
        } else {
            if !self.eat('(') {
                return Err(self.error("expected '(' after in/notin"));
            }
            let mut values = Vec::new();
            loop {
                self.skip_ws();
                let value = self.word();
                validate_value(&value).map_err(|e| self.error(&e))?;
                values.push(value);
                self.skip_ws();
                if self.eat(')') {
                    break;
                }
                if !self.eat(',') {
                    return Err(self.error("expected ',' or ')' in the value list"));
                }
            }
            values
        };
        Ok(Requirement { key, op, values })
    }
}

/// Reads a string map (labels, annotations) from an object field; other shapes give an empty map.
pub fn string_map(value: Option<&Value>) -> Labels {
    value
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn string_syntax_equality_and_sets() {
        let s = Selector::parse("app=web, tier in (front,edge),env!=prod").unwrap();
        assert!(s.matches(&labels(&[("app", "web"), ("tier", "edge")])));
        assert!(s.matches(&labels(&[
            ("app", "web"),
            ("tier", "front"),
            ("env", "dev")
        ])));
        assert!(!s.matches(&labels(&[
            ("app", "web"),
            ("tier", "front"),
            ("env", "prod")
        ])));
        assert!(!s.matches(&labels(&[("app", "web")])));
        assert!(!s.matches(&labels(&[("app", "db"), ("tier", "edge")])));
    }

    #[test]
    fn string_syntax_existence_and_double_equals() {
        let s = Selector::parse("pool, !spot, zone==a").unwrap();
        assert!(s.matches(&labels(&[("pool", "blue"), ("zone", "a")])));
        assert!(!s.matches(&labels(&[("pool", "blue"), ("zone", "a"), ("spot", "")])));
        assert!(!s.matches(&labels(&[("zone", "a")])));
    }

    #[test]
    fn notin_matches_missing_key() {
        let s = Selector::parse("env notin (prod, staging)").unwrap();
        assert!(s.matches(&labels(&[])));
        assert!(s.matches(&labels(&[("env", "dev")])));
        assert!(!s.matches(&labels(&[("env", "staging")])));
    }

    #[test]
    fn greater_and_less_than_compare_integers() {
        let s = Selector::parse("gen>3,gen<10").unwrap();
        assert!(s.matches(&labels(&[("gen", "4")])));
        assert!(!s.matches(&labels(&[("gen", "3")])));
        assert!(!s.matches(&labels(&[("gen", "x")])));
        assert!(Selector::parse("gen>x").is_err());
    }

    #[test]
    fn prefixed_keys_and_empty_values() {
        let s = Selector::parse("kubernetes.io/metadata.name=kube-system,x=").unwrap();
        assert!(s.matches(&labels(&[
            ("kubernetes.io/metadata.name", "kube-system"),
            ("x", "")
        ])));
    }

    #[test]
    fn empty_selector_matches_everything() {
        assert!(Selector::parse("").unwrap().matches(&labels(&[])));
        assert!(Selector::parse("  ").unwrap().is_empty());
    }

    #[test]
    fn string_syntax_errors_are_reported() {
        for bad in [
            "a=b,", "a in b", "a in (b", "a ! b", "a=b c", ",", "-a=b", "a=b=c",
        ] {
            assert!(Selector::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn display_round_trips() {
        let text = "a=b,c!=d,e in (x,y),f notin (y,z),g,!h";
        let s = Selector::parse(text).unwrap();
        assert_eq!(s.to_string(), text);
        assert_eq!(Selector::parse(&s.to_string()).unwrap(), s);
    }

    #[test]
    fn label_selector_object() {
        let s = Selector::from_label_selector(&json!({
            "matchLabels": {"strip": "yes"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["a", "b"]},
                {"key": "skip", "operator": "DoesNotExist"}
            ]
        }))
        .unwrap();
        assert!(s.matches(&labels(&[("strip", "yes"), ("tier", "a")])));
        assert!(!s.matches(&labels(&[("strip", "yes"), ("tier", "c")])));
        assert!(!s.matches(&labels(&[("strip", "yes"), ("tier", "a"), ("skip", "1")])));
        assert!(!s.matches(&labels(&[("tier", "a")])));
    }

    #[test]
    fn null_and_empty_label_selectors_match_everything() {
        assert!(
            Selector::from_label_selector(&Value::Null)
                .unwrap()
                .is_empty()
        );
        assert!(
            Selector::from_label_selector(&json!({}))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn invalid_label_selector_objects_are_errors() {
        for bad in [
            json!({"matchExpressions": [{"key": "a", "operator": "Like", "values": ["x"]}]}),
            json!({"matchExpressions": [{"key": "a", "operator": "In"}]}),
            json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}),
            json!({"matchLabels": {"a": 1}}),
            json!({"matchLabels": []}),
            json!("a=b"),
        ] {
            assert!(Selector::from_label_selector(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn string_map_ignores_non_strings() {
        let m = string_map(Some(&json!({"a": "1", "b": 2})));
        assert_eq!(m, labels(&[("a", "1")]));
        assert!(string_map(None).is_empty());
    }
}
