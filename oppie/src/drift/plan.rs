//! Reads drift out of a plan JSON document (`terraform show -json` of a plan): the entries of
//! `resource_drift`, diffed attribute by attribute, with sensitive values masked.

use std::collections::BTreeSet;

use serde_json::Value;

use super::item::{DriftItem, ItemKind, PathStep, Resource};

/// Paths deeper than this are reported at this depth, whole.
pub const MAX_PATH_DEPTH: usize = 32;
/// More changed leaves than this under one top-level attribute are reported as that attribute, whole.
pub const MAX_LEAVES_PER_ATTRIBUTE: usize = 64;
/// What a sensitive value is shown as.
pub const MASK: &str = "(sensitive)";

/// Why a document could not be read as a plan.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// Not JSON, or JSON nested past serde_json's limit.
    #[error("{name}: not valid JSON: {source}")]
    Json {
        /// The file.
        name: String,
        /// The parser's error (line and column).
        source: serde_json::Error,
    },
    /// JSON, but not a plan.
    #[error("{name}: {message}")]
    Shape {
        /// The file.
        name: String,
        /// What is wrong, with the JSON path.
        message: String,
    },
}

/// The drift of one plan: the items and the resources they belong to.
#[derive(Debug, Clone, Default)]
pub struct PlanDrift {
    /// One entry per drifted attribute or deleted resource, in plan order.
    pub items: Vec<DriftItem>,
    /// Each drifted resource with its state and live values (for the policy evaluation).
    pub resources: Vec<Resource>,
    /// `prior_state` of the plan (the refreshed, live state) when present.
    pub prior_state: Option<Value>,
    /// The managed resource types the plan's configuration declares, modules included: they name
    /// the kinds even of resources deleted outside Terraform (for `--unmanaged`).
    pub config_types: BTreeSet<String>,
}

/// Parses plan JSON text and extracts its drift.
pub fn parse(name: &str, text: &str) -> Result<PlanDrift, PlanError> {
    let value: Value = serde_json::from_str(text).map_err(|source| PlanError::Json { name: name.into(), source })?;
    from_value(name, value)
}

/// Extracts drift from a parsed plan document.
///
/// Drift comes from `resource_drift` (Terraform 0.15.4 and later write it for every plan, and a
/// refresh-only plan has nothing else). A document without `resource_drift` whose
/// `resource_changes` carry updates and deletes is read from those instead (plans written by
/// other tools in the refresh-only shape).
pub fn from_value(name: &str, mut doc: Value) -> Result<PlanDrift, PlanError> {
    let shape = |message: String| PlanError::Shape { name: name.into(), message };
    let Some(object) = doc.as_object_mut() else {
        return Err(shape("the document is not a JSON object (expected `terraform show -json` of a plan)".into()));
    };
    if !object.contains_key("format_version") {
        return Err(shape("no `format_version`: not the output of `terraform show -json` of a plan".into()));
    }
    let prior_state = object.remove("prior_state");
    let mut config_types = BTreeSet::new();
    if let Some(configuration) = object.get("configuration") {
        config_kinds(&configuration["root_module"], 0, &mut config_types);
    }
    let (key, entries) = match (object.remove("resource_drift"), object.remove("resource_changes")) {
        (Some(drift), _) => ("resource_drift", drift),
        (None, Some(changes)) => ("resource_changes", changes),
        (None, None) => ("resource_drift", Value::Array(Vec::new())),
    };
    let entries = match entries {
        Value::Array(entries) => entries,
        Value::Null => Vec::new(),
        other => return Err(shape(format!("`{key}` is {}, expected an array", kind_of(&other)))),
    };
    let mut drift = PlanDrift { prior_state, config_types, ..PlanDrift::default() };
    for (index, entry) in entries.into_iter().enumerate() {
        let at = |field: &str| format!("`{key}[{index}]{field}`");
        let Value::Object(mut entry) = entry else {
            return Err(shape(format!("{} is {}, expected an object", at(""), kind_of(&entry))));
        };
        let text = |entry: &serde_json::Map<String, Value>, field: &str| -> Result<String, PlanError> {
            match entry.get(field) {
                Some(Value::String(s)) => Ok(s.clone()),
                None | Some(Value::Null) => Ok(String::new()),
                Some(other) => {
                    Err(shape(format!("{} is {}, expected a string", at(&format!(".{field}")), kind_of(other))))
                }
            }
        };
        let address = text(&entry, "address")?;
        if address.is_empty() {
            return Err(shape(format!("{} is missing", at(".address"))));
        }
        let mode = text(&entry, "mode")?;
        if mode == "data" {
            continue;
        }
        let resource_type = text(&entry, "type")?;
        let name_in_config = text(&entry, "name")?;
        let provider = text(&entry, "provider_name")?;
        let module = text(&entry, "module_address")?;
        let Some(Value::Object(mut change)) = entry.remove("change") else {
            return Err(shape(format!("{} is missing or not an object", at(".change"))));
        };
        let actions: Vec<String> = match change.remove("actions") {
            Some(Value::Array(actions)) => actions
                .into_iter()
                .map(|a| match a {
                    Value::String(s) => Ok(s),
                    other => {
                        Err(shape(format!("{} holds {}, expected strings", at(".change.actions"), kind_of(&other))))
                    }
                })
                .collect::<Result<_, _>>()?,
            other => {
                return Err(shape(format!(
                    "{} is {}, expected an array",
                    at(".change.actions"),
                    other.as_ref().map_or("missing", kind_of)
                )));
            }
        };
        let deleted = actions == ["delete"];
        let updated = actions == ["update"];
        if !deleted && !updated {
            // no-op, read, create (not drift) and replacements (planned, not drift).
            continue;
        }
        let before = change.remove("before").unwrap_or(Value::Null);
        let after = if deleted { Value::Null } else { change.remove("after").unwrap_or(Value::Null) };
        let before_sensitive = change.remove("before_sensitive").unwrap_or(Value::Null);
        let after_sensitive = change.remove("after_sensitive").unwrap_or(Value::Null);
        let resource = Resource {
            address,
            module,
            mode: if mode.is_empty() { "managed".into() } else { mode },
            resource_type,
            name: name_in_config,
            provider,
            deleted,
            before,
            after,
        };
        if deleted {
            drift.items.push(DriftItem::new(&resource, ItemKind::Deleted, Vec::new(), Value::Null, Value::Null));
        } else {
            let mut changes = Vec::new();
            let sens = Sensitivity { before: &before_sensitive, after: &after_sensitive };
            diff_resource(&resource.before, &resource.after, &sens, &mut changes);
            for (path, before, after) in changes {
                drift.items.push(DriftItem::new(&resource, ItemKind::Changed, path, before, after));
            }
        }
        drift.resources.push(resource);
    }
    Ok(drift)
}

