//! Rules about the source itself that review alone does not keep: each Kubernetes version
//! cut-off is written once, in src/kube/versions.rs; and the layers stay layers (README,
//! ARCHITECTURE): the commands under src/cmd/ are peers that never reach into each other; the
//! shared layers (kube/, facts/, checks/, manifests/) never reach into a command; kube/
//! (requests and rules) never into checks/; facts/ is plain data that depends on no collector
//! and no check; manifests/ (reading -f) uses only kube/, facts/ and error; and the files of
//! one command or layer import each other without cycles.
//!
//! Every rule is a function over (path, text) so that the tests at the bottom can show it
//! catches a planted violation.

use std::collections::{BTreeMap, BTreeSet};
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

// ---------------------------------------------------------------------------------------------
// Layers.

/// A file's module path: `cmd/doctor/checks/mod.rs` -> [cmd, doctor, checks].
fn module_of(path: &str) -> Vec<String> {
    let mut segs: Vec<String> = path.split('/').map(str::to_string).collect();
    let last = segs.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        segs.push(stem.to_string());
    }
    segs
}

/// Every module path another file refers to, resolved to an absolute module path: `crate::a::b`,
/// `super::` chains (relative to the file's module, or to a top-level inline `mod x {` block such
/// as `mod tests`), `self::`, and `use child::...` of a child module. Groups (`crate::{a, b}`)
/// are opened one level. Comments are ignored.
fn references(
    path: &str,
    text: &str,
    modules: &BTreeSet<Vec<String>>,
) -> Vec<(usize, Vec<String>)> {
    let file_module = module_of(path);
    let mut inline: Option<String> = None;
    let mut out = Vec::new();
    for (n, code) in code_lines(text) {
        if let Some(rest) = code
            .strip_prefix("mod ")
            .or_else(|| code.strip_prefix("pub mod "))
            && let Some(name) = rest.trim().strip_suffix('{')
        {
            inline = Some(name.trim().to_string());
            continue;
        }
        if inline.is_some() && code.starts_with('}') {
            inline = None;
            continue;
        }
        let mut here = file_module.clone();
        if let Some(m) = &inline {
            here.push(m.clone());
        }
        for (at, _) in code
            .match_indices("crate::")
            .chain(code.match_indices("super::"))
            .chain(code.match_indices("self::"))
        {
            // Only whole words: `super::` inside `super::super::` is taken once, from its start.
            let before = code[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let mut base: Vec<String>;
            let mut rest = &code[at..];
            if let Some(r) = rest.strip_prefix("crate::") {
                base = Vec::new();
                rest = r;
            } else if rest.starts_with("self::") {
                base = here.clone();
                rest = &rest["self::".len()..];
            } else {
                base = here.clone();
                while let Some(r) = rest.strip_prefix("super::") {
                    base.pop();
                    rest = r;
                }
            }
            for tail in open_group(rest) {
                let mut target = base.clone();
                target.extend(tail);
                out.push((n, target));
            }
        }
        // `use child::...` from a module that declares `mod child;`.
        let trimmed = code.trim_start();
        if let Some(rest) = trimmed
            .strip_prefix("use ")
            .or_else(|| trimmed.strip_prefix("pub use "))
        {
            let first: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let mut child = here.clone();
            child.push(first.clone());
            if !first.is_empty() && modules.contains(&child) {
                let mut target = here.clone();
                target.extend(segments(rest));
                out.push((n, target));
            }
        }
    }
    out
}

/// The leading `a::b::c` of a path (lowercase module names only: items end it).
fn segments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for seg in text.split("::") {
        let word: String = seg
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if word.is_empty() || !word.starts_with(|c: char| c.is_ascii_lowercase()) || word != seg {
            if !word.is_empty() && word.starts_with(|c: char| c.is_ascii_lowercase()) {
                out.push(word);
            }
            break;
        }
        out.push(word);
    }
    out
}

