//! `estimated_monthly_cost` and `cost_breakdown` for every `oppie_*` resource: the catalog's
//! one price model (`oppie-policy cost` uses the same), written as exact decimal numbers.
//!
//! cty numbers are arbitrary precision; a float64 such as 9.19 is not. The figures travel as
//! decimal text, so `sum()` over them in an output equals itself on the next plan.

use std::collections::BTreeMap;

use oppie_catalog::pricing::{self, Attr, Decimal, Defaults, Outcome, Quote};
use tfplug::cty::Number;
use tfplug::{Attribute, AttributePath, Context, Diagnostics, Object, Schema, Type, Value};

use crate::client::Client;

/// Adds the cost attributes. (Buckets carry `expected_storage_gb`, which they are priced by.)
pub fn extend_schema(mut schema: Schema) -> Schema {
    let block = schema
        .block
        // No rate card version here: a new card would otherwise change every resource's docs.
        .attribute(Attribute::number("estimated_monthly_cost").computed().description(
            "Estimated monthly cost in USD (on-demand list prices of the rate card built into the provider; \
             a warning names its version when the estimate is partial or missing), known at plan time. \
             An exact decimal, so sums of it in outputs stay stable.",
        ))
        .attribute(
            Attribute::new("cost_breakdown", Type::map(Type::Number))
                .computed()
                .description("The monthly estimate by component (compute, disk, storage, ...), in USD."),
        );
    schema.block = block;
    schema
}

/// Prices the object as planned (or as stored), with the provider's defaults for an unset
/// cloud or region.
pub fn estimate(ctx: &Context<Client>, type_name: &str, obj: &Object) -> Quote {
    let client = ctx.try_client();
    let defaults = Defaults {
        cloud: client.and_then(|c| c.default_cloud).map(|c| c.key()),
        region: client.and_then(|c| c.default_region.as_deref()),
    };
    pricing::price(type_name, &|name: &str| attr(obj.attr(name)), &defaults)
}

/// An attribute as the price model reads it.
fn attr(value: &Value) -> Attr {
    match value {
        Value::Unknown(_) => Attr::Unknown,
        Value::String(s) => Attr::Value(s.clone()),
        Value::Number(n) => Attr::Value(n.to_text()),
        Value::Bool(b) => Attr::Value(b.to_string()),
        Value::Dynamic(_, inner) => attr(inner),
        _ => Attr::Unset,
    }
}

/// A cty number with the decimal's exact value.
fn number(usd: Decimal) -> Result<Value, Diagnostics> {
    Number::parse(&usd.to_string())
        .map(Value::Number)
        .map_err(|e| Diagnostics::error("Internal error", format!("cost {usd}: {}", e.message)))
}

fn figures(estimate: &pricing::Estimate) -> Result<(Value, Value), Diagnostics> {
    let breakdown: Result<BTreeMap<String, Value>, Diagnostics> =
        estimate.breakdown.iter().map(|(k, v)| Ok((k.clone(), number(*v)?))).collect();
    Ok((number(estimate.monthly_usd)?, Value::Map(breakdown?)))
}

/// Writes the quote into the object; a partial or unpriced one also gets a warning (an
/// unpriced one null figures).
pub fn set(obj: &mut Object, quote: Quote) -> Result<Diagnostics, Diagnostics> {
    let mut warnings = Diagnostics::new();
    let card = &pricing::card().version;
    let mut warn = |summary: &str, detail: String| {
        warnings.add_attribute_warning(AttributePath::attr("estimated_monthly_cost"), summary, detail);
    };
    let (cost, breakdown) = match &quote.outcome {
        Outcome::Priced(estimate) => figures(estimate)?,
        Outcome::Partial { estimate, missing } => {
            warn(
                "Partial cost estimate",
                format!("The estimate from rate card {card} leaves out {}.", missing.join("; ")),
            );
            figures(estimate)?
        }
        Outcome::Unknown(_) => (Value::unknown(), Value::unknown()),
        Outcome::Unpriced(why) => {
            warn("No cost estimate", format!("The rate card ({card}) cannot price this resource: {why}."));
            (Value::Null, Value::Null)
        }
    };
    for (name, value) in [("estimated_monthly_cost", cost), ("cost_breakdown", breakdown)] {
        if !obj.value_mut().set_at(&AttributePath::attr(name), value) {
            return Err(Diagnostics::error("Internal error", format!("the schema has no attribute {name}")));
        }
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn object(pairs: &[(&str, Value)]) -> Object {
        let ty = Type::object([
            ("cloud", Type::String),
            ("region", Type::String),
            ("size", Type::String),
            ("disk_gb", Type::Number),
            ("estimated_monthly_cost", Type::Number),
            ("cost_breakdown", Type::map(Type::Number)),
        ]);
        let mut value = Value::object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())));
        if let Value::Object(m) = &mut value {
            for name in ["cloud", "region", "size", "disk_gb", "estimated_monthly_cost", "cost_breakdown"] {
                m.entry(name.to_string()).or_insert(Value::Null);
            }
        }
        Object::new(value, Arc::new(ty))
    }

    fn quote(obj: &Object) -> Quote {
        pricing::price("oppie_instance", &|name: &str| attr(obj.attr(name)), &Defaults::default())
    }

    #[test]
    fn figures_are_exact_decimal_numbers() {
        let mut obj = object(&[
            ("cloud", Value::string("aws")),
            ("region", Value::string("us-east")),
            ("size", Value::string("s")),
            ("disk_gb", Value::Number(Number::Int(20))),
        ]);
        let q = quote(&obj);
        let warnings = set(&mut obj, q).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        // 16.78 is no float64: it must travel as decimal text for Terraform to keep it exact.
        assert_eq!(obj.attr("estimated_monthly_cost"), &Value::Number(Number::parse("16.78").unwrap()));
        assert!(matches!(obj.attr("estimated_monthly_cost"), Value::Number(Number::Decimal(_))));
        let breakdown = obj.attr("cost_breakdown").as_map().unwrap();
        assert_eq!(breakdown["compute"], Value::Number(Number::parse("15.18").unwrap()));
        assert_eq!(breakdown["disk"], Value::Number(Number::parse("1.6").unwrap()));
    }

    #[test]
    fn partial_unknown_and_unpriced_outcomes() {
        let mut obj = object(&[
            ("cloud", Value::string("aws")),
            ("region", Value::string("us-east")),
            ("size", Value::string("s")),
        ]);
        let q = quote(&obj);
        let warnings = set(&mut obj, q).unwrap();
        assert_eq!(warnings.0.len(), 1);
        assert_eq!(warnings.0[0].summary, "Partial cost estimate");
        assert!(warnings.0[0].detail.contains("disk: disk_gb is not set"), "{:?}", warnings.0[0].detail);
        assert_eq!(obj.attr("estimated_monthly_cost"), &Value::Number(Number::parse("15.18").unwrap()));

        let mut obj = object(&[("cloud", Value::string("aws")), ("region", Value::string("us-east"))]);
        obj.value_mut().set_at(&AttributePath::attr("size"), Value::unknown());
        let q = quote(&obj);
        assert!(set(&mut obj, q).unwrap().is_empty());
        assert!(obj.attr("estimated_monthly_cost").is_unknown() && obj.attr("cost_breakdown").is_unknown());

        let mut obj = object(&[("cloud", Value::string("aws")), ("region", Value::string("mars-north-1"))]);
        let q = quote(&obj);
        let warnings = set(&mut obj, q).unwrap();
        assert_eq!(warnings.0[0].summary, "No cost estimate");
        assert!(obj.attr("estimated_monthly_cost").is_null());
    }
}
