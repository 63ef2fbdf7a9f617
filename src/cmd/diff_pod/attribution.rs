//! Who made a change: the apiserver (its gate), the webhook whose own patch `--blame` replayed,
//! or the webhooks called for the object (by their rules and selectors), in one sentence each.

use serde_json::Value;

use super::classify::{Change, Kind};
use super::diff::{Path, RawChange, Seg};
use super::report::{Attribution, Candidate};
use crate::facts::diff_pod::{BlameResult, DiffFacts, Gate, PodFacts, Writer};
use crate::kube::strippers::known_stripper;
use crate::kube::versions::CONTAINER_RESTART_RULES_BETA;
use crate::kube::webhooks::{Target, Verdict, Webhook};

/// What attributing one pod's changes reads: the cluster's facts, the pod's, and the webhooks
/// called for it.
pub(super) struct Attributor<'a> {
    pub(super) facts: &'a DiffFacts,
    pub(super) pod: &'a PodFacts,
    pub(super) candidates: &'a [Candidate],
}

impl Attributor<'_> {
    /// Who removed `restartPolicy`: the apiserver when its gate says so, else the webhook that
    /// `--blame` caught, else the webhooks called for the object.
    pub(super) fn strip_attribution(&self, blamed: Option<Attribution>) -> Attribution {
        let apiserver = &self.facts.apiserver;
        if let Some(why) = apiserver.gate.strips(apiserver.version.as_deref()) {
            return Attribution::Apiserver { why };
        }
        if let Some(b) = blamed {
            return b;
        }
        let also = match &apiserver.gate {
            Gate::Unknown { why } => Some(format!(
                "or the apiserver, if its SidecarContainers gate is off (it could not be read: {why})"
            )),
            _ => None,
        };
        self.open_attribution(self.candidates, also, true)
    }

    pub(super) fn open_attribution(
        &self,
        candidates: &[Candidate],
        also: Option<String>,
        strip: bool,
    ) -> Attribution {
        if let Some(e) = &self.facts.webhooks.error {
            let mut why = format!("the mutating webhooks could not be listed ({})", e.short());
            if let Some(also) = also {
                why.push_str(&format!("; {also}"));
            }
            return Attribution::Unknown { why };
        }
        if candidates.is_empty() {
            let why = if strip {
                "no mutating webhook is called for this object now, and the apiserver keeps the field: the webhook that did it may have changed or been removed since"
            } else {
                "no mutating webhook is called for this pod: a built-in admission plugin did it"
            };
            return match also {
                Some(also) => Attribution::Unknown {
                    why: format!("{why}; {also}"),
                },
                None => Attribution::Unknown { why: why.into() },
            };
        }
        Attribution::Webhooks {
            candidates: candidates.to_vec(),
            also,
        }
    }

    pub(super) fn attribute(
        &self,
        change: &Change,
        steps: &[(usize, Vec<RawChange>)],
    ) -> Attribution {
        if change.kind == Kind::Defaulted {
            return Attribution::Defaulting;
        }
        let blamed = steps.iter().find_map(|(i, raw)| {
            raw.iter()
                .any(|r| related(&r.path, &change.raw.path))
                .then(|| self.pod.blame.get(*i))
                .flatten()
                .and_then(|step| match &step.result {
                    BlameResult::Patched { patch } => Some(Attribution::Webhook {
                        webhook: step.webhook.clone(),
                        configuration: step.configuration.clone(),
                        patch: patch.clone(),
                    }),
                    _ => None,
                })
        });
        if is_init_restart_policy(&change.raw.path) && change.kind == Kind::Removed {
            return self.strip_attribution(blamed);
        }
        if change.kind == Kind::Removed
            && is_restart_rules(&change.raw.path)
            && let Some(why) = self.apiserver_drops_restart_rules()
        {
            return Attribution::Apiserver { why };
        }
        if let Some(b) = blamed {
            return b;
        }
        self.open_attribution(self.candidates, None, false)
    }

    /// Apiservers before ContainerRestartRules' beta do not keep `restartPolicyRules` (1.34
    /// drops them with the gate off, older ones do not know the field).
    fn apiserver_drops_restart_rules(&self) -> Option<String> {
        let text = self.facts.apiserver.version.as_deref()?;
        let v = crate::kube::version::parse(text)?;
        (!CONTAINER_RESTART_RULES_BETA.reached_by(v)).then(|| {
            format!(
                "the apiserver ({text}) does not keep restartPolicyRules: ContainerRestartRules is on from {CONTAINER_RESTART_RULES_BETA}"
            )
        })
    }

    pub(super) fn writer_attribution(&self, w: &Writer) -> Attribution {
        let apiserver = &self.facts.apiserver;
        if let Some(why) = apiserver.gate.strips(apiserver.version.as_deref()) {
            return Attribution::Apiserver { why };
        }
        let mut found: Vec<Candidate> = Vec::new();
        for operation in ["CREATE", "UPDATE"] {
            let t = Target {
                operation,
                group: &w.group,
                version: &w.version,
                resource: &w.resource,
                subresource: "",
                namespaced: true,
                namespace_labels: self.pod.namespace_labels.as_ref(),
                object_labels: &w.labels,
            };
            for c in candidates(&self.facts.webhooks.items, &t) {
                if !found
                    .iter()
                    .any(|f| f.webhook == c.webhook && f.configuration == c.configuration)
                {
                    found.push(c);
                }
            }
        }
        self.open_attribution(&found, None, true)
    }
}

