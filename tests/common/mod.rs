//! Support for end-to-end tests: a real control plane per scenario, brought up by the Go harness
//! (tests/harness, manual in tests/SCENARIOS.md), shared by every test of one test binary.
//!
//! `TestCluster::start("tests/scenarios/x.yaml")` builds (or reuses) kube-apiserver/etcd for the
//! scenario's version and the harness, runs `ksc-harness up` with our pipe as its stdin, and
//! waits for `ready`. The harness tears the scenario down when that pipe reaches EOF, which
//! happens however this process ends, so a crashed or killed test run leaks nothing.
//!
//! With the `e2e` feature a missing prerequisite (root, `ip`, Go) fails loudly: a skipped
//! end-to-end test would report success for something never tested.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// How long `ksc-harness up` may take once both builds are done (it takes seconds; this is
/// for a machine shared with parallel builds).
const UP_TIMEOUT: Duration = Duration::from_secs(300);

/// DIR/env.json as the harness writes it (field names are the harness's).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Env {
    pub state: String,
    pub version: String,
    #[serde(rename = "apiserverURL")]
    pub apiserver_url: String,
    pub apiserver_start_seconds: f64,
    pub admin_kubeconfig: PathBuf,
    pub restricted_kubeconfig: PathBuf,
    pub ca_file: PathBuf,
    /// Node name -> its InternalIP inside the scenario's network namespace.
    pub nodes: BTreeMap<String, String>,
    pub kubelet_ports: BTreeMap<String, u16>,
    pub net_n: u32,
    pub netns: String,
    pub host_veth: String,
    pub host_address: String,
    /// Webhook name -> URL.
    pub webhooks: BTreeMap<String, String>,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
    pub harness: PathBuf,
    pub pids: BTreeMap<String, i32>,
    /// Real node -> its cgroup root under every /sys/fs/cgroup hierarchy (SCENARIOS.md "Real nodes").
    #[serde(default)]
    pub real_nodes: BTreeMap<String, String>,
    /// The control endpoint (fault proxies, apiserver stop/start); SCENARIOS.md "Fault proxy".
    #[serde(rename = "controlURL", default)]
    pub control_url: String,
    /// Admin token, through the pass-through fault proxy "default".
    #[serde(default)]
    pub faulty_kubeconfig: PathBuf,
}

pub struct TestCluster {
    pub scenario: PathBuf,
    pub dir: PathBuf,
    pub env: Env,
    /// The supervisor and the write end of its stdin; dropping the latter tears down.
    supervisor: Mutex<Option<(Child, ChildStdin)>>,
}

type Shared = &'static OnceLock<Result<TestCluster, String>>;

