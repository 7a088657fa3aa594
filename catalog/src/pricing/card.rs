//! The rate card (`data/rates.json`): what each table of rates means, and one cloud's rates
//! per native region, each figure with its public source and date. Lookups say what is missing.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::money::{self, Decimal};
use crate::Cloud;

/// The whole rate card.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RateCard {
    /// Date-stamped version (the date the card was compiled).
    pub version: String,
    /// Currency of every figure (USD).
    pub currency: String,
    /// Hours in a month (730).
    pub hours_per_month: u32,
    /// What the card is.
    pub description: String,
    /// What each kind of figure means (units, classes, the meaning of `date`).
    pub conventions: BTreeMap<String, String>,
    /// Table name (`instances`, `disks`, `buckets`, `free`, ...) to what its figures are.
    pub tables: BTreeMap<String, Table>,
    /// Per cloud.
    pub clouds: BTreeMap<Cloud, CloudRates>,
}

/// What the figures of one table price, and per what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// What a key of the table names, for messages (`instance type`, `disk type`).
    pub item: String,
    /// What one figure is per.
    pub unit: Unit,
}

/// The unit of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unit {
    /// USD per hour; a month is [`RateCard::hours_per_month`] hours.
    Hour,
    /// USD per GB per month.
    GbMonth,
    /// USD per month.
    Month,
}

/// One cloud's prices.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CloudRates {
    /// Table name to the key meant when none is given (`disks`: the default disk type).
    pub defaults: BTreeMap<String, String>,
    /// Tables priced the same in every region (`free`: network, subnet, firewall, with why).
    pub all_regions: BTreeMap<String, BTreeMap<String, Figure>>,
    /// Native region to its tables.
    pub regions: BTreeMap<String, RegionRates>,
    /// What could not be sourced and is therefore left out.
    #[serde(default)]
    pub missing: Vec<String>,
}

/// One region's prices: table name to key to figure.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RegionRates {
    /// `instances` (machine type to USD per hour), `disks` (disk type to USD per GB-month),
    /// `buckets` (`standard`, `cold`, `archive` to USD per GB-month), and what new kinds add.
    #[serde(flatten)]
    pub tables: BTreeMap<String, BTreeMap<String, Figure>>,
}

/// One price with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// USD per the table's unit; 0 for free items.
    #[serde(with = "money::number")]
    pub usd: Decimal,
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
    /// Items billed per size tier: the tier sizes in GB (billed at the smallest tier that holds
    /// the quantity, at `usd` per GB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billed_sizes_gb: Option<Vec<u64>>,
    /// Usage free up to this multiple of another quantity (backup storage free up to 100 % of
    /// the provisioned storage: 1).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "money::option")]
    pub free_ratio: Option<Decimal>,
}

/// Why the rate card cannot price something. Messages say what the card lacks.
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
    /// The card has no figure for the key in the region's table.
    #[error("rate card {card} has no price for {cloud} {item} {key:?} in {region} (it prices {known})")]
    UnknownRate {
        /// Card version.
        card: String,
        /// The cloud.
        cloud: Cloud,
        /// The native region.
        region: String,
        /// What the key names (`instance type`, `disk type`, `bucket storage class`).
        item: String,
        /// The key asked for.
        key: String,
        /// The keys the card prices there (`none: no price was sourced` when empty).
        known: String,
    },
    /// A size or amount that cannot be priced (negative, not a number, or absurdly large).
    #[error("cannot price {what} = {value}: expected a number from 0 to {MAX_QUANTITY}")]
    InvalidQuantity {
        /// What the number is.
        what: String,
        /// The number given.
        value: String,
    },
}

/// The largest quantity priced (GB, hours, count): a zettabyte of storage is a typo, not a plan.
pub const MAX_QUANTITY: u64 = 1_000_000_000_000;

