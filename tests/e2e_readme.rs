#![cfg(feature = "e2e")]
//! README.md against a real cluster: the `<!-- test: cluster -->` blocks run, through a real
//! kubectl that finds the plugin on PATH, against the doctor-mixed scenario; and the report the
//! README shows (rendered from the bundled snapshot) is what doctor prints against that
//! scenario live, but for the collection time. tests/readme.rs runs the offline blocks and the
//! convention's own tests.

#[path = "readme/blocks.rs"]
mod blocks;
mod common;
#[path = "readme/run.rs"]
mod run;

use blocks::{Mark, commands, parse, report, without_collection_time};
use common::TestCluster;
use run::{Shell, readme};

const SCENARIO: &str = "tests/scenarios/doctor-mixed.yaml";

#[test]
fn cluster_commands_exit_as_the_readme_says() {
    let cluster = TestCluster::start(SCENARIO);
    let shell = Shell::cluster(&common::kubectl(), cluster.admin_kubeconfig());
    let blocks = parse(&readme()).unwrap_or_else(|p| panic!("README.md:\n  {}", p.join("\n  ")));
    let mut ran = 0;
    let mut failures = Vec::new();
    for block in blocks.iter().filter(|b| b.mark == Mark::Cluster) {
        for command in commands(block) {
            let outcome = shell.run(&command.text);
            ran += 1;
            if outcome.code != Some(command.exit) {
                failures.push(format!(
                    "README.md line {}: `{}` exited {:?}, the README says {}\n{}\n{}",
                    command.line,
                    command.text,
                    outcome.code,
                    command.exit,
                    outcome.stdout.trim_end(),
                    outcome.stderr.trim_end()
                ));
            }
        }
    }
    assert!(ran > 0, "no cluster command found in README.md");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_report_is_what_doctor_prints_against_the_scenario() {
    let cluster = TestCluster::start(SCENARIO);
    let shell = Shell::cluster(&common::kubectl(), cluster.admin_kubeconfig());
    let live = shell.run("COLUMNS=100 kubectl sidecar doctor -A");
    assert_eq!(live.code, Some(1), "not ready: {}", live.stderr);
    let shown = report(&readme()).unwrap_or_else(|e| panic!("{e}"));
    let (live, shown) = (
        without_collection_time(&live.stdout),
        without_collection_time(&shown),
    );
    assert!(
        live == shown,
        "the scenario's report differs from README.md's (the bundled snapshot is stale): run \
         tests/readme/capture-report.sh as root\n--- README.md\n{shown}\n--- live\n{live}"
    );
}
