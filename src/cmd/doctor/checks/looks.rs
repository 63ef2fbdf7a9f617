//! Heuristics for "this container is a helper (a sidecar), not the work": known sidecar images
//! and helper-like names. Each answer carries the reason, which becomes a finding's evidence.

use crate::facts::workloads::ContainerFacts;

/// Image repositories (path fragments) of tools that are run as sidecars.
const SIDECAR_IMAGES: &[&str] = &[
    "istio/proxyv2",
    "istio/proxy",
    "linkerd/proxy",
    "envoyproxy/envoy",
    "cloudsql-docker/gce-proxy",
    "cloud-sql-connectors/cloud-sql-proxy",
    "cloud-sql-proxy",
    "hashicorp/vault",
    "hashicorp/consul-dataplane",
    "daprio/daprd",
    "fluent/fluent-bit",
    "fluent-bit",
    "fluentd",
    "grafana/promtail",
    "timberio/vector",
    "filebeat",
    "opentelemetry-collector",
    "jaegertracing/jaeger-agent",
    "oauth2-proxy",
    "kube-rbac-proxy",
    "gcs-fuse-csi-driver-sidecar-mounter",
    "gke-gcsfuse-sidecar",
    "aws-xray-daemon",
    "datadog/agent",
    "cloudflare/cloudflared",
    "kiwigrid/k8s-sidecar",
    "configmap-reload",
    "prometheus-config-reloader",
];

/// Container names that sidecar injectors and charts use.
const HELPER_NAMES: &[&str] = &[
    "istio-proxy",
    "linkerd-proxy",
    "envoy",
    "envoy-sidecar",
    "cloud-sql-proxy",
    "cloudsql-proxy",
    "vault-agent",
    "consul-dataplane",
    "consul-connect-envoy-sidecar",
    "daprd",
    "fluent-bit",
    "fluentbit",
    "fluentd",
    "promtail",
    "vector",
    "filebeat",
    "otel-collector",
    "otel-agent",
    "jaeger-agent",
    "oauth2-proxy",
    "kube-rbac-proxy",
    "config-reloader",
    "configmap-reload",
    "xray-daemon",
    "datadog-agent",
    "log-shipper",
    "sidecar",
    "proxy",
];

const HELPER_SUFFIXES: &[&str] = &[
    "-sidecar",
    "-proxy",
    "-agent",
    "-exporter",
    "-forwarder",
    "-shipper",
    "-reloader",
];

/// The image's repository without registry port confusion, tag or digest, lower-cased.
fn repository(image: &str) -> String {
    let no_digest = image.split('@').next().unwrap_or(image);
    // A tag is after the last ':' that follows the last '/', so `host:5000/x` keeps its port.
    let last_slash = no_digest.rfind('/').map_or(0, |i| i + 1);
    let repo = match no_digest[last_slash..].find(':') {
        Some(i) => &no_digest[..last_slash + i],
        None => no_digest,
    };
    repo.to_lowercase()
}

/// The known sidecar image this container runs, if any.
pub fn known_sidecar_image(c: &ContainerFacts) -> Option<&'static str> {
    let repo = repository(c.image.as_deref()?);
    SIDECAR_IMAGES.iter().copied().find(|known| {
        repo == *known
            || repo.ends_with(&format!("/{known}"))
            || repo.split('/').next_back() == Some(known)
    })
}

/// Why this container looks like a helper rather than the work, if it does.
pub fn helper(c: &ContainerFacts) -> Option<String> {
    if let Some(image) = known_sidecar_image(c) {
        return Some(format!("runs the known sidecar image {image}"));
    }
    let name = c.name.to_lowercase();
    if HELPER_NAMES.contains(&name.as_str()) {
        return Some(format!("is named {:?}, a sidecar's name", c.name));
    }
    if let Some(suffix) = HELPER_SUFFIXES.iter().find(|s| name.ends_with(*s)) {
        return Some(format!("has a helper-like name ({suffix})"));
    }
    if name.starts_with("sidecar-") {
        return Some("has a helper-like name (sidecar-)".to_string());
    }
    None
}

pub fn serves_ports(c: &ContainerFacts) -> bool {
    !c.ports.is_empty()
}

pub fn ports_text(c: &ContainerFacts) -> String {
    c.ports
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Among a pod's regular containers: the helpers (with why) and the work. A container that
/// serves ports next to one that does not is the helper when names and images say nothing.
pub fn split_regular(
    containers: &[ContainerFacts],
) -> (Vec<(&ContainerFacts, String)>, Vec<&ContainerFacts>) {
    let mut helpers = Vec::new();
    let mut work = Vec::new();
    for c in containers {
        match helper(c) {
            Some(why) => helpers.push((c, why)),
            None => work.push(c),
        }
    }
    if helpers.is_empty() && work.len() >= 2 {
        let serving = work.iter().filter(|c| serves_ports(c)).count();
        if serving > 0 && serving < work.len() {
            let (servers, rest): (Vec<&ContainerFacts>, Vec<&ContainerFacts>) =
                work.into_iter().partition(|c| serves_ports(c));
            helpers = servers
                .into_iter()
                .map(|c| {
                    let why = format!(
                        "serves ports {} next to the job's work, which serves none",
                        ports_text(c)
                    );
                    (c, why)
                })
                .collect();
            work = rest;
        }
    }
    (helpers, work)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, image: &str, ports: &[i32]) -> ContainerFacts {
        ContainerFacts {
            name: name.into(),
            image: Some(image.into()),
            ports: ports.to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn repositories_drop_tags_and_digests_but_keep_registry_ports() {
        assert_eq!(
            repository("docker.io/istio/proxyv2:1.22.0"),
            "docker.io/istio/proxyv2"
        );
        assert_eq!(
            repository("registry:5000/envoyproxy/envoy"),
            "registry:5000/envoyproxy/envoy"
        );
        assert_eq!(
            repository("envoyproxy/envoy@sha256:abc"),
            "envoyproxy/envoy"
        );
        assert_eq!(repository("Fluentd:v1"), "fluentd");
    }

    #[test]
    fn known_images_and_names() {
        assert!(helper(&c("anything", "docker.io/istio/proxyv2:1.22.0", &[])).is_some());
        assert!(
            helper(&c(
                "x",
                "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.8.0",
                &[]
            ))
            .is_some()
        );
        assert!(helper(&c("x", "cr.l5d.io/linkerd/proxy:stable-2.14", &[])).is_some());
        assert!(helper(&c("log-shipper", "acme/shipper:1", &[])).is_some());
        assert!(helper(&c("db-proxy", "acme/pgbouncer:1", &[])).is_some());
        assert!(helper(&c("main", "acme/batch:1", &[])).is_none());
        // A repository that merely contains a known name is not that image.
        assert!(helper(&c("main", "acme/not-envoy-really:1", &[])).is_none());
    }

    #[test]
    fn a_server_next_to_the_work_is_the_helper() {
        let containers = vec![
            c("main", "acme/batch:1", &[]),
            c("cache", "redis:7", &[6379]),
        ];
        let (helpers, work) = split_regular(&containers);
        assert_eq!(helpers.len(), 1);
        assert_eq!(helpers[0].0.name, "cache");
        assert_eq!(work[0].name, "main");
        // Two servers and nothing else: no way to tell, so no helper.
        let both = vec![c("a", "acme/a", &[80]), c("b", "acme/b", &[81])];
        assert!(split_regular(&both).0.is_empty());
    }
}