impl TestCluster {
    /// The scenario's cluster, started on first use and shared by every test of this binary.
    /// `scenario` is relative to the crate root.
    pub fn start(scenario: &str) -> &'static TestCluster {
        static CLUSTERS: OnceLock<Mutex<HashMap<String, Shared>>> = OnceLock::new();
        let cell: Shared = {
            let mut map = CLUSTERS
                .get_or_init(Default::default)
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            *map.entry(scenario.to_string())
                .or_insert_with(|| Box::leak(Box::new(OnceLock::new())))
        };
        // A failed start is remembered, so the other tests fail at once with the same reason
        // instead of each waiting for its own attempt.
        match cell.get_or_init(|| Self::launch(scenario, "shared")) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }

    /// A cluster of its own (not shared), for tests that take it down.
    pub fn start_private(scenario: &str, label: &str) -> TestCluster {
        Self::launch(scenario, label).unwrap_or_else(|e| panic!("{e}"))
    }

    fn launch(scenario: &str, label: &str) -> Result<TestCluster, String> {
        preflight();
        let root = crate_root();
        let scenario_path = root.join(scenario);
        let version = scenario_version(&scenario_path)?;
        let k8s_bin = build_k8s(&root, &version)?;
        let harness_dir = build_harness(&root)?;

        let stem = scenario_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".into());
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ksc-e2e");
        sweep_old_dirs(&base);
        let dir = base.join(format!("{stem}-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        let log_path = dir.join("harness.log");
        let log =
            File::create(&log_path).map_err(|e| format!("create {}: {e}", log_path.display()))?;

        let mut child = Command::new(harness_dir.join("ksc-harness"))
            .arg("up")
            .arg("--k8s-bin")
            .arg(&k8s_bin)
            .arg("--dir")
            .arg(&dir)
            .arg(&scenario_path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .map_err(|e| format!("cannot run ksc-harness from {}: {e}", harness_dir.display()))?;
        let stdin = child.stdin.take().ok_or("ksc-harness: no stdin pipe")?;
        let stdout = child.stdout.take().ok_or("ksc-harness: no stdout pipe")?;

        // Read stdout on a thread for the whole run: the supervisor must never block on a
        // full pipe, and `ready` must be awaited with a deadline.
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let started = Instant::now();
        let fail = |child: &mut Child, why: String| -> String {
            let _ = child.kill();
            let _ = child.wait();
            format!(
                "TestCluster {scenario}: {why}\n--- {} (last 40 lines) ---\n{}",
                log_path.display(),
                tail(&log_path, 40)
            )
        };
        let mut start_seconds = None;
        loop {
            let left = UP_TIMEOUT.saturating_sub(started.elapsed());
            match rx.recv_timeout(left.min(Duration::from_millis(500))) {
                Ok(line) if line == "ready" => break,
                Ok(line) => {
                    if let Some(s) = line.strip_prefix("apiserver-start-seconds: ") {
                        start_seconds = s.trim().parse::<f64>().ok();
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                    return Err(fail(
                        &mut child,
                        format!("ksc-harness up exited ({status}) before ready"),
                    ));
                }
                Err(mpsc::RecvTimeoutError::Timeout) if left.is_zero() => {
                    return Err(fail(&mut child, format!("not ready after {UP_TIMEOUT:?}")));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
        let env = read_env(&dir).map_err(|e| fail(&mut child, e))?;
        eprintln!(
            "TestCluster {scenario}: {} up in {:.1}s (kube-apiserver ready {:.1}s after exec), dir {}",
            env.version,
            started.elapsed().as_secs_f64(),
            start_seconds.unwrap_or(env.apiserver_start_seconds),
            dir.display()
        );
        Ok(TestCluster {
            scenario: scenario_path,
            dir,
            env,
            supervisor: Mutex::new(Some((child, stdin))),
        })
    }

    pub fn admin_kubeconfig(&self) -> &Path {
        &self.env.admin_kubeconfig
    }

    pub fn restricted_kubeconfig(&self) -> &Path {
        &self.env.restricted_kubeconfig
    }

    /// The node's InternalIP (where its fake kubelet listens), or None for an unknown node.
    pub fn node_address(&self, node: &str) -> Option<&str> {
        self.env.nodes.get(node).map(String::as_str)
    }

    pub async fn admin_client(&self) -> kube::Client {
        client_for(self.admin_kubeconfig()).await
    }

    pub async fn restricted_client(&self) -> kube::Client {
        client_for(self.restricted_kubeconfig()).await
    }

    /// Runs the product binary as the admin user: (status, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (ExitStatus, String, String) {
        run_product(self.admin_kubeconfig(), args)
    }

    /// Runs the product binary as the restricted (read-only, no nodes/proxy, no /metrics) user.
    pub fn run_restricted(&self, args: &[&str]) -> (ExitStatus, String, String) {
        run_product(self.restricted_kubeconfig(), args)
    }

    /// The harness log (supervisor) and the named component log under DIR/logs, for messages.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.dir.join("harness.log"), lines)
    }

    /// Sets the rules of the fault proxy `proxy` (its own listener: tests sharing the scenario do
    /// not see each other's faults) and returns a kubeconfig for `user` ("admin" or
    /// "restricted") that goes through it. Rules are `VERB TARGET ACTION` (SCENARIOS.md).
    pub fn fault_proxy(&self, proxy: &str, user: &str, rules: &[&str]) -> PathBuf {
        let kubeconfig = self.dir.join(format!("fault-{proxy}.kubeconfig"));
        let out = Command::new(&self.env.harness)
            .arg("faults")
            .arg("--dir")
            .arg(&self.dir)
            .args(["--proxy", proxy, "--user", user, "--kubeconfig"])
            .arg(&kubeconfig)
            .args(rules)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.env.harness.display()));
        assert!(
            out.status.success(),
            "ksc-harness faults {rules:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        kubeconfig
    }

    /// `ksc-harness apiserver --dir DIR stop|start`: stops kube-apiserver (etcd keeps running)
    /// or starts it again on the same port and waits for /readyz.
    pub fn apiserver(&self, action: &str) {
        let out = Command::new(&self.env.harness)
            .arg("apiserver")
            .arg("--dir")
            .arg(&self.dir)
            .arg(action)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.env.harness.display()));
        assert!(
            out.status.success(),
            "ksc-harness apiserver {action}: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log_tail(20)
        );
    }

    /// `ksc-harness down --dir`, then waits for the supervisor to exit.
    pub fn down(&self) -> ExitStatus {
        let out = Command::new(&self.env.harness)
            .arg("down")
            .arg("--dir")
            .arg(&self.dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.env.harness.display()));
        let mut guard = self.supervisor.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((mut child, stdin)) = guard.take() {
            drop(stdin);
            wait_with_deadline(&mut child, Duration::from_secs(60));
        }
        assert!(
            out.status.success(),
            "ksc-harness down failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log_tail(20)
        );
        out.status
    }

    /// Closes the supervisor's stdin, as the end of the test process does, and waits for the
    /// supervisor to finish its teardown.
    pub fn close_stdin_and_wait(&self) -> Option<ExitStatus> {
        let mut guard = self.supervisor.lock().unwrap_or_else(|p| p.into_inner());
        let (mut child, stdin) = guard.take()?;
        drop(stdin);
        wait_with_deadline(&mut child, Duration::from_secs(60))
    }
}

