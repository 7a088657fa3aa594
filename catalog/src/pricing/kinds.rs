//! How each `oppie_*` kind is priced from its neutral attributes: one table row per kind
//! ([`KINDS`]), read by one function ([`price`]) that the provider and `oppie-policy cost` share.
//!
//! A new kind adds a row here and its rates to `data/rates.json`, nothing else:
//!
//! ```
//! use oppie_catalog::pricing::{self, Attr, Defaults, Outcome};
//!
//! let attrs = |name: &str| match name {
//!     "cloud" => Attr::from("aws"),
//!     "region" => Attr::from("us-east"),
//!     "size" => Attr::from("s"),
//!     "disk_gb" => Attr::from("20"),
//!     _ => Attr::Unset,
//! };
//! let quote = pricing::price("oppie_instance", &attrs, &Defaults::default());
//! let Outcome::Priced(estimate) = quote.outcome else { panic!("{:?}", quote.outcome) };
//! assert_eq!(estimate.monthly_usd.to_string(), "16.78"); // t3.small 15.18 + 20 GB gp3 1.60
//! assert_eq!(quote.place.unwrap().region, "us-east-1");
//! ```

use super::card::{self, RateCard};
use super::money::{self, Decimal};
use super::{Estimate, card as the_card};
use crate::Cloud;

/// How one `oppie_*` resource type is priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The Terraform type (`oppie_instance`).
    pub resource_type: &'static str,
    /// Whether it lives on a cloud and region (`oppie_environment` does not, and costs nothing).
    pub placed: bool,
    /// What it is billed for, in breakdown order.
    pub components: &'static [Component],
}

/// One billed part of a resource: a figure from a rate table times a quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Component {
    /// The `cost_breakdown` key (`compute`, `disk`, `storage`, `network`).
    pub name: &'static str,
    /// The rate card table (`instances`, `disks`, `buckets`, `free`).
    pub table: &'static str,
    /// Which figure of the table.
    pub key: Key,
    /// How many of the table's unit: `None` is one (one machine for a month of hours, one
    /// zone for a month); `Some` reads an attribute (GB of disk, GB stored).
    pub quantity: Option<Quantity>,
}

