//! Cost diff of two plans (a pull request's base and head, Infracost's `--compare-to`), or of
//! one plan's before and after: per resource, in total, per cloud and per environment with budgets.
//!
//! ```
//! use oppie_policy::{cost, Input};
//! # fn main() -> oppie_policy::Result<()> {
//! let plan = |size: &str| Input::from_json_str("plan.json", &format!(r#"{{"format_version": "1.2", "resource_changes": [{{
//!     "address": "aws_instance.web", "mode": "managed", "type": "aws_instance", "name": "web",
//!     "change": {{"actions": ["create"], "before": null, "after_unknown": {{}},
//!                "after": {{"instance_type": "{size}", "availability_zone": "eu-central-1a"}}}}}}]}}"#));
//! let base = cost::price(&plan("t3.small")?, &Default::default());
//! let head = cost::price(&plan("t3.medium")?, &Default::default());
//! let diff = cost::diff::compare(&base, &head, &Default::default());
//! assert_eq!(diff.totals.delta.to_string(), "17.52");
//! println!("{}", cost::diff::render_markdown(&diff));
//! # Ok(())
//! # }
//! ```

mod render;

use std::collections::BTreeMap;

use oppie_catalog::pricing::money::{self, Decimal};
use serde::Serialize;

pub use render::{render_json, render_markdown, render_text};

use super::report::{CostReport, Location, Priced, ResourceCost, Status, Totals};

/// The JSON schema name of [`CostDiff`].
pub const SCHEMA: &str = "oppie-policy/cost-diff/v1";

/// How a resource's monthly cost changes from base to head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Only in the head (or moved here from another cloud).
    Added,
    /// Only in the base (or moved from here to another cloud).
    Removed,
    /// In both, with a different figure or pricing status.
    Changed,
    /// In both, the same (left out of `resources` unless asked for).
    Unchanged,
}

/// One resource's line of the diff.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceDiff {
    /// The resource address.
    pub address: String,
    /// The resource type.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Added, removed, changed or unchanged.
    pub change: Change,
    /// The cloud it is booked on (the head's, or the base's for a removal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    /// The `environment` tag (the head's, or the base's for a removal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Monthly USD in the base (absent: not there, or not priced; see `status`).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "money::option::serialize")]
    pub before: Option<Decimal>,
    /// Monthly USD in the head (absent: not there, or not priced; see `status`).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "money::option::serialize")]
    pub after: Option<Decimal>,
    /// `after - before`, a side that does not exist counting 0; absent when a side that exists
    /// has no figure.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "money::option::serialize")]
    pub delta: Option<Decimal>,
    /// The worse pricing status of the two sides.
    pub status: Status,
    /// Why a side is not (fully) priced.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The diff of two cost reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostDiff {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The base plan (what is there now, or the target branch's plan).
    pub base: String,
    /// The head plan (the pull request's).
    pub head: String,
    /// The rate card version.
    pub rate_card: String,
    /// The currency of every figure.
    pub currency: String,
    /// Every resource, head order then what only the base has; [`CostDiff::without_unchanged`]
    /// leaves out those whose cost did not change.
    pub resources: Vec<ResourceDiff>,
    /// Resources whose cost did not change (listed or not, they are counted here).
    pub unchanged: usize,
    /// Totals over every resource: `before` the base, `after` the head.
    pub totals: Totals,
    /// Totals per cloud (a move books the base figure on the old cloud, the head's on the new).
    pub by_cloud: BTreeMap<String, Totals>,
    /// Totals per `environment` tag, with the budget and whether the head goes over it.
    pub by_environment: BTreeMap<String, Totals>,
}

impl CostDiff {
    /// Whether any environment's head total goes over its budget.
    pub fn over_budget(&self) -> bool {
        self.by_environment.values().any(|t| t.over_budget == Some(true))
    }
}

/// One side of a resource: where it is and what it costs there.
struct Side<'a> {
    resource: &'a ResourceCost,
    location: Location,
    priced: Option<&'a Priced>,
}

fn has(resource: &ResourceCost, actions: &[&str]) -> bool {
    resource.actions.iter().any(|a| actions.contains(&a.as_str()))
}

/// What each resource costs once the plan is applied (deleted resources are gone).
fn after_sides(report: &CostReport) -> Vec<Side<'_>> {
    report
        .resources
        .iter()
        .filter(|r| has(r, &["create", "update", "no-op"]))
        .map(|r| Side {
            resource: r,
            location: Location { cloud: r.cloud.clone(), region: r.region.clone(), environment: r.environment.clone() },
            priced: r.after.as_ref(),
        })
        .collect()
}

/// What each resource costs before the plan is applied (created resources are not there yet).
fn before_sides(report: &CostReport) -> Vec<Side<'_>> {
    report
        .resources
        .iter()
        .filter(|r| has(r, &["delete", "update", "no-op"]))
        .map(|r| Side {
            resource: r,
            location: r.before_location.clone().unwrap_or_else(|| Location {
                cloud: r.cloud.clone(),
                region: r.region.clone(),
                environment: r.environment.clone(),
            }),
            priced: r.before.as_ref(),
        })
        .collect()
}

/// The diff between what `base` and `head` leave in place (each plan's after side), every
/// resource listed (see [`CostDiff::without_unchanged`]). `budgets` maps environments to monthly budgets, checked against the head's totals.
pub fn compare(base: &CostReport, head: &CostReport, budgets: &BTreeMap<String, Decimal>) -> CostDiff {
    diff(&base.file, after_sides(base), &head.file, after_sides(head), head, budgets)
}