fn wait_with_deadline(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            _ => {
                let _ = child.kill();
                return child.wait().ok();
            }
        }
    }
}

/// A kube client for one of the scenario's kubeconfigs, without kube's default retries.
pub async fn client_for(kubeconfig: &Path) -> kube::Client {
    let kc = kube::config::Kubeconfig::read_from(kubeconfig)
        .unwrap_or_else(|e| panic!("read {}: {e}", kubeconfig.display()));
    let mut config =
        kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
            .await
            .unwrap_or_else(|e| panic!("kubeconfig {}: {e}", kubeconfig.display()));
    // kube's default retry layer retries 429/503/504 up to 15 times with exponential backoff
    // (minutes in total). The node proxy answers 503 for an unreachable or failing kubelet, so
    // with it a test of such a node takes minutes instead of failing at once.
    config.default_retry = false;
    kube::Client::try_from(config)
        .unwrap_or_else(|e| panic!("client for {}: {e}", kubeconfig.display()))
}

/// Runs kubectl-sidecar with KUBECONFIG set and no proxy variables: (status, stdout, stderr).
pub fn run_product(kubeconfig: &Path, args: &[&str]) -> (ExitStatus, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kubectl-sidecar"))
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run kubectl-sidecar: {e}"));
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One run of the product under a hard limit, with how long it took and its peak memory.
#[derive(Debug)]
pub struct Bounded {
    /// None when it was killed at the limit or died of a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// Still running at the limit, so killed.
    pub killed: bool,
    /// Peak resident set (KiB), from GNU time's %M.
    pub max_rss_kib: Option<u64>,
}

/// Runs kubectl-sidecar like `run_product`, under GNU `/usr/bin/time` (for the peak RSS), and
/// kills its whole process group if it is still running after `limit`: a product that hangs
/// fails its test instead of hanging the test run.
pub fn run_bounded(kubeconfig: &Path, args: &[&str], limit: Duration) -> Bounded {
    use std::os::unix::process::CommandExt;
    let time = Path::new("/usr/bin/time");
    assert!(
        time.exists(),
        "these tests measure peak memory with GNU time: apt-get install time"
    );
    let rss_file = tempfile::NamedTempFile::new().expect("temp file");
    let started = Instant::now();
    let mut child = Command::new(time)
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(rss_file.path())
        .arg(env!("CARGO_BIN_EXE_kubectl-sidecar"))
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run kubectl-sidecar under {}: {e}", time.display()));
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let mut killed = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() < limit => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                killed = true;
                let _ = Command::new("kill")
                    .arg("-KILL")
                    .arg(format!("-{}", child.id()))
                    .status();
                break child.wait().ok();
            }
        }
    };
    let elapsed = started.elapsed();
    let stdout = out.join().unwrap_or_default();
    let mut stderr = err.join().unwrap_or_default();
    let rss = std::fs::read_to_string(rss_file.path()).unwrap_or_default();
    // GNU time reports the child's signal or exit status on a line of its own before %M.
    let max_rss_kib = rss.lines().last().and_then(|l| l.trim().parse().ok());
    if rss.lines().count() > 1 {
        stderr.push_str(&rss);
    }
    // GNU time exits with the child's status; 128+n when the child died of signal n.
    let code = status.and_then(|s| s.code()).filter(|_| !killed);
    Bounded {
        code,
        stdout,
        stderr,
        elapsed,
        killed,
        max_rss_kib,
    }
}

