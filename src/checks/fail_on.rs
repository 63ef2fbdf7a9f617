//! One meaning of the exit code for every command that reports findings (README "Exit codes"):
//! 1 when a finding fails the run; else 2 when the input named something that cannot be
//! judged; else 4 when something deciding the verdict was not examined; else 0. A finding fails
//! the run when it is at or above `--fail-on`, or when it is one the command counts as standing
//! in the way whatever its severity (doctor: errors; check-nodes: a node or component that
//! cannot run sidecars fully, a broken skew rule; diff-pod: a damaged sidecar). `never` takes
//! away only the 1: an unexamined cluster still exits 4, so CI never passes a run that did not
//! look.

use crate::checks::catalog;
use crate::checks::finding::{Finding, Severity};
use crate::error::{EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE};

/// What a command concluded before `--fail-on` is applied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Something examined stands in the way even where no finding names it (check-nodes: no
    /// node matches `-l`).
    pub negative: bool,
    /// The input named something that could not be judged (diff-pod: a pod without a known
    /// submission).
    pub bad_input: bool,
    /// Something deciding the verdict could not be examined.
    pub incomplete: bool,
}

/// How one command judges its findings against `--fail-on`.
#[derive(Clone, Copy)]
pub struct Rule {
    /// `None` for `never`.
    pub threshold: Option<Severity>,
    /// The findings the command counts as standing in the way, whatever their severity.
    pub decisive: fn(&Finding) -> bool,
}

impl Rule {
    /// Doctor's rule: an error stands in the way.
    pub fn errors(threshold: Option<Severity>) -> Self {
        Rule {
            threshold,
            decisive: |f| f.severity == Severity::Error,
        }
    }

    /// Whether this finding fails the run. Findings that only say an object could not be
    /// examined are gaps (exit 4), never failures.
    pub fn fails(&self, finding: &Finding) -> bool {
        let Some(threshold) = self.threshold else {
            return false;
        };
        !catalog::NOT_EXAMINED.contains(&finding.id.as_str())
            && (finding.severity >= threshold || (self.decisive)(finding))
    }

    /// The exit code of a run: see the module's comment.
    pub fn exit_code(&self, outcome: Outcome, findings: &[Finding]) -> i32 {
        let negative = self.threshold.is_some() && outcome.negative;
        if negative || findings.iter().any(|f| self.fails(f)) {
            EXIT_FINDINGS
        } else if outcome.bad_input {
            EXIT_USAGE
        } else if outcome.incomplete {
            EXIT_INCOMPLETE
        } else {
            EXIT_OK
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::finding::ObjectRef;

    fn finding(id: &str) -> Finding {
        Finding::new(id, ObjectRef::cluster("Node", "n1"), "m")
    }

    fn doctor(threshold: Option<Severity>) -> Rule {
        Rule::errors(threshold)
    }

    #[test]
    fn fail_on_sets_the_lowest_failing_severity() {
        let warning = [finding("mixed-pool-support")];
        let none = Outcome::default();
        assert_eq!(doctor(Some(Severity::Error)).exit_code(none, &warning), 0);
        assert_eq!(doctor(Some(Severity::Warning)).exit_code(none, &warning), 1);
        assert_eq!(doctor(Some(Severity::Info)).exit_code(none, &warning), 1);
        assert_eq!(doctor(None).exit_code(none, &warning), 0);
        let info = [finding("node-gate-unknown")];
        assert_eq!(doctor(Some(Severity::Warning)).exit_code(none, &info), 0);
        assert_eq!(doctor(Some(Severity::Info)).exit_code(none, &info), 1);
    }

    #[test]
    fn a_decisive_finding_fails_whatever_its_severity_except_with_never() {
        let rule = |threshold| Rule {
            threshold,
            decisive: |f: &Finding| f.id == "node-alpha-termination",
        };
        let partial = [finding("node-alpha-termination")];
        assert_eq!(
            rule(Some(Severity::Error)).exit_code(Outcome::default(), &partial),
            1
        );
        assert_eq!(rule(None).exit_code(Outcome::default(), &partial), 0);
    }

    #[test]
    fn never_keeps_incomplete_and_bad_input() {
        let error = [finding("node-unsupported")];
        let gap = Outcome {
            incomplete: true,
            ..Outcome::default()
        };
        assert_eq!(doctor(Some(Severity::Error)).exit_code(gap, &error), 1);
        assert_eq!(doctor(None).exit_code(gap, &error), 4);
        assert_eq!(doctor(None).exit_code(Outcome::default(), &error), 0);
        let bad = Outcome {
            bad_input: true,
            incomplete: true,
            ..Outcome::default()
        };
        assert_eq!(doctor(None).exit_code(bad, &[]), 2);
        assert_eq!(doctor(Some(Severity::Error)).exit_code(bad, &error), 1);
        let negative = Outcome {
            negative: true,
            ..Outcome::default()
        };
        assert_eq!(doctor(Some(Severity::Error)).exit_code(negative, &[]), 1);
        assert_eq!(doctor(None).exit_code(negative, &[]), 0);
    }

    #[test]
    fn a_finding_that_only_says_not_examined_is_a_gap() {
        let forbidden = [finding("dry-run-forbidden")];
        let gap = Outcome {
            incomplete: true,
            ..Outcome::default()
        };
        assert_eq!(doctor(Some(Severity::Info)).exit_code(gap, &forbidden), 4);
    }
}
