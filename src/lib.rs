//! kubectl-sidecar as a library: the binary (`main.rs`) is a thin shell over it, and the fuzz
//! targets and tests reach the same parsers through it.
//!
//! Flow: flags (`cli`) -> resolved context (`context`) -> collect (API access, bounded by the
//! run's deadline) -> facts (serializable, snapshots) -> checks (pure) -> render (`render`,
//! written through `output`).

pub mod access;
pub mod cli;
pub mod complete;
pub mod context;
pub mod coverage;
pub mod diffpod;
pub mod doctor;
pub mod duration;
pub mod error;
pub mod help;
pub mod metrics;
pub mod nodes;
pub mod output;
pub mod rbac;
pub mod render;
pub mod selector;
pub mod skew;
pub mod version;
pub mod version_cmd;
