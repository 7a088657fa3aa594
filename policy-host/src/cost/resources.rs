//! Prices one resource change: `oppie_*` resources (the plan's own `estimated_monthly_cost`,
//! else the rate card) and native instances, disks and buckets of AWS, Google Cloud and Azure.

use std::collections::BTreeMap;

use oppie_catalog::Cloud;
use oppie_catalog::pricing::{self, Estimate, Item};
use serde_json::Value;

use super::context::{self, PlanContext};
use super::report::{Origin, Priced, ResourceCost, Status};
use super::values::{Side, Step, Unknown, last_segment};

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

/// Where a side is: cloud and native region, plus notes on how they were found.
#[derive(Debug, Default)]
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
    let mut place = Place::default();
    let mut status = Status::Priced;
    let mut run = |side: Side<'_>, label: &str, exists: bool| -> Option<Priced> {
        if !exists {
            return None;
        }
        let mut side_place = Place::default();
        let mut side_notes = Vec::new();
        let result = job.price(side, &mut side_place, &mut side_notes);
        if place.cloud.is_none() || label == "after" {
            if side_place.cloud.is_some() {
                place.cloud = side_place.cloud;
            }
            if side_place.region.is_some() {
                place.region = side_place.region;
            }
        }
        for note in side_notes {
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
        match result {
            SideResult::Priced { priced, status: s } => {
                if s == Status::UsageBased && status == Status::Priced {
                    status = Status::UsageBased;
                }
                Some(priced)
            }
            SideResult::Unknown(why) => {
                status = Status::Unknown;
                notes.push(format!("{label}: {why}"));
                None
            }
            SideResult::Unpriced(why) => {
                if status != Status::Unknown {
                    status = Status::Unpriced;
                }
                notes.push(format!("{label}: {why}"));
                None
            }
        }
    };
    let before_priced = run(before, "before", has_before);
    let after_priced = run(after, "after", has_after);
    let complete = (!has_before || before_priced.is_some()) && (!has_after || after_priced.is_some());
    let delta = complete.then(|| {
        pricing::round_cents(
            after_priced.as_ref().map_or(0.0, |p| p.monthly_usd)
                - before_priced.as_ref().map_or(0.0, |p| p.monthly_usd),
        )
    });
    let environment = environment(after.values).or_else(|| environment(before.values));
    Outcome::Cost(Box::new(ResourceCost {
        address: address.to_string(),
        resource_type: resource_type.to_string(),
        cloud: place.cloud.map(|c| c.key().to_string()),
        region: place.region,
        actions,
        environment,
        before: before_priced,
        after: after_priced,
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

    fn oppie(&self, side: Side<'_>, place: &mut Place, notes: &mut Vec<String>) -> SideResult {
        // Where the resource is, for the report, whether or not the plan carries the figure.
        let located = self.oppie_place(side);
        if let Ok((cloud, region)) = &located {
            place.cloud = Some(*cloud);
            place.region = Some(region.clone());
        }
        if let Ok(Some(monthly)) = side.number(&[K("estimated_monthly_cost")])
            && monthly >= 0.0
        {
            let breakdown = match side.get(&[K("cost_breakdown")]) {
                super::values::Field::Known(Value::Object(map)) => {
                    map.iter().filter_map(|(k, v)| v.as_f64().map(|n| (k.clone(), n))).collect()
                }
                _ => BTreeMap::new(),
            };
            return SideResult::Priced {
                priced: Priced { monthly_usd: monthly, breakdown, origin: Origin::Plan },
                status: Status::Priced,
            };
        }
        let (cloud, region) = match located {
            Ok(found) => found,
            Err(result) => return result,
        };
        let item_result = match self.resource_type {
            "oppie_environment" => {
                return SideResult::Priced {
                    priced: Priced { monthly_usd: 0.0, breakdown: BTreeMap::new(), origin: Origin::RateCard },
                    status: Status::Priced,
                };
            }
            "oppie_instance" => {
                let size = match side.string(&[K("size")]) {
                    Ok(Some(size)) => size,
                    Ok(None) => return SideResult::Unpriced("no size".into()),
                    Err(u) => return unknown(u),
                };
                let native = match oppie_catalog::get().cloud(cloud).size(cloud, size) {
                    Ok(native) => native,
                    Err(e) => return SideResult::Unpriced(e),
                };
                let disk_gb = match side.number(&[K("disk_gb")]) {
                    Ok(Some(gb)) => gb,
                    Ok(None) => {
                        notes.push("disk_gb is not set: the machine is priced without its disk".into());
                        0.0
                    }
                    Err(u) => return unknown(u),
                };
                pricing::estimate(cloud, &region, &Item::Instance { instance_type: &native, disk_gb, disk_type: None })
            }
            "oppie_bucket" => {
                let gb = match side.number(&[K("expected_storage_gb")]) {
                    Ok(Some(gb)) => gb,
                    Ok(None) => {
                        notes.push("expected_storage_gb is not set: storage priced at 0 GB".into());
                        0.0
                    }
                    Err(u) => return unknown(u),
                };
                pricing::estimate(cloud, &region, &Item::Bucket { storage_gb: gb, storage_class: "standard" })
            }
            "oppie_network" => pricing::estimate(cloud, &region, &Item::Network),
            "oppie_subnet" => pricing::estimate(cloud, &region, &Item::Subnet),
            "oppie_firewall" => pricing::estimate(cloud, &region, &Item::Firewall),
            other => return SideResult::Unpriced(format!("the rate card has no price model for {other} yet")),
        };
        match item_result {
            Ok(estimate) => SideResult::Priced { priced: rate_card(estimate), status: Status::Priced },
            Err(e) => SideResult::Unpriced(e.to_string()),
        }
    }

    /// Cloud and native region of an `oppie_*` resource: its own attributes, else the Oppie
    /// provider configuration's `default_cloud` / `default_region`.
    fn oppie_place(&self, side: Side<'_>) -> Result<(Cloud, String), SideResult> {
        let setting = |name: &str| self.context.provider_setting(self.address, "oppie", name).map(str::to_string);
        let cloud_text = match side.string(&[K("cloud")]) {
            Ok(Some(text)) => Some(text.to_string()),
            Ok(None) => setting("default_cloud"),
            Err(u) => return Err(unknown(u)),
        };
        let Some(cloud_text) = cloud_text else {
            return Err(SideResult::Unpriced("no cloud, here or in the provider's default_cloud".into()));
        };
        let Some(cloud) = Cloud::parse(&cloud_text) else {
            return Err(SideResult::Unpriced(format!("{cloud_text:?} is not a cloud (aws, gcp, azure)")));
        };
        let region_text = match side.string(&[K("region")]) {
            Ok(Some(text)) => Some(text.to_string()),
            Ok(None) => setting("default_region"),
            Err(u) => return Err(unknown(u)),
        };
        let Some(region_text) = region_text else {
            return Err(SideResult::Unpriced("no region, here or in the provider's default_region".into()));
        };
        let region = oppie_catalog::get().cloud(cloud).region(cloud, &region_text).map_err(SideResult::Unpriced)?;
        Ok((cloud, region))
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
            &Item::Instance { instance_type: &instance_type, disk_gb: 0.0, disk_type: None },
        ) {
            Ok(estimate) => estimate,
            Err(e) => return SideResult::Unpriced(e.to_string()),
        };
        let mut priced = rate_card(compute);
        // The boot disk is priced when the plan shows its size; a disk the card cannot price
        // leaves the machine priced alone, with a note.
        match side.number(disk_paths.size) {
            Ok(Some(gb)) => {
                let disk_type = side.string(disk_paths.kind).ok().flatten().map(last_segment);
                match pricing::estimate(cloud, &region, &Item::Disk { gb, disk_type }) {
                    Ok(disk) => {
                        priced.monthly_usd = pricing::round_cents(priced.monthly_usd + disk.monthly_usd);
                        priced.breakdown.extend(disk.breakdown);
                    }
                    Err(e) => notes.push(format!("boot disk not priced: {e}")),
                }
            }
            Ok(None) => {
                notes.push(format!("{} is not set (taken from the image): boot disk not priced", disk_paths.what))
            }
            Err(u) => notes.push(format!("{} is known only after apply: boot disk not priced", u.0)),
        }
        SideResult::Priced { priced, status: Status::Priced }
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
        let gb = match side.number(size_path) {
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
                monthly_usd: 0.0,
                breakdown: BTreeMap::from([("storage".to_string(), 0.0)]),
                origin: Origin::RateCard,
            },
            status: Status::UsageBased,
        }
    }
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
        assert_eq!(after.monthly_usd, 16.78);
        assert_eq!(c.environment.as_deref(), Some("prod"));
        assert_eq!((c.cloud.as_deref(), c.region.as_deref()), (Some("aws"), Some("us-east-1")));
        assert_eq!(c.delta, Some(16.78));

        let computed = json!({"cloud": "gcp", "region": "eu-central", "size": "m", "disk_gb": 10});
        let c = cost(
            &change("oppie_instance", &["create"], Value::Null, computed, json!({"estimated_monthly_cost": true})),
            &ctx,
        );
        let after = c.after.unwrap();
        assert_eq!(after.origin, Origin::RateCard);
        assert_eq!(after.breakdown["disk"], 1.2);
        assert_eq!(c.region.as_deref(), Some("europe-west3"));
    }

    #[test]
    fn oppie_defaults_come_from_the_provider_configuration() {
        let plan = json!({"configuration": {"provider_config": {"oppie": {"name": "oppie", "expressions": {
            "default_cloud": {"constant_value": "azure"}, "default_region": {"constant_value": "eu-west"}}}}}});
        let ctx = PlanContext::from_plan(&plan);
        let c = cost(&change("oppie_network", &["create"], Value::Null, json!({"name": "n"}), json!({})), &ctx);
        assert_eq!(c.region.as_deref(), Some("westeurope"));
        assert_eq!(c.after.unwrap().monthly_usd, 0.0);
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
        assert_eq!(b.breakdown["compute"], 8.32); // 0.0114 × 730
        assert_eq!(a.breakdown["compute"], 66.58); // 0.0912 × 730
        assert_eq!(a.breakdown["disk"], 0.7); // 8 × 0.088
        assert_eq!(c.delta, Some(pricing::round_cents(a.monthly_usd - b.monthly_usd)));
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
        assert_eq!(c.after.as_ref().unwrap().breakdown["disk"], 3.4);
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
        assert_eq!(c.before.as_ref().unwrap().monthly_usd, 35.04); // 0.048 × 730
        assert_eq!(c.delta, Some(-35.04));
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
        assert_eq!(c.after.unwrap().monthly_usd, 0.0);
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
        assert_eq!(c.after.unwrap().monthly_usd, 4.0); // pd-standard 0.04
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
        assert_eq!(c.after.unwrap().monthly_usd, 4.0); // 50 × 0.08
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
        assert_eq!(c.after.unwrap().monthly_usd, 9.6);
    }
}
