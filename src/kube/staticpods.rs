//! Control-plane static pods (kubeadm style) in kube-system: which component a pod is, its
//! version from the image tag, and the flags that matter from its command line.

use std::collections::BTreeMap;

use crate::kube::version::{self, KubeVersion};

pub const COMPONENTS: &[&str] = &[
    "kube-apiserver",
    "kube-scheduler",
    "kube-controller-manager",
];

/// The component a kube-system pod runs: kubeadm's `component` label, else the name prefix
/// static pods get (`<component>-<node>`).
pub fn component_of(name: &str, labels: &BTreeMap<String, String>) -> Option<&'static str> {
    if let Some(c) = labels.get("component")
        && let Some(known) = COMPONENTS.iter().find(|k| *k == c)
    {
        return Some(known);
    }
    COMPONENTS
        .iter()
        .find(|c| {
            name.strip_prefix(**c)
                .is_some_and(|rest| rest.starts_with('-'))
        })
        .copied()
}

/// The version in an image reference's tag: `registry.k8s.io/kube-scheduler:v1.30.2`,
/// `…:v1.29.3-gke.1093000@sha256:…`. None for a digest-only or non-version tag.
pub fn image_version(image: &str) -> Option<KubeVersion> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let (_, tag) = last.rsplit_once(':')?;
    version::parse(tag)
}

/// Every value of `--flag=value` or `--flag value` in a command line, in order.
pub fn flag_values(args: &[String], flag: &str) -> Vec<String> {
    let long = format!("--{flag}");
    let with_eq = format!("--{flag}=");
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        // A shell wrapper (`sh -c "kube-scheduler --feature-gates=…"`) packs flags in one arg.
        for word in arg.split_whitespace() {
            if let Some(v) = word.strip_prefix(&with_eq) {
                out.push(v.trim_matches(['"', '\'']).to_string());
            } else if word == long
                && arg.split_whitespace().count() == 1
                && let Some(next) = it.next()
            {
                out.push(next.clone());
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components() {
        let none = BTreeMap::new();
        assert_eq!(
            component_of("kube-scheduler-cp-1", &none),
            Some("kube-scheduler")
        );
        assert_eq!(
            component_of("kube-controller-manager-cp-1.example", &none),
            Some("kube-controller-manager")
        );
        assert_eq!(
            component_of("kube-apiserver-cp-1", &none),
            Some("kube-apiserver")
        );
        assert_eq!(component_of("kube-proxy-x2x9q", &none), None);
        assert_eq!(component_of("kube-schedulerx", &none), None);
        let labelled: BTreeMap<_, _> = [("component".to_string(), "kube-scheduler".to_string())]
            .into_iter()
            .collect();
        assert_eq!(component_of("my-sched", &labelled), Some("kube-scheduler"));
        let other: BTreeMap<_, _> = [("component".to_string(), "etcd".to_string())]
            .into_iter()
            .collect();
        assert_eq!(component_of("etcd-cp-1", &other), None);
    }

    #[test]
    fn image_tags() {
        let v = |s: &str| image_version(s).map(|v| v.to_string());
        assert_eq!(
            v("registry.k8s.io/kube-scheduler:v1.30.2").as_deref(),
            Some("1.30.2")
        );
        assert_eq!(
            v("localhost:5000/kube-scheduler:v1.29.3-gke.1093000@sha256:abc").as_deref(),
            Some("1.29.3")
        );
        assert_eq!(v("localhost:5000/kube-scheduler@sha256:abc"), None);
        assert_eq!(v("localhost:5000/kube-scheduler"), None);
        assert_eq!(v("kube-scheduler:latest"), None);
        assert_eq!(v(""), None);
    }

    #[test]
    fn flags() {
        let args: Vec<String> = [
            "kube-scheduler",
            "--authentication-kubeconfig=/etc/kubernetes/scheduler.conf",
            "--feature-gates=SidecarContainers=false",
            "--feature-gates",
            "Foo=true",
            "--emulated-version=1.30",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            flag_values(&args, "feature-gates"),
            vec!["SidecarContainers=false", "Foo=true"]
        );
        assert_eq!(flag_values(&args, "emulated-version"), vec!["1.30"]);
        assert!(flag_values(&args, "nope").is_empty());
        let wrapped = vec![
            "/bin/sh".to_string(),
            "-c".to_string(),
            "exec kube-scheduler --v=2 --feature-gates=SidecarContainers=true".to_string(),
        ];
        assert_eq!(
            flag_values(&wrapped, "feature-gates"),
            vec!["SidecarContainers=true"]
        );
        // A trailing flag with no value is ignored.
        assert!(flag_values(&["--feature-gates".to_string()], "feature-gates").is_empty());
    }
}
