//! Remediation per drift item: *revert* (the `terraform apply` that restores the configuration)
//! and *accept* (a patch to the `.tf` source that makes the configuration match the live value,
//! found with an HCL parser and printed as a unified diff; written only when asked).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::Body;
use serde::Serialize;
use serde_json::Value;

use crate::drift::item::{DriftItem, ItemKind, PathStep};
use crate::drift::plan::MASK;

/// What to do about one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Remediation {
    /// The command that restores the configured value (or recreates a deleted resource).
    pub revert: String,
    /// How to accept the live value instead: the file changed, or why it cannot be patched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accept: Option<String>,
}

impl Remediation {
    /// The revert command only (no configuration to patch, e.g. for a plan file).
    pub fn plain(item: &DriftItem, dir: &Path) -> Self {
        Remediation { revert: revert_command(item, Some(dir)), accept: None }
    }
}

/// `terraform -chdir=DIR apply -target='ADDRESS'`: `-target` limits the apply to the drifted
/// resource (and what it depends on), so nothing else the configuration would change is touched.
pub fn revert_command(item: &DriftItem, dir: Option<&Path>) -> String {
    let chdir = dir.map(|d| format!(" -chdir={}", shell_quote(&d.display().to_string()))).unwrap_or_default();
    format!("terraform{chdir} apply -target={}", shell_quote_always(&item.address))
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+:=@,".contains(c)) {
        s.to_string()
    } else {
        shell_quote_always(s)
    }
}

fn shell_quote_always(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The `.tf` files of a working directory with the patches that accept the live values.
#[derive(Debug, Default)]
pub struct AcceptPatches {
    /// File -> (original text, patched text).
    files: BTreeMap<PathBuf, (String, String)>,
}

impl AcceptPatches {
    /// Reads the `.tf` files of `dir` (not its modules).
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let mut files = BTreeMap::new();
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "tf"))
            .collect();
        entries.sort();
        for path in entries {
            let text = std::fs::read_to_string(&path)?;
            files.insert(path, (text.clone(), text));
        }
        Ok(AcceptPatches { files })
    }

    /// Patches the configuration to the item's live value; returns what was done, or why not.
    pub fn accept(&mut self, item: &DriftItem) -> String {
        match self.try_accept(item) {
            Ok(file) => format!("patch {} (see the diff; --write applies it)", file.display()),
            Err(why) => format!("not patchable: {why}"),
        }
    }

    fn try_accept(&mut self, item: &DriftItem) -> Result<PathBuf, String> {
        if item.kind == ItemKind::Deleted {
            return Err(
                "the resource was deleted; remove it from the configuration and state by hand if that is intended"
                    .into(),
            );
        }
        if item.after == Value::String(MASK.into()) {
            return Err("the live value is sensitive and is not written into the configuration".into());
        }
        if item.address.starts_with("module.") {
            return Err("the resource is in a module; patch the module's source by hand".into());
        }
        let (resource_type, name) = split_address(&item.address)?;
        for (path, (_, text)) in self.files.iter_mut() {
            let body = match hcl_edit::parser::parse_body(text.as_str()) {
                Ok(body) => body,
                Err(e) => return Err(format!("{} does not parse: {e}", path.display())),
            };
            let Some(block) = body
                .get_blocks("resource")
                .find(|b| b.labels.len() == 2 && b.labels[0].as_str() == resource_type && b.labels[1].as_str() == name)
            else {
                continue;
            };
            if block.body.has_attribute("count") || block.body.has_attribute("for_each") {
                return Err("the resource uses count or for_each; every instance shares the configuration".into());
            }
            let span = locate(&block.body, &item.path)?;
            let replacement = hcl_value(&item.after, 0).ok_or("the live value is too deeply nested to write")?;
            text.replace_range(span, &replacement);
            return Ok(path.clone());
        }
        Err(format!("no `resource \"{resource_type}\" \"{name}\"` block in the directory's .tf files"))
    }

    /// The unified diff of every patched file (paths relative to `base`).
    pub fn diff(&self, base: &Path) -> String {
        let mut out = String::new();
        for (path, (before, after)) in &self.files {
            if before == after {
                continue;
            }
            let shown = path.strip_prefix(base).unwrap_or(path).display().to_string();
            let diff = similar::TextDiff::from_lines(before, after);
            out.push_str(&diff.unified_diff().header(&format!("a/{shown}"), &format!("b/{shown}")).to_string());
        }
        out
    }

    /// Writes the patched files.
    pub fn write(&self) -> std::io::Result<usize> {
        let mut written = 0;
        for (path, (before, after)) in &self.files {
            if before != after {
                std::fs::write(path, after)?;
                written += 1;
            }
        }
        Ok(written)
    }
}

