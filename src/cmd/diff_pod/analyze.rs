//! The per-pod checks: facts in, findings and changes out (the report's types are in `report`,
//! who made each change in `attribution`). Pure; every message names what was found, what it
//! does to the pod, and who did it.

use serde_json::Value;

use super::attribution::{Attributor, attribution_text, candidates, is_restart_rules};
use super::classify::{Change, Kind, SidecarEffect, classify, sidecars};
use super::diff::{RawChange, diff};
use super::normalize::{normalize, prune};
use super::redact;
use super::replay::replay;
use super::report::{
    Analysis, Attribution, Candidate, ChangeOut, ObjectReport, Report, Result_, View, rank,
};
use crate::checks::finding::{Finding, ObjectRef};
use crate::error::{EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE};
use crate::facts::coverage::{Cause, Coverage, Gap};
use crate::facts::diff_pod::{BlameResult, BlameStep, DiffFacts, Outcome, PodFacts};
use crate::kube::selector::string_map;
use crate::kube::strippers::KnownStripper;
use crate::kube::webhooks::{ClientConfig, pod_create};

const PROBE_FORBIDDEN: &str = "may not be set for init containers without restartPolicy=Always";
/// How the apiserver reports a webhook it could not call (k8s.io/apiserver webhookutil
/// ErrCallingWebhook), within a 500 InternalError when the failurePolicy is Fail.
const CALLING_WEBHOOK: &str = "failed calling webhook \"";

pub fn analyze(facts: &DiffFacts, show_defaults: bool) -> Analysis {
    let mut report = Report {
        apiserver: facts.apiserver.clone(),
        webhooks_error: facts
            .webhooks
            .error
            .as_ref()
            .map(|g| format!("{}: {}", g.short(), g.detail)),
        objects: Vec::new(),
        findings: Vec::new(),
        changes: Vec::new(),
        coverage: Coverage::default(),
    };
    let mut views = Vec::new();
    for pod in &facts.pods {
        let mut one = PodAnalysis::new(facts, pod);
        one.run(show_defaults);
        report.findings.append(&mut one.findings);
        report.changes.append(&mut one.changes);
        if let Some(view) = one.view.take() {
            views.push(view);
        }
        report.objects.push(one.object_report());
    }
    report.coverage = super::coverage::coverage(facts, &report.objects);
    Analysis { report, views }
}

/// One pod under analysis.
struct PodAnalysis<'a> {
    facts: &'a DiffFacts,
    pod: &'a PodFacts,
    name: String,
    candidates: Vec<Candidate>,
    findings: Vec<Finding>,
    changes: Vec<ChangeOut>,
    view: Option<View>,
    result: Result_,
    exit_code: i32,
    gaps: Vec<Gap>,
    compared: bool,
}

impl<'a> PodAnalysis<'a> {
    fn new(facts: &'a DiffFacts, pod: &'a PodFacts) -> Self {
        let labels = pod
            .lineage
            .first()
            .map(|s| string_map(s.pod.pointer("/metadata/labels")))
            .unwrap_or_default();
        let target = pod_create(pod.namespace_labels.as_ref(), &labels);
        Self {
            facts,
            pod,
            name: pod.object.to_string(),
            candidates: candidates(&facts.webhooks.items, &target),
            findings: Vec::new(),
            changes: Vec::new(),
            view: None,
            result: Result_::Unchanged,
            exit_code: EXIT_OK,
            gaps: pod.gaps.clone(),
            compared: false,
        }
    }

    fn object_report(&self) -> ObjectReport {
        let mut notes = self.pod.notes.clone();
        if let Some(e) = &self.pod.namespace_error {
            notes.push(format!(
                "the labels of namespace {} could not be read ({}): webhooks with a namespaceSelector may match",
                self.pod.namespace,
                e.short()
            ));
        }
        if self.compared {
            for gap in &self.gaps {
                notes.push(format!(
                    "compared, but not everything it came from was read: {}; a sidecar lost further up would not show",
                    gap.short()
                ));
            }
        }
        ObjectReport {
            object: self.name.clone(),
            namespace: self.pod.namespace.clone(),
            source: self.pod.source.clone(),
            submitted_from: self.pod.lineage.first().map(|s| s.what.clone()),
            result: self.result,
            webhooks: self.candidates.clone(),
            blame: self.pod.blame.iter().map(masked_step).collect(),
            notes,
            gaps: self.gaps.clone(),
            compared: self.compared,
            exit_code: self.exit_code,
        }
    }

