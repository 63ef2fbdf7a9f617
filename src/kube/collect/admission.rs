//! Admission: the mutating webhooks that intercept pod creation, and one canary per namespace
//! that runs or declares sidecar workloads: a `dryRun=All` create (persists nothing) of a
//! minimal pod with a native sidecar, labelled like that namespace's workloads so webhooks'
//! objectSelectors match, to see whether `restartPolicy: Always` survives. The webhook parsing,
//! matching and dry run are the diff-pod engine's; every request runs within the run's budget.
//! Coverage counts canary namespaces: a namespace is examined when its canary came back, kept or
//! stripped; the webhook list is a gap of its own when it cannot be read.

use std::collections::{BTreeMap, BTreeSet};

use futures::{StreamExt, stream};
use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use kube::api::{Api, ListParams};
use serde_json::{Value, json};

use super::{Progress, fail, how_far};
use crate::context::Context;
use crate::facts::admission::Outcome;
use crate::facts::coverage::{Cause, Gap, SectionCoverage};
use crate::facts::doctor::{CanaryFacts, CanaryOutcome, DoctorFacts, WebhookFacts};
use crate::facts::workloads::{PodFacts, PodSpecFacts};
use crate::kube::access::{Budget, Pages};
use crate::kube::admission as diffpod;
use crate::kube::collect::coverage::{self, ADMISSION, gap_from_text};
use crate::kube::controllers::CONTROLLER_LABELS;
use crate::kube::selector::{Labels, Selector};
use crate::kube::strippers::known_stripper;
use crate::kube::versions::CONTAINER_RESTART_RULES_BETA;
use crate::kube::webhooks::{ClientConfig, Webhook, parse_configurations, pod_create};

/// Canaries sent at once, and at most: one per namespace, so this bounds a cluster-wide run.
const CANARY_CONCURRENCY: usize = 4;
const MAX_CANARIES: usize = 50;
const CANARY_SIDECAR: &str = "kubectl-sidecar-canary";
/// A tiny image that every cluster can resolve; nothing runs it (the create is a dry run).
const CANARY_IMAGE: &str = "registry.k8s.io/pause:3.10";

/// `apiserver` is its `/version` gitVersion: whether it keeps `restartPolicyRules`.
pub async fn collect(ctx: &Context, facts: &mut DoctorFacts, progress: &Progress, apiserver: &str) {
    let client = ctx.cluster().client.clone();
    progress.say("admission: listing mutating webhook configurations");
    let hooks = list_webhooks(ctx, facts).await;
    let no_labels = Labels::new();
    let creating_pods = pod_create(None, &no_labels);
    facts.admission.webhooks = hooks
        .iter()
        .filter(|h| h.rules_cover(&creating_pods))
        .map(webhook_facts)
        .collect();
    let targets = canary_targets(facts);
    let wanted = targets.len();
    if wanted > MAX_CANARIES {
        super::gap(
            facts,
            ADMISSION,
            Gap::new(
                format!(
                    "canaries in {} namespaces beyond the first {MAX_CANARIES}",
                    wanted - MAX_CANARIES
                ),
                Cause::NotAsked,
                format!("{wanted} namespaces run sidecar workloads; narrow the run with -n"),
            ),
        );
    }
    let namespace_labels: BTreeMap<String, Labels> = facts
        .workloads
        .namespaces
        .iter()
        .map(|n| (n.name.clone(), n.labels.clone()))
        .collect();
    progress.say(&format!(
        "admission: dry-run canaries in {} namespace(s)",
        wanted.min(MAX_CANARIES)
    ));
    let budget = ctx.budget;
    // Rules go into a canary only where they are declared and the apiserver keeps them: a
    // webhook that drops them matters to nobody else, and an older apiserver drops them itself.
    let keeps_rules = crate::kube::version::parse(apiserver)
        .is_some_and(|v| CONTAINER_RESTART_RULES_BETA.reached_by(v));
    let with_rules = if keeps_rules {
        rules_namespaces(facts)
    } else {
        BTreeSet::new()
    };
    let results: Vec<CanaryFacts> = stream::iter(targets.into_iter().take(MAX_CANARIES))
        .map(|(namespace, (labels, like))| {
            let client = client.clone();
            let hooks = &hooks;
            let ns_labels = namespace_labels.get(&namespace);
            let rules = with_rules.contains(&namespace);
            async move {
                let sent = Sent {
                    namespace,
                    labels,
                    like,
                    rules,
                };
                canary(&client, budget, hooks, ns_labels, sent).await
            }
        })
        .buffer_unordered(CANARY_CONCURRENCY)
        .collect()
        .await;
    let mut results = results;
    results.sort_by(|a, b| a.namespace.cmp(&b.namespace));
    let section = coverage::section(&mut facts.coverage, ADMISSION);
    canary_coverage(&results, wanted, section);
    facts.admission.canaries = results;
}

