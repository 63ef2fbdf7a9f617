//! The Kubernetes version skew policy (kubernetes/website
//! content/en/releases/version-skew-policy.md), as pure functions of versions.
//!
//! Only (major, minor) matter. With several apiservers the policy measures against the oldest,
//! so callers pass the oldest version they know of.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::kube::version::KubeVersion;
use crate::kube::versions;

/// One skew verdict: `ok` is None when a version is unknown, so the rule cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Skew {
    pub ok: Option<bool>,
    pub reason: String,
}

impl Skew {
    fn ok(reason: impl Into<String>) -> Self {
        Self {
            ok: Some(true),
            reason: reason.into(),
        }
    }
    fn broken(reason: impl Into<String>) -> Self {
        Self {
            ok: Some(false),
            reason: reason.into(),
        }
    }
    pub fn unknown(reason: impl Into<String>) -> Self {
        Self {
            ok: None,
            reason: reason.into(),
        }
    }
    pub fn is_broken(&self) -> bool {
        self.ok == Some(false)
    }
}

/// How many minors a kubelet (or kube-proxy) may trail the apiserver: 3, but 2 for a kubelet
/// older than 1.25 (the window widened in 1.28, and only for kubelets that are 1.25 or newer).
pub fn kubelet_max_behind(kubelet: KubeVersion) -> i64 {
    if versions::kubelet_wide_skew(kubelet) {
        3
    } else {
        2
    }
}

/// kubelet against the (oldest) kube-apiserver: never newer, at most 3 (or 2) minors older.
pub fn kubelet(kubelet: Option<KubeVersion>, apiserver: Option<KubeVersion>) -> Skew {
    let (Some(k), Some(a)) = (kubelet, apiserver) else {
        return Skew::unknown(missing(kubelet, apiserver, "kubelet"));
    };
    let Some(behind) = k.minors_behind(a) else {
        return Skew::broken(format!(
            "kubelet {k} and apiserver {a} have different major versions"
        ));
    };
    let max = kubelet_max_behind(k);
    if behind < 0 {
        Skew::broken(format!(
            "kubelet {}.{} is newer than the apiserver {}.{}: kubelets must not be newer",
            k.major, k.minor, a.major, a.minor
        ))
    } else if behind > max {
        Skew::broken(format!(
            "kubelet {}.{} is {behind} minors behind the apiserver {}.{}: at most {max} allowed{}",
            k.major,
            k.minor,
            a.major,
            a.minor,
            if max == 2 {
                " for kubelets older than 1.25"
            } else {
                ""
            }
        ))
    } else if behind == 0 {
        Skew::ok("same minor as the apiserver")
    } else {
        Skew::ok(format!(
            "{behind} minor{} behind the apiserver (at most {max} allowed)",
            if behind == 1 { "" } else { "s" }
        ))
    }
}

/// kube-scheduler, kube-controller-manager, cloud-controller-manager against the (oldest)
/// kube-apiserver: never newer, at most 1 minor older.
pub fn control_plane(
    component: &str,
    version: Option<KubeVersion>,
    apiserver: Option<KubeVersion>,
) -> Skew {
    let (Some(c), Some(a)) = (version, apiserver) else {
        return Skew::unknown(missing(version, apiserver, component));
    };
    match c.minors_behind(a) {
        None => Skew::broken(format!(
            "{component} {c} and apiserver {a} have different major versions"
        )),
        Some(b) if b < 0 => Skew::broken(format!(
            "{component} {}.{} is newer than the apiserver {}.{}: it must not be",
            c.major, c.minor, a.major, a.minor
        )),
        Some(b) if b > 1 => Skew::broken(format!(
            "{component} {}.{} is {b} minors behind the apiserver {}.{}: at most 1 allowed",
            c.major, c.minor, a.major, a.minor
        )),
        Some(0) => Skew::ok("same minor as the apiserver"),
        Some(_) => Skew::ok("1 minor behind the apiserver (at most 1 allowed)"),
    }
}

/// kube-apiservers of one HA cluster: within 1 minor of each other.
pub fn apiservers(versions: &[KubeVersion]) -> Skew {
    let (Some(lo), Some(hi)) = (versions.iter().min(), versions.iter().max()) else {
        return Skew::unknown("no apiserver version known");
    };
    match lo.minors_behind(*hi) {
        Some(0) if versions.len() == 1 => Skew::ok("one apiserver version"),
        Some(0) => Skew::ok("all apiservers on the same minor"),
        Some(1) => Skew::ok(format!(
            "apiservers span {}.{} to {}.{} (1 minor allowed, e.g. mid-upgrade)",
            lo.major, lo.minor, hi.major, hi.minor
        )),
        _ => Skew::broken(format!(
            "apiservers span {lo} to {hi}: HA apiservers must be within 1 minor"
        )),
    }
}

