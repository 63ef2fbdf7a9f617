//! The one wrapper around prometheus-parse: find a feature gate's `kubernetes_feature_enabled`
//! series in a component's `/metrics` text.
//!
//! prometheus-parse splits labels on every `,` and `=` and ends the label set at the first `}`,
//! even inside quoted values, and keeps escape sequences verbatim. A label value with any of
//! those would shift or drop the `name`/`stage` labels we read. So only the
//! `kubernetes_feature_enabled` family's lines reach it, and each label value is first
//! percent-encoded by our own quote-aware scanner (decoded again afterwards): the crate then
//! only ever sees `[A-Za-z0-9_.:/%-]` inside quotes.
//!
//! Components expose families sorted by name (Prometheus' Go client sorts on Gather), so a
//! streamed body can be abandoned once past the family: kubelet bodies run to megabytes and the
//! family sits in the middle.

use std::fmt::Write as _;

use futures::{AsyncBufRead, AsyncBufReadExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The family that records every feature gate a component knows (k8s component-base).
pub const FAMILY: &str = "kubernetes_feature_enabled";

/// Longest line kept; longer ones are skipped, so a body without newlines cannot exhaust memory.
/// Real lines are under 1 KiB (the longest in the captures in tests/fixtures/metrics is 587 bytes).
pub const MAX_LINE: usize = 64 * 1024;

/// Most bytes read from one body. A real kubelet's /metrics is 150-260 KB and an apiserver's a
/// few MB, and reading stops after the family anyway: past this the body is hostile or broken.
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// Most lines of the family kept. A component knows a few hundred gates.
pub const MAX_SERIES: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FeatureSeries {
    pub name: String,
    /// `ALPHA`, `BETA`, `DEPRECATED`, or `""` for GA (Kubernetes writes GA as the empty string).
    pub stage: String,
    pub enabled: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MetricsError {
    #[error("the response is empty")]
    Empty,
    #[error("the response is not Prometheus metrics text (starts with {0:?})")]
    NotMetrics(String),
    #[error("malformed {FAMILY} line {line}: {detail}")]
    Malformed { line: usize, detail: String },
    #[error("{FAMILY}{{name={gate:?}}} has value {value:?}, expected 0 or 1")]
    BadValue { gate: String, value: String },
    #[error("reading the metrics stream failed: {0}")]
    Read(String),
    #[error("metrics body larger than {} MiB: stopped reading", .0 / (1024 * 1024))]
    TooLarge(usize),
    #[error("more than {0} {FAMILY} series: stopped reading")]
    TooManySeries(usize),
}

impl MetricsError {
    /// Whether the connection failed, as opposed to the server sending something unusable.
    pub fn is_transport(&self) -> bool {
        matches!(self, MetricsError::Read(_))
    }
}

/// Finds `gate`'s series. Ok(None) means the text is metrics text with no series for the gate
/// (the family may be missing entirely: components older than 1.26 do not have it).
#[allow(dead_code)] // the whole-text entry point, for commands that already hold the body
pub fn feature_gate(text: &str, gate: &str) -> Result<Option<FeatureSeries>, MetricsError> {
    let mut extract = Extract::default();
    for line in text.lines() {
        if extract.push(line) == Step::Done {
            break;
        }
    }
    extract.finish()?.feature_gate(gate)
}

/// Reads a metrics body line by line, keeping only the family's lines and stopping once past
/// it. The caller bounds the time (the body may never end); memory is bounded here: at most
/// MAX_LINE per line, MAX_BODY in all, MAX_SERIES family lines.
pub async fn read_family<R: AsyncBufRead + Unpin>(reader: R) -> Result<FamilyLines, MetricsError> {
    read_family_within(reader, MAX_BODY).await
}

async fn read_family_within<R: AsyncBufRead + Unpin>(
    mut reader: R,
    max_body: usize,
) -> Result<FamilyLines, MetricsError> {
    let mut extract = Extract::default();
    let mut buf = Vec::with_capacity(1024);
    let mut total = 0usize;
    loop {
        buf.clear();
        let (n, complete) = read_line_bounded(&mut reader, &mut buf, max_body - total)
            .await
            .map_err(|e| MetricsError::Read(e.to_string()))?;
        if n == 0 {
            break;
        }
        total += n;
        if total >= max_body {
            return Err(MetricsError::TooLarge(max_body));
        }
        if extract.lines.samples.len() >= MAX_SERIES {
            return Err(MetricsError::TooManySeries(MAX_SERIES));
        }
        let step = if complete {
            let line = String::from_utf8_lossy(&buf);
            extract.push(line.trim_end_matches(['\n', '\r']))
        } else {
            extract.push_overlong()
        };
        if step == Step::Done {
            break;
        }
    }
    extract.finish()
}

/// Reads up to and including the next `\n`, or until `budget` bytes were consumed. Returns the
/// bytes consumed and whether the line fit in MAX_LINE (if not, the rest of the line is consumed
/// and discarded).
async fn read_line_bounded<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    budget: usize,
) -> std::io::Result<(usize, bool)> {
    let mut consumed = 0;
    let mut fits = true;
    loop {
        if consumed >= budget {
            return Ok((consumed, fits));
        }
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok((consumed, fits));
        }
        let (chunk, found) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let len = chunk.len();
        if fits && buf.len() + len <= MAX_LINE {
            buf.extend_from_slice(chunk);
        } else {
            fits = false;
            buf.clear();
        }
        reader.consume_unpin(len);
        consumed += len;
        if found {
            return Ok((consumed, fits));
        }
    }
}

