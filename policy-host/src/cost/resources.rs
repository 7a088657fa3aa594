//! Prices one resource change: `oppie_*` resources with the catalog's one price model (the
//! provider's own, so the plan's `estimated_monthly_cost` agrees with it) and native instances,
//! disks and buckets of AWS, Google Cloud and Azure.

use std::collections::BTreeMap;

use oppie_catalog::Cloud;
use oppie_catalog::pricing::money::{self, Decimal};
use oppie_catalog::pricing::{self, Attr, Defaults, Estimate, Item, Outcome as Quoted};
use serde_json::Value;

use super::context::{self, PlanContext};
use super::report::{Location, Origin, Priced, ResourceCost, Status};
use super::values::{Field, Side, Step, Unknown, last_segment};

use Step::{Index as I, Key as K};

/// What pricing one resource change produced.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// A priceable resource (priced or not, with the reasons).
    Cost(Box<ResourceCost>),
    /// A managed resource of a type this tool does not price.
    NotPriceable,
    /// Not a managed resource change (data source, read, malformed entry).
    Ignored,
}

/// The kinds of resource this tool knows how to price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Oppie,
    AwsInstance,
    GoogleInstance,
    AzureLinuxVm,
    AwsDisk,
    GoogleDisk,
    AzureDisk,
    AwsBucket,
    GoogleBucket,
    AzureStorage,
}

fn kind_of(resource_type: &str) -> Option<Kind> {
    Some(match resource_type {
        t if t.starts_with("oppie_") => Kind::Oppie,
        "aws_instance" => Kind::AwsInstance,
        "google_compute_instance" => Kind::GoogleInstance,
        "azurerm_linux_virtual_machine" => Kind::AzureLinuxVm,
        "aws_ebs_volume" => Kind::AwsDisk,
        "google_compute_disk" => Kind::GoogleDisk,
        "azurerm_managed_disk" => Kind::AzureDisk,
        "aws_s3_bucket" => Kind::AwsBucket,
        "google_storage_bucket" => Kind::GoogleBucket,
        "azurerm_storage_account" => Kind::AzureStorage,
        _ => return None,
    })
}

/// One side priced, or why not.
#[derive(Debug)]
enum SideResult {
    Priced { priced: Priced, status: Status },
    Unknown(String),
    Unpriced(String),
}

/// Where a side is: cloud and native region, when found.
#[derive(Debug, Default, Clone)]
struct Place {
    cloud: Option<Cloud>,
    region: Option<String>,
}

struct Priceable<'a> {
    address: &'a str,
    resource_type: &'a str,
    kind: Kind,
    context: &'a PlanContext,
}

/// One side of the change, priced, with where it is.
struct PricedSide {
    priced: Option<Priced>,
    place: Place,
    environment: Option<String>,
}

