//! Resource documentation in the Terraform Registry layout (`docs/resources/<name>.md`),
//! rendered from the schemas' descriptions; a unit test keeps the committed files current.
//!
//! Regenerate with `OPPIE_UPDATE_DOCS=1 cargo test -p terraform-provider-oppie docs`.
//! Compiled for tests only: the provider binary does not carry it.

use std::fmt::Write as _;

use tfplug::schema::{Attribute, AttributeType, Block, Nesting, Presence};
use tfplug::{Type, Value};

/// A resource's example and the id its import takes.
pub struct Page {
    /// The resource type name, e.g. `oppie_network`.
    pub type_name: &'static str,
    /// A complete `resource` block.
    pub example: &'static str,
    /// An id for `terraform import`, or `None` when import is not offered.
    pub import_id: Option<&'static str>,
    /// What the import id is.
    pub import_hint: &'static str,
}

const CLOUD_ID: &str = "Import by the cloud's id (prefix `<region>/` for a region other than the provider's default)";

/// Every documented resource.
pub const PAGES: [Page; 6] = [
    Page {
        type_name: "oppie_environment",
        example: include_str!("examples/oppie_environment.tf"),
        import_id: Some("shop-dev"),
        import_hint: "Import by the environment's name",
    },
    Page {
        type_name: "oppie_network",
        example: include_str!("examples/oppie_network.tf"),
        import_id: Some("vpc-0123456789abcdef0"),
        import_hint: CLOUD_ID,
    },
    Page {
        type_name: "oppie_subnet",
        example: include_str!("examples/oppie_subnet.tf"),
        import_id: Some("subnet-0123456789abcdef0"),
        import_hint: CLOUD_ID,
    },
    Page {
        type_name: "oppie_firewall",
        example: include_str!("examples/oppie_firewall.tf"),
        import_id: Some("sg-0123456789abcdef0"),
        import_hint: CLOUD_ID,
    },
    Page {
        type_name: "oppie_instance",
        example: include_str!("examples/oppie_instance.tf"),
        import_id: Some("i-0123456789abcdef0"),
        import_hint: CLOUD_ID,
    },
    Page {
        type_name: "oppie_bucket",
        example: include_str!("examples/oppie_bucket.tf"),
        import_id: Some("shop-dev-media"),
        import_hint: CLOUD_ID,
    },
];

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

/// The Markdown page of a resource.
pub fn render(page: &Page, schema: &tfplug::Schema) -> String {
    let summary = schema.block.description.text.trim();
    let first_line = summary.split(". ").next().unwrap_or(summary).trim_end_matches('.');
    let mut out = String::new();
    let _ = write!(
        out,
        "---\npage_title: \"{} Resource - oppie\"\nsubcategory: \"\"\ndescription: |-\n  {first_line}.\n---\n\n# {} (Resource)\n\n{summary}\n\n## Example Usage\n\n```terraform\n{}```\n\n## Schema\n\n",
        page.type_name, page.type_name, page.example
    );
    render_block(&mut out, &schema.block, "nestedblock", "###");
    if let Some(id) = page.import_id {
        let _ = write!(
            out,
            "## Import\n\n{}:\n\n```shell\nterraform import {}.example {id}\n```\n\nor with an `import` block:\n\n```terraform\nimport {{\n  to = {}.example\n  id = \"{id}\"\n}}\n```\n",
            page.import_hint, page.type_name, page.type_name
        );
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::OppieProvider;
    use tfplug::Provider as _;

    fn docs_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/resources")
    }

    /// The committed docs match the schemas; `OPPIE_UPDATE_DOCS=1` rewrites them.
    #[test]
    fn docs_match_the_schemas() {
        let update = std::env::var_os("OPPIE_UPDATE_DOCS").is_some();
        let resources = OppieProvider.resources();
        assert_eq!(resources.len(), PAGES.len(), "every resource has a docs page");
        let mut stale = Vec::new();
        for page in &PAGES {
            let r = resources.iter().find(|r| r.type_name() == page.type_name).expect("resource");
            let text = render(page, &r.schema());
            let path = docs_dir().join(format!("{}.md", page.type_name.trim_start_matches("oppie_")));
            if update {
                std::fs::create_dir_all(docs_dir()).expect("docs dir");
                std::fs::write(&path, &text).expect("write docs");
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(path.display().to_string());
            }
        }
        assert!(
            stale.is_empty(),
            "stale docs {stale:?}: run OPPIE_UPDATE_DOCS=1 cargo test -p terraform-provider-oppie docs"
        );
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
        for r in OppieProvider.resources() {
            check(&r.schema().block, r.type_name(), &mut missing);
        }
        assert!(missing.is_empty(), "undocumented: {missing:?}");
    }
}