/// `aws_s3_bucket.logs` -> ("aws_s3_bucket", "logs"); instance keys are not supported here.
fn split_address(address: &str) -> Result<(&str, &str), String> {
    match address.split_once('.') {
        Some((ty, name)) if !name.contains(['.', '[']) => Ok((ty, name)),
        _ => Err(format!("cannot locate `{address}` in the configuration")),
    }
}

/// The byte range of the literal expression at `path` in a resource body.
fn locate(body: &Body, path: &[PathStep]) -> Result<std::ops::Range<usize>, String> {
    let shown = crate::drift::item::path_string(path);
    let Some((PathStep::Key(first), rest)) = path.split_first() else {
        return Err("no attribute path".into());
    };
    if let Some(attr) = body.get_attribute(first) {
        return locate_expr(&attr.value, rest, &shown);
    }
    if body.has_blocks(first) {
        let Some((PathStep::Index(i), rest)) = rest.split_first() else {
            return Err(format!("`{shown}` is a whole list of `{first}` blocks; edit them by hand"));
        };
        let block = usize::try_from(*i)
            .ok()
            .and_then(|i| body.get_blocks(first).nth(i))
            .ok_or_else(|| format!("the configuration has no `{first}` block number {i}"))?;
        return locate(&block.body, rest);
    }
    Err(format!("`{first}` is not set in the configuration (a computed or defaulted attribute)"))
}

fn locate_expr(expr: &Expression, path: &[PathStep], shown: &str) -> Result<std::ops::Range<usize>, String> {
    match (path.split_first(), expr) {
        (None, _) if is_literal(expr, 0) => expr.span().ok_or_else(|| "the parser gave no position".to_string()),
        (Some((PathStep::Key(key), rest)), Expression::Object(object)) => {
            let value = object
                .iter()
                .find(|(k, _)| match k {
                    ObjectKey::Ident(ident) => ident.as_str() == key.as_str(),
                    ObjectKey::Expression(Expression::String(s)) => s.as_str() == key.as_str(),
                    ObjectKey::Expression(_) => false,
                })
                .map(|(_, v)| v.expr())
                .ok_or_else(|| format!("`{shown}`: the key `{key}` is not in the configuration's map"))?;
            locate_expr(value, rest, shown)
        }
        (Some((PathStep::Index(i), rest)), Expression::Array(array)) => {
            let value = usize::try_from(*i)
                .ok()
                .and_then(|i| array.get(i))
                .ok_or_else(|| format!("`{shown}`: the configuration's list has no element {i}"))?;
            locate_expr(value, rest, shown)
        }
        _ => Err(format!("`{shown}` is computed by an expression in the configuration; change it by hand")),
    }
}

/// `true` for a value written out in full (no references, calls or templates): only such a value
/// is replaced, so no reference or function of the user's is lost.
fn is_literal(expr: &Expression, depth: usize) -> bool {
    if depth > 32 {
        return false;
    }
    match expr {
        Expression::Null(_) | Expression::Bool(_) | Expression::Number(_) | Expression::String(_) => true,
        Expression::Array(array) => array.iter().all(|e| is_literal(e, depth + 1)),
        Expression::Object(object) => object.iter().all(|(k, v)| {
            matches!(k, ObjectKey::Ident(_) | ObjectKey::Expression(Expression::String(_)))
                && is_literal(v.expr(), depth + 1)
        }),
        _ => false,
    }
}

/// A JSON value as an HCL literal; `None` past a nesting depth.
fn hcl_value(value: &Value, depth: usize) -> Option<String> {
    if depth > 32 {
        return None;
    }
    Some(match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => hcl_string(s),
        Value::Array(items) => {
            let parts: Option<Vec<String>> = items.iter().map(|v| hcl_value(v, depth + 1)).collect();
            format!("[{}]", parts?.join(", "))
        }
        Value::Object(map) => {
            if map.is_empty() {
                return Some("{}".into());
            }
            let parts: Option<Vec<String>> = map
                .iter()
                .map(|(k, v)| {
                    let key = if hcl_identifier(k) { k.clone() } else { hcl_string(k) };
                    hcl_value(v, depth + 1).map(|v| format!("{key} = {v}"))
                })
                .collect();
            format!("{{ {} }}", parts?.join(", "))
        }
    })
}

