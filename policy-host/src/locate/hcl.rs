//! Finding a resource block, and the attribute or nested block a finding's path names, in a
//! module directory's `.tf` files (parsed with hcl-edit), as byte offsets turned into line:column.

use std::path::{Path, PathBuf};

use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, Body};

use super::address::Address;
use crate::findings::PathStep;

/// A `.tf` file larger than this is not parsed (Terraform sources are kilobytes; this is a
/// bound on memory, not a format rule).
pub(crate) const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// How many `.tf` files of one directory are read at most.
const MAX_FILES: usize = 10_000;

/// One `.tf` file: its text, parsed body (or why it did not parse) and where its lines start.
pub(crate) struct SourceFile {
    /// Relative to the configuration directory.
    pub(crate) path: PathBuf,
    text: String,
    body: Result<Body, String>,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Parses `text`; a file that does not parse is kept with the parser's message.
    pub(crate) fn parse(path: PathBuf, text: String) -> Self {
        let body =
            hcl_edit::parser::parse_body(&text).map_err(|e| e.to_string().lines().next().unwrap_or("").to_string());
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Self { path, text, body, line_starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn line_column(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self.text.get(start..offset).map_or(1, |t| t.chars().count() + 1);
        (u32::try_from(line).unwrap_or(u32::MAX), u32::try_from(column).unwrap_or(u32::MAX))
    }
}

/// Reads and parses the `.tf` files of `dir` (override files last, as Terraform merges them).
pub(crate) fn load_dir(root: &Path, dir: &Path) -> Result<Vec<SourceFile>, String> {
    let full = root.join(dir);
    let entries = std::fs::read_dir(&full).map_err(|e| format!("cannot read {}: {e}", full.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".tf"))
        .take(MAX_FILES)
        .collect();
    let is_override = |n: &str| n == "override.tf" || n.ends_with("_override.tf");
    names.sort_by(|a, b| is_override(a).cmp(&is_override(b)).then_with(|| a.cmp(b)));
    let mut files = Vec::with_capacity(names.len());
    for name in names {
        let path = full.join(&name);
        let relative = dir.join(&name);
        let text = match std::fs::metadata(&path) {
            Ok(meta) if meta.len() > MAX_FILE_BYTES => Err(format!("larger than {MAX_FILE_BYTES} bytes")),
            Ok(_) => std::fs::read_to_string(&path).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match text {
            Ok(text) => files.push(SourceFile::parse(relative, text)),
            Err(why) => {
                files.push(SourceFile { path: relative, text: String::new(), body: Err(why), line_starts: vec![0] })
            }
        }
    }
    if files.is_empty() {
        return Err(format!("{} holds no .tf files", full.display()));
    }
    Ok(files)
}

/// Where a finding lands in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    /// Index into the files searched.
    pub(crate) file: usize,
    /// Byte offset.
    pub(crate) offset: usize,
    /// Why it is not as deep as the path asked (the attribute is not in the configuration).
    pub(crate) note: Option<String>,
}

/// Finds `address`'s block in `files`, then the deepest element of `path` inside it.
pub(crate) fn find(files: &[SourceFile], address: &Address, path: &[PathStep]) -> Result<Hit, String> {
    let keyword = if address.data { "data" } else { "resource" };
    let mut broken = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let body = match &file.body {
            Ok(body) => body,
            Err(why) => {
                broken.push(format!("{}: {why}", file.path.display()));
                continue;
            }
        };
        let block = body.get_blocks(keyword).find(|b| {
            b.labels.len() == 2 && b.labels[0].as_str() == address.resource_type && b.labels[1].as_str() == address.name
        });
        let Some(block) = block else {
            continue;
        };
        let start = block_start(block);
        let Some(start) = start else {
            continue;
        };
        let (deepest, note) = in_body(&block.body, path, 0);
        let note = note.map(|missing| {
            format!("{missing} is not set in the configuration (computed, defaulted or generated); shown at its enclosing block")
        });
        return Ok(Hit { file: index, offset: deepest.unwrap_or(start), note });
    }
    let what = format!("{keyword} \"{}\" \"{}\"", address.resource_type, address.name);
    let dir = files.first().and_then(|f| f.path.parent()).map(|p| p.display().to_string()).unwrap_or_default();
    let dir = if dir.is_empty() { ".".to_string() } else { dir };
    let mut why = format!("no `{what}` block in the .tf files of {dir}");
    if !broken.is_empty() {
        why.push_str(&format!(" (not parsed: {})", broken.join("; ")));
    }
    Err(why)
}

fn block_start(block: &Block) -> Option<usize> {
    block.span().map(|s| s.start)
}

/// How deep a path is followed (attribute paths in plans are short; a longer one is hostile).
const MAX_PATH: usize = 64;

/// The offset of the deepest element of `path` found in `body`, and the text of the first
/// step not found (`ingress[1]`), if any.
fn in_body(body: &Body, path: &[PathStep], depth: usize) -> (Option<usize>, Option<String>) {
    let Some((PathStep::Key(key), rest)) = path.split_first() else {
        return (None, None);
    };
    if depth >= MAX_PATH {
        return (None, None);
    }
    if let Some(attribute) = body.get_attribute(key) {
        let here = attribute.span().map(|s| s.start);
        let (deeper, _) = in_expr(&attribute.value, rest, depth + 1);
        // An expression the path goes past (a variable, a function call) is the attribute's doing.
        return (deeper.or(here), None);
    }
    let (index, rest) = match rest.split_first() {
        Some((PathStep::Index(i), rest)) => (usize::try_from(*i).ok(), rest),
        _ => (Some(0), rest),
    };
    let mut blocks = body.get_blocks(key);
    if let Some(first) = blocks.next() {
        let chosen = match index {
            Some(0) => Some(first),
            Some(i) => blocks.nth(i - 1),
            None => None,
        };
        return match chosen {
            Some(block) => {
                let here = block_start(block);
                let (deeper, missing) = in_body(&block.body, rest, depth + 1);
                (deeper.or(here), missing)
            }
            None => (block_start(first), Some(format!("`{key}` block number {}", index.unwrap_or(usize::MAX)))),
        };
    }
    // `dynamic "ingress" { ... }` makes the `ingress` blocks: every one of them points there.
    let dynamic = body.get_blocks("dynamic").find(|b| b.labels.len() == 1 && b.labels[0].as_str() == key.as_str());
    if let Some(block) = dynamic {
        return (block_start(block), None);
    }
    (None, Some(format!("`{key}`")))
}

fn in_expr(expr: &Expression, path: &[PathStep], depth: usize) -> (Option<usize>, Option<String>) {
    if depth >= MAX_PATH {
        return (None, None);
    }
    match (path.split_first(), expr) {
        (Some((PathStep::Key(key), rest)), Expression::Object(object)) => {
            let found = object.iter().find(|(k, _)| match k {
                ObjectKey::Ident(ident) => ident.as_str() == key.as_str(),
                ObjectKey::Expression(Expression::String(s)) => s.as_str() == key.as_str(),
                ObjectKey::Expression(_) => false,
            });
            match found {
                Some((k, v)) => {
                    let (deeper, missing) = in_expr(v.expr(), rest, depth + 1);
                    (deeper.or_else(|| k.span().map(|s| s.start)), missing)
                }
                None => (None, None),
            }
        }
        (Some((PathStep::Index(i), rest)), Expression::Array(array)) => {
            match usize::try_from(*i).ok().and_then(|i| array.get(i)) {
                Some(element) => {
                    let (deeper, missing) = in_expr(element, rest, depth + 1);
                    (deeper.or_else(|| element.span().map(|s| s.start)), missing)
                }
                None => (None, None),
            }
        }
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MAIN: &str = r#"# a comment
resource "aws_security_group" "web" {
  name = "web"

  ingress {
    from_port   = 22
    cidr_blocks = ["10.0.0.0/8", "0.0.0.0/0"]
  }
  ingress {
    from_port   = 443
    cidr_blocks = var.open
  }
  tags = {
    "env" = "dev"
    owner = "platform"
  }
}

data "aws_ami" "ubuntu" {
  most_recent = true
}

resource "aws_lb" "front" {
  dynamic "listener" {
    for_each = var.ports
    content {
      port = listener.value
    }
  }
}
"#;

    fn at(files: &[SourceFile], address: &str, path: &[PathStep]) -> (u32, u32, Option<String>) {
        let hit = find(files, &Address::parse(address).unwrap(), path).unwrap();
        let (line, column) = files[hit.file].line_column(hit.offset);
        (line, column, hit.note)
    }

    fn k(key: &str) -> PathStep {
        PathStep::Key(key.into())
    }

    fn files() -> Vec<SourceFile> {
        vec![SourceFile::parse("main.tf".into(), MAIN.to_string())]
    }

    #[test]
    fn resource_and_data_blocks() {
        let files = files();
        assert_eq!(at(&files, "aws_security_group.web", &[]), (2, 1, None));
        assert_eq!(at(&files, "aws_security_group.web[3]", &[]), (2, 1, None));
        assert_eq!(at(&files, "data.aws_ami.ubuntu", &[k("most_recent")]), (20, 3, None));
        let missing = find(&files, &Address::parse("aws_s3_bucket.logs").unwrap(), &[]).unwrap_err();
        assert!(missing.contains("no `resource \"aws_s3_bucket\" \"logs\"` block"), "{missing}");
    }

    #[test]
    fn nested_blocks_attributes_and_list_elements() {
        let files = files();
        let web = "aws_security_group.web";
        assert_eq!(at(&files, web, &[k("name")]), (3, 3, None));
        assert_eq!(at(&files, web, &[k("ingress"), PathStep::Index(1)]), (9, 3, None));
        assert_eq!(at(&files, web, &[k("ingress"), PathStep::Index(0), k("cidr_blocks")]), (7, 5, None));
        assert_eq!(
            at(&files, web, &[k("ingress"), PathStep::Index(0), k("cidr_blocks"), PathStep::Index(1)]),
            (7, 34, None)
        );
        // Past an expression the path cannot follow: the attribute.
        assert_eq!(
            at(&files, web, &[k("ingress"), PathStep::Index(1), k("cidr_blocks"), PathStep::Index(0)]),
            (11, 5, None)
        );
        assert_eq!(at(&files, web, &[k("tags"), k("env")]), (14, 5, None));
        assert_eq!(at(&files, web, &[k("tags"), k("owner")]), (15, 5, None));
        assert_eq!(at(&files, "aws_lb.front", &[k("listener"), PathStep::Index(2), k("port")]), (24, 3, None));
    }

    #[test]
    fn what_the_configuration_does_not_set_lands_on_the_enclosing_block_with_a_note() {
        let files = files();
        let (line, column, note) = at(&files, "aws_security_group.web", &[k("arn")]);
        assert_eq!((line, column), (2, 1));
        assert!(note.unwrap().starts_with("`arn` is not set in the configuration"));
        let (line, _, note) =
            at(&files, "aws_security_group.web", &[k("ingress"), PathStep::Index(0), k("ipv6_cidr_blocks")]);
        assert_eq!(line, 5);
        assert!(note.unwrap().contains("ipv6_cidr_blocks"));
        let (line, _, note) = at(&files, "aws_security_group.web", &[k("ingress"), PathStep::Index(5)]);
        assert_eq!(line, 5);
        assert!(note.unwrap().contains("`ingress` block number 5"));
    }

    #[test]
    fn a_file_that_does_not_parse_is_named_in_the_reason() {
        let files = vec![
            SourceFile::parse("bad.tf".into(), "resource \"x\" {".into()),
            SourceFile::parse("ok.tf".into(), "resource \"a\" \"b\" {}\n".into()),
        ];
        assert_eq!(at(&files, "a.b", &[]), (1, 1, None));
        let why = find(&files, &Address::parse("c.d").unwrap(), &[]).unwrap_err();
        assert!(why.contains("not parsed: bad.tf"), "{why}");
    }

    #[test]
    fn columns_count_characters() {
        let file = SourceFile::parse("u.tf".into(), "# é\nresource \"a\" \"b\" { x = \"ü\"; }".into());
        assert_eq!(file.line_column(0), (1, 1));
        assert_eq!(file.line_column(4), (1, 4), "after the two-byte é");
        assert_eq!(file.line_column(5), (2, 1));
        assert_eq!(file.line_column(usize::MAX), (2, 30));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("resource \"a\" \"b\" {{ x = {}1{} }}", "[".repeat(100_000), "]".repeat(100_000));
        let files = vec![SourceFile::parse("deep.tf".into(), deep)];
        let _ = find(&files, &Address::parse("a.b").unwrap(), &[k("x"), PathStep::Index(0)]);
        let blocks = format!("{}{}", "a {\n".repeat(50_000), "}\n".repeat(50_000));
        let files = vec![SourceFile::parse("blocks.tf".into(), blocks)];
        let _ = find(&files, &Address::parse("a.b").unwrap(), &[]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn any_text_and_path_never_panics(
            text in prop_oneof![
                "\\PC{0,200}",
                prop::collection::vec(prop::sample::select(vec![
                    "resource", "data", "\"a\"", "\"b\"", "{", "}", "[", "]", "=", "x", "0", ",", "\n", "dynamic",
                    "\"x\"", "content", "<<EOT\n", "EOT\n", "${", "#", "/*", "*/", "é", ":", "for", "in",
                ]), 0..60).prop_map(|parts| parts.join(" ")),
            ],
            path in prop::collection::vec(prop_oneof![
                prop::sample::select(vec!["x", "content", "a", "b"]).prop_map(|k| PathStep::Key(k.into())),
                (0u64..3).prop_map(PathStep::Index),
                Just(PathStep::Index(u64::MAX)),
            ], 0..6),
            offset in any::<usize>(),
        ) {
            let file = SourceFile::parse("fuzz.tf".into(), text);
            let _ = file.line_column(offset);
            let files = vec![file];
            for address in ["a.b", "data.a.b", "x.x"] {
                if let Ok(hit) = find(&files, &Address::parse(address).unwrap(), &path) {
                    let (line, column) = files[hit.file].line_column(hit.offset);
                    prop_assert!(line >= 1 && column >= 1);
                }
            }
        }
    }
}