/// `{a::b, c}...` -> [[a, b], [c]]; anything else -> [its segments].
fn open_group(text: &str) -> Vec<Vec<String>> {
    let Some(inner) = text.strip_prefix('{') else {
        return vec![segments(text)];
    };
    let mut depth = 0;
    let mut items = Vec::new();
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&inner[start..i]);
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !inner.contains('}') {
        // A group spread over several lines: its first line's items only.
        items.extend(inner.split(','));
    }
    items
        .into_iter()
        .map(|item| segments(item.trim()))
        .filter(|s| !s.is_empty())
        .collect()
}

/// The file (module) a referenced path lands in: its longest prefix that is a module.
fn owning_module(target: &[String], modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    (1..=target.len())
        .rev()
        .map(|n| target[..n].to_vec())
        .find(|m| modules.contains(m))
}

/// kube/ modules that send requests: the facts layer must not depend on them.
const COLLECTORS: &[&str] = &[
    "access",
    "admission",
    "cluster",
    "collect",
    "kubelets",
    "metrics",
    "staticpods",
];

/// Which layer rule `from` referring to `to` breaks, if any.
fn layer_violation(from: &[String], to: &[String]) -> Option<&'static str> {
    fn top(m: &[String]) -> &str {
        m.first().map_or("", String::as_str)
    }
    let command = |m: &[String]| (top(m) == "cmd").then(|| m.get(1).cloned()).flatten();
    if let (Some(a), Some(b)) = (command(from), command(to))
        && a != b
    {
        return Some("a command reaches into another command");
    }
    if matches!(top(from), "kube" | "facts" | "checks" | "manifests") && top(to) == "cmd" {
        return Some("a shared layer reaches into a command");
    }
    if top(from) == "manifests" && !matches!(top(to), "manifests" | "kube" | "facts" | "error") {
        return Some("manifests/ uses more than kube/, facts/ and error");
    }
    if top(from) == "kube" && top(to) == "checks" {
        return Some("kube/ depends on checks/");
    }
    if top(from) == "facts" {
        if top(to) == "checks" {
            return Some("facts/ depends on checks/");
        }
        if top(to) == "kube" && to.get(1).is_some_and(|m| COLLECTORS.contains(&m.as_str())) {
            return Some("facts/ depends on a kube/ collector");
        }
    }
    None
}

struct Graph {
    modules: BTreeSet<Vec<String>>,
    /// (from, to) -> one place it happens, for messages.
    edges: BTreeMap<(Vec<String>, Vec<String>), String>,
}

fn graph(files: &[(String, String)]) -> Graph {
    let modules: BTreeSet<Vec<String>> = files.iter().map(|(p, _)| module_of(p)).collect();
    let mut edges = BTreeMap::new();
    for (path, text) in files {
        if path == "main.rs" {
            continue; // The binary: a crate of its own over the library.
        }
        let from = module_of(path);
        for (line, target) in references(path, text, &modules) {
            if let Some(to) = owning_module(&target, &modules)
                && to != from
            {
                edges
                    .entry((from.clone(), to))
                    .or_insert_with(|| format!("src/{path}:{line}"));
            }
        }
    }
    Graph { modules, edges }
}

fn layer_violations(g: &Graph) -> Vec<String> {
    g.edges
        .iter()
        .filter_map(|((from, to), at)| {
            layer_violation(from, to)
                .map(|why| format!("{at}: {} -> {}: {why}", from.join("::"), to.join("::")))
        })
        .collect()
}

/// Cycles between files of one command (or of one shared layer), a module and its own
/// ancestors aside (a parent declares its children, children use their parent's helpers).
fn cycles(g: &Graph) -> Vec<String> {
    let related = |a: &[String], b: &[String]| a.starts_with(b) || b.starts_with(a);
    let group = |m: &[String]| -> Vec<String> {
        let n = if m.first().map(String::as_str) == Some("cmd") {
            2
        } else {
            1
        };
        m.iter().take(n).cloned().collect()
    };
    let mut next: BTreeMap<&Vec<String>, Vec<&Vec<String>>> = BTreeMap::new();
    for (from, to) in g.edges.keys() {
        if group(from) == group(to) && !related(from, to) {
            next.entry(from).or_default().push(to);
        }
    }
    let mut found = BTreeSet::new();
    for start in &g.modules {
        // Every path back to `start` (depth-first, each module once per walk).
        let mut stack: Vec<(&Vec<String>, Vec<&Vec<String>>)> = vec![(start, vec![start])];
        while let Some((at, trail)) = stack.pop() {
            for to in next.get(at).into_iter().flatten() {
                if *to == start {
                    let mut cycle: Vec<String> = trail.iter().map(|m| m.join("::")).collect();
                    let min = cycle
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, m)| *m)
                        .map_or(0, |(i, _)| i);
                    cycle.rotate_left(min);
                    found.insert(cycle.join(" -> "));
                } else if !trail.contains(to) {
                    let mut t = trail.clone();
                    t.push(to);
                    stack.push((to, t));
                }
            }
        }
    }
    found.into_iter().collect()
}

