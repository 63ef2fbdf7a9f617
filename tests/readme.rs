//! README.md cannot rot: every command it shows is run (or explicitly excused), and the report
//! it shows is what the tool prints. The convention for marking blocks is in
//! tests/readme/blocks.rs and README.md "Testing". This binary runs what needs no cluster;
//! tests/e2e_readme.rs runs the `cluster` blocks against a harness scenario.

#[path = "readme/blocks.rs"]
mod blocks;
#[path = "readme/run.rs"]
mod run;

use blocks::{Mark, commands, help_lists, parse, report, synopsis_flags};
use run::{Shell, binary, crate_root, readme};

fn blocks_of_readme() -> Vec<blocks::Block> {
    parse(&readme()).unwrap_or_else(|problems| {
        panic!("README.md:\n  {}", problems.join("\n  "));
    })
}

#[test]
fn every_command_block_says_how_it_is_tested() {
    let blocks = blocks_of_readme();
    for wanted in [Mark::Offline, Mark::Cluster, Mark::Synopsis] {
        assert!(
            blocks.iter().any(|b| b.mark == wanted),
            "no {wanted:?} block found in README.md: {blocks:#?}"
        );
    }
}

#[test]
fn offline_commands_exit_as_the_readme_says() {
    let shell = Shell::offline();
    let mut ran = 0;
    let mut failures = Vec::new();
    for block in blocks_of_readme()
        .iter()
        .filter(|b| b.mark == Mark::Offline)
    {
        for command in commands(block) {
            let outcome = shell.run(&command.text);
            ran += 1;
            if outcome.code != Some(command.exit) {
                failures.push(format!(
                    "README.md line {}: `{}` exited {:?}, the README says {}\n{}",
                    command.line,
                    command.text,
                    outcome.code,
                    command.exit,
                    outcome.stderr.trim_end()
                ));
            } else if outcome.stdout.trim().is_empty() {
                failures.push(format!(
                    "README.md line {}: `{}` printed nothing",
                    command.line, command.text
                ));
            }
        }
    }
    assert!(ran > 0, "no offline command found in README.md");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn synopses_name_only_flags_their_command_has() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for block in blocks_of_readme()
        .iter()
        .filter(|b| b.mark == Mark::Synopsis)
    {
        for command in commands(block) {
            let Some((sub, flags)) = synopsis_flags(&command.text) else {
                failures.push(format!(
                    "README.md line {}: a synopsis starts with `kubectl sidecar COMMAND`: `{}`",
                    command.line, command.text
                ));
                continue;
            };
            let out = std::process::Command::new(binary())
                .args([sub.as_str(), "--help"])
                .env("KUBECONFIG", "/nonexistent/readme-test/kubeconfig")
                .output()
                .expect("run kubectl-sidecar");
            let help = String::from_utf8_lossy(&out.stdout);
            if !out.status.success() {
                failures.push(format!(
                    "README.md line {}: `kubectl-sidecar {sub} --help` failed: {}",
                    command.line,
                    String::from_utf8_lossy(&out.stderr)
                ));
                continue;
            }
            for flag in flags {
                checked += 1;
                if !help_lists(&help, &flag) {
                    failures.push(format!(
                        "README.md line {}: {sub}'s synopsis names {flag}, which `{sub} --help` does not list",
                        command.line
                    ));
                }
            }
        }
    }
    assert!(checked > 0, "no synopsis flag found in README.md");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_report_is_what_the_capture_script_prints() {
    let shown = report(&readme()).unwrap_or_else(|e| panic!("{e}"));
    let script = crate_root().join("tests/readme/capture-report.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .arg("--print")
        .env("KSC_BIN", binary())
        .output()
        .expect("run capture-report.sh");
    assert!(
        out.status.success(),
        "{} --print: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown == printed,
        "README.md's doctor report is stale: run tests/readme/capture-report.sh (or --print) \
         and commit the result\n--- README.md\n{shown}\n--- the tool prints\n{printed}"
    );
}

// The convention itself: each rule fails when broken.

fn problems(text: &str) -> String {
    match parse(text) {
        Ok(blocks) => panic!("accepted: {blocks:#?}"),
        Err(p) => p.join("\n"),
    }
}

#[test]
fn an_unmarked_command_block_fails() {
    let p = problems("intro\n\n```sh\nkubectl sidecar doctor\n```\n");
    assert!(
        p.contains("line 3: a ```sh block without a test mark"),
        "{p}"
    );
}

#[test]
fn a_skip_needs_a_reason_and_a_mark_needs_a_block() {
    let p = problems("<!-- test: skip -->\n```sh\nkubectl krew install sidecar\n```\n");
    assert!(
        p.contains("line 1: <!-- test: skip --> needs a reason"),
        "{p}"
    );
    let p = problems("<!-- test: offline -->\n\n```sh\nkubectl sidecar version\n```\n");
    assert!(
        p.contains("line 1: a test mark not right above a code block"),
        "{p}"
    );
    let p = problems("<!-- test: sometimes -->\n```sh\nkubectl sidecar version\n```\n");
    assert!(p.contains("unknown test mark \"sometimes\""), "{p}");
}

#[test]
fn commands_outside_command_blocks_and_unnamed_blocks_fail() {
    let p = problems("```text\n$ kubectl sidecar version\n```\n");
    assert!(p.contains("line 2: a command in a ```text block"), "{p}");
    let p = problems("```\nkubectl-sidecar version\n```\n");
    assert!(p.contains("line 1: a code block without a language"), "{p}");
}

#[test]
fn commands_join_continuations_and_read_their_exit_code() {
    let blocks = parse(
        "<!-- test: offline -->\n```sh\n# a comment\nkubectl sidecar doctor \\\n    -A   # exit 4: incomplete\n\nkubectl sidecar version   # prints it\n```\n",
    )
    .expect("parses");
    let got = commands(&blocks[0]);
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[0].line, 4);
    assert_eq!(
        got[0].text,
        "kubectl sidecar doctor -A   # exit 4: incomplete"
    );
    assert_eq!(got[0].exit, 4);
    assert_eq!(got[1].exit, 0);
}

#[test]
fn synopsis_flags_are_read_from_brackets_and_alternatives() {
    let (sub, flags) = synopsis_flags(
        "kubectl sidecar diff-pod -f FILE|DIR|- [-n NS] [--blame] [-o table|wide] [--deadline=60s]",
    )
    .expect("a synopsis");
    assert_eq!(sub, "diff-pod");
    assert_eq!(flags, ["-f", "-n", "--blame", "-o", "--deadline"]);
    let help =
        "Options:\n  -n, --namespace <NS>  the namespace\n      --blame  with -f, call webhooks\n";
    assert!(help_lists(help, "-n") && help_lists(help, "--blame"));
    assert!(
        !help_lists(help, "-f"),
        "the word in a description is not a flag"
    );
}

#[test]
fn the_report_is_read_between_its_markers() {
    let text = "a\n<!-- BEGIN doctor report: x -->\n```text\nScope: all (collected 2026-01-01T00:00:00Z)\nVERDICT\n```\n<!-- END doctor report -->\nb\n";
    let shown = report(text).expect("a report");
    assert_eq!(
        shown,
        "Scope: all (collected 2026-01-01T00:00:00Z)\nVERDICT\n"
    );
    assert_eq!(
        blocks::without_collection_time(&shown),
        "Scope: all (collected <time>)\nVERDICT"
    );
    assert!(report("no markers").is_err());
}