/// Every MutatingWebhookConfiguration, page by page, parsed by the diff-pod engine. A failure
/// leaves a gap: stripping can then not be attributed, and no candidate named.
async fn list_webhooks(ctx: &Context, facts: &mut DoctorFacts) -> Vec<Webhook> {
    let api: Api<MutatingWebhookConfiguration> = Api::all(ctx.cluster().client.clone());
    let mut items: Vec<Value> = Vec::new();
    let mut pages = Pages::new(&api, ListParams::default(), ctx.budget);
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => {
                items.extend(
                    page.items
                        .iter()
                        .filter_map(|c| serde_json::to_value(c).ok()),
                );
            }
            Err(failure) => {
                let permission = "list mutatingwebhookconfigurations";
                fail(
                    facts,
                    ADMISSION,
                    how_far(permission, items.len() as u64),
                    permission,
                    &failure,
                );
                return parse_configurations(&items);
            }
        }
    }
    parse_configurations(&items)
}

/// Canary namespaces: examined when the canary came back (kept or stripped); the others make
/// one gap per cause, naming their namespaces.
pub fn canary_coverage(canaries: &[CanaryFacts], wanted: usize, section: &mut SectionCoverage) {
    section.total = Some(wanted as u64);
    section.examined = canaries
        .iter()
        .filter(|c| matches!(c.outcome, CanaryOutcome::Kept | CanaryOutcome::Stripped))
        .count() as u64;
    let mut groups: Vec<(Gap, Vec<&str>)> = Vec::new();
    for c in canaries {
        let detail = c.detail.clone().unwrap_or_default();
        let permission = format!("create pods in namespace {}", c.namespace);
        let gap = match c.outcome {
            CanaryOutcome::Kept | CanaryOutcome::Stripped => continue,
            CanaryOutcome::Forbidden => Gap::forbidden("", permission, detail),
            CanaryOutcome::DryRunUnsupported => Gap::new(
                "",
                Cause::NotAsked,
                format!(
                    "webhook {} does not support dry run, so the canary cannot pass it",
                    c.webhook.as_deref().unwrap_or("(unnamed)")
                ),
            ),
            CanaryOutcome::Rejected | CanaryOutcome::Failed => {
                gap_from_text("", &permission, &detail)
            }
        };
        match groups.iter_mut().find(|(g, _)| {
            g.cause == gap.cause && g.detail == gap.detail
                || g.cause == Cause::Forbidden && gap.cause == Cause::Forbidden
        }) {
            Some((_, names)) => names.push(&c.namespace),
            None => groups.push((gap, vec![&c.namespace])),
        }
    }
    for (mut gap, names) in groups {
        if gap.cause == Cause::Forbidden && names.len() > 1 {
            gap.permission = Some("create pods".into());
        }
        gap.what = format!(
            "dry-run canary in namespace(s) {}",
            crate::kube::access::list_some(&names, 5)
        );
        section.gap(gap);
    }
}

fn selector_text(v: &Value) -> Option<String> {
    if v.is_null() {
        return None;
    }
    Some(match Selector::from_label_selector(v) {
        Ok(s) => s.to_string(),
        Err(e) => format!("unreadable ({e})"),
    })
}

fn webhook_facts(h: &Webhook) -> WebhookFacts {
    WebhookFacts {
        configuration: h.configuration.clone(),
        name: h.name.clone(),
        failure_policy: Some(h.failure_policy.clone()),
        reinvocation_policy: Some(h.reinvocation_policy.clone()),
        side_effects: Some(h.side_effects.clone()),
        rules: h
            .rules
            .iter()
            .map(|r| {
                format!(
                    "{} {}/{} {}",
                    r.operations.join(","),
                    if r.api_groups.iter().all(String::is_empty) {
                        "core".to_string()
                    } else {
                        r.api_groups.join(",")
                    },
                    r.api_versions.join(","),
                    r.resources.join(",")
                )
            })
            .collect(),
        namespace_selector: selector_text(&h.namespace_selector),
        object_selector: selector_text(&h.object_selector),
        target: match &h.client {
            ClientConfig::Url { url } => Some(url_without_secrets(url)),
            ClientConfig::Service {
                namespace,
                name,
                path,
                port,
            } => Some(format!(
                "service {namespace}/{name}:{port}{}",
                path.as_deref().unwrap_or("")
            )),
            ClientConfig::None => None,
        },
        known_stripper: known_stripper(&h.configuration, &h.name)
            .map(|k| format!("{} ({})", k.project, k.report)),
    }
}

