//! Severity of drift: the policy library evaluated on the live values (a rule the live
//! infrastructure now breaks sets the severity), else the kind of attribute that drifted.

use std::collections::BTreeMap;

use oppie_policy::{FindingKind, Input, PolicySet, Severity};
use serde_json::{Value, json};

use super::item::{Category, DriftItem, PathStep, Resource, RuleHit};

/// Attribute names (whole path steps) that hold tags or labels.
const TAG_KEYS: [&str; 5] = ["tags", "tags_all", "labels", "default_tags", "user_labels"];

/// Fragments of attribute names about exposure, access or encryption.
const SECURITY_FRAGMENTS: [&str; 22] = [
    "ingress",
    "egress",
    "cidr",
    "sources",
    "security",
    "firewall",
    "policy",
    "acl",
    "public",
    "encrypt",
    "kms",
    "sse",
    "tls",
    "ssl",
    "certificate",
    "password",
    "secret",
    "iam",
    "role",
    "permission",
    "grant",
    "principal",
];

/// The kind of attribute at `path`.
pub fn categorise(path: &[PathStep]) -> Category {
    let names = || {
        path.iter().filter_map(|s| match s {
            PathStep::Key(k) => Some(k.to_ascii_lowercase()),
            PathStep::Index(_) => None,
        })
    };
    match path.first() {
        Some(PathStep::Key(first)) if TAG_KEYS.contains(&first.as_str()) => return Category::Tags,
        _ => {}
    }
    // Only the attribute names of the resource schema, not the keys of a map value (a tag
    // named "public" is still a tag, handled above).
    if names().any(|n| SECURITY_FRAGMENTS.iter().any(|f| n.contains(f))) { Category::Security } else { Category::Other }
}

/// The severity of drift of a category when no rule is broken.
pub fn by_category(category: Category) -> Severity {
    match category {
        Category::Tags => Severity::Low,
        Category::Security | Category::Deleted => Severity::High,
        Category::Other => Severity::Medium,
    }
}

/// Evaluates `policies` on the live and the state values of the drifted resources, and gives each
/// item the rules its resource breaks live but did not break in state.
///
/// The live document is the plan's `prior_state` (the refreshed state) when present, so rules that
/// look at several resources see them all; the state document is the same with the drifted
/// resources' state values put back. Without `prior_state` both hold the drifted resources only.
pub fn apply_policy(
    policies: &PolicySet,
    prior_state: Option<&Value>,
    resources: &[Resource],
    items: &mut [DriftItem],
) -> anyhow::Result<()> {
    if resources.is_empty() {
        return Ok(());
    }
    let live = state_document(prior_state, resources, |r| (!r.deleted).then(|| r.after.clone()));
    let was = state_document(prior_state, resources, |r| Some(r.before.clone()));
    let live = policies.evaluate(&Input::from_json_value("live values", &live)?);
    let was = policies.evaluate(&Input::from_json_value("state values", &was)?);
    // A rule that could not be evaluated (error, time or memory budget) rates nothing: say so,
    // since the items it would have rated keep their attribute-kind severity.
    for finding in live.iter().chain(&was).filter(|f| f.kind == FindingKind::Error) {
        tracing::warn!("policy rule {} could not be evaluated: {}", finding.rule_id, finding.message);
    }
    let drifted: std::collections::HashSet<&str> = resources.iter().map(|r| r.address.as_str()).collect();
    let mut by_address: std::collections::HashMap<String, Vec<usize>> = std::collections::HashMap::new();
    for (i, item) in items.iter().enumerate() {
        by_address.entry(item.address.clone()).or_default().push(i);
    }
    for finding in &live {
        if finding.kind != FindingKind::Violation || finding.excepted_by.is_some() {
            continue;
        }
        let Some(address) = finding.resource.as_deref() else { continue };
        if !drifted.contains(address) {
            continue;
        }
        let same = |f: &&oppie_policy::Finding| {
            f.kind == FindingKind::Violation
                && f.rule_id == finding.rule_id
                && f.resource == finding.resource
                && f.path == finding.path
        };
        if was.iter().any(|f| same(&f)) {
            // Broken before the drift too: not this drift's doing.
            continue;
        }
        let hit = RuleHit {
            rule_id: finding.rule_id.clone(),
            title: finding.title.clone(),
            severity: finding.severity,
            controls: finding.controls.clone(),
            message: finding.message.clone(),
        };
        let of_resource: Vec<usize> = by_address.get(address).cloned().unwrap_or_default();
        // The items on the rule's path; all of the resource's items when the rule names no path
        // or none of them lies on it.
        let on_path: Vec<usize> = match &finding.path {
            Some(path) => of_resource.iter().copied().filter(|&i| related(&items[i].path, path)).collect(),
            None => Vec::new(),
        };
        for i in if on_path.is_empty() { of_resource } else { on_path } {
            let item = &mut items[i];
            if !item.rules.iter().any(|r| r.rule_id == hit.rule_id) {
                item.rules.push(hit.clone());
            }
        }
    }
    for item in items.iter_mut() {
        if let Some(top) = item.rules.iter().map(|r| r.severity).max() {
            item.severity = top;
        }
    }
    Ok(())
}

