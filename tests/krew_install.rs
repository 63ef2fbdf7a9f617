//! krew installs the plugin and kubectl runs it, for real: tests/release/release.sh packs the
//! binary under test and renders krew-manifest.yaml for it; krew's own manifest validator passes
//! it twice, structurally and the way krew-index's CI runs it (installing every platform from
//! its download URL, here a loopback server, and requiring the LICENSE among the installed
//! files); `kubectl krew install --manifest --archive` puts it into a fresh KREW_ROOT; two
//! kubectl minor versions find it through their own plugin lookup (PATH holding only
//! $KREW_ROOT/bin and krew) and run `version` and the doctor exactly as the binary runs them;
//! `kubectl krew uninstall` removes it and kubectl no longer knows `sidecar`.
//!
//! krew, its validator and kubectl are built from their Go modules by tests/release/build-*.sh
//! (cached by version; tests/run-all.sh builds them first). Needs Go, bash, tar and git, which
//! is why it sits behind the `e2e` feature; it needs neither root nor a cluster.
//!
//! The binary is the one cargo built for this test run (debug under `cargo test`): it is always
//! the current source, where a release build would be a second, slower build that could be stale.
//! What is under test, the archive, the manifest, krew and kubectl's lookup, does not depend on
//! the compiler profile; the release profile itself is built by the release script and workflow.
#![cfg(feature = "e2e")]

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const KREW_VERSION: &str = "v0.4.3";
/// The newest kubectl and one three minors older, both within kubectl's plugin mechanism as it
/// stands (plugin lookup on PATH has not changed since 1.12, but its output and shadowing
/// checks have).
const KUBECTL_VERSIONS: [&str; 2] = ["v1.37.2", "v1.34.4"];
/// For one krew, kubectl or plugin invocation (each takes a second or two).
const STEP: Duration = Duration::from_secs(120);
/// Packing a debug binary (about 190 MB) on a busy 2-core machine.
const PACK: Duration = Duration::from_secs(600);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kubectl-sidecar"))
}

/// krew's name for this machine's platform.
fn platform() -> (&'static str, &'static str) {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => panic!("no krew platform for architecture {other}"),
    };
    (std::env::consts::OS, arch)
}

/// Runs a cached build script and returns the directory it prints. A cold build takes minutes,
/// so it has no step deadline.
fn build(script: &str, version: &str) -> PathBuf {
    let out = Command::new("bash")
        .arg(root().join("tests/release").join(script))
        .arg(version)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{script}: cannot start bash: {e}"));
    assert!(
        out.status.success(),
        "{script} {version} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// Runs `cmd` with no stdin, collecting its output; a run past `limit` is killed and fails the
/// test, so that a hung krew or kubectl cannot hang the suite.
fn run(cmd: &mut Command, what: &str, limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}");
        }
        thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn describe(what: &str, out: &Output) -> String {
    format!(
        "{what}: {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    )
}

fn succeeds(cmd: &mut Command, what: &str) -> Output {
    let out = run(cmd, what, STEP);
    assert!(out.status.success(), "{}", describe(what, &out));
    out
}

/// A directory of links: `kubectl` and `kubectl-krew`, as a krew user has them on PATH.
fn tool_dir(base: &Path, kubectl: &Path, krew: &Path) -> PathBuf {
    fs::create_dir_all(base).unwrap();
    std::os::unix::fs::symlink(kubectl, base.join("kubectl")).unwrap();
    std::os::unix::fs::symlink(krew, base.join("kubectl-krew")).unwrap();
    base.to_path_buf()
}

/// One krew user's world: nothing from this machine's environment, HOME and KREW_ROOT in the
/// temporary directory, and on PATH only krew, kubectl and what krew installed.
struct World {
    home: PathBuf,
    krew_root: PathBuf,
    tools: PathBuf,
}

impl World {
    fn path(&self) -> String {
        format!(
            "{}:{}",
            self.tools.display(),
            self.krew_root.join("bin").display()
        )
    }

    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("HOME", &self.home)
            .env("PATH", self.path())
            .env("KREW_ROOT", &self.krew_root)
            // Belt and braces: a krew built by build-krew.sh has no version and never checks.
            .env("KREW_NO_UPGRADE_CHECK", "1");
        cmd
    }

    fn kubectl(&self, kubectl: &Path, args: &[&str]) -> Command {
        let mut cmd = self.command(kubectl);
        cmd.args(args);
        cmd
    }
}

/// Serves the files of `dir` over HTTP on loopback, as a release's download location; returns
/// the base URL and the names requested so far.
fn serve(dir: PathBuf) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&served);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if let Ok(Some(name)) = answer(stream, &dir) {
                log.lock().unwrap().push(name);
            }
        }
    });
    (base, served)
}