fn missing(component: Option<KubeVersion>, apiserver: Option<KubeVersion>, name: &str) -> String {
    match (component, apiserver) {
        (None, None) => format!("neither the {name} nor the apiserver version is known"),
        (None, _) => format!("the {name} version is unknown"),
        _ => "the apiserver version is unknown".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::version::parse;

    fn v(s: &str) -> Option<KubeVersion> {
        Some(parse(s).unwrap())
    }

    /// The policy's own examples and boundaries, as a table: (kubelet, apiserver, ok).
    #[test]
    fn kubelet_rules_from_the_policy() {
        let table = [
            // "kube-apiserver is at 1.37, kubelet is supported at 1.37, 1.36, 1.35, and 1.34"
            ("v1.37.0", "v1.37.2", Some(true)),
            ("v1.36.0", "v1.37.2", Some(true)),
            ("v1.35.9", "v1.37.2", Some(true)),
            ("v1.34.1", "v1.37.2", Some(true)),
            ("v1.33.0", "v1.37.2", Some(false)),
            // Never newer than the apiserver, by minor; a newer patch is fine.
            ("v1.38.0", "v1.37.2", Some(false)),
            ("v1.37.9", "v1.37.2", Some(true)),
            // Below 1.25 only two minors are allowed.
            ("v1.24.17", "v1.26.0", Some(true)),
            ("v1.24.17", "v1.27.0", Some(false)),
            ("v1.25.0", "v1.28.0", Some(true)),
            ("v1.25.16", "v1.29.0", Some(false)),
            ("v1.23.0", "v1.25.0", Some(true)),
            // Vendor suffixes do not matter.
            ("v1.29.3-gke.1093000", "v1.30.2-eks-1552ad0", Some(true)),
            ("v1.31.1+k3s1", "v1.30.2-eks-1552ad0", Some(false)),
        ];
        for (k, a, ok) in table {
            let got = kubelet(v(k), v(a));
            assert_eq!(got.ok, ok, "kubelet {k} vs apiserver {a}: {}", got.reason);
        }
    }

    #[test]
    fn kubelet_reasons_name_the_rule() {
        assert!(
            kubelet(v("1.31.0"), v("1.30.0"))
                .reason
                .contains("newer than the apiserver")
        );
        let r = kubelet(v("1.24.0"), v("1.27.0")).reason;
        assert!(
            r.contains("3 minors behind") && r.contains("older than 1.25"),
            "{r}"
        );
        assert!(kubelet(None, v("1.30.0")).ok.is_none());
        assert!(kubelet(v("1.30.0"), None).ok.is_none());
        assert_eq!(
            kubelet(v("1.30.0"), Some(KubeVersion::new(2, 0, 0))).ok,
            Some(false)
        );
    }

    #[test]
    fn control_plane_rules_from_the_policy() {
        // "kube-apiserver instances are at 1.37 and 1.36: kube-controller-manager,
        // kube-scheduler ... are supported at 1.36" (measured against the oldest).
        let table = [
            ("v1.36.0", "v1.36.0", Some(true)),
            ("v1.35.0", "v1.36.0", Some(true)),
            ("v1.34.0", "v1.36.0", Some(false)),
            ("v1.37.0", "v1.36.0", Some(false)),
        ];
        for (c, a, ok) in table {
            assert_eq!(
                control_plane("kube-scheduler", v(c), v(a)).ok,
                ok,
                "{c} vs {a}"
            );
        }
        assert!(
            control_plane("kube-scheduler", None, v("1.30.0"))
                .ok
                .is_none()
        );
    }

    #[test]
    fn apiservers_within_one_minor() {
        let p = |list: &[&str]| list.iter().map(|s| parse(s).unwrap()).collect::<Vec<_>>();
        assert_eq!(apiservers(&p(&["1.37.0"])).ok, Some(true));
        assert_eq!(apiservers(&p(&["1.37.0", "1.36.4"])).ok, Some(true));
        assert_eq!(apiservers(&p(&["1.37.0", "1.35.4"])).ok, Some(false));
        assert_eq!(apiservers(&[]).ok, None);
    }

    #[test]
    fn kubelet_window() {
        assert_eq!(kubelet_max_behind(parse("1.24.9").unwrap()), 2);
        assert_eq!(kubelet_max_behind(parse("1.25.0").unwrap()), 3);
    }
}
