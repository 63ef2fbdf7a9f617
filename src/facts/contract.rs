//! The one versioned contract of every document this tool writes (`-o json|yaml` and snapshots):
//! a header saying which schema, which kind, which build, when and from which kubeconfig context,
//! then the kind's body. README.md (## Output contract) says what bumps `v1`; the JSON Schema of
//! each kind is generated from these types (tests/schemas/).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Changes only when a field is removed, renamed or changes meaning; adding fields keeps it.
pub const API_VERSION: &str = "kubectl-sidecar/v1";

/// The tool's own version, as `kubectl sidecar version` prints it.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Kind {
    CheckNodesReport,
    DiffPodReport,
    DoctorReport,
    Snapshot,
    /// An item of a run over several clusters (`kind: List`) for a cluster that could not be
    /// examined.
    ClusterError,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::CheckNodesReport,
        Kind::DiffPodReport,
        Kind::DoctorReport,
        Kind::Snapshot,
        Kind::ClusterError,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::CheckNodesReport => "CheckNodesReport",
            Kind::DiffPodReport => "DiffPodReport",
            Kind::DoctorReport => "DoctorReport",
            Kind::Snapshot => "Snapshot",
            Kind::ClusterError => "ClusterError",
        }
    }
}

/// The kubeconfig context the facts came from. Names only: never the server URL or a user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Origin {
    /// The kubeconfig context used (`--context`, else the current context).
    pub name: Option<String>,
    /// The kubeconfig cluster of that context (or of `--cluster`).
    pub cluster: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    /// Always `kubectl-sidecar/v1` in this build.
    pub api_version: String,
    pub kind: Kind,
    /// The version of the build that wrote the document (for a report analysed from a
    /// snapshot: this build; the snapshot's own is in the snapshot).
    pub tool_version: String,
    /// RFC 3339 time the facts were collected (from a snapshot: the snapshot's); null when
    /// unknown.
    pub collected_at: Option<String>,
    /// The kubeconfig context the facts came from; null when unknown (a snapshot that did not
    /// record one).
    pub context: Option<Origin>,
}

impl Header {
    pub fn new(kind: Kind, collected_at: Option<String>, context: Option<Origin>) -> Self {
        Self {
            api_version: API_VERSION.to_string(),
            kind,
            tool_version: TOOL_VERSION.to_string(),
            collected_at,
            context,
        }
    }
}

/// A document: the header, then the body's own fields at the same level.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Document<T> {
    #[serde(flatten)]
    pub header: Header,
    #[serde(flatten)]
    pub body: T,
}

impl<T> Document<T> {
    pub fn new(header: Header, body: T) -> Self {
        Self { header, body }
    }
}

/// The JSON Schema of a document of `kind` whose body is `T`: the header's `apiVersion` and
/// `kind` pinned to their values, so a document of another kind or version does not validate.
pub fn schema<T: JsonSchema>(kind: Kind) -> schemars::Schema {
    schema_of::<Document<T>>(kind)
}

/// The JSON Schema of a whole document type (header included) of `kind`. Reports are what this
/// build writes (a field it omits when empty is optional); a snapshot is what it reads (a field
/// with a default is optional).
pub fn schema_of<D: JsonSchema>(kind: Kind) -> schemars::Schema {
    let settings = match kind {
        Kind::Snapshot => schemars::generate::SchemaSettings::default().for_deserialize(),
        _ => schemars::generate::SchemaSettings::default().for_serialize(),
    };
    let mut schema = settings.into_generator().into_root_schema_for::<D>();
    schema.insert(
        "$id".into(),
        format!(
            "https://kubectl-sidecar.dev/schemas/v1/{}.json",
            kind.name()
        )
        .into(),
    );
    schema.insert("title".into(), kind.name().into());
    if let Some(props) = schema
        .get_mut("properties")
        .and_then(serde_json::Value::as_object_mut)
    {
        props.insert(
            "apiVersion".into(),
            serde_json::json!({ "const": API_VERSION }),
        );
        props.insert("kind".into(), serde_json::json!({ "const": kind.name() }));
    }
    schema
}

/// Now, as RFC 3339 (UTC, whole seconds).
pub fn now() -> Option<String> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    k8s_openapi::jiff::Timestamp::from_second(i64::try_from(secs).ok()?)
        .ok()
        .map(|t| t.to_string())
}
