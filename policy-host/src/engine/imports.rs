//! Import aliases written out as the data paths they stand for, before a policy is compiled.
//!
//! regorus resolves `lib.subjects` after `import data.oppie.lib` by evaluating the entire
//! imported package and then selecting the field, so every rule of a helper library runs
//! whenever a policy touches one of them. `data.oppie.lib.subjects` costs exactly the rule it
//! names. An import is only an alias, so writing `lib.x` out as `data.oppie.lib.x` keeps the
//! meaning; lines and comments stay where they were (METADATA and rule lines are unchanged), only
//! columns after a rewritten reference move.

use super::text::chains_with_offsets;

/// `text` with every `alias.name` of a `data` import written out as `data.path.name`, or `None`
/// when there is nothing to rewrite. An alias is left alone wherever the file uses it other than
/// as `alias.name` (as a variable, a rule name, `alias[...]`), so a name that could mean
/// something else is never touched.
pub(crate) fn write_out_aliases(text: &str) -> Option<String> {
    let imports = data_imports(text);
    if imports.is_empty() {
        return None;
    }
    let chains = chains_with_offsets(text);
    // The package declaration names a path, never an alias: `package a.b` with `import data.a`
    // stays as it is.
    let packages = package_lines(text);
    let on_import_line =
        |at: usize| imports.iter().any(|i| i.line.contains(&at)) || packages.iter().any(|l| l.contains(&at));
    let mut replacements: Vec<(usize, usize, &str)> = Vec::new();
    for import in &imports {
        let mut uses = Vec::new();
        let mut only_fields = true;
        for chain in &chains {
            let Some(&(at, first)) = chain.first() else {
                continue;
            };
            if first != import.alias || on_import_line(at) {
                continue;
            }
            let after_dot = at > 0 && text.as_bytes()[at - 1] == b'.';
            if after_dot {
                continue; // a field of some value that happens to share the alias's name
            }
            if chain.len() < 2 {
                only_fields = false;
                break;
            }
            uses.push(at);
        }
        if only_fields {
            replacements.extend(uses.into_iter().map(|at| (at, at + import.alias.len(), import.path)));
        }
    }
    if replacements.is_empty() {
        return None;
    }
    replacements.sort_unstable();
    let mut out = String::with_capacity(text.len() + replacements.len() * 16);
    let mut done = 0;
    for (start, end, path) in replacements {
        out.push_str(&text[done..start]);
        out.push_str(path);
        done = end;
    }
    out.push_str(&text[done..]);
    Some(out)
}

/// The byte ranges of the lines that declare the package (`package a.b`).
fn package_lines(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if line.split_whitespace().next() == Some("package") {
            out.push(start..offset);
        }
    }
    out
}

/// One `import data.a.b [as c]` statement.
struct Import<'a> {
    /// The byte range of its line.
    line: std::ops::Range<usize>,
    /// `data.a.b` as written.
    path: &'a str,
    /// `c`, or `b` without `as`.
    alias: &'a str,
}

/// The `data` imports of a file: lines `import data.x.y` or `import data.x.y as z` (a trailing
/// comment allowed). Paths with brackets are left out.
fn data_imports(text: &str) -> Vec<Import<'_>> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let code = line.split('#').next().unwrap_or("");
        let mut words = code.split_whitespace();
        if words.next() != Some("import") {
            continue;
        }
        let Some(path) = words.next() else {
            continue;
        };
        let alias = match (words.next(), words.next(), words.next()) {
            (None, _, _) => path.rsplit('.').next(),
            (Some("as"), Some(alias), None) => Some(alias),
            _ => None,
        };
        let identifier = |s: &str| {
            s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        let mut components = path.split('.');
        let static_data = components.next() == Some("data") && path.contains('.') && components.all(identifier);
        match alias {
            Some(alias) if static_data && identifier(alias) && alias != "data" && alias != "input" => {
                out.push(Import { line: start..offset, path, alias });
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_through_an_alias_become_data_paths() {
        let text = "package p\n\nimport data.oppie.lib\nimport data.a.b as c # note\n\n\
                    deny contains m if {\n\tsome rc in lib.resources(\"x\") # lib.y\n\tm := c.msg(rc.lib.z)\n}\n";
        let expected = "package p\n\nimport data.oppie.lib\nimport data.a.b as c # note\n\n\
                        deny contains m if {\n\tsome rc in data.oppie.lib.resources(\"x\") # lib.y\n\tm := data.a.b.msg(rc.lib.z)\n}\n";
        assert_eq!(write_out_aliases(text).as_deref(), Some(expected));
    }

    #[test]
    fn the_package_line_is_not_an_alias_use() {
        // `import data.a` inside `package a.b`: the package keeps its name.
        let text = "package a.b\nimport data.a\nx := a.c.f(1)\n";
        assert_eq!(write_out_aliases(text).as_deref(), Some("package a.b\nimport data.a\nx := data.a.c.f(1)\n"));
    }

    #[test]
    fn an_alias_used_otherwise_is_left_alone() {
        // `lib` as a variable: none of its references change; `c` still does.
        let text = "package p\nimport data.oppie.lib\nimport data.a.c\nx := lib.y\nz := lib\nw := c.v\n";
        assert_eq!(
            write_out_aliases(text).as_deref(),
            Some("package p\nimport data.oppie.lib\nimport data.a.c\nx := lib.y\nz := lib\nw := data.a.c.v\n")
        );
        assert_eq!(write_out_aliases("package p\nimport data.oppie.lib\nx := lib[\"y\"]\n"), None);
        assert_eq!(write_out_aliases("package p\nimport future.keywords.in\nimport input.x as y\ny := y.z\n"), None);
        assert_eq!(write_out_aliases("package p\nimport data.x[\"y\"] as z\nw := z.v\n"), None);
        assert_eq!(write_out_aliases("package p\nx := 1\n"), None);
    }
}
