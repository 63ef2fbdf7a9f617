//! What admission would do to a pod, as plain data: the apiserver's version and gate (does it
//! keep `restartPolicy` on init containers?), the mutating webhooks, and the answer of a dry-run
//! create. diff-pod and doctor both collect it (`kube::admission`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::facts::coverage::Gap;
use crate::kube::gate::{self as shown, GATE, Source, stage_word};
use crate::kube::version::KubeVersion;
use crate::kube::versions::{self, Phase};
use crate::kube::webhooks::Webhook;

/// Serialized as every command shows an apiserver: `version` parsed (`v1.34.4`), `gitVersion`
/// as reported, and the gate in check-nodes' shape (`kube::gate::Gate`).
#[derive(Debug, Clone)]
pub struct Apiserver {
    /// `/version`'s gitVersion, as reported.
    pub version: Option<String>,
    pub gate: Gate,
    /// Whether the gate had to be read from `/metrics` (1.28-1.32).
    pub metrics_read: bool,
    /// Why `/metrics` could not be read, when it had to be.
    pub gap: Option<Gap>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct ApiserverShown {
    version: Option<String>,
    git_version: Option<String>,
    gate: shown::Gate,
}

impl Apiserver {
    fn shown(&self) -> ApiserverShown {
        let parsed = self
            .version
            .as_deref()
            .and_then(crate::kube::version::parse);
        ApiserverShown {
            version: parsed.map(|v| v.tag()),
            git_version: self.version.clone(),
            gate: self.gate.shown(parsed),
        }
    }
}

impl Serialize for Apiserver {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.shown().serialize(s)
    }
}

/// The apiserver as a snapshot keeps it: every field, not the shown form, so that a reader
/// decides exactly as the live run did.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SavedApiserver {
    version: Option<String>,
    gate: Gate,
    metrics_read: bool,
    #[serde(default)]
    gap: Option<Gap>,
}

/// `#[serde(with)]` for a saved `Apiserver` (its own `Serialize` is the shown form).
pub mod saved {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{Apiserver, SavedApiserver};

    pub fn serialize<S: Serializer>(a: &Apiserver, s: S) -> Result<S::Ok, S::Error> {
        SavedApiserver {
            version: a.version.clone(),
            gate: a.gate.clone(),
            metrics_read: a.metrics_read,
            gap: a.gap.clone(),
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Apiserver, D::Error> {
        let saved = SavedApiserver::deserialize(d)?;
        Ok(Apiserver {
            version: saved.version,
            gate: saved.gate,
            metrics_read: saved.metrics_read,
            gap: saved.gap,
        })
    }
}

impl JsonSchema for Apiserver {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Apiserver".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        ApiserverShown::json_schema(generator)
    }
}

/// The apiserver's SidecarContainers gate, decided from its version and `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum Gate {
    /// Older than 1.28: the field does not exist for this apiserver and is dropped.
    Unsupported,
    On {
        stage: String,
    },
    Off {
        stage: String,
    },
    /// 1.33+: locked on (GA) or removed (1.37+); it cannot be off.
    AlwaysOn,
    Unknown {
        why: String,
    },
}

impl Gate {
    /// Decides from the version and, for 1.28-1.32, the metric's series.
    pub fn decide(
        version: Option<KubeVersion>,
        series: Result<Option<(String, bool)>, String>,
    ) -> Gate {
        let Some(v) = version else {
            return Gate::Unknown {
                why: "the apiserver's version could not be read".into(),
            };
        };
        if !versions::has_sidecars(v) {
            return Gate::Unsupported;
        }
        if versions::gate_locked_on(v) {
            return Gate::AlwaysOn;
        }
        match series {
            Ok(Some((stage, true))) => Gate::On { stage },
            Ok(Some((stage, false))) => Gate::Off { stage },
            Ok(None) => Gate::Unknown {
                why: "its /metrics has no kubernetes_feature_enabled series for SidecarContainers"
                    .into(),
            },
            Err(why) => Gate::Unknown { why },
        }
    }

