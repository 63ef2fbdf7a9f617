#![cfg(feature = "e2e")]
//! The fake kubelets' /metrics (tests/harness/kubeletmetrics.go) against real kubelets' own
//! (tests/fixtures/metrics/real-kubelet-*.txt, captured from kubelets 1.32, 1.32 with the gate
//! off, 1.34 and 1.37 on this kind of machine): what the product reads from a fake kubelet must be
//! what a real one says. SCENARIOS.md "Fake kubelets" lists the differences kept on purpose.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

/// Families a real kubelet serves only once something happened (a volume mounted, a probe run,
/// a webhook authn/authz call, a certificate rotated, an image collected, a plugin registered,
/// an error, a second scrape); the fake serves them always so readers meet them.
const AFTER_ACTIVITY: &[&str] = &[
    "apiserver_delegated_authn_request_duration_seconds",
    "apiserver_delegated_authn_request_total",
    "apiserver_delegated_authz_request_duration_seconds",
    "apiserver_delegated_authz_request_total",
    "kubelet_certificate_manager_client_expiration_renew_errors",
    "kubelet_certificate_manager_client_ttl_seconds",
    "kubelet_container_log_filesystem_used_bytes",
    "kubelet_http_requests_duration_seconds",
    "kubelet_image_garbage_collected_total",
    "kubelet_pod_resources_endpoint_requests_total",
    "kubelet_pod_start_sli_duration_seconds",
    "kubelet_run_podsandbox_duration_seconds",
    "kubelet_runtime_operations_errors_total",
    "kubelet_started_containers_total",
    "kubelet_volume_metric_collection_duration_seconds",
    "plugin_manager_total_plugins",
    "prober_probe_total",
    "storage_operation_duration_seconds",
    "volume_manager_total_volumes",
];

#[derive(Default)]
struct Text {
    bytes: usize,
    /// Family names in the order of their `# TYPE` lines, with their type.
    order: Vec<String>,
    types: BTreeMap<String, String>,
    helps: BTreeMap<String, String>,
    /// Family -> every label-name set its samples use (le/quantile left out).
    labels: BTreeMap<String, BTreeSet<Vec<String>>>,
    /// kubernetes_feature_enabled, in text order: (labels as written, value).
    gates: Vec<(String, String)>,
}

fn label_names(inner: &str) -> Vec<String> {
    // Label values here hold no `="` of their own except in plugin_manager's parser trap,
    // a family only the fake serves.
    let mut out: Vec<String> = inner
        .split("\",")
        .filter_map(|kv| kv.split_once("=\"").map(|(k, _)| k.trim().to_string()))
        .filter(|k| k != "le" && k != "quantile")
        .collect();
    out.sort();
    out
}

fn parse(text: &str) -> Text {
    let mut t = Text {
        bytes: text.len(),
        ..Text::default()
    };
    let mut family = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            t.helps.insert(name.to_string(), help.to_string());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, typ) = rest.split_once(' ').unwrap_or((rest, ""));
            assert!(
                t.helps.contains_key(name),
                "# TYPE {name} without a # HELP before it"
            );
            family = name.to_string();
            t.order.push(family.clone());
            t.types.insert(family.clone(), typ.to_string());
        } else if !line.is_empty() && !line.starts_with('#') {
            let name_end = line.find(['{', ' ']).unwrap_or(line.len());
            let name = &line[..name_end];
            assert!(
                name.starts_with(family.as_str()),
                "sample {name} outside its family {family}"
            );
            let inner = line[name_end..]
                .strip_prefix('{')
                .and_then(|r| r.rsplit_once('}'))
                .map(|(i, _)| i)
                .unwrap_or("");
            t.labels
                .entry(family.clone())
                .or_default()
                .insert(label_names(inner));
            if name == "kubernetes_feature_enabled" {
                let value = line.rsplit(' ').next().unwrap_or("").to_string();
                t.gates.push((inner.to_string(), value));
            }
        }
    }
    t
}

