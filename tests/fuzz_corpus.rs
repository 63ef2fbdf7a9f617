//! Replays the committed fuzz corpora and every crash the fuzzers found (tests/fuzz/) through
//! the same code the fuzz targets run, on stable Rust: a parser change that brings back a crash,
//! or panics on anything the fuzzers kept, fails here without a nightly build.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

#[path = "fuzz/targets.rs"]
mod targets;

/// Runs `target` on every file of its corpus and regression directories, and fails naming every
/// input that panicked.
fn replay(target: &str, run: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let mut inputs = 0;
    let mut panicked = Vec::new();
    for kind in ["corpus", "regressions"] {
        let dir = root.join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            assert_eq!(kind, "regressions", "{} is missing", dir.display());
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            inputs += 1;
            if catch_unwind(AssertUnwindSafe(|| run(&data))).is_err() {
                panicked.push(path.display().to_string());
            }
        }
    }
    // An empty or misplaced corpus would make this test pass vacuously.
    assert!(
        inputs >= 5,
        "{target}: only {inputs} inputs under {}",
        root.display()
    );
    assert!(panicked.is_empty(), "{target}: panicked on {panicked:#?}");
}

#[test]
fn metrics_corpus() {
    replay("metrics", targets::metrics);
}

#[test]
fn manifest_corpus() {
    replay("manifest", targets::manifest);
}

#[test]
fn snapshot_corpus() {
    replay("snapshot", targets::snapshot);
}
