//! Caches on Memorystore for Redis: an instance named after the cache, Basic tier or Standard
//! (a replica in another zone with failover) for high availability, on the network of the
//! subnet, TLS with server authentication, the AUTH string Memorystore generates, daily RDB
//! snapshots when asked for, and a Cloud KMS key. Creates, patches, upgrades and deletes are
//! long-running operations.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Cache, CacheSpec, CacheState};
use crate::clouds::gcp::{GcpRegion, last};
use crate::clouds::http::Call;
use crate::clouds::{CloudError, Native, Tags};
use crate::kinds::Api;

const REDIS: &str = "GCP Memorystore";

/// `7.2` -> `REDIS_7_2`, `6.x` -> `REDIS_6_X`.
fn redis_version(v: &str) -> String {
    format!("REDIS_{}", v.replace('.', "_").to_ascii_uppercase())
}

fn version_of(v: &str) -> Option<String> {
    let rest = v.strip_prefix("REDIS_")?;
    Some(rest.replace('_', ".").to_ascii_lowercase())
}

/// `5gb` -> 5.
fn memory_gb(node_type: &str) -> u32 {
    node_type.trim_end_matches("gb").parse().unwrap_or(1)
}

impl GcpRegion {
    async fn redis_instance(&self, id: &str) -> Result<Option<Value>, CloudError> {
        Ok(self.redis.get_opt(Call::new(Method::GET, self.redis_url(id, &[]), "instances.get")).await?.map(|r| r.json))
    }

    async fn redis_op(&self, call: Call) -> Result<(), CloudError> {
        let op = call.operation.clone();
        let r = self.redis.send(call).await?;
        self.lro_wait(&self.redis, &self.redis_base, &r.json, &op).await
    }
}

fn persistence(days: u32) -> Value {
    if days > 0 {
        json!({"persistenceMode": "RDB", "rdbSnapshotPeriod": "TWENTY_FOUR_HOURS"})
    } else {
        json!({"persistenceMode": "DISABLED"})
    }
}

#[tfplug::async_trait]
impl Api<Cache> for GcpRegion {
    async fn known_id(&self, spec: &CacheSpec) -> Option<String> {
        Some(format!("{}/instances/{}", self.location(), spec.name))
    }

    async fn create(&self, spec: &CacheSpec, _token: &str) -> Result<String, CloudError> {
        let id = format!("{}/instances/{}", self.location(), spec.name);
        let mut body = json!({
            "tier": if spec.high_availability { "STANDARD_HA" } else { "BASIC" },
            "memorySizeGb": memory_gb(&spec.node_type),
            "redisVersion": redis_version(&spec.version),
            "transitEncryptionMode": if spec.transit_encryption { "SERVER_AUTHENTICATION" } else { "DISABLED" },
            "authEnabled": spec.auth_enabled,
            "labels": spec.tags,
            "persistenceConfig": persistence(spec.snapshot_retention_days),
        });
        if let Some(subnet) = spec.subnet_ids.first() {
            body["authorizedNetwork"] = json!(self.cache_network(subnet).await?);
            body["connectMode"] = json!("PRIVATE_SERVICE_ACCESS");
        }
        if let Some(k) = &spec.key_id {
            body["customerManagedKey"] = json!(k);
        }
        let url = self.redis_url(&format!("{}/instances", self.location()), &[("instanceId", &spec.name)]);
        match self.redis.send(Call::new(Method::POST, url, "instances.create").json(body)).await {
            Ok(r) => {
                if let Ok(mut pending) = self.pending.lock() {
                    pending.insert(id.clone(), json!({ "lro": r.json }));
                }
                Ok(id)
            }
            // A retried create that had happened (checked absent before the first attempt).
            Err(e) if e.code.as_deref() == Some("ALREADY_EXISTS") || e.message.contains("already exists") => Ok(id),
            Err(e) => Err(e),
        }
    }

    async fn settle(&self, id: &str, _spec: &CacheSpec) -> Result<(), CloudError> {
        let op = self.pending.lock().ok().and_then(|mut p| p.remove(id));
        if let Some(op) = op.as_ref().map(|o| o["lro"].clone()) {
            return self.lro_wait(&self.redis, &self.redis_base, &op, "instances.create").await;
        }
        crate::clouds::wait::poll(std::time::Duration::from_secs(15), || async {
            match self.redis_instance(id).await? {
                Some(i) if i["state"] == "READY" => Ok(Some(())),
                Some(_) => Ok(None),
                None => Err(CloudError::other(REDIS, "instances.get", format!("cache {id} vanished"))),
            }
        })
        .await
    }

