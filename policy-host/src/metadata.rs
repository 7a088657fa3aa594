//! OPA `# METADATA` annotations: YAML comment blocks in Rego source, read here because the
//! Rego engine does not expose them. Blocks attach to the statement that follows them.

use serde_json::Value;

use crate::error::{Error, Location, Result};

/// Where an annotation applies (OPA's `scope` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// This one rule definition (the default before a rule).
    #[default]
    Rule,
    /// Every definition of the rule with this name in the package.
    Document,
    /// The package (the default before `package`).
    Package,
    /// The package and every package below it.
    Subpackages,
}

/// The parsed content of one METADATA block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Annotation {
    /// Explicit scope, if the block names one.
    pub scope: Option<Scope>,
    /// `title`.
    pub title: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `related_resources`, as URLs.
    pub related_resources: Vec<String>,
    /// `custom`: arbitrary fields; ours are `id`, `severity`, `enforcement` and `controls`.
    pub custom: serde_json::Map<String, Value>,
}

impl Annotation {
    /// Fills every field this annotation leaves unset from `general` (a wider scope).
    pub fn inherit(&mut self, general: &Annotation) {
        if self.title.is_none() {
            self.title.clone_from(&general.title);
        }
        if self.description.is_none() {
            self.description.clone_from(&general.description);
        }
        if self.related_resources.is_empty() {
            self.related_resources.clone_from(&general.related_resources);
        }
        for (key, value) in &general.custom {
            self.custom.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
}

/// A METADATA block and the line of the statement it annotates.
#[derive(Debug, Clone)]
pub struct Block {
    /// 1-based line of the first statement after the block.
    pub target_line: u32,
    /// Where the block starts (for error messages).
    pub location: Location,
    /// Its content.
    pub annotation: Annotation,
}

/// Finds and parses every METADATA block in a Rego file.
///
/// Following OPA: the block starts with `# METADATA` at column 1 and runs over the
/// following `#` lines; a blank line ends it early, and it annotates the next statement.
pub fn parse_blocks(file: &str, source: &str) -> Result<Vec<Block>> {
    let lines: Vec<&str> = source.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while let Some(line) = lines.get(i) {
        if line.trim_end() != "# METADATA" {
            i += 1;
            continue;
        }
        let start = i;
        let mut yaml = String::new();
        i += 1;
        while let Some(body) = lines.get(i).and_then(|l| l.strip_prefix('#')) {
            yaml.push_str(body);
            yaml.push('\n');
            i += 1;
        }
        // The annotated statement is the next line that is neither blank nor a comment.
        let mut target = i;
        while lines.get(target).is_some_and(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
            target += 1;
        }
        let location = Location::new(file, line_number(start), 1);
        let annotation = parse_yaml(&yaml).map_err(|message| Error::Policy {
            location: location.clone(),
            message: format!("invalid METADATA block: {message}"),
        })?;
        blocks.push(Block { target_line: line_number(target), location, annotation });
    }
    Ok(blocks)
}

fn line_number(index: usize) -> u32 {
    u32::try_from(index.saturating_add(1)).unwrap_or(u32::MAX)
}

fn parse_yaml(yaml: &str) -> std::result::Result<Annotation, String> {
    let value: Value = if yaml.trim().is_empty() {
        Value::Object(serde_json::Map::new())
    } else {
        yaml_serde::from_str(yaml).map_err(|e| e.to_string())?
    };
    from_json(&value)
}

/// Reads an annotation from its JSON form (as OPA writes them into bundle manifests).
pub fn from_json(value: &Value) -> std::result::Result<Annotation, String> {
    let Value::Object(fields) = value else {
        return Err("expected a mapping".into());
    };
    let mut fields = fields.clone();
    let string = |fields: &mut serde_json::Map<String, Value>, key: &str| match fields.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("`{key}` must be a string, found {other}")),
    };
    let scope = match string(&mut fields, "scope")?.as_deref() {
        None => None,
        Some("rule") => Some(Scope::Rule),
        Some("document") => Some(Scope::Document),
        Some("package") => Some(Scope::Package),
        Some("subpackages") => Some(Scope::Subpackages),
        Some(other) => {
            return Err(format!("unknown scope \"{other}\" (expected rule, document, package or subpackages)"));
        }
    };
    let title = string(&mut fields, "title")?;
    let description = string(&mut fields, "description")?;
    let related_resources = match fields.remove("related_resources") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|item| match item {
                Value::String(url) => Some(url),
                Value::Object(mut o) => match o.remove("ref") {
                    Some(Value::String(url)) => Some(url),
                    _ => None,
                },
                _ => None,
            })
            .collect(),
        Some(other) => return Err(format!("`related_resources` must be a list, found {other}")),
    };
    let custom = match fields.remove("custom") {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(map)) => map,
        Some(other) => return Err(format!("`custom` must be a mapping, found {other}")),
    };
    Ok(Annotation { scope, title, description, related_resources, custom })
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "\
# METADATA
# title: Networks
# scope: package
package net