pub fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn read_env(dir: &Path) -> Result<Env, String> {
    let path = dir.join("env.json");
    let raw =
        std::fs::read_to_string(&path).map_err(|e| format!("read {}: {e}", path.display()))?;
    serde_json::from_str(&raw).map_err(|e| format!("parse {}: {e}", path.display()))
}

/// Whether a process is alive (a zombie counts as dead: it only waits to be reaped).
pub fn pid_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .and_then(|i| stat.get(i + 2..i + 3))
            .is_some_and(|state| state != "Z"),
        Err(_) => false,
    }
}

pub fn netns_exists(name: &str) -> bool {
    Path::new("/run/netns").join(name).exists()
}

pub fn link_exists(name: &str) -> bool {
    Command::new("ip")
        .args(["link", "show", name])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn preflight() {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .unwrap_or_default();
    assert!(
        uid == "0",
        "e2e tests need root (effective uid {uid:?}): the harness creates network namespaces and veth pairs. \
         Run `cargo test --features e2e` as root, or without --features e2e for unit and offline tests."
    );
    let ip_ok = Command::new("ip")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ip_ok,
        "e2e tests need iproute2's `ip` in PATH (apt-get install iproute2)"
    );
    let go_ok = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
        || Path::new("/usr/local/go/bin/go").exists();
    assert!(
        go_ok,
        "e2e tests need Go >= 1.26 (in PATH or /usr/local/go) to build kube-apiserver, etcd and the harness"
    );
}

fn scenario_version(path: &Path) -> Result<String, String> {
    #[derive(Deserialize)]
    struct Head {
        apiserver: ApiServer,
    }
    #[derive(Deserialize)]
    struct ApiServer {
        version: String,
    }
    let raw = std::fs::read_to_string(path).map_err(|e| format!("read {}: {e}", path.display()))?;
    let head: Head = serde_saphyr::from_str(&raw)
        .map_err(|e| format!("{}: apiserver.version: {e}", path.display()))?;
    Ok(head.apiserver.version)
}

