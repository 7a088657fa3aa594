//! Monthly cost of a plan: prices every resource change with the catalog's rate card (or the
//! plan's own `estimated_monthly_cost`) and totals it per cloud and per `environment` tag.
//!
//! ```
//! use oppie_policy::{cost, Input};
//! # fn main() -> oppie_policy::Result<()> {
//! let plan = Input::from_json_str("plan.json", r#"{"format_version": "1.2", "resource_changes": [{
//!     "address": "aws_instance.web", "mode": "managed", "type": "aws_instance", "name": "web",
//!     "change": {"actions": ["create"], "before": null, "after_unknown": {},
//!                "after": {"instance_type": "t3.small", "availability_zone": "eu-central-1a"}}}]}"#)?;
//! let report = cost::price(&plan, &Default::default());
//! assert_eq!(report.totals.after.to_string(), "17.52"); // 0.024 USD/h × 730 h
//! # Ok(())
//! # }
//! ```

mod context;
pub mod diff;
pub mod render;
mod report;
mod resources;
mod stream;
mod values;

use std::collections::BTreeMap;

use serde_json::Value;

pub use oppie_catalog::pricing::money::{self, Decimal};
pub use report::{CostReport, Location, Origin, Priced, ResourceCost, SCHEMA, Status, Totals, UNTAGGED};

use crate::input::Input;
use context::PlanContext;
use resources::Outcome;

/// Prices a plan (every resource change) or a state (every resource, as unchanged).
/// `budgets` maps environment names to monthly budgets shown next to their totals.
pub fn price(input: &Input, budgets: &BTreeMap<String, Decimal>) -> CostReport {
    price_text(input.name(), input.json_text(), budgets)
}

/// Like [`price`], for a document given as (decoded) JSON text; text that is not JSON prices
/// nothing. A plan's changes are priced one at a time from the text (see `stream`), so `check`
/// can price it while it builds the [`Input`] policies read without two parsed copies of a big
/// plan in memory together.
pub fn price_text(name: &str, text: &str, budgets: &BTreeMap<String, Decimal>) -> CostReport {
    match stream::price_changes(text) {
        Some(priced) => CostReport::new(name, priced.resources, priced.not_priceable, budgets),
        None => price_value(name, &priced_sections(text), budgets),
    }
}

/// The top-level sections [`price_value`] reads. `planned_values` repeats every resource's
/// after-values (a third of a big plan) and `prior_state` the before-values; skipping them
/// keeps pricing from holding a second full copy of the plan next to the one policies see.
#[derive(serde::Deserialize)]
struct Sections {
    resource_changes: Option<Value>,
    configuration: Option<Value>,
    values: Option<Value>,
}

/// `text` as a JSON document with only the sections pricing needs; the whole document when
/// `planned_values` is the one to read (a trimmed plan) or the sections do not decode.
fn priced_sections(text: &str) -> Value {
    match serde_json::from_str::<Sections>(text) {
        Ok(sections)
            if sections.resource_changes.as_ref().is_some_and(Value::is_array)
                || sections.values.as_ref().is_some_and(Value::is_object) =>
        {
            let mut document = serde_json::Map::new();
            for (key, value) in [
                ("resource_changes", sections.resource_changes),
                ("configuration", sections.configuration),
                ("values", sections.values),
            ] {
                if let Some(value) = value {
                    document.insert(key.to_string(), value);
                }
            }
            Value::Object(document)
        }
        _ => serde_json::from_str(text).unwrap_or(Value::Null),
    }
}

