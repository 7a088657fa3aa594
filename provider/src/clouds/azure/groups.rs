//! Resource groups: the one Oppie makes for a network or bucket that names none (tagged with
//! its owner, so deleting the owner deletes the group), reading an id's group, and the delete
//! lock that stands for `deletion_protection`.

use serde_json::json;

use super::AzureRegion;
use super::api;
use super::names::id_part;
use crate::clouds::{CloudError, Tags};

/// The tag that marks a group Oppie made, holding the owner's ARM id (lower case).
pub const OWNER_TAG: &str = "oppie:owner";

/// The resource group named in an ARM id.
pub fn group_of(id: &str) -> Result<&str, CloudError> {
    id_part(id, "resourceGroups").ok_or_else(|| {
        CloudError::other(
            "Azure Resource Manager",
            "parse id",
            format!("{id:?} is not an Azure resource id (no resourceGroups segment)"),
        )
    })
}

impl AzureRegion {
    /// Makes sure group `rg` exists: made (and tagged as owned by `owner`) when `own` is
    /// set; a group the configuration names must exist already.
    pub(crate) async fn ensure_group(&self, rg: &str, own: bool, owner: &str, tags: &Tags) -> Result<(), CloudError> {
        let id = self.group_id(rg)?;
        if !own {
            return match self.get(&id, api::RESOURCES, "resourceGroups.get").await? {
                Some(_) => Ok(()),
                None => Err(CloudError {
                    kind: crate::clouds::ErrorKind::Invalid,
                    service: "Azure Resource Manager",
                    operation: "resourceGroups.get".into(),
                    code: Some("ResourceGroupNotFound".into()),
                    message: format!(
                        "resource group {rg:?} does not exist: create it first, or leave resource_group unset"
                    ),
                    request_id: None,
                }),
            };
        }
        // A group that already exists (made by hand, or by another network or bucket of the
        // same name) is used as it is and never claimed: only its maker may delete it.
        if self.get(&id, api::RESOURCES, "resourceGroups.get").await?.is_some() {
            return Ok(());
        }
        let mut t = tags.clone();
        t.insert(OWNER_TAG.into(), owner.to_ascii_lowercase());
        self.put(&id, api::RESOURCES, json!({"location": self.region, "tags": t}), "resourceGroups.createOrUpdate")
            .await
            .map(|_| ())
    }

    /// After a refused create of `owner`: drops the group made for it, so nothing is left
    /// outside state; should that fail, the error stops counting as a refusal, so the create
    /// protocol keeps `owner` tracked and its delete removes the group later.
    pub(crate) async fn undo_group(&self, mut e: CloudError, rg: &str, owner: &str) -> CloudError {
        if e.is_refusal() && self.drop_group_if_owned(rg, owner).await.is_err() {
            e.kind = crate::clouds::ErrorKind::Other;
        }
        e
    }

    /// Deletes group `rg` if Oppie made it for `owner` and nothing else lives in it
    /// (deleting a group deletes everything in it).
    pub(crate) async fn drop_group_if_owned(&self, rg: &str, owner: &str) -> Result<(), CloudError> {
        let id = self.group_id(rg)?;
        let Some(g) = self.get(&id, api::RESOURCES, "resourceGroups.get").await? else { return Ok(()) };
        if g["tags"][OWNER_TAG].as_str() != Some(owner.to_ascii_lowercase().as_str()) {
            return Ok(());
        }
        let listed = self.get(&format!("{id}/resources"), api::RESOURCES, "resources.listByResourceGroup").await?;
        let others: Vec<&str> = listed
            .as_ref()
            .and_then(|l| l["value"].as_array())
            .into_iter()
            .flatten()
            .filter_map(|r| r["id"].as_str())
            .filter(|r| !r.eq_ignore_ascii_case(owner))
            .collect();
        if others.is_empty() {
            self.delete(&id, api::RESOURCES, "resourceGroups.delete").await?;
        } else {
            tracing::info!(group = rg, others = ?others, "resource group kept: other resources live in it");
        }
        Ok(())
    }
}

/// The delete lock Oppie puts on a resource for `deletion_protection`.
pub const DELETE_LOCK: &str = "providers/Microsoft.Authorization/locks/oppie-deletion-protection";

impl AzureRegion {
    /// Whether resource `scope` carries Oppie's delete lock.
    pub(crate) async fn delete_locked(&self, scope: &str) -> Result<bool, CloudError> {
        Ok(self.get(&format!("{scope}/{DELETE_LOCK}"), api::LOCKS, "managementLocks.get").await?.is_some())
    }

    /// Puts Oppie's delete lock on `scope` (`on`) or takes it off; `note` says why it is there.
    pub(crate) async fn set_delete_lock(&self, scope: &str, on: bool, note: &str) -> Result<(), CloudError> {
        let id = format!("{scope}/{DELETE_LOCK}");
        match (on, self.delete_locked(scope).await?) {
            (true, false) => {
                let body = json!({"properties": {"level": "CanNotDelete", "notes": note}});
                self.put(&id, api::LOCKS, body, "managementLocks.createOrUpdateByScope").await.map(|_| ())
            }
            (false, true) => self.delete(&id, api::LOCKS, "managementLocks.deleteByScope").await,
            _ => Ok(()),
        }
    }
}

/// Tags as the cloud reports them, without Oppie's own.
pub fn user_tags(v: &serde_json::Value) -> Tags {
    v["tags"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !k.starts_with("oppie:"))
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
        .collect()
}
