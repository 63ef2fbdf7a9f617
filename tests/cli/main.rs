//! Black-box tests of the binary that need no cluster, one module per command plus what every
//! command shares and where output goes. Every run goes through `case::Case`.

mod case;

mod check_nodes;
mod ci_formats;
mod contexts;
mod contract;
mod diff_pod;
mod diff_pod_snapshot;
mod doctor;
mod global;
mod grouping;
mod offline;
mod output;
mod snapshot;
