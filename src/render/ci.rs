//! What the CI formats (`-o sarif`, `-o junit`) say about one run, whichever command made it:
//! its findings, where each one points, whether it fails the run under `--fail-on`, the rules
//! of the catalog the command reports, and the coverage, so that a run that could not look is
//! never read as a clean one.

use crate::checks::catalog::{self, Check};
use crate::checks::fail_on::Rule;
use crate::checks::finding::Finding;
use crate::facts::contract::Header;
use crate::facts::coverage::Coverage;

/// One run, ready for a CI format.
pub struct CiRun<'a> {
    /// `doctor`, `check-nodes` or `diff-pod`: the catalog's `reported_by` word.
    pub command: &'static str,
    pub header: &'a Header,
    pub findings: Vec<CiFinding<'a>>,
    pub coverage: &'a Coverage,
    pub rule: Rule,
    pub exit_code: i32,
}

/// A finding, and the file it came from when it has no location of its own (the snapshot a
/// run analysed, the manifest diff-pod dry-ran).
pub struct CiFinding<'a> {
    pub finding: &'a Finding,
    pub artifact: Option<String>,
}

/// A place in a file, as CI tools point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: String,
    pub line: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// At or above `--fail-on`, or standing in the way for this command: the run exits 1.
    Fails,
    /// Reported, below `--fail-on`.
    Passes,
    /// Says only that an object could not be examined: a gap, not a verdict on the object.
    NotExamined,
}

impl<'a> CiRun<'a> {
    pub fn status(&self, finding: &Finding) -> Status {
        if catalog::NOT_EXAMINED.contains(&finding.id.as_str()) {
            Status::NotExamined
        } else if self.rule.fails(finding) {
            Status::Fails
        } else {
            Status::Passes
        }
    }

    /// The catalog's checks this command reports, in catalog order.
    pub fn checks(&self) -> Vec<&'static Check> {
        checks_of(self.command)
    }

    /// True when something deciding the verdict was not examined.
    pub fn incomplete(&self) -> bool {
        // An offline run leaves the cluster out by design: not a failure to look.
        (!self.coverage.complete() && !self.coverage.offline())
            || self
                .findings
                .iter()
                .any(|f| self.status(f.finding) == Status::NotExamined)
    }

    /// `--fail-on`'s word.
    pub fn fail_on(&self) -> &'static str {
        self.rule.threshold.map_or("never", |s| s.as_str())
    }
}

/// The catalog's checks `command` reports, in catalog order.
pub fn checks_of(command: &str) -> Vec<&'static Check> {
    catalog::all()
        .filter(|c| c.reported_by.contains(&command))
        .collect()
}

impl CiFinding<'_> {
    /// The finding's own location, else the file the run read it from. Stdin has no place.
    pub fn place(&self) -> Option<Place> {
        let place = match (&self.finding.location, &self.artifact) {
            (Some(l), _) => Place {
                file: l.file.clone(),
                line: Some(l.line),
            },
            (None, Some(file)) => Place {
                file: file.clone(),
                line: None,
            },
            (None, None) => return None,
        };
        (place.file != "-").then_some(place)
    }
}