/// A webhook URL without what may be a credential: user info and the query.
fn url_without_secrets(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or("");
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = match rest.find('/') {
                Some(at) => rest.split_at(at),
                None => (rest, ""),
            };
            let host = authority.rsplit('@').next().unwrap_or(authority);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_string(),
    }
}

fn declares_sidecar(spec: &PodSpecFacts) -> bool {
    spec.init_containers.iter().any(|c| c.is_restartable())
}

fn declares_rules(spec: &PodSpecFacts) -> bool {
    spec.containers
        .iter()
        .chain(&spec.init_containers)
        .any(|c| c.restart_rules)
}

/// What earns a namespace a canary: a native sidecar, or restart rules, declared.
fn worth_a_canary(spec: &PodSpecFacts) -> bool {
    declares_sidecar(spec) || declares_rules(spec)
}

/// Namespaces where a workload (template, pod, or last-applied configuration) declares
/// `restartPolicyRules`.
pub fn rules_namespaces(facts: &DoctorFacts) -> BTreeSet<String> {
    let w = &facts.workloads;
    let owners = w
        .owners
        .iter()
        .filter(|o| {
            o.template.as_ref().is_some_and(|t| declares_rules(&t.spec))
                || o.last_applied.as_ref().is_some_and(declares_rules)
        })
        .map(|o| o.namespace.clone());
    let pods = w
        .pods
        .iter()
        .filter(|p| declares_rules(&p.spec) || p.last_applied.as_ref().is_some_and(declares_rules))
        .map(|p| p.namespace.clone());
    owners.chain(pods).collect()
}

/// A classic init container that is running: what a native sidecar becomes once a webhook has
/// stripped its `restartPolicy` (the pod waits in Init behind it), even where nothing recorded
/// the declaration (a bare pod without last-applied). A canary there tells whether admission in
/// that namespace strips, and names the webhook.
fn init_still_running(p: &PodFacts) -> bool {
    p.init_statuses.iter().any(|s| {
        s.state == "running"
            && p.spec
                .init_containers
                .iter()
                .any(|c| c.name == s.name && !c.is_restartable())
    })
}

/// Namespaces that run or declare native sidecars (or run a classic init container that has
/// not exited), each with the labels of one such workload
/// (a top-level owner's template when there is one) and where they came from.
pub fn canary_targets(facts: &DoctorFacts) -> BTreeMap<String, (Labels, String)> {
    let mut out: BTreeMap<String, (Labels, String)> = BTreeMap::new();
    let w = &facts.workloads;
    // Templates of controllers owned by another (a Deployment's ReplicaSets) say the same as
    // their owner: top-level owners first, so the canary is labelled like the workload a person
    // knows; an owned one only where no top-level owner declares a sidecar.
    for tops_only in [true, false] {
        for o in w.owners.iter().filter(|o| !tops_only || o.owner.is_none()) {
            let declared = o.template.as_ref().is_some_and(|t| worth_a_canary(&t.spec))
                || o.last_applied.as_ref().is_some_and(worth_a_canary);
            if declared && !out.contains_key(&o.namespace) {
                let labels = o
                    .template
                    .as_ref()
                    .map(|t| t.labels.clone())
                    .unwrap_or_default();
                out.insert(
                    o.namespace.clone(),
                    (labels, format!("{}/{}", o.kind.to_lowercase(), o.name)),
                );
            }
        }
    }
    for p in &w.pods {
        let declared = worth_a_canary(&p.spec)
            || p.last_applied.as_ref().is_some_and(worth_a_canary)
            || init_still_running(p);
        if declared && !out.contains_key(&p.namespace) {
            out.insert(
                p.namespace.clone(),
                (p.labels.clone(), format!("pod/{}", p.name)),
            );
        }
    }
    // Controller bookkeeping labels could make a controller adopt the canary (it is never
    // stored, but webhooks should see what a real workload pod carries, not this).
    for (labels, _) in out.values_mut() {
        labels.retain(|k, _| !CONTROLLER_LABELS.contains(&k.as_str()));
    }
    out
}

