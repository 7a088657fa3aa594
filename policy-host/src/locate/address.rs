//! Terraform resource addresses taken apart: the module calls they sit in, the mode, type and
//! name, with instance keys (`[0]`, `["key"]`) dropped (every instance shares one block).

/// A resource address without its instance keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Address {
    /// The module call names from the root (`module.a.module.b...` gives `["a", "b"]`).
    pub(crate) modules: Vec<String>,
    /// `true` for `data.` resources (`data "type" "name"` blocks).
    pub(crate) data: bool,
    /// The resource type (`aws_instance`).
    pub(crate) resource_type: String,
    /// The resource name (`web`).
    pub(crate) name: String,
}

/// Splits on dots outside `[...]` and quoted strings.
fn segments(address: &str) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let (mut start, mut depth, mut quoted, mut escaped) = (0usize, 0usize, false, false);
    for (i, c) in address.char_indices() {
        if quoted {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quoted = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            '[' => depth += 1,
            ']' => depth = depth.checked_sub(1)?,
            '.' if depth == 0 => {
                parts.push(&address[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if quoted || depth != 0 {
        return None;
    }
    parts.push(&address[start..]);
    Some(parts)
}

/// `name[...]` -> `name`; `None` when the name is empty or is not an identifier.
fn strip_key(segment: &str) -> Option<&str> {
    let name = segment.split_once('[').map_or(segment, |(name, _)| name);
    let valid = !name.is_empty()
        && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    valid.then_some(name)
}

impl Address {
    /// Parses `module.a["x"].module.b.aws_x.y[0]`, `data.aws_x.y`, `aws_x.y`; `None` for what
    /// is not a resource address.
    pub(crate) fn parse(address: &str) -> Option<Self> {
        let parts = segments(address)?;
        let mut rest = parts.as_slice();
        let mut modules = Vec::new();
        while let [first, call, tail @ ..] = rest {
            if *first != "module" {
                break;
            }
            modules.push(strip_key(call)?.to_string());
            rest = tail;
        }
        let (data, rest) = match rest {
            ["data", tail @ ..] => (true, tail),
            _ => (false, rest),
        };
        match rest {
            [resource_type, name] if !resource_type.contains('[') => Some(Self {
                modules,
                data,
                resource_type: strip_key(resource_type)?.to_string(),
                name: strip_key(name)?.to_string(),
            }),
            _ => None,
        }
    }

    /// `module.a.module.b` (empty for the root module).
    pub(crate) fn module_path(&self) -> String {
        self.modules.iter().map(|m| format!("module.{m}")).collect::<Vec<_>>().join(".")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_modules_modes_and_instance_keys() {
        let a = Address::parse(r#"module.a["x.y"].module.b.aws_x.y[0]"#).unwrap();
        assert_eq!(a.modules, ["a", "b"]);
        assert_eq!((a.resource_type.as_str(), a.name.as_str(), a.data), ("aws_x", "y", false));
        assert_eq!(a.module_path(), "module.a.module.b");
        let d = Address::parse(r#"data.aws_ami.ubuntu["k]"]"#).unwrap();
        assert!(d.data && d.modules.is_empty());
        assert_eq!(d.name, "ubuntu");
        assert_eq!(Address::parse("aws_s3_bucket.logs").unwrap().module_path(), "");
    }

    #[test]
    fn rejects_what_is_not_a_resource_address() {
        for bad in ["", "x", "module.a", "a.b.c", "aws_x.y[", "aws_x.\"y", "module..aws_x.y", "aws_x.1y", "a[0].b"] {
            assert_eq!(Address::parse(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,40}") {
            let _ = Address::parse(&text);
        }
    }
}