pub(super) fn candidates(hooks: &[Webhook], target: &Target) -> Vec<Candidate> {
    hooks
        .iter()
        .filter_map(|h| {
            let verdict = h.evaluate(target);
            verdict.applies().then(|| Candidate {
                webhook: h.name.clone(),
                configuration: h.configuration.clone(),
                verdict,
                failure_policy: h.failure_policy.clone(),
                reinvocation_policy: h.reinvocation_policy.clone(),
                side_effects: h.side_effects.clone(),
                known_stripper: known_stripper(&h.configuration, &h.name),
            })
        })
        .collect()
}

/// One sentence naming who did it.
pub fn attribution_text(a: &Attribution) -> String {
    match a {
        Attribution::Defaulting => "Set by the apiserver's defaulting.".into(),
        Attribution::Apiserver { why } => format!("Done by the apiserver: {why}."),
        Attribution::Webhook {
            webhook,
            configuration,
            patch,
        } => format!(
            "Done by webhook {webhook} (configuration {configuration}), by its own patch ({}).",
            patch_summary(patch)
        ),
        Attribution::Webhooks { candidates, also } => {
            let list: Vec<String> = candidates
                .iter()
                .map(|c| {
                    let mut s = format!(
                        "{} (configuration {}, failurePolicy {}, reinvocationPolicy {}",
                        c.webhook, c.configuration, c.failure_policy, c.reinvocation_policy
                    );
                    if let Verdict::MayMatch(why) = &c.verdict {
                        s.push_str(&format!("; may match: {why}"));
                    }
                    if let Some(k) = c.known_stripper {
                        s.push_str(&format!(
                            "; publicly reported to strip restartPolicy: {}",
                            k.project
                        ));
                    }
                    s.push(')');
                    s
                })
                .collect();
            let mut text = if candidates.len() == 1 {
                format!(
                    "Done by the only mutating webhook called for it: {}",
                    list.join("")
                )
            } else {
                format!(
                    "Done by one of the mutating webhooks called for it: {}; run with --blame to name it",
                    list.join(", ")
                )
            };
            if let Some(also) = also {
                text.push_str(&format!(", {also}"));
            }
            text.push('.');
            text
        }
        Attribution::Unknown { why } => format!("Who did it is unknown: {why}."),
    }
}

/// A JSON patch as `op path` pairs, without values (they can be a whole pod spec).
pub fn patch_summary(patch: &Value) -> String {
    let Some(ops) = patch.as_array() else {
        return "not a list of operations".into();
    };
    let mut parts: Vec<String> = ops
        .iter()
        .take(4)
        .map(|op| {
            format!(
                "{} {}",
                op.get("op").and_then(Value::as_str).unwrap_or("?"),
                op.get("path").and_then(Value::as_str).unwrap_or("?")
            )
        })
        .collect();
    if ops.len() > 4 {
        parts.push(format!("and {} more", ops.len() - 4));
    }
    parts.join(", ")
}

/// Two paths where one contains the other: a webhook that added a whole container "made" every
/// field inside it.
pub(super) fn related(a: &Path, b: &Path) -> bool {
    let n = a.0.len().min(b.0.len());
    a.0[..n] == b.0[..n]
}

fn is_init_restart_policy(path: &Path) -> bool {
    matches!(path.container(), Some(("initContainers", _)))
        && matches!(path.in_container(), Some([Seg::Key(k)]) if k == "restartPolicy")
}

/// `restartPolicyRules` of a container, or a rule inside them (ContainerRestartRules).
pub(super) fn is_restart_rules(path: &Path) -> bool {
    matches!(path.in_container(), Some([Seg::Key(k), ..]) if k == "restartPolicyRules")
}
