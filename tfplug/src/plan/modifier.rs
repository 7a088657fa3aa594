//! Plan modifiers: per-attribute rules that adjust a planned value.
//! One generic implementation serves every attribute type.

use crate::cty::{AttributePath, Value};
use crate::diag::Diagnostics;

/// What a plan modifier sees and may change for one attribute.
pub struct AttributePlan<'a> {
    /// The attribute's path in the resource.
    pub path: &'a AttributePath,
    /// The configured value (null when not set).
    pub config: &'a Value,
    /// The prior state value; `None` when the object is being created.
    pub prior: Option<&'a Value>,
    /// The planned value, to adjust.
    pub planned: &'a mut Value,
    /// Set to true when changing this attribute needs the object replaced.
    pub requires_replace: &'a mut bool,
    /// Where to report problems.
    pub diagnostics: &'a mut Diagnostics,
}

/// A rule that adjusts one attribute's plan.
pub trait PlanModifier: Send + Sync {
    /// What the rule does, for docs.
    fn description(&self) -> String;

    /// Adjusts the plan.
    fn modify(&self, plan: &mut AttributePlan<'_>);
}

/// Changing the attribute replaces the object (delete and re-create).
#[derive(Debug, Clone, Copy, Default)]
pub struct RequiresReplace;

impl PlanModifier for RequiresReplace {
    fn description(&self) -> String {
        "Changing this value replaces the resource.".into()
    }

    fn modify(&self, plan: &mut AttributePlan<'_>) {
        if let Some(prior) = plan.prior
            && prior != &*plan.planned
        {
            *plan.requires_replace = true;
        }
    }
}

/// Replaces the object when `condition(prior, planned)` holds.
pub struct RequiresReplaceIf<F> {
    description: String,
    condition: F,
}

impl<F> RequiresReplaceIf<F>
where
    F: Fn(&Value, &Value) -> bool + Send + Sync,
{
    /// A conditional replacement rule.
    pub fn new(description: impl Into<String>, condition: F) -> Self {
        RequiresReplaceIf { description: description.into(), condition }
    }
}

impl<F> PlanModifier for RequiresReplaceIf<F>
where
    F: Fn(&Value, &Value) -> bool + Send + Sync,
{
    fn description(&self) -> String {
        self.description.clone()
    }

    fn modify(&self, plan: &mut AttributePlan<'_>) {
        if let Some(prior) = plan.prior
            && prior != &*plan.planned
            && (self.condition)(prior, plan.planned)
        {
            *plan.requires_replace = true;
        }
    }
}

/// Keeps the prior value of a computed attribute instead of "known after apply"
/// when the object is updated (for values that never change once set, like ids).
#[derive(Debug, Clone, Copy, Default)]
pub struct UseStateForUnknown;

impl PlanModifier for UseStateForUnknown {
    fn description(&self) -> String {
        "Once set, the value does not change.".into()
    }

    fn modify(&self, plan: &mut AttributePlan<'_>) {
        if let Some(prior) = plan.prior
            && plan.planned.is_unknown()
            && !prior.is_null()
            && !plan.config.is_unknown()
        {
            *plan.planned = prior.clone();
        }
    }
}
