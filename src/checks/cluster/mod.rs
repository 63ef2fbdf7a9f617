//! The control plane and the nodes: per component and per node verdicts, skew, pools and
//! coverage, from the cluster facts. check-nodes renders it as is; doctor maps it to findings.

pub mod analyse;
pub mod coverage;
pub mod findings;
pub mod pools;
pub mod report;
pub mod verdict;
