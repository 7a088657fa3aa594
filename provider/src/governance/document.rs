//! The planned change of one resource in the shape of a `terraform show -json` plan, so the
//! same policies serve CI (whole plans) and plan-time gating (one resource at a time).

use serde_json::{Map, Value as Json, json};
use tfplug::{Plan, Schema, Value};

/// Provider address shown in the document, as Terraform writes it.
pub const PROVIDER_NAME: &str = "registry.terraform.io/oppie/oppie";

/// The address the policies see for the `serial`-th resource this process planned.
/// Terraform does not tell providers a resource's address, so this one is internal: it is
/// unique per planned resource (two resources sharing a name stay two), and it never
/// reaches a message ([`label`] replaces it there).
pub fn address(type_name: &str, serial: u64) -> String {
    format!("{type_name}.oppie_planned_{serial}")
}

/// How messages name a planned resource: its type and what identifies it in the
/// configuration (its name, else its range, else its id), e.g. `oppie_subnet "10.2.1.0/24"`.
pub fn label(type_name: &str, plan: &Plan) -> String {
    let obj = if plan.planned.is_null() { &plan.prior } else { &plan.planned };
    let shown = ["name", "cidr", "id"].iter().find_map(|a| obj.attr(a).as_str().map(str::to_string));
    match shown {
        Some(s) => format!("{type_name} {s:?}"),
        None => type_name.to_string(),
    }
}

/// Terraform's action list for this change.
pub fn actions(plan: &Plan) -> Vec<&'static str> {
    match (plan.prior.is_null(), plan.planned.is_null()) {
        (true, false) => vec!["create"],
        (false, true) => vec!["delete"],
        (false, false) if !plan.requires_replace.is_empty() => vec!["delete", "create"],
        (false, false) if plan.prior.value() == plan.planned.value() => vec!["no-op"],
        (false, false) => vec!["update"],
        (true, true) => vec!["no-op"],
    }
}

/// A plan document whose `resource_changes` holds exactly this change.
pub fn plan_document(type_name: &str, schema: &Schema, plan: &Plan, address: &str, terraform_version: &str) -> Json {
    let (before, _) = split_unknowns(plan.prior.value());
    let (after, after_unknown) = split_unknowns(plan.planned.value());
    let sensitive = sensitive_marks(schema, plan.planned.value());
    let name = address.split_once('.').map_or(address, |(_, n)| n).to_string();
    json!({
        "format_version": "1.2",
        "terraform_version": terraform_version,
        "planned_values": {"root_module": {"resources": []}},
        "resource_changes": [{
            "address": address,
            "mode": "managed",
            "type": type_name,
            "name": name,
            "provider_name": PROVIDER_NAME,
            "change": {
                "actions": actions(plan),
                "before": before,
                "after": after,
                "after_unknown": after_unknown,
                "before_sensitive": sensitive_marks(schema, plan.prior.value()),
                "after_sensitive": sensitive,
            }
        }]
    })
}

/// Splits a value into Terraform's `after` (known parts; unknown object attributes left
/// out, unknown elements null) and `after_unknown` (`true` where unknown).
pub fn split_unknowns(v: &Value) -> (Json, Json) {
    match v {
        Value::Null => (Json::Null, Json::Bool(false)),
        Value::Unknown(_) => (Json::Null, Json::Bool(true)),
        Value::Bool(b) => (Json::Bool(*b), Json::Bool(false)),
        Value::Number(n) => {
            let num = n
                .as_i64()
                .map(Json::from)
                .unwrap_or_else(|| serde_json::Number::from_f64(n.as_f64()).map_or(Json::Null, Json::Number));
            (num, Json::Bool(false))
        }
        Value::String(s) => (Json::String(s.clone()), Json::Bool(false)),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            let (a, u): (Vec<_>, Vec<_>) = items.iter().map(split_unknowns).unzip();
            (Json::Array(a), Json::Array(u))
        }
        Value::Map(m) | Value::Object(m) => {
            let mut after = Map::new();
            let mut unknown = Map::new();
            for (k, v) in m {
                let (a, u) = split_unknowns(v);
                if v.is_unknown() {
                    unknown.insert(k.clone(), Json::Bool(true));
                } else {
                    after.insert(k.clone(), a);
                    if u != Json::Bool(false) {
                        unknown.insert(k.clone(), u);
                    }
                }
            }
            (Json::Object(after), Json::Object(unknown))
        }
        Value::Dynamic(_, v) => split_unknowns(v),
    }
}

/// `{attribute: true}` for the schema's sensitive top-level attributes that hold a value.
fn sensitive_marks(schema: &Schema, v: &Value) -> Json {
    let mut marks = Map::new();
    if v.is_null() {
        return Json::Bool(false);
    }
    for a in schema.block.attributes.iter().filter(|a| a.sensitive) {
        if v.attr(&a.name).is_some_and(|x| !x.is_null()) {
            marks.insert(a.name.clone(), Json::Bool(true));
        }
    }
    Json::Object(marks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknowns_are_left_out_of_after_and_marked() {
        let v = Value::object([
            ("id", Value::unknown()),
            ("name", Value::from("web")),
            ("tags", Value::Map([("a".to_string(), Value::from("1"))].into())),
            ("rules", Value::List(vec![Value::object([("port", Value::from(22)), ("id", Value::unknown())])])),
        ]);
        let (after, unknown) = split_unknowns(&v);
        assert_eq!(after, json!({"name": "web", "tags": {"a": "1"}, "rules": [{"port": 22}]}));
        // Containers stay in after_unknown, as Terraform writes them.
        assert_eq!(unknown, json!({"id": true, "tags": {}, "rules": [{"id": true}]}));
    }
}
