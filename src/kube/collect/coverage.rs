//! The coverage of doctor's facts: the five sections that decide its verdict (and events, which
//! only inform) and what each counts. Collection records gaps as it meets them; controlPlane and
//! nodes are check-nodes' own coverage (`checks::cluster::coverage`), derived from its facts.

use crate::facts::coverage::{Cause, Coverage, Gap, SectionCoverage};

pub const CONTROL_PLANE: &str = "controlPlane";
pub const NODES: &str = "nodes";
pub const ADMISSION: &str = "admission";
pub const INJECTORS: &str = "injectors";
pub const WORKLOADS: &str = "workloads";
/// Informative only: events expire (an hour by default), so their absence never proves
/// anything; every verdict is read from current state (gates, templates, pods, the canary) and
/// events only add evidence to it.
pub const EVENTS: &str = "events";

/// Every section, empty, in report order.
pub fn empty() -> Coverage {
    let mut sections = vec![
        SectionCoverage::new(CONTROL_PLANE, "components"),
        SectionCoverage::new(NODES, "nodes"),
        SectionCoverage::new(ADMISSION, "canary namespaces"),
        SectionCoverage::new(INJECTORS, "sources"),
        SectionCoverage::new(WORKLOADS, "pods"),
        SectionCoverage::new(EVENTS, "event reasons"),
    ];
    if let Some(events) = sections.last_mut() {
        events.decisive = false;
    }
    Coverage { sections }
}

/// The named section, added (deciding) if a snapshot lacks it.
pub fn section<'a>(coverage: &'a mut Coverage, name: &str) -> &'a mut SectionCoverage {
    let at = match coverage.sections.iter().position(|s| s.section == name) {
        Some(at) => at,
        None => {
            coverage.sections.push(SectionCoverage::new(name, "items"));
            coverage.sections.len() - 1
        }
    };
    &mut coverage.sections[at]
}

/// The cause of a failure known only by its text (the check-nodes and diff-pod engines report
/// failures as sentences). Ordered from the most to the least specific wording.
pub fn cause_of_text(text: &str) -> Cause {
    let t = text.to_ascii_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if any(&["kubelet refused the apiserver's proxied request"]) {
        Cause::Error
    } else if any(&[
        "timed out",
        "timeout",
        "deadline",
        "did not answer",
        "no answer",
        "throttled",
    ]) {
        Cause::Timeout
    } else if t.starts_with("not asked") {
        Cause::NotAsked
    } else if any(&["forbidden", " 403", "403 "]) {
        Cause::Forbidden
    } else if any(&[
        "refused",
        "unreachable",
        "cannot reach",
        "connect",
        "reset",
        "no route",
        "dns",
        "tls",
        "certificate",
        "http 503",
        "503 ",
        "broken pipe",
        "eof",
    ]) {
        Cause::Unreachable
    } else if any(&[
        "http 5",
        " 500",
        "500 ",
        "502",
        "internalerror",
        "not json",
        "unreadable",
        "cannot parse",
        "parse",
    ]) {
        Cause::ServerError
    } else if any(&["not found", "404"]) {
        Cause::NotFound
    } else {
        Cause::Error
    }
}

/// A gap from a failure known by its text; the permission is kept only for a refusal.
pub fn gap_from_text(what: impl Into<String>, permission: &str, text: &str) -> Gap {
    let cause = cause_of_text(text);
    Gap {
        what: what.into(),
        cause,
        permission: (cause == Cause::Forbidden).then(|| permission.to_string()),
        detail: crate::kube::access::one_line(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_from_text() {
        for (text, cause) in [
            (
                "metrics did not answer within 5s (kubelet hung or slow)",
                Cause::Timeout,
            ),
            (
                "not asked: node NotReady (KubeletNotReady)",
                Cause::NotAsked,
            ),
            (
                "not asked: the run's --timeout (2m) had passed",
                Cause::Timeout,
            ),
            (
                "HTTP 503: error trying to reach service: dial tcp: connection refused",
                Cause::Unreachable,
            ),
            ("HTTP 500: <html>oops</html>", Cause::ServerError),
            (
                "LIST mutatingwebhookconfigurations: 403 Forbidden: nope",
                Cause::Forbidden,
            ),
        ] {
            assert_eq!(cause_of_text(text), cause, "{text}");
        }
    }

    #[test]
    fn events_inform_and_the_five_sections_decide() {
        let c = empty();
        let deciding: Vec<&str> = c
            .sections
            .iter()
            .filter(|s| s.decisive)
            .map(|s| s.section.as_str())
            .collect();
        assert_eq!(
            deciding,
            [CONTROL_PLANE, NODES, ADMISSION, INJECTORS, WORKLOADS]
        );
        let mut c = c;
        section(&mut c, EVENTS).gap(Gap::new("list events", Cause::Timeout, "slow"));
        assert!(c.complete());
    }
}
