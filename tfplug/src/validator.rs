//! Validators: checks on configured attribute values, run at `terraform validate` and plan.
//! They see only known, non-null values and report errors on the attribute's path.

use crate::cty::{AttributePath, Value};
use crate::diag::Diagnostics;
use crate::schema::{Attribute, AttributeType, Block, NestedBlock, Nesting};

/// A check on one attribute's configured value.
pub trait Validator: Send + Sync {
    /// What a valid value looks like, for docs and error details ("one of: dev, prod").
    fn description(&self) -> String;

    /// Adds diagnostics if `value` (known, not null) is invalid.
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics);
}

/// The value must be one of `allowed` (strings).
pub fn one_of<I, S>(allowed: I) -> OneOf
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    OneOf(allowed.into_iter().map(Into::into).collect())
}

/// See [`one_of`].
#[derive(Debug, Clone)]
pub struct OneOf(Vec<String>);

impl Validator for OneOf {
    fn description(&self) -> String {
        format!("one of: {}", self.quoted())
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str()
            && !self.0.iter().any(|a| a == s)
        {
            diags.add_attribute_error(
                path.clone(),
                format!("Invalid value for {}", last_name(path)),
                format!("{s:?} is not allowed here. Allowed values: {}.", self.quoted()),
            );
        }
    }
}

impl OneOf {
    fn quoted(&self) -> String {
        self.0.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(", ")
    }
}

/// A whole number within `min..=max`.
pub fn int_between(min: i64, max: i64) -> IntBetween {
    IntBetween { min, max }
}

/// See [`int_between`].
#[derive(Debug, Clone, Copy)]
pub struct IntBetween {
    min: i64,
    max: i64,
}

impl Validator for IntBetween {
    fn description(&self) -> String {
        format!("a whole number from {} to {}", self.min, self.max)
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(n) = value.as_number() else { return };
        let ok = n.as_i64().is_some_and(|i| (self.min..=self.max).contains(&i));
        if !ok {
            diags.add_attribute_error(
                path.clone(),
                format!("Invalid value for {}", last_name(path)),
                format!("{n} is out of range: use {}.", self.description()),
            );
        }
    }
}

/// A string or collection whose length is within `min..=max`.
pub fn length_between(min: usize, max: usize) -> LengthBetween {
    LengthBetween { min, max }
}

/// See [`length_between`].
#[derive(Debug, Clone, Copy)]
pub struct LengthBetween {
    min: usize,
    max: usize,
}

impl Validator for LengthBetween {
    fn description(&self) -> String {
        format!("length from {} to {}", self.min, self.max)
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let len = match value {
            Value::String(s) => s.chars().count(),
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => v.len(),
            Value::Map(m) => m.len(),
            _ => return,
        };
        if !(self.min..=self.max).contains(&len) {
            diags.add_attribute_error(
                path.clone(),
                format!("Invalid length for {}", last_name(path)),
                format!("Length is {len}; it must be from {} to {}.", self.min, self.max),
            );
        }
    }
}

/// A validator from a closure that returns the problem as text.
pub fn from_fn<F>(description: impl Into<String>, check: F) -> FromFn<F>
where
    F: Fn(&Value) -> Result<(), String> + Send + Sync,
{
    FromFn { description: description.into(), check }
}

/// See [`from_fn`].
pub struct FromFn<F> {
    description: String,
    check: F,
}

impl<F> Validator for FromFn<F>
where
    F: Fn(&Value) -> Result<(), String> + Send + Sync,
{
    fn description(&self) -> String {
        self.description.clone()
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Err(problem) = (self.check)(value) {
            diags.add_attribute_error(path.clone(), format!("Invalid value for {}", last_name(path)), problem);
        }
    }
}

/// Runs every validator of `block` on `config`, warns about deprecated arguments
/// that are set, and refuses write-only arguments a client cannot honour.
pub(crate) fn validate_config(block: &Block, config: &Value, write_only_allowed: bool) -> Diagnostics {
    let mut diags = Diagnostics::new();
    walk_block(&block.attributes, &block.blocks, config, &AttributePath::root(), write_only_allowed, &mut diags);
    diags
}

