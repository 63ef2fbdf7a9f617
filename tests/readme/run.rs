//! Runs a README command as a reader would type it, with the names it uses mapped to what is
//! under test: `kubectl-sidecar` is the binary cargo built; `kubectl` is a real kubectl (which
//! finds the plugin on PATH, as it does for users) or, with no cluster, a stand-in that only
//! knows `kubectl sidecar`; `cargo run [--release] -- ARGS` runs the built binary with ARGS, as
//! cargo would after building it.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A command that does not end within this is killed, with its process group, and fails.
const LIMIT: Duration = Duration::from_secs(180);

pub struct Shell {
    bin_dir: tempfile::TempDir,
    home: tempfile::TempDir,
    kubeconfig: PathBuf,
}

#[derive(Debug)]
pub struct Outcome {
    /// None when killed at the limit or by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_kubectl-sidecar")
}

pub fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl Shell {
    /// No cluster: KUBECONFIG names a file that does not exist, and `kubectl` refuses anything
    /// but `kubectl sidecar`, naming the mark the block needs instead.
    pub fn offline() -> Shell {
        let shell = Shell::new(Path::new("/nonexistent/readme-test/kubeconfig"));
        shell.script(
            "kubectl",
            &format!(
                "if [ \"$1\" = sidecar ]; then shift; exec '{}' \"$@\"; fi\n\
                 echo \"readme test: 'kubectl $1' needs a cluster: mark the block <!-- test: cluster -->\" >&2\n\
                 exit 127\n",
                binary()
            ),
        );
        shell
    }

    /// A real kubectl and a cluster's kubeconfig.
    pub fn cluster(kubectl: &Path, kubeconfig: &Path) -> Shell {
        let shell = Shell::new(kubeconfig);
        std::os::unix::fs::symlink(kubectl, shell.bin_dir.path().join("kubectl"))
            .expect("link kubectl");
        shell
    }

    fn new(kubeconfig: &Path) -> Shell {
        let shell = Shell {
            bin_dir: tempfile::tempdir().expect("temp dir"),
            home: tempfile::tempdir().expect("temp dir"),
            kubeconfig: kubeconfig.to_path_buf(),
        };
        std::os::unix::fs::symlink(binary(), shell.bin_dir.path().join("kubectl-sidecar"))
            .expect("link kubectl-sidecar");
        shell.script(
            "cargo",
            &format!(
                "[ \"$1\" = run ] || {{ echo \"readme test: only 'cargo run' is mapped, not 'cargo $1'\" >&2; exit 127; }}\n\
                 shift\n\
                 [ \"$1\" = --release ] && shift\n\
                 [ \"$1\" = -- ] || {{ echo \"readme test: write 'cargo run [--release] -- ARGS'\" >&2; exit 127; }}\n\
                 shift\n\
                 exec '{}' \"$@\"\n",
                binary()
            ),
        );
        shell
    }

    fn script(&self, name: &str, body: &str) {
        let path = self.bin_dir.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}")).expect("write shim");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    /// `bash -o pipefail -c TEXT` from the crate root (README paths are relative to it).
    pub fn run(&self, text: &str) -> Outcome {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![self.bin_dir.path().to_path_buf()];
        paths.extend(std::env::split_paths(&path));
        let mut child = std::process::Command::new("bash")
            .args(["-o", "pipefail", "-c", text])
            .current_dir(crate_root())
            .env("PATH", std::env::join_paths(paths).expect("PATH"))
            .env("HOME", self.home.path())
            .env("KUBECONFIG", &self.kubeconfig)
            .env("NO_COLOR", "1")
            .env_remove("KREW_ROOT")
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
            .unwrap_or_else(|e| panic!("cannot run bash: {e}"));
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
        let started = Instant::now();
        let code = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status.code(),
                Ok(None) if started.elapsed() < LIMIT => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => {
                    let _ = std::process::Command::new("kill")
                        .arg("-KILL")
                        .arg(format!("-{}", child.id()))
                        .status();
                    let _ = child.wait();
                    break None;
                }
            }
        };
        Outcome {
            code,
            stdout: out.join().unwrap_or_default(),
            stderr: err.join().unwrap_or_default(),
        }
    }
}

/// The README as committed.
pub fn readme() -> String {
    let path = crate_root().join("README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}
