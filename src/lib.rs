//! kubectl-sidecar as a library: the binary (`main.rs`) is a thin shell over it, and the fuzz
//! targets and tests reach the same parsers through it.
//!
//! Layers (README.md "How it works" draws them; tests/architecture.rs keeps them):
//! - `kube`: everything that talks to Kubernetes or encodes its rules (requests with paging,
//!   timeouts and error classification, versions and the one table of version facts, the gate
//!   reader, metrics, skew, selectors, webhook rules, the strippers list, shared collectors);
//! - `facts`: the shared facts model (plain serializable data; what snapshots hold), built on
//!   `kube`'s pure types;
//! - `checks`: shared pure analysis (facts in, verdicts and findings out);
//! - `manifests`: reading `-f FILE|DIR|-` (YAML/JSON, Lists, each object with its file,
//!   document and line) and where each kind keeps its pod template;
//! - `cmd`: the commands, side by side over those layers; none imports another;
//! - front: `cli` (raw flags), `context` (the resolved context), `fleet` (several clusters in one
//!   run), `help`, `complete`, and the shared output (`render`, `output`, `progress`).

/// The tool's version, shared by `version`, `--help` and `rbac`'s header (a command never reads
/// another's module for it).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Set by build.rs: `KSC_GIT_COMMIT` from the environment, else `git rev-parse`, else "unknown".
pub const COMMIT: &str = env!("KSC_GIT_COMMIT");

pub mod checks;
pub mod cli;
pub mod cmd;
pub mod complete;
pub mod context;
pub mod duration;
pub mod error;
pub mod facts;
pub mod fleet;
pub mod help;
pub mod kube;
pub mod manifests;
pub mod output;
pub mod progress;
pub mod render;
