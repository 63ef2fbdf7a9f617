//! Manifests as users write them, read from `-f FILE|DIR|-` (repeatable, `-R` for directory
//! trees as kubectl takes them): multi-document YAML or JSON (also several JSON objects in a
//! row, as `helm template` and `kustomize build` pipe them), `List`s flattened, every object
//! kept whole as a `serde_json::Value` together with where it was written (file, document,
//! line). `template` knows which kinds carry a pod template and where; `submission` turns one
//! into the pod its controller would create, as diff-pod and `snapshot -f` dry-run it.
//!
//! A layer of its own: diff-pod dry-runs the templates, `doctor --offline` checks them. It uses
//! only `kube`, `facts` and `error`.

pub mod parse;
pub mod read;
pub mod submission;
pub mod template;

pub use parse::Document;
pub use read::read_all;
