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
    let shown = without_collection_time(&report(&readme()).unwrap_or_else(|e| panic!("{e}")));
    // Right after `up`, the first connections to the fake kubelets can miss doctor's 5s on a
    // loaded machine (later runs complete): a run whose coverage names such a failure is the
    // machine, not the README, and is run again (as tests/readme/capture-report.sh does).
    let mut live = String::new();
    for _ in 0..3 {
        let run = shell.run("COLUMNS=100 kubectl sidecar doctor -A");
        assert_eq!(run.code, Some(1), "not ready: {}", run.stderr);
        live = without_collection_time(&run.stdout);
        if live == shown || !transient(&live) {
            break;
        }
    }
    assert!(
        live == shown,
        "the scenario's report differs from README.md's (the bundled snapshot is stale): run \
         tests/readme/capture-report.sh as root\n--- README.md\n{shown}\n--- live\n{live}"
    );
}

/// Whether a COVERAGE line names a timed-out, unreachable or failing read.
fn transient(report: &str) -> bool {
    report
        .lines()
        .skip_while(|l| *l != "COVERAGE")
        .take_while(|l| !l.is_empty())
        .any(|l| {
            [": timeout", ": unreachable", ": server error", ": error"]
                .iter()
                .any(|cause| l.contains(cause))
        })
}
