//! Caches on AWS ElastiCache: a replication group named after the cache (so a create whose
//! answer was lost is found by name), one node or a primary and a replica in another zone
//! with automatic failover, in a cache subnet group `<name>-subnets` when subnets are given,
//! encrypted at rest and in transit, with the write-only auth token.

use std::time::Duration;

use aws_sdk_elasticache::types::{AuthTokenUpdateStrategyType, ReplicationGroup, Tag};

use super::{Cache, CacheSpec, CacheState};
use crate::clouds::aws::{AwsRegion, errors};
use crate::clouds::wait::poll;
use crate::clouds::{CloudError, Native, Tags};
use crate::kinds::Api;

const ELASTICACHE: &str = "AWS ElastiCache";

/// The tag that marks a subnet group the provider made for a cache.
const OWNER_TAG: &str = "oppie:owner";

fn subnet_group(name: &str) -> String {
    format!("{name}-subnets")
}

fn tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

fn i32_of(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl AwsRegion {
    async fn replication_group(&self, id: &str) -> Result<Option<ReplicationGroup>, CloudError> {
        match self.elasticache.describe_replication_groups().replication_group_id(id).send().await {
            Ok(out) => Ok(out.replication_groups().first().cloned()),
            Err(e) => {
                let e = errors::elasticache("DescribeReplicationGroups", e);
                if e.is_not_found() { Ok(None) } else { Err(e) }
            }
        }
    }

    async fn wait_cache_available(&self, id: &str) -> Result<(), CloudError> {
        poll(Duration::from_secs(30), || async {
            let Some(g) = self.replication_group(id).await? else {
                return Err(CloudError::other(
                    ELASTICACHE,
                    "DescribeReplicationGroups",
                    format!("cache {id} vanished"),
                ));
            };
            match g.status().unwrap_or_default() {
                "available" => Ok(Some(())),
                s @ ("creating" | "modifying" | "snapshotting" | "rebooting cluster nodes") => {
                    tracing::debug!(id, status = s, "waiting for the cache");
                    Ok(None)
                }
                s => Err(CloudError::other(
                    ELASTICACHE,
                    "DescribeReplicationGroups",
                    format!("cache {id} is {s:?}, not available; see its ElastiCache events"),
                )),
            }
        })
        .await
    }

    async fn cache_tags(&self, arn: &str) -> Result<Tags, CloudError> {
        let out = self
            .elasticache
            .list_tags_for_resource()
            .resource_name(arn)
            .send()
            .await
            .map_err(|e| errors::elasticache("ListTagsForResource", e))?;
        Ok(out
            .tag_list()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())))
            .filter(|(k, _)| !k.starts_with("oppie:"))
            .collect())
    }

    async fn owns_cache_group(&self, cache: &str) -> Result<Option<Vec<String>>, CloudError> {
        let out = match self
            .elasticache
            .describe_cache_subnet_groups()
            .cache_subnet_group_name(subnet_group(cache))
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let e = errors::elasticache("DescribeCacheSubnetGroups", e);
                return if e.is_not_found() { Ok(None) } else { Err(e) };
            }
        };
        let Some(g) = out.cache_subnet_groups().first() else { return Ok(None) };
        let Some(arn) = g.arn() else { return Ok(None) };
        let t = self
            .elasticache
            .list_tags_for_resource()
            .resource_name(arn)
            .send()
            .await
            .map_err(|e| errors::elasticache("ListTagsForResource", e))?;
        let ours = t.tag_list().iter().any(|t| t.key() == Some(OWNER_TAG) && t.value() == Some(cache));
        let mut subnets: Vec<String> =
            g.subnets().iter().filter_map(|s| s.subnet_identifier().map(str::to_string)).collect();
        subnets.sort();
        Ok(ours.then_some(subnets))
    }

    async fn drop_cache_group(&self, cache: &str) -> Result<(), CloudError> {
        if self.owns_cache_group(cache).await?.is_none() {
            return Ok(());
        }
        crate::clouds::wait::while_in_use(|| async {
            match self.elasticache.delete_cache_subnet_group().cache_subnet_group_name(subnet_group(cache)).send().await
            {
                Ok(_) => Ok(()),
                Err(e) => Err(errors::elasticache("DeleteCacheSubnetGroup", e)),
            }
        })
        .await
    }
}

#[tfplug::async_trait]
impl Api<Cache> for AwsRegion {
    async fn known_id(&self, spec: &CacheSpec) -> Option<String> {
        Some(spec.name.clone())
    }

