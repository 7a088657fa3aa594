//! Buckets as a blob container in a storage account of their own (name derived from the
//! bucket's): HTTPS only, TLS 1.2, no anonymous access unless `public`, versioning on the
//! blob service, lifecycle rules as the account's management policy.

use serde_json::{Value, json};

use crate::clouds::azure::groups::{self, group_of};
use crate::clouds::azure::names::{default_resource_group, storage_account_name};
use crate::clouds::azure::{AzureRegion, api};
use tfplug::{AttributePath, Diagnostics, Plan};

use super::{Bucket, BucketSpec, BucketState, LifecycleRule, StorageClass};
use crate::catalog::Cloud;
use crate::clouds::{CloudError, ErrorKind, Native};
use crate::kinds::{Api, ListFilter, Listed, common};

/// The tag that keeps the bucket's name on its account (names lose '-' and '.' there).
const BUCKET_TAG: &str = "oppie:bucket";

/// Container names take letters, digits and single hyphens.
fn container_name(bucket: &str) -> String {
    bucket.replace('.', "-")
}

fn account_id(id: &str) -> &str {
    id.split_once("/blobServices/").map_or(id, |(a, _)| a)
}

fn account_props(spec: &BucketSpec) -> Value {
    json!({
        "supportsHttpsTrafficOnly": true,
        "minimumTlsVersion": "TLS1_2",
        "allowBlobPublicAccess": spec.public,
    })
}

fn account_tags(spec: &BucketSpec) -> Value {
    let mut t = spec.tags.clone();
    t.insert(BUCKET_TAG.into(), spec.name.clone());
    json!(t)
}

fn policy(rules: &[LifecycleRule]) -> Value {
    let rules: Vec<Value> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut base = json!({});
            if let (Some(days), Some(class)) = (r.transition_days, r.storage_class) {
                let key = match class {
                    StorageClass::Cold => "tierToCool",
                    StorageClass::Archive => "tierToArchive",
                };
                base[key] = json!({"daysAfterModificationGreaterThan": days});
            }
            if let Some(days) = r.expiration_days {
                base["delete"] = json!({"daysAfterModificationGreaterThan": days});
            }
            json!({"name": format!("rule-{i}"), "enabled": true, "type": "Lifecycle", "definition": {
                "filters": {"blobTypes": ["blockBlob"]},
                "actions": {"baseBlob": base},
            }})
        })
        .collect();
    json!({"properties": {"policy": {"rules": rules}}})
}

fn parse_policy(v: &Value) -> Vec<LifecycleRule> {
    let days = |a: &Value| a["daysAfterModificationGreaterThan"].as_u64().and_then(|d| u32::try_from(d).ok());
    v["properties"]["policy"]["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let base = &r["definition"]["actions"]["baseBlob"];
            let (transition_days, storage_class) = if base["tierToArchive"].is_object() {
                (days(&base["tierToArchive"]), Some(StorageClass::Archive))
            } else if base["tierToCool"].is_object() {
                (days(&base["tierToCool"]), Some(StorageClass::Cold))
            } else {
                (None, None)
            };
            LifecycleRule { transition_days, storage_class, expiration_days: days(&base["delete"]) }
        })
        .collect()
}

impl AzureRegion {
    fn account_id_for(&self, spec: &BucketSpec) -> Result<(String, String, bool), CloudError> {
        let own = spec.resource_group.is_none();
        let rg = spec.resource_group.clone().unwrap_or_else(|| default_resource_group(&spec.name));
        let id = format!(
            "{}/providers/Microsoft.Storage/storageAccounts/{}",
            self.group_id(&rg)?,
            storage_account_name(&spec.name)
        );
        Ok((id, rg, own))
    }
}

/// What Azure storage cannot do the way the attributes ask (every problem, not the first).
pub(super) fn check_plan(plan: &Plan, diags: &mut Diagnostics) {
    let p = &plan.planned;
    if p.attr("encrypted").as_bool() == Some(false) {
        diags.extend(common::not_on(
            Cloud::Azure,
            AttributePath::attr("encrypted"),
            "encrypted = false",
            "Azure Storage encrypts every account at rest; remove encrypted = false.",
        ));
    }
    if !p.attr("kms_key_id").is_null() {
        diags.extend(common::not_on(
            Cloud::Azure,
            AttributePath::attr("kms_key_id"),
            "kms_key_id",
            "customer-managed keys need a Key Vault and a managed identity, which this provider does not manage yet; remove kms_key_id.",
        ));
    }
    if let Some(name) = p.attr("name").as_str()
        && name.replace('.', "-").contains("--")
    {
        diags.extend(common::not_on(
            Cloud::Azure,
            AttributePath::attr("name"),
            "This bucket name",
            "Azure container names take single hyphens only (and '.' becomes '-'); avoid \"--\", \".-\" and \"-.\".",
        ));
    }
    if !p.attr("logging_bucket").is_null() {
        diags.extend(common::not_on(
            Cloud::Azure,
            AttributePath::attr("logging_bucket"),
            "logging_bucket",
            "Azure sends storage logs through diagnostic settings to Log Analytics or a storage account, not to a container; remove logging_bucket.",
        ));
    }
}

