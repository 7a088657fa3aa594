//! The cost report of one plan: per-resource monthly figures before and after the change, and
//! totals per cloud and per `environment` tag. Serialises as the documented JSON (`oppie-policy/cost/v1`).

use std::collections::BTreeMap;

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
    pub monthly_usd: f64,
    /// The monthly figure by component (`compute`, `disk`, `storage`, ...).
    pub breakdown: BTreeMap<String, f64>,
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
    /// The monthly cost before the change (absent: the resource does not exist before, or the
    /// figure is unknown/unpriced).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Priced>,
    /// The monthly cost after the change (absent: deleted, or unknown/unpriced).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Priced>,
    /// After minus before, counting a side that does not exist as 0; absent when a side that
    /// exists has no figure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<f64>,
    /// Whether every existing side is priced.
    pub status: Status,
    /// Assumptions and reasons (assumed region, unpriced because ..., unknown attribute ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Monthly totals over a set of resources.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Sum of the priced before figures.
    pub before: f64,
    /// Sum of the priced after figures.
    pub after: f64,
    /// `after - before`.
    pub delta: f64,
    /// Resources counted.
    pub resources: usize,
    /// Resources with a side left out (unknown or unpriced): the totals are lower bounds.
    pub incomplete: usize,
    /// The budget from `--data` (`budgets.<environment>`), for environment totals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<f64>,
    /// Whether `after` exceeds `budget`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub over_budget: Option<bool>,
}

impl Totals {
    fn add(&mut self, resource: &ResourceCost) {
        self.before += resource.before.as_ref().map_or(0.0, |p| p.monthly_usd);
        self.after += resource.after.as_ref().map_or(0.0, |p| p.monthly_usd);
        self.delta = round(self.after - self.before);
        self.before = round(self.before);
        self.after = round(self.after);
        self.resources += 1;
        if matches!(resource.status, Status::Unknown | Status::Unpriced) {
            self.incomplete += 1;
        }
    }
}

fn round(usd: f64) -> f64 {
    oppie_catalog::pricing::round_cents(usd)
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
    /// Builds the report and its totals; `budgets` maps environments to monthly budgets.
    pub fn new(
        file: &str,
        resources: Vec<ResourceCost>,
        not_priceable: usize,
        budgets: &BTreeMap<String, f64>,
    ) -> Self {
        let card = oppie_catalog::pricing::card();
        let mut totals = Totals::default();
        let mut by_cloud: BTreeMap<String, Totals> = BTreeMap::new();
        let mut by_environment: BTreeMap<String, Totals> = BTreeMap::new();
        for resource in &resources {
            totals.add(resource);
            by_cloud.entry(resource.cloud.clone().unwrap_or_else(|| "(unknown)".into())).or_default().add(resource);
            by_environment
                .entry(resource.environment.clone().unwrap_or_else(|| UNTAGGED.into()))
                .or_default()
                .add(resource);
        }
        for (environment, budget) in budgets {
            let entry = by_environment.entry(environment.clone()).or_default();
            entry.budget = Some(*budget);
            entry.over_budget = Some(entry.after > *budget);
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
    pub fn monthly_by_address(&self) -> BTreeMap<String, f64> {
        self.resources
            .iter()
            .filter(|r| r.status != Status::UsageBased)
            .filter_map(|r| r.after.as_ref().map(|p| (r.address.clone(), p.monthly_usd)))
            .collect()
    }
}
