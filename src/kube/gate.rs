//! How one component's SidecarContainers reading is interpreted with its version (the phases
//! per minor are in `kube::versions`). An absent series means "too old", "removed" or "cannot
//! tell" depending on the version, never anything on its own.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::facts::cluster::GateReading;
use crate::kube::version::KubeVersion;
use crate::kube::versions::Phase;

pub const GATE: &str = "SidecarContainers";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Read from the component's own `kubernetes_feature_enabled` series.
    Metrics,
    /// Inferred from the component's version (absent series, or metrics not readable).
    Version,
    /// Read from the component's `--feature-gates` flag.
    Flag,
    /// No way to tell; `reason` says why.
    Unknown,
}

/// The gate as the report states it. `enabled` is None when unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Gate {
    pub enabled: Option<bool>,
    /// `ALPHA`, `BETA`, `""` (GA), or null when the component has no gate (before 1.28, 1.37+)
    /// or it is unknown.
    pub stage: Option<String>,
    pub source: Source,
    pub reason: String,
}

impl Gate {
    fn unknown(reason: String) -> Gate {
        Gate {
            enabled: None,
            stage: None,
            source: Source::Unknown,
            reason,
        }
    }

    fn inferred(phase: Phase, enabled: bool, reason: String) -> Gate {
        Gate {
            enabled: Some(enabled),
            stage: phase.stage().map(str::to_string),
            source: Source::Version,
            reason,
        }
    }
}

/// Human words for a stage label: GA is the empty string in the metric.
pub fn stage_word(stage: &str) -> &str {
    if stage.is_empty() { "GA" } else { stage }
}

/// Interprets what reading `component`'s metrics gave, with its version.
pub fn from_reading(component: &str, version: Option<KubeVersion>, reading: &GateReading) -> Gate {
    match reading {
        GateReading::Series { stage, enabled } => Gate {
            enabled: Some(*enabled),
            stage: Some(stage.clone()),
            source: Source::Metrics,
            reason: format!(
                "metrics: {GATE} {} ({})",
                if *enabled { "on" } else { "off" },
                stage_word(stage)
            ),
        },
        GateReading::NoSeries { family } => {
            let what = if *family {
                format!("metrics have no {GATE} series")
            } else {
                "metrics have no kubernetes_feature_enabled family (added in 1.26)".to_string()
            };
            let Some(v) = version else {
                return Gate::unknown(format!("{what} and the {component} version is unknown"));
            };
            match Phase::of(v) {
                Phase::NoFeature => Gate::inferred(
                    Phase::NoFeature,
                    false,
                    format!("{what}: {component} {v} predates the gate (added in 1.28)"),
                ),
                Phase::Removed => Gate::inferred(
                    Phase::Removed,
                    true,
                    format!("{what}: the gate was removed in 1.37"),
                ),
                // 1.28-1.36 always report the series; its absence (an emulated older version,
                // a trimmed metrics pipeline) leaves us unable to tell.
                _ => Gate::unknown(format!(
                    "{what}, which {component} {v} should report: cannot tell"
                )),
            }
        }
        GateReading::Forbidden { permission, .. } => {
            let why = format!("metrics not readable (needs {permission})");
            let Some(v) = version else {
                return Gate::unknown(format!("{why} and the {component} version is unknown"));
            };
            let phase = Phase::of(v);
            let reason = match phase {
                Phase::NoFeature => format!("{component} {v} predates the gate; {why}"),
                Phase::Alpha => {
                    format!(
                        "assumed off, the 1.28 default (ALPHA) that may have been changed; {why}"
                    )
                }
                Phase::Beta => format!(
                    "assumed on, the {}.{} default (BETA) that may have been turned off; {why}",
                    v.major, v.minor
                ),
                Phase::Locked => format!("locked on in 1.33-1.36; {why}"),
                // The verdict already says "always on since 1.37": the version decides alone.
                Phase::Removed => why,
            };
            Gate::inferred(phase, phase.default_on(), reason)
        }
        GateReading::Failed { reason, .. } | GateReading::Skipped { reason, .. } => {
            Gate::unknown(reason.clone())
        }
    }
}