/// One plan's own diff: its before side (the prior state) against its after side.
pub fn of_plan(report: &CostReport, budgets: &BTreeMap<String, Decimal>) -> CostDiff {
    let name = format!("{} (prior state)", report.file);
    diff(&name, before_sides(report), &report.file, after_sides(report), report, budgets)
}

/// A synthetic resource change carrying the base figure as `before` and the head's as `after`,
/// so [`CostReport::new`] books totals, clouds, environments and budgets as it does for one plan.
fn booked(base: Option<&Side<'_>>, head: Option<&Side<'_>>) -> Option<(ResourceCost, Change)> {
    let any = head.or(base)?;
    let (change, actions) = match (base, head) {
        (None, Some(_)) => (Change::Added, "create"),
        (Some(_), None) => (Change::Removed, "delete"),
        (Some(b), Some(h)) => {
            let same = b.priced.map(|p| p.monthly_usd) == h.priced.map(|p| p.monthly_usd)
                && b.resource.status == h.resource.status;
            if same { (Change::Unchanged, "no-op") } else { (Change::Changed, "update") }
        }
        (None, None) => return None,
    };
    let status = match (base, head) {
        (Some(b), Some(h)) => b.resource.status.worst(h.resource.status),
        _ => any.resource.status,
    };
    let figure = |side: Option<&Side<'_>>| side.and_then(|s| s.priced).map(|p| p.monthly_usd);
    let exists_unpriced = |side: Option<&Side<'_>>| side.is_some_and(|s| s.priced.is_none());
    let delta = (!exists_unpriced(base) && !exists_unpriced(head))
        .then(|| figure(head).unwrap_or(Decimal::ZERO).saturating_sub(figure(base).unwrap_or(Decimal::ZERO)));
    let location = &any.location;
    let before_location = match (base, head) {
        (Some(b), Some(h)) if b.location != h.location => Some(b.location.clone()),
        _ => None,
    };
    let mut notes: Vec<String> = Vec::new();
    for side in [base, head].into_iter().flatten() {
        for note in &side.resource.notes {
            if !notes.contains(note) {
                notes.push(note.clone());
            }
        }
    }
    let resource = ResourceCost {
        address: any.resource.address.clone(),
        resource_type: any.resource.resource_type.clone(),
        cloud: location.cloud.clone(),
        region: location.region.clone(),
        actions: vec![actions.to_string()],
        environment: location.environment.clone(),
        before_location,
        placed: any.resource.placed,
        before: base.and_then(|s| s.priced.cloned()),
        after: head.and_then(|s| s.priced.cloned()),
        delta,
        status,
        notes,
    };
    Some((resource, change))
}

fn diff(
    base_name: &str,
    base: Vec<Side<'_>>,
    head_name: &str,
    head: Vec<Side<'_>>,
    card_of: &CostReport,
    budgets: &BTreeMap<String, Decimal>,
) -> CostDiff {
    let base_by_address: BTreeMap<&str, &Side<'_>> = base.iter().map(|s| (s.resource.address.as_str(), s)).collect();
    let head_by_address: BTreeMap<&str, &Side<'_>> = head.iter().map(|s| (s.resource.address.as_str(), s)).collect();
    let mut rows: Vec<(ResourceCost, Change)> = Vec::new();
    let mut push = |b: Option<&Side<'_>>, h: Option<&Side<'_>>| {
        // A resource on another cloud in the head is a different thing to pay for: it leaves
        // the old cloud's bill and joins the new one's (as the one-plan report books a move).
        let moved = matches!((b, h), (Some(b), Some(h))
            if b.resource.placed && b.location.cloud.is_some() && h.location.cloud.is_some() && b.location.cloud != h.location.cloud);
        if moved {
            rows.extend(booked(b, None));
            rows.extend(booked(None, h));
        } else {
            rows.extend(booked(b, h));
        }
    };
    for side in &head {
        push(base_by_address.get(side.resource.address.as_str()).copied(), Some(side));
    }
    for side in &base {
        if !head_by_address.contains_key(side.resource.address.as_str()) {
            push(Some(side), None);
        }
    }
    let changes: Vec<Change> = rows.iter().map(|(_, c)| *c).collect();
    let costs: Vec<ResourceCost> = rows.into_iter().map(|(r, _)| r).collect();
    let report = CostReport::new(head_name, costs, 0, budgets);
    let mut resources = Vec::new();
    let mut unchanged = 0;
    for (resource, change) in report.resources.into_iter().zip(changes) {
        if change == Change::Unchanged {
            unchanged += 1;
        }
        resources.push(ResourceDiff {
            address: resource.address,
            resource_type: resource.resource_type,
            change,
            cloud: resource.cloud,
            environment: resource.environment,
            before: resource.before.map(|p| p.monthly_usd),
            after: resource.after.map(|p| p.monthly_usd),
            delta: resource.delta,
            status: resource.status,
            notes: resource.notes,
        });
    }
    CostDiff {
        schema: SCHEMA,
        base: base_name.to_string(),
        head: head_name.to_string(),
        rate_card: card_of.rate_card.clone(),
        currency: card_of.currency.clone(),
        resources,
        unchanged,
        totals: report.totals,
        by_cloud: report.by_cloud,
        by_environment: report.by_environment,
    }
}

impl CostDiff {
    /// Drops the unchanged resources from `resources` (they stay counted in `unchanged` and
    /// in the totals), as `cost --compare` prints by default.
    pub fn without_unchanged(mut self) -> Self {
        self.resources.retain(|r| r.change != Change::Unchanged);
        self
    }
}

#[cfg(test)]
mod tests;
