//! Keys in Azure Key Vault, all through Resource Manager: a vault of the key's own (soft
//! delete for `deletion_window_days`, purge protection on, access policies), a user-assigned
//! managed identity that may use the key (what databases and caches given `key_id` encrypt
//! through), and the key as the ARM resource `Microsoft.KeyVault/vaults/keys` (RSA 3072 with a
//! rotation policy).
//!
//! Why ARM and not the vault's data plane: one endpoint, one token audience and one fake for
//! every Azure call, and no network path to the vault needed from where Terraform runs. The
//! cost: ARM creates a key only if it does not exist and never changes one, so a new
//! `rotation_days` replaces the key (the plan says so), and tags live on the vault. ARM has no
//! key delete either: destroying the key deletes its vault, which soft delete keeps
//! recoverable for `deletion_window_days`.

use serde_json::{Value, json};

use super::{Key, KeySpec, KeyState};
use crate::clouds::azure::groups::{self, group_of};
use crate::clouds::azure::names::{default_resource_group, id_part, last};
use crate::clouds::azure::{AzureRegion, api};
use crate::clouds::{CloudError, Native};
use crate::kinds::Api;

/// The vault of key `name`: the name itself when it fits Key Vault's rules (3 to 24 letters,
/// digits and single '-'); else its first 15 characters and 8 hex digits of a hash of it.
/// Vault names are unique across all of Azure, so key names should carry a company prefix.
pub(crate) fn vault_name(name: &str) -> String {
    if (3..=24).contains(&name.len()) && !name.contains("--") {
        return name.to_string();
    }
    let h = name.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    let head: String = name.chars().take(15).collect::<String>().trim_end_matches('-').replace("--", "-");
    format!("{head}-{h:08x}")
}

/// The managed identity the vault of key `key_id` (an ARM key id) grants the key's use to:
/// `<vault>-user` in the vault's resource group. `None` when `key_id` is no Key Vault key id.
pub(crate) fn identity_of_key(key_id: &str) -> Option<String> {
    let vault = id_part(key_id, "vaults")?;
    id_part(key_id, "keys")?;
    let group = key_id.split("/providers/").next()?;
    Some(format!("{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{vault}-user"))
}

/// The ARM id of the key a service reports as key URI `uri`
/// (`https://<vault>.vault.azure.net/keys/<key>[/<version>]`) with identity `identity`.
pub(crate) fn key_id_of_uri(uri: &str, identity: &str) -> Option<String> {
    let rest = uri.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/')?;
    let vault = host.split('.').next()?;
    let key = path.strip_prefix("keys/")?.split('/').next()?;
    let group = identity.split("/providers/").next()?;
    Some(format!("{group}/providers/Microsoft.KeyVault/vaults/{vault}/keys/{key}"))
}

/// `P365D`.
fn duration(days: u32) -> String {
    format!("P{days}D")
}

/// Days of `P365D` (and `P1Y` as 365).
fn days_of(d: &str) -> Option<u32> {
    let d = d.strip_prefix('P')?;
    if let Some(n) = d.strip_suffix('D') {
        return n.parse().ok();
    }
    d.strip_suffix('Y').and_then(|n| n.parse::<u32>().ok()).map(|y| y * 365)
}

/// The rotation policy: rotate `days` after each version is made; a version expires 30 days
/// after it should have been rotated, so a stalled rotation shows before data is locked out.
fn rotation_policy(days: u32) -> Value {
    json!({
        "attributes": {"expiryTime": duration(days + 30)},
        "lifetimeActions": [{"trigger": {"timeAfterCreate": duration(days)}, "action": {"type": "rotate"}}],
    })
}