    /// Who made a change to this pod (`attribution`).
    fn attributor(&self) -> Attributor<'_> {
        Attributor {
            facts: self.facts,
            pod: self.pod,
            candidates: &self.candidates,
        }
    }

    /// A finding of catalog check `id` on this pod (and one of its containers).
    fn finding(&mut self, id: &'static str, container: Option<&str>, message: String) {
        let object = &self.pod.object;
        let mut on = ObjectRef::new(&object.kind, Some(&self.pod.namespace), &object.name);
        on.container = container.map(str::to_string);
        let mut finding = Finding::new(id, on, message);
        if let Some(at) = &self.pod.location {
            finding = finding.at(at.clone());
        }
        self.findings.push(finding);
    }

    fn raise(&mut self, result: Result_, code: i32) {
        if rank(code) >= rank(self.exit_code) {
            self.exit_code = code;
            self.result = result;
        }
    }

    /// The webhooks called for this pod, with where they are served and how long they may take.
    fn called_webhooks(&self) -> String {
        let named: Vec<String> = self
            .candidates
            .iter()
            .map(|c| {
                match self
                    .facts
                    .webhooks
                    .items
                    .iter()
                    .find(|h| h.name == c.webhook && h.configuration == c.configuration)
                {
                    Some(h) => format!(
                        "{} ({}, timeoutSeconds {})",
                        h.name,
                        h.endpoint(),
                        h.timeout_seconds
                    ),
                    None => c.webhook.clone(),
                }
            })
            .collect();
        named.join(", ")
    }

    /// The object could not be compared: say why and what to do, and leave the run incomplete.
    fn not_compared(&mut self, id: &'static str, gap: Gap, message: String) {
        self.finding(id, None, message);
        self.gaps.push(gap);
        self.raise(Result_::NotRun, EXIT_INCOMPLETE);
    }

    fn run(&mut self, show_defaults: bool) {
        let unread =
            matches!(self.pod.outcome, Outcome::NotRun { .. }) || self.pod.lineage.is_empty();
        if let (true, Some(gap)) = (unread, self.pod.gaps.first()) {
            let id = if self.pod.live {
                "not-compared"
            } else {
                "dry-run-failed"
            };
            let mut message = format!(
                "{} could not be compared: {} ({}); {}",
                self.name,
                gap.short(),
                gap.detail,
                gap.remedy()
            );
            if gap.cause == Cause::Timeout && !self.pod.live && !self.candidates.is_empty() {
                message.push_str(&format!(
                    "; the apiserver calls these webhooks for it, and a slow one keeps it waiting: {}",
                    self.called_webhooks()
                ));
            }
            self.finding(id, None, message);
            self.raise(Result_::NotRun, EXIT_INCOMPLETE);
            return;
        }
        let Some(base) = self.pod.lineage.first() else {
            let why = match &self.pod.outcome {
                Outcome::NotRun { why } => redact::message(why),
                _ => "nothing is known about what was submitted".into(),
            };
            self.finding("submitted-unknown", None, why.clone());
            self.gaps.push(Gap::new(
                format!("what was submitted for {}", self.name),
                Cause::NotFound,
                why,
            ));
            self.raise(Result_::NotRun, EXIT_USAGE);
            return;
        };
        self.known_strippers(&base.pod);
        match &self.pod.outcome {
            Outcome::NotRun { why } => {
                let why = redact::message(why);
                self.finding("not-compared", None, why);
                self.raise(Result_::NotRun, EXIT_USAGE);
            }
            Outcome::Rejected {
                code,
                reason,
                message,
            } => self.rejected(&base.pod, *code, reason, message),
            Outcome::Admitted { pod, warnings } => {
                for w in warnings {
                    self.finding(
                        "apiserver-warning",
                        None,
                        format!("the apiserver warned: {}", redact::message(w)),
                    );
                }
                self.compared = true;
                self.admitted(&base.pod, &base.what, pod, show_defaults);
                self.upstream();
            }
        }
    }

    fn known_strippers(&mut self, submitted: &Value) {
        if sidecars(submitted).is_empty() {
            return;
        }
        let hits: Vec<(String, String, KnownStripper)> = self
            .candidates
            .iter()
            .filter_map(|c| {
                c.known_stripper
                    .map(|k| (c.webhook.clone(), c.configuration.clone(), k))
            })
            .collect();
        for (webhook, configuration, known) in hits {
            self.finding(
                "webhook-known-stripper",
                None,
                format!(
                    "webhook {webhook} (configuration {configuration}) is called for this pod and is publicly reported to strip restartPolicy from init containers: {} ({})",
                    known.project, known.report
                ),
            );
        }
    }

    fn rejected(&mut self, submitted: &Value, code: u16, reason: &str, message: &str) {
        let message = redact::message(message);
        let message = message.as_str();
        let dry_run = format!(
            "dry-run create of {} in namespace {}",
            self.name, self.pod.namespace
        );
        let status = format!("{code} {reason}: {message}");
        if message.contains(PROBE_FORBIDDEN) {
            let declared = sidecars(submitted);
            let mut named = rejected_init_containers(message, submitted);
            named.retain(|n| declared.contains(n));
            if named.is_empty() {
                named = declared.clone();
            }
            let attribution = self.attributor().strip_attribution(None);
            for name in &named {
                self.finding(
                    "rejected-stripped-sidecar",
                    Some(name),
                    format!(
                        "the create was rejected ({message}), yet init container {name:?} declares restartPolicy: Always: the field was stripped before validation, so its probes or lifecycle hooks became illegal on a classic init container. {}",
                        attribution_text(&attribution)
                    ),
                );
            }
            if named.is_empty() {
                self.not_compared(
                    "dry-run-rejected",
                    Gap::new(dry_run, Cause::Error, status),
                    format!("the dry run was rejected: {message}"),
                );
                return;
            }
            self.compared = true;
            self.raise(Result_::SidecarAffected, EXIT_FINDINGS);
            return;
        }
        if message.contains("does not support dry run") {
            let hook = quoted(message).unwrap_or_else(|| "?".into());
            let side = self
                .facts
                .webhooks
                .items
                .iter()
                .find(|h| h.name == hook)
                .map(|h| {
                    format!(
                        " (sideEffects {}, configuration {})",
                        h.side_effects, h.configuration
                    )
                })
                .unwrap_or_default();
            self.not_compared(
                "dry-run-unsupported",
                Gap::new(
                    format!("{dry_run} (webhook {hook} cannot dry-run)"),
                    Cause::NotAsked,
                    status,
                ),
                format!(
                    "webhook {hook}{side} does not support dry run, so the apiserver refused the whole dry run and what admission does to this pod cannot be shown; ask its owner to declare sideEffects None or NoneOnDryRun, or diff a live pod instead (kubectl sidecar diff-pod POD)"
                ),
            );
            return;
        }
        if let Some(hook) = message
            .find(CALLING_WEBHOOK)
            .and_then(|i| quoted(&message[i..]))
        {
            self.webhook_failed(&hook, dry_run, status, message);
            return;
        }
        if code == 403 && message.contains("cannot create resource") {
            self.not_compared(
                "dry-run-forbidden",
                Gap::forbidden(dry_run, "create pods", status),
                format!(
                    "the dry run was forbidden ({message}): a dry run needs the same RBAC as a real create, `create pods` in namespace {}",
                    self.pod.namespace
                ),
            );
            return;
        }
        let (id, cause) = match code {
            // 403 without RBAC's wording is an admission refusal (PodSecurity, a webhook).
            401 => ("dry-run-forbidden", Cause::Forbidden),
            404 => ("dry-run-failed", Cause::NotFound),
            408 | 504 => ("dry-run-failed", Cause::Timeout),
            429 | 500..=599 => ("dry-run-failed", Cause::ServerError),
            _ => ("dry-run-rejected", Cause::Error),
        };
        let gap = Gap::new(dry_run, cause, status.clone());
        let what = if id == "dry-run-rejected" {
            format!("the dry run was rejected: {status}")
        } else {
            format!("the dry run failed: {status}; {}", gap.remedy())
        };
        self.not_compared(id, gap, what);
    }

    /// The apiserver could not call a webhook whose failurePolicy is Fail, so it refused the
    /// create: nothing can be compared until the webhook answers. Not a finding about sidecars
    /// (every pod it matches is refused alike), so the object is incomplete, with the webhook
    /// named and where it is served.
    fn webhook_failed(&mut self, hook: &str, dry_run: String, status: String, message: &str) {
        let lower = message.to_ascii_lowercase();
        // Not a bare "timeout": the webhook's URL itself carries `?timeout=10s`.
        let timed_out = [
            "deadline exceeded",
            "client.timeout",
            "i/o timeout",
            "timed out",
        ]
        .iter()
        .any(|w| lower.contains(w));
        let cause = if timed_out {
            Cause::Timeout
        } else {
            Cause::Unreachable
        };
        let known = self.facts.webhooks.items.iter().find(|h| h.name == hook);
        let (about, endpoint, parts) = match known {
            Some(h) => (
                format!(
                    " (configuration {}, failurePolicy {}, timeoutSeconds {})",
                    h.configuration, h.failure_policy, h.timeout_seconds
                ),
                h.endpoint(),
                match h.client {
                    ClientConfig::Service { .. } => {
                        "its pods ready, the service's endpoints, network policy, its certificate"
                    }
                    _ => "the server, the network path from the apiserver, its certificate",
                },
            ),
            None => (
                String::new(),
                "its endpoint".to_string(),
                "the server, the network path from the apiserver, its certificate",
            ),
        };
        let remedy = if timed_out {
            format!(
                "it did not answer in time: check the load and health of {endpoint}, or raise the webhook's timeoutSeconds"
            )
        } else {
            format!("check that {endpoint} is running and reachable from the apiserver ({parts})")
        };
        self.not_compared(
            "webhook-failed",
            Gap::new(
                format!("{dry_run} (webhook {hook} at {endpoint} failed)"),
                cause,
                status,
            ),
            format!(
                "webhook {hook}{about} could not be called by the apiserver ({}): with failurePolicy Fail the apiserver refuses every create it matches, so what admission does to this pod cannot be shown; {remedy}",
                cause.as_str()
            ),
        );
    }

    fn admitted(&mut self, submitted: &Value, from: &str, admitted: &Value, show_defaults: bool) {
        let live = self.pod.live;
        let before = normalize(submitted, live);
        let after = normalize(admitted, live);
        let changes = classify(diff(&before, &after), &before, &after);
        let steps = replay(submitted, &self.pod.blame, live);
        let hidden = |c: &&Change| c.kind == Kind::Defaulted && !show_defaults;
        let mut shown_after = after.clone();
        // Put the submission's value back where a default is hidden. Backwards, so that removing
        // list items by position does not shift the positions still to come.
        for change in changes.iter().rev().filter(hidden) {
            match &change.raw.before {
                Some(v) => change.raw.path.set(&mut shown_after, v.clone()),
                None => change.raw.path.remove(&mut shown_after),
            };
        }
        // A list or map left empty by that is absent, as on the submitted side.
        prune(&mut shown_after);
        let mut shown_before = redact::pod(&before);
        let mut shown_after_masked = redact::pod(&shown_after);
        for change in changes.iter().filter(|c| !hidden(c)) {
            let attribution = self.attributor().attribute(change, &steps);
            self.change_findings(change, &attribution, submitted);
            let (before_out, after_out) = masked_change(&change.raw);
            // A value changed under the mask would vanish from the diff: mark it instead.
            if let Some(after_out) = &after_out
                && change.raw.before.is_some()
                && before_out.as_ref() != change.raw.before.as_ref()
            {
                if let Some(b) = &before_out {
                    change.raw.path.set(&mut shown_before, b.clone());
                }
                change
                    .raw
                    .path
                    .set(&mut shown_after_masked, after_out.clone());
            }
            self.changes.push(ChangeOut {
                object: self.name.clone(),
                path: change.raw.path.clone(),
                kind: change.kind,
                container: change.container.clone(),
                sidecar: change.sidecar,
                before: before_out,
                after: after_out,
                attribution: masked_attribution(attribution),
            });
        }
        let significant = changes.iter().any(|c| c.kind != Kind::Defaulted);
        if changes.iter().any(|c| c.sidecar.is_some()) {
            self.raise(Result_::SidecarAffected, EXIT_FINDINGS);
        } else if significant {
            self.raise(Result_::Changed, EXIT_OK);
        }
        self.view = Some(View {
            object: self.name.clone(),
            submitted_from: from.to_string(),
            result_from: if live {
                "the live pod".into()
            } else {
                "the dry run's result".into()
            },
            before: shown_before,
            after: shown_after_masked,
        });
    }

    fn change_findings(&mut self, change: &Change, attribution: &Attribution, submitted: &Value) {
        let who = attribution_text(attribution);
        let path = &change.raw.path;
        let container = change.container.as_deref();
        match (change.sidecar, change.kind) {
            (Some(SidecarEffect::RestartPolicyRemoved), _) => {
                let name = container.unwrap_or("?");
                let consequence = if has_probes_or_hooks(submitted, name) {
                    "it has probes or lifecycle hooks, which a classic init container may not have, so a real create is rejected"
                } else {
                    "it now runs as a classic init container: the containers after it wait for it to exit, which a sidecar never does, so the pod hangs in Init"
                };
                self.finding(
                    "restart-policy-removed",
                    container,
                    format!("restartPolicy: Always was removed from init container {name:?}: {consequence}. {who}"),
                );
            }
            (Some(SidecarEffect::SidecarRemoved), _) => self.finding(
                "sidecar-removed",
                container,
                format!(
                    "native sidecar {:?} was removed from the pod. {who}",
                    container.unwrap_or("?")
                ),
            ),
            (Some(SidecarEffect::SidecarModified), _) => self.finding(
                "sidecar-modified",
                container,
                format!(
                    "{path} of native sidecar {:?} was {}. {who}",
                    container.unwrap_or("?"),
                    if change.kind == Kind::Removed {
                        "removed"
                    } else {
                        "changed"
                    }
                ),
            ),
            (None, Kind::Injected) if path.in_container() == Some(&[]) => {
                let (list, name) = path.container().unwrap_or(("?", "?"));
                let native = change
                    .raw
                    .after
                    .as_ref()
                    .and_then(|c| c.get("restartPolicy"))
                    .and_then(Value::as_str)
                    == Some("Always");
                let what = match (list, native) {
                    ("initContainers", true) => {
                        "native sidecar (init container with restartPolicy: Always)"
                    }
                    ("initContainers", false) => "init container",
                    ("ephemeralContainers", _) => "ephemeral container",
                    _ => "container",
                };
                self.finding(
                    "container-injected",
                    Some(name),
                    format!("{what} {name:?} was injected. {who}"),
                );
            }
            (None, Kind::Removed)
                if is_restart_rules(path)
                    && !matches!(attribution, Attribution::Apiserver { .. }) =>
            {
                let name = container.unwrap_or("?");
                let kept = match container_restart_policy(submitted, name) {
                    Some(p) => format!(
                        "; its restartPolicy ({p}) stayed, so the kubelet restarts it by that alone and the exits the rules name are not handled as declared"
                    ),
                    None => String::new(),
                };
                self.finding(
                    "webhook-drops-restart-rules",
                    container,
                    format!("restartPolicyRules of container {name:?} were removed by admission{kept}. {who}"),
                );
                self.raise(Result_::Changed, EXIT_FINDINGS);
            }
            (None, Kind::Removed) => self.finding(
                "field-removed",
                container,
                format!("{path} was removed by admission. {who}"),
            ),
            _ => {}
        }
    }

    /// For a live pod: a sidecar's restartPolicy present further up (the Deployment's template,
    /// the last-applied configuration) but missing nearer was dropped when the nearer object
    /// was written, before any pod existed.
    fn upstream(&mut self) {
        let lineage = &self.pod.lineage;
        let base = match lineage.first() {
            Some(b) => sidecars(&b.pod),
            None => return,
        };
        let mut reported: Vec<String> = Vec::new();
        for k in 1..lineage.len() {
            for name in sidecars(&lineage[k].pod) {
                if base.contains(&name) || reported.contains(&name) {
                    continue;
                }
                let lost_in = &lineage[k - 1];
                if !sidecars(&lost_in.pod).contains(&name) {
                    reported.push(name.clone());
                    let attribution = match &lost_in.writer {
                        Some(w) => self.attributor().writer_attribution(w),
                        None => Attribution::Unknown {
                            why: format!(
                                "{} was never written through the apiserver",
                                lost_in.what
                            ),
                        },
                    };
                    self.finding(
                        "restart-policy-removed-upstream",
                        Some(&name),
                        format!(
                            "init container {name:?} has restartPolicy: Always in the {} but not in the {}: it was dropped when that object was written, so every pod made from it gets a classic init container that hangs in Init. {}",
                            lineage[k].what,
                            lost_in.what,
                            attribution_text(&attribution)
                        ),
                    );
                    self.raise(Result_::SidecarAffected, EXIT_FINDINGS);
                }
            }
        }
    }
}

