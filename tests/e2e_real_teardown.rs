#![cfg(feature = "e2e")]
//! Real nodes leave nothing behind: after `down`, no containerd, shim, kubelet or container of
//! theirs runs, their cgroups are gone, and the sysctls the kubelet rewrote are back. A binary of
//! its own: it needs the machine without another real scenario (cargo runs test binaries one at
//! a time) to compare the sysctls.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{TestCluster, pid_alive};

const SYSCTLS: [&str; 3] = [
    "/proc/sys/vm/overcommit_memory",
    "/proc/sys/kernel/panic",
    "/proc/sys/kernel/panic_on_oops",
];

fn sysctls() -> Vec<String> {
    SYSCTLS
        .iter()
        .map(|p| {
            std::fs::read_to_string(p)
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .collect()
}

/// The node's cgroup root in every hierarchy where it exists.
fn cgroup_dirs(root: &str) -> Vec<PathBuf> {
    std::fs::read_dir("/sys/fs/cgroup")
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path().join(root))
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default()
}

fn procs_under(dir: &Path, out: &mut Vec<i32>) {
    if let Ok(raw) = std::fs::read_to_string(dir.join("cgroup.procs")) {
        out.extend(raw.split_whitespace().filter_map(|p| p.parse::<i32>().ok()));
    }
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.filter_map(Result::ok) {
            if e.path().is_dir() {
                procs_under(&e.path(), out);
            }
        }
    }
}

fn exe(pid: i32) -> String {
    std::fs::read_link(format!("/proc/{pid}/exe"))
        .ok()
        .and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

fn running_pods(c: &TestCluster) -> usize {
    let out = Command::new(common::kubectl())
        .arg("--kubeconfig")
        .arg(c.admin_kubeconfig())
        .args(["get", "pods", "-o", "jsonpath={.items[*].status.phase}"])
        .output()
        .expect("kubectl");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter(|p| *p == "Running")
        .count()
}

/// Where the harness records which scenarios' real kubelets hold the sysctls (file name: the
/// scenario's network number, content: the pid of its supervisor).
const SYSCTL_HOLDERS: &str = "/run/ksc-harness/sysctl-holders";

fn wait_until_no_scenario_holds_the_sysctls() {
    let live_holders = || -> Vec<String> {
        std::fs::read_dir(SYSCTL_HOLDERS)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| {
                        std::fs::read_to_string(e.path())
                            .ok()
                            .and_then(|t| t.trim().parse::<i32>().ok())
                            .is_some_and(pid_alive)
                    })
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let start = Instant::now();
    loop {
        let holders = live_holders();
        if holders.is_empty() {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "scenarios {holders:?} still hold the kubelet sysctls: the machine's own values cannot be read"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn real_nodes_leave_no_process_cgroup_or_sysctl_behind() {
    common::prebuild("v1.34.4", &["kubelet"]).unwrap_or_else(|e| panic!("{e}"));
    common::prebuild("v1.32.13", &["kubelet"]).unwrap_or_else(|e| panic!("{e}"));
    // The machine's own values: a shared scenario of the test binary before this one goes down
    // only when that process has exited, and its kubelets' values stay until it releases them.
    wait_until_no_scenario_holds_the_sysctls();
    let before = sysctls();
    let c = TestCluster::start_private("tests/scenarios/real-teardown.yaml", "teardown");
    let start = Instant::now();
    while running_pods(&c) < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "both pods should run on the real kubelets\n{}",
            c.log_tail(20)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(c.env.real_nodes.len(), 2, "{:?}", c.env.real_nodes);
    let mut pids = Vec::new();
    let mut dirs = Vec::new();
    for root in c.env.real_nodes.values() {
        let d = cgroup_dirs(root);
        assert!(!d.is_empty(), "no cgroup {root}");
        for dir in &d {
            procs_under(dir, &mut pids);
        }
        dirs.extend(d);
    }
    pids.sort();
    pids.dedup();
    let exes: Vec<String> = pids.iter().map(|p| exe(*p)).collect();
    for (what, at_least) in [
        ("kubelet", 2),
        ("containerd", 2),
        ("containerd-shim-runc-v2", 2),
        ("pause", 2),
    ] {
        assert!(
            exes.iter().filter(|e| *e == what).count() >= at_least,
            "{at_least} {what} expected under the nodes' cgroups: {exes:?}"
        );
    }
    let netns = c.env.netns.clone();

    let down_start = Instant::now();
    let status = c.down();
    assert!(status.success(), "down: {status}");
    eprintln!(
        "down took {:.1}s (pods with terminationGracePeriodSeconds 30)",
        down_start.elapsed().as_secs_f64()
    );
    let alive: Vec<(i32, String)> = pids
        .iter()
        .filter(|p| pid_alive(**p))
        .map(|p| (*p, exe(*p)))
        .filter(|(_, e)| !e.is_empty())
        .collect();
    assert!(alive.is_empty(), "still running: {alive:?}");
    let left: Vec<&PathBuf> = dirs.iter().filter(|d| d.exists()).collect();
    assert!(left.is_empty(), "cgroups left: {left:?}");
    assert!(!common::netns_exists(&netns), "{netns} left");
    assert_eq!(sysctls(), before, "sysctls restored ({SYSCTLS:?})");
}