fn cache_dir() -> PathBuf {
    if let Some(c) = std::env::var_os("KSC_CACHE") {
        return PathBuf::from(c);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    base.join("kubectl-sidecar")
}

/// Runs tests/controlplane/build-k8s.sh under a per-version file lock (two test binaries
/// building the same version at once would share its work dir) and returns the binaries' dir.
fn build_k8s(root: &Path, version: &str) -> Result<PathBuf, String> {
    let locks = cache_dir().join("locks");
    std::fs::create_dir_all(&locks).map_err(|e| format!("create {}: {e}", locks.display()))?;
    let lock_path = locks.join(format!("build-k8s-{version}.lock"));
    let lock =
        File::create(&lock_path).map_err(|e| format!("create {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("lock {}: {e}", lock_path.display()))?;
    let out = script_output(&root.join("tests/controlplane/build-k8s.sh"), &[version]);
    let _ = lock.unlock();
    out.map(PathBuf::from)
}

/// Builds more components of one Kubernetes version (kubelet, kube-controller-manager,
/// kube-scheduler) before a scenario with real nodes starts, so that `up`'s deadline covers only
/// the start: `ksc-harness up` would build them too, but a cold build takes minutes.
pub fn prebuild(version: &str, components: &[&str]) -> Result<PathBuf, String> {
    let locks = cache_dir().join("locks");
    std::fs::create_dir_all(&locks).map_err(|e| format!("create {}: {e}", locks.display()))?;
    let lock_path = locks.join(format!("build-k8s-{version}.lock"));
    let lock =
        File::create(&lock_path).map_err(|e| format!("create {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("lock {}: {e}", lock_path.display()))?;
    let mut args = vec![version];
    args.extend_from_slice(components);
    let out = script_output(&crate_root().join("tests/controlplane/build-k8s.sh"), &args);
    let _ = lock.unlock();
    out.map(PathBuf::from)
}

fn build_harness(root: &Path) -> Result<PathBuf, String> {
    script_output(&root.join("tests/harness/build.sh"), &[]).map(PathBuf::from)
}

/// Runs a build script (its progress goes to our stderr) and returns its last stdout line.
fn script_output(script: &Path, args: &[&str]) -> Result<String, String> {
    let started = Instant::now();
    let out = Command::new("bash")
        .arg(script)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} {} failed ({})",
            script.display(),
            args.join(" "),
            out.status
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or("").trim().to_string();
    if last.is_empty() {
        return Err(format!("{} printed nothing", script.display()));
    }
    if started.elapsed() > Duration::from_secs(5) {
        eprintln!(
            "{} {}: {:.0}s",
            script.display(),
            args.join(" "),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(last)
}

/// Removes scenario dirs of earlier test runs whose process is gone.
fn sweep_old_dirs(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name.rsplit('-').next().and_then(|p| p.parse::<i32>().ok());
        if pid.is_some_and(|p| p != std::process::id() as i32 && !pid_alive(p)) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

pub fn tail(path: &Path, lines: usize) -> String {
    let Ok(mut f) = File::open(path) else {
        return format!("(no {})", path.display());
    };
    // Logs can be long; the end is what explains a failure.
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)));
    let mut raw = Vec::new();
    let _ = f.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The kubectl that end-to-end tests drive: $KSC_KUBECTL if set, else `kubectl` on PATH. One
/// place for the lookup, so a setup that provides kubectl another way changes only this.
pub fn kubectl() -> PathBuf {
    if let Some(path) = std::env::var_os("KSC_KUBECTL").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "KSC_KUBECTL={} is not a file: point it at a kubectl binary",
            path.display()
        );
        return path;
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("kubectl"))
            .find(|candidate| candidate.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "this test needs kubectl (1.26 or later, for plugin completion): put it on PATH or set KSC_KUBECTL"
        )
    })
}

/// Fails unless `document` validates against the published schema of `kind`
/// (tests/schemas/KIND.json, checked against the Rust types by tests/schemas.rs).
#[track_caller]
pub fn assert_schema(kind: &str, document: &serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/schemas/{kind}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: serde_json::Value = serde_json::from_str(&text).expect("a schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(document)
        .take(10)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not a valid {kind}:\n{}",
        errors.join("\n")
    );
}

/// `kubectl get ... -o json` as the scenario's admin; panics with kubectl's stderr.
pub fn kubectl_json(c: &TestCluster, args: &[&str]) -> serde_json::Value {
    let out = std::process::Command::new(kubectl())
        .arg("--kubeconfig")
        .arg(c.admin_kubeconfig())
        .args(args)
        .args(["-o", "json"])
        .output()
        .expect("run kubectl");
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("kubectl -o json")
}

/// The only pod of a namespace (each case has one), once `ready` says it reached the state the
/// case needs; panics with the pod as the real kubelet left it after `limit`.
pub fn wait_pod(
    c: &TestCluster,
    ns: &str,
    limit: std::time::Duration,
    ready: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let start = std::time::Instant::now();
    loop {
        let list = kubectl_json(c, &["get", "pods", "-n", ns]);
        if let Some(pod) = list["items"].as_array().and_then(|items| items.first())
            && ready(pod)
        {
            eprintln!(
                "{ns}: pod {} reached the state after {:.1}s: phase {}",
                pod["metadata"]["name"],
                start.elapsed().as_secs_f64(),
                pod["status"]["phase"]
            );
            return pod.clone();
        }
        if start.elapsed() > limit {
            panic!(
                "{ns}: the pod did not reach the expected state within {limit:?}:\n{:#}\nharness log:\n{}",
                list["items"],
                c.log_tail(20)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

/// A report's findings as (id, `kind/name [container]`), the way the real-node tests name them.
pub fn finding_places(report: &serde_json::Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| {
                    let o = &f["object"];
                    let mut at = format!(
                        "{}/{}",
                        o["kind"].as_str().unwrap_or("?").to_lowercase(),
                        o["name"].as_str().unwrap_or("?")
                    );
                    if let Some(ctr) = o["container"].as_str() {
                        at.push_str(&format!(" [{ctr}]"));
                    }
                    (f["id"].as_str().unwrap_or("?").to_string(), at)
                })
                .collect()
        })
        .unwrap_or_default()
}
