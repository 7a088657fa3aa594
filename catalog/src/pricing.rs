//! Monthly cost estimates from the rate card (`data/rates.json`): on-demand list prices per
//! cloud and native region, each with its public source and date, compiled in like the catalog.
//!
//! ```
//! use oppie_catalog::Cloud;
//! use oppie_catalog::pricing::{self, Item};
//!
//! let item = Item::Instance { instance_type: "t3.small", disk_gb: 20.0, disk_type: None };
//! let estimate = pricing::estimate(Cloud::Aws, "us-east-1", &item).unwrap();
//! assert_eq!(estimate.breakdown["compute"], 15.18); // 0.0208 USD/h × 730 h
//! assert_eq!(estimate.breakdown["disk"], 1.6); // 20 GB × 0.08 USD (gp3)
//! assert_eq!(estimate.monthly_usd, 16.78);
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::Cloud;

/// Hours in the month every estimate uses (the clouds' own convention: 24 × 365 / 12).
pub const HOURS_PER_MONTH: f64 = 730.0;

/// What is being priced, with cloud-native identifiers already resolved by the caller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Item<'a> {
    /// A virtual machine and its boot disk.
    Instance {
        /// Native machine type (`t3.small`, `e2-medium`, `Standard_B2s`).
        instance_type: &'a str,
        /// Boot disk size in GB; 0 prices the machine alone.
        disk_gb: f64,
        /// Native disk type; `None` means the cloud's default (gp3, pd-balanced, StandardSSD_LRS).
        disk_type: Option<&'a str>,
    },
    /// A block storage volume.
    Disk {
        /// Size in GB.
        gb: f64,
        /// Native disk type; `None` means the cloud's default.
        disk_type: Option<&'a str>,
    },
    /// An object storage bucket holding `storage_gb`.
    Bucket {
        /// Data stored, in GB.
        storage_gb: f64,
        /// `standard`, `cold` or `archive`.
        storage_class: &'a str,
    },
    /// A virtual network (free on all three clouds unless the card says otherwise).
    Network,
    /// A subnet (free on all three clouds unless the card says otherwise).
    Subnet,
    /// A firewall / security group (free on all three clouds unless the card says otherwise).
    Firewall,
}

/// A monthly estimate in USD.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The monthly total, rounded to cents (the sum of the breakdown).
    pub monthly_usd: f64,
    /// The total by component (`compute`, `disk`, `storage`, or a free item's reason), USD per
    /// month rounded to cents.
    pub breakdown: BTreeMap<String, f64>,
}

/// Why the rate card cannot price an item. Messages say what the card lacks.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PriceError {
    /// The card has no prices for the region on that cloud.
    #[error("rate card {card} has no {cloud} prices for region {region:?} (it prices {known})")]
    UnknownRegion {
        /// Card version.
        card: String,
        /// The cloud.
        cloud: Cloud,
        /// The native region asked for.
        region: String,
        /// The regions the card prices on that cloud.
        known: String,
    },
    /// The card has no hourly price for the machine type in the region.
    #[error(
        "rate card {card} has no price for {cloud} instance type {instance_type:?} in {region} (it prices {known})"
    )]
    UnknownInstanceType {
        /// Card version.
        card: String,
        /// The cloud.
        cloud: Cloud,
        /// The native region.
        region: String,
        /// The machine type asked for.
        instance_type: String,
        /// The types the card prices there.
        known: String,
    },
    /// The card has no per-GB price for the disk type in the region.
    #[error("rate card {card} has no price for {cloud} disk type {disk_type:?} in {region} (it prices {known})")]
    UnknownDiskType {
        /// Card version.
        card: String,
        /// The cloud.
        cloud: Cloud,
        /// The native region.
        region: String,
        /// The disk type asked for.
        disk_type: String,
        /// The disk types the card prices there (empty: none was sourced).
        known: String,
    },
    /// The card has no per-GB price for the bucket storage class in the region.
    #[error(
        "rate card {card} has no price for {cloud} bucket storage class {storage_class:?} in {region} (it prices {known})"
    )]
    UnknownStorageClass {
        /// Card version.
        card: String,
        /// The cloud.
        cloud: Cloud,
        /// The native region.
        region: String,
        /// The storage class asked for.
        storage_class: String,
        /// The classes the card prices there (empty: none was sourced).
        known: String,
    },
    /// A size or amount that cannot be priced (negative, NaN or infinite).
    #[error("cannot price {what} = {value}: expected a number of GB from 0 to {MAX_GB:e}")]
    InvalidQuantity {
        /// What the number is.
        what: &'static str,
        /// The number given.
        value: f64,
    },
}

