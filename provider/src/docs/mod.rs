//! Documentation in the Terraform Registry layout, rendered from the schemas' descriptions
//! and the examples that live beside each piece: `docs/index.md` (the provider block, from
//! `docs/provider.tf`), `docs/resources/<kind>.md` (from `kinds/<kind>/example.tf`, whose
//! `# import:` lines give the import example), `docs/list-resources/<kind>.md` (from
//! `kinds/<kind>/list.tfquery.hcl`), `docs/actions/<name>.md` (from `actions/<name>.tf`),
//! `docs/ephemeral-resources/<name>.md` (from `ephemeral/<name>.tf`),
//! `docs/data-sources/<name>.md` and `docs/functions/<name>.md`. A unit test keeps the
//! committed files current.
//!
//! Regenerate with `OPPIE_UPDATE_DOCS=1 cargo test --workspace --bins docs`.
//! Compiled for tests only: the provider binary does not carry it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use tfplug::schema::{Attribute, AttributeType, Block, Nesting, Presence};
use tfplug::{Function, Type, Value};

/// An example file: the Terraform text, and what its `# import:` and `# import-hint:`
/// header lines say.
pub struct Example {
    /// The configuration without the header lines.
    pub text: String,
    /// An id for `terraform import`.
    pub import_id: Option<String>,
    /// What the import id is.
    pub import_hint: Option<String>,
}

const CLOUD_ID: &str = "Import by the cloud's id (prefix `<region>/` for a region other than the provider's default)";

/// The provider crate's `src` directory.
pub fn src() -> PathBuf {
    manifest_dir().join("src")
}

/// Reads an example file; a missing one is an empty example (the test then names it).
pub fn example(path: &Path) -> Example {
    let raw = std::fs::read_to_string(path).unwrap_or_default();
    let mut ex = Example { text: String::new(), import_id: None, import_hint: None };
    for line in raw.lines() {
        if let Some(id) = line.strip_prefix("# import: ") {
            ex.import_id = Some(id.trim().to_string());
        } else if let Some(h) = line.strip_prefix("# import-hint: ") {
            ex.import_hint = Some(h.trim().to_string());
        } else {
            ex.text.push_str(line);
            ex.text.push('\n');
        }
    }
    ex
}

/// Where a resource type's example lives: its kind's folder.
pub fn resource_example(type_name: &str) -> PathBuf {
    src().join("kinds").join(type_name.trim_start_matches("oppie_")).join("example.tf")
}

fn type_name(t: &Type) -> String {
    match t {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::List(e) => format!("List of {}", type_name(e)),
        Type::Set(e) => format!("Set of {}", type_name(e)),
        Type::Map(e) => format!("Map of {}", type_name(e)),
        Type::Object(_) => "Object".into(),
        _ => "Dynamic".into(),
    }
}

fn literal(v: &Value) -> String {
    match v {
        Value::String(s) => format!("`\"{s}\"`"),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("`{n}`"),
        other => format!("`{}`", serde_json::to_string(other).unwrap_or_default()),
    }
}

fn describe_attribute(a: &Attribute, anchor: &str) -> String {
    let mut line = format!(
        "- `{}` ({}",
        a.name,
        match &a.ty {
            AttributeType::Plain(t) => type_name(t),
            AttributeType::Nested { .. } => "Attributes".into(),
        }
    );
    if a.sensitive {
        line.push_str(", Sensitive");
    }
    line.push_str(") ");
    line.push_str(a.description.text.trim());
    if let Some(d) = &a.default {
        let _ = write!(line, " Defaults to {}.", literal(d));
    }
    if let Some(dep) = &a.deprecation {
        let _ = write!(line, " **Deprecated:** {dep}");
    }
    if let AttributeType::Nested { .. } = a.ty {
        let _ = write!(line, " (see [below for nested schema](#{anchor}--{}))", a.name);
    }
    line.trim_end().to_string()
}

/// Renders one block's attributes in Required / Optional / Read-Only groups, then its
/// nested blocks, Registry style.
fn render_block(out: &mut String, block: &Block, anchor: &str, level: &str) {
    type Pick = fn(&Attribute) -> bool;
    let groups: [(&str, Pick); 3] = [
        ("Required", |a| a.presence == Presence::Required),
        ("Optional", |a| matches!(a.presence, Presence::Optional | Presence::OptionalComputed)),
        ("Read-Only", |a| a.presence == Presence::Computed),
    ];
    let mut nested = Vec::new();
    for (title, pick) in groups {
        let mut lines: Vec<(String, String)> = block
            .attributes
            .iter()
            .filter(|a| pick(a))
            .map(|a| (a.name.clone(), describe_attribute(a, anchor)))
            .collect();
        if title == "Optional" {
            for b in &block.blocks {
                let kind = match b.nesting {
                    Nesting::Single | Nesting::Group => "Block, Optional".to_string(),
                    Nesting::List => "Block List".to_string(),
                    Nesting::Set => "Block Set".to_string(),
                    Nesting::Map => "Block Map".to_string(),
                };
                let line = format!(
                    "- `{}` ({kind}) {} (see [below for nested schema](#{anchor}--{}))",
                    b.name,
                    b.block.description.text.trim(),
                    b.name
                );
                lines.push((b.name.clone(), line));
                nested.push(b);
            }
        }
        lines.sort();
        if !lines.is_empty() {
            let _ = writeln!(out, "{level} {title}\n");
            for (_, l) in lines {
                let _ = writeln!(out, "{l}");
            }
            out.push('\n');
        }
    }
    for b in nested {
        let child = format!("{anchor}--{}", b.name);
        let _ = writeln!(out, "<a id=\"{child}\"></a>\n{level} Nested Schema for `{}`\n", b.name);
        render_block(out, &b.block, &child, level);
    }
}

