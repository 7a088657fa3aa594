//! Which rules can apply to an input, from the resource types their METADATA declares.
//!
//! A rule whose `custom.resource_types` lists only type names or globs (`aws_s3_bucket`,
//! `oppie_*`) judges resources of those types alone, so when the input holds none of them the
//! rule cannot fire and is not evaluated (Checkov and tfsec select checks by type the same
//! way). A rule without the field, or with any entry that is not a type pattern (prose such
//! as "the aws provider configuration"), is always evaluated. So is every rule when the input
//! is not a plan or state whose resources can be listed.

use std::collections::BTreeSet;

use regorus::Value;

/// The resource types a rule is limited to, or `None` when it is not limited.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TypeFilter {
    patterns: Option<Vec<String>>,
}

impl TypeFilter {
    /// Reads `custom.resource_types` of a rule.
    pub(crate) fn from_custom(custom: &serde_json::Map<String, serde_json::Value>) -> Self {
        let patterns = custom.get("resource_types").and_then(|value| {
            let items = value.as_array()?;
            let patterns: Option<Vec<String>> =
                items.iter().map(|item| item.as_str().filter(|s| is_type_pattern(s)).map(str::to_string)).collect();
            patterns.filter(|p| !p.is_empty())
        });
        Self { patterns }
    }

    /// Whether the rule can apply to an input holding `types` (`None`: not known).
    pub(crate) fn applies(&self, types: Option<&BTreeSet<String>>) -> bool {
        match (&self.patterns, types) {
            (Some(patterns), Some(types)) => {
                patterns.iter().any(|pattern| types.iter().any(|t| glob_matches(pattern, t)))
            }
            _ => true,
        }
    }
}

/// A resource type name, possibly with `*` wildcards: lower-case letters, digits, `_`, `*`.
fn is_type_pattern(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '*')
}

/// `*` matches any run of characters; everything else matches itself.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return text.is_empty();
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty(); // no `*`: an exact name
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Every resource type an input mentions: resource changes and drift, the module trees of
/// planned values, prior state and state values, and the configuration (with its module
/// calls). `None` when the input has none of these sections, so nothing can be ruled out.
pub(crate) fn input_types(input: &Value) -> Option<BTreeSet<String>> {
    let Value::Object(document) = input else {
        return None;
    };
    let field = |v: &Value, name: &str| match v {
        Value::Object(fields) => fields.get(&Value::from(name)).cloned(),
        _ => None,
    };
    let mut types = BTreeSet::new();
    let mut seen_section = false;
    for list in ["resource_changes", "resource_drift"] {
        if let Some(Value::Array(items)) = document.get(&Value::from(list)) {
            seen_section = true;
            collect_types(items.iter(), &mut types);
        }
    }
    let trees = [
        field(input, "planned_values").and_then(|v| field(&v, "root_module")),
        field(input, "prior_state").and_then(|v| field(&v, "values")).and_then(|v| field(&v, "root_module")),
        field(input, "values").and_then(|v| field(&v, "root_module")),
    ];
    for tree in trees.iter().flatten() {
        seen_section = true;
        module_types(tree, "child_modules", &mut types, 0);
    }
    if let Some(root) = field(input, "configuration").and_then(|v| field(&v, "root_module")) {
        seen_section = true;
        module_types(&root, "module_calls", &mut types, 0);
    }
    seen_section.then_some(types)
}

/// Deeper module nesting than this is not followed (Terraform itself has no such depth).
const MAX_MODULE_DEPTH: usize = 64;

fn collect_types<'a>(resources: impl Iterator<Item = &'a Value>, types: &mut BTreeSet<String>) {
    let key = Value::from("type");
    for resource in resources {
        if let Value::Object(fields) = resource
            && let Some(Value::String(kind)) = fields.get(&key)
        {
            types.insert(kind.to_string());
        }
    }
}

