//! The drift model: a drifted resource with its state and live values, and one drift item per
//! changed attribute (or deleted resource) with its severity and why.

pub use oppie_policy::PathStep;
use oppie_policy::Severity;
use serde::Serialize;
use serde_json::Value;

/// A resource whose live values differ from its state.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Full address (`module.net.aws_security_group.web`).
    pub address: String,
    /// Module address, empty in the root module.
    pub module: String,
    /// `managed` (data sources are never drift).
    pub mode: String,
    /// Resource type (`oppie_firewall`).
    pub resource_type: String,
    /// Name in the configuration (`web`).
    pub name: String,
    /// Provider source address.
    pub provider: String,
    /// Deleted outside Terraform.
    pub deleted: bool,
    /// Values in state (unmasked: only ever handed to the policy engine, never printed).
    pub before: Value,
    /// Values read from the cloud (null when deleted).
    pub after: Value,
}

/// What kind of drift an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// An attribute's live value differs from state.
    Changed,
    /// The resource no longer exists.
    Deleted,
}

impl ItemKind {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Changed => "changed",
            Self::Deleted => "deleted",
        }
    }
}

/// The kind of attribute that drifted, which sets the severity when no rule is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Tags and labels: low.
    Tags,
    /// Network exposure, access policy, encryption, keys: high.
    Security,
    /// The resource is gone: high.
    Deleted,
    /// Anything else: medium.
    Other,
}

/// A policy rule the live value breaks (and the state value did not).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleHit {
    /// Rule id (`OPP-NET-001`).
    pub rule_id: String,
    /// Rule title.
    pub title: String,
    /// Rule severity.
    pub severity: Severity,
    /// Control references.
    pub controls: Vec<String>,
    /// The rule's message about the live resource.
    pub message: String,
}

/// One drifted attribute, or one deleted resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftItem {
    /// Working directory or plan file the item came from.
    pub source: String,
    /// Resource address.
    pub address: String,
    /// Resource type.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Provider source address.
    pub provider: String,
    /// Changed or deleted.
    pub kind: ItemKind,
    /// Attribute path (empty for a deleted resource).
    pub path: Vec<PathStep>,
    /// Value in state (masked when sensitive).
    pub before: Value,
    /// Live value (masked when sensitive).
    pub after: Value,
    /// How serious.
    pub severity: Severity,
    /// The attribute kind.
    pub category: Category,
    /// Rules the live value breaks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleHit>,
}

impl DriftItem {
    /// A new item of `resource`, categorised, with the severity of its category.
    pub fn new(resource: &Resource, kind: ItemKind, path: Vec<PathStep>, before: Value, after: Value) -> Self {
        let category = match kind {
            ItemKind::Deleted => Category::Deleted,
            ItemKind::Changed => super::severity::categorise(&path),
        };
        DriftItem {
            source: String::new(),
            address: resource.address.clone(),
            resource_type: resource.resource_type.clone(),
            provider: resource.provider.clone(),
            kind,
            path,
            before,
            after,
            severity: super::severity::by_category(category),
            category,
            rules: Vec::new(),
        }
    }

    /// The attribute path as Terraform writes it: `ingress[0].sources`, `tags["cost center"]`.
    pub fn path_string(&self) -> String {
        path_string(&self.path)
    }

    /// A stable identity across scans: source, address, path and kind.
    pub fn key(&self) -> String {
        format!("{} {} {}", self.address, self.path_string(), self.kind.as_str())
    }
}

/// Formats an attribute path as Terraform writes it.
pub fn path_string(path: &[PathStep]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            PathStep::Key(k) if is_identifier(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            PathStep::Key(k) => out.push_str(&format!("[{}]", Value::String(k.clone()))),
            PathStep::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A value for one line of text output: JSON, shortened past `max` characters.
pub fn short_value(value: &Value, max: usize) -> String {
    let text = match value {
        Value::Null => "(none)".to_string(),
        other => other.to_string(),
    };
    if text.chars().count() <= max {
        text
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_terraform() {
        let path = vec![PathStep::Key("ingress".into()), PathStep::Index(0), PathStep::Key("sources".into())];
        assert_eq!(path_string(&path), "ingress[0].sources");
        assert_eq!(
            path_string(&[PathStep::Key("tags".into()), PathStep::Key("cost center".into())]),
            "tags[\"cost center\"]"
        );
    }

    #[test]
    fn long_values_are_shortened() {
        assert_eq!(short_value(&Value::String("abcdefgh".into()), 5), "\"abc…");
        assert_eq!(short_value(&Value::Null, 10), "(none)");
    }
}