/// A change's two sides as they may be shown. When masking makes them equal, the admitted side
/// says that it changed.
fn masked_change(raw: &RawChange) -> (Option<Value>, Option<Value>) {
    let before = raw.before.as_ref().map(|v| redact::at_path(&raw.path, v));
    let mut after = raw.after.as_ref().map(|v| redact::at_path(&raw.path, v));
    if before.is_some() && before == after && raw.before != raw.after {
        after = after.map(|v| match v.as_str() {
            Some(text) if text.ends_with(')') => {
                Value::String(format!("{}, changed)", &text[..text.len() - 1]))
            }
            _ => Value::String(redact::REDACTED_CHANGED.into()),
        });
    }
    (before, after)
}

/// An attribution with the webhook's patch masked (it may carry the whole spec).
fn masked_attribution(a: Attribution) -> Attribution {
    match a {
        Attribution::Webhook {
            webhook,
            configuration,
            patch,
        } => Attribution::Webhook {
            webhook,
            configuration,
            patch: redact::patch(&patch),
        },
        other => other,
    }
}

/// A `--blame` step as it may be shown: its patch masked.
fn masked_step(step: &BlameStep) -> BlameStep {
    let mut step = step.clone();
    match &mut step.result {
        BlameResult::Patched { patch } => *patch = redact::patch(patch),
        BlameResult::Denied { message } => *message = redact::message(message),
        BlameResult::Failed { error, .. } => *error = redact::message(error),
        _ => {}
    }
    step
}

