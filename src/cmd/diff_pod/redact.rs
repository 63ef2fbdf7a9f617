//! What diff-pod may print: the rules live in `kube::redact` (a snapshot saves by them too);
//! here, a change's value located by its diff path.

use serde_json::Value;

use super::diff::{Path, Seg};
pub use crate::kube::redact::{REDACTED_CHANGED, message, patch, pod};
use crate::kube::redact::{Step, at};

/// The value found at `path` of a pod, masked.
pub fn at_path(path: &Path, value: &Value) -> Value {
    let steps: Vec<Step<'_>> = path
        .0
        .iter()
        .map(|s| match s {
            Seg::Key(k) => Step::Key(k.as_str()),
            Seg::Item { .. } | Seg::Index(_) => Step::Item,
        })
        .collect();
    at(value, steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::redact::REDACTED;
    use serde_json::json;

    const SECRET: &str = "S3CRET-MARKER-7f3a9";

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
}