fn rotation_days(key: &Value) -> u32 {
    key["properties"]["rotationPolicy"]["lifetimeActions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["action"]["type"].as_str().is_some_and(|t| t.eq_ignore_ascii_case("rotate")))
        .find_map(|a| a["trigger"]["timeAfterCreate"].as_str().and_then(days_of))
        .unwrap_or(0)
}

/// The ids a key is made of.
struct Ids {
    key: String,
    vault: String,
    identity: String,
    group: String,
    own_group: bool,
}

impl AzureRegion {
    fn key_ids(&self, spec: &KeySpec) -> Result<Ids, CloudError> {
        let own_group = spec.resource_group.is_none();
        let group = spec.resource_group.clone().unwrap_or_else(|| default_resource_group(&spec.name));
        let vault_name = vault_name(&spec.name);
        let vault = format!("{}/providers/Microsoft.KeyVault/vaults/{vault_name}", self.group_id(&group)?);
        let key = format!("{vault}/keys/{}", spec.name);
        let identity = identity_of_key(&key).unwrap_or_default();
        Ok(Ids { key, vault, identity, group, own_group })
    }
}

fn vault_of(key_id: &str) -> &str {
    key_id.rsplit_once("/keys/").map_or(key_id, |(v, _)| v)
}

#[tfplug::async_trait]
impl Api<Key> for AzureRegion {
    async fn known_id(&self, spec: &KeySpec) -> Option<String> {
        self.key_ids(spec).ok().map(|ids| ids.key)
    }

    async fn create(&self, spec: &KeySpec, _token: &str) -> Result<String, CloudError> {
        // Every step is an idempotent PUT by name: a retried create finds the first attempt's objects.
        let ids = self.key_ids(spec)?;
        self.ensure_group(&ids.group, ids.own_group, &ids.vault, &spec.tags).await?;
        let identity = match self
            .put(
                &ids.identity,
                api::IDENTITY,
                json!({"location": self.region, "tags": spec.tags}),
                "userAssignedIdentities.createOrUpdate",
            )
            .await
        {
            Ok(v) => v,
            Err(e) => return Err(self.undo_group(e, &ids.group, &ids.vault).await),
        };
        let tenant = identity["properties"]["tenantId"].as_str().unwrap_or_default().to_string();
        let principal = identity["properties"]["principalId"].as_str().unwrap_or_default().to_string();
        let body = json!({
            "location": self.region,
            "tags": spec.tags,
            "properties": {
                "tenantId": tenant,
                "sku": {"family": "A", "name": "standard"},
                "accessPolicies": [{
                    "tenantId": tenant,
                    "objectId": principal,
                    "permissions": {"keys": ["get", "wrapKey", "unwrapKey"]},
                }],
                "enableSoftDelete": true,
                "softDeleteRetentionInDays": spec.deletion_window_days,
                // Services encrypting with a customer-managed key require purge protection.
                "enablePurgeProtection": true,
                "enableRbacAuthorization": false,
                "publicNetworkAccess": "Enabled",
            },
        });
        if let Err(e) = self.put_start(&ids.vault, api::KEYVAULT, body, "vaults.createOrUpdate").await {
            if e.is_refusal() {
                // Nothing of the vault exists: the identity made for it goes too.
                let _ = self.delete(&ids.identity, api::IDENTITY, "userAssignedIdentities.delete").await;
            }
            return Err(self.undo_group(e, &ids.group, &ids.vault).await);
        }
        Ok(ids.key)
    }

    async fn settle(&self, id: &str, spec: &KeySpec) -> Result<(), CloudError> {
        self.settle_put(vault_of(id), api::KEYVAULT, "vaults.createOrUpdate").await?;
        let mut props = json!({
            "kty": "RSA",
            "keySize": 3072,
            "keyOps": ["encrypt", "decrypt", "wrapKey", "unwrapKey"],
        });
        if spec.rotation_days > 0 {
            props["rotationPolicy"] = rotation_policy(spec.rotation_days);
        }
        self.put(id, api::KEYVAULT, json!({"tags": spec.tags, "properties": props}), "keys.createIfNotExist").await?;
        Api::<Key>::update(self, id, spec).await
    }

    async fn update(&self, id: &str, spec: &KeySpec) -> Result<(), CloudError> {
        let vault = vault_of(id);
        let Some(v) = self.get(vault, api::KEYVAULT, "vaults.get").await? else {
            return Err(CloudError::other("Azure Key Vault", "vaults.get", format!("{vault} is gone")));
        };
        if groups::user_tags(&v) != spec.tags {
            self.patch(vault, api::KEYVAULT, json!({"tags": spec.tags}), "vaults.update").await?;
        }
        Ok(())
    }

    async fn read(&self, id: &str) -> Result<Option<KeyState>, CloudError> {
        let Some(key) = self.get(id, api::KEYVAULT, "keys.get").await? else { return Ok(None) };
        let vault = self.get(vault_of(id), api::KEYVAULT, "vaults.get").await?.unwrap_or(Value::Null);
        let group = group_of(id)?.to_string();
        let mut native = Native::new();
        native.insert("resource_group".into(), group.clone());
        native.insert("vault_id".into(), vault_of(id).to_string());
        native.insert("identity_id".into(), identity_of_key(id).unwrap_or_default());
        for (name, field) in [("key_uri", "keyUri"), ("key_uri_with_version", "keyUriWithVersion")] {
            if let Some(u) = key["properties"][field].as_str() {
                native.insert(name.into(), u.to_string());
            }
        }
        if let Some(u) = vault["properties"]["vaultUri"].as_str() {
            native.insert("vault_uri".into(), u.to_string());
        }
        Ok(Some(KeyState {
            name: key["name"].as_str().map_or_else(|| last(id).to_string(), str::to_string),
            rotation_days: rotation_days(&key),
            deletion_window_days: vault["properties"]["softDeleteRetentionInDays"]
                .as_u64()
                .and_then(|d| u32::try_from(d).ok()),
            tags: groups::user_tags(&vault),
            resource_group: Some(group),
            native,
        }))
    }

    async fn delete(&self, id: &str, _spec: &KeySpec) -> Result<(), CloudError> {
        // ARM deletes no key: the vault goes (soft-deleted, recoverable for the retention
        // days), then the identity that could use it, then a group made for them.
        let vault = vault_of(id);
        let group = group_of(id)?.to_string();
        self.delete(vault, api::KEYVAULT, "vaults.delete").await?;
        if let Some(identity) = identity_of_key(id) {
            crate::clouds::wait::while_in_use(|| {
                self.delete(&identity, api::IDENTITY, "userAssignedIdentities.delete")
            })
            .await?;
        }
        self.drop_group_if_owned(&group, vault).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_names_fit_key_vault() {
        assert_eq!(vault_name("shop-data"), "shop-data");
        let long = vault_name("shop-production-customer-data");
        assert!(long.len() <= 24, "{long}");
        assert_ne!(long, vault_name("shop-production-customer-logs"));
        assert!(!vault_name("a--b").contains("--"));
    }

    #[test]
    fn ids_and_uris_map() {
        let key = "/subscriptions/s/resourceGroups/kv-rg/providers/Microsoft.KeyVault/vaults/shop-data/keys/shop-data";
        let identity = identity_of_key(key).unwrap();
        assert_eq!(
            identity,
            "/subscriptions/s/resourceGroups/kv-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/shop-data-user"
        );
        assert_eq!(
            key_id_of_uri("https://shop-data.vault.azure.net/keys/shop-data/0123abc", &identity).as_deref(),
            Some(key)
        );
        assert_eq!(identity_of_key("arn:aws:kms:us-east-1:1:key/x"), None);
        assert_eq!(
            vault_of(key),
            "/subscriptions/s/resourceGroups/kv-rg/providers/Microsoft.KeyVault/vaults/shop-data"
        );
    }

    #[test]
    fn rotation_reads_back() {
        let key = json!({"properties": {"rotationPolicy": rotation_policy(90)}});
        assert_eq!(rotation_days(&key), 90);
        assert_eq!(rotation_days(&json!({})), 0);
        assert_eq!(days_of("P1Y"), Some(365));
    }
}