/// The `before_sensitive` / `after_sensitive` trees of one change.
struct Sensitivity<'a> {
    before: &'a Value,
    after: &'a Value,
}

impl Sensitivity<'_> {
    fn covers(&self, path: &[PathStep]) -> bool {
        covers(self.before, path) || covers(self.after, path)
    }
}

/// `true` when the sensitivity tree marks `path` or a prefix of it (or anything below it) sensitive.
fn covers(tree: &Value, path: &[PathStep]) -> bool {
    let mut node = tree;
    for step in path {
        if node == &Value::Bool(true) {
            return true;
        }
        node = match (node, step) {
            (Value::Object(map), PathStep::Key(key)) => map.get(key).unwrap_or(&Value::Null),
            (Value::Array(items), PathStep::Index(i)) => {
                usize::try_from(*i).ok().and_then(|i| items.get(i)).unwrap_or(&Value::Null)
            }
            _ => return false,
        };
    }
    any_true(node, 0)
}

fn any_true(node: &Value, depth: usize) -> bool {
    match node {
        Value::Bool(b) => *b,
        _ if depth > MAX_PATH_DEPTH => true,
        Value::Object(map) => map.values().any(|v| any_true(v, depth + 1)),
        Value::Array(items) => items.iter().any(|v| any_true(v, depth + 1)),
        _ => false,
    }
}

/// Diffs a resource's state and live values: one change per top-level attribute, refined into its
/// leaves while that stays small.
fn diff_resource(before: &Value, after: &Value, sens: &Sensitivity<'_>, out: &mut Vec<(Vec<PathStep>, Value, Value)>) {
    let empty = serde_json::Map::new();
    let (b, a) = (before.as_object().unwrap_or(&empty), after.as_object().unwrap_or(&empty));
    if before.as_object().is_none() || after.as_object().is_none() {
        if before != after {
            out.push(masked(Vec::new(), before, after, sens));
        }
        return;
    }
    let mut keys: Vec<&String> = b.keys().chain(a.keys().filter(|k| !b.contains_key(*k))).collect();
    keys.sort();
    for key in keys {
        let (bv, av) = (b.get(key).unwrap_or(&Value::Null), a.get(key).unwrap_or(&Value::Null));
        if same(bv, av) {
            continue;
        }
        let mut leaves = Vec::new();
        let mut path = vec![PathStep::Key(key.clone())];
        let complete = diff_value(bv, av, &mut path, &mut leaves);
        if complete && !leaves.is_empty() {
            out.extend(leaves.into_iter().map(|(p, b, a)| masked(p, b, a, sens)));
        } else {
            out.push(masked(vec![PathStep::Key(key.clone())], bv, av, sens));
        }
    }
}