/// The family's lines, as cut out of a body; parse them with `feature_gate`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FamilyLines {
    /// (line number in the body, text) of each sample line of the family.
    samples: Vec<(usize, String)>,
    /// Whether the family appeared at all (it was added in Kubernetes 1.26).
    present: bool,
}

impl FamilyLines {
    pub fn present(&self) -> bool {
        self.present
    }

    pub fn feature_gate(&self, gate: &str) -> Result<Option<FeatureSeries>, MetricsError> {
        for (number, line) in &self.samples {
            let malformed = |detail: String| MetricsError::Malformed {
                line: *number,
                detail,
            };
            // Every line of the family is split, so a garbled line that might be ours is an
            // error rather than a silent "absent".
            let (_, labels, _) = split_sample(line).map_err(malformed)?;
            if !labels.iter().any(|(k, v)| k == "name" && v == gate) {
                continue;
            }
            let encoded = encode_sample(line).map_err(malformed)?;
            let scrape = prometheus_parse::Scrape::parse(std::iter::once(Ok(encoded)))
                .map_err(|e| MetricsError::Read(e.to_string()))?;
            // prometheus-parse drops a sample whose value is not a number without a word.
            let Some(sample) = scrape.samples.into_iter().find(|s| s.metric == FAMILY) else {
                return Err(malformed("the value is not a number".into()));
            };
            let name = sample.labels.get("name").map(decode).unwrap_or_default();
            // An empty label value and a missing label are the same thing in Prometheus.
            let stage = sample.labels.get("stage").map(decode).unwrap_or_default();
            let value = match sample.value {
                prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v)
                | prometheus_parse::Value::Counter(v) => v,
                _ => f64::NAN,
            };
            let enabled = if value == 1.0 {
                true
            } else if value == 0.0 {
                false
            } else {
                return Err(MetricsError::BadValue {
                    gate: name,
                    value: value.to_string(),
                });
            };
            return Ok(Some(FeatureSeries {
                name,
                stage,
                enabled,
            }));
        }
        Ok(None)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    More,
    Done,
}

/// Line-by-line cut of the family out of a body, shared by the text and streaming entry points.
#[derive(Default)]
struct Extract {
    number: usize,
    lines: FamilyLines,
    /// Lines that look like exposition format (comments or samples), of `nonempty` lines.
    recognised: usize,
    nonempty: usize,
    first_line: Option<String>,
    /// Family names from HELP/TYPE lines seen so far, used to know we are past ours.
    last_family: Option<String>,
    unsorted: bool,
    /// A family sorting before ours was seen: only then does a later one prove ours absent.
    seen_before: bool,
    seen_family: bool,
}