#[test]
fn commands_are_peers_and_layers_stay_layers() {
    let g = graph(&sources());
    assert!(
        g.edges.len() > 100,
        "the reference scan found only {} edges: it no longer reads the source",
        g.edges.len()
    );
    let found = layer_violations(&g);
    assert!(found.is_empty(), "layer violations:\n{}", found.join("\n"));
}

#[test]
fn no_import_cycles_within_a_command() {
    let found = cycles(&graph(&sources()));
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

fn planted(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut files = sources();
    for (path, text) in extra {
        match files.iter_mut().find(|(p, _)| p == path) {
            Some((_, t)) => t.push_str(text),
            None => files.push((path.to_string(), text.to_string())),
        }
    }
    files
}

#[test]
fn a_planted_layer_violation_is_caught() {
    for (path, text, why) in [
        (
            "cmd/diff_pod/analyze.rs",
            "\nuse crate::cmd::doctor::report::Report;\n",
            "a command reaches into another command",
        ),
        (
            "cmd/check_nodes/render.rs",
            "\nfn f() { super::super::doctor::run(); }\n",
            "a command reaches into another command",
        ),
        (
            "kube/skew.rs",
            "\nuse crate::cmd::doctor::checks::Input;\n",
            "a shared layer reaches into a command",
        ),
        (
            "checks/finding.rs",
            "\nuse crate::{cmd::diff_pod, kube::version};\n",
            "a shared layer reaches into a command",
        ),
        (
            "facts/cluster.rs",
            "\nuse crate::kube::kubelets::Limits;\n",
            "facts/ depends on a kube/ collector",
        ),
        (
            "facts/workloads.rs",
            "\nuse crate::kube::collect::extract::pod;\n",
            "facts/ depends on a kube/ collector",
        ),
        (
            "facts/admission.rs",
            "\nuse crate::checks::finding::Finding;\n",
            "facts/ depends on checks/",
        ),
        (
            "kube/cluster.rs",
            "\nfn f() { crate::checks::cluster::analyse::analyse(x); }\n",
            "kube/ depends on checks/",
        ),
        (
            "manifests/parse.rs",
            "\nuse crate::cmd::diff_pod::template::Submission;\n",
            "a shared layer reaches into a command",
        ),
        (
            "manifests/template.rs",
            "\nuse crate::checks::finding::ObjectRef;\n",
            "manifests/ uses more than kube/, facts/ and error",
        ),
    ] {
        let found = layer_violations(&graph(&planted(&[(path, text)])));
        assert!(
            found.iter().any(|f| f.contains(why) && f.contains(path)),
            "{path}: {text:?} not caught: {found:?}"
        );
    }
}

#[test]
fn a_planted_cycle_is_caught() {
    // The cycle issue 9 named: the catalog and the findings importing each other.
    let found = cycles(&graph(&planted(&[(
        "checks/finding.rs",
        "\nuse super::catalog::get;\n",
    )])));
    assert!(
        found
            .iter()
            .any(|c| c.contains("checks::catalog") && c.contains("checks::finding")),
        "{found:?}"
    );
    let found = cycles(&graph(&planted(&[
        ("cmd/doctor/render.rs", "\nuse super::checks::nodes;\n"),
        (
            "cmd/doctor/checks/nodes.rs",
            "\nfn f() { crate::cmd::doctor::render::table(); }\n",
        ),
    ])));
    assert!(
        found
            .iter()
            .any(|c| c.contains("cmd::doctor::render") && c.contains("cmd::doctor::checks::nodes")),
        "{found:?}"
    );
}