/// Collects the changed leaves below `path`; `false` when there were too many to list.
fn diff_value<'v>(
    before: &'v Value,
    after: &'v Value,
    path: &mut Vec<PathStep>,
    out: &mut Vec<(Vec<PathStep>, &'v Value, &'v Value)>,
) -> bool {
    if same(before, after) {
        return true;
    }
    if out.len() >= MAX_LEAVES_PER_ATTRIBUTE {
        return false;
    }
    match (before, after) {
        (Value::Object(b), Value::Object(a)) if path.len() < MAX_PATH_DEPTH => {
            let mut keys: Vec<&String> = b.keys().chain(a.keys().filter(|k| !b.contains_key(*k))).collect();
            keys.sort();
            for key in keys {
                path.push(PathStep::Key(key.clone()));
                let ok = diff_value(b.get(key).unwrap_or(&Value::Null), a.get(key).unwrap_or(&Value::Null), path, out);
                path.pop();
                if !ok {
                    return false;
                }
            }
            true
        }
        // Lists of blocks of the same length are compared block by block. A list of plain values
        // (often a set, such as CIDR blocks, whose order means nothing) and a list that grew or
        // shrank are one change.
        (Value::Array(b), Value::Array(a))
            if b.len() == a.len() && path.len() < MAX_PATH_DEPTH && b.iter().chain(a).any(is_collection) =>
        {
            for (i, (bv, av)) in b.iter().zip(a).enumerate() {
                path.push(PathStep::Index(i as u64));
                let ok = diff_value(bv, av, path, out);
                path.pop();
                if !ok {
                    return false;
                }
            }
            true
        }
        _ => {
            out.push((path.clone(), before, after));
            true
        }
    }
}

/// Equal, or both null-or-empty: providers flip between a null and an empty list or map with no
/// change in the cloud, and Terraform does not plan a change for it either.
fn same(a: &Value, b: &Value) -> bool {
    let empty = |v: &Value| match v {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    };
    a == b || (empty(a) && empty(b))
}

fn is_collection(value: &Value) -> bool {
    matches!(value, Value::Array(_) | Value::Object(_))
}

