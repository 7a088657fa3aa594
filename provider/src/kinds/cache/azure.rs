//! Caches on Azure Managed Redis (`Microsoft.Cache/redisEnterprise`; Azure Cache for Redis is
//! being retired): a cluster named after the cache with the catalog's SKU (`Balanced_B0`...),
//! high availability on or off, TLS 1.2, a customer-managed key through the user-assigned
//! identity of its `oppie_key`, and its one database, `default`, with the client protocol
//! (TLS or plain), access-key authentication and hourly RDB persistence for snapshots. The
//! cluster and database are long-running PUT, PATCH and DELETE operations.

use serde_json::{Value, json};

use super::{Cache, CacheSpec, CacheState};
use crate::clouds::azure::groups::{self, group_of};
use crate::clouds::azure::names::{default_resource_group, last};
use crate::clouds::azure::{AzureRegion, api};
use crate::clouds::{CloudError, ErrorKind, Native};
use crate::kinds::key::azure::{identity_of_key, key_id_of_uri};
use crate::kinds::{Api, ListFilter, Listed, arm_listed};

const CLUSTER: &str = "Microsoft.Cache/redisEnterprise";

fn enabled(on: bool) -> &'static str {
    if on { "Enabled" } else { "Disabled" }
}

fn database_of(cluster: &str) -> String {
    format!("{cluster}/databases/default")
}

fn database_body(spec: &CacheSpec, create: bool) -> Value {
    let mut props = json!({
        "clientProtocol": if spec.transit_encryption { "Encrypted" } else { "Plaintext" },
        "accessKeysAuthentication": enabled(spec.auth_enabled),
        "persistence": if spec.snapshot_retention_days > 0 {
            json!({"rdbEnabled": true, "rdbFrequency": "1h", "aofEnabled": false})
        } else {
            json!({"rdbEnabled": false, "aofEnabled": false})
        },
    });
    if create {
        // Fixed once the database exists.
        props["clusteringPolicy"] = json!("OSSCluster");
        props["evictionPolicy"] = json!("VolatileLRU");
        props["port"] = json!(10000);
    }
    json!({ "properties": props })
}

impl AzureRegion {
    fn cluster_id(&self, spec: &CacheSpec) -> Result<(String, String, bool), CloudError> {
        let own = spec.resource_group.is_none();
        let rg = spec.resource_group.clone().unwrap_or_else(|| default_resource_group(&spec.name));
        Ok((format!("{}/providers/{CLUSTER}/{}", self.group_id(&rg)?, spec.name), rg, own))
    }

    /// Makes the database, or brings it to `spec`.
    async fn sync_database(&self, cluster: &str, spec: &CacheSpec) -> Result<(), CloudError> {
        let db = database_of(cluster);
        match self.get(&db, api::REDIS, "redisEnterpriseDatabases.get").await? {
            None => self
                .put(&db, api::REDIS, database_body(spec, true), "redisEnterpriseDatabases.create")
                .await
                .map(|_| ()),
            Some(have) => {
                let want = database_body(spec, false);
                let p = &have["properties"];
                let same = ["clientProtocol", "accessKeysAuthentication"]
                    .iter()
                    .all(|k| p[*k] == want["properties"][*k])
                    && p["persistence"]["rdbEnabled"].as_bool().unwrap_or(false) == (spec.snapshot_retention_days > 0);
                if !same {
                    self.patch(&db, api::REDIS, want, "redisEnterpriseDatabases.update").await?;
                }
                Ok(())
            }
        }
    }
}

#[tfplug::async_trait]
impl Api<Cache> for AzureRegion {
    async fn known_id(&self, spec: &CacheSpec) -> Option<String> {
        self.cluster_id(spec).ok().map(|(id, _, _)| id)
    }

