//! Shared rendering: machine output (json/yaml) and the table conventions of every command.

pub mod ci;
pub mod junit;
pub mod sarif;

use comfy_table::{ContentArrangement, Table, presets};
use owo_colors::OwoColorize;
use serde::Serialize;

use crate::cli::OutputFormat;
use crate::error::{Error, Result};
use crate::facts::contract::{Document, Header};

/// Writes `value` as JSON or YAML. The shape is the serde shape of the value: a public contract.
pub fn machine<T: Serialize>(value: &T, format: OutputFormat) -> Result<String> {
    match format {
        OutputFormat::Json => serde_json::to_string_pretty(value)
            .map(|mut s| {
                s.push('\n');
                s
            })
            .map_err(|e| Error::usage(format!("cannot encode the report as JSON: {e}"))),
        OutputFormat::Yaml => serde_saphyr::to_string(value)
            .map_err(|e| Error::usage(format!("cannot encode the report as YAML: {e}"))),
        OutputFormat::Table | OutputFormat::Wide => {
            unreachable!("table output is rendered by each command")
        }
        OutputFormat::Sarif | OutputFormat::Junit => {
            unreachable!("the CI formats are rendered by render::ci")
        }
    }
}

/// `-o sarif|junit`: a run's findings and coverage in a CI format.
pub fn ci_document(run: &ci::CiRun<'_>, format: OutputFormat) -> Result<String> {
    match format {
        OutputFormat::Sarif => sarif::render(run),
        OutputFormat::Junit => Ok(junit::render(run)),
        OutputFormat::Table | OutputFormat::Wide | OutputFormat::Json | OutputFormat::Yaml => {
            unreachable!("only the CI formats are rendered from a CiRun")
        }
    }
}

/// A document of the versioned contract: the header, then the body's fields.
pub fn document<T: Serialize>(header: &Header, body: &T, format: OutputFormat) -> Result<String> {
    machine(
        &Document {
            header: header.clone(),
            body,
        },
        format,
    )
}

/// A table in kubectl's look: no borders, upper-case headers, as wide as the content needs.
pub fn table(headers: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(headers.iter().map(|h| h.to_uppercase()));
    for column in t.column_iter_mut() {
        column.set_padding((0, 3));
    }
    t
}

/// Renders a table to text with trailing spaces trimmed, as kubectl prints.
pub fn table_text(t: &Table) -> String {
    let mut out = String::new();
    for line in t.to_string().lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Tone of a word in a report; colored only when the context allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Warn,
    Bad,
    Muted,
    Plain,
}

pub fn paint(text: &str, tone: Tone, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    match tone {
        Tone::Good => text.green().to_string(),
        Tone::Warn => text.yellow().to_string(),
        Tone::Bad => text.red().bold().to_string(),
        Tone::Muted => text.dimmed().to_string(),
        Tone::Plain => text.to_string(),
    }
}

pub fn bold(text: &str, color: bool) -> String {
    if color {
        text.bold().to_string()
    } else {
        text.to_string()
    }
}