/// Which figure of a table a component uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Always this key (`standard` buckets, the `network` entry of `free`).
    Fixed(&'static str),
    /// The cloud's default key for the table (`defaults.disks` on the card: gp3, pd-balanced, ...).
    CloudDefault,
    /// An attribute's value, as written.
    Attribute(&'static str),
    /// An attribute holding a catalog size key (`s`) or a native machine type (`t3.small`).
    Size(&'static str),
    /// A managed service's size: `size` holds a catalog key or native size of the engine
    /// `engine` names (`default_engine` when unset); the key is `<engine>/<native size>`,
    /// with `+ha` when the `ha` attribute is true (standby or replica billed as the cloud
    /// bills it: `db.t4g.micro` Multi-AZ is its own price).
    Service {
        /// Database or cache.
        service: crate::services::Service,
        /// The attribute holding the size.
        size: &'static str,
        /// The attribute holding the engine.
        engine: &'static str,
        /// The engine when the attribute is unset.
        default_engine: &'static str,
        /// The attribute saying high availability, if the price depends on it.
        ha: Option<&'static str>,
    },
    /// `base`, or `base+ha` when the `ha` attribute is true (storage a standby doubles).
    Ha {
        /// The key without high availability.
        base: &'static str,
        /// The attribute saying high availability.
        ha: &'static str,
    },
}

/// A quantity read from an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    /// The attribute (`disk_gb`, `expected_storage_gb`).
    pub attribute: &'static str,
    /// What an unset attribute means.
    pub unset: Unset,
}

/// What an unset quantity attribute means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unset {
    /// The thing exists with a size the plan does not show: the component is missing from the
    /// estimate, which is then partial.
    Missing,
    /// Billed by use the user has not estimated: priced at 0 and said so.
    UsageBased,
    /// Absent means none of the thing (no NAT gateways on a network that predates NAT): 0.
    Zero,
    /// Billed by use beyond a free allowance of the figure's `free_ratio` times the value of
    /// this attribute (backups free up to the provisioned storage); unset: priced at 0.
    UsageBeyond(&'static str),
}

/// Every `oppie_*` kind and what it is billed for.
pub const KINDS: &[Kind] = &[
    Kind { resource_type: "oppie_environment", placed: false, components: &[] },
    Kind {
        resource_type: "oppie_network",
        placed: true,
        components: &[
            Component { name: "network", table: "free", key: Key::Fixed("network"), quantity: None },
            Component {
                name: "nat",
                table: "nat_gateways",
                key: Key::Fixed("gateway"),
                quantity: Some(Quantity { attribute: "nat_gateways", unset: Unset::Zero }),
            },
            Component {
                name: "nat_data",
                table: "nat_data",
                key: Key::Fixed("gateway"),
                quantity: Some(Quantity { attribute: "expected_nat_data_gb", unset: Unset::Zero }),
            },
        ],
    },
    Kind {
        resource_type: "oppie_subnet",
        placed: true,
        components: &[Component { name: "subnet", table: "free", key: Key::Fixed("subnet"), quantity: None }],
    },
    Kind {
        resource_type: "oppie_firewall",
        placed: true,
        components: &[Component { name: "firewall", table: "free", key: Key::Fixed("firewall"), quantity: None }],
    },
    Kind {
        resource_type: "oppie_instance",
        placed: true,
        components: &[
            Component { name: "compute", table: "instances", key: Key::Size("size"), quantity: None },
            Component {
                name: "disk",
                table: "disks",
                key: Key::CloudDefault,
                quantity: Some(Quantity { attribute: "disk_gb", unset: Unset::Missing }),
            },
        ],
    },
    Kind {
        resource_type: "oppie_key",
        placed: true,
        components: &[Component { name: "key", table: "keys", key: Key::Fixed("symmetric"), quantity: None }],
    },
    Kind {
        resource_type: "oppie_database",
        placed: true,
        components: &[
            Component {
                name: "compute",
                table: "database_instances",
                key: Key::Service {
                    service: crate::services::Service::Database,
                    size: "size",
                    engine: "engine",
                    default_engine: "postgres",
                    ha: Some("high_availability"),
                },
                quantity: None,
            },
            Component {
                name: "storage",
                table: "database_storage",
                key: Key::Ha { base: "ssd", ha: "high_availability" },
                quantity: Some(Quantity { attribute: "storage_gb", unset: Unset::Missing }),
            },
            Component {
                name: "backup",
                table: "database_storage",
                key: Key::Fixed("backup"),
                quantity: Some(Quantity { attribute: "expected_backup_gb", unset: Unset::UsageBeyond("storage_gb") }),
            },
        ],
    },
    Kind {
        resource_type: "oppie_cache",
        placed: true,
        components: &[Component {
            name: "compute",
            table: "cache_nodes",
            key: Key::Service {
                service: crate::services::Service::Cache,
                size: "size",
                engine: "engine",
                default_engine: "redis",
                ha: Some("high_availability"),
            },
            quantity: None,
        }],
    },
    Kind {
        resource_type: "oppie_bucket",
        placed: true,
        components: &[Component {
            name: "storage",
            table: "buckets",
            key: Key::Fixed("standard"),
            quantity: Some(Quantity { attribute: "expected_storage_gb", unset: Unset::UsageBased }),
        }],
    },
    Kind {
        resource_type: "oppie_load_balancer",
        placed: true,
        components: &[
            Component { name: "hours", table: "load_balancers", key: Key::Attribute("type"), quantity: None },
            Component {
                name: "capacity",
                table: "load_balancer_data",
                key: Key::Attribute("type"),
                quantity: Some(Quantity { attribute: "expected_data_gb", unset: Unset::UsageBased }),
            },
        ],
    },
    Kind {
        resource_type: "oppie_dns_zone",
        placed: true,
        components: &[Component { name: "zone", table: "dns_zones", key: Key::Fixed("zone"), quantity: None }],
    },
    Kind {
        resource_type: "oppie_dns_record",
        placed: true,
        components: &[Component { name: "record", table: "free", key: Key::Fixed("dns_record"), quantity: None }],
    },
];

/// The pricing row of a resource type.
pub fn kind(resource_type: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.resource_type == resource_type)
}

/// One attribute as the caller's plan or state holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attr {
    /// Not set (absent or null).
    Unset,
    /// Known only after apply.
    Unknown,
    /// A string, or a number as its decimal text (`20`, `9.19`, `919e-2`).
    Value(String),
}

impl From<&str> for Attr {
    fn from(text: &str) -> Self {
        Attr::Value(text.to_string())
    }
}

/// What a resource takes when it does not say: the provider configuration's `default_cloud`
/// and `default_region`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Defaults<'a> {
    /// `default_cloud` (`aws`).
    pub cloud: Option<&'a str>,
    /// `default_region`: a catalog key or a native region.
    pub region: Option<&'a str>,
}

/// Where a resource is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The cloud.
    pub cloud: Cloud,
    /// The native region (`us-east-1`).
    pub region: String,
}

/// A resource priced: where it is, when known, and the outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    /// The cloud and native region, once both are known and valid (never for unplaced kinds).
    pub place: Option<Place>,
    /// The figure, or why there is none.
    pub outcome: Outcome,
}

