//! Kubernetes version strings as clusters report them, vendor suffixes included.
//!
//! Feature availability and the skew policy depend on (major, minor) only; patch is kept for
//! advisories. Vendor builds append suffixes (`-gke.1093000`, `-eks-1552ad0`, `+k3s1`,
//! `-rc.1`) that semver would order as pre-releases, so they are dropped, never compared.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct KubeVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl KubeVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// The (major, minor) pair that feature stages and skew rules are keyed on.
    pub const fn minor_only(self) -> (u32, u32) {
        (self.major, self.minor)
    }

    /// True when this version's minor is `major.minor` or later (patch ignored).
    pub fn at_least(self, major: u32, minor: u32) -> bool {
        self.minor_only() >= (major, minor)
    }

    /// How many minors `self` is behind `other` (negative when ahead). Only meaningful within
    /// one major, which is all Kubernetes has had; across majors it returns None.
    pub fn minors_behind(self, other: KubeVersion) -> Option<i64> {
        (self.major == other.major).then(|| i64::from(other.minor) - i64::from(self.minor))
    }
}

/// Parses `v1.29.3-gke.1093000`, `v1.30.2-eks-1552ad0`, `v1.31.1+k3s1`, `1.28`,
/// `v1.33.0-rc.1`, and `/version`'s old `minor: "28+"` style. Returns None for anything that
/// does not start with `[v]MAJOR.MINOR`.
pub fn parse(s: &str) -> Option<KubeVersion> {
    let s = s.trim();
    let s = s
        .strip_prefix('v')
        .or_else(|| s.strip_prefix('V'))
        .unwrap_or(s);
    // The numeric core ends at the first character that is neither a digit nor a dot.
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let core = &s[..end];
    let mut parts = core.split('.');
    let major = number(parts.next()?)?;
    let minor = number(parts.next()?)?;
    let patch = match parts.next() {
        None => 0,
        Some(p) => number(p)?,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(KubeVersion::new(major, minor, patch))
}

fn number(part: &str) -> Option<u32> {
    if part.is_empty() || part.len() > 9 {
        return None;
    }
    part.parse().ok()
}

impl KubeVersion {
    /// The one form every output uses for a parsed version: as `gitVersion` spells it, without
    /// a vendor suffix (`v1.34.4`).
    pub fn tag(&self) -> String {
        format!("v{self}")
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_suffixes() {
        let cases = [
            ("v1.29.3-gke.1093000", (1, 29, 3)),
            ("v1.30.2-eks-1552ad0", (1, 30, 2)),
            ("v1.31.1+k3s1", (1, 31, 1)),
            ("v1.32.4+rke2r1", (1, 32, 4)),
            ("1.28", (1, 28, 0)),
            ("v1.33.0-rc.1", (1, 33, 0)),
            ("v1.27.16-gke.1287000", (1, 27, 16)),
            ("v1.34.1-aks", (1, 34, 1)),
            ("  v1.36.3\n", (1, 36, 3)),
            ("1.28+", (1, 28, 0)),
            ("v1.37.2", (1, 37, 2)),
        ];
        for (text, (major, minor, patch)) in cases {
            assert_eq!(
                parse(text),
                Some(KubeVersion::new(major, minor, patch)),
                "{text}"
            );
        }
    }

    #[test]
    fn garbage_is_none() {
        for text in [
            "",
            "v",
            "latest",
            "v1",
            "1.",
            ".28",
            "v1..3",
            "1.2.3.4",
            "v99999999999.1",
            "gke-1.29",
            "1,28",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn display_drops_the_suffix() {
        assert_eq!(parse("v1.29.3-gke.1093000").unwrap().to_string(), "1.29.3");
    }

    #[test]
    fn comparisons_use_numbers_not_text() {
        let a = parse("v1.9.0").unwrap();
        let b = parse("v1.10.0").unwrap();
        assert!(a < b);
        assert!(b.at_least(1, 10));
        assert!(!a.at_least(1, 10));
        // Patch and suffix do not change the minor-only view.
        assert_eq!(
            parse("v1.29.3-gke.1").unwrap().minor_only(),
            parse("v1.29.0").unwrap().minor_only()
        );
        assert_eq!(a.minors_behind(b), Some(1));
        assert_eq!(b.minors_behind(a), Some(-1));
        assert_eq!(a.minors_behind(KubeVersion::new(2, 0, 0)), None);
    }

    #[test]
    fn serde_round_trip() {
        let v = parse("v1.31.1+k3s1").unwrap();
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, r#"{"major":1,"minor":31,"patch":1}"#);
        assert_eq!(serde_json::from_str::<KubeVersion>(&json).unwrap(), v);
    }
}