/// One price with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// USD per hour (instances) or per GB-month (disks, buckets); 0 for free items.
    pub usd: f64,
    /// The public price page the figure belongs to.
    pub source: String,
    /// The date of the prices that were read (YYYY-MM-DD).
    pub date: String,
    /// Where the figure was read, when that was a copy of the provider's price feed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// How the figure was read or what it covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Disks billed per size tier: the tier sizes in GB (the disk is billed at the smallest
    /// tier that holds it, at `usd` per GB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billed_sizes_gb: Option<Vec<f64>>,
}

/// The whole rate card.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RateCard {
    /// Date-stamped version (the date the card was compiled).
    pub version: String,
    /// Currency of every figure (USD).
    pub currency: String,
    /// Hours in a month (730).
    pub hours_per_month: f64,
    /// What the card is.
    pub description: String,
    /// What each kind of figure means (units, classes, the meaning of `date`).
    pub conventions: BTreeMap<String, String>,
    /// Per cloud.
    pub clouds: BTreeMap<Cloud, CloudRates>,
}

/// One cloud's prices.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CloudRates {
    /// The disk type `disk_type: None` means.
    pub default_disk_type: String,
    /// Items free on this cloud (`network`, `subnet`, `firewall`), with why.
    pub free: BTreeMap<String, Figure>,
    /// Native region to prices.
    pub regions: BTreeMap<String, RegionRates>,
    /// What could not be sourced and is therefore left out.
    #[serde(default)]
    pub missing: Vec<String>,
}

/// One region's prices.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RegionRates {
    /// Machine type to USD per hour.
    #[serde(default)]
    pub instances: BTreeMap<String, Figure>,
    /// Disk type to USD per GB-month.
    #[serde(default)]
    pub disks: BTreeMap<String, Figure>,
    /// Storage class (`standard`, `cold`, `archive`) to USD per GB-month.
    #[serde(default)]
    pub buckets: BTreeMap<String, Figure>,
}

static CARD: LazyLock<RateCard> = LazyLock::new(|| {
    // Compiled in and checked by unit tests, so this cannot fail at run time.
    serde_json::from_str(include_str!("../data/rates.json"))
        .unwrap_or_else(|e| panic!("data/rates.json is invalid: {e}"))
});

/// The rate card (version, currency, every figure with its source and date).
pub fn card() -> &'static RateCard {
    &CARD
}

/// Prices one item on `cloud` in `native_region` (e.g. `us-east-1`, `europe-west3`, `westeurope`).
pub fn estimate(cloud: Cloud, native_region: &str, item: &Item<'_>) -> Result<Estimate, PriceError> {
    card().estimate(cloud, native_region, item)
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2} USD/month", self.monthly_usd)
    }
}

/// Rounds to cents; money is reported in cents, and sums of rounded parts stay exact enough.
pub fn round_cents(usd: f64) -> f64 {
    let cents = (usd * 100.0).round();
    if cents.is_finite() { cents / 100.0 } else { usd }
}