/// Types of a module's `resources`, then of its children: `child_modules` (a list, in values)
/// or `module_calls` (a map of calls, each with a `module`, in the configuration).
fn module_types(module: &Value, children: &str, types: &mut BTreeSet<String>, depth: usize) {
    let Value::Object(fields) = module else {
        return;
    };
    if let Some(Value::Array(resources)) = fields.get(&Value::from("resources")) {
        collect_types(resources.iter(), types);
    }
    if depth >= MAX_MODULE_DEPTH {
        return;
    }
    match fields.get(&Value::from(children)) {
        Some(Value::Array(items)) => {
            for child in items.iter() {
                module_types(child, children, types, depth + 1);
            }
        }
        Some(Value::Object(calls)) => {
            for call in calls.values() {
                if let Value::Object(call) = call
                    && let Some(child) = call.get(&Value::from("module"))
                {
                    module_types(child, children, types, depth + 1);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn filter(types: serde_json::Value) -> TypeFilter {
        let mut custom = serde_json::Map::new();
        custom.insert("resource_types".into(), types);
        TypeFilter::from_custom(&custom)
    }

    fn types_of(json: &str) -> Option<BTreeSet<String>> {
        input_types(&Value::from_json_str(json).expect("test JSON"))
    }

    #[test]
    fn globs_match_like_shell_patterns() {
        assert!(glob_matches("oppie_*", "oppie_bucket"));
        assert!(glob_matches("aws_s3_bucket", "aws_s3_bucket"));
        assert!(!glob_matches("aws_s3_bucket", "aws_s3_bucket_policy"));
        assert!(glob_matches("aws_*_policy", "aws_s3_bucket_policy"));
        assert!(!glob_matches("aws_*_policy", "aws_s3_bucket"));
        assert!(glob_matches("*", "anything"));
        assert!(!glob_matches("google_*", "aws_instance"));
    }

    #[test]
    fn prose_or_missing_types_never_limit_a_rule() {
        let none: BTreeSet<String> = BTreeSet::new();
        assert!(TypeFilter::from_custom(&serde_json::Map::new()).applies(Some(&none)));
        assert!(filter(serde_json::json!(["oppie_*", "aws_* (region) and the aws provider"])).applies(Some(&none)));
        assert!(filter(serde_json::json!("oppie_bucket")).applies(Some(&none)));
        assert!(filter(serde_json::json!([])).applies(Some(&none)));
        assert!(!filter(serde_json::json!(["oppie_*"])).applies(Some(&none)));
        assert!(filter(serde_json::json!(["oppie_*"])).applies(None));
    }

    #[test]
    fn types_come_from_every_section_and_module_depth() {
        let plan = r#"{
          "resource_changes": [{"type": "oppie_firewall"}],
          "resource_drift": [{"type": "aws_vpc"}],
          "planned_values": {"root_module": {"resources": [{"type": "aws_instance"}],
            "child_modules": [{"resources": [], "child_modules": [{"resources": [{"type": "google_storage_bucket"}]}]}]}},
          "prior_state": {"values": {"root_module": {"resources": [{"type": "aws_s3_bucket"}]}}},
          "configuration": {"root_module": {"resources": [{"type": "aws_iam_role"}],
            "module_calls": {"net": {"module": {"resources": [{"type": "azurerm_subnet"}]}}}}}
        }"#;
        let types = types_of(plan).expect("a plan");
        let expected = [
            "oppie_firewall",
            "aws_vpc",
            "aws_instance",
            "google_storage_bucket",
            "aws_s3_bucket",
            "aws_iam_role",
            "azurerm_subnet",
        ];
        assert_eq!(types, expected.iter().map(|s| s.to_string()).collect());
        assert_eq!(types_of(r#"{"values": {"root_module": {}}}"#), Some(BTreeSet::new()));
        assert_eq!(types_of(r#"{"something": "else"}"#), None);
        assert_eq!(types_of("[1, 2]"), None);
    }

    #[test]
    fn a_rule_applies_when_one_of_its_types_is_present() {
        let types = types_of(r#"{"resource_changes": [{"type": "oppie_firewall"}]}"#);
        let network = filter(serde_json::json!(["oppie_firewall", "aws_security_group"]));
        let storage = filter(serde_json::json!(["oppie_bucket", "aws_s3_bucket"]));
        assert!(network.applies(types.as_ref()));
        assert!(!storage.applies(types.as_ref()));
    }

    proptest! {
        #[test]
        fn type_listing_never_panics(json in "[\\[\\]{}\":,a-z_0-9 ]{0,200}") {
            if let Ok(value) = Value::from_json_str(&json) {
                let _ = input_types(&value);
            }
        }

        #[test]
        fn a_pattern_without_wildcards_matches_only_itself(a in "[a-z_]{1,12}", b in "[a-z_]{1,12}") {
            prop_assert_eq!(glob_matches(&a, &b), a == b);
        }

        #[test]
        fn a_prefix_glob_matches_every_extension(a in "[a-z_]{1,12}", b in "[a-z_]{0,12}") {
            let pattern = format!("{a}*");
            let text = format!("{a}{b}");
            prop_assert!(glob_matches(&pattern, &text));
        }
    }
}