/// Prices the resource change `rc` (an entry of `resource_changes`, or a state resource wrapped
/// as a no-op change).
pub(crate) fn price_change(rc: &Value, context: &PlanContext) -> Outcome {
    let (Some(address), Some(resource_type)) = (rc["address"].as_str(), rc["type"].as_str()) else {
        return Outcome::Ignored;
    };
    if rc["mode"].as_str().is_some_and(|m| m != "managed") {
        return Outcome::Ignored;
    }
    let actions: Vec<String> = rc["change"]["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect();
    if actions.is_empty() || actions.iter().all(|a| a == "read") {
        return Outcome::Ignored;
    }
    let Some(kind) = kind_of(resource_type) else {
        return Outcome::NotPriceable;
    };
    let has = |a: &str| actions.iter().any(|x| x == a);
    let has_before = has("delete") || has("update") || has("no-op");
    let has_after = has("create") || has("update") || has("no-op");
    let change = &rc["change"];
    let before = Side { values: &change["before"], unknown: &Value::Null };
    let after = Side { values: &change["after"], unknown: &change["after_unknown"] };
    let job = Priceable { address, resource_type, kind, context };
    let mut notes = Vec::new();
    let mut status = Status::Priced;
    let mut run = |side: Side<'_>, label: &str, exists: bool| -> Option<PricedSide> {
        if !exists {
            return None;
        }
        let mut place = Place::default();
        let mut side_notes = Vec::new();
        let result = job.price(side, &mut place, &mut side_notes);
        for note in side_notes {
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
        let priced = match result {
            SideResult::Priced { priced, status: s } => {
                status = status.worst(s);
                Some(priced)
            }
            SideResult::Unknown(why) => {
                status = status.worst(Status::Unknown);
                notes.push(format!("{label}: {why}"));
                None
            }
            SideResult::Unpriced(why) => {
                status = status.worst(Status::Unpriced);
                notes.push(format!("{label}: {why}"));
                None
            }
        };
        Some(PricedSide { priced, place, environment: environment(side.values) })
    };
    let before_side = run(before, "before", has_before);
    let after_side = run(after, "after", has_after);
    let complete = before_side.as_ref().is_none_or(|s| s.priced.is_some())
        && after_side.as_ref().is_none_or(|s| s.priced.is_some());
    let monthly = |side: &Option<PricedSide>| {
        side.as_ref().and_then(|s| s.priced.as_ref()).map_or(Decimal::ZERO, |p| p.monthly_usd)
    };
    let delta = complete.then(|| monthly(&after_side) - monthly(&before_side));
    // The row shows the after side (the before side of a delete); the before side is booked
    // elsewhere when it was on another cloud, region or environment.
    let location = |side: &PricedSide| Location {
        cloud: side.place.cloud.map(|c| c.key().to_string()),
        region: side.place.region.clone(),
        environment: side.environment.clone(),
    };
    let shown = after_side.as_ref().or(before_side.as_ref()).map(location).unwrap_or_default();
    let before_location = before_side.as_ref().map(location).filter(|l| *l != shown);
    let placed = kind != Kind::Oppie || pricing::kind(resource_type).is_none_or(|k| k.placed);
    Outcome::Cost(Box::new(ResourceCost {
        address: address.to_string(),
        resource_type: resource_type.to_string(),
        cloud: shown.cloud,
        region: shown.region,
        actions,
        environment: shown.environment,
        before_location,
        placed,
        before: before_side.and_then(|s| s.priced),
        after: after_side.and_then(|s| s.priced),
        delta,
        status,
        notes,
    }))
}

/// The `environment` tag or label: `tags`, `tags_all`, `labels`, `terraform_labels`,
/// `effective_labels`, key `environment` (any case).
pub(crate) fn environment(values: &Value) -> Option<String> {
    for attribute in ["tags", "tags_all", "labels", "terraform_labels", "effective_labels"] {
        let Some(map) = values[attribute].as_object() else { continue };
        let value = map
            .get("environment")
            .or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case("environment")).map(|(_, v)| v));
        if let Some(text) = value.and_then(Value::as_str).filter(|s| !s.is_empty()) {
            return Some(text.to_lowercase());
        }
    }
    None
}

fn rate_card(estimate: Estimate) -> Priced {
    Priced { monthly_usd: estimate.monthly_usd, breakdown: estimate.breakdown, origin: Origin::RateCard }
}

fn unknown(u: Unknown) -> SideResult {
    SideResult::Unknown(format!("{} is known only after apply", u.0))
}

/// An `oppie_*` attribute as the price model reads it.
fn attr(side: Side<'_>, name: &str) -> Attr {
    match side.get(&[K(name)]) {
        Field::Unknown => Attr::Unknown,
        Field::Absent => Attr::Unset,
        Field::Known(Value::String(s)) => Attr::Value(s.clone()),
        Field::Known(Value::Number(n)) => Attr::Value(n.to_string()),
        Field::Known(Value::Bool(b)) => Attr::Value(b.to_string()),
        Field::Known(_) => Attr::Unset,
    }
}