fn masked(path: Vec<PathStep>, before: &Value, after: &Value, sens: &Sensitivity<'_>) -> (Vec<PathStep>, Value, Value) {
    if sens.covers(&path) {
        (path, Value::String(MASK.into()), Value::String(MASK.into()))
    } else {
        (path, before.clone(), after.clone())
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The managed resource types of a configuration module and the modules it calls (bounded depth).
fn config_kinds(module: &Value, depth: usize, out: &mut BTreeSet<String>) {
    for r in module["resources"].as_array().into_iter().flatten() {
        if let Some(ty) = r["type"].as_str().filter(|_| r["mode"] == "managed") {
            out.insert(ty.to_string());
        }
    }
    if depth < 16 {
        for call in module["module_calls"].as_object().into_iter().flatten().map(|(_, c)| c) {
            config_kinds(&call["module"], depth + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plan(drift: Value) -> String {
        json!({"format_version": "1.2", "resource_drift": drift}).to_string()
    }

    fn rc(address: &str, actions: &[&str], before: Value, after: Value) -> Value {
        let (ty, name) = address.rsplit_once('.').map(|(t, n)| (t.rsplit('.').next().unwrap(), n)).unwrap();
        json!({"address": address, "mode": "managed", "type": ty, "name": name, "provider_name": "registry.terraform.io/oppie/oppie",
               "change": {"actions": actions, "before": before, "after": after}})
    }

    #[test]
    fn a_changed_tag_is_one_item_at_its_key() {
        let text = plan(json!([rc(
            "oppie_bucket.logs",
            &["update"],
            json!({"name": "logs", "tags": {"team": "a", "env": "dev"}}),
            json!({"name": "logs", "tags": {"team": "b", "env": "dev"}})
        )]));
        let drift = parse("p.json", &text).unwrap();
        assert_eq!(drift.items.len(), 1);
        let item = &drift.items[0];
        assert_eq!(item.address, "oppie_bucket.logs");
        assert_eq!(item.path_string(), "tags.team");
        assert_eq!((item.before.clone(), item.after.clone()), (json!("a"), json!("b")));
    }

    #[test]
    fn a_resource_deleted_outside_terraform_is_one_item() {
        let text = plan(json!([rc("oppie_instance.web", &["delete"], json!({"name": "web"}), Value::Null)]));
        let drift = parse("p.json", &text).unwrap();
        assert_eq!(drift.items.len(), 1);
        assert_eq!(drift.items[0].kind, ItemKind::Deleted);
        assert!(drift.resources[0].deleted);
    }

    #[test]
    fn sensitive_values_are_masked_on_both_sides() {
        let mut entry =
            rc("db.main", &["update"], json!({"password": "old-secret"}), json!({"password": "new-secret"}));
        entry["change"]["before_sensitive"] = json!({"password": true});
        entry["change"]["after_sensitive"] = json!({"password": true});
        let drift = parse("p.json", &plan(json!([entry]))).unwrap();
        let shown = format!("{:?}", drift.items);
        assert!(!shown.contains("secret"), "{shown}");
        assert_eq!(drift.items[0].before, json!(MASK));
    }

    #[test]
    fn a_sensitive_nested_block_masks_its_leaves() {
        let mut entry = rc(
            "x.y",
            &["update"],
            json!({"auth": [{"token": "t1", "user": "u"}]}),
            json!({"auth": [{"token": "t2", "user": "u"}]}),
        );
        entry["change"]["after_sensitive"] = json!({"auth": [{"token": true}]});
        let drift = parse("p.json", &plan(json!([entry]))).unwrap();
        assert_eq!(drift.items[0].path_string(), "auth[0].token");
        assert_eq!(drift.items[0].after, json!(MASK));
    }

    #[test]
    fn a_list_that_grew_is_one_change() {
        let text = plan(json!([rc(
            "oppie_firewall.web",
            &["update"],
            json!({"ingress": [{"ports": "443"}]}),
            json!({"ingress": [{"ports": "443"}, {"ports": "22"}]})
        )]));
        let drift = parse("p.json", &text).unwrap();
        assert_eq!(drift.items.len(), 1);
        assert_eq!(drift.items[0].path_string(), "ingress");
    }

    #[test]
    fn null_and_empty_collections_are_the_same() {
        let text = plan(json!([rc(
            "a.b",
            &["update"],
            json!({"tags": null, "l": [], "x": 1}),
            json!({"tags": {}, "l": null, "x": 2})
        )]));
        let drift = parse("p.json", &text).unwrap();
        assert_eq!(drift.items.len(), 1);
        assert_eq!(drift.items[0].path_string(), "x");
    }

    #[test]
    fn a_list_of_plain_values_is_one_change() {
        let text = plan(json!([rc(
            "oppie_firewall.web",
            &["update"],
            json!({"ingress": [{"sources": ["10.0.0.0/8"]}]}),
            json!({"ingress": [{"sources": ["0.0.0.0/0"]}]})
        )]));
        let drift = parse("p.json", &text).unwrap();
        assert_eq!(drift.items[0].path_string(), "ingress[0].sources");
        assert_eq!(drift.items[0].after, json!(["0.0.0.0/0"]));
    }

    #[test]
    fn many_changed_leaves_collapse_to_the_attribute() {
        let before: Vec<Value> = (0..500).map(|i| json!({"n": i})).collect();
        let after: Vec<Value> = (1..501).map(|i| json!({"n": i})).collect();
        let text = plan(json!([rc("a.b", &["update"], json!({"l": before}), json!({"l": after}))]));
        let drift = parse("p.json", &text).unwrap();
        assert_eq!(drift.items.len(), 1);
        assert_eq!(drift.items[0].path_string(), "l");
    }

    #[test]
    fn data_sources_creates_and_no_ops_are_not_drift() {
        let mut data = rc("data.x.y", &["update"], json!({"a": 1}), json!({"a": 2}));
        data["mode"] = json!("data");
        let text = plan(json!([
            data,
            rc("a.create", &["create"], Value::Null, json!({})),
            rc("a.noop", &["no-op"], json!({"a": 1}), json!({"a": 1}))
        ]));
        assert!(parse("p.json", &text).unwrap().items.is_empty());
    }

    #[test]
    fn bad_shapes_are_errors_with_the_json_path() {
        let err = parse(
            "p.json",
            r#"{"format_version":"1.2","resource_drift":[{"address":"a.b","change":{"actions":"update"}}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("resource_drift[0].change.actions"), "{err}");
        assert!(parse("p.json", "[]").unwrap_err().to_string().contains("not a JSON object"));
        assert!(parse("p.json", "{}").unwrap_err().to_string().contains("format_version"));
        assert!(parse("p.json", "{").unwrap_err().to_string().contains("line 1"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{{\"format_version\":\"1\",\"x\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse("p.json", &deep).is_err());
    }
}
