//! The cost report of one plan: per-resource monthly figures before and after the change, and
//! totals per cloud and per `environment` tag. Serialises as the documented JSON (`oppie-policy/cost/v1`).
//! Money is an exact decimal, written as a JSON number (`9.19`, never `9.190000000000001`).

use std::collections::BTreeMap;

use oppie_catalog::pricing::money::{self, Decimal};
use serde::Serialize;

/// The JSON schema name of [`CostReport`].
pub const SCHEMA: &str = "oppie-policy/cost/v1";

/// The environment key for resources without an `environment` tag.
pub const UNTAGGED: &str = "(untagged)";

/// Where a monthly figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The plan's own `estimated_monthly_cost` (an `oppie_*` resource priced by the provider).
    Plan,
    /// Computed here from the rate card.
    RateCard,
}

/// One side (before or after) of a resource, priced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Priced {
    /// USD per month.
    #[serde(with = "money::number")]
    pub monthly_usd: Decimal,
    /// The monthly figure by component (`compute`, `disk`, `storage`, ...).
    #[serde(with = "money::map")]
    pub breakdown: BTreeMap<String, Decimal>,
    /// Where the figure comes from.
    pub origin: Origin,
}

/// Whether a resource could be priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every side that exists is priced.
    Priced,
    /// A price depends on a value known only after apply; that side is left out of the totals.
    Unknown,
    /// The rate card cannot price it (see `notes`); that side is left out of the totals.
    Unpriced,
    /// Priced in part: a component the rate card cannot price, or whose size the plan does not
    /// show, is left out (see `notes`), so the figure is a lower bound.
    Partial,
    /// Billed by usage the plan does not show (e.g. a native bucket's stored data): 0 here.
    UsageBased,
}

/// One priced resource change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceCost {
    /// The resource address.
    pub address: String,
    /// The resource type.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// `aws`, `gcp` or `azure`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    /// The native region priced, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The change's actions (`["create"]`, `["delete", "create"]`, `["no-op"]`, ...).
    pub actions: Vec<String>,
    /// The `environment` tag (label) value, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Where the before figure is booked, when that differs from `cloud`, `region` or
    /// `environment` (a resource replaced on another cloud, or re-tagged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_location: Option<Location>,
    /// Whether the resource lives on a cloud (`oppie_environment` does not: no cloud, and no
    /// per-cloud total).
    #[serde(skip)]
    pub placed: bool,
    /// The monthly cost before the change (absent: the resource does not exist before, or the
    /// figure is unknown/unpriced).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Priced>,
    /// The monthly cost after the change (absent: deleted, or unknown/unpriced).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Priced>,
    /// After minus before, counting a side that does not exist as 0; absent when a side that
    /// exists has no figure.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "money::option::serialize")]
    pub delta: Option<Decimal>,
    /// Whether every existing side is priced.
    pub status: Status,
    /// Assumptions and reasons (assumed region, unpriced because ..., unknown attribute ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Where one side of a resource is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Location {
    /// `aws`, `gcp` or `azure`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    /// The native region, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The `environment` tag, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

/// Monthly totals over a set of resources.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Sum of the priced before figures.
    #[serde(with = "money::number")]
    pub before: Decimal,
    /// Sum of the priced after figures.
    #[serde(with = "money::number")]
    pub after: Decimal,
    /// `after - before`.
    #[serde(with = "money::number")]
    pub delta: Decimal,
    /// Resources counted.
    pub resources: usize,
    /// Resources with a side left out (unknown or unpriced): the totals are lower bounds.
    pub incomplete: usize,
    /// The budget from `--data` (`budgets.<environment>`), for environment totals.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "money::option::serialize")]
    pub budget: Option<Decimal>,
    /// Whether `after` exceeds `budget`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub over_budget: Option<bool>,
}

impl Status {
    /// How much a status says the figures fall short; a resource takes its worst side's.
    fn rank(self) -> u8 {
        match self {
            Status::Priced => 0,
            Status::UsageBased => 1,
            Status::Partial => 2,
            Status::Unpriced => 3,
            Status::Unknown => 4,
        }
    }

    /// The worse of two statuses.
    pub fn worst(self, other: Status) -> Status {
        if other.rank() > self.rank() { other } else { self }
    }

    /// Whether the figures leave something out (the totals are then lower bounds).
    pub fn is_incomplete(self) -> bool {
        matches!(self, Status::Unknown | Status::Unpriced | Status::Partial)
    }
}

