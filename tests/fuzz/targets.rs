//! What each fuzz target does with one input, shared by the cargo-fuzz targets
//! (`fuzz_targets/*.rs`) and the corpus replay test (`tests/fuzz_corpus.rs`) so that CI replays
//! the very code the fuzzer ran. Each function takes arbitrary bytes and panics only on a bug.

use kubectl_sidecar::checks::cluster::analyse;
use kubectl_sidecar::cli::OutputFormat;
use kubectl_sidecar::cmd::{check_nodes, diff_pod, doctor};
use kubectl_sidecar::kube::metrics;
use kubectl_sidecar::manifests::submission;

const GATE: &str = "SidecarContainers";

/// A kubelet's or apiserver's `/metrics` body: the whole-text reader and the streaming reader
/// (at several buffer sizes, so lines straddle reads) must agree on every input.
pub fn metrics(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let whole = metrics::feature_gate(&text, GATE);
    for capacity in [1, 7, 4096] {
        let streamed = futures::executor::block_on(metrics::read_family(
            futures::io::BufReader::with_capacity(capacity, futures::io::Cursor::new(data)),
        ))
        .and_then(|family| family.feature_gate(GATE));
        // Lines past the streaming reader's length cap are skipped there but read whole-text.
        if data.len() < 64 * 1024 {
            assert_eq!(whole, streamed, "buffer capacity {capacity}");
        }
    }
}

/// A `-f` manifest: YAML or JSON documents, Lists flattened, then each object's pod template.
pub fn manifest(data: &[u8]) {
    // Files and stdin are read as UTF-8 text before parsing; anything else is refused there.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(docs) = kubectl_sidecar::manifests::parse::parse("fuzz", text) else {
        return;
    };
    for doc in &docs {
        if let Ok(submission::Extracted::Pod(submission)) = submission::extract(doc) {
            assert_eq!(submission.pod["kind"], "Pod");
        }
    }
}

/// A `--snapshot` file for doctor, check-nodes or diff-pod: loaded, then analysed and rendered
/// as the command would, since a snapshot that loads must not crash what reads it next.
pub fn snapshot(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(facts) = doctor::parse_snapshot(text) {
        let report = doctor::report::analyse(&facts);
        let _ = doctor::render::table_report(&report, true, true);
        let _ = doctor::render::table_report(&report, false, false);
        let _ = kubectl_sidecar::render::machine(&report, OutputFormat::Json);
    }
    let _ = diff_pod::snapshot_outputs(text);
    if let Ok(snapshot) = check_nodes::parse(text) {
        let report = analyse::analyse(&snapshot);
        let _ = analyse::exit_code(&report);
        for (format, color) in [
            (OutputFormat::Wide, true),
            (OutputFormat::Table, false),
            (OutputFormat::Json, false),
        ] {
            let header = kubectl_sidecar::facts::contract::Header::new(
                kubectl_sidecar::facts::contract::Kind::CheckNodesReport,
                None,
                None,
            );
            let _ = check_nodes::render::render(&header, &report, format, color);
        }
    }
}
