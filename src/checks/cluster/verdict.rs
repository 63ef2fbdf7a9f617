//! One component's verdict: can it take part in running native sidecars, and the one-line why.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::kube::gate::{Gate, Source, stage_word};
use crate::kube::version::KubeVersion;
use crate::kube::versions::Phase;

#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Supported,
    Partial,
    Unsupported,
    #[default]
    Unknown,
    /// The cluster's verdict only: nothing examined stands in the way, but something that
    /// decides it could not be examined (see the coverage).
    Incomplete,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Supported => "supported",
            Verdict::Partial => "partial",
            Verdict::Unsupported => "unsupported",
            Verdict::Unknown => "unknown",
            Verdict::Incomplete => "incomplete",
        }
    }

    /// The verdict of several instances of one component: the weakest link decides.
    pub fn combine(verdicts: impl IntoIterator<Item = Verdict>) -> Option<Verdict> {
        let rank = |v: Verdict| match v {
            Verdict::Supported => 0,
            Verdict::Partial => 1,
            Verdict::Unknown | Verdict::Incomplete => 2,
            Verdict::Unsupported => 3,
        };
        verdicts.into_iter().max_by_key(|v| rank(*v))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Kubelet,
    ApiServer,
    Scheduler,
    ControllerManager,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Kubelet => "kubelet",
            Role::ApiServer => "kube-apiserver",
            Role::Scheduler => "kube-scheduler",
            Role::ControllerManager => "kube-controller-manager",
        }
    }

    /// What goes wrong for sidecar pods when this component lacks the feature.
    fn without_feature(self) -> &'static str {
        match self {
            Role::Kubelet => {
                "the kubelet rejects sidecar pods (InitContainerRestartPolicyForbidden)"
            }
            Role::ApiServer => "the apiserver drops restartPolicy from init containers",
            Role::Scheduler => {
                "the scheduler refuses sidecar pods (FailedScheduling: SidecarContainers disabled)"
            }
            Role::ControllerManager => "the controller-manager does not handle sidecars",
        }
    }
}

