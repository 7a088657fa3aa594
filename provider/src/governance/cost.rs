//! `estimated_monthly_cost` and `cost_breakdown` for every `oppie_*` resource, from the
//! catalog's rate card, known at plan time whenever the priced attributes are.

use std::collections::BTreeMap;

use oppie_catalog::pricing::{self, Estimate, Item};
use tfplug::{Attribute, Context, Diagnostics, MaybeUnknown, Object, Schema, Type, Value};

use crate::catalog::{self, Cloud};
use crate::client::Client;

/// Adds the cost attributes. (Buckets carry `expected_storage_gb`, which they are priced by.)
pub fn extend_schema(mut schema: Schema) -> Schema {
    let block = schema
        .block
        .attribute(Attribute::number("estimated_monthly_cost").computed().description(format!(
            "Estimated monthly cost in USD (on-demand list prices of rate card {}), known at plan time.",
            pricing::card().version
        )))
        .attribute(
            Attribute::new("cost_breakdown", Type::map(Type::Number))
                .computed()
                .description("The monthly estimate by component (compute, disk, storage, ...), in USD."),
        );
    schema.block = block;
    schema
}

/// The outcome of pricing one object.
pub enum Outcome {
    /// Priced (or free).
    Priced(Estimate),
    /// Priced in part; the text says what the card could not price.
    Partial(Estimate, String),
    /// An input is not known yet.
    Unknown,
    /// The rate card cannot price it: a warning, and no figure.
    Unpriced(String),
}

/// Prices the object as planned (or as stored).
pub fn estimate(ctx: &Context<Client>, type_name: &str, obj: &Object) -> Outcome {
    if type_name == "oppie_environment" {
        return Outcome::Priced(Estimate { monthly_usd: 0.0, breakdown: BTreeMap::new() });
    }
    let client = ctx.try_client();
    let text = |name: &str| -> Result<Option<String>, ()> {
        match obj.attr(name) {
            Value::Unknown(_) => Err(()),
            v => Ok(v.as_str().map(str::to_string)),
        }
    };
    let (Ok(cloud), Ok(region)) = (text("cloud"), text("region")) else { return Outcome::Unknown };
    let cloud = cloud.as_deref().and_then(Cloud::parse).or_else(|| client.and_then(|c| c.default_cloud));
    let region = region.or_else(|| client.and_then(|c| c.default_region.clone()));
    let (Some(cloud), Some(region)) = (cloud, region) else {
        return Outcome::Unpriced("the cloud and region are not set, here or in the provider's defaults".into());
    };
    let cat = catalog::get().cloud(cloud);
    let native_region = match cat.region(cloud, &region) {
        Ok(r) => r,
        Err(e) => return Outcome::Unpriced(e),
    };
    let number = |name: &str| -> Result<Option<f64>, ()> {
        match obj.attr(name) {
            Value::Unknown(_) => Err(()),
            v => Ok(v.as_number().map(|n| n.as_f64())),
        }
    };
    let result = match type_name {
        "oppie_instance" => {
            let (Ok(size), Ok(disk_gb)) = (text("size"), number("disk_gb")) else { return Outcome::Unknown };
            let Some(size) = size else { return Outcome::Unpriced("no size".into()) };
            let instance_type = match cat.size(cloud, &size) {
                Ok(t) => t,
                Err(e) => return Outcome::Unpriced(e),
            };
            let disk_gb = disk_gb.unwrap_or(0.0);
            let item = Item::Instance { instance_type: &instance_type, disk_gb, disk_type: None };
            match pricing::estimate(cloud, &native_region, &item) {
                // The card may know the machine but not the region's disks: price what it knows.
                Err(disk_err) if disk_gb > 0.0 => {
                    let machine = Item::Instance { instance_type: &instance_type, disk_gb: 0.0, disk_type: None };
                    return match pricing::estimate(cloud, &native_region, &machine) {
                        Ok(e) => Outcome::Partial(e, format!("the {disk_gb} GB disk is not included: {disk_err}")),
                        Err(e) => Outcome::Unpriced(e.to_string()),
                    };
                }
                other => other,
            }
        }
        "oppie_bucket" => {
            let Ok(gb) = number("expected_storage_gb") else { return Outcome::Unknown };
            let item = Item::Bucket { storage_gb: gb.unwrap_or(0.0), storage_class: "standard" };
            pricing::estimate(cloud, &native_region, &item)
        }
        "oppie_network" => pricing::estimate(cloud, &native_region, &Item::Network),
        "oppie_subnet" => pricing::estimate(cloud, &native_region, &Item::Subnet),
        "oppie_firewall" => pricing::estimate(cloud, &native_region, &Item::Firewall),
        other => return Outcome::Unpriced(format!("{other} has no price model")),
    };
    match result {
        Ok(e) => Outcome::Priced(e),
        Err(e) => Outcome::Unpriced(e.to_string()),
    }
}

/// Writes the outcome into the object; an unpriced object gets a warning and null figures.
pub fn set(obj: &mut Object, outcome: Outcome) -> Result<Diagnostics, Diagnostics> {
    let mut warnings = Diagnostics::new();
    let warn = |warnings: &mut Diagnostics, summary: &str, detail: String| {
        warnings.add_attribute_warning(tfplug::AttributePath::attr("estimated_monthly_cost"), summary, detail);
    };
    let figures: MaybeUnknown<Option<Estimate>> = match outcome {
        Outcome::Priced(e) => MaybeUnknown::Known(Some(e)),
        Outcome::Partial(e, why) => {
            let detail =
                format!("The estimate from rate card {} leaves something out: {why}.", pricing::card().version);
            warn(&mut warnings, "Partial cost estimate", detail);
            MaybeUnknown::Known(Some(e))
        }
        Outcome::Unknown => MaybeUnknown::Unknown,
        Outcome::Unpriced(why) => {
            let detail = format!("The rate card ({}) cannot price this resource: {why}.", pricing::card().version);
            warn(&mut warnings, "No cost estimate", detail);
            MaybeUnknown::Known(None)
        }
    };
    let cost = match &figures {
        MaybeUnknown::Known(e) => MaybeUnknown::Known(e.as_ref().map(|e| e.monthly_usd)),
        MaybeUnknown::Unknown => MaybeUnknown::Unknown,
    };
    let breakdown = match figures {
        MaybeUnknown::Known(e) => MaybeUnknown::Known(e.map(|e| e.breakdown)),
        MaybeUnknown::Unknown => MaybeUnknown::Unknown,
    };
    obj.set_attr("estimated_monthly_cost", &cost)?;
    obj.set_attr("cost_breakdown", &breakdown)?;
    Ok(warnings)
}
