//! Buckets as a blob container in a storage account of their own (name derived from the
//! bucket's): HTTPS only, TLS 1.2, no anonymous access unless `public`, versioning on the
//! blob service, lifecycle rules as the account's management policy.

use serde_json::{Value, json};

use crate::clouds::azure::groups::{self, group_of};
use crate::clouds::azure::names::{default_resource_group, storage_account_name};
use crate::clouds::azure::{AzureRegion, api};
use super::{BucketSpec, BucketState, Buckets, LifecycleRule, StorageClass};
use crate::clouds::{CloudError, ErrorKind, Native};

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

#[tfplug::async_trait]
impl Buckets for AzureRegion {
    async fn create_bucket(&self, spec: &BucketSpec) -> Result<String, CloudError> {
        let (account, rg, own) = self.account_id_for(spec)?;
        self.ensure_group(&rg, own, &account, &spec.tags).await?;
        let body = json!({
            "location": self.region,
            "sku": {"name": "Standard_LRS"},
            "kind": "StorageV2",
            "tags": account_tags(spec),
            "properties": account_props(spec),
        });
        self.put_start(&account, api::STORAGE, body, "storageAccounts.create").await?;
        Ok(format!("{account}/blobServices/default/containers/{}", container_name(&spec.name)))
    }

    async fn update_bucket(&self, id: &str, spec: &BucketSpec) -> Result<(), CloudError> {
        let account = account_id(id);
        self.settle(account, api::STORAGE, "storageAccounts.create").await?;
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

    async fn read_bucket(&self, id: &str) -> Result<Option<BucketState>, CloudError> {
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
            },
            native,
        }))
    }

    async fn delete_bucket(&self, id: &str, force: bool) -> Result<(), CloudError> {
        let account = account_id(id);
        let Some(a) = self.get(account, api::STORAGE, "storageAccounts.getProperties").await? else { return Ok(()) };
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
        let rg = group_of(id)?.to_string();
        let owner = a["id"].as_str().unwrap_or(account).to_string();
        self.drop_group_if_owned(&rg, &owner).await
    }
}

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