    async fn create(&self, spec: &CacheSpec, _token: &str) -> Result<String, CloudError> {
        // A PUT by name: a retried create finds the first attempt's cluster.
        let (id, rg, own) = self.cluster_id(spec)?;
        self.ensure_group(&rg, own, &id, &spec.tags).await?;
        let mut body = json!({
            "location": self.region,
            "tags": spec.tags,
            "sku": {"name": spec.node_type},
            "properties": {
                "highAvailability": enabled(spec.high_availability),
                "minimumTlsVersion": "1.2",
                "publicNetworkAccess": "Enabled",
            },
        });
        if let Some(k) = &spec.key_id {
            let refused = |why: String| CloudError {
                kind: ErrorKind::Invalid,
                service: "Azure Key Vault",
                operation: "keys.get".into(),
                code: None,
                message: why,
                request_id: None,
            };
            let found = match identity_of_key(k) {
                None => Err(refused(format!("key_id {k:?} is not a Key Vault key id: give an oppie_key id"))),
                Some(identity) => match self.get(k, api::KEYVAULT, "keys.get").await {
                    Ok(Some(key)) => {
                        Ok((key["properties"]["keyUri"].as_str().unwrap_or_default().to_string(), identity))
                    }
                    Ok(None) => Err(refused(format!("key {k} does not exist"))),
                    Err(e) => Err(e),
                },
            };
            let (uri, identity) = match found {
                Ok(x) => x,
                Err(e) => return Err(self.undo_group(e, &rg, &id).await),
            };
            body["identity"] = json!({"type": "UserAssigned", "userAssignedIdentities": {identity.clone(): {}}});
            body["properties"]["encryption"] = json!({"customerManagedKeyEncryption": {
                "keyEncryptionKeyUrl": uri,
                "keyEncryptionKeyIdentity": {
                    "identityType": "userAssignedIdentity",
                    "userAssignedIdentityResourceId": identity,
                },
            }});
        }
        if let Err(e) = self.put_start(&id, api::REDIS, body, "redisEnterprise.create").await {
            return Err(self.undo_group(e, &rg, &id).await);
        }
        Ok(id)
    }

    async fn settle(&self, id: &str, spec: &CacheSpec) -> Result<(), CloudError> {
        self.settle_put(id, api::REDIS, "redisEnterprise.create").await?;
        self.sync_database(id, spec).await?;
        Api::<Cache>::update(self, id, spec).await
    }

    async fn update(&self, id: &str, spec: &CacheSpec) -> Result<(), CloudError> {
        let Some(c) = self.get(id, api::REDIS, "redisEnterprise.get").await? else {
            return Err(CloudError::other("Azure Resource Manager", "redisEnterprise.get", format!("{id} is gone")));
        };
        if c["sku"]["name"].as_str() != Some(spec.node_type.as_str()) || groups::user_tags(&c) != spec.tags {
            let body = json!({"sku": {"name": spec.node_type}, "tags": spec.tags});
            self.patch(id, api::REDIS, body, "redisEnterprise.update").await?;
        }
        self.sync_database(id, spec).await
    }

    async fn read(&self, id: &str) -> Result<Option<CacheState>, CloudError> {
        let Some(c) = self.get(id, api::REDIS, "redisEnterprise.get").await? else { return Ok(None) };
        if c["properties"]["resourceState"] == "Deleting" {
            return Ok(None);
        }
        let db = self.get(&database_of(id), api::REDIS, "redisEnterpriseDatabases.get").await?.unwrap_or(Value::Null);
        Ok(Some(state_of(&c, &db, id)?))
    }

    async fn list(&self, filter: &ListFilter) -> Result<Vec<Listed>, CloudError> {
        let op = if filter.resource_group.is_some() {
            "redisEnterprise.listByResourceGroup"
        } else {
            "redisEnterprise.list"
        };
        let items = self.list_in_region(CLUSTER, filter.resource_group.as_deref(), api::REDIS, op).await?;
        Ok(items.iter().filter(|v| filter.matches_tags(Some(&groups::user_tags(v)))).filter_map(arm_listed).collect())
    }