fn answer(mut stream: TcpStream, dir: &Path) -> std::io::Result<Option<String>> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" {
            break;
        }
    }
    let name = request
        .split(' ')
        .nth(1)
        .unwrap_or("")
        .trim_start_matches('/')
        .to_string();
    let body = (!name.is_empty() && !name.contains('/'))
        .then(|| fs::read(dir.join(&name)).ok())
        .flatten();
    match body {
        Some(body) => {
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            stream.write_all(&body)?;
            Ok(Some(name))
        }
        None => {
            stream.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )?;
            Ok(None)
        }
    }
}

#[test]
fn krew_install() {
    let krew_dir = build("build-krew.sh", KREW_VERSION);
    let kubectls: Vec<(&str, PathBuf)> = KUBECTL_VERSIONS
        .iter()
        .map(|v| (*v, build("build-kubectl.sh", v).join("kubectl")))
        .collect();
    let (os, arch) = platform();
    let version = env!("CARGO_PKG_VERSION");
    let tag = format!("v{version}");
    let tmp = tempfile::tempdir().unwrap();

    // The release script packs the binary under test for this platform and renders the manifest.
    let dist = tmp.path().join("dist");
    let out = run(
        Command::new("bash")
            .arg(root().join("tests/release/release.sh"))
            .args(["--out".as_ref(), dist.as_os_str()])
            .arg("--binary")
            .arg(format!("{os}/{arch}={}", binary().display())),
        "release.sh",
        PACK,
    );
    assert!(out.status.success(), "{}", describe("release.sh", &out));
    assert_eq!(text(&out.stdout).trim(), dist.to_str().unwrap());
    let archive_name = format!("kubectl-sidecar_{tag}_{os}_{arch}.tar.gz");
    let archive = dist.join(&archive_name);
    let manifest = dist.join("sidecar.yaml");
    let sums = fs::read_to_string(dist.join("sha256sums.txt")).unwrap();
    assert!(sums.contains(&format!("  {archive_name}\n")), "{sums}");

    // What krew-index asks of an archive: the binary and a LICENSE; we add the README.
    let listing = succeeds(Command::new("tar").arg("-tzf").arg(&archive), "tar -t");
    let mut entries: Vec<String> = text(&listing.stdout).lines().map(String::from).collect();
    entries.sort();
    assert_eq!(entries, ["LICENSE", "README.md", "kubectl-sidecar"]);

    let validator = krew_dir.join("validate-krew-manifest");
    let world = World {
        home: tmp.path().join("home"),
        krew_root: tmp.path().join("krew"),
        tools: tool_dir(
            &tmp.path().join("tools"),
            &kubectls[0].1,
            &krew_dir.join("krew"),
        ),
    };
    fs::create_dir_all(&world.home).unwrap();

    // krew's validator on the manifest as it will be published (release URLs).
    succeeds(
        world
            .command(&validator)
            .args(["-manifest".as_ref(), manifest.as_os_str()])
            .arg("-skip-install"),
        "validate-krew-manifest -skip-install",
    );

    // And as krew-index's CI runs it: install each platform from its URL and find the LICENSE
    // among the installed files. The same archives, served on loopback.
    let (base, served) = serve(dist.clone());
    let served_dir = tmp.path().join("served");
    fs::create_dir_all(&served_dir).unwrap();
    let rendered = run(
        Command::new("bash")
            .arg(root().join("tests/release/render-manifest.sh"))
            .args(["--tag", &tag, "--base-url", &base, "--dir"])
            .arg(&dist),
        "render-manifest.sh --base-url",
        STEP,
    );
    assert!(
        rendered.status.success(),
        "{}",
        describe("render", &rendered)
    );
    let served_manifest = served_dir.join("sidecar.yaml");
    fs::write(&served_manifest, &rendered.stdout).unwrap();
    let out = succeeds(
        world
            .command(&validator)
            .args(["-manifest".as_ref(), served_manifest.as_os_str()]),
        "validate-krew-manifest (installing)",
    );
    assert!(
        text(&out.stderr).contains("all 1 spec.platforms installed fine"),
        "{}",
        describe("validate-krew-manifest", &out)
    );
    assert_eq!(*served.lock().unwrap(), std::slice::from_ref(&archive_name));

    // The install a user does from a downloaded release.
    let kubectl = &kubectls[0].1;
    let out = succeeds(
        &mut world.kubectl(
            kubectl,
            &[
                "krew",
                "install",
                &format!("--manifest={}", manifest.display()),
                &format!("--archive={}", archive.display()),
            ],
        ),
        "kubectl krew install",
    );
    assert!(
        text(&out.stderr).contains("Installed plugin: sidecar"),
        "{}",
        describe("kubectl krew install", &out)
    );
    let store = world.krew_root.join("store/sidecar").join(&tag);
    for file in ["kubectl-sidecar", "LICENSE", "README.md"] {
        assert!(
            store.join(file).is_file(),
            "{file} not installed in {store:?}"
        );
    }
    let link = world.krew_root.join("bin/kubectl-sidecar");
    assert_eq!(
        fs::canonicalize(&link).unwrap(),
        fs::canonicalize(store.join("kubectl-sidecar")).unwrap()
    );

    let snapshot = root().join("tests/fixtures/snapshots/doctor-mixed.json");
    let snapshot = snapshot.to_str().unwrap();
    for (wanted, kubectl) in &kubectls {
        let out = succeeds(
            &mut world.kubectl(kubectl, &["version", "--client", "-o", "json"]),
            "kubectl version",
        );
        let client: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(client["clientVersion"]["gitVersion"], *wanted);

        let out = succeeds(
            &mut world.kubectl(kubectl, &["plugin", "list"]),
            "kubectl plugin list",
        );
        assert!(
            text(&out.stdout)
                .lines()
                .any(|l| Path::new(l.trim()) == link.as_path()),
            "{}",
            describe(&format!("kubectl {wanted} plugin list"), &out)
        );

        let what = format!("kubectl {wanted} sidecar version -o json");
        let out = succeeds(
            &mut world.kubectl(kubectl, &["sidecar", "version", "-o", "json"]),
            &what,
        );
        let info: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", describe(&what, &out)));
        assert_eq!(info["version"], version, "{}", describe(&what, &out));
        let direct = succeeds(
            world.command(&binary()).args(["version", "-o", "json"]),
            "kubectl-sidecar version -o json",
        );
        assert_eq!(text(&out.stdout), text(&direct.stdout), "{what}");

        // Through kubectl, the doctor behaves exactly as the binary run directly: same output
        // and exit code (1: the snapshot's cluster is not ready), flags passed through intact.
        for format in ["table", "json"] {
            let args = ["doctor", "--snapshot", snapshot, "-o", format];
            let direct = run(world.command(&binary()).args(args), "kubectl-sidecar", STEP);
            let mut via_args = vec!["sidecar"];
            via_args.extend(args);
            let what = format!("kubectl {wanted} sidecar doctor -o {format}");
            let via = run(&mut world.kubectl(kubectl, &via_args), &what, STEP);
            assert_eq!(via.status.code(), Some(1), "{}", describe(&what, &via));
            assert_eq!(direct.status.code(), via.status.code());
            assert_eq!(text(&via.stdout), text(&direct.stdout), "{what}");
            assert!(!via.stdout.is_empty(), "{}", describe(&what, &via));
        }
    }

    // krew uninstalls only with a plugin index present; an empty local one needs no network.
    succeeds(
        Command::new("git")
            .args(["init", "-q"])
            .arg(world.krew_root.join("index/default")),
        "git init",
    );
    let out = succeeds(
        &mut world.kubectl(kubectl, &["krew", "uninstall", "sidecar"]),
        "kubectl krew uninstall",
    );
    assert!(
        text(&out.stderr).contains("Uninstalled plugin: sidecar"),
        "{}",
        describe("kubectl krew uninstall", &out)
    );
    assert!(!link.exists() && fs::symlink_metadata(&link).is_err());
    assert!(!world.krew_root.join("store/sidecar").exists());
    assert!(!world.krew_root.join("receipts/sidecar.yaml").exists());
    for (wanted, kubectl) in &kubectls {
        let what = format!("kubectl {wanted} sidecar after uninstall");
        let out = run(
            &mut world.kubectl(kubectl, &["sidecar", "version"]),
            &what,
            STEP,
        );
        assert!(!out.status.success(), "{}", describe(&what, &out));
        assert!(
            text(&out.stderr).contains("unknown command \"sidecar\""),
            "{}",
            describe(&what, &out)
        );
    }
}
