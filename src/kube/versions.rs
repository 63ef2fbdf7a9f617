//! The one table of version facts: every Kubernetes minor at which something kubectl-sidecar
//! decides with begins, with where that is written down, and the named predicates the checks ask.
//!
//! A cut-off written as a bare `at_least(1, NN)` elsewhere drifts (it did: eight copies); a row
//! here is read by everything that depends on it, and tests/architecture.rs refuses new bare
//! ones. The minors come from /work/shared/k8s-sidecar-facts.md, which names the k/k source of
//! each; later rules (ContainerRestartRules, RestartAllContainersOnContainerExits, sidecar
//! resize) are rows already so that their checks can start from them.

use crate::kube::version::KubeVersion;

/// One behaviour that starts at a minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Since {
    pub major: u32,
    pub minor: u32,
    /// What holds from this minor on.
    pub what: &'static str,
    /// Where it is written down.
    pub source: &'static str,
}

impl Since {
    const fn at(minor: u32, what: &'static str, source: &'static str) -> Since {
        Since {
            major: 1,
            minor,
            what,
            source,
        }
    }

    /// True when `v`'s minor is this one or later (patch and vendor suffix ignored).
    pub fn reached_by(self, v: KubeVersion) -> bool {
        v.at_least(self.major, self.minor)
    }
}

impl std::fmt::Display for Since {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

pub const KUBELET_WIDE_SKEW: Since = Since::at(
    25,
    "a kubelet may trail the apiserver by 3 minors (2 when older than 1.25)",
    "k/w content/en/releases/version-skew-policy.md",
);
pub const FEATURE_METRIC: Since = Since::at(
    26,
    "components export kubernetes_feature_enabled",
    "k/k#112690",
);
pub const SIDECARS_ALPHA: Since = Since::at(
    28,
    "SidecarContainers exists: ALPHA, off by default",
    "k/k pkg/features/kube_features.go; KEP-753",
);
pub const SIDECARS_BETA: Since = Since::at(
    29,
    "SidecarContainers BETA, on by default, can be turned off; ordered sidecar termination",
    "k/k pkg/features/kube_features.go; k/k#120620",
);
pub const SIDECARS_LOCKED: Since = Since::at(
    33,
    "SidecarContainers GA, locked on: setting it false fails start-up",
    "k/k pkg/features/kube_features.go",
);
pub const SIDECARS_GATE_REMOVED: Since = Since::at(
    37,
    "SidecarContainers gate removed, feature always on; naming it fails start-up",
    "k/k#137755, CHANGELOG-1.37",
);
pub const ISTIO_NATIVE_KUBELETS: Since = Since::at(
    33,
    "istiod injects native sidecars only when every node's kubelet is this minor or later",
    "istio#56428",
);
// The rows below (sidecar resize, ContainerRestartRules, RestartAllContainersOnContainerExits)
// were checked against k8s.io/kubernetes v1.37.2 pkg/features/kube_features.go (each gate's
// versioned spec) and pkg/apis/core/validation/validation.go. Only ContainerRestartRules changes
// what a user must do about sidecars (a misplaced `restartPolicy: Always` on a regular container
// restarts forever from 1.35: `app-container-restarts-forever`; webhooks on k8s.io/api
// v0.28-v0.33 drop `restartPolicyRules`: `webhook-drops-restart-rules`). Sidecar resize and
// RestartAllContainers only add what a sidecar may do; nothing breaks without them, so no check
// reports them by default: they are rows so that a check that ever needs them reads one place.
pub const SIDECAR_RESIZE: Since = Since::at(
    33,
    "in-place resize of sidecars (and their resizePolicy) allowed: InPlacePodVerticalScaling BETA, on",
    "k/k v1.37.2 pkg/features/kube_features.go InPlacePodVerticalScaling (alpha 1.27, beta 1.33, GA 1.35); validation.go AllowSidecarResizePolicy; KEP-1287 kep.yaml",
);
pub const CONTAINER_RESTART_RULES_ALPHA: Since = Since::at(
    34,
    "ContainerRestartRules ALPHA, off: restartPolicy and restartPolicyRules on a regular container are dropped",
    "KEP-5307; k/k v1.37.2 pkg/features/kube_features.go ContainerRestartRules {1.34 Alpha false}",
);
pub const CONTAINER_RESTART_RULES_BETA: Since = Since::at(
    35,
    "ContainerRestartRules BETA, on: restartPolicy and restartPolicyRules on regular containers are kept and applied",
    "KEP-5307; k/k v1.37.2 pkg/features/kube_features.go ContainerRestartRules {1.35 Beta true}; validation.go validateContainerRestartPolicy",
);
pub const RESTART_ALL_CONTAINERS_ALPHA: Since = Since::at(
    35,
    "RestartAllContainersOnContainerExits ALPHA, off: action RestartAllContainers in restartPolicyRules",
    "KEP-5532; k/k v1.37.2 pkg/features/kube_features.go RestartAllContainersOnContainerExits {1.35 Alpha false}",
);
pub const RESTART_ALL_CONTAINERS_BETA: Since = Since::at(
    36,
    "RestartAllContainersOnContainerExits BETA, on: sidecars may carry restartPolicyRules",
    "KEP-5532; k/k v1.37.2 pkg/features/kube_features.go RestartAllContainersOnContainerExits {1.36 Beta true}; validation.go AllowRestartAllContainers",
);

/// How many minors kube-scheduler and kube-controller-manager may trail the apiserver (k/w
/// version-skew-policy.md).
pub const CONTROL_PLANE_MAX_BEHIND: u32 = 1;

/// Every row, oldest first.
pub const TABLE: &[Since] = &[
    KUBELET_WIDE_SKEW,
    FEATURE_METRIC,
    SIDECARS_ALPHA,
    SIDECARS_BETA,
    SIDECARS_LOCKED,
    ISTIO_NATIVE_KUBELETS,
    SIDECAR_RESIZE,
    CONTAINER_RESTART_RULES_ALPHA,
    CONTAINER_RESTART_RULES_BETA,
    RESTART_ALL_CONTAINERS_ALPHA,
    RESTART_ALL_CONTAINERS_BETA,
    SIDECARS_GATE_REMOVED,
];

/// Where the SidecarContainers gate stands at a minor, by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Before 1.28: no gate, no feature.
    NoFeature,
    /// 1.28: ALPHA, off by default.
    Alpha,
    /// 1.29-1.32: BETA, on by default, can be turned off.
    Beta,
    /// 1.33-1.36: GA (stage ""), locked on: setting it false fails start-up.
    Locked,
    /// 1.37+: gate removed, feature always on; naming it fails start-up.
    Removed,
}