fn join_keys<V>(map: &BTreeMap<String, V>) -> String {
    if map.is_empty() {
        "none: no price was sourced".to_string()
    } else {
        map.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// The largest size priced, in GB (a zettabyte): anything above is a typo, not a plan.
pub const MAX_GB: f64 = 1e12;

fn quantity(what: &'static str, value: f64) -> Result<f64, PriceError> {
    if (0.0..=MAX_GB).contains(&value) { Ok(value) } else { Err(PriceError::InvalidQuantity { what, value }) }
}

impl RateCard {
    /// One cloud's prices (every cloud is present; a unit test checks it).
    pub fn cloud(&self, cloud: Cloud) -> Option<&CloudRates> {
        self.clouds.get(&cloud)
    }

    /// The prices of a native region, or what the card prices instead.
    pub fn region(&self, cloud: Cloud, native_region: &str) -> Result<&RegionRates, PriceError> {
        let rates = self.cloud(cloud);
        rates.and_then(|c| c.regions.get(native_region)).ok_or_else(|| PriceError::UnknownRegion {
            card: self.version.clone(),
            cloud,
            region: native_region.to_string(),
            known: rates.map(|c| join_keys(&c.regions)).unwrap_or_else(|| "no region".into()),
        })
    }

    /// The hourly price of a machine type.
    pub fn instance(&self, cloud: Cloud, native_region: &str, instance_type: &str) -> Result<&Figure, PriceError> {
        let region = self.region(cloud, native_region)?;
        region.instances.get(instance_type).ok_or_else(|| PriceError::UnknownInstanceType {
            card: self.version.clone(),
            cloud,
            region: native_region.to_string(),
            instance_type: instance_type.to_string(),
            known: join_keys(&region.instances),
        })
    }

    /// The per-GB-month price of a disk type (`None`: the cloud's default type).
    pub fn disk(&self, cloud: Cloud, native_region: &str, disk_type: Option<&str>) -> Result<&Figure, PriceError> {
        let region = self.region(cloud, native_region)?;
        let default = self.cloud(cloud).map(|c| c.default_disk_type.as_str()).unwrap_or_default();
        let wanted = disk_type.unwrap_or(default);
        // Terraform spells some types in other cases (gp3 vs GP3, Premium_LRS); match loosely.
        let found = region
            .disks
            .get(wanted)
            .or_else(|| region.disks.iter().find(|(k, _)| k.eq_ignore_ascii_case(wanted)).map(|(_, figure)| figure));
        found.ok_or_else(|| PriceError::UnknownDiskType {
            card: self.version.clone(),
            cloud,
            region: native_region.to_string(),
            disk_type: wanted.to_string(),
            known: join_keys(&region.disks),
        })
    }

    /// The per-GB-month price of a bucket storage class.
    pub fn bucket(&self, cloud: Cloud, native_region: &str, storage_class: &str) -> Result<&Figure, PriceError> {
        let region = self.region(cloud, native_region)?;
        region.buckets.get(storage_class).ok_or_else(|| PriceError::UnknownStorageClass {
            card: self.version.clone(),
            cloud,
            region: native_region.to_string(),
            storage_class: storage_class.to_string(),
            known: join_keys(&region.buckets),
        })
    }

    /// Prices one item; see [`estimate`].
    pub fn estimate(&self, cloud: Cloud, native_region: &str, item: &Item<'_>) -> Result<Estimate, PriceError> {
        let mut parts: Vec<(String, f64)> = Vec::new();
        match *item {
            Item::Instance { instance_type, disk_gb, disk_type } => {
                let disk_gb = quantity("disk_gb", disk_gb)?;
                let hourly = self.instance(cloud, native_region, instance_type)?;
                parts.push(("compute".into(), hourly.usd * self.hours_per_month));
                if disk_gb > 0.0 {
                    let disk = self.disk(cloud, native_region, disk_type)?;
                    parts.push(("disk".into(), disk_cost(disk, disk_gb)));
                }
            }
            Item::Disk { gb, disk_type } => {
                let gb = quantity("disk size", gb)?;
                let disk = self.disk(cloud, native_region, disk_type)?;
                parts.push(("disk".into(), disk_cost(disk, gb)));
            }
            Item::Bucket { storage_gb, storage_class } => {
                let gb = quantity("expected_storage_gb", storage_gb)?;
                // The region must be known even for an empty bucket, so a typo never prices as 0.
                let price = self.bucket(cloud, native_region, storage_class)?;
                parts.push(("storage".into(), price.usd * gb));
            }
            Item::Network | Item::Subnet | Item::Firewall => {
                self.region(cloud, native_region)?;
                let kind = match item {
                    Item::Network => "network",
                    Item::Subnet => "subnet",
                    _ => "firewall",
                };
                // Breakdown keys are plain component names (they show in plan output);
                // why a component is free is documented on the card's figure.
                let usd =
                    self.cloud(cloud).and_then(|c| c.free.get(kind)).map_or(0.0, |f| f.usd * self.hours_per_month);
                let label = kind.to_string();
                parts.push((label, usd));
            }
        }
        let breakdown: BTreeMap<String, f64> = parts.into_iter().map(|(k, v)| (k, round_cents(v))).collect();
        let monthly_usd = round_cents(breakdown.values().sum());
        Ok(Estimate { monthly_usd, breakdown })
    }
}

/// Disks billed per size tier cost the smallest tier that holds them; others cost per GB.
fn disk_cost(figure: &Figure, gb: f64) -> f64 {
    let billed = figure
        .billed_sizes_gb
        .as_ref()
        .and_then(|tiers| tiers.iter().copied().filter(|t| *t >= gb).reduce(f64::min))
        .unwrap_or(gb);
    figure.usd * billed
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn is_date(s: &str) -> bool {
        let b = s.as_bytes();
        b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && s.chars().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    }

    fn figures() -> Vec<(String, &'static Figure)> {
        let mut out = Vec::new();
        for (cloud, rates) in &card().clouds {
            for (k, f) in &rates.free {
                out.push((format!("{cloud} free {k}"), f));
            }
            for (region, r) in &rates.regions {
                for (kind, map) in [("instance", &r.instances), ("disk", &r.disks), ("bucket", &r.buckets)] {
                    for (k, f) in map {
                        out.push((format!("{cloud} {region} {kind} {k}"), f));
                    }
                }
            }
        }
        out
    }

    #[test]
    fn card_parses_and_covers_every_cloud() {
        let card = card();
        assert_eq!(card.currency, "USD");
        assert_eq!(card.hours_per_month, HOURS_PER_MONTH);
        assert!(is_date(&card.version), "{}", card.version);
        for cloud in Cloud::ALL {
            assert!(card.cloud(cloud).is_some(), "{cloud}");
        }
    }

    #[test]
    fn every_figure_has_a_public_source_and_a_date() {
        let all = figures();
        assert!(all.len() > 150, "{}", all.len());
        for (what, f) in all {
            assert!(f.source.starts_with("https://"), "{what}: source {:?}", f.source);
            assert!(f.via.as_deref().is_none_or(|v| v.starts_with("https://")), "{what}: via {:?}", f.via);
            assert!(is_date(&f.date) && f.date.as_str() <= card().version.as_str(), "{what}: date {:?}", f.date);
            assert!(f.usd.is_finite() && f.usd >= 0.0, "{what}: {}", f.usd);
            if !what.contains(" free ") {
                assert!(f.usd > 0.0 && f.usd < 10.0, "{what}: implausible {}", f.usd);
            }
        }
    }

    /// Every catalog size on every cloud is priced in every catalog region, except what the
    /// card itself declares missing: gaps are documented, never silent.
    #[test]
    fn catalog_sizes_are_priced_or_declared_missing() {
        let catalog = crate::get();
        for cloud in Cloud::ALL {
            let cat = catalog.cloud(cloud);
            let rates = card().cloud(cloud).unwrap();
            for region in cat.regions.values() {
                for size in cat.sizes.values() {
                    if card().instance(cloud, &region.native, &size.native).is_ok() {
                        continue;
                    }
                    let declared = rates.missing.iter().any(|m| {
                        m == &format!("instance {} in {}", size.native, region.native)
                            || m.starts_with(&format!("every price in {} ", region.native))
                    });
                    assert!(
                        declared,
                        "{cloud} {} in {} is neither priced nor declared missing",
                        size.native, region.native
                    );
                }
            }
        }
        // And nothing is declared missing that is in fact priced.
        for cloud in Cloud::ALL {
            for m in &card().cloud(cloud).unwrap().missing {
                if let Some(rest) = m.strip_prefix("instance ") {
                    let (ty, region) = rest.split_once(" in ").unwrap();
                    assert!(card().instance(cloud, region, ty).is_err(), "{cloud}: {m} but it is priced");
                }
            }
        }
    }

    #[test]
    fn instance_prices_compute_and_boot_disk() {
        let e = estimate(
            Cloud::Gcp,
            "europe-west3",
            &Item::Instance { instance_type: "e2-medium", disk_gb: 10.0, disk_type: None },
        )
        .unwrap();
        let hourly = card().instance(Cloud::Gcp, "europe-west3", "e2-medium").unwrap().usd;
        assert_eq!(e.breakdown["compute"], round_cents(hourly * 730.0));
        assert_eq!(e.breakdown["disk"], 1.2); // pd-balanced 0.12 USD/GB in Frankfurt
        assert_eq!(e.monthly_usd, round_cents(e.breakdown["compute"] + 1.2));
        // No disk size: the machine alone.
        let alone = estimate(
            Cloud::Aws,
            "eu-central-1",
            &Item::Instance { instance_type: "t3.large", disk_gb: 0.0, disk_type: None },
        )
        .unwrap();
        assert_eq!(alone.breakdown.keys().collect::<Vec<_>>(), vec!["compute"]);
        assert_eq!(alone.monthly_usd, 70.08); // 0.096 × 730
    }

    #[test]
    fn azure_disks_bill_the_size_tier() {
        let e = estimate(Cloud::Azure, "westeurope", &Item::Disk { gb: 100.0, disk_type: None }).unwrap();
        assert_eq!(e.breakdown["disk"], 9.6); // E10: 128 GiB × 0.075
        let e = estimate(Cloud::Azure, "westeurope", &Item::Disk { gb: 128.0, disk_type: Some("standardssd_lrs") })
            .unwrap();
        assert_eq!(e.monthly_usd, 9.6);
    }

    #[test]
    fn buckets_price_by_class_and_size() {
        let e =
            estimate(Cloud::Aws, "us-east-1", &Item::Bucket { storage_gb: 1000.0, storage_class: "standard" }).unwrap();
        assert_eq!(e.breakdown["storage"], 23.0);
        let e =
            estimate(Cloud::Gcp, "us-east1", &Item::Bucket { storage_gb: 1000.0, storage_class: "archive" }).unwrap();
        assert_eq!(e.monthly_usd, 1.2);
        let empty = estimate(Cloud::Gcp, "us-east1", &Item::Bucket { storage_gb: 0.0, storage_class: "cold" }).unwrap();
        assert_eq!(empty.monthly_usd, 0.0);
    }

    #[test]
    fn network_items_are_free_under_their_own_name() {
        for cloud in Cloud::ALL {
            let region = card().cloud(cloud).unwrap().regions.keys().next().unwrap();
            for (item, kind) in [(Item::Network, "network"), (Item::Subnet, "subnet"), (Item::Firewall, "firewall")] {
                let e = estimate(cloud, region, &item).unwrap();
                assert_eq!(e.monthly_usd, 0.0);
                let (key, value) = e.breakdown.iter().next().unwrap();
                assert_eq!(key, kind, "{cloud}");
                assert_eq!(*value, 0.0);
            }
        }
    }

    #[test]
    fn errors_say_what_the_card_lacks() {
        let err = estimate(Cloud::Aws, "mars-1", &Item::Network).unwrap_err();
        assert!(matches!(err, PriceError::UnknownRegion { .. }));
        assert!(err.to_string().contains("us-east-1"), "{err}");
        let err = estimate(
            Cloud::Aws,
            "us-east-1",
            &Item::Instance { instance_type: "x9.huge", disk_gb: 0.0, disk_type: None },
        )
        .unwrap_err();
        assert!(err.to_string().contains("\"x9.huge\"") && err.to_string().contains("t3.micro"), "{err}");
        let err = estimate(Cloud::Aws, "us-east-1", &Item::Disk { gb: 10.0, disk_type: Some("io2") }).unwrap_err();
        assert!(err.to_string().contains("io2") && err.to_string().contains("gp3"), "{err}");
        let err = estimate(Cloud::Aws, "eu-central-1", &Item::Bucket { storage_gb: 1.0, storage_class: "archive" })
            .unwrap_err();
        assert!(err.to_string().contains("archive") && err.to_string().contains("standard"), "{err}");
        let err = estimate(Cloud::Azure, "eastus", &Item::Disk { gb: 10.0, disk_type: None }).unwrap_err();
        assert!(err.to_string().contains("none: no price was sourced"), "{err}");
        let err = estimate(Cloud::Aws, "us-east-1", &Item::Disk { gb: -1.0, disk_type: None }).unwrap_err();
        assert!(matches!(err, PriceError::InvalidQuantity { .. }), "{err}");
    }

    proptest! {
        #[test]
        fn estimates_never_panic_and_add_up(
            cloud in prop::sample::select(Cloud::ALL.to_vec()),
            region in "[a-z0-9-]{0,20}",
            name in "[A-Za-z0-9_.-]{0,20}",
            gb in prop::num::f64::ANY,
            kind in 0u8..6,
        ) {
            let region = card().cloud(cloud).unwrap().regions.keys().find(|r| r.starts_with(&region)).cloned().unwrap_or(region);
            let item = match kind {
                0 => Item::Instance { instance_type: &name, disk_gb: gb, disk_type: None },
                1 => Item::Disk { gb, disk_type: Some(&name) },
                2 => Item::Bucket { storage_gb: gb, storage_class: &name },
                3 => Item::Network,
                4 => Item::Subnet,
                _ => Item::Firewall,
            };
            if let Ok(e) = estimate(cloud, &region, &item) {
                prop_assert!(e.monthly_usd.is_finite() && e.monthly_usd >= 0.0);
                prop_assert!((e.monthly_usd - round_cents(e.breakdown.values().sum())).abs() < 1e-9);
            }
        }
    }
}
