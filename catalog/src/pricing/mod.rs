//! Monthly cost estimates from the rate card (`data/rates.json`): on-demand list prices per
//! cloud and native region, each with its public source and date, compiled in like the catalog.
//!
//! Two entry points: [`price`] prices an `oppie_*` resource from its neutral attributes (the
//! provider's `estimated_monthly_cost` and `oppie-policy cost` both call it, see [`kinds`]);
//! [`estimate`] prices a native item (an `aws_instance`'s machine type, a managed disk).
//! Money is an exact [`Decimal`], rounded to cents per component.
//!
//! ```
//! use oppie_catalog::Cloud;
//! use oppie_catalog::pricing::{self, Item, money};
//!
//! let gb = money::parse("20").unwrap();
//! let item = Item::Instance { instance_type: "t3.small", disk_gb: gb, disk_type: None };
//! let estimate = pricing::estimate(Cloud::Aws, "us-east-1", &item).unwrap();
//! assert_eq!(estimate.breakdown["compute"].to_string(), "15.18"); // 0.0208 USD/h × 730 h
//! assert_eq!(estimate.breakdown["disk"].to_string(), "1.6"); // 20 GB × 0.08 USD (gp3)
//! assert_eq!(estimate.monthly_usd.to_string(), "16.78");
//! ```

mod card;
pub mod kinds;
pub mod money;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use serde::Serialize;

pub use card::{CloudRates, Figure, MAX_QUANTITY, PriceError, RateCard, RegionRates, Table, Unit};
pub use kinds::{Attr, Defaults, KINDS, Kind, Outcome, Place, Quote, kind, price};
pub use money::Decimal;

use crate::Cloud;

/// Hours in the month every estimate uses (the clouds' own convention: 24 × 365 / 12).
pub const HOURS_PER_MONTH: u32 = 730;

/// A native item to price, with cloud-native identifiers already resolved by the caller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Item<'a> {
    /// A virtual machine and its boot disk.
    Instance {
        /// Native machine type (`t3.small`, `e2-medium`, `Standard_B2s`).
        instance_type: &'a str,
        /// Boot disk size in GB; 0 prices the machine alone.
        disk_gb: Decimal,
        /// Native disk type; `None` means the cloud's default (gp3, pd-balanced, StandardSSD_LRS).
        disk_type: Option<&'a str>,
    },
    /// A block storage volume.
    Disk {
        /// Size in GB.
        gb: Decimal,
        /// Native disk type; `None` means the cloud's default.
        disk_type: Option<&'a str>,
    },
    /// An object storage bucket holding `storage_gb`.
    Bucket {
        /// Data stored, in GB.
        storage_gb: Decimal,
        /// `standard`, `cold` or `archive`.
        storage_class: &'a str,
    },
}

/// A monthly estimate in USD, exact to the cent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Estimate {
    /// The monthly total: the sum of the breakdown.
    #[serde(with = "money::number")]
    pub monthly_usd: Decimal,
    /// USD per month by component (`compute`, `disk`, `storage`, `network`), each rounded to cents.
    #[serde(with = "money::map")]
    pub breakdown: BTreeMap<String, Decimal>,
    /// Components billed by use that no attribute estimates (priced at 0), with why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub usage_based: Vec<String>,
}

static CARD: LazyLock<RateCard> = LazyLock::new(|| {
    // Compiled in and checked by unit tests, so this cannot fail at run time.
    serde_json::from_str(include_str!("../../data/rates.json"))
        .unwrap_or_else(|e| panic!("data/rates.json is invalid: {e}"))
});

/// The rate card (version, currency, every figure with its source and date).
pub fn card() -> &'static RateCard {
    &CARD
}

/// Prices one native item on `cloud` in `native_region` (e.g. `us-east-1`, `europe-west3`, `westeurope`).
pub fn estimate(cloud: Cloud, native_region: &str, item: &Item<'_>) -> Result<Estimate, PriceError> {
    card().estimate(cloud, native_region, item)
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2} USD/month", self.monthly_usd)
    }
}

impl RateCard {
    /// Prices one native item; see [`estimate`].
    pub fn estimate(&self, cloud: Cloud, native_region: &str, item: &Item<'_>) -> Result<Estimate, PriceError> {
        let gb = |what: &str, gb: Decimal| card::quantity(what, &gb.to_string());
        let mut breakdown = BTreeMap::new();
        let mut part = |name: &str, table: &str, figure: &Figure, quantity: Decimal| {
            breakdown.insert(name.to_string(), money::cents(self.monthly(table, figure, quantity)));
        };
        match *item {
            Item::Instance { instance_type, disk_gb, disk_type } => {
                let disk_gb = gb("disk_gb", disk_gb)?;
                part("compute", "instances", self.instance(cloud, native_region, instance_type)?, Decimal::ONE);
                if disk_gb > Decimal::ZERO {
                    part("disk", "disks", self.disk(cloud, native_region, disk_type)?, disk_gb);
                }
            }
            Item::Disk { gb: size, disk_type } => {
                let size = gb("disk size", size)?;
                part("disk", "disks", self.disk(cloud, native_region, disk_type)?, size);
            }
            Item::Bucket { storage_gb, storage_class } => {
                let stored = gb("expected_storage_gb", storage_gb)?;
                // The region must be known even for an empty bucket, so a typo never prices as 0.
                part("storage", "buckets", self.bucket(cloud, native_region, storage_class)?, stored);
            }
        }
        let monthly_usd = money::sum(breakdown.values());
        Ok(Estimate { monthly_usd, breakdown, usage_based: Vec::new() })
    }
}

#[cfg(test)]
mod tests;
