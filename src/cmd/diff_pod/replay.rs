//! `--blame`'s analysis: the patches the webhooks answered (recorded by `blame`), replayed in
//! order on the submitted pod, so that every change is pinned on the webhook whose own patch
//! made it. Pure: no request, only the recorded steps.

use serde_json::Value;

use super::diff::{RawChange, diff};
use super::normalize::normalize;
use crate::facts::diff_pod::{BlameResult, BlameStep};
use crate::kube::collect::blame::apply;

/// What each webhook changed, replayed from the submitted pod: (index of the step, its changes
/// on normalized pods). Stops at the first patch that does not apply.
pub fn replay(submitted: &Value, steps: &[BlameStep], live: bool) -> Vec<(usize, Vec<RawChange>)> {
    let mut current = submitted.clone();
    let mut out = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let BlameResult::Patched { patch } = &step.result else {
            continue;
        };
        let Ok(next) = apply(&current, patch) else {
            break;
        };
        out.push((i, diff(&normalize(&current, live), &normalize(&next, live))));
        current = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replay_pins_each_change_on_its_webhook() {
        let pod = json!({"spec": {
            "initContainers": [{"name": "proxy", "restartPolicy": "Always"}],
            "containers": [{"name": "app"}]}});
        let step = |name: &str, result: BlameResult| BlameStep {
            webhook: name.into(),
            configuration: "c".into(),
            result,
        };
        let steps = vec![
            step(
                "inject",
                BlameResult::Patched {
                    patch: json!([{"op": "add", "path": "/spec/containers/-",
                        "value": {"name": "log"}}]),
                },
            ),
            step("quiet", BlameResult::Unchanged),
            step(
                "strip",
                BlameResult::Patched {
                    patch: json!([{"op": "remove",
                        "path": "/spec/initContainers/0/restartPolicy"}]),
                },
            ),
            step(
                "broken",
                BlameResult::Patched {
                    patch: json!([{"op": "remove", "path": "/nope"}]),
                },
            ),
        ];
        let got: Vec<(usize, Vec<String>)> = replay(&pod, &steps, false)
            .into_iter()
            .map(|(i, cs)| (i, cs.iter().map(|c| c.path.to_string()).collect()))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, vec!["spec.containers[name=log]".to_string()]),
                (
                    2,
                    vec!["spec.initContainers[name=proxy].restartPolicy".to_string()]
                ),
            ]
        );
    }
}