#[tfplug::async_trait]
impl Api<Bucket> for AzureRegion {
    async fn known_id(&self, spec: &BucketSpec) -> Option<String> {
        let (account, _, _) = self.account_id_for(spec).ok()?;
        Some(format!("{account}/blobServices/default/containers/{}", container_name(&spec.name)))
    }

    async fn create(&self, spec: &BucketSpec, _token: &str) -> Result<String, CloudError> {
        let (account, rg, own) = self.account_id_for(spec)?;
        self.ensure_group(&rg, own, &account, &spec.tags).await?;
        let body = json!({
            "location": self.region,
            "sku": {"name": "Standard_LRS"},
            "kind": "StorageV2",
            "tags": account_tags(spec),
            "properties": account_props(spec),
        });
        if let Err(e) = self.put_start(&account, api::STORAGE, body, "storageAccounts.create").await {
            return Err(self.undo_group(e, &rg, &account).await);
        }
        Ok(format!("{account}/blobServices/default/containers/{}", container_name(&spec.name)))
    }

    async fn settle(&self, id: &str, spec: &BucketSpec) -> Result<(), CloudError> {
        self.settle_put(account_id(id), api::STORAGE, "storageAccounts.create").await?;
        Api::<Bucket>::update(self, id, spec).await
    }

    async fn update(&self, id: &str, spec: &BucketSpec) -> Result<(), CloudError> {
        let account = account_id(id);
        let Some(a) = self.get(account, api::STORAGE, "storageAccounts.getProperties").await? else {
            return Err(CloudError::other(
                "Azure Resource Manager",
                "storageAccounts.getProperties",
                format!("{account} is gone"),
            ));
        };
        let p = &a["properties"];
        let drifted = p["allowBlobPublicAccess"].as_bool() != Some(spec.public)
            || p["supportsHttpsTrafficOnly"].as_bool() != Some(true)
            || p["minimumTlsVersion"].as_str() != Some("TLS1_2")
            || groups::user_tags(&a) != spec.tags;
        if drifted {
            let body = json!({"tags": account_tags(spec), "properties": account_props(spec)});
            self.patch(account, api::STORAGE, body, "storageAccounts.update").await?;
        }
        let service = format!("{account}/blobServices/default");
        let versioning = self.get(&service, api::STORAGE, "blobServices.getServiceProperties").await?;
        if versioning.as_ref().and_then(|v| v["properties"]["isVersioningEnabled"].as_bool()).unwrap_or(false)
            != spec.versioning
        {
            let body = json!({"properties": {"isVersioningEnabled": spec.versioning}});
            self.put(&service, api::STORAGE, body, "blobServices.setServiceProperties").await?;
        }
        let policy_id = format!("{account}/managementPolicies/default");
        let current = self.get(&policy_id, api::STORAGE, "managementPolicies.get").await?;
        let have = current.as_ref().map(parse_policy).unwrap_or_default();
        if have != spec.lifecycle_rules {
            if spec.lifecycle_rules.is_empty() {
                self.delete(&policy_id, api::STORAGE, "managementPolicies.delete").await?;
            } else {
                self.put(&policy_id, api::STORAGE, policy(&spec.lifecycle_rules), "managementPolicies.createOrUpdate")
                    .await?;
            }
        }
        let c = self.container(account, &container_name(&spec.name)).await?;
        match self.container_access(&c).await? {
            None => self.create_container(&c, spec.public).await,
            Some(level) if level.is_some() != spec.public => self.set_container_access(&c, spec.public).await,
            Some(_) => Ok(()),
        }
    }