impl Priceable<'_> {
    fn price(&self, side: Side<'_>, place: &mut Place, notes: &mut Vec<String>) -> SideResult {
        if !side.values.is_object() {
            return SideResult::Unpriced("the plan holds no attribute values".into());
        }
        match self.kind {
            Kind::Oppie => self.oppie(side, place, notes),
            Kind::AwsInstance | Kind::GoogleInstance | Kind::AzureLinuxVm => self.instance(side, place, notes),
            Kind::AwsDisk | Kind::GoogleDisk | Kind::AzureDisk => self.disk(side, place, notes),
            Kind::AwsBucket | Kind::GoogleBucket | Kind::AzureStorage => self.usage_based(side, place, notes),
        }
    }

    /// The price model's figure and status; the plan's own `estimated_monthly_cost` (the
    /// provider's figure, shown in the plan) wins when present, the status and notes still come
    /// from the model, so a partial estimate stays partial here.
    fn oppie(&self, side: Side<'_>, place: &mut Place, notes: &mut Vec<String>) -> SideResult {
        let setting = |name: &str| self.context.provider_setting(self.address, "oppie", name);
        let defaults = Defaults { cloud: setting("default_cloud"), region: setting("default_region") };
        let quote = pricing::price(self.resource_type, &|name: &str| attr(side, name), &defaults);
        if let Some(p) = &quote.place {
            place.cloud = Some(p.cloud);
            place.region = Some(p.region.clone());
        }
        let from_plan = plan_figure(side);
        let (model, status) = match quote.outcome {
            Quoted::Priced(estimate) => {
                let status = if estimate.usage_based.is_empty() { Status::Priced } else { Status::UsageBased };
                notes.extend(estimate.usage_based.iter().cloned());
                (Some(estimate), status)
            }
            Quoted::Partial { estimate, missing } => {
                notes.extend(missing.into_iter().map(|m| format!("not included: {m}")));
                (Some(estimate), Status::Partial)
            }
            Quoted::Unknown(attribute) if from_plan.is_none() => {
                return SideResult::Unknown(format!("{attribute} is known only after apply"));
            }
            Quoted::Unpriced(why) if from_plan.is_none() => return SideResult::Unpriced(why),
            Quoted::Unknown(_) | Quoted::Unpriced(_) => (None, Status::Priced),
        };
        let priced = match (from_plan, model) {
            (Some(plan), model) => {
                match model {
                    Some(m) if m.monthly_usd != plan.monthly_usd => notes.push(format!(
                        "the plan's figure is {} USD; rate card {} gives {} (the provider's rate card is another version)",
                        plan.monthly_usd,
                        pricing::card().version,
                        m.monthly_usd
                    )),
                    Some(_) => {}
                    None => notes.push(format!(
                        "the plan's figure; rate card {} cannot price it",
                        pricing::card().version
                    )),
                }
                plan
            }
            (None, Some(model)) => rate_card(model),
            (None, None) => return SideResult::Unpriced("no figure".into()),
        };
        SideResult::Priced { priced, status }
    }

    /// AWS region: the resource's `region`, its availability zone or ARN, the provider
    /// configuration, else us-east-1 with a note.
    fn aws_region(&self, side: Side<'_>, notes: &mut Vec<String>) -> String {
        let text = |path: &[Step<'_>]| side.string(path).ok().flatten();
        if let Some(region) = text(&[K("region")]) {
            return region.to_string();
        }
        if let Some(region) = text(&[K("availability_zone")]).and_then(context::aws_region_of_zone) {
            return region;
        }
        if let Some(region) = text(&[K("arn")]).and_then(context::aws_region_of_arn) {
            return region;
        }
        if let Some(region) = self.context.provider_setting(self.address, "aws", "region") {
            return region.to_string();
        }
        notes.push("no region in the resource or the aws provider configuration: assumed us-east-1".into());
        "us-east-1".to_string()
    }

    /// Google region: the resource's zone or region, else the provider configuration.
    fn gcp_region(&self, side: Side<'_>) -> Result<String, SideResult> {
        let text = |path: &[Step<'_>]| side.string(path).ok().flatten();
        if let Some(region) = text(&[K("zone")]).and_then(context::gcp_region_of_zone) {
            return Ok(region);
        }
        if let Some(region) = text(&[K("region")]) {
            return Ok(last_segment(region).to_string());
        }
        if let Some(region) = self.context.provider_setting(self.address, "google", "region") {
            return Ok(region.to_string());
        }
        if let Some(region) =
            self.context.provider_setting(self.address, "google", "zone").and_then(context::gcp_region_of_zone)
        {
            return Ok(region);
        }
        Err(SideResult::Unpriced("no zone or region in the resource or the google provider configuration".into()))
    }

    fn azure_region(&self, side: Side<'_>) -> Result<String, SideResult> {
        match side.string(&[K("location")]) {
            Ok(Some(location)) => Ok(context::azure_location(location)),
            Ok(None) => Err(SideResult::Unpriced("no location".into())),
            Err(u) => Err(unknown(u)),
        }
    }

    fn instance(&self, side: Side<'_>, place: &mut Place, notes: &mut Vec<String>) -> SideResult {
        let (cloud, type_path, region, disk_paths): (Cloud, &[Step<'_>], Result<String, SideResult>, DiskPaths<'_>) =
            match self.kind {
                Kind::AwsInstance => (
                    Cloud::Aws,
                    &[K("instance_type")],
                    Ok(self.aws_region(side, notes)),
                    DiskPaths {
                        size: &[K("root_block_device"), I(0), K("volume_size")],
                        kind: &[K("root_block_device"), I(0), K("volume_type")],
                        what: "root_block_device volume_size",
                    },
                ),
                Kind::GoogleInstance => (
                    Cloud::Gcp,
                    &[K("machine_type")],
                    self.gcp_region(side),
                    DiskPaths {
                        size: &[K("boot_disk"), I(0), K("initialize_params"), I(0), K("size")],
                        kind: &[K("boot_disk"), I(0), K("initialize_params"), I(0), K("type")],
                        what: "boot_disk initialize_params size",
                    },
                ),
                _ => (
                    Cloud::Azure,
                    &[K("size")],
                    self.azure_region(side),
                    DiskPaths {
                        size: &[K("os_disk"), I(0), K("disk_size_gb")],
                        kind: &[K("os_disk"), I(0), K("storage_account_type")],
                        what: "os_disk disk_size_gb",
                    },
                ),
            };
        place.cloud = Some(cloud);
        let region = match region {
            Ok(region) => region,
            Err(result) => return result,
        };
        place.region = Some(region.clone());
        let instance_type = match side.string(type_path) {
            Ok(Some(t)) => last_segment(t).to_string(),
            Ok(None) => return SideResult::Unpriced("no instance type".into()),
            Err(u) => return unknown(u),
        };
        let compute = match pricing::estimate(
            cloud,
            &region,
            &Item::Instance { instance_type: &instance_type, disk_gb: Decimal::ZERO, disk_type: None },
        ) {
            Ok(estimate) => estimate,
            Err(e) => return SideResult::Unpriced(e.to_string()),
        };
        let mut priced = rate_card(compute);
        // The boot disk is priced when the plan shows its size; a disk the card cannot price,
        // or whose size the plan does not show, leaves the machine priced alone: partial.
        let missing = match side.decimal(disk_paths.size) {
            Ok(Some(gb)) => {
                let disk_type = side.string(disk_paths.kind).ok().flatten().map(last_segment);
                match pricing::estimate(cloud, &region, &Item::Disk { gb, disk_type }) {
                    Ok(disk) => {
                        priced.monthly_usd += disk.monthly_usd;
                        priced.breakdown.extend(disk.breakdown);
                        None
                    }
                    Err(e) => Some(format!("not included: boot disk: {e}")),
                }
            }
            Ok(None) => Some(format!("not included: boot disk: {} is not set (taken from the image)", disk_paths.what)),
            Err(u) => Some(format!("not included: boot disk: {} is known only after apply", u.0)),
        };
        let status = if missing.is_some() { Status::Partial } else { Status::Priced };
        notes.extend(missing);
        SideResult::Priced { priced, status }
    }

    fn disk(&self, side: Side<'_>, place: &mut Place, notes: &mut Vec<String>) -> SideResult {
        let (cloud, size_path, type_path, default_note, region): (Cloud, &[Step<'_>], &[Step<'_>], Option<&str>, _) =
            match self.kind {
                Kind::AwsDisk => (Cloud::Aws, &[K("size")], &[K("type")], None, Ok(self.aws_region(side, notes))),
                // Google's default disk type is pd-standard, not the card's default.
                Kind::GoogleDisk => {
                    (Cloud::Gcp, &[K("size")], &[K("type")], Some("pd-standard"), self.gcp_region(side))
                }
                _ => (Cloud::Azure, &[K("disk_size_gb")], &[K("storage_account_type")], None, self.azure_region(side)),
            };
        place.cloud = Some(cloud);
        let region = match region {
            Ok(region) => region,
            Err(result) => return result,
        };
        place.region = Some(region.clone());
        let gb = match side.decimal(size_path) {
            Ok(Some(gb)) => gb,
            Ok(None) => {
                return SideResult::Unpriced("no disk size in the plan (taken from an image or snapshot)".into());
            }
            Err(u) => return unknown(u),
        };
        let disk_type = match side.string(type_path) {
            Ok(Some(t)) => Some(last_segment(t)),
            Ok(None) => {
                if default_note.is_none() {
                    notes.push("disk type not set: priced as the rate card's default type".into());
                }
                default_note
            }
            Err(u) => return unknown(u),
        };
        match pricing::estimate(cloud, &region, &Item::Disk { gb, disk_type }) {
            Ok(estimate) => SideResult::Priced { priced: rate_card(estimate), status: Status::Priced },
            Err(e) => SideResult::Unpriced(e.to_string()),
        }
    }

    /// Native buckets: billed by stored data, which the plan does not show.
    fn usage_based(&self, side: Side<'_>, place: &mut Place, notes: &mut Vec<String>) -> SideResult {
        let (cloud, region) = match self.kind {
            Kind::AwsBucket => (Cloud::Aws, Some(self.aws_region(side, &mut Vec::new()))),
            Kind::GoogleBucket => (Cloud::Gcp, side.string(&[K("location")]).ok().flatten().map(|l| l.to_lowercase())),
            _ => (Cloud::Azure, side.string(&[K("location")]).ok().flatten().map(context::azure_location)),
        };
        place.cloud = Some(cloud);
        place.region = region;
        let note =
            "billed by stored data, which the plan does not show: 0 here (oppie_bucket takes expected_storage_gb)";
        if !notes.iter().any(|n| n == note) {
            notes.push(note.into());
        }
        SideResult::Priced {
            priced: Priced {
                monthly_usd: Decimal::ZERO,
                breakdown: BTreeMap::from([("storage".to_string(), Decimal::ZERO)]),
                origin: Origin::RateCard,
            },
            status: Status::UsageBased,
        }
    }
}

/// The plan's own `estimated_monthly_cost` and `cost_breakdown` of an `oppie_*` side, when known.
fn plan_figure(side: Side<'_>) -> Option<Priced> {
    let monthly_usd = side.decimal(&[K("estimated_monthly_cost")]).ok().flatten().filter(|m| *m >= Decimal::ZERO)?;
    let breakdown = match side.get(&[K("cost_breakdown")]) {
        Field::Known(Value::Object(map)) => map
            .iter()
            .filter_map(|(k, v)| match v {
                Value::Number(n) => money::parse(&n.to_string()).map(|n| (k.clone(), n)),
                _ => None,
            })
            .collect(),
        _ => BTreeMap::new(),
    };
    Some(Priced { monthly_usd, breakdown, origin: Origin::Plan })
}

/// Where an instance's boot disk size and type are.
struct DiskPaths<'a> {
    size: &'a [Step<'a>],
    kind: &'a [Step<'a>],
    what: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(text: &str) -> Decimal {
        money::parse(text).unwrap()
    }

    fn change(resource_type: &str, actions: &[&str], before: Value, after: Value, unknown: Value) -> Value {
        json!({
            "address": format!("{resource_type}.this"), "mode": "managed", "type": resource_type, "name": "this",
            "change": {"actions": actions, "before": before, "after": after, "after_unknown": unknown}
        })
    }

    fn cost(rc: &Value, context: &PlanContext) -> ResourceCost {
        match price_change(rc, context) {
            Outcome::Cost(c) => *c,
            other => panic!("expected a cost, got {other:?}"),
        }
    }

    #[test]
    fn oppie_instance_prefers_the_plans_figure_and_computes_otherwise() {
        let ctx = PlanContext::default();
        let planned = json!({"cloud": "aws", "region": "us-east", "size": "s", "disk_gb": 20,
            "estimated_monthly_cost": 16.78, "cost_breakdown": {"compute": 15.18, "disk": 1.6}, "tags": {"environment": "Prod"}});
        let c = cost(&change("oppie_instance", &["create"], Value::Null, planned, json!({})), &ctx);
        let after = c.after.unwrap();
        assert_eq!(after.origin, Origin::Plan);
        assert_eq!(after.monthly_usd, d("16.78"));
        assert_eq!(c.environment.as_deref(), Some("prod"));
        assert_eq!((c.cloud.as_deref(), c.region.as_deref()), (Some("aws"), Some("us-east-1")));
        assert_eq!(c.delta, Some(d("16.78")));

        let computed = json!({"cloud": "gcp", "region": "eu-central", "size": "m", "disk_gb": 10});
        let c = cost(
            &change("oppie_instance", &["create"], Value::Null, computed, json!({"estimated_monthly_cost": true})),
            &ctx,
        );
        let after = c.after.unwrap();
        assert_eq!(after.origin, Origin::RateCard);
        assert_eq!(after.breakdown["disk"], d("1.2"));
        assert_eq!(c.region.as_deref(), Some("europe-west3"));
    }

    #[test]
    fn a_component_the_card_lacks_keeps_the_plans_figure_partial() {
        // The provider priced the disk alone (the card has no Standard_D8s_v5): the plan carries
        // that figure, and the report says it is partial, as the plan's warning did.
        let ctx = PlanContext::default();
        let planned = json!({"cloud": "azure", "region": "eu-west", "size": "Standard_D8s_v5", "disk_gb": 30,
            "estimated_monthly_cost": 2.4, "cost_breakdown": {"disk": 2.4}});
        let c = cost(&change("oppie_instance", &["create"], Value::Null, planned, json!({})), &ctx);
        assert_eq!(c.status, Status::Partial);
        assert_eq!(c.after.as_ref().unwrap().origin, Origin::Plan);
        assert!(
            c.notes.iter().any(|n| n.starts_with("not included: compute:") && n.contains("Standard_D8s_v5")),
            "{:?}",
            c.notes
        );
    }

    #[test]
    fn a_replace_on_another_cloud_keeps_where_each_side_is() {
        let ctx = PlanContext::default();
        let before =
            json!({"cloud": "aws", "region": "us-east", "size": "s", "disk_gb": 20, "tags": {"environment": "dev"}});
        let after =
            json!({"cloud": "gcp", "region": "us-east", "size": "s", "disk_gb": 20, "tags": {"environment": "dev"}});
        let c = cost(&change("oppie_instance", &["delete", "create"], before, after, json!({})), &ctx);
        assert_eq!((c.cloud.as_deref(), c.region.as_deref()), (Some("gcp"), Some("us-east1")));
        let moved = c.before_location.unwrap();
        assert_eq!((moved.cloud.as_deref(), moved.region.as_deref()), (Some("aws"), Some("us-east-1")));
        assert_eq!(c.before.unwrap().monthly_usd, d("16.78"));
    }

    #[test]
    fn an_environment_is_free_and_nowhere() {
        let ctx = PlanContext::default();
        let c = cost(&change("oppie_environment", &["create"], Value::Null, json!({"name": "dev"}), json!({})), &ctx);
        assert_eq!((c.status, c.placed, c.cloud), (Status::Priced, false, None));
        assert_eq!(c.after.unwrap().monthly_usd, Decimal::ZERO);
    }

    #[test]
    fn oppie_defaults_come_from_the_provider_configuration() {
        let plan = json!({"configuration": {"provider_config": {"oppie": {"name": "oppie", "expressions": {
            "default_cloud": {"constant_value": "azure"}, "default_region": {"constant_value": "eu-west"}}}}}});
        let ctx = PlanContext::from_plan(&plan);
        let c = cost(&change("oppie_network", &["create"], Value::Null, json!({"name": "n"}), json!({})), &ctx);
        assert_eq!(c.region.as_deref(), Some("westeurope"));
        assert_eq!(c.after.unwrap().monthly_usd, d("0.0"));
        assert_eq!(c.status, Status::Priced);
    }

    #[test]
    fn unknown_inputs_never_guess() {
        let ctx = PlanContext::default();
        let c = cost(
            &change(
                "oppie_instance",
                &["create"],
                Value::Null,
                json!({"cloud": "aws", "region": "us-east"}),
                json!({"size": true}),
            ),
            &ctx,
        );
        assert_eq!(c.status, Status::Unknown);
        assert!(c.after.is_none() && c.delta.is_none());
        assert!(c.notes[0].contains("size is known only after apply"), "{:?}", c.notes);
    }

    #[test]
    fn native_instance_update_has_before_after_and_delta() {
        let plan = json!({"configuration": {"provider_config": {"aws": {"name": "aws", "expressions": {"region": {"constant_value": "eu-west-1"}}}}}});
        let ctx = PlanContext::from_plan(&plan);
        let before =
            json!({"instance_type": "t3.micro", "root_block_device": [{"volume_size": 8, "volume_type": "gp3"}]});
        let after =
            json!({"instance_type": "t3.large", "root_block_device": [{"volume_size": 8, "volume_type": "gp3"}]});
        let c = cost(&change("aws_instance", &["update"], before, after, json!({})), &ctx);
        assert_eq!(c.region.as_deref(), Some("eu-west-1"));
        let (b, a) = (c.before.unwrap(), c.after.unwrap());
        assert_eq!(b.breakdown["compute"], d("8.32")); // 0.0114 × 730
        assert_eq!(a.breakdown["compute"], d("66.58")); // 0.0912 × 730
        assert_eq!(a.breakdown["disk"], d("0.7")); // 8 × 0.088
        assert_eq!(c.delta, Some(a.monthly_usd - b.monthly_usd));
    }

    #[test]
    fn native_regions_from_zone_and_location_and_defaults() {
        let ctx = PlanContext::default();
        let c = cost(
            &change(
                "google_compute_instance",
                &["create"],
                Value::Null,
                json!({"machine_type": "e2-medium", "zone": "europe-west1-b", "labels": {"environment": "dev"},
                       "boot_disk": [{"initialize_params": [{"size": 20, "type": "pd-ssd"}]}]}),
                json!({}),
            ),
            &ctx,
        );
        assert_eq!(c.region.as_deref(), Some("europe-west1"));
        assert_eq!(c.after.as_ref().unwrap().breakdown["disk"], d("3.4"));
        assert_eq!(c.environment.as_deref(), Some("dev"));
        let c = cost(
            &change(
                "azurerm_linux_virtual_machine",
                &["delete"],
                json!({"size": "Standard_B2s", "location": "West Europe",
                "os_disk": [{"storage_account_type": "Premium_LRS"}]}),
                Value::Null,
                json!({}),
            ),
            &ctx,
        );
        assert_eq!(c.before.as_ref().unwrap().monthly_usd, d("35.04")); // 0.048 × 730
        assert_eq!(c.delta, Some(d("-35.04")));
        assert!(c.notes.iter().any(|n| n.contains("os_disk disk_size_gb is not set")), "{:?}", c.notes);
        let c = cost(
            &change("aws_instance", &["create"], Value::Null, json!({"instance_type": "t3.micro"}), json!({})),
            &ctx,
        );
        assert_eq!(c.region.as_deref(), Some("us-east-1"));
        assert!(c.notes.iter().any(|n| n.contains("assumed us-east-1")), "{:?}", c.notes);
    }

    #[test]
    fn unpriceable_and_usage_based() {
        let ctx = PlanContext::default();
        let c = cost(
            &change(
                "aws_instance",
                &["create"],
                Value::Null,
                json!({"instance_type": "x1e.32xlarge", "availability_zone": "eu-west-1a"}),
                json!({}),
            ),
            &ctx,
        );
        assert_eq!(c.status, Status::Unpriced);
        assert!(c.notes.iter().any(|n| n.contains("x1e.32xlarge")), "{:?}", c.notes);
        let c = cost(&change("aws_s3_bucket", &["create"], Value::Null, json!({"bucket": "b"}), json!({})), &ctx);
        assert_eq!(c.status, Status::UsageBased);
        assert_eq!(c.after.unwrap().monthly_usd, d("0.0"));
        assert!(matches!(
            price_change(&change("aws_vpc", &["create"], Value::Null, json!({}), json!({})), &ctx),
            Outcome::NotPriceable
        ));
        let mut data = change("aws_instance", &["read"], Value::Null, json!({}), json!({}));
        assert!(matches!(price_change(&data, &ctx), Outcome::Ignored));
        data["mode"] = json!("data");
        assert!(matches!(price_change(&data, &ctx), Outcome::Ignored));
        assert!(matches!(price_change(&json!("garbage"), &ctx), Outcome::Ignored));
    }

    #[test]
    fn disks_price_by_type_and_size() {
        let ctx = PlanContext::default();
        let c = cost(
            &change(
                "google_compute_disk",
                &["create"],
                Value::Null,
                json!({"size": 100, "zone": "us-east1-b"}),
                json!({}),
            ),
            &ctx,
        );
        assert_eq!(c.after.unwrap().monthly_usd, d("4.0")); // pd-standard 0.04
        let c = cost(
            &change(
                "aws_ebs_volume",
                &["create"],
                Value::Null,
                json!({"size": 50, "type": "gp3", "availability_zone": "us-west-2b"}),
                json!({}),
            ),
            &ctx,
        );
        assert_eq!(c.after.unwrap().monthly_usd, d("4.0")); // 50 × 0.08
        let c = cost(
            &change(
                "azurerm_managed_disk",
                &["create"],
                Value::Null,
                json!({"disk_size_gb": 100, "storage_account_type": "StandardSSD_LRS", "location": "westeurope"}),
                json!({}),
            ),
            &ctx,
        );
        assert_eq!(c.after.unwrap().monthly_usd, d("9.6"));
    }
}