impl Phase {
    pub fn of(v: KubeVersion) -> Phase {
        if SIDECARS_GATE_REMOVED.reached_by(v) {
            Phase::Removed
        } else if SIDECARS_LOCKED.reached_by(v) {
            Phase::Locked
        } else if SIDECARS_BETA.reached_by(v) {
            Phase::Beta
        } else if SIDECARS_ALPHA.reached_by(v) {
            Phase::Alpha
        } else {
            Phase::NoFeature
        }
    }

    /// The stage label a component of this phase reports, if it reports the series at all.
    pub fn stage(self) -> Option<&'static str> {
        match self {
            Phase::Alpha => Some("ALPHA"),
            Phase::Beta => Some("BETA"),
            Phase::Locked => Some(""),
            Phase::NoFeature | Phase::Removed => None,
        }
    }

    pub fn default_on(self) -> bool {
        matches!(self, Phase::Beta | Phase::Locked | Phase::Removed)
    }
}

/// The component knows native sidecars at all (gated or not): 1.28+.
pub fn has_sidecars(v: KubeVersion) -> bool {
    SIDECARS_ALPHA.reached_by(v)
}

/// The gate cannot be off (locked on, or removed): 1.33+. Nothing is left to verify.
pub fn gate_locked_on(v: KubeVersion) -> bool {
    SIDECARS_LOCKED.reached_by(v)
}

/// The gate exists and may be off (1.28-1.32): only the component's own reading tells.
pub fn gate_may_be_off(v: KubeVersion) -> bool {
    has_sidecars(v) && !gate_locked_on(v)
}

/// The only minor where the feature is ALPHA (off by default, termination not ordered).
pub fn sidecars_alpha(v: KubeVersion) -> bool {
    Phase::of(v) == Phase::Alpha
}