    async fn read(&self, id: &str) -> Result<Option<BucketState>, CloudError> {
        let account = account_id(id);
        let Some(a) = self.get(account, api::STORAGE, "storageAccounts.getProperties").await? else { return Ok(None) };
        let container = crate::clouds::azure::names::last(id);
        let c = self.container(account, container).await?;
        let Some(level) = self.container_access(&c).await? else { return Ok(None) };
        let service = self
            .get(&format!("{account}/blobServices/default"), api::STORAGE, "blobServices.getServiceProperties")
            .await?;
        let policy =
            self.get(&format!("{account}/managementPolicies/default"), api::STORAGE, "managementPolicies.get").await?;
        let name = a["tags"][BUCKET_TAG].as_str().map_or_else(|| container.to_string(), str::to_string);
        let rg = group_of(id)?.to_string();
        let mut native = Native::new();
        native.insert("storage_account".into(), crate::clouds::azure::names::last(account).to_string());
        native.insert("container".into(), container.to_string());
        native.insert("resource_group".into(), rg.clone());
        native.insert("url".into(), c.url.to_string());
        Ok(Some(BucketState {
            spec: BucketSpec {
                name,
                versioning: service.and_then(|s| s["properties"]["isVersioningEnabled"].as_bool()).unwrap_or(false),
                encrypted: true,
                kms_key_id: None,
                public: a["properties"]["allowBlobPublicAccess"].as_bool().unwrap_or(false) && level.is_some(),
                logging_bucket: None,
                lifecycle_rules: policy.as_ref().map(parse_policy).unwrap_or_default(),
                tags: groups::user_tags(&a),
                resource_group: Some(rg),
                force_destroy: false,
            },
            native,
        }))
    }

    /// Storage accounts in the region that hold an Oppie bucket (the account's `oppie:bucket`
    /// tag names it); accounts made otherwise are not listed.
    async fn list(&self, filter: &ListFilter) -> Result<Vec<Listed>, CloudError> {
        let op = if filter.resource_group.is_some() {
            "storageAccounts.listByResourceGroup"
        } else {
            "storageAccounts.list"
        };
        let items = self
            .list_in_region("Microsoft.Storage/storageAccounts", filter.resource_group.as_deref(), api::STORAGE, op)
            .await?;
        Ok(items
            .iter()
            .filter(|a| filter.matches_tags(Some(&groups::user_tags(a))))
            .filter_map(|a| {
                let name = a["tags"][BUCKET_TAG].as_str()?;
                let id = format!("{}/blobServices/default/containers/{}", a["id"].as_str()?, container_name(name));
                Some(Listed { id, name: name.to_string() })
            })
            .collect())
    }

    async fn delete(&self, id: &str, spec: &BucketSpec) -> Result<(), CloudError> {
        let force = spec.force_destroy;
        let account = account_id(id);
        let rg = group_of(id)?.to_string();
        let Some(a) = self.get(account, api::STORAGE, "storageAccounts.getProperties").await? else {
            // A create that stopped after making the group: the group goes.
            return self.drop_group_if_owned(&rg, account).await;
        };
        let c = self.container(account, crate::clouds::azure::names::last(id)).await?;
        if !force && self.container_access(&c).await?.is_some() && self.container_has_blobs(&c).await? {
            return Err(CloudError {
                kind: ErrorKind::InUse,
                service: "Azure Blob",
                operation: "Delete Container".into(),
                code: Some("ContainerNotEmpty".into()),
                message: format!("{} still holds blobs: empty it, or set force_destroy = true", c.url),
                request_id: None,
            });
        }
        self.delete_container(&c).await?;
        self.delete(account, api::STORAGE, "storageAccounts.delete").await?;
        let owner = a["id"].as_str().unwrap_or(account).to_string();
        self.drop_group_if_owned(&rg, &owner).await
    }
}

/// Bucket snapshots are not offered on Azure Storage yet (the default refuses them).
impl super::Snapshots for AzureRegion {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_rules_round_trip() {
        let rules = vec![
            LifecycleRule { transition_days: Some(30), storage_class: Some(StorageClass::Cold), expiration_days: None },
            LifecycleRule {
                transition_days: Some(90),
                storage_class: Some(StorageClass::Archive),
                expiration_days: Some(365),
            },
        ];
        assert_eq!(parse_policy(&policy(&rules)), rules);
        assert_eq!(
            account_id("/s/x/providers/Microsoft.Storage/storageAccounts/a/blobServices/default/containers/c"),
            "/s/x/providers/Microsoft.Storage/storageAccounts/a"
        );
        assert_eq!(container_name("logs.example"), "logs-example");
    }
}