/// Like [`price`], for a document already parsed.
pub fn price_value(name: &str, document: &Value, budgets: &BTreeMap<String, Decimal>) -> CostReport {
    let context = PlanContext::from_plan(document);
    let mut resources = Vec::new();
    let mut not_priceable = 0usize;
    let mut take = |rc: &Value| match resources::price_change(rc, &context) {
        Outcome::Cost(cost) => resources.push(*cost),
        Outcome::NotPriceable => not_priceable += 1,
        Outcome::Ignored => {}
    };
    if let Some(changes) = document["resource_changes"].as_array() {
        changes.iter().for_each(&mut take);
    } else {
        // A state, or a trimmed plan with only `planned_values`: every resource as unchanged.
        let root = if document["values"].is_object() { &document["values"] } else { &document["planned_values"] };
        let mut states = Vec::new();
        collect_module(&root["root_module"], 0, &mut states);
        for resource in states {
            let values = resource.get("values").cloned().unwrap_or(Value::Null);
            let wrapped = serde_json::json!({
                "address": resource["address"], "mode": resource.get("mode").cloned().unwrap_or("managed".into()),
                "type": resource["type"], "name": resource["name"],
                "change": {"actions": ["no-op"], "before": values, "after": values, "after_unknown": {}}
            });
            take(&wrapped);
        }
    }
    CostReport::new(name, resources, not_priceable, budgets)
}

fn collect_module<'a>(module: &'a Value, depth: usize, out: &mut Vec<&'a Value>) {
    if depth > 64 {
        return;
    }
    out.extend(module["resources"].as_array().into_iter().flatten());
    for child in module["child_modules"].as_array().into_iter().flatten() {
        collect_module(child, depth + 1, out);
    }
}

/// Parses a JSON or YAML data file (e.g. budgets); errors carry `file:line:col`.
pub fn parse_data_file(name: &str, bytes: &[u8]) -> crate::Result<Value> {
    crate::bundle::parse_data(name, bytes)
}

/// `budgets` from a data document: `{"budgets": {"prod": 1000, ...}}` (non-numbers ignored).
pub fn budgets(data: &Value) -> BTreeMap<String, Decimal> {
    data["budgets"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(env, v)| match v {
            Value::Number(n) => money::parse(&n.to_string()).map(|n| (env.to_lowercase(), n)),
            _ => None,
        })
        .collect()
}