/// Interprets a control-plane pod's `--feature-gates` values (later ones override), falling
/// back on the version's default. `AllAlpha`/`AllBeta` apply when the gate is at that stage.
pub fn from_flags(component: &str, version: Option<KubeVersion>, feature_gates: &[String]) -> Gate {
    let mut explicit = None;
    let mut all_alpha = None;
    let mut all_beta = None;
    for value in feature_gates {
        for pair in value.split(',') {
            let Some((key, val)) = pair.split_once('=') else {
                continue;
            };
            let Ok(on) = val.trim().parse::<bool>() else {
                continue;
            };
            match key.trim() {
                GATE => explicit = Some(on),
                "AllAlpha" => all_alpha = Some(on),
                "AllBeta" => all_beta = Some(on),
                _ => {}
            }
        }
    }
    let phase = version.map(Phase::of);
    let stage = phase.and_then(Phase::stage).map(str::to_string);
    if let Some(on) = explicit {
        let note = match phase {
            Some(Phase::Locked) if !on => {
                ": a 1.33-1.36 component refuses to start with it locked off"
            }
            Some(Phase::Removed) => ": 1.37+ refuses to start with an unrecognized feature gate",
            Some(Phase::NoFeature) => ": the component predates the gate",
            _ => "",
        };
        return Gate {
            enabled: Some(on && phase != Some(Phase::NoFeature)),
            stage,
            source: Source::Flag,
            reason: format!("--feature-gates={GATE}={on}{note}"),
        };
    }
    let Some(phase) = phase else {
        return Gate::unknown(format!(
            "{component} version unknown and --feature-gates does not set {GATE}"
        ));
    };
    let group = match phase {
        Phase::Alpha => all_alpha.map(|on| ("AllAlpha", on)),
        Phase::Beta => all_beta.map(|on| ("AllBeta", on)),
        _ => None,
    };
    if let Some((name, on)) = group {
        return Gate {
            enabled: Some(on),
            stage,
            source: Source::Flag,
            reason: format!("--feature-gates={name}={on}"),
        };
    }
    let v = version.map(|v| v.to_string()).unwrap_or_default();
    let reason = match phase {
        Phase::NoFeature => format!("{component} {v} predates the gate (added in 1.28)"),
        Phase::Alpha => format!("{GATE} not in --feature-gates: off by default in 1.28"),
        Phase::Beta => format!("{GATE} not in --feature-gates: on by default (BETA)"),
        Phase::Locked => "locked on in 1.33-1.36".to_string(),
        Phase::Removed => "always on since 1.37".to_string(),
    };
    Gate::inferred(phase, phase.default_on(), reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::version::parse;

    fn v(s: &str) -> Option<KubeVersion> {
        parse(s)
    }

    #[test]
    fn series_wins_and_says_so() {
        let g = from_reading(
            "kubelet",
            v("1.30.0"),
            &GateReading::Series {
                stage: "BETA".into(),
                enabled: false,
            },
        );
        assert_eq!(g.enabled, Some(false));
        assert_eq!(g.source, Source::Metrics);
        assert_eq!(g.stage.as_deref(), Some("BETA"));
    }

    #[test]
    fn absent_series_is_read_with_the_version() {
        let absent = GateReading::NoSeries { family: true };
        let old = from_reading("kubelet", v("1.27.3"), &absent);
        assert_eq!((old.enabled, old.source), (Some(false), Source::Version));
        let removed = from_reading("kubelet", v("1.37.2"), &absent);
        assert_eq!(
            (removed.enabled, removed.source),
            (Some(true), Source::Version)
        );
        assert_eq!(removed.stage, None);
        for middle in ["1.28.0", "1.30.1", "1.36.3"] {
            let g = from_reading("kubelet", v(middle), &absent);
            assert_eq!((g.enabled, g.source), (None, Source::Unknown), "{middle}");
        }
        let g = from_reading("kubelet", None, &absent);
        assert_eq!(g.source, Source::Unknown);
        let no_family = from_reading(
            "kubelet",
            v("1.25.0"),
            &GateReading::NoSeries { family: false },
        );
        assert!(
            no_family.reason.contains("added in 1.26"),
            "{}",
            no_family.reason
        );
    }

    #[test]
    fn forbidden_infers_from_the_version_and_names_the_permission() {
        let forbidden = GateReading::Forbidden {
            permission: "get nodes/proxy".into(),
            message: "nodes \"n\" is forbidden".into(),
        };
        let table = [
            ("1.27.0", Some(false), None),
            ("1.28.0", Some(false), Some("ALPHA")),
            ("1.29.0", Some(true), Some("BETA")),
            ("1.33.0", Some(true), Some("")),
            ("1.37.0", Some(true), None),
        ];
        for (version, enabled, stage) in table {
            let g = from_reading("kubelet", v(version), &forbidden);
            assert_eq!(g.enabled, enabled, "{version}");
            assert_eq!(g.stage.as_deref(), stage, "{version}");
            assert_eq!(g.source, Source::Version);
            assert!(g.reason.contains("get nodes/proxy"), "{}", g.reason);
        }
        assert_eq!(
            from_reading("kubelet", None, &forbidden).source,
            Source::Unknown
        );
    }

    #[test]
    fn failures_are_unknown_with_their_reason() {
        for reading in [
            GateReading::failed(
                "no answer within 5s",
                crate::facts::coverage::Cause::Timeout,
            ),
            GateReading::skipped("node is NotReady", crate::facts::coverage::Cause::NotAsked),
        ] {
            let g = from_reading("kubelet", v("1.33.0"), &reading);
            assert_eq!(g.enabled, None);
            assert_eq!(g.source, Source::Unknown);
            assert!(!g.reason.is_empty());
        }
    }

    #[test]
    fn flags() {
        let f = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let g = from_flags(
            "kube-scheduler",
            v("1.30.2"),
            &f(&["SidecarContainers=false"]),
        );
        assert_eq!((g.enabled, g.source), (Some(false), Source::Flag));
        // A later flag overrides an earlier one, as component-base parses them.
        let g = from_flags(
            "kube-scheduler",
            v("1.30.2"),
            &f(&["SidecarContainers=false", "Foo=true,SidecarContainers=true"]),
        );
        assert_eq!(g.enabled, Some(true));
        let g = from_flags("kube-scheduler", v("1.30.2"), &f(&["AllBeta=false"]));
        assert_eq!((g.enabled, g.source), (Some(false), Source::Flag));
        let g = from_flags("kube-scheduler", v("1.28.2"), &f(&["AllAlpha=true"]));
        assert_eq!((g.enabled, g.source), (Some(true), Source::Flag));
        // AllAlpha does not touch a BETA gate.
        let g = from_flags("kube-scheduler", v("1.30.2"), &f(&["AllAlpha=false"]));
        assert_eq!((g.enabled, g.source), (Some(true), Source::Version));
        let g = from_flags("kube-scheduler", v("1.28.2"), &[]);
        assert_eq!((g.enabled, g.source), (Some(false), Source::Version));
        let g = from_flags("kube-scheduler", v("1.34.0"), &[]);
        assert_eq!((g.enabled, g.source), (Some(true), Source::Version));
        let g = from_flags("kube-scheduler", None, &[]);
        assert_eq!(g.source, Source::Unknown);
        let g = from_flags("kube-scheduler", None, &f(&["SidecarContainers=true"]));
        assert_eq!((g.enabled, g.source), (Some(true), Source::Flag));
        let g = from_flags(
            "kube-scheduler",
            v("1.27.0"),
            &f(&["SidecarContainers=true"]),
        );
        assert_eq!(g.enabled, Some(false));
        // Garbage in the flag is ignored, not fatal.
        let g = from_flags(
            "kube-scheduler",
            v("1.30.0"),
            &f(&["=,SidecarContainers=maybe,,"]),
        );
        assert_eq!((g.enabled, g.source), (Some(true), Source::Version));
    }
}