/// The `restartPolicy` of the regular or init container `name`, as submitted.
fn container_restart_policy(pod: &Value, name: &str) -> Option<String> {
    ["containers", "initContainers"].iter().find_map(|list| {
        pod.pointer(&format!("/spec/{list}"))
            .and_then(Value::as_array)?
            .iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(name))?
            .get("restartPolicy")
            .and_then(Value::as_str)
            .map(str::to_string)
    })
}

fn has_probes_or_hooks(pod: &Value, name: &str) -> bool {
    pod.pointer("/spec/initContainers")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
        })
        .is_some_and(|c| {
            [
                "startupProbe",
                "readinessProbe",
                "livenessProbe",
                "lifecycle",
            ]
            .iter()
            .any(|f| c.get(*f).is_some_and(|v| !v.is_null()))
        })
}

/// Init containers named by index in a validation message (`spec.initContainers[0].startupProbe`).
fn rejected_init_containers(message: &str, pod: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for part in message.split("spec.initContainers[").skip(1) {
        let Some(index) = part.split(']').next().and_then(|i| i.parse::<usize>().ok()) else {
            continue;
        };
        if let Some(name) = pod
            .pointer(&format!("/spec/initContainers/{index}/name"))
            .and_then(Value::as_str)
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_string());
        }
    }
    names
}