/// The data document `check` gives policies: `{"oppie": {"costs": {address: monthly USD}}}`,
/// the after-figure of every resource this tool priced (the budget policy reads it).
pub fn costs_document(report: &CostReport) -> Value {
    let costs: serde_json::Map<String, Value> = report
        .monthly_by_address()
        .into_iter()
        .map(|(address, usd)| (address, Value::from(money::to_f64(usd))))
        .collect();
    serde_json::json!({"oppie": {"costs": costs}})
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn d(text: &str) -> Decimal {
        money::parse(text).unwrap()
    }

    #[test]
    fn states_are_priced_as_unchanged() {
        let state = json!({"format_version": "1.0", "values": {"root_module": {
            "resources": [{"address": "aws_instance.a", "mode": "managed", "type": "aws_instance", "name": "a",
                           "values": {"instance_type": "t3.micro", "availability_zone": "us-east-1a", "tags": {"environment": "dev"}}}],
            "child_modules": [{"resources": [{"address": "module.m.aws_vpc.v", "mode": "managed", "type": "aws_vpc", "name": "v", "values": {}}]}]
        }}});
        let report = price_value("state.json", &state, &BTreeMap::new());
        assert_eq!(report.resources.len(), 1);
        assert_eq!(report.not_priceable, 1);
        assert_eq!(report.totals.before, d("7.59"));
        assert_eq!(report.totals.after, d("7.59"));
        assert_eq!(report.totals.delta, Decimal::ZERO);
        assert_eq!(report.by_environment["dev"].after, d("7.59"));
    }

    #[test]
    fn budgets_and_costs_documents() {
        assert_eq!(
            budgets(&json!({"budgets": {"Prod": 100, "dev": "x"}})),
            BTreeMap::from([("prod".into(), d("100"))])
        );
        assert!(budgets(&json!([1])).is_empty());
        let plan = json!({"resource_changes": [{"address": "aws_instance.a", "mode": "managed", "type": "aws_instance",
            "change": {"actions": ["create"], "after": {"instance_type": "t3.micro", "region": "us-east-1"}, "after_unknown": {}}}]});
        let document = costs_document(&price_value("p", &plan, &BTreeMap::new()));
        assert_eq!(document, json!({"oppie": {"costs": {"aws_instance.a": 7.59}}}));
    }

    #[test]
    fn pricing_reads_only_the_sections_it_needs_with_the_same_result() {
        let change = json!({"address": "aws_instance.a", "mode": "managed", "type": "aws_instance", "name": "a",
            "change": {"actions": ["update"], "before": {"instance_type": "t3.micro", "region": "us-east-1"},
                       "after": {"instance_type": "t3.small", "region": "us-east-1"}, "after_unknown": {}}});
        let plan = json!({"format_version": "1.2", "resource_changes": [change],
            "planned_values": {"root_module": {"resources": [{"address": "x.y", "type": "aws_instance", "values": {}}]}},
            "prior_state": {"values": {}}, "configuration": {"provider_config": {}}});
        let input = Input::from_json_str("plan.json", &plan.to_string()).unwrap();
        let sections = priced_sections(input.json_text());
        assert_eq!(sections.as_object().map(|o| o.len()), Some(2), "{sections}");
        assert_eq!(price(&input, &BTreeMap::new()), price_value("plan.json", &plan, &BTreeMap::new()));
        // A trimmed plan with only planned_values is read whole.
        let trimmed = json!({"format_version": "1.2", "planned_values": {"root_module": {"resources": [
            {"address": "aws_instance.a", "mode": "managed", "type": "aws_instance", "name": "a",
             "values": {"instance_type": "t3.micro", "availability_zone": "us-east-1a"}}]}}});
        let input = Input::from_json_str("trimmed.json", &trimmed.to_string()).unwrap();
        assert_eq!(priced_sections(input.json_text()), trimmed);
        assert_eq!(price(&input, &BTreeMap::new()).totals.after, d("7.59"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn pricing_never_panics_on_odd_documents(
            actions in prop::collection::vec(prop::sample::select(vec!["create", "delete", "update", "no-op", "read", "x"]), 0..3),
            resource_type in prop::sample::select(vec!["aws_instance", "google_compute_instance", "azurerm_linux_virtual_machine",
                "oppie_instance", "oppie_bucket", "aws_ebs_volume", "google_compute_disk", "azurerm_managed_disk", "aws_s3_bucket", "x"]),
            key in prop::sample::select(vec!["instance_type", "size", "machine_type", "region", "zone", "location", "cloud",
                "disk_gb", "expected_storage_gb", "root_block_device", "tags", "estimated_monthly_cost", "availability_zone"]),
            value in prop_oneof![
                Just(json!(null)), Just(json!(true)), Just(json!(-1)), Just(json!(1e300)), Just(json!("t3.micro")),
                Just(json!("us-east")), Just(json!("aws")), Just(json!([{"volume_size": "abc"}])), Just(json!({"environment": 3})),
                "[a-z0-9./-]{0,12}".prop_map(Value::from),
            ],
            unknown in any::<bool>(),
        ) {
            let after = json!({key: value, "cloud": "aws", "region": "us-east"});
            let after_unknown = if unknown { json!({key: true}) } else { json!([]) };
            let plan = json!({"resource_changes": [
                {"address": "a.b", "mode": "managed", "type": resource_type,
                 "change": {"actions": actions, "before": after.clone(), "after": after, "after_unknown": after_unknown}},
                {"address": 7, "change": null}, "junk"
            ], "configuration": {"provider_config": [], "root_module": {"module_calls": {"m": {"module": 3}}}}});
            let report = price_value("fuzz.json", &plan, &BTreeMap::new());
            prop_assert_eq!(report.totals.delta, report.totals.after - report.totals.before);
            let _ = render::table(&report);
            let _ = render::json(&report);
        }
    }
}
