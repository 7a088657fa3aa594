//! Databases on Azure Database for PostgreSQL and MySQL flexible servers: a server named after
//! the database in its resource group (or `<name>-rg` of its own), the catalog's SKU with its
//! tier (Burstable, General Purpose, Memory Optimized), zone-redundant high availability,
//! locally redundant backups, a delegated subnet for private placement, the administrator's
//! write-only password sent on create and when its version changes, a customer-managed key
//! through the user-assigned identity of its `oppie_key`, and a delete lock for
//! `deletion_protection`. PUT, PATCH and DELETE are long-running operations.

use serde_json::{Value, json};

use super::{Database, DatabaseSpec, DatabaseState, Engine};
use crate::clouds::azure::groups::{self, group_of};
use crate::clouds::azure::names::{default_resource_group, last};
use crate::clouds::azure::{AzureRegion, api};
use crate::clouds::{CloudError, ErrorKind, Native};
use crate::kinds::key::azure::{identity_of_key, key_id_of_uri};
use crate::kinds::{Api, ListFilter, Listed, arm_listed};

/// The tag that keeps `max_storage_gb`: Azure storage auto-grow has no limit of its own.
const MAX_STORAGE_TAG: &str = "oppie:max-storage-gb";

/// The resource type, API version and operation group of an engine's flexible servers.
fn service(engine: Engine) -> (&'static str, &'static str, &'static str) {
    match engine {
        Engine::Postgres => ("Microsoft.DBforPostgreSQL/flexibleServers", api::POSTGRES, "postgresqlServers"),
        Engine::Mysql => ("Microsoft.DBforMySQL/flexibleServers", api::MYSQL, "mysqlServers"),
    }
}

/// The engine of a server id.
fn engine_of(id: &str) -> Engine {
    if id.to_ascii_lowercase().contains("/microsoft.dbformysql/") { Engine::Mysql } else { Engine::Postgres }
}

/// The pricing tier of a SKU name: `Standard_B1ms` is Burstable, `Standard_E*` Memory Optimized.
fn sku_tier(name: &str) -> &'static str {
    match name.strip_prefix("Standard_").and_then(|n| n.chars().next()) {
        Some('B') => "Burstable",
        Some('E') => "MemoryOptimized",
        _ => "GeneralPurpose",
    }
}

fn op(engine: Engine, what: &str) -> String {
    format!("{}.{what}", service(engine).2)
}

fn enabled(on: bool) -> &'static str {
    if on { "Enabled" } else { "Disabled" }
}

impl AzureRegion {
    fn server_id(&self, spec: &DatabaseSpec) -> Result<(String, String, bool), CloudError> {
        let own = spec.resource_group.is_none();
        let rg = spec.resource_group.clone().unwrap_or_else(|| default_resource_group(&spec.name));
        let id = format!("{}/providers/{}/{}", self.group_id(&rg)?, service(spec.engine).0, spec.name);
        Ok((id, rg, own))
    }

    /// The key URI and identity for `key_id` (an `oppie_key` id on Azure).
    async fn server_key(&self, key_id: &str) -> Result<(String, String), CloudError> {
        let refused = |why: String| CloudError {
            kind: ErrorKind::Invalid,
            service: "Azure Key Vault",
            operation: "keys.get".into(),
            code: None,
            message: why,
            request_id: None,
        };
        let identity = identity_of_key(key_id)
            .ok_or_else(|| refused(format!("key_id {key_id:?} is not a Key Vault key id: give an oppie_key id")))?;
        let key = self
            .get(key_id, api::KEYVAULT, "keys.get")
            .await?
            .ok_or_else(|| refused(format!("key {key_id} does not exist")))?;
        let uri = key["properties"]["keyUri"].as_str().unwrap_or_default().to_string();
        Ok((uri, identity))
    }

    /// The tags as sent: the configuration's and the storage limit.
    fn server_tags(spec: &DatabaseSpec) -> Value {
        let mut tags = json!(spec.tags);
        if let Some(max) = spec.max_storage_gb {
            tags[MAX_STORAGE_TAG] = json!(max.to_string());
        }
        tags
    }