/// `raw_version` is what the component reported, for the message when it does not parse.
pub fn verdict(
    role: Role,
    raw_version: &str,
    version: Option<KubeVersion>,
    gate: &Gate,
) -> (Verdict, String) {
    let name = role.name();
    // No usable reading: never guess, but say what the version alone would suggest.
    if gate.source == Source::Unknown || gate.enabled.is_none() {
        let hint = match version.map(Phase::of) {
            Some(Phase::NoFeature) => "; by its version alone it predates native sidecars",
            Some(Phase::Locked) => "; by its version alone the gate is locked on",
            Some(Phase::Removed) => "; by its version alone the feature is always on",
            _ => "",
        };
        return (Verdict::Unknown, format!("{}{hint}", gate.reason));
    }
    let Some(v) = version else {
        return (
            Verdict::Unknown,
            format!("{name} version {raw_version:?} cannot be read"),
        );
    };
    let inferred = if gate.source == Source::Version && !gate.reason.is_empty() {
        format!("; {}", gate.reason)
    } else {
        String::new()
    };
    if Phase::of(v) == Phase::NoFeature {
        let effect = match role {
            Role::Kubelet => "a sidecar runs as a classic init container and the pod never starts",
            Role::ApiServer => "it rejects or drops restartPolicy on init containers",
            _ => "it does not know restartable init containers",
        };
        return (
            Verdict::Unsupported,
            format!(
                "{name} {}.{} predates native sidecars (1.28+): {effect}",
                v.major, v.minor
            ),
        );
    }
    if gate.enabled == Some(false) {
        return (
            Verdict::Unsupported,
            format!(
                "SidecarContainers is off: {}{inferred}",
                role.without_feature()
            ),
        );
    }
    let stage = match (Phase::of(v), gate.stage.as_deref()) {
        (Phase::Removed, _) => "always on since 1.37".to_string(),
        (_, Some(stage)) => format!("on ({})", stage_word(stage)),
        (_, None) => "on".to_string(),
    };
    if role == Role::Kubelet && Phase::of(v) == Phase::Alpha {
        return (
            Verdict::Partial,
            format!(
                "1.28 with SidecarContainers on: start-up order works, termination is not ordered (1.29+){inferred}"
            ),
        );
    }
    (
        Verdict::Supported,
        format!(
            "{name} {}.{}: SidecarContainers {stage}{inferred}",
            v.major, v.minor
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::cluster::GateReading;
    use crate::kube::gate::from_reading;
    use crate::kube::version::parse;

    #[derive(Debug, Clone, Copy)]
    enum Reading {
        GateOn,
        GateOff,
        Absent,
        Failed,
    }

    fn reading(r: Reading, minor: u32) -> GateReading {
        let stage = match minor {
            28 => "ALPHA",
            29..=32 => "BETA",
            _ => "",
        };
        match r {
            Reading::GateOn | Reading::GateOff => GateReading::Series {
                stage: stage.into(),
                enabled: matches!(r, Reading::GateOn),
            },
            Reading::Absent => GateReading::NoSeries {
                family: minor >= 26,
            },
            Reading::Failed => GateReading::failed(
                "no answer within 5s",
                crate::facts::coverage::Cause::Timeout,
            ),
        }
    }

    /// Every minor from 1.25 to 1.38 crossed with gate on / off / absent / unknown, for a
    /// kubelet. "on"/"off" before 1.28 or after 1.36 cannot come from a real kubelet; the
    /// version decides there (a kubelet older than 1.28 has no feature whatever it reports).
    #[test]
    fn kubelet_verdict_table() {
        use Reading::*;
        use Verdict::*;
        #[rustfmt::skip]
        let table: &[(u32, [Verdict; 4])] = &[
            //          on           off          absent       unknown
            (25, [Unsupported, Unsupported, Unsupported, Unknown]),
            (26, [Unsupported, Unsupported, Unsupported, Unknown]),
            (27, [Unsupported, Unsupported, Unsupported, Unknown]),
            (28, [Partial,     Unsupported, Unknown,     Unknown]),
            (29, [Supported,   Unsupported, Unknown,     Unknown]),
            (30, [Supported,   Unsupported, Unknown,     Unknown]),
            (31, [Supported,   Unsupported, Unknown,     Unknown]),
            (32, [Supported,   Unsupported, Unknown,     Unknown]),
            (33, [Supported,   Unsupported, Unknown,     Unknown]),
            (34, [Supported,   Unsupported, Unknown,     Unknown]),
            (35, [Supported,   Unsupported, Unknown,     Unknown]),
            (36, [Supported,   Unsupported, Unknown,     Unknown]),
            (37, [Supported,   Unsupported, Supported,   Unknown]),
            (38, [Supported,   Unsupported, Supported,   Unknown]),
        ];
        for (minor, expected) in table {
            for (r, want) in [GateOn, GateOff, Absent, Failed].into_iter().zip(expected) {
                let raw = format!("v1.{minor}.3");
                let version = parse(&raw);
                let gate = from_reading("kubelet", version, &reading(r, *minor));
                let (got, reason) = verdict(Role::Kubelet, &raw, version, &gate);
                assert_eq!(got, *want, "1.{minor} {r:?}: {reason}");
                assert!(
                    !reason.is_empty() && !reason.contains('\n'),
                    "1.{minor} {r:?}"
                );
            }
        }
    }

    #[test]
    fn apiserver_has_no_partial() {
        let version = parse("v1.28.4");
        let gate = from_reading("kube-apiserver", version, &reading(Reading::GateOn, 28));
        assert_eq!(
            verdict(Role::ApiServer, "v1.28.4", version, &gate).0,
            Verdict::Supported
        );
        let gate = from_reading("kube-apiserver", version, &reading(Reading::GateOff, 28));
        let (v, reason) = verdict(Role::ApiServer, "v1.28.4", version, &gate);
        assert_eq!(v, Verdict::Unsupported);
        assert!(reason.contains("drops restartPolicy"), "{reason}");
    }

    #[test]
    fn unparseable_version_is_unknown() {
        let gate = from_reading(
            "kubelet",
            None,
            &GateReading::Series {
                stage: "BETA".into(),
                enabled: true,
            },
        );
        let (v, reason) = verdict(Role::Kubelet, "weird", None, &gate);
        assert_eq!(v, Verdict::Unknown);
        assert!(reason.contains("\"weird\""));
    }

    #[test]
    fn inferred_verdicts_say_so() {
        let version = parse("v1.30.1");
        let gate = from_reading(
            "kubelet",
            version,
            &GateReading::Forbidden {
                permission: "get nodes/proxy".into(),
                message: String::new(),
            },
        );
        let (v, reason) = verdict(Role::Kubelet, "v1.30.1", version, &gate);
        assert_eq!(v, Verdict::Supported);
        assert!(
            reason.contains("assumed") && reason.contains("get nodes/proxy"),
            "{reason}"
        );
    }

    #[test]
    fn unknown_mentions_what_the_version_suggests() {
        let version = parse("v1.34.0");
        let gate = from_reading("kubelet", version, &reading(Reading::Failed, 34));
        let (_, reason) = verdict(Role::Kubelet, "v1.34.0", version, &gate);
        assert!(reason.contains("locked on"), "{reason}");
    }

    #[test]
    fn combine_takes_the_weakest() {
        use Verdict::*;
        assert_eq!(Verdict::combine([Supported, Partial]), Some(Partial));
        assert_eq!(
            Verdict::combine([Supported, Unknown, Partial]),
            Some(Unknown)
        );
        assert_eq!(Verdict::combine([Unknown, Unsupported]), Some(Unsupported));
        assert_eq!(Verdict::combine([]), None);
    }
}
