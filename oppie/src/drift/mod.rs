//! Drift scans: a working directory through the user's Terraform, or a saved plan JSON, into rated
//! drift items.

pub mod item;
pub mod plan;
pub mod severity;
pub mod terraform;
pub mod unmanaged;

use oppie_policy::PolicySet;

pub use item::{DriftItem, ItemKind};
pub use plan::PlanDrift;

/// Reads the drift of one plan JSON document and rates each item: by the rules of `policies` the
/// live values break, else by attribute kind.
pub fn rate(source: &str, text: &str, policies: Option<&PolicySet>) -> anyhow::Result<PlanDrift> {
    let mut drift = read(source, text)?;
    rate_items(&mut drift, policies)?;
    Ok(drift)
}

/// Reads the drift of one plan JSON document, unrated (each item has its attribute kind's severity).
pub fn read(source: &str, text: &str) -> anyhow::Result<PlanDrift> {
    let mut drift = plan::parse(source, text)?;
    for item in &mut drift.items {
        item.source = source.to_string();
    }
    Ok(drift)
}

/// Rates the items of `drift` (including any added after [`read`], such as unmanaged objects) by
/// the rules of `policies` their live values break.
pub fn rate_items(drift: &mut PlanDrift, policies: Option<&PolicySet>) -> anyhow::Result<()> {
    if let Some(policies) = policies {
        severity::apply_policy(policies, drift.prior_state.as_ref(), &drift.resources, &mut drift.items)?;
    }
    Ok(())
}