    /// The settings PUT and PATCH share.
    fn server_settings(spec: &DatabaseSpec) -> Value {
        let mut p = json!({
            "version": spec.version,
            "storage": {"storageSizeGB": spec.storage_gb, "autoGrow": enabled(spec.max_storage_gb.is_some())},
            "backup": {"backupRetentionDays": spec.backup_retention_days},
            "highAvailability": {"mode": if spec.high_availability { "ZoneRedundant" } else { "Disabled" }},
        });
        if spec.subnet_ids.is_empty() {
            p["network"] = json!({"publicNetworkAccess": enabled(spec.publicly_accessible)});
        }
        p
    }
}

#[tfplug::async_trait]
impl Api<Database> for AzureRegion {
    async fn known_id(&self, spec: &DatabaseSpec) -> Option<String> {
        self.server_id(spec).ok().map(|(id, _, _)| id)
    }

    async fn create(&self, spec: &DatabaseSpec, _token: &str) -> Result<String, CloudError> {
        // A PUT by name: a retried create finds the first attempt's server.
        let (id, rg, own) = self.server_id(spec)?;
        let (_, api_version, _) = service(spec.engine);
        self.ensure_group(&rg, own, &id, &spec.tags).await?;
        let mut props = Self::server_settings(spec);
        props["administratorLogin"] = json!(spec.username);
        if let Some(pw) = &spec.password {
            props["administratorLoginPassword"] = json!(pw.expose());
        }
        props["createMode"] = json!(match spec.engine {
            Engine::Postgres => "Create",
            Engine::Mysql => "Default",
        });
        props["backup"]["geoRedundantBackup"] = json!("Disabled");
        if let Some(subnet) = spec.subnet_ids.first() {
            props["network"] = json!({"delegatedSubnetResourceId": subnet, "publicNetworkAccess": "Disabled"});
        }
        let mut body = json!({
            "location": self.region,
            "tags": Self::server_tags(spec),
            "sku": {"name": spec.instance_class, "tier": sku_tier(&spec.instance_class)},
            "properties": props,
        });
        if let Some(k) = &spec.key_id {
            let (uri, identity) = match self.server_key(k).await {
                Ok(x) => x,
                Err(e) => return Err(self.undo_group(e, &rg, &id).await),
            };
            body["identity"] = json!({"type": "UserAssigned", "userAssignedIdentities": {identity.clone(): {}}});
            body["properties"]["dataEncryption"] =
                json!({"type": "AzureKeyVault", "primaryKeyURI": uri, "primaryUserAssignedIdentityId": identity});
        }
        if let Err(e) = self.put_start(&id, api_version, body, &op(spec.engine, "create")).await {
            return Err(self.undo_group(e, &rg, &id).await);
        }
        Ok(id)
    }

    async fn settle(&self, id: &str, spec: &DatabaseSpec) -> Result<(), CloudError> {
        let (_, api_version, _) = service(spec.engine);
        self.settle_put(id, api_version, &op(spec.engine, "create")).await?;
        // The password went with the create.
        let spec = DatabaseSpec { password: None, ..spec.clone() };
        Api::<Database>::update(self, id, &spec).await
    }

