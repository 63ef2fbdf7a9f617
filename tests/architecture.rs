//! Rules about the source itself that review alone does not keep: each Kubernetes version
//! cut-off is written once, in src/kube/versions.rs.
//!
//! Every rule is a function over (path, text) so that the tests at the bottom can show it
//! catches a planted violation.

use std::fs;
use std::path::{Path, PathBuf};

/// Every .rs file under src/, as (path relative to src/ with '/' separators, text).
fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(&root).unwrap();
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((rel, fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out.sort();
    assert!(out.len() > 20, "found only {} files under src/", out.len());
    out
}

/// The lines of `text` outside `//` comments, numbered from 1.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, line)| {
        let code = line.split("//").next().unwrap_or("");
        (!code.trim().is_empty()).then_some((i + 1, code))
    })
}

/// Files allowed to name a minor: the table, and the version type (its own tests).
const VERSION_TABLE: &[&str] = &["kube/versions.rs", "kube/version.rs"];

/// `at_least(<digit>` or `minor_only() <op> (<digit>` outside the version table.
fn bare_cutoffs(path: &str, text: &str) -> Vec<String> {
    if VERSION_TABLE.contains(&path) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (n, code) in code_lines(text) {
        let literal_after = |marker: &str| {
            code.match_indices(marker).any(|(at, _)| {
                let rest = code[at + marker.len()..].trim_start();
                let rest = rest.trim_start_matches(['=', '<', '>', '!']).trim_start();
                let rest = rest.strip_prefix('(').unwrap_or(rest);
                rest.starts_with(|c: char| c.is_ascii_digit())
            })
        };
        if literal_after("at_least(") || literal_after("minor_only()") {
            out.push(format!("src/{path}:{n}: {}", code.trim()));
        }
    }
    out
}

#[test]
fn version_cutoffs_live_only_in_the_table() {
    let found: Vec<String> = sources()
        .iter()
        .flat_map(|(path, text)| bare_cutoffs(path, text))
        .collect();
    assert!(
        found.is_empty(),
        "version cut-offs outside src/kube/versions.rs (add a row and a named predicate there):\n{}",
        found.join("\n")
    );
}

#[test]
fn a_planted_cutoff_is_caught() {
    let planted = "fn f(v: KubeVersion) -> bool {\n    v.at_least(1, 33)\n}\n";
    assert_eq!(bare_cutoffs("cmd/doctor/checks/nodes.rs", planted).len(), 1);
    let tuple = "let alpha = v.minor_only() == (1, 28);\n";
    assert_eq!(bare_cutoffs("checks/cluster/verdict.rs", tuple).len(), 1);
    // Comparing two versions, a comment, or the table itself is not a cut-off.
    let fine = "k.minor_only() > a.minor_only()\n// at_least(1, 28) is in the table\n";
    assert!(bare_cutoffs("cmd/doctor/checks/nodes.rs", fine).is_empty());
    assert!(bare_cutoffs("kube/versions.rs", planted).is_empty());
}