# METADATA
# title: No public buckets
# description: Buckets must not be public.
# related_resources:
# - https://example.com/buckets
# - ref: https://example.com/other
# custom:
#   id: OPPIE-B1
#   severity: high
#   controls: [CIS-1]

# an ordinary comment between block and rule
deny contains msg if {
  msg := \"x\"
}
";

    #[test]
    fn blocks_attach_to_the_next_statement() {
        let blocks = parse_blocks("net.rego", POLICY).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].target_line, 4);
        assert_eq!(blocks[0].annotation.scope, Some(Scope::Package));
        assert_eq!(blocks[1].target_line, 18);
        let rule = &blocks[1].annotation;
        assert_eq!(rule.title.as_deref(), Some("No public buckets"));
        assert_eq!(rule.related_resources, ["https://example.com/buckets", "https://example.com/other"]);
        assert_eq!(rule.custom["id"], "OPPIE-B1");
        assert_eq!(rule.custom["controls"], serde_json::json!(["CIS-1"]));
    }

    #[test]
    fn invalid_yaml_is_an_error_with_location() {
        let source = "package p\n\n# METADATA\n# title: [unclosed\ndeny := true\n";
        let err = parse_blocks("p.rego", source).unwrap_err().to_string();
        assert!(err.starts_with("p.rego:3:1: invalid METADATA block"), "{err}");
        let source = "# METADATA\n# scope: everywhere\npackage p\n";
        let err = parse_blocks("p.rego", source).unwrap_err().to_string();
        assert!(err.contains("unknown scope"), "{err}");
    }

    proptest::proptest! {
        /// Arbitrary comment blocks after `# METADATA` never panic the parser.
        #[test]
        fn parser_never_panics(body in "(#[ -~]{0,30}\n){0,8}", tail in "[ -~\n]{0,40}") {
            let source = format!("package p\n# METADATA\n{body}{tail}");
            let _ = parse_blocks("fuzz.rego", &source);
        }
    }

    #[test]
    fn inherit_fills_only_missing_fields() {
        let mut rule = Annotation { title: Some("rule".into()), ..Annotation::default() };
        rule.custom.insert("severity".into(), "low".into());
        let mut package = Annotation {
            title: Some("package".into()),
            description: Some("from package".into()),
            ..Annotation::default()
        };
        package.custom.insert("severity".into(), "high".into());
        package.custom.insert("controls".into(), serde_json::json!(["C-1"]));
        rule.inherit(&package);
        assert_eq!(rule.title.as_deref(), Some("rule"));
        assert_eq!(rule.description.as_deref(), Some("from package"));
        assert_eq!(rule.custom["severity"], "low");
        assert_eq!(rule.custom["controls"], serde_json::json!(["C-1"]));
    }
}
