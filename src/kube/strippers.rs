//! Mutating webhooks publicly reported to strip `restartPolicy` from init containers (built on
//! k8s.io/api older than v0.28, they re-encode the whole pod). Source: the facts file
//! (../shared/k8s-sidecar-facts.md), from gcs-fuse-csi-driver docs/known-issues.md and the
//! issues it names.

use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct KnownStripper {
    /// What the webhook belongs to.
    pub project: &'static str,
    /// Versions affected / where it was reported.
    pub report: &'static str,
}

enum Pattern {
    /// The webhook's name, exactly.
    Webhook(&'static str),
    /// A word in the configuration's or the webhook's name, for projects whose names vary.
    Contains(&'static str),
}

const KNOWN: &[(Pattern, KnownStripper)] = &[
    (
        Pattern::Webhook("pod-identity-webhook.amazonaws.com"),
        KnownStripper {
            project: "amazon-eks-pod-identity-webhook",
            report: "aws/amazon-eks-pod-identity-webhook#208; fixed in builds with k8s libraries v0.29.1",
        },
    ),
    (
        Pattern::Webhook("pod-admission-controller.spiffe.gke.io"),
        KnownStripper {
            project: "GKE managed workload identities",
            report: "gcs-fuse-csi-driver docs/known-issues.md",
        },
    ),
    (
        Pattern::Webhook("istio-inject.webhook.crfa.internal.knative.dev"),
        KnownStripper {
            project: "Cloud Run for Anthos",
            report: "gcs-fuse-csi-driver docs/known-issues.md",
        },
    ),
    (
        Pattern::Webhook("gtoken.doit-intl.com"),
        KnownStripper {
            project: "gtoken",
            report: "gcs-fuse-csi-driver docs/known-issues.md",
        },
    ),
    (
        Pattern::Webhook("k8s-image-swapper.github.io"),
        KnownStripper {
            project: "k8s-image-swapper",
            report: "versions before v1.5.10 (gcs-fuse-csi-driver docs/known-issues.md)",
        },
    ),
    (
        Pattern::Webhook("logsidecar-injector.logging.kubesphere.io"),
        KnownStripper {
            project: "kubesphere logsidecar-injector",
            report: "gcs-fuse-csi-driver docs/known-issues.md",
        },
    ),
    (
        Pattern::Webhook("secrets-init.doit-intl.com"),
        KnownStripper {
            project: "kube-secrets-init",
            report: "doitintl/kube-secrets-init#53",
        },
    ),
    (
        Pattern::Contains("kube-image-keeper"),
        KnownStripper {
            project: "kube-image-keeper",
            report: "v1.11.0 (enix/kube-image-keeper#457)",
        },
    ),
    (
        Pattern::Contains("berglas"),
        KnownStripper {
            project: "berglas (webhook built on the slok/kubewebhook examples)",
            report: "GoogleCloudPlatform/berglas#264",
        },
    ),
];

pub fn known_stripper(configuration: &str, webhook: &str) -> Option<KnownStripper> {
    KNOWN.iter().find_map(|(pattern, known)| {
        let hit = match pattern {
            Pattern::Webhook(name) => webhook == *name,
            Pattern::Contains(word) => configuration.contains(word) || webhook.contains(word),
        };
        hit.then_some(*known)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_names_and_words() {
        assert_eq!(
            known_stripper("pod-identity-webhook", "pod-identity-webhook.amazonaws.com")
                .map(|k| k.project),
            Some("amazon-eks-pod-identity-webhook")
        );
        assert!(known_stripper("kube-image-keeper-mutating-webhook", "mutate.x").is_some());
        assert!(known_stripper("x", "gtoken.doit-intl.com").is_some());
        assert!(known_stripper("x", "evil.gtoken.doit-intl.com").is_none());
        assert!(known_stripper("istio-sidecar-injector", "sidecar-injector.istio.io").is_none());
    }
}