    async fn update(&self, id: &str, spec: &DatabaseSpec) -> Result<(), CloudError> {
        let Some(have) = Api::<Database>::read(self, id).await? else {
            return Err(CloudError::other("Azure Resource Manager", op(spec.engine, "get"), format!("{id} is gone")));
        };
        let (_, api_version, _) = service(spec.engine);
        let mut wanted_tags = spec.tags.clone();
        let mut have_tags = have.tags.clone();
        if let Some(max) = spec.max_storage_gb {
            wanted_tags.insert(MAX_STORAGE_TAG.into(), max.to_string());
        }
        if let Some(max) = have.max_storage_gb {
            have_tags.insert(MAX_STORAGE_TAG.into(), max.to_string());
        }
        let differs = have.instance_class != spec.instance_class
            || have.version != spec.version
            || have.storage_gb != spec.storage_gb
            || have.max_storage_gb != spec.max_storage_gb
            || have.high_availability != spec.high_availability
            || have.backup_retention_days != spec.backup_retention_days
            || (spec.subnet_ids.is_empty() && have.publicly_accessible != spec.publicly_accessible)
            || have_tags != wanted_tags
            || spec.password.is_some();
        if differs {
            let mut props = Self::server_settings(spec);
            if let Some(pw) = &spec.password {
                props["administratorLoginPassword"] = json!(pw.expose());
            }
            let body = json!({
                "tags": Self::server_tags(spec),
                "sku": {"name": spec.instance_class, "tier": sku_tier(&spec.instance_class)},
                "properties": props,
            });
            self.patch(id, api_version, body, &op(spec.engine, "update")).await?;
        }
        if have.deletion_protection != spec.deletion_protection {
            self.set_delete_lock(id, spec.deletion_protection, "oppie_database deletion_protection").await?;
        }
        Ok(())
    }

    async fn read(&self, id: &str) -> Result<Option<DatabaseState>, CloudError> {
        let engine = engine_of(id);
        let (_, api_version, _) = service(engine);
        let Some(s) = self.get(id, api_version, &op(engine, "get")).await? else { return Ok(None) };
        if s["properties"]["state"] == "Dropping" {
            return Ok(None);
        }
        let locked = self.delete_locked(id).await?;
        Ok(Some(state_of(&s, id, engine, locked)?))
    }

    async fn list(&self, filter: &ListFilter) -> Result<Vec<Listed>, CloudError> {
        let mut out = Vec::new();
        for engine in [Engine::Postgres, Engine::Mysql] {
            let (collection, api_version, _) = service(engine);
            let what = match (engine, filter.resource_group.is_some()) {
                (_, true) => "listByResourceGroup",
                (Engine::Postgres, false) => "listBySubscription",
                (Engine::Mysql, false) => "list",
            };
            let items = self
                .list_in_region(collection, filter.resource_group.as_deref(), api_version, &op(engine, what))
                .await?;
            out.extend(
                items.iter().filter(|v| filter.matches_tags(Some(&groups::user_tags(v)))).filter_map(arm_listed),
            );
        }
        Ok(out)
    }

    async fn delete(&self, id: &str, _spec: &DatabaseSpec) -> Result<(), CloudError> {
        let engine = engine_of(id);
        let (_, api_version, _) = service(engine);
        let rg = group_of(id)?.to_string();
        if self.get(id, api_version, &op(engine, "get")).await?.is_some() && self.delete_locked(id).await? {
            return Err(CloudError {
                kind: ErrorKind::Invalid,
                service: "Azure Resource Manager",
                operation: op(engine, "delete"),
                code: Some("ScopeLocked".into()),
                message: format!("{id} has deletion protection on. Set deletion_protection = false and apply first."),
                request_id: None,
            });
        }
        self.delete(id, api_version, &op(engine, "delete")).await?;
        self.drop_group_if_owned(&rg, id).await
    }
}