/// The canary's restart rule: restart on an exit code nothing uses.
const CANARY_RULES: &str =
    r#"[{"action": "Restart", "exitCodes": {"operator": "In", "values": [42]}}]"#;

pub fn canary_pod(namespace: &str, labels: &Labels, rules: bool) -> Value {
    let mut app = json!({"name": "app", "image": CANARY_IMAGE});
    if rules {
        app["restartPolicy"] = json!("Never");
        app["restartPolicyRules"] = serde_json::from_str(CANARY_RULES).unwrap_or_default();
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": "kubectl-sidecar-canary-",
            "namespace": namespace,
            "labels": labels,
            "annotations": {"kubectl-sidecar/canary": "dry run by kubectl sidecar doctor; never stored"},
        },
        "spec": {
            "initContainers": [{"name": CANARY_SIDECAR, "image": CANARY_IMAGE, "restartPolicy": "Always"}],
            "containers": [app],
        },
    })
}

/// What became of the canary's sidecar in the pod admission returned.
pub fn judge_admitted(pod: &Value) -> (CanaryOutcome, Option<String>) {
    let inits = pod
        .pointer("/spec/initContainers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    match inits
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(CANARY_SIDECAR))
    {
        Some(c) => match c.get("restartPolicy").and_then(Value::as_str) {
            Some("Always") => (CanaryOutcome::Kept, None),
            other => (
                CanaryOutcome::Stripped,
                Some(format!(
                    "the returned pod's init container {CANARY_SIDECAR} has restartPolicy {}",
                    other.map_or("unset".to_string(), |p| format!("{p:?}"))
                )),
            ),
        },
        None => (
            CanaryOutcome::Stripped,
            Some(format!(
                "the returned pod has no init container {CANARY_SIDECAR} at all"
            )),
        ),
    }
}

/// Whether the canary's app container came back with its `restartPolicyRules`.
pub fn rules_came_back(pod: &Value) -> bool {
    pod.pointer("/spec/containers")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("name").and_then(Value::as_str) == Some("app"))
        })
        .and_then(|c| c.get("restartPolicyRules"))
        .and_then(Value::as_array)
        .is_some_and(|r| !r.is_empty())
}

/// What one canary carries: where it goes, how it is labelled, and whether it has rules.
struct Sent {
    namespace: String,
    labels: Labels,
    like: String,
    rules: bool,
}

/// `admission webhook "x.example.com" does not support dry run` -> x.example.com.
pub fn dry_run_refuser(message: &str) -> Option<String> {
    let rest = message.split("admission webhook \"").nth(1)?;
    let (name, tail) = rest.split_once('"')?;
    tail.contains("does not support dry run")
        .then(|| name.to_string())
}

