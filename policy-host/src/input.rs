//! Loading the documents policies are evaluated against: `terraform show -json` plans and states.
//! Decodes UTF-8/UTF-16 (with or without BOM), parses once, and reports bad input as `file:line:col`.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Location, Result};

/// What kind of Terraform JSON document an [`Input`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentKind {
    /// `terraform show -json PLANFILE` (format_version 0.1 to 1.x).
    Plan,
    /// `terraform show -json` of a state.
    State,
    /// Any JSON value, accepted only where the caller asked for no validation (`eval`).
    Other,
}

/// A decoded input document, parsed once and shared by every engine.
///
/// Cloning is cheap: the text and the parsed value are reference counted.
#[derive(Clone)]
pub struct Input {
    name: String,
    kind: DocumentKind,
    format_version: Option<String>,
    text: Arc<String>,
    value: regorus::Value,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("format_version", &self.format_version)
            .field("bytes", &self.text.len())
            .finish()
    }
}

/// The largest plan, state, data or policy file read (256 MiB; a 10,000-resource plan is 20 MiB).
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// Reads all of `reader` (`name` labels errors), refusing more than [`MAX_FILE_BYTES`]: a
/// device such as `/dev/zero`, or a runaway pipe, gets an error naming the cap.
pub fn read_capped(name: &str, mut reader: impl std::io::Read) -> Result<Vec<u8>> {
    let error = |message: String| Error::Input { location: Location::file(name), message };
    // Read in chunks and join them at the end: a growing vector would double past the cap (and
    // copy) before the cap is noticed.
    const CHUNK: usize = 1 << 20;
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut total = 0u64;
    loop {
        let mut chunk = vec![0u8; CHUNK];
        let mut filled = 0;
        while filled < CHUNK {
            match reader.read(&mut chunk[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(error(format!("cannot read: {e}"))),
            }
        }
        chunk.truncate(filled);
        total += filled as u64;
        if total > MAX_FILE_BYTES {
            return Err(error(format!("larger than the {} MiB input cap", MAX_FILE_BYTES >> 20)));
        }
        chunks.push(chunk);
        if filled < CHUNK {
            break;
        }
    }
    Ok(if chunks.len() == 1 { chunks.pop().unwrap_or_default() } else { chunks.concat() })
}

/// [`read_capped`] on the file at `path`.
pub fn read_file_capped(path: &Path) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    read_capped(&path.display().to_string(), file)
}

impl Input {
    /// Reads and validates a plan or state JSON file.
    pub fn from_path(path: &Path) -> Result<Self> {
        let bytes = read_file_capped(path)?;
        Self::from_bytes(&path.display().to_string(), &bytes)
    }

    /// Decodes and validates a plan or state document from raw bytes; `name` labels errors.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<Self> {
        let text = decode_text(name, bytes)?;
        Self::from_json_str(name, &text)
    }

    /// Parses and validates a plan or state document from JSON text.
    pub fn from_json_str(name: &str, text: &str) -> Result<Self> {
        Self::from_shared_text(name, Arc::new(text.to_string()))
    }

    /// [`Input::from_json_str`] for text the caller shares (no copy of a plan that may be large).
    pub fn from_shared_text(name: &str, text: Arc<String>) -> Result<Self> {
        let value = parse_json(name, &text)?;
        let (kind, format_version) = classify(name, &text, &value)?;
        Ok(Self { name: name.to_string(), kind, format_version: Some(format_version), text, value })
    }

    /// Builds a plan or state input from an in-memory JSON value (used by the provider at plan time).
    pub fn from_json_value(name: &str, value: &serde_json::Value) -> Result<Self> {
        let text = serde_json::to_string(value).map_err(|e| Error::Input {
            location: Location::file(name),
            message: format!("cannot serialise input: {e}"),
        })?;
        Self::from_json_str(name, &text)
    }

    /// Decodes any JSON document without checking that it is a plan (for `eval -i`).
    pub fn any_json(name: &str, bytes: &[u8]) -> Result<Self> {
        let text = decode_text(name, bytes)?;
        let value = parse_json(name, &text)?;
        Ok(Self {
            name: name.to_string(),
            kind: DocumentKind::Other,
            format_version: None,
            text: Arc::new(text.into_owned()),
            value,
        })
    }

    /// The label used in messages (usually the file path).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Plan, state or other.
    pub fn kind(&self) -> DocumentKind {
        self.kind
    }

    /// The document's `format_version`, if it is a plan or state.
    pub fn format_version(&self) -> Option<&str> {
        self.format_version.as_deref()
    }

    /// The document as UTF-8 JSON text (what WASM policies receive).
    pub fn json_text(&self) -> &str {
        &self.text
    }

    /// The parsed document (what Rego policies receive as `input`).
    pub(crate) fn value(&self) -> &regorus::Value {
        &self.value
    }

    /// The parsed document as a `serde_json::Value`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or(serde_json::Value::Null)
    }
}