/// What pricing one resource gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Every component priced (usage-based ones at 0, listed in [`Estimate::usage_based`]).
    Priced(Estimate),
    /// Some components priced; `missing` says, per component left out, why.
    Partial {
        /// The components that were priced.
        estimate: Estimate,
        /// `<component>: <why>` for each component left out.
        missing: Vec<String>,
    },
    /// An input is known only after apply: the attribute's name.
    Unknown(String),
    /// Nothing could be priced: why.
    Unpriced(String),
}

/// Prices an `oppie_*` resource from its attributes (`attrs` answers for each name the kind's
/// row uses, plus `cloud` and `region`); `defaults` fill an unset cloud or region.
pub fn price(resource_type: &str, attrs: &dyn Fn(&str) -> Attr, defaults: &Defaults<'_>) -> Quote {
    the_card().price(resource_type, attrs, defaults)
}

/// A component's inputs, read before anything is priced so an unknown input always wins.
/// `Err` inside says why the component cannot be priced (it is then missing).
struct Inputs {
    key: Result<String, String>,
    quantity: Result<Decimal, String>,
}

/// Why a component's inputs stop the whole estimate.
enum Stop {
    /// This attribute is known only after apply.
    Unknown(String),
    /// An input no price fits (a negative size): why.
    Invalid(String),
}

impl RateCard {
    /// Prices an `oppie_*` resource with this card; see [`price`].
    pub fn price(&self, resource_type: &str, attrs: &dyn Fn(&str) -> Attr, defaults: &Defaults<'_>) -> Quote {
        let unplaced = |outcome| Quote { place: None, outcome };
        let Some(kind) = kind(resource_type) else {
            let why = format!("rate card {} has no price model for {resource_type}", self.version);
            return unplaced(Outcome::Unpriced(why));
        };
        if !kind.placed {
            return unplaced(Outcome::Priced(Estimate::default()));
        }
        let place = match place(attrs, defaults) {
            Ok(place) => place,
            Err(outcome) => return unplaced(outcome),
        };
        let quote = |outcome| Quote { place: Some(place.clone()), outcome };
        let mut inputs = Vec::with_capacity(kind.components.len());
        for component in kind.components {
            match self.inputs(component, &place, attrs) {
                Ok(found) => inputs.push(found),
                Err(Stop::Unknown(attribute)) => return quote(Outcome::Unknown(attribute)),
                Err(Stop::Invalid(why)) => return quote(Outcome::Unpriced(why)),
            }
        }
        // A region the card does not know prices nothing: never a silent 0.
        if let Err(e) = self.region(place.cloud, &place.region) {
            return quote(Outcome::Unpriced(e.to_string()));
        }
        let mut estimate = Estimate::default();
        let mut missing = Vec::new();
        for (component, input) in kind.components.iter().zip(inputs) {
            let priced = input.key.and_then(|key| {
                let mut quantity = input.quantity?;
                let figure = self.rate(place.cloud, &place.region, component.table, &key).map_err(|e| e.to_string())?;
                if let (Some(Quantity { unset: Unset::UsageBeyond(allowance), .. }), Some(ratio)) =
                    (component.quantity, figure.free_ratio)
                {
                    let base = match attrs(allowance) {
                        Attr::Value(text) => card::quantity(allowance, &text).unwrap_or(Decimal::ZERO),
                        _ => Decimal::ZERO,
                    };
                    quantity = (quantity - ratio.saturating_mul(base)).max(Decimal::ZERO);
                }
                Ok(money::cents(self.monthly(component.table, figure, quantity)))
            });
            match priced {
                Ok(usd) => {
                    estimate.breakdown.insert(component.name.to_string(), usd);
                }
                Err(why) => missing.push(format!("{}: {why}", component.name)),
            }
            if let Some(Quantity { attribute, unset: Unset::UsageBased | Unset::UsageBeyond(_) }) = component.quantity
                && attrs(attribute) == Attr::Unset
            {
                estimate.usage_based.push(format!(
                    "{}: billed by use, and {attribute} is not set: priced at 0 (set {attribute} to estimate it)",
                    component.name
                ));
            }
        }
        estimate.monthly_usd = money::sum(estimate.breakdown.values());
        quote(if missing.is_empty() {
            Outcome::Priced(estimate)
        } else if estimate.breakdown.is_empty() {
            Outcome::Unpriced(missing.join("; "))
        } else {
            Outcome::Partial { estimate, missing }
        })
    }

