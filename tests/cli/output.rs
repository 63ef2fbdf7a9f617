//! Where the report goes when stdout misbehaves, with no cluster: a reader that went away
//! (`| head -1`) ends the run quietly with its own exit code; a full disk (`>/dev/full`) is one
//! line on stderr naming standard output, exit 2. `print!` would panic (exit 101) in both.

use std::fs::OpenOptions;

use crate::case::{Case, Run, fixture};

/// A run on a healthy stdout: its exit code and stderr.
struct Healthy {
    code: i32,
    stderr: String,
}

/// (args, the same run on a healthy stdout) for every kind of output the tool has.
fn cases() -> Vec<(Vec<String>, Healthy)> {
    let doctor = fixture("snapshots/doctor-mixed.json");
    let fleet = fixture("snapshots/mixed-fleet.json");
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut out = Vec::new();
    for format in ["table", "wide", "json", "yaml"] {
        out.push(args(&["doctor", "--snapshot", &doctor, "-o", format]));
        out.push(args(&["check-nodes", "--snapshot", &fleet, "-o", format]));
    }
    out.push(args(&["completion", "bash"]));
    out.push(args(&["completion", "zsh"]));
    out.push(args(&["version"]));
    out.push(args(&["version", "-o", "json"]));
    out.push(args(&["rbac"]));
    out.push(args(&["rbac", "--namespace-scoped", "-n", "shop"]));
    out.push(args(&["man"]));
    out.push(args(&["--help"]));
    out.push(args(&["doctor", "--help"]));
    out.push(args(&["-h"]));
    out.push(args(&["--version"]));
    out.push(args(&["__complete", "doctor", "--"]));
    out.into_iter()
        .map(|a| {
            let o = Case::new(&a).run();
            let code = o.code().expect("exited normally");
            assert!(
                !o.stdout_bytes().is_empty(),
                "{a:?} printed nothing on a healthy stdout: {}",
                o.stderr()
            );
            let stderr = o.stderr().to_string();
            (a, Healthy { code, stderr })
        })
        .collect()
}

fn assert_quiet(what: &str, args: &[String], want: &Healthy, run: &Run) {
    let stderr = run.stderr();
    assert_eq!(
        run.code(),
        Some(want.code),
        "{what}: {args:?} should end with the run's own exit code; stderr:\n{stderr}"
    );
    for bad in [
        "panicked",
        "Broken pipe",
        "broken pipe",
        "os error 32",
        "error:",
    ] {
        assert!(
            !stderr.contains(bad),
            "{what}: {args:?} wrote {bad:?} on stderr:\n{stderr}"
        );
    }
    assert_eq!(
        stderr, want.stderr,
        "{what}: {args:?} wrote something else on stderr than on a healthy stdout"
    );
}

/// stdout is a pipe whose read end is closed before the process starts: its very first write
/// fails with EPIPE, whatever the size of the report. (These reports are smaller than a pipe's
/// buffer, so a reader that leaves after one line would not make any write fail; that case is
/// tested at scale in tests/e2e_audit.rs.)
#[test]
fn a_reader_that_is_already_gone_ends_the_run_quietly_with_its_exit_code() {
    for (args, want) in cases() {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let o = Case::new(&args).stdout_to(writer).run();
        assert_quiet("closed pipe", &args, &want, &o);
    }
}

#[test]
fn a_full_disk_is_one_line_naming_standard_output_and_exit_2() {
    for (args, _) in cases() {
        let full = OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("open /dev/full");
        let o = Case::new(&args).stdout_to(full).run();
        let stderr = o.stderr();
        if args[0] == "__complete" {
            // Shell completion runs inside the user's shell: it must never print an error there.
            assert_eq!(o.code(), Some(0), "{args:?}: {stderr}");
            assert!(stderr.is_empty(), "{args:?}: {stderr}");
            continue;
        }
        o.one_line_error(2, &["standard output", "No space left on device"]);
        // Not even an empty line after it.
        assert_eq!(
            stderr.lines().count(),
            1,
            "{args:?}: not one line:\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
