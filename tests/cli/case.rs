//! One way to run the binary in these tests: `Case` says how (arguments, environment, stdin,
//! where stdout goes), `Run` is what came out, with assertions that show the whole run when
//! they fail. The environment is hermetic, set here only: nothing inherited but PATH, no
//! KUBECONFIG, a HOME with nothing in it, color decided by the flags alone.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-sidecar");

/// A path under tests/fixtures, as the string a flag takes.
pub fn fixture(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
        .to_string_lossy()
        .into_owned()
}

/// An empty directory for HOME, so that no ~/.kube/config of the developer's is ever read. It
/// stays empty: a file in it means the binary wrote into HOME, which it must never do.
fn empty_home() -> &'static Path {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-empty-home");
        std::fs::create_dir_all(&home).expect("create the empty HOME");
        let entries: Vec<_> = std::fs::read_dir(&home)
            .expect("read the empty HOME")
            .map(|e| e.map(|e| e.file_name()))
            .collect();
        assert!(
            entries.is_empty(),
            "{} is not empty: {entries:?}",
            home.display()
        );
        home
    })
}

#[must_use]
pub struct Case {
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    stdin: Option<Vec<u8>>,
    stdout: Option<Stdio>,
}

impl Case {
    pub fn new<I, S>(args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Case {
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
            stdout: None,
        }
        .args(args)
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I, S>(self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        args.into_iter().fold(self, Case::arg)
    }

    /// Sets a variable on top of the hermetic environment (a later value wins).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.as_bytes().to_vec());
        self
    }

    /// Sends stdout somewhere other than the captured pipe (a closed pipe, /dev/full); the
    /// run's stdout then reads as empty.
    pub fn stdout_to(mut self, to: impl Into<Stdio>) -> Self {
        self.stdout = Some(to.into());
        self
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", empty_home())
            .env("TERM", "xterm");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    fn shown(&self) -> String {
        self.args
            .iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[track_caller]
    pub fn run(self) -> Run {
        let mut cmd = self.command(BIN);
        cmd.args(&self.args)
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let shown = self.shown();
        if let Some(to) = self.stdout {
            cmd.stdout(to);
        }
        let started = Instant::now();
        let mut child = cmd.spawn().expect("the binary starts");
        if let Some(input) = &self.stdin {
            // Dropped at the end of the block: the binary sees end of input.
            let mut stdin = child.stdin.take().expect("a stdin pipe");
            stdin.write_all(input).expect("stdin accepts the input");
        }
        let output = child.wait_with_output().expect("the binary finishes");
        Run::new(shown, output, started.elapsed())
    }

    /// Runs the binary on a pseudo-terminal (util-linux `script`), where `--color auto`
    /// decides; returns what the terminal showed.
    #[track_caller]
    pub fn on_terminal(self) -> String {
        let quoted: Vec<String> = std::iter::once(OsStr::new(BIN))
            .chain(self.args.iter().map(OsString::as_os_str))
            .map(|a| format!("'{}'", a.to_string_lossy().replace('\'', r"'\''")))
            .collect();
        let output = self
            .command("script")
            .args(["-qefc", &quoted.join(" "), "/dev/null"])
            .stdin(Stdio::null())
            .output()
            .expect("util-linux `script` runs (this test needs it)");
        assert!(
            output.status.code().is_some(),
            "script was killed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

pub struct Run {
    args: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
    raw_stdout: Vec<u8>,
    took: Duration,
}

impl Run {
    fn new(args: String, output: Output, took: Duration) -> Self {
        Run {
            args,
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            raw_stdout: output.stdout,
            took,
        }
    }

    pub fn code(&self) -> Option<i32> {
        self.code
    }

    pub fn stdout(&self) -> &str {
        &self.stdout
    }

    pub fn stdout_bytes(&self) -> &[u8] {
        &self.raw_stdout
    }

    pub fn stderr(&self) -> &str {
        &self.stderr
    }

    pub fn took(&self) -> Duration {
        self.took
    }

    /// The whole run, for a failure message.
    fn shown(&self) -> String {
        format!(
            "`{}` exited {:?}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.args, self.code, self.stdout, self.stderr
        )
    }

    #[track_caller]
    pub fn exit(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "{}", self.shown());
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "missing {needle:?} in stdout of {}",
            self.shown()
        );
        self
    }

    #[track_caller]
    pub fn stdout_lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.stdout.contains(needle),
            "{needle:?} in stdout of {}",
            self.shown()
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "missing {needle:?} in stderr of {}",
            self.shown()
        );
        self
    }

    #[track_caller]
    pub fn stderr_lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.stderr.contains(needle),
            "{needle:?} in stderr of {}",
            self.shown()
        );
        self
    }

    #[track_caller]
    pub fn stdout_empty(&self) -> &Self {
        assert!(self.raw_stdout.is_empty(), "stdout of {}", self.shown());
        self
    }

    #[track_caller]
    pub fn stderr_empty(&self) -> &Self {
        assert!(self.stderr.is_empty(), "stderr of {}", self.shown());
        self
    }

    /// The error contract: exit `code`, nothing on stdout, a single line on stderr that starts
    /// with `error: ` and holds every needle.
    #[track_caller]
    pub fn one_line_error(&self, code: i32, needles: &[&str]) -> &Self {
        self.exit(code).stdout_empty();
        assert_eq!(
            self.stderr.trim_end().lines().count(),
            1,
            "not one line on stderr of {}",
            self.shown()
        );
        assert!(
            self.stderr.starts_with("error: "),
            "no `error: ` first on stderr of {}",
            self.shown()
        );
        for needle in needles {
            self.stderr_has(needle);
        }
        self
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.raw_stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.shown()))
    }

    #[track_caller]
    pub fn yaml(&self) -> Value {
        serde_saphyr::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not YAML ({e}): {}", self.shown()))
    }
}