    fn inputs(&self, component: &Component, place: &Place, attrs: &dyn Fn(&str) -> Attr) -> Result<Inputs, Stop> {
        let key = match component.key {
            Key::Fixed(key) => Ok(key.to_string()),
            Key::CloudDefault => self.default_key(place.cloud, component.table).map(str::to_string).ok_or_else(|| {
                format!("rate card {} names no default {} key on {}", self.version, component.table, place.cloud)
            }),
            Key::Attribute(name) | Key::Size(name) => match attrs(name) {
                Attr::Unknown => return Err(Stop::Unknown(name.to_string())),
                Attr::Unset => Err(format!("{name} is not set")),
                Attr::Value(text) if matches!(component.key, Key::Size(_)) => {
                    crate::get().cloud(place.cloud).size(place.cloud, &text)
                }
                Attr::Value(text) => Ok(text),
            },
            Key::Service { service, size, engine, default_engine, ha } => {
                let engine = match attrs(engine) {
                    Attr::Unknown => return Err(Stop::Unknown(engine.to_string())),
                    Attr::Value(e) => e,
                    Attr::Unset => default_engine.to_string(),
                };
                let suffix = match ha.map(attrs) {
                    Some(Attr::Unknown) => return Err(Stop::Unknown(ha.unwrap_or_default().to_string())),
                    Some(Attr::Value(v)) if v == "true" => "+ha",
                    _ => "",
                };
                match attrs(size) {
                    Attr::Unknown => return Err(Stop::Unknown(size.to_string())),
                    Attr::Unset => Err(format!("{size} is not set")),
                    Attr::Value(text) => crate::get()
                        .cloud(place.cloud)
                        .service_size(place.cloud, service, &engine, &text)
                        .map(|native| format!("{engine}/{native}{suffix}")),
                }
            }
            Key::Ha { base, ha } => match attrs(ha) {
                Attr::Unknown => return Err(Stop::Unknown(ha.to_string())),
                Attr::Value(v) if v == "true" => Ok(format!("{base}+ha")),
                _ => Ok(base.to_string()),
            },
        };
        let quantity = match component.quantity {
            None => Ok(Decimal::ONE),
            Some(Quantity { attribute, unset }) => match attrs(attribute) {
                Attr::Unknown => return Err(Stop::Unknown(attribute.to_string())),
                Attr::Value(text) => Ok(card::quantity(attribute, &text).map_err(|e| Stop::Invalid(e.to_string()))?),
                Attr::Unset => match unset {
                    Unset::UsageBased | Unset::Zero | Unset::UsageBeyond(_) => Ok(Decimal::ZERO),
                    Unset::Missing => Err(format!("{attribute} is not set, so its size is not known")),
                },
            },
        };
        Ok(Inputs { key, quantity })
    }
}

/// The cloud and native region from the `cloud` and `region` attributes, else the defaults.
fn place(attrs: &dyn Fn(&str) -> Attr, defaults: &Defaults<'_>) -> Result<Place, Outcome> {
    let value = |name: &str, default: Option<&str>| match attrs(name) {
        Attr::Unknown => Err(Outcome::Unknown(name.to_string())),
        Attr::Value(text) => Ok(Some(text)),
        Attr::Unset => Ok(default.map(str::to_string)),
    };
    let cloud_text = value("cloud", defaults.cloud)?;
    let region_text = value("region", defaults.region)?;
    let Some(cloud_text) = cloud_text else {
        return Err(Outcome::Unpriced("no cloud, here or in the provider's default_cloud".into()));
    };
    let Some(cloud) = Cloud::parse(&cloud_text) else {
        return Err(Outcome::Unpriced(format!("{cloud_text:?} is not a cloud (aws, gcp, azure)")));
    };
    let Some(region_text) = region_text else {
        return Err(Outcome::Unpriced("no region, here or in the provider's default_region".into()));
    };
    let region = crate::get().cloud(cloud).region(cloud, &region_text).map_err(Outcome::Unpriced)?;
    Ok(Place { cloud, region })
}

/// Every kind's components name tables the card describes, with quantities their unit needs.
#[cfg(test)]
pub(crate) fn check_kinds(card: &RateCard) -> Vec<String> {
    let mut problems = Vec::new();
    for kind in KINDS {
        for c in kind.components {
            match card.table(c.table) {
                None => problems
                    .push(format!("{}: {} uses table {:?}, which the card lacks", kind.resource_type, c.name, c.table)),
                Some(t) if t.unit == card::Unit::GbMonth && c.quantity.is_none() => problems
                    .push(format!("{}: {} is priced per GB-month but reads no quantity", kind.resource_type, c.name)),
                Some(_) => {}
            }
        }
        let names: Vec<&str> = kind.components.iter().map(|c| c.name).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        if unique.len() != names.len() {
            problems.push(format!("{}: component names repeat: {names:?}", kind.resource_type));
        }
    }
    problems
}