/// The first double-quoted word of a message: the webhook in `admission webhook "x" does not ...`.
fn quoted(message: &str) -> Option<String> {
    let start = message.find('"')? + 1;
    let len = message[start..].find('"')?;
    Some(message[start..start + len].to_string())
}

#[cfg(test)]
mod tests {
    use super::super::attribution::{patch_summary, related};
    use super::super::diff::Path;
    use super::*;
    use crate::facts::diff_pod::{Apiserver, BlameStep, Gate, Source, Webhooks, Writer};
    use crate::facts::object::KindName;
    use crate::kube::selector::Labels;
    use crate::kube::webhooks::parse_configurations;
    use crate::kube::webhooks::{Verdict, Webhook};
    use serde_json::json;

    fn submitted() -> Value {
        json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"generateName": "web-", "labels": {"app": "web"}},
        "spec": {
            "initContainers": [{"name": "proxy", "image": "envoy", "restartPolicy": "Always"}],
            "containers": [{"name": "app", "image": "nginx"}]
        }})
    }

    fn stripped() -> Value {
        let mut p = submitted();
        p["metadata"]["name"] = json!("web-abcde");
        p["metadata"]["uid"] = json!("1");
        p["spec"]["initContainers"][0]
            .as_object_mut()
            .map(|c| c.remove("restartPolicy"));
        p["spec"]["dnsPolicy"] = json!("ClusterFirst");
        p
    }

    fn hooks() -> Vec<Webhook> {
        parse_configurations(&[
            json!({"metadata": {"name": "legacy"}, "webhooks": [{
                "name": "strip.legacy.example.com",
                "clientConfig": {"url": "https://10.1.0.2/m"},
                "namespaceSelector": {"matchLabels": {"strip": "yes"}},
                "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
                "sideEffects": "None", "admissionReviewVersions": ["v1"]}]}),
            json!({"metadata": {"name": "other"}, "webhooks": [{
                "name": "gtoken.doit-intl.com",
                "clientConfig": {"url": "https://10.1.0.3/m"},
                "objectSelector": {"matchLabels": {"app": "db"}},
                "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
                "sideEffects": "None", "admissionReviewVersions": ["v1"]}]}),
        ])
    }

    fn facts(
        gate: Gate,
        outcome: Outcome,
        ns_labels: &[(&str, &str)],
        blame: Vec<BlameStep>,
    ) -> DiffFacts {
        DiffFacts {
            apiserver: Apiserver {
                version: Some("v1.31.0".into()),
                gate,
                metrics_read: true,
                gap: None,
            },
            webhooks: Webhooks {
                items: hooks(),
                error: None,
            },
            pods: vec![PodFacts {
                object: KindName {
                    kind: "Deployment".into(),
                    name: "web".into(),
                    namespace: None,
                },
                namespace: "ns".into(),
                source: "deploy.yaml".into(),
                location: None,
                live: false,
                namespace_labels: Some(
                    ns_labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
                namespace_error: None,
                lineage: vec![Source {
                    what: "manifest deploy.yaml".into(),
                    writer: None,
                    pod: submitted(),
                }],
                outcome,
                blame,
                notes: vec![],
                gaps: vec![],
            }],
        }
    }

    fn admitted(pod: Value) -> Outcome {
        Outcome::Admitted {
            pod,
            warnings: vec![],
        }
    }

    fn ids(a: &Analysis) -> Vec<&str> {
        a.report.findings.iter().map(|f| f.id.as_str()).collect()
    }

    /// A pod whose app has restart rules, through a webhook on k8s.io/api v0.28-v0.33: the
    /// rules go, `restartPolicy` stays.
    fn with_rules(version: &str, drop: bool) -> DiffFacts {
        let rules = json!([{"action": "Restart", "exitCodes": {"operator": "In", "values": [42]}}]);
        let mut submitted = submitted();
        submitted["spec"]["containers"][0]["restartPolicy"] = json!("Never");
        submitted["spec"]["containers"][0]["restartPolicyRules"] = rules;
        let mut after = submitted.clone();
        after["metadata"]["name"] = json!("web-abcde");
        if drop {
            after["spec"]["containers"][0]
                .as_object_mut()
                .map(|c| c.remove("restartPolicyRules"));
        }
        let mut f = facts(Gate::AlwaysOn, admitted(after), &[("strip", "yes")], vec![]);
        f.apiserver.version = Some(version.into());
        f.pods[0].lineage[0].pod = submitted;
        f
    }

    #[test]
    fn dropped_restart_rules_name_the_webhook() {
        let a = analyze(&with_rules("v1.37.2", true), false);
        assert_eq!(ids(&a), vec!["webhook-drops-restart-rules"]);
        assert_eq!(a.exit_code(), EXIT_FINDINGS);
        let f = &a.report.findings[0];
        assert_eq!(f.object.container.as_deref(), Some("app"));
        assert!(
            f.message.contains("strip.legacy.example.com"),
            "{}",
            f.message
        );
        assert!(
            f.message.contains("restartPolicy (Never) stayed"),
            "{}",
            f.message
        );
        // Kept: nothing to say.
        let a = analyze(&with_rules("v1.37.2", false), false);
        assert!(ids(&a).is_empty(), "{:?}", ids(&a));
        assert_eq!(a.exit_code(), EXIT_OK);
        // An apiserver before ContainerRestartRules' beta drops them itself: not a webhook's doing.
        let a = analyze(&with_rules("v1.34.4", true), false);
        assert_eq!(ids(&a), vec!["field-removed"]);
        assert!(
            a.report.findings[0]
                .message
                .contains("Done by the apiserver"),
            "{}",
            a.report.findings[0].message
        );
    }

    #[test]
    fn strip_attributed_to_the_matching_webhook() {
        let a = analyze(
            &facts(
                Gate::AlwaysOn,
                admitted(stripped()),
                &[("strip", "yes")],
                vec![],
            ),
            false,
        );
        assert_eq!(a.exit_code(), EXIT_FINDINGS);
        assert_eq!(ids(&a), vec!["restart-policy-removed"]);
        let f = &a.report.findings[0];
        assert_eq!(f.object.container.as_deref(), Some("proxy"));
        assert!(
            f.message.contains("strip.legacy.example.com"),
            "{}",
            f.message
        );
        assert!(f.message.contains("hangs in Init"), "{}", f.message);
        // dnsPolicy is a default: hidden.
        assert_eq!(a.report.changes.len(), 1);
        match &a.report.changes[0].attribution {
            Attribution::Webhooks { candidates, .. } => {
                assert_eq!(candidates.len(), 1);
                assert_eq!(candidates[0].webhook, "strip.legacy.example.com");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(a.views[0].after.pointer("/spec/dnsPolicy"), None);
    }

    #[test]
    fn several_hidden_defaults_in_one_list_all_vanish_from_the_view() {
        let toleration = |key: &str| json!({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300});
        let mut admitted_pod = stripped();
        admitted_pod["spec"]["tolerations"] = json!([
            toleration("node.kubernetes.io/not-ready"),
            toleration("node.kubernetes.io/unreachable")
        ]);
        let a = analyze(
            &facts(
                Gate::AlwaysOn,
                admitted(admitted_pod),
                &[("strip", "yes")],
                vec![],
            ),
            false,
        );
        assert_eq!(
            a.views[0].after.pointer("/spec/tolerations"),
            None,
            "{:#}",
            a.views[0].after
        );
    }

    #[test]
    fn candidate_json_shape() {
        let c = Candidate {
            webhook: "w".into(),
            configuration: "c".into(),
            verdict: Verdict::MayMatch("matchConditions".into()),
            failure_policy: "Ignore".into(),
            reinvocation_policy: "Never".into(),
            side_effects: "None".into(),
            known_stripper: None,
        };
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"webhook": "w", "configuration": "c", "verdict": "may-match",
                "why": "matchConditions", "failurePolicy": "Ignore",
                "reinvocationPolicy": "Never", "sideEffects": "None"})
        );
    }

    #[test]
    fn patch_summaries_leave_values_out() {
        let patch = json!([
            {"op": "replace", "path": "/spec", "value": {"huge": true}},
            {"op": "add", "path": "/a"}, {"op": "add", "path": "/b"},
            {"op": "add", "path": "/c"}, {"op": "add", "path": "/d"}
        ]);
        assert_eq!(
            patch_summary(&patch),
            "replace /spec, add /a, add /b, add /c, and 1 more"
        );
        assert_eq!(patch_summary(&json!({})), "not a list of operations");
    }

    #[test]
    fn show_defaults_keeps_them() {
        let a = analyze(
            &facts(
                Gate::AlwaysOn,
                admitted(stripped()),
                &[("strip", "yes")],
                vec![],
            ),
            true,
        );
        assert_eq!(a.report.changes.len(), 2);
        assert_eq!(a.views[0].after["spec"]["dnsPolicy"], "ClusterFirst");
    }

    #[test]
    fn gate_off_blames_the_apiserver() {
        let a = analyze(
            &facts(
                Gate::Off {
                    stage: "BETA".into(),
                },
                admitted(stripped()),
                &[],
                vec![],
            ),
            false,
        );
        assert!(matches!(
            a.report.changes[0].attribution,
            Attribution::Apiserver { .. }
        ));
        assert!(a.report.findings[0].message.contains("feature gate off"));
    }

    #[test]
    fn blame_names_the_webhook_by_its_patch() {
        let patch = json!([{"op": "remove", "path": "/spec/initContainers/0/restartPolicy"}]);
        let blame = vec![BlameStep {
            webhook: "strip.legacy.example.com".into(),
            configuration: "legacy".into(),
            result: BlameResult::Patched {
                patch: patch.clone(),
            },
        }];
        let a = analyze(
            &facts(
                Gate::AlwaysOn,
                admitted(stripped()),
                &[("strip", "yes")],
                blame,
            ),
            false,
        );
        match &a.report.changes[0].attribution {
            Attribution::Webhook {
                webhook, patch: p, ..
            } => {
                assert_eq!(webhook, "strip.legacy.example.com");
                assert_eq!(p, &patch);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            a.report.findings[0]
                .message
                .contains("by its own patch (remove /spec/initContainers/0/restartPolicy)"),
            "{}",
            a.report.findings[0].message
        );
    }

    #[test]
    fn unchanged_pod_in_another_namespace_exits_zero() {
        let mut same = submitted();
        same["metadata"]["name"] = json!("web-x");
        let a = analyze(&facts(Gate::AlwaysOn, admitted(same), &[], vec![]), false);
        assert_eq!(a.exit_code(), EXIT_OK);
        assert!(a.report.findings.is_empty());
        assert!(a.report.objects[0].webhooks.is_empty());
        assert_eq!(a.report.objects[0].result, Result_::Unchanged);
    }

    #[test]
    fn injected_sidecar_is_reported_but_exits_zero() {
        let mut injected = submitted();
        if let Some(list) = injected["spec"]["initContainers"].as_array_mut() {
            list.push(json!({"name": "mesh", "restartPolicy": "Always"}));
        }
        let a = analyze(
            &facts(Gate::AlwaysOn, admitted(injected), &[], vec![]),
            false,
        );
        assert_eq!(a.exit_code(), EXIT_OK);
        assert_eq!(ids(&a), vec!["container-injected"]);
        assert!(a.report.findings[0].message.contains("native sidecar"));
        assert_eq!(a.report.objects[0].result, Result_::Changed);
    }

    #[test]
    fn probe_rejection_is_explained() {
        let outcome = Outcome::Rejected {
            code: 422,
            reason: "Invalid".into(),
            message: format!(
                "Pod \"web-\" is invalid: spec.initContainers[0].startupProbe: Forbidden: {PROBE_FORBIDDEN}"
            ),
        };
        let a = analyze(
            &facts(Gate::AlwaysOn, outcome, &[("strip", "yes")], vec![]),
            false,
        );
        assert_eq!(a.exit_code(), EXIT_FINDINGS);
        assert_eq!(ids(&a), vec!["rejected-stripped-sidecar"]);
        assert_eq!(
            a.report.findings[0].object.container.as_deref(),
            Some("proxy")
        );
        assert!(
            a.report.findings[0]
                .message
                .contains("stripped before validation")
        );
        assert!(
            a.report.findings[0]
                .message
                .contains("strip.legacy.example.com")
        );
    }

    #[test]
    fn dry_run_refusals_are_diagnoses() {
        let cases = [
            (
                400,
                "BadRequest",
                "admission webhook \"strip.legacy.example.com\" does not support dry run",
                "dry-run-unsupported",
            ),
            (
                403,
                "Forbidden",
                "pods is forbidden: User \"u\" cannot create resource \"pods\" in API group \"\" in the namespace \"ns\"",
                "dry-run-forbidden",
            ),
            (
                403,
                "Forbidden",
                "admission webhook \"deny\" denied the request: no",
                "dry-run-rejected",
            ),
        ];
        for (code, reason, message, id) in cases {
            let outcome = Outcome::Rejected {
                code,
                reason: reason.into(),
                message: message.into(),
            };
            let a = analyze(&facts(Gate::AlwaysOn, outcome, &[], vec![]), false);
            assert_eq!(ids(&a), vec![id]);
            assert_eq!(a.exit_code(), EXIT_INCOMPLETE, "{id}");
            assert_eq!(a.report.objects[0].result, Result_::NotRun);
            assert!(!a.report.coverage.complete());
            assert_eq!(a.report.coverage.sections[1].examined, 0);
        }
    }

    #[test]
    fn known_stripper_flagged_only_when_it_applies() {
        let mut f = facts(Gate::AlwaysOn, admitted(submitted()), &[], vec![]);
        f.pods[0].lineage[0].pod["metadata"]["labels"]["app"] = json!("db");
        let a = analyze(&f, false);
        assert_eq!(ids(&a), vec!["webhook-known-stripper"]);
        assert!(a.report.findings[0].message.contains("gtoken"));
    }

    #[test]
    fn upstream_strip_of_a_live_pod() {
        let mut f = facts(Gate::AlwaysOn, admitted(stripped()), &[], vec![]);
        let mut rs_template = submitted();
        rs_template["spec"]["initContainers"][0]
            .as_object_mut()
            .map(|c| c.remove("restartPolicy"));
        f.pods[0].live = true;
        f.pods[0].lineage = vec![
            Source {
                what: "template of ReplicaSet/web-1".into(),
                writer: Some(Writer {
                    object: KindName {
                        kind: "ReplicaSet".into(),
                        name: "web-1".into(),
                        namespace: None,
                    },
                    group: "apps".into(),
                    version: "v1".into(),
                    resource: "replicasets".into(),
                    labels: Labels::new(),
                }),
                pod: rs_template,
            },
            Source {
                what: "template of Deployment/web".into(),
                writer: None,
                pod: submitted(),
            },
        ];
        let a = analyze(&f, false);
        assert_eq!(ids(&a), vec!["restart-policy-removed-upstream"]);
        assert_eq!(a.exit_code(), EXIT_FINDINGS);
        assert!(a.report.findings[0].message.contains("ReplicaSet/web-1"));
    }

    #[test]
    fn bare_pod_without_a_submission() {
        let mut f = facts(
            Gate::AlwaysOn,
            Outcome::NotRun {
                why: "Pod/x has no owner".into(),
            },
            &[],
            vec![],
        );
        f.pods[0].lineage.clear();
        let a = analyze(&f, false);
        assert_eq!(ids(&a), vec!["submitted-unknown"]);
        assert_eq!(a.exit_code(), EXIT_USAGE);
    }

    #[test]
    fn helpers() {
        assert_eq!(
            quoted("admission webhook \"a.b\" does not").as_deref(),
            Some("a.b")
        );
        assert_eq!(quoted("none"), None);
        let pod = submitted();
        assert_eq!(
            rejected_init_containers(
                "spec.initContainers[0].startupProbe: x, spec.initContainers[7].y",
                &pod
            ),
            vec!["proxy".to_string()]
        );
        assert!(related(
            &Path::parse("spec.initContainers[name=a]").unwrap(),
            &Path::parse("spec.initContainers[name=a].image").unwrap()
        ));
        assert!(!related(
            &Path::parse("spec.initContainers[name=a]").unwrap(),
            &Path::parse("spec.initContainers[name=b]").unwrap()
        ));
    }
}