fn walk_block(
    attrs: &[Attribute],
    blocks: &[NestedBlock],
    config: &Value,
    path: &AttributePath,
    write_only_allowed: bool,
    diags: &mut Diagnostics,
) {
    let Some(map) = config.as_map() else { return };
    for a in attrs {
        let Some(v) = map.get(&a.name).filter(|v| !v.is_null()) else { continue };
        let apath = path.with_attr(a.name.clone());
        if let Some(msg) = &a.deprecation {
            diags.add_attribute_warning(apath.clone(), format!("Argument {} is deprecated", a.name), msg.clone());
        }
        if a.write_only && !write_only_allowed {
            diags.add_attribute_error(
                apath.clone(),
                format!("Write-only argument {} not supported", a.name),
                "This Terraform version cannot handle write-only arguments; use Terraform 1.11 or later, or leave it unset.",
            );
        }
        if v.is_wholly_known() {
            for validator in &a.validators {
                validator.validate(v, &apath, diags);
            }
        }
        if let AttributeType::Nested { nesting, attributes } = &a.ty {
            walk_elements(attributes, &[], *nesting, v, &apath, write_only_allowed, diags);
        }
    }
    for b in blocks {
        let Some(v) = map.get(&b.name) else { continue };
        let bpath = path.with_attr(b.name.clone());
        if let Some(msg) = &b.block.deprecation {
            let present = match v {
                Value::List(x) | Value::Set(x) => !x.is_empty(),
                Value::Map(m) => !m.is_empty(),
                other => !other.is_null(),
            };
            if present {
                diags.add_attribute_warning(bpath.clone(), format!("Block {} is deprecated", b.name), msg.clone());
            }
        }
        walk_elements(&b.block.attributes, &b.block.blocks, b.nesting, v, &bpath, write_only_allowed, diags);
    }
}

fn walk_elements(
    attrs: &[Attribute],
    blocks: &[NestedBlock],
    nesting: Nesting,
    v: &Value,
    path: &AttributePath,
    write_only_allowed: bool,
    diags: &mut Diagnostics,
) {
    match (nesting, v) {
        (Nesting::List, Value::List(items)) => {
            for (i, e) in items.iter().enumerate() {
                walk_block(attrs, blocks, e, &path.with_index(i as i64), write_only_allowed, diags);
            }
        }
        // Set elements have no address of their own; report at the set.
        (Nesting::Set, Value::Set(items)) => {
            for e in items {
                walk_block(attrs, blocks, e, path, write_only_allowed, diags);
            }
        }
        (Nesting::Map, Value::Map(items)) => {
            for (k, e) in items {
                walk_block(attrs, blocks, e, &path.with_key(k.clone()), write_only_allowed, diags);
            }
        }
        (Nesting::Single | Nesting::Group, e) => walk_block(attrs, blocks, e, path, write_only_allowed, diags),
        _ => {}
    }
}

/// The attribute name a path ends in, for error summaries.
fn last_name(path: &AttributePath) -> String {
    use crate::cty::PathStep;
    path.0
        .iter()
        .rev()
        .find_map(|s| match s {
            PathStep::Attribute(a) => Some(a.clone()),
            _ => None,
        })
        .unwrap_or_else(|| "value".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_of_names_the_allowed_values() {
        let mut d = Diagnostics::new();
        one_of(["dev", "staging", "prod"]).validate(&Value::from("qa"), &AttributePath::attr("tier"), &mut d);
        let diag = &d.0[0];
        assert_eq!(diag.summary, "Invalid value for tier");
        assert!(diag.detail.contains(r#""dev", "staging", "prod""#), "{}", diag.detail);
        assert_eq!(diag.path, Some(AttributePath::attr("tier")));
    }

    #[test]
    fn ranges_and_lengths() {
        let mut d = Diagnostics::new();
        int_between(1, 65535).validate(&Value::from(70000), &AttributePath::attr("port"), &mut d);
        length_between(1, 3).validate(&Value::from("abcd"), &AttributePath::attr("n"), &mut d);
        int_between(1, 10).validate(&Value::from(5), &AttributePath::attr("ok"), &mut d);
        assert_eq!(d.0.len(), 2);
    }
}