fn hcl_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// A quoted HCL string: escapes, and template sequences (`${`, `%{`) doubled so they stay literal.
fn hcl_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::item::Resource;
    use serde_json::json;

    const CONFIG: &str = r#"resource "oppie_firewall" "web" {
  network_id = oppie_network.main.id
  name       = "web" # the public tier

  ingress {
    protocol = "tcp"
    ports    = "22"
    sources  = ["10.0.0.0/8"]
  }

  tags = {
    team = "shop"
    "cost center" = "42"
  }
}
"#;

    fn item(path: Vec<PathStep>, after: Value) -> DriftItem {
        let r = Resource {
            address: "oppie_firewall.web".into(),
            module: String::new(),
            mode: "managed".into(),
            resource_type: "oppie_firewall".into(),
            name: "web".into(),
            provider: String::new(),
            deleted: false,
            before: json!({}),
            after: json!({}),
        };
        DriftItem::new(&r, ItemKind::Changed, path, json!(null), after)
    }

    fn k(s: &str) -> PathStep {
        PathStep::Key(s.into())
    }

    fn dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), CONFIG).unwrap();
        dir
    }

    #[test]
    fn accepting_a_tag_and_a_nested_block_attribute_patches_only_those_values() {
        let dir = dir();
        let mut patches = AcceptPatches::load(dir.path()).unwrap();
        let said = patches.accept(&item(vec![k("tags"), k("team")], json!("payments")));
        assert!(said.starts_with("patch "), "{said}");
        patches.accept(&item(vec![k("ingress"), PathStep::Index(0), k("sources")], json!(["0.0.0.0/0"])));
        patches.accept(&item(vec![k("tags"), k("cost center")], json!("${var.x}")));
        let diff = patches.diff(dir.path());
        assert!(diff.contains("--- a/main.tf\n+++ b/main.tf\n"), "{diff}");
        assert!(diff.contains("\n-    team = \"shop\"\n") && diff.contains("\n+    team = \"payments\"\n"), "{diff}");
        assert!(diff.contains("-    sources  = [\"10.0.0.0/8\"]\n+    sources  = [\"0.0.0.0/0\"]\n"), "{diff}");
        assert!(diff.contains("+    \"cost center\" = \"$${var.x}\"\n"), "{diff}");
        // Nothing is written until asked.
        assert_eq!(std::fs::read_to_string(dir.path().join("main.tf")).unwrap(), CONFIG);
        assert_eq!(patches.write().unwrap(), 1);
        let written = std::fs::read_to_string(dir.path().join("main.tf")).unwrap();
        assert!(written.contains("name       = \"web\" # the public tier"), "comments and alignment kept: {written}");
        hcl_edit::parser::parse_body(&written).unwrap();
    }

    #[test]
    fn what_cannot_be_patched_says_why() {
        let dir = dir();
        let mut patches = AcceptPatches::load(dir.path()).unwrap();
        assert!(patches.accept(&item(vec![k("network_id")], json!("vpc-1"))).contains("computed by an expression"));
        assert!(
            patches.accept(&item(vec![k("tags_all"), k("team")], json!("x"))).contains("not set in the configuration")
        );
        assert!(patches.accept(&item(vec![k("name")], json!(MASK))).contains("sensitive"));
        assert!(
            patches.accept(&item(vec![k("tags"), k("owner")], json!("x"))).contains("not in the configuration's map")
        );
        assert!(patches.diff(dir.path()).is_empty());
    }

    #[test]
    fn revert_targets_the_resource_with_quoting() {
        let mut i = item(vec![k("name")], json!("x"));
        i.address = "aws_instance.web[\"a b\"]".into();
        assert_eq!(
            revert_command(&i, Some(Path::new("envs/dev"))),
            "terraform -chdir=envs/dev apply -target='aws_instance.web[\"a b\"]'"
        );
        assert_eq!(revert_command(&i, None), "terraform apply -target='aws_instance.web[\"a b\"]'");
    }

    #[test]
    fn hcl_literals() {
        assert_eq!(
            hcl_value(&json!({"a": [1, true, null], "b c": "x\"y"}), 0).unwrap(),
            r#"{ a = [1, true, null], "b c" = "x\"y" }"#
        );
    }
}
