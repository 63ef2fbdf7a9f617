//! What could not be collected becomes an info finding in the section that lacks it, naming the
//! missing permission and what was skipped.

use super::Input;
use crate::doctor::findings::{Finding, ObjectRef};

pub fn check(input: &Input<'_>) -> Vec<Finding> {
    input
        .facts
        .skipped
        .iter()
        .map(|s| match s.permission.as_deref() {
            Some(permission) => Finding::new(
                "permission-missing",
                ObjectRef::cluster("Permission", permission),
                format!("cannot {permission}: {}", s.what),
            )
            .in_section(s.section)
            .evidence(s.error.clone())
            .fix(format!(
                "Grant `{permission}` to the user running doctor, or accept a report without: {}.",
                s.what
            )),
            None => Finding::new(
                "collect-incomplete",
                ObjectRef::cluster("Request", &s.what),
                format!("skipped: {}", s.what),
            )
            .in_section(s.section)
            .evidence(s.error.clone()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::catalog::Section;
    use crate::doctor::facts::{DoctorFacts, Skipped};
    use crate::doctor::findings::Severity;

    #[test]
    fn skips_become_info_findings_in_their_section() {
        let mut facts = DoctorFacts::default();
        facts.skipped.push(Skipped {
            section: Section::Nodes,
            permission: Some("get nodes/proxy".into()),
            what: "kubelet gates (verdicts inferred from versions)".into(),
            error: "403 Forbidden".into(),
        });
        facts.skipped.push(Skipped {
            section: Section::Workloads,
            permission: None,
            what: "events in namespace shop".into(),
            error: "timed out after 10s".into(),
        });
        let found = check(&Input::new(&facts));
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].id, "permission-missing");
        assert_eq!(found[0].section, Section::Nodes);
        assert_eq!(found[0].severity, Severity::Info);
        assert!(found[0].message.contains("get nodes/proxy"));
        assert_eq!(found[1].id, "collect-incomplete");
        assert_eq!(found[1].section, Section::Workloads);
    }
}