/// Decodes bytes to text: UTF-8 (BOM stripped) or UTF-16 LE/BE (by BOM, or by the zero-byte
/// pattern JSON's first character leaves, as RFC 4627 describes).
pub fn decode_text<'a>(name: &str, bytes: &'a [u8]) -> Result<Cow<'a, str>> {
    let utf16 = |data: &[u8], little: bool| -> Result<Cow<'a, str>> {
        if !data.len().is_multiple_of(2) {
            return Err(Error::Input {
                location: Location::file(name),
                message: format!("UTF-16 text has an odd number of bytes ({}): the file is truncated", data.len()),
            });
        }
        let units = data.chunks_exact(2).map(|pair| match pair {
            [a, b] if little => u16::from_le_bytes([*a, *b]),
            [a, b] => u16::from_be_bytes([*a, *b]),
            _ => 0,
        });
        let mut out = String::with_capacity(data.len() / 2);
        let (mut line, mut column) = (1u32, 1u32);
        for ch in char::decode_utf16(units) {
            match ch {
                Ok(c) => {
                    advance(&mut line, &mut column, c);
                    out.push(c);
                }
                Err(e) => {
                    return Err(Error::Input {
                        location: Location::new(name, line, column),
                        message: format!("invalid UTF-16: unpaired surrogate 0x{:04X}", e.unpaired_surrogate()),
                    });
                }
            }
        }
        Ok(Cow::Owned(out))
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => utf8(name, rest),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        [a, 0, ..] if *a != 0 => utf16(bytes, true),
        [0, b, ..] if *b != 0 => utf16(bytes, false),
        _ => utf8(name, bytes),
    }
}

fn advance(line: &mut u32, column: &mut u32, c: char) {
    if c == '\n' {
        *line = line.saturating_add(1);
        *column = 1;
    } else {
        *column = column.saturating_add(1);
    }
}

fn utf8<'a>(name: &str, bytes: &'a [u8]) -> Result<Cow<'a, str>> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(e) => {
            let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
            let (line, column) = line_col_of(&String::from_utf8_lossy(valid), usize::MAX);
            let message = if bytes.starts_with(b"PK") {
                "this is a binary plan file, not JSON: run `terraform show -json PLANFILE > plan.json` first"
                    .to_string()
            } else {
                "invalid UTF-8: expected JSON text (UTF-8 or UTF-16)".to_string()
            };
            Err(Error::Input { location: Location::new(name, line, column), message })
        }
    }
}

/// 1-based line and column of byte `offset` in `text` (clamped to its end).
pub(crate) fn line_col_of(text: &str, offset: usize) -> (u32, u32) {
    let (mut line, mut column) = (1u32, 1u32);
    for (i, c) in text.char_indices() {
        if i >= offset {
            break;
        }
        advance(&mut line, &mut column, c);
    }
    (line, column)
}