    async fn delete(&self, id: &str, _spec: &CacheSpec) -> Result<(), CloudError> {
        // Deleting the cluster deletes its database.
        let rg = group_of(id)?.to_string();
        self.delete(id, api::REDIS, "redisEnterprise.delete").await?;
        self.drop_group_if_owned(&rg, id).await
    }
}

fn state_of(c: &Value, db: &Value, id: &str) -> Result<CacheState, CloudError> {
    let p = &c["properties"];
    let d = &db["properties"];
    let rg = group_of(id)?.to_string();
    let cmk = &p["encryption"]["customerManagedKeyEncryption"];
    let identity = cmk["keyEncryptionKeyIdentity"]["userAssignedIdentityResourceId"].as_str().unwrap_or_default();
    let key_id = cmk["keyEncryptionKeyUrl"].as_str().and_then(|u| key_id_of_uri(u, identity));
    let mut native = Native::new();
    native.insert("resource_group".into(), rg.clone());
    native.insert("state".into(), p["resourceState"].as_str().unwrap_or_default().to_string());
    native.insert("database_id".into(), database_of(id));
    let version = p["redisVersion"].as_str().map(|v| v.split('.').take(2).collect::<Vec<_>>().join("."));
    Ok(CacheState {
        name: c["name"].as_str().map_or_else(|| last(id).to_string(), str::to_string),
        engine: "redis".into(),
        version,
        node_type: c["sku"]["name"].as_str().unwrap_or_default().to_string(),
        // Azure's default is on.
        high_availability: p["highAvailability"].as_str() != Some("Disabled"),
        // Managed Redis is reached over its own endpoint (private endpoints are not managed).
        subnet_ids: Some(Vec::new()),
        firewall_ids: Some(Vec::new()),
        encrypted: true,
        key_id,
        transit_encryption: d["clientProtocol"].as_str() != Some("Plaintext"),
        auth_enabled: d["accessKeysAuthentication"].as_str() != Some("Disabled"),
        snapshot_retention_days: u32::from(d["persistence"]["rdbEnabled"] == true),
        tags: groups::user_tags(c),
        resource_group: Some(rg),
        endpoint: p["hostName"].as_str().unwrap_or_default().to_string(),
        port: d["port"].as_u64().and_then(|p| u16::try_from(p).ok()).unwrap_or(10000),
        native,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_and_its_database_read_back() {
        let id = "/subscriptions/s/resourceGroups/c-rg/providers/Microsoft.Cache/redisEnterprise/shop-cache";
        let c = json!({
            "name": "shop-cache", "sku": {"name": "Balanced_B1"}, "tags": {"team": "web"},
            "properties": {"highAvailability": "Enabled", "hostName": "shop-cache.eastus.redis.azure.net", "redisVersion": "7.4.2"},
        });
        let db =
            json!({"properties": {"clientProtocol": "Encrypted", "port": 10000, "persistence": {"rdbEnabled": true}}});
        let s = state_of(&c, &db, id).unwrap();
        assert_eq!(s.version.as_deref(), Some("7.4"));
        assert!(s.high_availability && s.transit_encryption && s.auth_enabled);
        assert_eq!(s.snapshot_retention_days, 1);
        assert_eq!(s.port, 10000);
        let plain = database_body(
            &CacheSpec {
                name: "x".into(),
                engine: "redis".into(),
                version: "7.4".into(),
                node_type: "Balanced_B0".into(),
                high_availability: false,
                subnet_ids: vec![],
                firewall_ids: vec![],
                encrypted: true,
                key_id: None,
                transit_encryption: false,
                auth_enabled: true,
                auth_token: None,
                snapshot_retention_days: 0,
                tags: Default::default(),
                resource_group: None,
            },
            true,
        );
        assert_eq!(plain["properties"]["clientProtocol"], "Plaintext");
        assert_eq!(plain["properties"]["persistence"]["rdbEnabled"], false);
    }
}
