//! Shared pure analysis: facts in, verdicts and findings out. No API access, no rendering.

pub mod catalog;
pub mod cluster;
pub mod fail_on;
pub mod finding;
pub mod group;