impl Extract {
    fn push(&mut self, line: &str) -> Step {
        self.number += 1;
        let line = line.trim();
        if line.is_empty() {
            return Step::More;
        }
        self.nonempty += 1;
        if self.first_line.is_none() {
            // Shown in messages: bytes that are not printable ASCII become '?'.
            let shown = line.chars().take(40);
            self.first_line = Some(
                shown
                    .map(|c| {
                        if c.is_ascii_graphic() || c == ' ' {
                            c
                        } else {
                            '?'
                        }
                    })
                    .collect(),
            );
        }
        if let Some(comment) = line.strip_prefix('#') {
            self.recognised += 1;
            let mut words = comment.split_whitespace();
            if let (Some("HELP" | "TYPE"), Some(family)) = (words.next(), words.next()) {
                return self.family_header(family);
            }
            return Step::More;
        }
        let Some(name) = sample_name(line) else {
            return Step::More;
        };
        self.recognised += 1;
        if name == FAMILY {
            self.seen_family = true;
            self.lines.samples.push((self.number, line.to_string()));
        }
        Step::More
    }

    fn push_overlong(&mut self) -> Step {
        self.number += 1;
        self.nonempty += 1;
        if self.first_line.is_none() {
            self.first_line = Some(format!("a line over {MAX_LINE} bytes"));
        }
        Step::More
    }

    fn family_header(&mut self, family: &str) -> Step {
        if self
            .last_family
            .as_deref()
            .is_some_and(|last| family < last)
        {
            self.unsorted = true;
        }
        if family == FAMILY {
            self.seen_family = true;
        }
        if family < FAMILY {
            self.seen_before = true;
        }
        // Past ours: done if we saw it, or if the body is sorted so far around where ours would
        // be (then it is absent).
        if family > FAMILY && (self.seen_family || (self.seen_before && !self.unsorted)) {
            return Step::Done;
        }
        self.last_family = Some(family.to_string());
        Step::More
    }

    fn finish(self) -> Result<FamilyLines, MetricsError> {
        match (&self.first_line, self.recognised) {
            (None, _) => Err(MetricsError::Empty),
            // Every line of real metrics text is a comment or a sample; random bytes only
            // look like one by chance.
            (Some(first), n) if n == 0 || n * 2 < self.nonempty => {
                Err(MetricsError::NotMetrics(first.clone()))
            }
            _ => Ok(FamilyLines {
                present: self.seen_family,
                ..self.lines
            }),
        }
    }
}

/// The metric name of a line shaped like a sample (`name{...} value` or `name value`).
fn sample_name(line: &str) -> Option<&str> {
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(line.len());
    let name = &line[..end];
    let first = name.chars().next()?;
    if first.is_ascii_digit() {
        return None;
    }
    match line[end..].chars().next() {
        Some('{') | Some(' ') | Some('\t') => Some(name),
        _ => None,
    }
}

/// One label as written in the text: name and unescaped value.
type Label = (String, String);

/// Splits `name{labels} rest` with a quote- and escape-aware scanner.
fn split_sample(line: &str) -> Result<(&str, Vec<Label>, &str), String> {
    let name = sample_name(line).ok_or("no metric name")?;
    let after = &line[name.len()..];
    let Some(body) = after.strip_prefix('{') else {
        return Ok((name, Vec::new(), after));
    };
    let mut labels = Vec::new();
    let mut chars = body.char_indices().peekable();
    loop {
        // Skip separators and spaces before the next label or the closing brace.
        while let Some(&(_, c)) = chars.peek() {
            if c == ',' || c == ' ' {
                chars.next();
            } else {
                break;
            }
        }
        let Some(&(start, c)) = chars.peek() else {
            return Err("unterminated label set".into());
        };
        if c == '}' {
            return Ok((name, labels, &body[start + 1..]));
        }
        let mut end = start;
        while let Some(&(i, c)) = chars.peek() {
            if c.is_ascii_alphanumeric() || c == '_' {
                chars.next();
                end = i + c.len_utf8();
            } else {
                break;
            }
        }
        let key = &body[start..end];
        if key.is_empty() {
            return Err(format!("unexpected {c:?} in the label set"));
        }
        while chars.peek().is_some_and(|&(_, c)| c == ' ') {
            chars.next();
        }
        if chars.next().map(|(_, c)| c) != Some('=') {
            return Err(format!("label {key} has no '='"));
        }
        while chars.peek().is_some_and(|&(_, c)| c == ' ') {
            chars.next();
        }
        if chars.next().map(|(_, c)| c) != Some('"') {
            return Err(format!("label {key}'s value is not quoted"));
        }
        let mut value = String::new();
        loop {
            match chars.next() {
                None => return Err(format!("label {key}'s value is not closed")),
                Some((_, '"')) => break,
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    // The format defines only three escapes; keep anything else as written.
                    Some((_, other)) => {
                        value.push('\\');
                        value.push(other);
                    }
                    None => return Err(format!("label {key}'s value is not closed")),
                },
                Some((_, c)) => value.push(c),
            }
        }
        labels.push((key.to_string(), value));
    }
}