async fn canary(
    client: &kube::Client,
    budget: Budget,
    hooks: &[Webhook],
    namespace_labels: Option<&Labels>,
    sent: Sent,
) -> CanaryFacts {
    let Sent {
        namespace,
        labels,
        like,
        rules,
    } = sent;
    let target = pod_create(namespace_labels, &labels);
    let candidates: Vec<String> = hooks
        .iter()
        .filter(|h| h.evaluate(&target).applies())
        .map(|h| h.name.clone())
        .collect();
    let pod = canary_pod(&namespace, &labels, rules);
    let mut restart_rules_kept = None;
    let asked = if budget.expired() {
        Ok(Outcome::NotRun {
            why: budget.deadline_passed().text().to_string(),
        })
    } else {
        diffpod::dry_run(client, &namespace, &pod, &budget).await
    };
    let (outcome, webhook, detail) = match asked {
        Ok(Outcome::Admitted { pod, warnings }) => {
            let (outcome, mut detail) = judge_admitted(&pod);
            restart_rules_kept = rules.then(|| rules_came_back(&pod));
            if !warnings.is_empty() {
                let w = format!("apiserver warnings: {}", warnings.join("; "));
                detail = Some(match detail {
                    Some(d) => format!("{d}; {w}"),
                    None => w,
                });
            }
            (outcome, None, detail)
        }
        Ok(Outcome::Rejected {
            code,
            reason,
            message,
        }) => {
            let text = format!("{code} {reason}: {message}");
            match dry_run_refuser(&message) {
                Some(name) => (CanaryOutcome::DryRunUnsupported, Some(name), Some(text)),
                // RBAC's refusal; a webhook that denies the pod may answer 403 too.
                None if code == 403 && !message.contains("admission webhook") => {
                    (CanaryOutcome::Forbidden, None, Some(text))
                }
                None => (CanaryOutcome::Rejected, None, Some(text)),
            }
        }
        Ok(Outcome::NotRun { why }) => (CanaryOutcome::Failed, None, Some(why)),
        Err(e) => (
            CanaryOutcome::Failed,
            None,
            Some(crate::kube::access::one_line(e.text())),
        ),
    };
    CanaryFacts {
        namespace,
        labels,
        labelled_like: Some(like),
        outcome,
        candidates,
        webhook,
        detail,
        restart_rules_kept,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::workloads::{
        ContainerFacts, ContainerStatusFacts, OwnerFacts, OwnerKey, TemplateFacts,
    };

    fn sidecar_spec() -> PodSpecFacts {
        PodSpecFacts {
            restart_policy: None,
            init_containers: vec![ContainerFacts {
                name: "proxy".into(),
                restart_policy: Some("Always".into()),
                ..Default::default()
            }],
            containers: vec![],
        }
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn targets_prefer_top_level_templates_and_drop_controller_labels() {
        let mut facts = DoctorFacts::default();
        facts.workloads.owners = vec![
            OwnerFacts {
                kind: "ReplicaSet".into(),
                namespace: "shop".into(),
                name: "web-abc".into(),
                owner: Some(OwnerKey {
                    kind: "Deployment".into(),
                    name: "web".into(),
                }),
                template: Some(TemplateFacts {
                    labels: labels(&[("app", "web"), ("pod-template-hash", "abc")]),
                    annotations: Default::default(),
                    spec: sidecar_spec(),
                }),
                last_applied: None,
            },
            OwnerFacts {
                kind: "Deployment".into(),
                namespace: "shop".into(),
                name: "web".into(),
                owner: None,
                template: Some(TemplateFacts {
                    labels: labels(&[("app", "web"), ("tier", "front")]),
                    annotations: Default::default(),
                    spec: sidecar_spec(),
                }),
                last_applied: None,
            },
        ];
        facts.workloads.pods = vec![
            PodFacts {
                namespace: "batch".into(),
                name: "one-off".into(),
                labels: labels(&[("run", "one-off"), ("job-name", "x")]),
                spec: sidecar_spec(),
                ..Default::default()
            },
            PodFacts {
                namespace: "plain".into(),
                name: "no-sidecar".into(),
                ..Default::default()
            },
            PodFacts {
                namespace: "rules".into(),
                name: "retry-on-42".into(),
                spec: PodSpecFacts {
                    containers: vec![ContainerFacts {
                        name: "app".into(),
                        restart_rules: true,
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                ..Default::default()
            },
        ];
        let t = canary_targets(&facts);
        assert_eq!(t.keys().collect::<Vec<_>>(), ["batch", "rules", "shop"]);
        assert_eq!(
            rules_namespaces(&facts).into_iter().collect::<Vec<_>>(),
            ["rules"]
        );
        assert_eq!(t["shop"].1, "deployment/web");
        assert_eq!(t["shop"].0, labels(&[("app", "web"), ("tier", "front")]));
        assert_eq!(t["batch"].0, labels(&[("run", "one-off")]));
    }

    /// A stripped sidecar of a bare pod, stuck in Init with no record of its declaration,
    /// still earns its namespace a canary; an init container that has exited, or one waiting,
    /// does not.
    #[test]
    fn a_running_classic_init_container_earns_a_canary() {
        let pod = |ns: &str, state: &str| {
            let mut spec = sidecar_spec();
            spec.init_containers[0].restart_policy = None;
            PodFacts {
                namespace: ns.into(),
                name: "cart-0".into(),
                spec,
                init_statuses: vec![ContainerStatusFacts {
                    name: "proxy".into(),
                    state: state.into(),
                    ..Default::default()
                }],
                ..Default::default()
            }
        };
        let mut facts = DoctorFacts::default();
        facts.workloads.pods = vec![
            pod("shop", "running"),
            pod("done", "terminated"),
            pod("pulling", "waiting"),
        ];
        let t = canary_targets(&facts);
        assert_eq!(t.keys().collect::<Vec<_>>(), ["shop"]);
        assert_eq!(t["shop"].1, "pod/cart-0");
        // A native sidecar running is no classic init container: it earns one for itself.
        facts.workloads.pods = vec![PodFacts {
            spec: sidecar_spec(),
            ..pod("mesh", "running")
        }];
        assert_eq!(canary_targets(&facts).keys().collect::<Vec<_>>(), ["mesh"]);
    }

    #[test]
    fn judging_the_returned_pod() {
        let kept = canary_pod("ns", &Labels::new(), false);
        assert_eq!(judge_admitted(&kept).0, CanaryOutcome::Kept);
        assert!(!rules_came_back(&kept));
        let mut ruled = canary_pod("ns", &Labels::new(), true);
        assert!(rules_came_back(&ruled));
        assert_eq!(judge_admitted(&ruled).0, CanaryOutcome::Kept);
        // What a webhook on k8s.io/api v0.28-v0.33 returns: restartPolicy kept, rules gone.
        if let Some(o) = ruled
            .pointer_mut("/spec/containers/0")
            .and_then(Value::as_object_mut)
        {
            o.remove("restartPolicyRules");
        }
        assert!(!rules_came_back(&ruled));
        assert_eq!(
            ruled.pointer("/spec/containers/0/restartPolicy"),
            Some(&json!("Never"))
        );
        let mut stripped = kept.clone();
        if let Some(c) = stripped.pointer_mut("/spec/initContainers/0")
            && let Some(o) = c.as_object_mut()
        {
            o.remove("restartPolicy");
        }
        let (outcome, detail) = judge_admitted(&stripped);
        assert_eq!(outcome, CanaryOutcome::Stripped);
        assert!(detail.unwrap().contains("unset"));
        let gone = json!({"spec": {"containers": []}});
        assert_eq!(judge_admitted(&gone).0, CanaryOutcome::Stripped);
    }

    #[test]
    fn webhook_urls_lose_credentials() {
        assert_eq!(
            url_without_secrets("https://user:pw@hooks.example.com:8443/mutate?token=abc#x"),
            "https://hooks.example.com:8443/mutate"
        );
        assert_eq!(
            url_without_secrets("https://127.0.0.1:42515/mutate"),
            "https://127.0.0.1:42515/mutate"
        );
    }

    fn canary(ns: &str, outcome: CanaryOutcome, detail: &str) -> CanaryFacts {
        CanaryFacts {
            namespace: ns.into(),
            labels: Labels::new(),
            labelled_like: None,
            outcome,
            candidates: vec![],
            webhook: Some("audit.example.com".into()),
            detail: Some(detail.into()),
            restart_rules_kept: None,
        }
    }

    #[test]
    fn canaries_that_did_not_come_back_are_gaps_by_cause() {
        let canaries = [
            canary("a", CanaryOutcome::Kept, ""),
            canary("b", CanaryOutcome::Stripped, ""),
            canary(
                "c",
                CanaryOutcome::Forbidden,
                "403 Forbidden: pods is forbidden in c",
            ),
            canary(
                "d",
                CanaryOutcome::Forbidden,
                "403 Forbidden: pods is forbidden in d",
            ),
            canary("e", CanaryOutcome::DryRunUnsupported, "400"),
            canary(
                "f",
                CanaryOutcome::Failed,
                "dry-run create of a pod in namespace f: no answer within 30s",
            ),
        ];
        let mut s = SectionCoverage::new(ADMISSION, "canary namespaces");
        canary_coverage(&canaries, 7, &mut s);
        assert_eq!((s.examined, s.total), (2, Some(7)));
        let causes: Vec<Cause> = s.gaps.iter().map(|g| g.cause).collect();
        assert_eq!(causes, [Cause::Forbidden, Cause::NotAsked, Cause::Timeout]);
        assert_eq!(s.gaps[0].what, "dry-run canary in namespace(s) c, d");
        assert!(
            s.gaps[0]
                .permission
                .as_deref()
                .unwrap()
                .starts_with("create pods")
        );
        assert!(s.gaps[1].detail.contains("audit.example.com"));
    }

    #[test]
    fn dry_run_refusals_name_the_webhook() {
        assert_eq!(
            dry_run_refuser(
                "admission webhook \"audit-sink.example.com\" does not support dry run"
            )
            .as_deref(),
            Some("audit-sink.example.com")
        );
        assert_eq!(
            dry_run_refuser("admission webhook \"x\" denied the request: no"),
            None
        );
        assert_eq!(dry_run_refuser("pods is forbidden"), None);
    }
}
