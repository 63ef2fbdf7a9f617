//! The findings table folds the same finding on many objects (one stripping webhook, a
//! directory of Deployments) into one row; `-o wide` and the JSON keep every finding.

use super::analyze::analyze;
use super::render::table_output;
use super::trust_tests::{admitted, facts, pod, stripped};

#[test]
fn the_same_finding_on_thirty_deployments_is_one_row() {
    let pods = (0..30)
        .map(|i| pod(&format!("web-{i:02}"), admitted(stripped())))
        .collect();
    let a = analyze(&facts(pods), false);
    assert_eq!(a.report.findings.len(), 30);
    let findings = |table: &str| {
        table
            .lines()
            .take_while(|l| !l.starts_with("OBJECT "))
            .filter(|l| l.starts_with("error "))
            .count()
    };
    let table = table_output(&a, false, false);
    assert_eq!(findings(&table), 1, "{table}");
    for needle in [
        "error      30 deployments in 1 namespace   proxy       restartPolicy: Always was removed from init container \"proxy\"",
        "e.g. Deployment/web-00, Deployment/web-01, Deployment/web-02 (+27 more)",
        "(30 findings in 1 row: the same finding on many objects is one row; -o wide lists every one)",
    ] {
        assert!(table.contains(needle), "missing {needle:?} in:\n{table}");
    }
    let wide = table_output(&a, false, true);
    assert_eq!(findings(&wide), 30, "{wide}");
    assert!(!wide.contains("findings in"), "{wide}");
    let json = serde_json::to_value(&a.report).unwrap();
    assert_eq!(json["findings"].as_array().unwrap().len(), 30);
}