/// With the oldest apiserver at `v`, the skew policy keeps kube-scheduler and
/// kube-controller-manager at a minor whose gate is locked on, whatever their flags say (1.34+).
pub fn control_plane_locked_by_skew(v: KubeVersion) -> bool {
    let lowest_peer = SIDECARS_LOCKED.minor + CONTROL_PLANE_MAX_BEHIND;
    v.minor_only() >= (SIDECARS_LOCKED.major, lowest_peer)
}

/// A kubelet of `v` may trail the apiserver by 3 minors rather than 2.
pub fn kubelet_wide_skew(v: KubeVersion) -> bool {
    KUBELET_WIDE_SKEW.reached_by(v)
}

/// istiod would inject native sidecars for a node whose kubelet is `v`.
pub fn istio_native_kubelet(v: KubeVersion) -> bool {
    ISTIO_NATIVE_KUBELETS.reached_by(v)
}

/// The newest minor with a rule of its own (the table's last row): later minors are judged as
/// this one, and `doctor --offline` applies its rules unless `--target-version` names another.
pub fn newest_known() -> KubeVersion {
    TABLE
        .iter()
        .map(|row| KubeVersion::new(row.major, row.minor, 0))
        .max()
        .unwrap_or(KubeVersion::new(1, 0, 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::version::parse;

    #[test]
    fn the_newest_known_minor_is_the_last_rule() {
        assert_eq!(
            newest_known(),
            KubeVersion::new(1, SIDECARS_GATE_REMOVED.minor, 0)
        );
        assert_eq!(Phase::of(newest_known()), Phase::Removed);
    }

    #[test]
    fn phases_per_minor() {
        for (text, phase) in [
            ("1.25", Phase::NoFeature),
            ("1.27", Phase::NoFeature),
            ("1.28", Phase::Alpha),
            ("1.29", Phase::Beta),
            ("1.32", Phase::Beta),
            ("1.33", Phase::Locked),
            ("1.36", Phase::Locked),
            ("1.37", Phase::Removed),
            ("1.38", Phase::Removed),
            ("0.9", Phase::NoFeature),
            ("2.0", Phase::Removed),
        ] {
            assert_eq!(Phase::of(parse(text).unwrap()), phase, "{text}");
        }
    }

    #[test]
    fn predicates_at_their_edges() {
        let v = |s| parse(s).unwrap();
        assert!(!has_sidecars(v("1.27.9")) && has_sidecars(v("v1.28.0-gke.1")));
        assert!(!gate_locked_on(v("1.32.13")) && gate_locked_on(v("1.33.0")));
        assert!(!gate_may_be_off(v("1.27")) && gate_may_be_off(v("1.28")));
        assert!(gate_may_be_off(v("1.32")) && !gate_may_be_off(v("1.33")));
        assert!(sidecars_alpha(v("1.28.4")) && !sidecars_alpha(v("1.29")));
        assert!(!control_plane_locked_by_skew(v("1.33")));
        assert!(control_plane_locked_by_skew(v("1.34")));
        assert!(control_plane_locked_by_skew(v("2.0")));
        assert!(!kubelet_wide_skew(v("1.24")) && kubelet_wide_skew(v("1.25")));
        assert!(!istio_native_kubelet(v("1.32")) && istio_native_kubelet(v("1.33")));
        // The 1.33-1.37 rows, at the minors kube_features.go gives (v1.37.2).
        for (row, before, from) in [
            (SIDECAR_RESIZE, "1.32.9", "1.33.0"),
            (CONTAINER_RESTART_RULES_ALPHA, "1.33.9", "1.34.0"),
            (CONTAINER_RESTART_RULES_BETA, "1.34.4", "1.35.0"),
            (RESTART_ALL_CONTAINERS_ALPHA, "1.34.4", "1.35.0"),
            (RESTART_ALL_CONTAINERS_BETA, "1.35.3", "1.36.0"),
        ] {
            assert!(
                !row.reached_by(v(before)) && row.reached_by(v(from)),
                "{row:?}"
            );
        }
    }

    #[test]
    fn the_table_is_ordered_and_sourced() {
        for pair in TABLE.windows(2) {
            assert!(
                (pair[0].major, pair[0].minor) <= (pair[1].major, pair[1].minor),
                "{} before {}",
                pair[0].what,
                pair[1].what
            );
        }
        for row in TABLE {
            assert!(!row.source.is_empty() && !row.what.is_empty(), "{row:?}");
        }
    }
}