/// Re-writes a sample line so that prometheus-parse's naive label split reads it correctly.
fn encode_sample(line: &str) -> Result<String, String> {
    let (name, labels, rest) = split_sample(line)?;
    let rest = rest.trim();
    if rest.is_empty() {
        return Err("no value".into());
    }
    let mut out = String::from(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (key, value)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{key}=\"{}\"", encode(value));
        }
        out.push('}');
    }
    out.push(' ');
    out.push_str(rest);
    Ok(out)
}

fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'/' | b'-') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = value.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GATE: &str = "SidecarContainers";

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/metrics/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn series(stage: &str, enabled: bool) -> Option<FeatureSeries> {
        Some(FeatureSeries {
            name: GATE.into(),
            stage: stage.into(),
            enabled,
        })
    }

    #[test]
    fn real_kubelet_and_apiserver_samples() {
        let cases = [
            ("kubelet-1.29.3-gke.txt", series("BETA", true)),
            ("kubelet-1.28.9-gate-off.txt", series("ALPHA", false)),
            ("kubelet-1.33.1.txt", series("", true)),
            ("kubelet-1.37.2.txt", None),
            ("kubelet-1.25.16.txt", None),
            ("apiserver-1.30.3-eks.txt", series("BETA", true)),
        ];
        for (file, want) in cases {
            assert_eq!(feature_gate(&fixture(file), GATE), Ok(want), "{file}");
        }
    }

    #[test]
    fn a_similar_gate_name_is_not_ours() {
        // 1.33 also reports LegacySidecarContainers (DEPRECATED, 0): a different gate.
        let got = feature_gate(&fixture("kubelet-1.33.1.txt"), "LegacySidecarContainers");
        assert_eq!(
            got,
            Ok(Some(FeatureSeries {
                name: "LegacySidecarContainers".into(),
                stage: "DEPRECATED".into(),
                enabled: false,
            }))
        );
        assert_eq!(
            feature_gate(&fixture("kubelet-1.29.3-gke.txt"), "Sidecar"),
            Ok(None)
        );
    }

    #[test]
    fn prometheus_parse_alone_misreads_these_labels() {
        // Why this module exists: fed the raw line, the crate splits inside quoted values.
        // If this starts failing, the crate got fixed and the pre-encoding may be dropped.
        let line = r#"kubernetes_feature_enabled{name="AnyVolumeDataSource",node="n1,name=\"SidecarContainers\"",stage="BETA"} 1"#;
        let scrape =
            prometheus_parse::Scrape::parse(std::iter::once(Ok(line.to_string()))).unwrap();
        let name = scrape.samples[0].labels.get("name");
        assert_ne!(name, Some("AnyVolumeDataSource"));
        // And a '}' inside a value cuts the label set short and makes the value unparseable.
        let line = r#"kubernetes_feature_enabled{job="kubelet} 0",name="SidecarContainers",stage="BETA"} 1"#;
        let scrape =
            prometheus_parse::Scrape::parse(std::iter::once(Ok(line.to_string()))).unwrap();
        assert!(
            scrape.samples.is_empty()
                || scrape.samples[0].labels.get("name") != Some("SidecarContainers")
        );
    }

    #[test]
    fn hostile_label_values_are_read_correctly() {
        let text = fixture("label-escaping.txt");
        assert_eq!(feature_gate(&text, GATE), Ok(series("BETA", false)));
        assert_eq!(
            feature_gate(&text, "AnyVolumeDataSource"),
            Ok(Some(FeatureSeries {
                name: "AnyVolumeDataSource".into(),
                stage: "BETA".into(),
                enabled: true,
            }))
        );
        assert_eq!(
            feature_gate(&text, "InPlacePodVerticalScaling")
                .unwrap()
                .map(|s| s.enabled),
            Some(false)
        );
        assert_eq!(
            feature_gate(&text, "Weird,Gate=1}")
                .unwrap()
                .map(|s| s.stage),
            Some("ALPHA".to_string())
        );
        // Escaped quote in the name, and a value that looks percent-encoded stays as written.
        assert_eq!(
            feature_gate(&text, "Quote\"Gate").unwrap().map(|s| s.stage),
            Some("%41".to_string())
        );
    }

    #[test]
    fn malformed_text_is_an_error_never_a_panic_or_absent() {
        let head = "# HELP kubernetes_feature_enabled x\n# TYPE kubernetes_feature_enabled gauge\n";
        let broken = [
            r#"kubernetes_feature_enabled{name="SidecarContainers",stage="BETA" 1"#,
            r#"kubernetes_feature_enabled{name="SidecarContainers,stage="BETA"} 1"#,
            r#"kubernetes_feature_enabled{name=SidecarContainers,stage="BETA"} 1"#,
            r#"kubernetes_feature_enabled{name="SidecarContainers" stage "BETA"} 1"#,
            r#"kubernetes_feature_enabled{name="SidecarContainers",stage="BETA"}"#,
            r#"kubernetes_feature_enabled{name="SidecarContainers",stage="BETA"} yes"#,
            r#"kubernetes_feature_enabled{name="SidecarContainers",stage="BETA\"} 1"#,
            r#"kubernetes_feature_enabled{,=""} 1"#,
        ];
        for line in broken {
            let got = feature_gate(&format!("{head}{line}\n"), GATE);
            assert!(
                matches!(got, Err(MetricsError::Malformed { line: 3, .. })),
                "{line}: {got:?}"
            );
        }
        for value in ["0.5", "NaN", "+Inf", "2"] {
            let text = format!(
                "{head}kubernetes_feature_enabled{{name=\"SidecarContainers\",stage=\"BETA\"}} {value}\n"
            );
            assert!(
                matches!(
                    feature_gate(&text, GATE),
                    Err(MetricsError::BadValue { .. })
                ),
                "{value}"
            );
        }
        assert_eq!(feature_gate("", GATE), Err(MetricsError::Empty));
        assert_eq!(feature_gate("\n\n  \n", GATE), Err(MetricsError::Empty));
        assert!(matches!(
            feature_gate("<html><body>502 Bad Gateway</body></html>", GATE),
            Err(MetricsError::NotMetrics(_))
        ));
        assert!(matches!(
            feature_gate("{\"kind\":\"Status\",\"code\":403}", GATE),
            Err(MetricsError::NotMetrics(_))
        ));
        // Garbage in other families is not our business.
        let text = format!(
            "bogus{{{{ line\n{head}kubernetes_feature_enabled{{name=\"SidecarContainers\",stage=\"\"}} 1\n"
        );
        assert_eq!(feature_gate(&text, GATE), Ok(series("", true)));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap deterministic fuzz: every prefix and many splices of the real fixtures.
        let text = fixture("label-escaping.txt") + &fixture("kubelet-1.29.3-gke.txt");
        let bytes = text.as_bytes();
        let mut state: u64 = 0x9e3779b97f4a7c15;
        for _ in 0..3000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let a = (state % bytes.len() as u64) as usize;
            let b = ((state >> 20) % bytes.len() as u64) as usize;
            let (lo, hi) = (a.min(b), a.max(b));
            let mut sample = bytes[lo..hi].to_vec();
            if let Some(x) = sample.get_mut((state >> 40) as usize % (hi - lo).max(1)) {
                *x = (state >> 48) as u8;
            }
            let _ = feature_gate(&String::from_utf8_lossy(&sample), GATE);
        }
    }

    /// Counts how much of the body the reader consumed.
    struct Counting<'a> {
        data: &'a [u8],
        pos: usize,
        chunk: usize,
    }

    impl futures::AsyncRead for Counting<'_> {
        fn poll_read(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &mut [u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            let this = self.get_mut();
            let n = buf.len().min(this.chunk).min(this.data.len() - this.pos);
            buf[..n].copy_from_slice(&this.data[this.pos..this.pos + n]);
            this.pos += n;
            std::task::Poll::Ready(Ok(n))
        }
    }

    fn stream(text: &str, chunk: usize) -> (Result<Option<FeatureSeries>, MetricsError>, usize) {
        let mut source = Counting {
            data: text.as_bytes(),
            pos: 0,
            chunk,
        };
        let got = futures::executor::block_on(async {
            let reader = futures::io::BufReader::with_capacity(chunk, &mut source);
            read_family(reader).await
        });
        (got.and_then(|f| f.feature_gate(GATE)), source.pos)
    }

    #[test]
    fn streaming_stops_after_the_family() {
        let text = fixture("kubelet-1.29.3-gke.txt");
        for chunk in [1, 7, 512, 4096] {
            let (got, read) = stream(&text, chunk);
            assert_eq!(got, Ok(series("BETA", true)), "chunk {chunk}");
            // Reading stops at the end of the next family's first line (plus one buffer).
            let next = text.find("# HELP process_cpu_seconds_total").unwrap();
            let next_line_end = next + text[next..].find('\n').unwrap() + 1;
            assert!(
                read <= next_line_end + chunk,
                "chunk {chunk}: read {read} of {}",
                text.len()
            );
            assert!(read < text.len());
        }
    }

    #[test]
    fn streaming_stops_early_when_a_sorted_body_lacks_the_family() {
        let text = fixture("kubelet-1.25.16.txt");
        let (got, read) = stream(&text, 256);
        assert_eq!(got, Ok(None));
        assert!(read < text.len(), "read all {read} bytes");
    }

    #[test]
    fn streaming_reads_an_unsorted_body_to_the_end() {
        // A family sorted after ours comes first: we must not conclude "absent" from it.
        let text = format!(
            "# HELP zz_first x\n# TYPE zz_first gauge\nzz_first 1\n# HELP aa x\n# TYPE aa gauge\naa 1\n{}",
            "kubernetes_feature_enabled{name=\"SidecarContainers\",stage=\"BETA\"} 1\n"
        );
        assert_eq!(stream(&text, 16).0, Ok(series("BETA", true)));
        assert_eq!(feature_gate(&text, GATE), Ok(series("BETA", true)));
    }

    /// An endless body: `head` once, then `fill` repeated forever, counting what was read.
    struct Endless {
        head: Vec<u8>,
        fill: Vec<u8>,
        pos: usize,
        read: usize,
    }

    impl futures::AsyncRead for Endless {
        fn poll_read(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &mut [u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            let this = self.get_mut();
            let mut n = 0;
            while n < buf.len() {
                let source = if this.pos < this.head.len() {
                    &this.head[this.pos..]
                } else {
                    let at = (this.pos - this.head.len()) % this.fill.len();
                    &this.fill[at..]
                };
                let k = source.len().min(buf.len() - n);
                buf[n..n + k].copy_from_slice(&source[..k]);
                n += k;
                this.pos += k;
            }
            this.read += n;
            std::task::Poll::Ready(Ok(n))
        }
    }

    fn endless(head: &str, fill: &str) -> (Result<FamilyLines, MetricsError>, usize) {
        let mut source = Endless {
            head: head.as_bytes().to_vec(),
            fill: fill.as_bytes().to_vec(),
            pos: 0,
            read: 0,
        };
        let got =
            futures::executor::block_on(read_family(futures::io::BufReader::new(&mut source)));
        (got, source.read)
    }

    #[test]
    fn an_endless_line_stops_at_the_body_limit() {
        let (got, read) = endless("# HELP a x\n", "x");
        assert_eq!(got, Err(MetricsError::TooLarge(MAX_BODY)));
        assert!(read <= MAX_BODY + 64 * 1024, "read {read}");
        assert_eq!(
            MetricsError::TooLarge(MAX_BODY).to_string(),
            "metrics body larger than 16 MiB: stopped reading"
        );
    }

    #[test]
    fn endless_other_families_stop_at_the_body_limit() {
        // Unsorted, so the reader cannot conclude the family is absent and must keep going.
        let (got, read) = endless(
            "# HELP zz x\n# HELP aa x\n",
            "aa_total{le=\"0.5\",code=\"200\"} 12345\n",
        );
        assert_eq!(got, Err(MetricsError::TooLarge(MAX_BODY)));
        assert!(read <= MAX_BODY + 64 * 1024, "read {read}");
    }

    #[test]
    fn endless_family_lines_stop_at_the_series_limit() {
        let (got, read) = endless(
            "# HELP kubernetes_feature_enabled x\n",
            "kubernetes_feature_enabled{name=\"G\",stage=\"\"} 1\n",
        );
        assert_eq!(got, Err(MetricsError::TooManySeries(MAX_SERIES)));
        assert!(read < MAX_BODY, "read {read}");
    }

    #[test]
    fn a_body_under_the_limit_is_read_whole() {
        let text = format!(
            "# HELP aa x\n{}kubernetes_feature_enabled{{name=\"SidecarContainers\",stage=\"BETA\"}} 1\n",
            "aa 1\n".repeat(100_000)
        );
        let got = futures::executor::block_on(read_family_within(text.as_bytes(), text.len() + 1));
        assert_eq!(got.unwrap().feature_gate(GATE), Ok(series("BETA", true)));
        let got = futures::executor::block_on(read_family_within(text.as_bytes(), 1000));
        assert_eq!(got, Err(MetricsError::TooLarge(1000)));
    }

    #[test]
    fn a_cut_connection_is_a_transport_error() {
        struct Reset(bool);
        impl futures::AsyncRead for Reset {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let this = self.get_mut();
                if this.0 {
                    return std::task::Poll::Ready(Err(std::io::Error::from(
                        std::io::ErrorKind::ConnectionReset,
                    )));
                }
                this.0 = true;
                let head = b"# HELP aa x\naa 1\n";
                buf[..head.len()].copy_from_slice(head);
                std::task::Poll::Ready(Ok(head.len()))
            }
        }
        let got =
            futures::executor::block_on(read_family(futures::io::BufReader::new(Reset(false))));
        let err = got.unwrap_err();
        assert!(err.is_transport(), "{err:?}");
        assert!(!MetricsError::NotMetrics("x".into()).is_transport());
    }

    #[test]
    fn random_bytes_are_not_metrics_even_where_a_line_looks_like_one() {
        let mut state: u64 = 0x2545f4914f6cdd1d;
        let mut body: Vec<u8> = (0..256 * 1024)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        // A few lines that happen to look like exposition format.
        body.extend_from_slice(b"\n# HELP x y\nabc 1\n");
        let text = String::from_utf8_lossy(&body);
        assert!(matches!(
            feature_gate(&text, GATE),
            Err(MetricsError::NotMetrics(_))
        ));
    }

    #[test]
    fn real_kubelet_captures() {
        let cases = [
            ("real-kubelet-1.32.txt", series("BETA", true)),
            ("real-kubelet-1.32-gateoff.txt", series("BETA", false)),
            ("real-kubelet-1.34.txt", series("", true)),
            ("real-kubelet-1.37.txt", None),
        ];
        for (file, want) in cases {
            let text = fixture(file);
            assert!(text.len() < MAX_BODY / 16, "{file} is {} bytes", text.len());
            assert_eq!(feature_gate(&text, GATE), Ok(want.clone()), "{file}");
            for chunk in [1, 4096] {
                let (got, read) = stream(&text, chunk);
                assert_eq!(got, Ok(want.clone()), "{file} chunk {chunk}");
                assert!(read < text.len(), "{file}: read all {read} bytes");
            }
            let family = futures::executor::block_on(read_family(text.as_bytes())).unwrap();
            assert!(family.present(), "{file}");
        }
    }

    #[test]
    fn streaming_skips_overlong_lines_and_handles_no_newline() {
        let long = "x".repeat(MAX_LINE * 3);
        let text = format!(
            "# HELP a x\n{long}\nkubernetes_feature_enabled{{name=\"SidecarContainers\",stage=\"\"}} 1"
        );
        assert_eq!(stream(&text, 4096).0, Ok(series("", true)));
        let (got, _) = stream(&long, 4096);
        assert!(matches!(got, Err(MetricsError::NotMetrics(_))), "{got:?}");
    }
}
