//! The native-sidecar switches of Istio and Linkerd (pod annotations) and what looks like a
//! misspelling of one. Collection keeps only these annotations (`collect::extract`); doctor's
//! injector checks judge them.

pub const ISTIO_NATIVE: &str = "sidecar.istio.io/nativeSidecar";
/// Newest first; all three are honoured by some Linkerd release (alpha, then beta, then GA).
pub const LINKERD_NATIVE: &[&str] = &[
    "config.linkerd.io/proxy-enable-native-sidecar",
    "config.beta.linkerd.io/proxy-enable-native-sidecar",
    "config.alpha.linkerd.io/proxy-enable-native-sidecar",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mesh {
    Istio,
    Linkerd,
}

/// What an annotation key is to the injectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    /// A key the mesh reads.
    Exact(Mesh),
    /// A key the mesh ignores that looks meant as its switch.
    NearMiss(Mesh),
}

/// The switch `key` is or resembles, if any.
pub fn switch(key: &str) -> Option<Switch> {
    if key == ISTIO_NATIVE {
        return Some(Switch::Exact(Mesh::Istio));
    }
    if LINKERD_NATIVE.contains(&key) {
        return Some(Switch::Exact(Mesh::Linkerd));
    }
    let (prefix, name) = key.rsplit_once('/').unwrap_or(("", key));
    let prefix = prefix.to_lowercase();
    let name = squash(name);
    let linkerd_like = prefix.contains("linkerd") || prefix.contains("l5d");
    let near_linkerd = levenshtein(&name, "proxyenablenativesidecar") <= 4;
    if near_linkerd || (linkerd_like && name.contains("native") && name.contains("sidecar")) {
        return Some(Switch::NearMiss(Mesh::Linkerd));
    }
    let istio_like = prefix.contains("istio");
    if istio_like && (levenshtein(&name, "nativesidecar") <= 3 || name.contains("nativesidecar")) {
        return Some(Switch::NearMiss(Mesh::Istio));
    }
    None
}

/// Go's strconv.ParseBool, which both injectors use for these switches.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("same", "same"), 0);
    }

    #[test]
    fn switches_and_near_misses() {
        assert_eq!(switch(ISTIO_NATIVE), Some(Switch::Exact(Mesh::Istio)));
        assert_eq!(
            switch("config.linkerd.io/proxy-enable-native-sidecars"),
            Some(Switch::NearMiss(Mesh::Linkerd))
        );
        assert_eq!(
            switch("sidecar.istio.io/native-sidecar"),
            Some(Switch::NearMiss(Mesh::Istio))
        );
        assert_eq!(switch("sidecar.istio.io/inject"), None);
    }
}
