//! `--remediate revert`: applies the reverts of the items at or above a severity, one targeted
//! plan per working directory, refused when it would destroy anything or change too much.

use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;

use crate::drift::terraform::Terraform;

/// What a revert did in one working directory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevertOutcome {
    /// Resources the targeted plan changed (applied), or would have changed (refused).
    pub changes: Vec<Change>,
    /// Applied, or why not.
    pub applied: bool,
    /// Why nothing was applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// One resource change of the revert plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Resource address.
    pub address: String,
    /// Terraform's actions (`["update"]`, `["create"]`, `["delete", "create"]`).
    pub actions: Vec<String>,
}

impl Change {
    fn destroys(&self) -> bool {
        self.actions.iter().any(|a| a == "delete" || a == "forget")
    }
}

/// The changes of a plan JSON document, no-ops and reads left out.
pub fn plan_changes(plan: &Value) -> Vec<Change> {
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|rc| {
            let actions: Vec<String> =
                rc["change"]["actions"].as_array()?.iter().filter_map(|a| a.as_str().map(str::to_string)).collect();
            let idle = actions.iter().all(|a| a == "no-op" || a == "read");
            (!idle).then(|| Change { address: rc["address"].as_str().unwrap_or_default().to_string(), actions })
        })
        .collect()
}

/// Decides whether a revert plan may be applied: never when it destroys or replaces anything,
/// never past `max_changes` resources.
pub fn check(changes: &[Change], max_changes: usize) -> Result<(), String> {
    let destroying: Vec<&str> = changes.iter().filter(|c| c.destroys()).map(|c| c.address.as_str()).collect();
    if !destroying.is_empty() {
        return Err(format!(
            "the revert would destroy or replace {}; oppie never destroys: revert by hand after reading `terraform plan`",
            destroying.join(", ")
        ));
    }
    if changes.len() > max_changes {
        return Err(format!(
            "the revert would change {} resources, more than --max-changes {max_changes}; raise it or revert by hand",
            changes.len()
        ));
    }
    Ok(())
}

/// Plans the revert of `addresses` in `dir` (targeted) and applies it when [`check`] allows.
pub fn revert(
    terraform: &Terraform,
    dir: &Path,
    addresses: &[String],
    max_changes: usize,
) -> anyhow::Result<RevertOutcome> {
    if addresses.is_empty() {
        return Ok(RevertOutcome {
            changes: Vec::new(),
            applied: false,
            refused: Some("nothing at or above the severity".into()),
        });
    }
    let scratch =
        tempfile::Builder::new().prefix("oppie-revert").tempdir().context("creating a temporary directory")?;
    let plan_file = scratch.path().join("revert.tfplan");
    let text = terraform.targeted_plan_json(dir, &plan_file, addresses)?;
    let plan: Value = serde_json::from_str(&text).context("reading the revert plan")?;
    let changes = plan_changes(&plan);
    if let Err(why) = check(&changes, max_changes) {
        return Ok(RevertOutcome { changes, applied: false, refused: Some(why) });
    }
    if changes.is_empty() {
        return Ok(RevertOutcome { changes, applied: false, refused: Some("the plan has no changes".into()) });
    }
    terraform.apply_plan(dir, &plan_file)?;
    Ok(RevertOutcome { changes, applied: true, refused: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(address: &str, actions: &[&str]) -> Change {
        Change { address: address.into(), actions: actions.iter().map(|a| a.to_string()).collect() }
    }

    #[test]
    fn no_ops_and_reads_are_not_changes() {
        let plan = json!({"resource_changes": [
            {"address": "a.x", "change": {"actions": ["no-op"]}},
            {"address": "data.a.y", "change": {"actions": ["read"]}},
            {"address": "a.z", "change": {"actions": ["update"]}},
            {"address": "a.w", "change": {"actions": ["delete", "create"]}},
            {"address": "broken"},
        ]});
        assert_eq!(plan_changes(&plan), vec![change("a.z", &["update"]), change("a.w", &["delete", "create"])]);
        assert!(plan_changes(&json!(null)).is_empty());
    }

    #[test]
    fn a_revert_never_destroys_and_stays_under_the_cap() {
        assert_eq!(check(&[change("a.x", &["update"]), change("a.y", &["create"])], 2), Ok(()));
        let err = check(&[change("a.x", &["update"]), change("a.y", &["create", "delete"])], 5).expect_err("replace");
        assert!(err.contains("a.y") && err.contains("never destroys"), "{err}");
        let err = check(&[change("a.x", &["delete"])], 5).expect_err("delete");
        assert!(err.contains("a.x"), "{err}");
        let err = check(&[change("a.x", &["update"]), change("a.y", &["update"])], 1).expect_err("cap");
        assert!(err.contains("--max-changes 1"), "{err}");
    }
}