    async fn update(&self, id: &str, spec: &CacheSpec) -> Result<(), CloudError> {
        let Some(i) = self.redis_instance(id).await? else {
            return Err(CloudError::other(REDIS, "instances.get", format!("cache {id} is gone")));
        };
        let have = state_of(&i);
        let mut mask = Vec::new();
        let mut body = json!({});
        if have.node_type != spec.node_type {
            mask.push("memorySizeGb");
            body["memorySizeGb"] = json!(memory_gb(&spec.node_type));
        }
        if have.tags != spec.tags {
            mask.push("labels");
            body["labels"] = json!(spec.tags);
        }
        if have.snapshot_retention_days != spec.snapshot_retention_days.min(1) {
            mask.push("persistenceConfig");
            body["persistenceConfig"] = persistence(spec.snapshot_retention_days);
        }
        if !mask.is_empty() {
            let url = self.redis_url(id, &[("updateMask", &mask.join(","))]);
            self.redis_op(Call::new(Method::PATCH, url, "instances.patch").json(body)).await?;
        }
        if have.version.as_deref().is_some_and(|v| v != spec.version) {
            let url = self.redis_url(&format!("{id}:upgrade"), &[]);
            self.redis_op(
                Call::new(Method::POST, url, "instances.upgrade")
                    .json(json!({"redisVersion": redis_version(&spec.version)})),
            )
            .await?;
        }
        Ok(())
    }

    async fn read(&self, id: &str) -> Result<Option<CacheState>, CloudError> {
        let Some(i) = self.redis_instance(id).await? else { return Ok(None) };
        if i["state"] == "DELETING" {
            return Ok(None);
        }
        Ok(Some(state_of(&i)))
    }

    async fn delete(&self, id: &str, _spec: &CacheSpec) -> Result<(), CloudError> {
        // Memorystore refuses a delete while another operation runs (a create that was
        // interrupted, a resize): wait for it, within the resource's delete timeout.
        let busy = |i: &Value| {
            matches!(
                i["state"].as_str(),
                Some("CREATING" | "UPDATING" | "MAINTENANCE" | "IMPORTING" | "FAILING_OVER" | "DELETING")
            )
        };
        let present = crate::clouds::wait::poll(std::time::Duration::from_secs(15), || async {
            match self.redis_instance(id).await? {
                None => Ok(Some(false)),
                Some(i) if busy(&i) => Ok(None),
                Some(_) => Ok(Some(true)),
            }
        })
        .await?;
        if !present {
            return Ok(());
        }
        match self.redis_op(Call::new(Method::DELETE, self.redis_url(id, &[]), "instances.delete")).await {
            Err(e) if !e.is_not_found() => Err(e),
            _ => Ok(()),
        }
    }
}

impl GcpRegion {
    async fn cache_network(&self, subnet_id: &str) -> Result<String, CloudError> {
        let path = crate::clouds::gcp::resource_path(subnet_id);
        let rel = path.split_once("/regions/").map(|(_, r)| format!("regions/{r}")).unwrap_or(path.clone());
        let s = self.compute_get(&rel, "subnetworks.get").await?.ok_or_else(|| {
            CloudError::other("GCP Compute", "subnetworks.get", format!("subnet {subnet_id} does not exist"))
        })?;
        Ok(crate::clouds::gcp::resource_path(s["network"].as_str().unwrap_or_default()))
    }
}

fn state_of(i: &Value) -> CacheState {
    let mut native = Native::new();
    native.insert("state".into(), i["state"].as_str().unwrap_or_default().to_string());
    native.insert("current_location".into(), i["currentLocationId"].as_str().unwrap_or_default().to_string());
    if let Some(n) = i["authorizedNetwork"].as_str() {
        native.insert("network".into(), n.to_string());
    }
    if let Some(r) = i["readEndpoint"].as_str() {
        native.insert("read_endpoint".into(), r.to_string());
    }
    let gb = i["memorySizeGb"].as_u64().unwrap_or(0);
    CacheState {
        name: last(i["name"].as_str().unwrap_or_default()).to_string(),
        engine: "redis".into(),
        version: i["redisVersion"].as_str().and_then(version_of),
        node_type: format!("{gb}gb"),
        high_availability: i["tier"] == "STANDARD_HA",
        subnet_ids: None,
        firewall_ids: Some(Vec::new()),
        encrypted: true,
        key_id: i["customerManagedKey"].as_str().map(str::to_string),
        transit_encryption: i["transitEncryptionMode"] == "SERVER_AUTHENTICATION",
        auth_enabled: i["authEnabled"].as_bool().unwrap_or(false),
        snapshot_retention_days: u32::from(i["persistenceConfig"]["persistenceMode"] == "RDB"),
        tags: serde_json::from_value::<Tags>(i["labels"].clone()).unwrap_or_default(),
        resource_group: None,
        endpoint: i["host"].as_str().unwrap_or_default().to_string(),
        port: i["port"].as_u64().and_then(|p| u16::try_from(p).ok()).unwrap_or(6379),
        native,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_sizes_map() {
        assert_eq!(redis_version("7.2"), "REDIS_7_2");
        assert_eq!(redis_version("6.x"), "REDIS_6_X");
        assert_eq!(version_of("REDIS_6_X").as_deref(), Some("6.x"));
        assert_eq!(memory_gb("13gb"), 13);
    }
}