    async fn create(&self, spec: &CacheSpec, _token: &str) -> Result<String, CloudError> {
        if !spec.subnet_ids.is_empty() {
            let made = self
                .elasticache
                .create_cache_subnet_group()
                .cache_subnet_group_name(subnet_group(&spec.name))
                .cache_subnet_group_description(format!("oppie_cache {}", spec.name))
                .set_subnet_ids(Some(spec.subnet_ids.clone()))
                .set_tags(Some(tags(&Tags::from([(OWNER_TAG.to_string(), spec.name.clone())]))))
                .send()
                .await;
            if let Err(e) = made {
                let e = errors::elasticache("CreateCacheSubnetGroup", e);
                // Made by an earlier attempt of this create: reuse it.
                if !(e.code.as_deref().is_some_and(|c| c.starts_with("CacheSubnetGroupAlreadyExists"))
                    && self.owns_cache_group(&spec.name).await?.is_some())
                {
                    return Err(e);
                }
            }
        }
        let made = |e: CloudError| if spec.subnet_ids.is_empty() { e } else { e.after_partial_create() };
        let ha = spec.high_availability;
        let req = self
            .elasticache
            .create_replication_group()
            .replication_group_id(&spec.name)
            .replication_group_description(format!("oppie_cache {}", spec.name))
            .engine(&spec.engine)
            .engine_version(&spec.version)
            .cache_node_type(&spec.node_type)
            .num_cache_clusters(if ha { 2 } else { 1 })
            .automatic_failover_enabled(ha)
            .multi_az_enabled(ha)
            .set_cache_subnet_group_name((!spec.subnet_ids.is_empty()).then(|| subnet_group(&spec.name)))
            .set_security_group_ids((!spec.firewall_ids.is_empty()).then(|| spec.firewall_ids.clone()))
            .at_rest_encryption_enabled(spec.encrypted)
            .set_kms_key_id(spec.key_id.clone())
            .transit_encryption_enabled(spec.transit_encryption)
            .set_auth_token(spec.auth_token.as_ref().filter(|_| spec.auth_enabled).map(|t| t.expose().to_string()))
            .snapshot_retention_limit(i32_of(spec.snapshot_retention_days))
            .port(6379)
            .set_tags(Some(tags(&spec.tags)));
        match req.send().await {
            Ok(_) => Ok(spec.name.clone()),
            Err(e) => {
                let e = errors::elasticache("CreateReplicationGroup", e);
                // A retried create that had happened (checked absent before the first attempt).
                if e.code.as_deref().is_some_and(|c| c.starts_with("ReplicationGroupAlreadyExists")) {
                    return Ok(spec.name.clone());
                }
                Err(made(e))
            }
        }
    }

    async fn settle(&self, id: &str, _spec: &CacheSpec) -> Result<(), CloudError> {
        self.wait_cache_available(id).await
    }

    async fn update(&self, id: &str, spec: &CacheSpec) -> Result<(), CloudError> {
        let Some(g) = self.replication_group(id).await? else {
            return Err(CloudError::other(ELASTICACHE, "DescribeReplicationGroups", format!("cache {id} is gone")));
        };
        let have = self.cache_state(&g).await?;
        let mut req = self.elasticache.modify_replication_group().replication_group_id(id).apply_immediately(true);
        let mut changes = 0usize;
        if have.node_type != spec.node_type {
            changes += 1;
            req = req.cache_node_type(&spec.node_type);
        }
        if have.version.as_deref().is_some_and(|v| v != spec.version) {
            changes += 1;
            req = req.engine_version(&spec.version);
        }
        if have.snapshot_retention_days != spec.snapshot_retention_days {
            changes += 1;
            req = req.snapshot_retention_limit(i32_of(spec.snapshot_retention_days));
        }
        if let Some(fw) = &have.firewall_ids
            && !spec.firewall_ids.is_empty()
            && *fw != sorted(&spec.firewall_ids)
        {
            changes += 1;
            req = req.set_security_group_ids(Some(spec.firewall_ids.clone()));
        }
        if let Some(t) = spec.auth_token.as_ref().filter(|_| spec.auth_enabled) {
            changes += 1;
            req = req.auth_token(t.expose()).auth_token_update_strategy(AuthTokenUpdateStrategyType::Rotate);
        }
        if changes > 0 {
            req.send().await.map_err(|e| errors::elasticache("ModifyReplicationGroup", e))?;
            self.wait_cache_available(id).await?;
        }
        if have.tags != spec.tags
            && let Some(arn) = g.arn()
        {
            let (gone, set) = crate::clouds::aws::tags::diff(&have.tags, &spec.tags);
            if !gone.is_empty() {
                self.elasticache
                    .remove_tags_from_resource()
                    .resource_name(arn)
                    .set_tag_keys(Some(gone))
                    .send()
                    .await
                    .map_err(|e| errors::elasticache("RemoveTagsFromResource", e))?;
            }
            if !set.is_empty() {
                self.elasticache
                    .add_tags_to_resource()
                    .resource_name(arn)
                    .set_tags(Some(tags(&set)))
                    .send()
                    .await
                    .map_err(|e| errors::elasticache("AddTagsToResource", e))?;
            }
        }
        Ok(())
    }