/// Parses JSON into the engine's value type, mapping syntax errors to `file:line:col`.
pub(crate) fn parse_json(name: &str, text: &str) -> Result<regorus::Value> {
    regorus::Value::from_json_str(text).map_err(|e| match e.downcast_ref::<serde_json::Error>() {
        Some(json) => json_error(name, text, json),
        None => Error::Input { location: Location::file(name), message: format!("invalid JSON: {e}") },
    })
}

/// Turns a serde_json error on `text` into an input error that says where and what was expected.
pub(crate) fn json_error(name: &str, text: &str, e: &serde_json::Error) -> Error {
    if text.trim().is_empty() {
        let message = "the file is empty: expected a JSON document".to_string();
        return Error::Input { location: Location::new(name, 1, 1), message };
    }
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let detail = full.strip_suffix(&suffix).unwrap_or(&full);
    let message = match e.classify() {
        serde_json::error::Category::Eof => {
            format!("the JSON ends early (truncated file?): {detail}")
        }
        _ => format!("invalid JSON: {detail}"),
    };
    let line = u32::try_from(e.line()).unwrap_or(u32::MAX);
    // At the end of a line serde_json says column 0; editors count from 1.
    let column = u32::try_from(e.column()).unwrap_or(u32::MAX).max(1);
    Error::Input { location: Location::new(name, line, column), message }
}

const EXPECTED: &str = "expected Terraform plan or state JSON (the output of `terraform show -json`)";

/// Decides whether a parsed document is a plan or a state and checks its top-level shape.
fn classify(name: &str, text: &str, value: &regorus::Value) -> Result<(DocumentKind, String)> {
    let at_key = |key: &str| {
        let (line, column) = top_level_key_position(text, key).unwrap_or((1, 1));
        Location::new(name, line, column)
    };
    let start = || {
        let offset = text.len() - text.trim_start().len();
        let (line, column) = line_col_of(text, offset);
        Location::new(name, line, column)
    };
    let Ok(object) = value.as_object() else {
        return Err(Error::Input { location: start(), message: format!("{EXPECTED}, found {}", type_name(value)) });
    };
    let field = |key: &str| object.get(&regorus::Value::from(key));
    let Some(version) = field("format_version") else {
        let hint = if field("resources").is_some() && field("version").is_some() {
            ": this is a raw state file; run `terraform show -json` to convert it"
        } else {
            ": the top-level `format_version` field is missing"
        };
        return Err(Error::Input { location: start(), message: format!("{EXPECTED}{hint}") });
    };
    let Ok(version) = version.as_string() else {
        return Err(Error::Input {
            location: at_key("format_version"),
            message: format!("`format_version` must be a string like \"1.2\", found {}", type_name(version)),
        });
    };
    let major = version.split('.').next().unwrap_or_default();
    if major != "0" && major != "1" {
        return Err(Error::Input {
            location: at_key("format_version"),
            message: format!(
                "unsupported format_version \"{version}\": this tool reads plan and state JSON 0.1 to 1.x"
            ),
        });
    }
    let expect_type = |key: &str, want: &str| -> Result<bool> {
        match field(key) {
            None | Some(regorus::Value::Null) => Ok(false),
            Some(v) if type_name(v) == want => Ok(true),
            Some(v) => Err(Error::Input {
                location: at_key(key),
                message: format!("`{key}` must be {want}, found {}", type_name(v)),
            }),
        }
    };
    let mut plan = expect_type("resource_changes", "an array")?;
    plan |= expect_type("planned_values", "an object")?;
    plan |= expect_type("output_changes", "an object")?;
    plan |= expect_type("resource_drift", "an array")?;
    plan |= expect_type("prior_state", "an object")?;
    let state = expect_type("values", "an object")?;
    expect_type("configuration", "an object")?;
    let kind = if plan {
        DocumentKind::Plan
    } else if state || field("configuration").is_none() {
        // `terraform show -json` of an empty state prints only the version fields.
        DocumentKind::State
    } else {
        // A plan with nothing planned still has `configuration`.
        DocumentKind::Plan
    };
    Ok((kind, version.to_string()))
}

