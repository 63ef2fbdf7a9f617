//! The finding every command reports: one thing that stands in the way, on one object, with its
//! evidence and its fix. Ids, severities, fixes and references come from the catalog: the only
//! constructor, `Finding::new`, is defined beside it (checks/catalog.rs), so that this file,
//! the vocabulary, depends on nothing and the catalog on it.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Report sections, in the order a report prints them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    ControlPlane,
    Nodes,
    Admission,
    Injectors,
    Workloads,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::ControlPlane,
        Section::Nodes,
        Section::Admission,
        Section::Injectors,
        Section::Workloads,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::ControlPlane => "Control plane",
            Section::Nodes => "Nodes and pools",
            Section::Admission => "Admission",
            Section::Injectors => "Injectors",
            Section::Workloads => "Workloads",
        }
    }
}

/// Ordered so that `>=` reads as "at least as serious as" (`--fail-on`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a finding is about. Every key is always present in JSON (null when it does not apply),
/// so consumers can rely on the shape.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct ObjectRef {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub container: Option<String>,
}

impl ObjectRef {
    pub fn new(kind: &str, namespace: Option<&str>, name: &str) -> Self {
        Self {
            kind: kind.to_string(),
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
            container: None,
        }
    }

    pub fn cluster(kind: &str, name: &str) -> Self {
        Self::new(kind, None, name)
    }

    pub fn with_container(mut self, container: &str) -> Self {
        self.container = Some(container.to_string());
        self
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/", self.kind.to_lowercase())?;
        if let Some(ns) = &self.namespace {
            write!(f, "{ns}/")?;
        }
        f.write_str(&self.name)?;
        if let Some(c) = &self.container {
            write!(f, " [{c}]")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    pub id: String,
    pub severity: Severity,
    pub section: Section,
    pub object: ObjectRef,
    pub message: String,
    /// The image of `object.container`, when the finding is about a container and its image is
    /// known: with the container's name it says which findings share a cause (tables fold
    /// them, see `checks::group`). An image reference, never a pull secret.
    #[serde(default)]
    pub image: Option<String>,
    /// What was observed, one fact per line, quoted from the cluster where possible.
    pub evidence: Vec<String>,
    pub fix: String,
    pub reference: String,
    /// Where the object was declared, when it was read from a file (`doctor --offline`); null
    /// for objects read from a cluster.
    pub location: Option<SourceLocation>,
}

pub use crate::facts::object::SourceLocation;

impl Finding {
    pub fn evidence(mut self, line: impl Into<String>) -> Self {
        self.evidence.push(line.into());
        self
    }

    pub fn evidence_all<I, S>(mut self, lines: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.evidence.extend(lines.into_iter().map(Into::into));
        self
    }

    pub fn image(mut self, image: impl Into<String>) -> Self {
        self.image = Some(image.into());
        self
    }

    pub fn at(mut self, location: SourceLocation) -> Self {
        self.location = Some(location);
        self
    }

    /// Replaces the catalog's generic fix with one naming this object.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = fix.into();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_order_reads_as_seriousness() {
        assert!(Severity::Error > Severity::Warning);
        assert!(Severity::Warning > Severity::Info);
        assert_eq!(
            serde_json::to_string(&Severity::Warning).unwrap(),
            "\"warning\""
        );
    }

    #[test]
    fn object_keys_are_present_even_when_empty() {
        let json = serde_json::to_value(ObjectRef::cluster("Node", "n1")).unwrap();
        assert!(json["namespace"].is_null());
        assert!(json["container"].is_null());
    }
}