    /// The gate as check-nodes states one: enabled, stage, source and reason.
    pub fn shown(&self, version: Option<KubeVersion>) -> shown::Gate {
        let gate =
            |enabled: Option<bool>, stage: Option<String>, source, reason: String| shown::Gate {
                enabled,
                stage,
                source,
                reason,
            };
        let metrics = |on: bool, stage: &String| {
            gate(
                Some(on),
                Some(stage.clone()),
                Source::Metrics,
                format!(
                    "metrics: {GATE} {} ({})",
                    if on { "on" } else { "off" },
                    stage_word(stage)
                ),
            )
        };
        match self {
            Gate::Unsupported => gate(
                Some(false),
                None,
                Source::Version,
                "the apiserver predates the gate (added in 1.28)".into(),
            ),
            Gate::On { stage } => metrics(true, stage),
            Gate::Off { stage } => metrics(false, stage),
            Gate::AlwaysOn => {
                let phase = version.map(Phase::of);
                let reason = match phase {
                    Some(Phase::Removed) => "the gate was removed in 1.37: always on",
                    _ => "locked on (GA) in 1.33-1.36",
                };
                gate(
                    Some(true),
                    phase.and_then(Phase::stage).map(str::to_string),
                    Source::Version,
                    reason.into(),
                )
            }
            Gate::Unknown { why } => gate(None, None, Source::Unknown, why.clone()),
        }
    }

    /// Why the apiserver itself drops `restartPolicy` from init containers, if it does.
    pub fn strips(&self, version: Option<&str>) -> Option<String> {
        let v = version.unwrap_or("?");
        match self {
            Gate::Unsupported => Some(format!(
                "the apiserver is {v}, older than 1.28: it does not know restartPolicy on init containers and drops it"
            )),
            Gate::Off { .. } => Some(format!(
                "the apiserver ({v}) runs with the SidecarContainers feature gate off: it drops restartPolicy from init containers"
            )),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Webhooks {
    pub items: Vec<Webhook>,
    /// Why the list could not be read (attribution then stays open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Gap>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "result")]
pub enum Outcome {
    /// The dry run's answer (or the live pod): the pod as stored.
    Admitted {
        pod: Value,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        warnings: Vec<String>,
    },
    /// The create was refused; `code`, `reason` and `message` from the apiserver's Status.
    Rejected {
        code: u16,
        reason: String,
        message: String,
    },
    /// Nothing to compare with.
    NotRun { why: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(minor: u32) -> Option<KubeVersion> {
        Some(KubeVersion::new(1, minor, 0))
    }

    #[test]
    fn gate_from_version_and_metric() {
        assert_eq!(Gate::decide(v(27), Ok(None)), Gate::Unsupported);
        assert_eq!(
            Gate::decide(v(30), Ok(Some(("BETA".into(), false)))),
            Gate::Off {
                stage: "BETA".into()
            }
        );
        assert_eq!(
            Gate::decide(v(28), Ok(Some(("ALPHA".into(), true)))),
            Gate::On {
                stage: "ALPHA".into()
            }
        );
        assert_eq!(Gate::decide(v(33), Err("forbidden".into())), Gate::AlwaysOn);
        assert_eq!(Gate::decide(v(37), Ok(None)), Gate::AlwaysOn);
        assert!(matches!(
            Gate::decide(v(31), Err("forbidden".into())),
            Gate::Unknown { .. }
        ));
        assert!(matches!(
            Gate::decide(v(31), Ok(None)),
            Gate::Unknown { .. }
        ));
        assert!(matches!(Gate::decide(None, Ok(None)), Gate::Unknown { .. }));
    }

    #[test]
    fn only_old_or_gate_off_apiservers_strip() {
        assert!(Gate::Unsupported.strips(Some("v1.27.3")).is_some());
        assert!(
            Gate::Off {
                stage: "BETA".into()
            }
            .strips(None)
            .is_some()
        );
        assert!(Gate::AlwaysOn.strips(None).is_none());
        assert!(Gate::Unknown { why: "x".into() }.strips(None).is_none());
    }
}