fn type_name(value: &regorus::Value) -> &'static str {
    match value {
        regorus::Value::Null => "null",
        regorus::Value::Bool(_) => "a boolean",
        regorus::Value::Number(_) => "a number",
        regorus::Value::String(_) => "a string",
        regorus::Value::Array(_) => "an array",
        regorus::Value::Set(_) => "a set",
        regorus::Value::Object(_) => "an object",
        regorus::Value::Undefined => "nothing",
    }
}

/// The line on which each resource address appears in the document, preferring its entry in
/// `resource_changes` (reports point there). Addresses are found as `"address": "..."` pairs.
pub fn resource_lines(input: &Input) -> std::collections::HashMap<String, u32> {
    resource_lines_in(input.json_text())
}

/// [`resource_lines`] of a document's text (so it can be worked out while the text is parsed).
pub fn resource_lines_in(text: &str) -> std::collections::HashMap<String, u32> {
    let changes_at = top_level_key_position(text, "resource_changes").map(|(line, _)| line).unwrap_or(0);
    let mut lines = std::collections::HashMap::new();
    let bytes = text.as_bytes();
    let (mut line, mut scanned) = (1u32, 0usize);
    let needle = "\"address\"";
    let mut from = 0;
    while let Some(found) = find(text, needle, from) {
        line += count_newlines(bytes.get(scanned..found).unwrap_or_default());
        scanned = found;
        from = found + needle.len();
        let rest = text.get(from..).unwrap_or_default();
        let Some(after_colon) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let value = after_colon.trim_start();
        if !value.starts_with('"') {
            continue;
        }
        let mut stream = serde_json::Deserializer::from_str(value).into_iter::<String>();
        if let Some(Ok(address)) = stream.next() {
            let entry = lines.entry(address).or_insert(line);
            if *entry < changes_at && line >= changes_at {
                *entry = line;
            }
        }
    }
    lines
}

/// Position of `needle` in `text` at or after `from` (a char boundary: the end of an earlier match).
fn find(text: &str, needle: &str, from: usize) -> Option<usize> {
    text.get(from..)?.find(needle).map(|p| p + from)
}

fn count_newlines(bytes: &[u8]) -> u32 {
    u32::try_from(bytes.iter().filter(|b| **b == b'\n').count()).unwrap_or(u32::MAX)
}