/// A quantity from 0 to [`MAX_QUANTITY`].
pub(crate) fn quantity(what: &str, value: &str) -> Result<Decimal, PriceError> {
    money::parse(value)
        .filter(|q| *q >= Decimal::ZERO && *q <= Decimal::from(MAX_QUANTITY))
        .ok_or_else(|| PriceError::InvalidQuantity { what: what.to_string(), value: value.to_string() })
}

pub(crate) fn join_keys<V>(map: Option<&BTreeMap<String, V>>) -> String {
    match map {
        Some(map) if !map.is_empty() => map.keys().cloned().collect::<Vec<_>>().join(", "),
        _ => "none: no price was sourced".to_string(),
    }
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
            known: join_keys(rates.map(|c| &c.regions)),
        })
    }

    /// What a table's keys name and its unit (`None` for a table the card does not describe).
    pub fn table(&self, table: &str) -> Option<&Table> {
        self.tables.get(table)
    }

    /// The key of `table` meant when none is given (the default disk type).
    pub fn default_key(&self, cloud: Cloud, table: &str) -> Option<&str> {
        self.cloud(cloud).and_then(|c| c.defaults.get(table)).map(String::as_str)
    }

    /// The figure for `key` in `table` of a region: the region's own, else the cloud's
    /// every-region table. Keys match exactly, else ignoring ASCII case (Terraform spells
    /// some disk types in other cases: gp3 vs GP3, Premium_LRS vs premium_lrs).
    pub fn rate(&self, cloud: Cloud, native_region: &str, table: &str, key: &str) -> Result<&Figure, PriceError> {
        let region = self.region(cloud, native_region)?;
        let everywhere = self.cloud(cloud).and_then(|c| c.all_regions.get(table));
        let tables = [region.tables.get(table), everywhere];
        fn find<'m>(map: &'m BTreeMap<String, Figure>, key: &str) -> Option<&'m Figure> {
            map.get(key).or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, f)| f))
        }
        tables.into_iter().flatten().find_map(|map| find(map, key)).ok_or_else(|| PriceError::UnknownRate {
            card: self.version.clone(),
            cloud,
            region: native_region.to_string(),
            item: self.table(table).map_or_else(|| format!("{table} item"), |t| t.item.clone()),
            key: key.to_string(),
            known: join_keys(tables.into_iter().flatten().find(|m| !m.is_empty())),
        })
    }

    /// The hourly price of a machine type.
    pub fn instance(&self, cloud: Cloud, native_region: &str, instance_type: &str) -> Result<&Figure, PriceError> {
        self.rate(cloud, native_region, "instances", instance_type)
    }

    /// The per-GB-month price of a disk type (`None`: the cloud's default type).
    pub fn disk(&self, cloud: Cloud, native_region: &str, disk_type: Option<&str>) -> Result<&Figure, PriceError> {
        let wanted = disk_type.or_else(|| self.default_key(cloud, "disks")).unwrap_or_default();
        self.rate(cloud, native_region, "disks", wanted)
    }

    /// The per-GB-month price of a bucket storage class.
    pub fn bucket(&self, cloud: Cloud, native_region: &str, storage_class: &str) -> Result<&Figure, PriceError> {
        self.rate(cloud, native_region, "buckets", storage_class)
    }

    /// The monthly cost of `quantity` units (hours are given as the month's quantity, e.g. 1
    /// machine) at `figure` from `table`, unrounded. Items billed per size tier cost the
    /// smallest tier that holds them.
    pub fn monthly(&self, table: &str, figure: &Figure, quantity: Decimal) -> Decimal {
        let billed = figure
            .billed_sizes_gb
            .as_ref()
            .and_then(|tiers| tiers.iter().map(|t| Decimal::from(*t)).filter(|t| *t >= quantity).min())
            .unwrap_or(quantity);
        let per_unit = match self.table(table).map(|t| t.unit) {
            Some(Unit::Hour) => figure.usd.saturating_mul(Decimal::from(self.hours_per_month)),
            _ => figure.usd,
        };
        per_unit.saturating_mul(billed)
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unit::Hour => "hour",
            Unit::GbMonth => "GB-month",
            Unit::Month => "month",
        })
    }
}