fn front_matter(out: &mut String, title: &str, summary: &str) {
    let first_line = summary.split(". ").next().unwrap_or(summary).trim_end_matches('.');
    let _ = write!(out, "---\npage_title: \"{title}\"\nsubcategory: \"\"\ndescription: |-\n  {first_line}.\n---\n\n");
}

fn finish(mut out: String) -> String {
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The Markdown page of a resource, data source, list resource, action or ephemeral
/// resource (`kind`: "Resource", "Data Source", "List Resource", "Action", "Ephemeral Resource").
pub fn render(type_name: &str, kind: &str, ex: &Example, schema: &tfplug::Schema) -> String {
    render_with_identity(type_name, kind, ex, schema, None)
}

/// [`render`], plus how to import by identity when the resource has one.
pub fn render_with_identity(
    type_name: &str,
    kind: &str,
    ex: &Example,
    schema: &tfplug::Schema,
    identity: Option<&tfplug::IdentitySchema>,
) -> String {
    let summary = schema.block.description.text.trim();
    let mut out = String::new();
    front_matter(&mut out, &format!("{type_name} {kind} - oppie"), summary);
    let _ = write!(
        out,
        "# {type_name} ({kind})\n\n{summary}\n\n## Example Usage\n\n```terraform\n{}```\n\n## Schema\n\n",
        ex.text
    );
    render_block(&mut out, &schema.block, "nestedblock", "###");
    if let Some(id) = &ex.import_id {
        let hint = ex.import_hint.as_deref().unwrap_or(CLOUD_ID);
        let _ = write!(
            out,
            "## Import\n\n{hint}:\n\n```shell\nterraform import {type_name}.example {id}\n```\n\nor with an `import` block:\n\n```terraform\nimport {{\n  to = {type_name}.example\n  id = \"{id}\"\n}}\n```\n"
        );
        if let Some(identity) = identity {
            render_identity(&mut out, type_name, id, identity);
        }
    }
    finish(out)
}

/// The identity part of an Import section: its attributes and an `import` block by identity
/// (what `terraform query -generate-config-out` writes).
fn render_identity(out: &mut String, ty: &str, id: &str, identity: &tfplug::IdentitySchema) {
    let _ = write!(
        out,
        "\n### Import by identity\n\nAn `import` block can name the object by its identity instead (Terraform 1.12 and later):\n\n"
    );
    for a in &identity.attributes {
        let need = if a.required_for_import { "Required" } else { "Optional" };
        let _ = writeln!(out, "- `{}` ({}, {need}) {}", a.name, type_name(&a.ty), a.description.trim());
    }
    let values: Vec<String> = identity
        .attributes
        .iter()
        .map(|a| match a.name.as_str() {
            "id" => format!("id = \"{id}\""),
            "cloud" => "cloud = \"aws\"".to_string(),
            "region" => "region = \"us-east\"".to_string(),
            other => format!("{other} = \"...\""),
        })
        .collect();
    let _ = write!(
        out,
        "\n```terraform\nimport {{\n  to       = {ty}.example\n  identity = {{ {} }}\n}}\n```\n",
        values.join(", ")
    );
}

/// The provider's page (`docs/index.md`).
pub fn render_provider(ex: &Example, schema: &tfplug::Schema) -> String {
    let summary = schema.block.description.text.trim();
    let mut out = String::new();
    front_matter(&mut out, "Provider: oppie", summary);
    let _ = write!(
        out,
        "# oppie Provider\n\n{summary}\n\n## Example Usage\n\n```terraform\n{}```\n\n## Schema\n\n",
        ex.text
    );
    render_block(&mut out, &schema.block, "nestedblock", "###");
    finish(out)
}

/// A function's page.
pub fn render_function(f: &dyn Function, ex: &Example) -> String {
    let sig = f.signature();
    let name = f.name();
    let mut out = String::new();
    front_matter(&mut out, &format!("{name} function - oppie"), &sig.summary);
    let params: Vec<String> =
        sig.parameters.iter().map(|p| format!("{} {}", p.name, type_name(&p.ty).to_lowercase())).collect();
    let _ = write!(
        out,
        "# function: {name}\n\n{}\n\n## Example Usage\n\n```terraform\n{}```\n\n## Signature\n\n```text\n{name}({}) {}\n```\n\n## Arguments\n\n",
        sig.description.text.trim(),
        ex.text,
        params.join(", "),
        type_name(&sig.returns).to_lowercase()
    );
    for (i, p) in sig.parameters.iter().enumerate() {
        let _ = writeln!(out, "{}. `{}` ({}) {}", i + 1, p.name, type_name(&p.ty), p.description.text.trim());
    }
    finish(out)
}

/// The package's directory: cargo's `CARGO_MANIFEST_DIR` when it runs this binary, else the one it
/// was built from. Not the build-time value alone: a target directory shared by several clones
/// (CI's, outside the clone) reuses a build from another clone, which may be gone by now.
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::OppieProvider;
    use tfplug::Provider as _;

    fn docs_dir() -> PathBuf {
        manifest_dir().join("../docs")
    }

    /// Every page the provider's pieces give: (path under docs/, rendered text, example file).
    fn pages() -> Vec<(PathBuf, String, PathBuf)> {
        let p = OppieProvider;
        let mut out = Vec::new();
        let provider_example = src().join("docs/provider.tf");
        out.push((
            PathBuf::from("index.md"),
            render_provider(&example(&provider_example), &p.schema()),
            provider_example,
        ));
        for r in p.resources() {
            let path = resource_example(r.type_name());
            let identity = r.identity_schema();
            let page = render_with_identity(r.type_name(), "Resource", &example(&path), &r.schema(), identity.as_ref());
            out.push((
                PathBuf::from(format!("resources/{}.md", r.type_name().trim_start_matches("oppie_"))),
                page,
                path,
            ));
        }
        for l in p.list_resources() {
            let short = l.type_name().trim_start_matches("oppie_").to_string();
            let path = src().join("kinds").join(&short).join("list.tfquery.hcl");
            let page = render(l.type_name(), "List Resource", &example(&path), &l.schema());
            out.push((PathBuf::from(format!("list-resources/{short}.md")), page, path));
        }
        for a in p.actions() {
            let short = a.type_name().trim_start_matches("oppie_").to_string();
            let path = src().join("actions").join(format!("{short}.tf"));
            let page = render(a.type_name(), "Action", &example(&path), &a.schema());
            out.push((PathBuf::from(format!("actions/{short}.md")), page, path));
        }
        for e in p.ephemeral_resources() {
            let short = e.type_name().trim_start_matches("oppie_").to_string();
            let path = src().join("ephemeral").join(format!("{short}.tf"));
            let page = render(e.type_name(), "Ephemeral Resource", &example(&path), &e.schema());
            out.push((PathBuf::from(format!("ephemeral-resources/{short}.md")), page, path));
        }
        for d in p.data_sources() {
            let short = d.type_name().trim_start_matches("oppie_").to_string();
            let path = src().join("data_sources").join(format!("{short}.tf"));
            let page = render(d.type_name(), "Data Source", &example(&path), &d.schema());
            out.push((PathBuf::from(format!("data-sources/{short}.md")), page, path));
        }
        for f in p.functions() {
            let path = src().join("functions").join(format!("{}.tf", f.name()));
            let page = render_function(f.as_ref(), &example(&path));
            out.push((PathBuf::from(format!("functions/{}.md", f.name())), page, path));
        }
        out
    }

    /// The committed docs match the schemas; `OPPIE_UPDATE_DOCS=1` rewrites them.
    #[test]
    fn docs_match_the_schemas() {
        let update = std::env::var_os("OPPIE_UPDATE_DOCS").is_some();
        let mut stale = Vec::new();
        for (rel, text, example_path) in pages() {
            assert!(example_path.is_file(), "{} has no example: write {}", rel.display(), example_path.display());
            let path = docs_dir().join(&rel);
            if update {
                std::fs::create_dir_all(path.parent().expect("docs subdir")).expect("docs dir");
                std::fs::write(&path, &text).expect("write docs");
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(path.display().to_string());
            }
        }
        assert!(stale.is_empty(), "stale docs {stale:?}: run OPPIE_UPDATE_DOCS=1 cargo test --workspace --bins docs");
    }

    #[test]
    fn every_attribute_is_described() {
        fn check(block: &Block, at: &str, missing: &mut Vec<String>) {
            for a in &block.attributes {
                if a.description.text.trim().is_empty() {
                    missing.push(format!("{at}.{}", a.name));
                }
            }
            for b in &block.blocks {
                if b.block.description.text.trim().is_empty() {
                    missing.push(format!("{at}.{}", b.name));
                }
                check(&b.block, &format!("{at}.{}", b.name), missing);
            }
        }
        let mut missing = Vec::new();
        let p = OppieProvider;
        check(&p.schema().block, "provider", &mut missing);
        for r in p.resources() {
            check(&r.schema().block, r.type_name(), &mut missing);
        }
        for d in p.data_sources() {
            check(&d.schema().block, d.type_name(), &mut missing);
        }
        for l in p.list_resources() {
            check(&l.schema().block, l.type_name(), &mut missing);
        }
        for a in p.actions() {
            check(&a.schema().block, a.type_name(), &mut missing);
        }
        for e in p.ephemeral_resources() {
            check(&e.schema().block, e.type_name(), &mut missing);
        }
        assert!(missing.is_empty(), "undocumented: {missing:?}");
    }
}