fn harness() -> PathBuf {
    let root = common::crate_root();
    let out = Command::new("bash")
        .arg(root.join("tests/harness/build.sh"))
        .output()
        .expect("run tests/harness/build.sh");
    assert!(
        out.status.success(),
        "tests/harness/build.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or("")
        .trim()
        .to_string();
    PathBuf::from(dir).join("ksc-harness")
}

fn fake(version: &str, sidecar: Option<&str>) -> String {
    let mut cmd = Command::new(harness());
    cmd.args(["metrics", "--version", version]);
    if let Some(s) = sidecar {
        cmd.args(["--sidecar", s]);
    }
    let out = cmd.arg("node-a").output().expect("ksc-harness metrics");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn real(capture: &str) -> String {
    let path =
        common::crate_root().join(format!("tests/fixtures/metrics/real-kubelet-{capture}.txt"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn gate_name(labels: &str) -> &str {
    labels
        .strip_prefix("name=\"")
        .and_then(|r| r.split('"').next())
        .unwrap_or("")
}

fn compare(capture: &str, version: &str, sidecar: Option<&str>) {
    let real = parse(&real(capture));
    let fake = parse(&fake(version, sidecar));
    let at = format!("fake {version} {sidecar:?} vs real {capture}");

    let mut sorted = real.order.clone();
    sorted.sort();
    assert_eq!(real.order, sorted, "the real text is sorted by family");
    let mut sorted = fake.order.clone();
    sorted.sort();
    assert_eq!(fake.order, sorted, "{at}: families sorted by name");

    for family in &fake.order {
        match real.types.get(family) {
            None => assert!(
                AFTER_ACTIVITY.contains(&family.as_str()),
                "{at}: {family} is not in the real kubelet's text (nor an after-activity family)"
            ),
            Some(typ) => {
                assert_eq!(&fake.types[family], typ, "{at}: TYPE of {family}");
                let extra: Vec<_> = fake.labels[family]
                    .difference(&real.labels[family])
                    .collect();
                assert!(
                    extra.is_empty(),
                    "{at}: {family} label names {extra:?} not in real {:?}",
                    real.labels[family]
                );
            }
        }
    }
    assert_eq!(
        fake.labels["kubernetes_build_info"], real.labels["kubernetes_build_info"],
        "{at}: kubernetes_build_info labels"
    );

    // The gate family: same HELP and labels, sorted by gate name, each series the real one.
    let g = "kubernetes_feature_enabled";
    assert_eq!(fake.helps[g], real.helps[g], "{at}: HELP of {g}");
    assert_eq!(
        fake.labels[g],
        BTreeSet::from([vec!["name".to_string(), "stage".to_string()]]),
        "{at}"
    );
    let names: Vec<&str> = fake.gates.iter().map(|(l, _)| gate_name(l)).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "{at}: gate series sorted by name");
    let real_gates: BTreeMap<&str, (&str, &str)> = real
        .gates
        .iter()
        .map(|(l, v)| (gate_name(l), (l.as_str(), v.as_str())))
        .collect();
    for (labels, value) in &fake.gates {
        let name = gate_name(labels);
        let Some((rl, rv)) = real_gates.get(name) else {
            panic!("{at}: gate {name} does not exist in the real kubelet");
        };
        assert_eq!(
            (labels.as_str(), value.as_str()),
            (*rl, *rv),
            "{at}: gate {name}"
        );
    }
    assert_eq!(
        names.contains(&"SidecarContainers"),
        real_gates.contains_key("SidecarContainers"),
        "{at}: SidecarContainers present in both or neither"
    );

    // Sizes: readers' limits are tuned on the fake, so it must not be far from a real body.
    let ratio = fake.bytes as f64 / real.bytes as f64;
    assert!(
        (0.5..=2.0).contains(&ratio),
        "{at}: body {} vs real {} bytes",
        fake.bytes,
        real.bytes
    );
    assert!(
        fake.order.len() * 3 >= real.order.len(),
        "{at}: {} families vs real {}",
        fake.order.len(),
        real.order.len()
    );
    assert!(
        fake.gates.len() * 5 >= real.gates.len(),
        "{at}: {} gate series vs real {}",
        fake.gates.len(),
        real.gates.len()
    );
    eprintln!(
        "{at}: {} / {} bytes, {} / {} families, {} / {} gate series",
        fake.bytes,
        real.bytes,
        fake.order.len(),
        real.order.len(),
        fake.gates.len(),
        real.gates.len()
    );
}

#[test]
fn fake_kubelet_1_32_matches_a_real_one() {
    compare("1.32", "v1.32.13", None);
}

#[test]
fn fake_kubelet_1_32_gate_off_matches_a_real_one() {
    compare("1.32-gateoff", "v1.32.13", Some("false/BETA"));
}

#[test]
fn fake_kubelet_1_34_matches_a_real_one() {
    compare("1.34", "v1.34.4", None);
}

#[test]
fn fake_kubelet_1_37_matches_a_real_one() {
    compare("1.37", "v1.37.2", None);
}
