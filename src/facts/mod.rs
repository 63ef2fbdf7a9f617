//! The shared facts model: plain serializable data, no judgement, no API access. Collectors
//! write it, checks read it, snapshots hold it.

pub mod admission;
pub mod cluster;
pub mod coverage;