/// Finds the line and column of `"key"` as a key of the top-level JSON object.
fn top_level_key_position(text: &str, key: &str) -> Option<(u32, u32)> {
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    let mut expecting_key = false;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'{' => {
                depth += 1;
                expecting_key = depth == 1;
            }
            b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => expecting_key = true,
            b'"' => {
                let start = i;
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    match c {
                        b'\\' => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
                if depth == 1 && expecting_key {
                    if bytes.get(start + 1..i) == Some(key.as_bytes()) {
                        return Some(line_col_of(text, start));
                    }
                    expecting_key = false;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn err(name: &str, bytes: &[u8]) -> String {
        match Input::from_bytes(name, bytes) {
            Ok(input) => panic!("expected an error, got {input:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn plan_and_state_are_recognised() {
        let plan =
            Input::from_bytes("p.json", br#"{"format_version":"1.2","resource_changes":[],"planned_values":{}}"#)
                .unwrap();
        assert_eq!(plan.kind(), DocumentKind::Plan);
        assert_eq!(plan.format_version(), Some("1.2"));
        let state = Input::from_bytes("s.json", br#"{"format_version":"1.0","values":{"root_module":{}}}"#).unwrap();
        assert_eq!(state.kind(), DocumentKind::State);
        let empty = Input::from_bytes("e.json", br#"{"format_version":"1.0"}"#).unwrap();
        assert_eq!(empty.kind(), DocumentKind::State);
        let old = Input::from_bytes("o.json", br#"{"format_version":"0.1","planned_values":{}}"#).unwrap();
        assert_eq!(old.kind(), DocumentKind::Plan);
    }

    #[test]
    fn truncated_json_reports_line_column_and_expectation() {
        let message = err("plan.json", b"{\n  \"format_version\": \"1.2\",\n  \"resource_changes\": [");
        assert!(message.starts_with("plan.json:3:"), "{message}");
        assert!(message.contains("truncated"), "{message}");
    }

    #[test]
    fn syntax_error_says_what_was_expected() {
        let message = err("plan.json", b"{\"format_version\": \"1.2\" \"x\": 1}");
        assert!(message.starts_with("plan.json:1:26"), "{message}");
        assert!(message.contains("expected `,` or `}`"), "{message}");
    }

    #[test]
    fn non_plan_json_is_rejected_with_expectation() {
        let message = err("x.json", b"  [1, 2]");
        assert_eq!(message, format!("x.json:1:3: {EXPECTED}, found an array"),);
        let message = err("x.json", b"{\"name\": \"thing\"}");
        assert!(message.contains("`format_version` field is missing"), "{message}");
        let message = err("x.json", b"{\"version\": 4, \"resources\": []}");
        assert!(message.contains("raw state file"), "{message}");
        let message = err("x.json", b"{\"format_version\": \"2.0\"}");
        assert!(message.contains("unsupported format_version"), "{message}");
    }

    #[test]
    fn wrong_field_type_points_at_the_key() {
        let message = err("x.json", b"{\n  \"format_version\": \"1.1\",\n  \"resource_changes\": {}\n}");
        assert_eq!(message, "x.json:3:3: `resource_changes` must be an array, found an object");
    }

    #[test]
    fn utf16_with_and_without_bom_decodes() {
        let json = r#"{"format_version":"1.0","resource_changes":[]}"#;
        let le: Vec<u8> = json.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = json.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for bytes in [
            [vec![0xFF, 0xFE], le.clone()].concat(),
            [vec![0xFE, 0xFF], be.clone()].concat(),
            le,
            be,
            [vec![0xEF, 0xBB, 0xBF], json.as_bytes().to_vec()].concat(),
        ] {
            let input = Input::from_bytes("u.json", &bytes).unwrap();
            assert_eq!(input.json_text(), json);
        }
    }

    #[test]
    fn resource_lines_prefer_resource_changes() {
        let text = "{\n\"format_version\": \"1.2\",\n\"planned_values\": {\"root_module\": {\"resources\": [\n{\"address\": \"a.b\"}]}},\n\"resource_changes\": [\n{\"address\": \"a.b\"},\n{\"address\" : \"c\\\"d\"}\n]}";
        let input = Input::from_json_str("p.json", text).unwrap();
        let lines = resource_lines(&input);
        assert_eq!(lines["a.b"], 6);
        assert_eq!(lines["c\"d"], 7);
    }

    #[test]
    fn binary_plan_file_gets_a_hint() {
        let message = err("plan.tfplan", b"PK\x03\x04\xff\xfe\x00");
        assert!(message.contains("terraform show -json"), "{message}");
    }

    #[test]
    fn odd_utf16_is_truncated() {
        let message = err("u.json", &[0xFF, 0xFE, b'{', 0, b'"']);
        assert!(message.contains("odd number of bytes"), "{message}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Input::from_bytes("fuzz.json", &bytes);
            let _ = Input::any_json("fuzz.json", &bytes);
        }

        #[test]
        fn decoder_never_panics_on_json_like_text(text in r#"[\{\}\[\]",:0-9a-z_ \n\\]{0,200}"#) {
            let _ = Input::from_bytes("fuzz.json", text.as_bytes());
            let wrapped = format!("{{\"format_version\":\"1.0\",{text}");
            let _ = Input::from_bytes("fuzz.json", wrapped.as_bytes());
        }
    }
}
