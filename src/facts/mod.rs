//! The shared facts model: plain serializable data, no judgement, no API access. Collectors
//! write it, checks read it, snapshots hold it; `contract` is the header every document carries.

pub mod admission;
pub mod cluster;
pub mod contract;
pub mod coverage;
pub mod diff_pod;
pub mod doctor;
pub mod object;
pub mod snapshot;
pub mod workloads;
