//! Everything that talks to Kubernetes or encodes its rules, shared by every command: requests
//! (budget, paging, error classification), versions and the version table, the gate reader and
//! metrics, skew, selectors, webhook rules and the strippers list, and the collectors more than
//! one command uses (control plane and nodes, admission requests).

pub mod access;
pub mod admission;
pub mod cluster;
pub mod collect;
pub mod controllers;
pub mod gate;
pub mod injectors;
pub mod kubelets;
pub mod metrics;
pub mod redact;
pub mod selector;
pub mod skew;
pub mod staticpods;
pub mod strippers;
pub mod version;
pub mod versions;
pub mod webhooks;