/// `true` when one path is a prefix of the other.
fn related(a: &[PathStep], b: &[PathStep]) -> bool {
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// A state document (`values.root_module`) of `prior_state`'s resources with the drifted ones'
/// values given by `values` (`None`: left out).
fn state_document(
    prior_state: Option<&Value>,
    drifted: &[Resource],
    values: impl Fn(&Resource) -> Option<Value>,
) -> Value {
    let mut by_address: BTreeMap<String, Value> = BTreeMap::new();
    if let Some(state) = prior_state {
        collect_resources(&state["values"]["root_module"], 0, &mut by_address);
    }
    for r in drifted {
        match values(r) {
            Some(v) => {
                by_address.insert(
                    r.address.clone(),
                    json!({"address": r.address, "mode": r.mode, "type": r.resource_type, "name": r.name,
                           "provider_name": r.provider, "values": v}),
                );
            }
            None => {
                by_address.remove(&r.address);
            }
        }
    }
    let resources: Vec<Value> = by_address.into_values().collect();
    json!({"format_version": "1.0", "values": {"root_module": {"resources": resources}}})
}

/// Flattens a state module tree into resources by address (bounded depth: modules nest shallowly).
fn collect_resources(module: &Value, depth: usize, out: &mut BTreeMap<String, Value>) {
    if depth > 16 {
        return;
    }
    if let Some(resources) = module["resources"].as_array() {
        for r in resources {
            if let Some(address) = r["address"].as_str() {
                out.insert(address.to_string(), r.clone());
            }
        }
    }
    if let Some(children) = module["child_modules"].as_array() {
        for child in children {
            collect_resources(child, depth + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> PathStep {
        PathStep::Key(k.into())
    }

    const RULE: &str = r#"package drift.example

# METADATA
# title: Open door
# custom:
#   id: EX-001
#   severity: critical
#   controls:
#     - EX 1.1
deny contains {"msg": sprintf("%s is open", [r.address]), "resource": r.address, "path": ["door"]} if {
	some r in input.values.root_module.resources
	r.values.door == "open"
}
"#;

    fn resource(address: &str, before: Value, after: Value) -> Resource {
        Resource {
            address: address.into(),
            module: String::new(),
            mode: "managed".into(),
            resource_type: "house".into(),
            name: address.rsplit('.').next().unwrap_or_default().into(),
            provider: String::new(),
            deleted: false,
            before,
            after,
        }
    }

    fn items_of(resources: &[Resource]) -> Vec<DriftItem> {
        let mut items = Vec::new();
        for r in resources {
            for key in ["door", "tags"] {
                if r.before[key] != r.after[key] {
                    let path = vec![PathStep::Key(key.to_string())];
                    items.push(DriftItem::new(
                        r,
                        super::super::ItemKind::Changed,
                        path,
                        r.before[key].clone(),
                        r.after[key].clone(),
                    ));
                }
            }
        }
        items
    }

    #[test]
    fn a_rule_broken_by_the_live_value_sets_severity_rule_and_controls() {
        let policies = PolicySet::builder().rego_source("rule.rego", RULE).build().unwrap();
        let resources = vec![
            resource(
                "house.a",
                json!({"door": "shut", "tags": {"x": "1"}}),
                json!({"door": "open", "tags": {"x": "2"}}),
            ),
            // Open before the drift too: the drift (a tag) did not break the rule.
            resource(
                "house.b",
                json!({"door": "open", "tags": {"x": "1"}}),
                json!({"door": "open", "tags": {"x": "2"}}),
            ),
        ];
        let mut items = items_of(&resources);
        apply_policy(&policies, None, &resources, &mut items).unwrap();
        let door = items.iter().find(|i| i.address == "house.a" && i.path_string() == "door").unwrap();
        assert_eq!(door.severity, Severity::Critical);
        assert_eq!(door.rules[0].rule_id, "EX-001");
        assert_eq!(door.rules[0].controls, ["EX 1.1"]);
        let tag_a = items.iter().find(|i| i.address == "house.a" && i.path_string() == "tags").unwrap();
        assert!(tag_a.rules.is_empty(), "the rule's path is the door, not the tags");
        assert_eq!(tag_a.severity, Severity::Low);
        let tag_b = items.iter().find(|i| i.address == "house.b").unwrap();
        assert!(tag_b.rules.is_empty());
        assert_eq!(tag_b.severity, Severity::Low);
    }

    #[test]
    fn the_live_document_is_the_refreshed_state_with_deleted_resources_left_out() {
        let prior = json!({"values": {"root_module": {"resources": [{"address": "house.c", "values": {"door": "open"}}],
            "child_modules": [{"resources": [{"address": "module.m.house.d", "values": {}}]}]}}});
        let mut gone = resource("house.e", json!({"door": "open"}), Value::Null);
        gone.deleted = true;
        let live = state_document(Some(&prior), std::slice::from_ref(&gone), |r| (!r.deleted).then(|| r.after.clone()));
        let addresses: Vec<&str> = live["values"]["root_module"]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["address"].as_str().unwrap())
            .collect();
        assert_eq!(addresses, ["house.c", "module.m.house.d"]);
        let was = state_document(Some(&prior), &[gone], |r| Some(r.before.clone()));
        assert_eq!(was["values"]["root_module"]["resources"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn categories_by_attribute_kind() {
        assert_eq!(categorise(&[key("tags"), key("public")]), Category::Tags);
        assert_eq!(categorise(&[key("tags_all"), key("env")]), Category::Tags);
        assert_eq!(categorise(&[key("ingress"), PathStep::Index(0), key("sources")]), Category::Security);
        assert_eq!(categorise(&[key("server_side_encryption_configuration")]), Category::Security);
        assert_eq!(categorise(&[key("instance_type")]), Category::Other);
        assert_eq!(by_category(Category::Tags), Severity::Low);
        assert_eq!(by_category(Category::Security), Severity::High);
        assert_eq!(by_category(Category::Other), Severity::Medium);
    }
}
