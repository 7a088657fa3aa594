//! Drift scans: a working directory through the user's Terraform, or a saved plan JSON, into rated
//! drift items.

pub mod item;
pub mod plan;
pub mod severity;
pub mod terraform;

use oppie_policy::PolicySet;

pub use item::{DriftItem, ItemKind};
pub use plan::PlanDrift;

/// Reads the drift of one plan JSON document and rates each item: by the rules of `policies` the
/// live values break, else by attribute kind.
pub fn rate(source: &str, text: &str, policies: Option<&PolicySet>) -> anyhow::Result<PlanDrift> {
    let mut drift = plan::parse(source, text)?;
    for item in &mut drift.items {
        item.source = source.to_string();
    }
    if let Some(policies) = policies {
        severity::apply_policy(policies, drift.prior_state.as_ref(), &drift.resources, &mut drift.items)?;
    }
    Ok(drift)
}
