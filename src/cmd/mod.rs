//! The commands, side by side: each resolves its options, collects (or loads a snapshot),
//! analyses with pure checks and renders. No command imports another command's module.

pub mod check_nodes;
pub mod diff_pod;
pub mod doctor;
pub mod rbac;
pub mod snapshot;
pub mod version;