    async fn read(&self, id: &str) -> Result<Option<CacheState>, CloudError> {
        let Some(g) = self.replication_group(id).await? else { return Ok(None) };
        if g.status() == Some("deleting") {
            return Ok(None);
        }
        let mut state = self.cache_state(&g).await?;
        if let Some(k) = state.key_id.take() {
            state.key_id = self.customer_key(&k).await?;
        }
        Ok(Some(state))
    }

    async fn delete(&self, id: &str, _spec: &CacheSpec) -> Result<(), CloudError> {
        if let Some(g) = self.replication_group(id).await?
            && g.status() != Some("deleting")
            && let Err(e) = self.elasticache.delete_replication_group().replication_group_id(id).send().await
        {
            let e = errors::elasticache("DeleteReplicationGroup", e);
            if !e.is_not_found() {
                return Err(e);
            }
        }
        poll(Duration::from_secs(30), || async { Ok(self.replication_group(id).await?.is_none().then_some(())) })
            .await?;
        self.drop_cache_group(id).await
    }
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

impl AwsRegion {
    /// The cache as ElastiCache describes it. The engine version, subnets and security
    /// groups are on the member clusters, read from the first one.
    async fn cache_state(&self, g: &ReplicationGroup) -> Result<CacheState, CloudError> {
        let id = g.replication_group_id().unwrap_or_default().to_string();
        let member = g.member_clusters().first().cloned();
        let cluster = match member {
            Some(m) => match self.elasticache.describe_cache_clusters().cache_cluster_id(m).send().await {
                Ok(out) => out.cache_clusters().first().cloned(),
                Err(e) => {
                    let e = errors::elasticache("DescribeCacheClusters", e);
                    // (moto keeps no cache clusters for the members of a replication group.)
                    if e.is_not_found() { None } else { return Err(e) }
                }
            },
            None => None,
        };
        let engine = g.engine().unwrap_or("redis").to_string();
        let version = cluster.as_ref().and_then(|c| c.engine_version()).map(|v| {
            let parts: Vec<&str> = v.split('.').collect();
            parts.iter().take(2).copied().collect::<Vec<_>>().join(".")
        });
        let firewall_ids = cluster.as_ref().map(|c| {
            let mut v: Vec<String> =
                c.security_groups().iter().filter_map(|s| s.security_group_id().map(str::to_string)).collect();
            v.sort();
            v
        });
        let subnet_ids = match cluster.as_ref().map(|c| c.cache_subnet_group_name()) {
            Some(Some(_)) | None => self.owns_cache_group(&id).await?,
            Some(None) => Some(Vec::new()),
        };
        let primary = g.node_groups().first().and_then(|n| n.primary_endpoint());
        let on = |s: Option<&aws_sdk_elasticache::types::AutomaticFailoverStatus>| {
            s.is_some_and(|s| *s == aws_sdk_elasticache::types::AutomaticFailoverStatus::Enabled)
        };
        let mut native = Native::new();
        if let Some(arn) = g.arn() {
            native.insert("arn".into(), arn.to_string());
        }
        if let Some(s) = g.status() {
            native.insert("status".into(), s.to_string());
        }
        native.insert("member_clusters".into(), g.member_clusters().join(","));
        if let Some(r) = g.node_groups().first().and_then(|n| n.reader_endpoint()).and_then(|e| e.address()) {
            native.insert("reader_endpoint".into(), r.to_string());
        }
        let tags = match g.arn() {
            Some(arn) => self.cache_tags(arn).await?,
            None => Tags::new(),
        };
        Ok(CacheState {
            name: id,
            engine,
            version,
            node_type: g.cache_node_type().unwrap_or_default().to_string(),
            high_availability: on(g.automatic_failover()),
            subnet_ids,
            firewall_ids,
            encrypted: g.at_rest_encryption_enabled().unwrap_or(false),
            key_id: g.kms_key_id().map(str::to_string),
            transit_encryption: g.transit_encryption_enabled().unwrap_or(false),
            auth_enabled: g.auth_token_enabled().unwrap_or(false),
            snapshot_retention_days: u32::try_from(g.snapshot_retention_limit().unwrap_or(0)).unwrap_or(0),
            tags,
            resource_group: None,
            endpoint: primary.and_then(|e| e.address()).unwrap_or_default().to_string(),
            port: primary.and_then(|e| e.port()).and_then(|p| u16::try_from(p).ok()).unwrap_or(6379),
            native,
        })
    }
}
