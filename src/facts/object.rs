//! How an object read from the user's input is named and where it was declared: shared by the
//! manifest reader, the facts it produces, and the findings that point back at the input.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An object as messages name it, `Deployment/web` (in namespace `shop`). Findings carry the
/// fuller `checks::finding::ObjectRef`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct KindName {
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl std::fmt::Display for KindName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)
    }
}

/// A place in the user's input, as editors and code-scanning tools (SARIF) point at it.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct SourceLocation {
    /// The path as given on the command line (or `-` for stdin).
    pub file: String,
    /// 1-based index of the YAML/JSON document in the file.
    pub document: usize,
    /// 1-based line of the object's first key (of the List item, inside a List).
    pub line: usize,
}
