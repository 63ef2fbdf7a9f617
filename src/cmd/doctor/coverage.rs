//! What to do about a coverage gap, as doctor words it (the sections and the gaps themselves are
//! recorded by collection, `kube::collect::coverage`).

use crate::facts::coverage::{Cause, Gap};
use crate::kube::collect::coverage::NODES;

/// What to do about a gap, following its cause; names what it is about. Kubelet gaps (check-nodes
/// names them `kubelet ...`) point at the kubelets, never at a permission unless RBAC refused.
pub fn remedy(gap: &Gap) -> String {
    let what = &gap.what;
    let kubelet = if gap.what.starts_with("kubelet") {
        NODES
    } else {
        ""
    };
    match (gap.cause, kubelet) {
        (Cause::Forbidden, _) => match &gap.permission {
            Some(p) => format!("Grant `{p}` to the user running doctor, then run it again"),
            None => "Grant the missing permission to the user running doctor".to_string(),
        },
        (Cause::Unreachable, NODES) => format!(
            "{what}: the apiserver's node proxy could not reach the kubelet ({}); check that the kubelet runs and that the apiserver can reach its port",
            gap.detail
        ),
        (Cause::Timeout, NODES) => format!(
            "{what}: the kubelet did not answer in time ({}); check its load and the network path to it, or raise --timeout",
            gap.detail
        ),
        (Cause::ServerError | Cause::Error, NODES) => {
            format!(
                "{what}: the kubelet's answer was unusable ({}); check the kubelet",
                gap.detail
            )
        }
        (Cause::NotAsked, NODES) => format!(
            "{what}: {}; bring the nodes back to Ready (or remove them), then run doctor again",
            gap.detail
        ),
        (Cause::Timeout, _) => format!(
            "{what}: {}; check the apiserver's load, or raise --request-timeout / --timeout",
            gap.detail
        ),
        (Cause::ServerError, _) => format!(
            "{what}: the apiserver failed ({}); check its health and logs",
            gap.detail
        ),
        (Cause::Unreachable, _) => format!(
            "{what}: could not be reached ({}); check the apiserver (or the webhook it calls) and the network path to it",
            gap.detail
        ),
        (Cause::NotFound, _) => format!("{what}: not found ({})", gap.detail),
        (Cause::NotAsked | Cause::Error, _) => format!("{what}: {}", gap.detail),
        (Cause::Offline, _) => format!(
            "{what}: not examined offline; run `kubectl sidecar doctor` against the cluster"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remedies_follow_the_cause_and_name_the_nodes() {
        let refused = Gap::new(
            "kubelet metrics of a, b",
            Cause::Unreachable,
            "HTTP 503: dial tcp 10.0.0.2:10250: connect: connection refused",
        );
        let fix = remedy(&refused);
        assert!(!fix.contains("Grant"), "{fix}");
        assert!(
            fix.contains("a, b") && fix.contains("connection refused"),
            "{fix}"
        );
        assert!(fix.contains("kubelet runs"), "{fix}");
        let forbidden = Gap::forbidden("kubelet metrics of c", "get nodes/proxy", "403");
        assert!(remedy(&forbidden).starts_with("Grant `get nodes/proxy`"));
        let list = Gap::new("list nodes", Cause::Timeout, "no answer within 30s");
        let fix = remedy(&list);
        assert!(
            fix.contains("apiserver") && !fix.contains("kubelet"),
            "{fix}"
        );
    }
}