/// The server as Resource Manager describes it.
fn state_of(s: &Value, id: &str, engine: Engine, locked: bool) -> Result<DatabaseState, CloudError> {
    let p = &s["properties"];
    let num = |v: &Value| v.as_u64().and_then(|n| u32::try_from(n).ok());
    let rg = group_of(id)?.to_string();
    let all_tags = groups::user_tags(s);
    let max_storage_gb = if p["storage"]["autoGrow"] == "Enabled" {
        s["tags"][MAX_STORAGE_TAG].as_str().and_then(|m| m.parse().ok())
    } else {
        None
    };
    let identity = p["dataEncryption"]["primaryUserAssignedIdentityId"].as_str().unwrap_or_default();
    let key_id = match p["dataEncryption"]["type"].as_str() {
        Some("AzureKeyVault") => p["dataEncryption"]["primaryKeyURI"].as_str().and_then(|u| key_id_of_uri(u, identity)),
        _ => None,
    };
    let subnet = p["network"]["delegatedSubnetResourceId"].as_str().filter(|s| !s.is_empty());
    let endpoint = p["fullyQualifiedDomainName"].as_str().unwrap_or_default().to_string();
    let mut native = Native::new();
    native.insert("resource_group".into(), rg.clone());
    native.insert("state".into(), p["state"].as_str().unwrap_or_default().to_string());
    native.insert("fqdn".into(), endpoint.clone());
    let version = p["version"].as_str().map(|v| engine.major(v)).unwrap_or_default();
    let backup_days = num(&p["backup"]["backupRetentionDays"]).unwrap_or(0);
    Ok(DatabaseState {
        name: s["name"].as_str().map_or_else(|| last(id).to_string(), str::to_string),
        engine,
        version,
        instance_class: s["sku"]["name"].as_str().unwrap_or_default().to_string(),
        storage_gb: num(&p["storage"]["storageSizeGB"]).unwrap_or(0),
        max_storage_gb,
        subnet_ids: Some(subnet.map(|s| vec![s.to_string()]).unwrap_or_default()),
        firewall_ids: Vec::new(),
        allowed_sources: Vec::new(),
        publicly_accessible: p["network"]["publicNetworkAccess"] == "Enabled",
        encrypted: true,
        key_id,
        username: p["administratorLogin"].as_str().unwrap_or_default().to_string(),
        manage_password: false,
        high_availability: p["highAvailability"]["mode"].as_str().is_some_and(|m| m != "Disabled"),
        backup_retention_days: backup_days,
        point_in_time_recovery: backup_days > 0,
        deletion_protection: locked,
        final_snapshot: Some(false),
        tags: all_tags,
        resource_group: Some(rg),
        endpoint,
        port: engine.port(),
        native,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skus_have_their_tier_and_ids_their_engine() {
        assert_eq!(sku_tier("Standard_B1ms"), "Burstable");
        assert_eq!(sku_tier("Standard_D2ds_v5"), "GeneralPurpose");
        assert_eq!(sku_tier("Standard_E4ds_v5"), "MemoryOptimized");
        assert_eq!(
            engine_of("/subscriptions/s/resourceGroups/r/providers/Microsoft.DBforMySQL/flexibleServers/x"),
            Engine::Mysql
        );
        assert_eq!(
            engine_of("/subscriptions/s/resourceGroups/r/providers/Microsoft.DBforPostgreSQL/flexibleServers/x"),
            Engine::Postgres
        );
    }

    #[test]
    fn a_server_reads_back_as_its_spec() {
        let id = "/subscriptions/s/resourceGroups/db-rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/shop-db";
        let s = json!({
            "name": "shop-db",
            "sku": {"name": "Standard_D2ds_v5", "tier": "GeneralPurpose"},
            "tags": {"team": "web", MAX_STORAGE_TAG: "100"},
            "properties": {
                "version": "16", "administratorLogin": "oppie", "state": "Ready",
                "fullyQualifiedDomainName": "shop-db.postgres.database.azure.com",
                "storage": {"storageSizeGB": 64, "autoGrow": "Enabled"},
                "backup": {"backupRetentionDays": 30, "geoRedundantBackup": "Disabled"},
                "highAvailability": {"mode": "ZoneRedundant"},
                "network": {"publicNetworkAccess": "Disabled"},
                "dataEncryption": {
                    "type": "AzureKeyVault",
                    "primaryKeyURI": "https://kv.vault.azure.net/keys/k",
                    "primaryUserAssignedIdentityId": "/subscriptions/s/resourceGroups/kv-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/kv-user",
                },
            },
        });
        let d = state_of(&s, id, Engine::Postgres, true).unwrap();
        assert_eq!(d.max_storage_gb, Some(100));
        assert_eq!(d.tags.len(), 1, "the limit tag is Oppie's own");
        assert!(d.high_availability && d.deletion_protection && d.point_in_time_recovery);
        assert_eq!(
            d.key_id.as_deref(),
            Some("/subscriptions/s/resourceGroups/kv-rg/providers/Microsoft.KeyVault/vaults/kv/keys/k")
        );
        assert_eq!(d.endpoint, "shop-db.postgres.database.azure.com");
        assert_eq!(d.port, 5432);
    }
}