/// Which sides of a resource a group of totals books.
#[derive(Debug, Clone, Copy)]
struct Sides {
    before: bool,
    after: bool,
}

const BOTH: Sides = Sides { before: true, after: true };

impl Totals {
    fn add(&mut self, resource: &ResourceCost, sides: Sides) {
        let figure = |priced: &Option<Priced>, booked: bool| match priced {
            Some(p) if booked => p.monthly_usd,
            _ => Decimal::ZERO,
        };
        self.before = self.before.saturating_add(figure(&resource.before, sides.before));
        self.after = self.after.saturating_add(figure(&resource.after, sides.after));
        self.delta = self.after.saturating_sub(self.before);
        self.resources += 1;
        if resource.status.is_incomplete() {
            self.incomplete += 1;
        }
    }
}

/// Adds `resource` to the groups of `groups` its sides belong to: one group when both sides
/// are in the same one, else the before figure to the before group and the after figure to
/// the after group (a resource moved from aws to gcp costs aws before and gcp after).
fn book(groups: &mut BTreeMap<String, Totals>, resource: &ResourceCost, before: Option<String>, after: Option<String>) {
    match (before, after) {
        (Some(b), Some(a)) if b != a => {
            groups.entry(b).or_default().add(resource, Sides { before: true, after: false });
            groups.entry(a).or_default().add(resource, Sides { before: false, after: true });
        }
        (Some(key), _) | (None, Some(key)) => groups.entry(key).or_default().add(resource, BOTH),
        (None, None) => {}
    }
}

/// The cost report of one plan or state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostReport {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The file priced.
    pub file: String,
    /// The rate card version.
    pub rate_card: String,
    /// The currency of every figure.
    pub currency: String,
    /// Every priceable resource, in plan order.
    pub resources: Vec<ResourceCost>,
    /// Totals over all resources.
    pub totals: Totals,
    /// Totals per cloud.
    pub by_cloud: BTreeMap<String, Totals>,
    /// Totals per `environment` tag ([`UNTAGGED`] for none).
    pub by_environment: BTreeMap<String, Totals>,
    /// Managed resources of types this tool does not price (counted, not listed).
    pub not_priceable: usize,
}

impl CostReport {
    /// Builds the report and its totals; `budgets` maps environments to monthly budgets, shown
    /// for the environments the plan has.
    pub fn new(
        file: &str,
        resources: Vec<ResourceCost>,
        not_priceable: usize,
        budgets: &BTreeMap<String, Decimal>,
    ) -> Self {
        let card = oppie_catalog::pricing::card();
        let mut totals = Totals::default();
        let mut by_cloud: BTreeMap<String, Totals> = BTreeMap::new();
        let mut by_environment: BTreeMap<String, Totals> = BTreeMap::new();
        for resource in &resources {
            totals.add(resource, BOTH);
            let before = resource.before_location.as_ref();
            if resource.placed {
                let cloud = |c: Option<&String>| c.cloned().unwrap_or_else(|| "(unknown)".into());
                let after_cloud = cloud(resource.cloud.as_ref());
                book(&mut by_cloud, resource, before.map(|l| cloud(l.cloud.as_ref())), Some(after_cloud));
            }
            let environment = |e: Option<&String>| e.cloned().unwrap_or_else(|| UNTAGGED.into());
            let after_environment = environment(resource.environment.as_ref());
            let before_environment = before.map(|l| environment(l.environment.as_ref()));
            book(&mut by_environment, resource, before_environment, Some(after_environment));
        }
        for (environment, budget) in budgets {
            if let Some(entry) = by_environment.get_mut(environment) {
                entry.budget = Some(*budget);
                entry.over_budget = Some(entry.after > *budget);
            }
        }
        CostReport {
            schema: SCHEMA,
            file: file.to_string(),
            rate_card: card.version.clone(),
            currency: card.currency.clone(),
            resources,
            totals,
            by_cloud,
            by_environment,
            not_priceable,
        }
    }

    /// Monthly after-figures of every resource with one, by address (what `check` feeds the
    /// budget policy as `data.oppie.costs`); usage-based resources (0 here) are left out.
    pub fn monthly_by_address(&self) -> BTreeMap<String, Decimal> {
        self.resources
            .iter()
            .filter(|r| r.status != Status::UsageBased)
            .filter_map(|r| r.after.as_ref().map(|p| (r.address.clone(), p.monthly_usd)))
            .collect()
    }
}
