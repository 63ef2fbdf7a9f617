//! Shared pure analysis: facts in, verdicts and findings out. No API access, no rendering.

pub mod catalog;
pub mod cluster;
pub mod finding;
pub mod group;
