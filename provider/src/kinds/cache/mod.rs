//! `oppie_cache`: a managed Redis-compatible cache (AWS ElastiCache replication group,
//! Memorystore for Redis instance, Azure Managed Redis), encrypted at rest and in transit
//! unless told otherwise. The `tier` sets replicas and snapshots; the AWS auth token is
//! write-only, and GCP and Azure generate theirs.

pub(crate) mod aws;
pub(crate) mod azure;
pub(crate) mod gcp;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tfplug::plan::{RequiresReplace, UseStateForUnknown};
use tfplug::timeouts::Operation;
use tfplug::validator::{from_fn, int_between, one_of};
use tfplug::{Attribute, AttributePath, Block, Context, Diagnostics, MaybeUnknown, Object, Plan, Type, Value};

use super::common::{self, Placement};
use super::tier::{self, Tier};
use super::{Api, Kind};
use crate::catalog::Cloud;
use crate::catalog::services::Service;
use crate::client::Client;
use crate::clouds::{Native, Region, Tags};
use crate::secret::Secret;

/// The kind.
pub struct Cache;

/// The catalog section caches resolve sizes and versions in.
pub const SERVICE: Service = Service::Cache;

/// What the configuration asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheSpec {
    /// The cache's name (its identity).
    pub name: String,
    /// `redis` or `valkey`.
    pub engine: String,
    /// Major version.
    pub version: String,
    /// The cloud's size (`cache.t4g.micro`, `1gb`, `Balanced_B0`).
    pub node_type: String,
    /// A replica in another zone with automatic failover.
    pub high_availability: bool,
    /// Private placement.
    pub subnet_ids: Vec<String>,
    /// AWS: security groups.
    pub firewall_ids: Vec<String>,
    /// Encrypted at rest.
    pub encrypted: bool,
    /// Customer-managed key.
    pub key_id: Option<String>,
    /// TLS in transit.
    pub transit_encryption: bool,
    /// Clients must authenticate.
    pub auth_enabled: bool,
    /// The AWS auth token, when the configuration sets or changes it (write-only).
    pub auth_token: Option<Secret>,
    /// Days of daily snapshots (0: none).
    pub snapshot_retention_days: u32,
    /// Tags or labels.
    pub tags: Tags,
    /// Azure only: the resource group.
    pub resource_group: Option<String>,
}

/// What exists; settings a cloud does not report are `None` and keep their stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheState {
    /// Name.
    pub name: String,
    /// Engine.
    pub engine: String,
    /// Major version, where reported.
    pub version: Option<String>,
    /// The cloud's size.
    pub node_type: String,
    /// Replicas with failover.
    pub high_availability: bool,
    /// Subnets, where reported.
    pub subnet_ids: Option<Vec<String>>,
    /// Security groups, where reported.
    pub firewall_ids: Option<Vec<String>>,
    /// Encrypted at rest.
    pub encrypted: bool,
    /// Customer-managed key.
    pub key_id: Option<String>,
    /// TLS in transit.
    pub transit_encryption: bool,
    /// Authentication on.
    pub auth_enabled: bool,
    /// Snapshot days.
    pub snapshot_retention_days: u32,
    /// Tags or labels.
    pub tags: Tags,
    /// Azure: the resource group.
    pub resource_group: Option<String>,
    /// Primary endpoint host.
    pub endpoint: String,
    /// Port.
    pub port: u16,
    /// ARN, self link, ids, by name.
    pub native: Native,
}

#[derive(Deserialize)]
struct Planned {
    name: String,
    engine: String,
    version: String,
    node_type: String,
    high_availability: bool,
    subnet_ids: Option<BTreeSet<String>>,
    firewall_ids: MaybeUnknown<Option<BTreeSet<String>>>,
    encrypted: bool,
    key_id: Option<String>,
    transit_encryption: bool,
    auth_enabled: bool,
    snapshot_retention_days: u32,
    resource_group: MaybeUnknown<Option<String>>,
}

#[derive(Serialize)]
struct Refreshed<'a> {
    name: &'a str,
    engine: &'a str,
    node_type: &'a str,
    high_availability: bool,
    encrypted: bool,
    transit_encryption: bool,
    auth_enabled: bool,
    snapshot_retention_days: u32,
    endpoint: &'a str,
    port: u16,
}

fn path(name: &str) -> AttributePath {
    AttributePath::attr(name)
}

/// Cache names every cloud takes: 3 to 40 lower-case letters, digits and single '-'.
fn check_name(v: &Value) -> Result<(), String> {
    let Some(s) = v.as_str() else { return Ok(()) };
    let ok = s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !(3..=40).contains(&s.len())
        || !ok
        || !s.starts_with(|c: char| c.is_ascii_lowercase())
        || s.ends_with('-')
        || s.contains("--")
    {
        return Err(format!(
            "{s:?}: use 3 to 40 lower-case letters, digits and single '-', starting with a letter and not ending with '-'"
        ));
    }
    Ok(())
}

fn configured(plan: &Plan, name: &str) -> bool {
    !plan.config.attr(name).is_null()
}

fn plan_cache(ctx: &Context<Client>, plan: &mut Plan, place: Option<&Placement>, diags: &mut Diagnostics) {
    diags.absorb(common::plan_resource_group(plan, place));
    let creating = plan.prior.is_null();
    let cloud = place.map(|p| p.cloud);
    let tier = tier::plan_tier(plan);
    diags.absorb(plan.planned.set_attr("tier", &tier::map(tier.clone(), Tier::key)));
    if !configured(plan, "high_availability") {
        diags.absorb(
            plan.planned.set_attr("high_availability", &tier::map(tier.clone(), |t| t.defaults().high_availability)),
        );
    }
    if !configured(plan, "snapshot_retention_days") {
        let days = tier::map(tier.clone(), |t| match t {
            Tier::Dev => 0u32,
            Tier::Staging => 1,
            Tier::Prod => 7,
        });
        diags.absorb(plan.planned.set_attr("snapshot_retention_days", &days));
    }
    let engine = plan.planned.attr("engine").as_str().map(str::to_string);
    if let (Some(p), Some(engine)) = (place, engine) {
        let cat = p.catalog();
        match cat.engine(p.cloud, SERVICE, &engine) {
            Err(e) => diags.add_attribute_error(path("engine"), "Engine not offered", e),
            Ok(_) => {
                let version = plan.config.attr("version").as_str().map(str::to_string);
                match cat.service_version(p.cloud, SERVICE, &engine, version.as_deref()) {
                    Ok(_) if version.is_none() && !creating && plan.prior.attr("version").as_str().is_some() => {
                        let prior = plan.prior.attr("version").clone();
                        diags.absorb(plan.planned.set_attr("version", &prior));
                    }
                    Ok(v) => {
                        diags.absorb(plan.planned.set_attr("version", &v));
                    }
                    Err(e) => diags.add_attribute_error(path("version"), "Unknown version", e),
                }
                match plan.planned.attr("size").as_str().map(str::to_string) {
                    Some(size) => match cat.service_size(p.cloud, SERVICE, &engine, &size) {
                        Ok(native) => {
                            diags.absorb(plan.planned.set_attr("node_type", &native));
                        }
                        Err(e) => diags.add_attribute_error(path("size"), "Unknown size", e),
                    },
                    None => {
                        diags.absorb(plan.planned.set_attr("node_type", &MaybeUnknown::<String>::Unknown));
                    }
                }
            }
        }
    } else {
        if !configured(plan, "version") {
            diags.absorb(plan.planned.set_attr("version", &MaybeUnknown::<String>::Unknown));
        }
        diags.absorb(plan.planned.set_attr("node_type", &MaybeUnknown::<String>::Unknown));
    }
    if !creating {
        if common::changed(plan, "high_availability") {
            plan.requires_replace.push(path("high_availability"));
        }
        let own_network = |n: &std::collections::BTreeMap<String, Value>| {
            n.get("network").and_then(Value::as_str).is_some_and(|net| !net.ends_with("/networks/default"))
        };
        if common::subnets_moved(plan, cloud, own_network) {
            plan.requires_replace.push(path("subnet_ids"));
        }
        if let (Some(old), Some(new)) = (plan.prior.attr("version").as_str(), plan.planned.attr("version").as_str()) {
            let nums = |s: &str| s.split('.').map(|p| p.parse::<u32>().unwrap_or(0)).collect::<Vec<_>>();
            if nums(new) < nums(old) {
                plan.requires_replace.push(path("version"));
            }
        }
    }

    if !configured(plan, "firewall_ids") && cloud.is_some_and(|c| c != Cloud::Aws) {
        diags.absorb(plan.planned.set_attr("firewall_ids", &Option::<Vec<String>>::None));
    }

    // Authentication: AWS takes a token of yours; GCP and Azure make their own.
    let token_set = configured(plan, "auth_token_wo");
    let auth = plan.planned.attr("auth_enabled").as_bool();
    if plan.planned.attr("encrypted").as_bool() == Some(false) && configured(plan, "key_id") {
        diags.add_attribute_error(
            path("key_id"),
            "Key without encryption",
            "key_id needs encrypted = true (the default).",
        );
    }
    if token_set && !configured(plan, "auth_token_wo_version") {
        diags.add_attribute_error(
            path("auth_token_wo_version"),
            "No token version",
            "Set auth_token_wo_version with auth_token_wo (any number); change it whenever the token changes.",
        );
    }
    match cloud {
        Some(Cloud::Aws) => {
            if auth == Some(true) && !token_set && creating {
                let old = crate::kinds::secrets::before_write_only(ctx.terraform_version())
                    && !ctx.terraform_version().is_empty();
                diags.add_attribute_error(
                    path("auth_enabled"),
                    "No auth token",
                    if old {
                        format!("ElastiCache authenticates with a token you choose, sent write-only, which Terraform {} cannot send (write-only arguments came in 1.11): set auth_enabled = false, or use Terraform 1.11 or later with auth_token_wo.", ctx.terraform_version())
                    } else {
                        "ElastiCache authenticates with a token you choose: set auth_token_wo (16 to 128 characters) with auth_token_wo_version, or auth_enabled = false.".to_string()
                    },
                );
            }
            if token_set && auth == Some(false) {
                diags.add_attribute_error(
                    path("auth_token_wo"),
                    "Token without authentication",
                    "auth_token_wo needs auth_enabled = true (the default).",
                );
            }
            if (auth == Some(true) || token_set) && plan.planned.attr("transit_encryption").as_bool() == Some(false) {
                diags.add_attribute_error(path("transit_encryption"), "Authentication needs TLS", "ElastiCache takes an auth token only over TLS: keep transit_encryption = true, or set auth_enabled = false.");
            }
        }
        Some(c) => {
            if token_set {
                diags.extend(common::not_on(
                    c,
                    path("auth_token_wo"),
                    "auth_token_wo",
                    match c {
                        Cloud::Gcp => "Memorystore generates the AUTH string itself when auth_enabled = true (read it with `gcloud redis instances get-auth-string`); remove auth_token_wo.",
                        _ => "Azure Managed Redis generates its access keys when auth_enabled = true (read them with `az redisenterprise database list-keys`); remove auth_token_wo.",
                    },
                ));
            }
            if configured(plan, "firewall_ids") {
                diags.extend(common::not_on(
                    c,
                    path("firewall_ids"),
                    "firewall_ids",
                    "Only AWS places caches behind security groups; use subnet_ids for private placement.",
                ));
            }
            if plan.planned.attr("encrypted").as_bool() == Some(false) {
                diags.extend(common::not_on(
                    c,
                    path("encrypted"),
                    "encrypted = false",
                    "Memorystore and Azure Managed Redis encrypt every cache at rest; remove encrypted = false.",
                ));
            }
            if c == Cloud::Azure && plan.planned.attr("subnet_ids").as_slice().is_some_and(|s| !s.is_empty()) {
                diags.extend(common::not_on(
                    c,
                    path("subnet_ids"),
                    "subnet_ids",
                    "Azure Managed Redis joins a network through private endpoints, which this provider does not manage yet; remove subnet_ids (the cache keeps its TLS endpoint and access keys).",
                ));
            }
            if c == Cloud::Gcp && plan.planned.attr("subnet_ids").as_slice().is_some_and(|s| s.len() > 1) {
                diags.add_attribute_error(
                    path("subnet_ids"),
                    "One network on GCP",
                    "Memorystore attaches to one network: give one subnet (its network is used).",
                );
            }
        }
        None => {}
    }
    if cloud == Some(Cloud::Aws)
        && let Some(n) = plan.planned.attr("name").as_str().map(str::to_string)
    {
        diags.absorb(common::set_ids(&mut plan.planned, &n, None));
    }
    if creating {
        diags.absorb(plan.planned.set_attr("endpoint", &MaybeUnknown::<String>::Unknown));
        diags.absorb(plan.planned.set_attr("port", &MaybeUnknown::<u16>::Unknown));
    }
    let changed = !creating && ["node_type", "version"].iter().any(|a| common::changed(plan, a));
    diags.absorb(common::plan_native(plan, changed));
}

#[tfplug::async_trait]
impl Kind for Cache {
    const TYPE: &'static str = "oppie_cache";
    const NOUN: &'static str = "cache";
    const CLOUDS: &'static [Cloud] = &[Cloud::Aws, Cloud::Gcp, Cloud::Azure];
    const TIMEOUTS: [(Operation, Duration); 3] = [
        (Operation::Create, Duration::from_secs(2700)),
        (Operation::Update, Duration::from_secs(2700)),
        (Operation::Delete, Duration::from_secs(2700)),
    ];
    type Spec = CacheSpec;
    type State = CacheState;

    fn block() -> Block {
        Block::new()
            .markdown("A managed Redis-compatible cache: an AWS ElastiCache replication group (redis or valkey), a Memorystore for Redis instance, or an Azure Managed Redis cluster with its database. Safe defaults: encrypted at rest and in transit, authentication on (AWS: your write-only token; GCP and Azure generate theirs). `tier` (from the `environment` tag when unset) sets replicas and snapshots.")
            .attribute(Attribute::string("name").required().validator(from_fn("a cache name", check_name)).plan_modifier(RequiresReplace).description("The cache's name (3 to 40 lower-case letters, digits, '-'); also its `id` on AWS. Changing it replaces the cache."))
            .attribute(Attribute::string("engine").default("redis").validator(one_of(["redis", "valkey"])).plan_modifier(RequiresReplace).description("`redis` (default), or `valkey` where the cloud offers it (AWS). Changing it replaces the cache."))
            .attribute(Attribute::string("version").optional().computed().description("Major version from the catalog (e.g. `7.1` on AWS, `7.2` on GCP, `7.4` on Azure); default the catalog's. Upgrades are in place; a lower version replaces the cache."))
            .attribute(Attribute::string("size").required().description("A catalog size (`xs`..`xl`: `cache.t4g.micro`, a 1 GB Memorystore instance, `Balanced_B0`) or a native size. Changes in place."))
            .attribute(Attribute::string("node_type").computed().plan_modifier(UseStateForUnknown).description("The native size `size` resolved to."))
            .attribute(Attribute::bool("high_availability").optional().computed().description("A replica in another zone with automatic failover (Memorystore Standard tier; Azure high availability). Default from `tier`. Changing it replaces the cache."))
            .attribute(Attribute::new("subnet_ids", Type::set(Type::String)).optional().description("Private placement: `oppie_subnet` ids (AWS: a cache subnet group of them; GCP: the network of the one subnet; not on Azure yet, where Managed Redis joins networks through private endpoints). Changing them replaces the cache."))
            .attribute(Attribute::new("firewall_ids", Type::set(Type::String)).optional().computed().plan_modifier(UseStateForUnknown).description("AWS: `oppie_firewall` ids (security groups) that apply; unset: the network's default security group. Changes in place."))
            .attribute(Attribute::bool("encrypted").default(true).plan_modifier(RequiresReplace).description("Encrypt data at rest (default true; GCP and Azure always do). Changing it replaces the cache."))
            .attribute(Attribute::string("key_id").optional().plan_modifier(RequiresReplace).description("The `id` of an `oppie_key` to encrypt at rest with. Changing it replaces the cache."))
            .attribute(Attribute::bool("transit_encryption").default(true).plan_modifier(RequiresReplace).description("TLS between clients and the cache (default true). Changing it replaces the cache."))
            .attribute(Attribute::bool("auth_enabled").default(true).plan_modifier(RequiresReplace).description("Clients must authenticate (default true): on AWS with `auth_token_wo`, on GCP and Azure with the AUTH string or access key the cloud generates. Changing it replaces the cache."))
            .attribute(Attribute::string("auth_token_wo").optional().sensitive().write_only().description("AWS: the auth token (16 to 128 characters), write-only: never in plan or state (Terraform 1.11 or later). Change `auth_token_wo_version` to rotate it."))
            .attribute(Attribute::number("auth_token_wo_version").optional().description("Any number; changing it sends `auth_token_wo` again (in place)."))
            .attribute(Attribute::number("snapshot_retention_days").optional().computed().validator(int_between(0, 35)).description("Days of daily snapshots (0: none). GCP and Azure keep one daily RDB snapshot when above 0. Default from `tier` (0, 1, 7)."))
            .attribute(Attribute::string("tier").optional().computed().validator(one_of(Tier::KEYS)).description("`dev`, `staging` or `prod`; unset: from the `environment` tag, else `dev`. Sets the defaults of `high_availability` (prod) and `snapshot_retention_days`."))
            .attribute(Attribute::string("endpoint").computed().plan_modifier(UseStateForUnknown).description("The primary endpoint's host name."))
            .attribute(Attribute::number("port").computed().plan_modifier(UseStateForUnknown).description("The port clients connect to."))
            .attribute(common::resource_group_attribute())
    }

    fn api(region: &Region) -> Option<Arc<dyn Api<Self>>> {
        match region {
            Region::Aws(r) => Some(r.clone()),
            Region::Gcp(r) => Some(r.clone()),
            Region::Azure(r) => Some(r.clone()),
        }
    }

    async fn plan(ctx: &Context<Client>, plan: &mut Plan, place: Option<&Placement>, diags: &mut Diagnostics) {
        plan_cache(ctx, plan, place, diags);
    }

    fn spec(state: &Object) -> Result<CacheSpec, Diagnostics> {
        let p: Planned = state.get()?;
        Ok(CacheSpec {
            name: p.name,
            engine: p.engine,
            version: p.version,
            node_type: p.node_type,
            high_availability: p.high_availability,
            subnet_ids: p.subnet_ids.unwrap_or_default().into_iter().collect(),
            firewall_ids: p.firewall_ids.into_known().flatten().unwrap_or_default().into_iter().collect(),
            encrypted: p.encrypted,
            key_id: p.key_id,
            transit_encryption: p.transit_encryption,
            auth_enabled: p.auth_enabled,
            auth_token: None,
            snapshot_retention_days: p.snapshot_retention_days,
            tags: common::planned_tags(state)?,
            resource_group: p.resource_group.into_known().flatten(),
        })
    }

    fn configured(spec: &mut CacheSpec, config: &Object, prior: Option<&Object>) -> Result<(), Diagnostics> {
        let changed = prior.is_none_or(|p| p.attr("auth_token_wo_version") != config.attr("auth_token_wo_version"));
        if changed && let Some(t) = config.attr("auth_token_wo").as_str() {
            spec.auth_token = Some(Secret::new(t));
        }
        Ok(())
    }

    fn label(spec: &CacheSpec) -> String {
        spec.name.clone()
    }

    fn refresh(ctx: &Context<Client>, state: &mut Object, c: &CacheState) -> Result<(), Diagnostics> {
        let size = match (state.attr("size").as_str(), common::placement_of(state)) {
            (Some(s), Ok(p))
                if p.catalog().service_size(p.cloud, SERVICE, &c.engine, s).ok().as_deref()
                    == Some(c.node_type.as_str()) =>
            {
                s.to_string()
            }
            (_, Ok(p)) => p
                .catalog()
                .service_size_key(SERVICE, &c.engine, &c.node_type)
                .map_or_else(|| c.node_type.clone(), str::to_string),
            _ => c.node_type.clone(),
        };
        state.set_attr("size", &size)?;
        // GCP and Azure keep daily snapshots or none: a configured count stays while they are on.
        let prior_days = state.attr("snapshot_retention_days").as_number().and_then(|n| n.as_i64()).unwrap_or(0);
        let on_off = common::placement_of(state).is_ok_and(|p| p.cloud != Cloud::Aws);
        let days = if on_off && c.snapshot_retention_days == 1 && prior_days > 0 {
            u32::try_from(prior_days).unwrap_or(1)
        } else {
            c.snapshot_retention_days
        };
        state.merge(&Refreshed {
            name: &c.name,
            engine: &c.engine,
            node_type: &c.node_type,
            high_availability: c.high_availability,
            encrypted: c.encrypted,
            transit_encryption: c.transit_encryption,
            auth_enabled: c.auth_enabled,
            snapshot_retention_days: days,
            endpoint: &c.endpoint,
            port: c.port,
        })?;
        if let Some(v) = &c.version {
            state.set_attr("version", v)?;
        }
        let key_id = match (state.attr("key_id").as_str(), &c.key_id) {
            (Some(configured), Some(reported)) if super::key::same_key(configured, reported) => {
                Some(configured.to_string())
            }
            (_, reported) => reported.clone(),
        };
        state.set_attr("key_id", &key_id)?;
        let set = |v: &[String]| if v.is_empty() { None } else { Some(v.iter().cloned().collect::<BTreeSet<_>>()) };
        for (name, have) in [("subnet_ids", &c.subnet_ids), ("firewall_ids", &c.firewall_ids)] {
            if let Some(have) = have
                && !(have.is_empty() && state.attr(name).as_slice().is_some_and(<[Value]>::is_empty))
            {
                state.set_attr(name, &set(have))?;
            }
        }
        if let Some(rg) = &c.resource_group {
            state.set_attr("resource_group", rg)?;
        }
        common::set_refreshed_tags(ctx, state, &c.tags)?;
        if state.attr("tier").is_null() {
            let all: Tags = state.get_at(&AttributePath::attr("tags_all")).unwrap_or_default();
            let t = all.get("environment").and_then(|e| Tier::from_environment(e)).unwrap_or(Tier::Dev);
            state.set_attr("tier", &t.key())?;
        }
        let id = state.attr("id").as_str().map_or_else(|| c.name.clone(), str::to_string);
        common::set_ids(state, &id, Some(&c.native))
    }

    fn applied(state: &mut Object, c: &CacheState) -> Result<(), Diagnostics> {
        let firewalls =
            c.firewall_ids.as_ref().filter(|f| !f.is_empty()).map(|f| f.iter().cloned().collect::<BTreeSet<_>>());
        common::fill(state, "firewall_ids", &firewalls)?;
        common::fill(state, "endpoint", &c.endpoint)?;
        common::fill(state, "port", &c.port)?;
        common::fill(state, "resource_group", &c.resource_group)?;
        common::fill(state, "native", &c.native)
    }

    fn import(state: &mut Object, native_id: &str) -> Result<(), Diagnostics> {
        if !native_id.contains('/') {
            state.set_attr("name", &native_id)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::testing::Harness;

    #[test]
    fn names_fit_every_cloud() {
        assert!(check_name(&Value::from("shop-prod-cache")).is_ok());
        assert!(check_name(&Value::from("a".repeat(41).as_str())).is_err());
        assert!(check_name(&Value::from("shop--cache")).is_err());
    }

    #[test]
    fn prod_caches_get_replicas_and_snapshots_and_aws_needs_a_token() {
        let h = Harness::new();
        let base = [
            ("cloud", "aws"),
            ("region", "us-east"),
            ("name", "shop-cache"),
            ("size", "xs"),
            ("auth_enabled", "false"),
        ];
        let planned = h.plan::<Cache>(&base);
        assert_eq!(planned.attr("tier").as_str(), Some("dev"));
        assert_eq!(planned.attr("high_availability").as_bool(), Some(false));
        assert_eq!(planned.attr("node_type").as_str(), Some("cache.t4g.micro"));
        assert_eq!(planned.attr("version").as_str(), Some("7.1"));
        let mut prod = base.to_vec();
        prod.push(("tier", "prod"));
        let planned = h.plan::<Cache>(&prod);
        assert_eq!(planned.attr("high_availability").as_bool(), Some(true));
        assert_eq!(planned.attr("snapshot_retention_days").as_number().and_then(|n| n.as_i64()), Some(7));
        let errors = h.plan_errors::<Cache>(&base[..4]);
        assert!(errors.iter().any(|e| e.contains("auth_token_wo")), "{errors:?}");
        let errors = h.plan_errors::<Cache>(&[
            ("cloud", "aws"),
            ("region", "us-east"),
            ("name", "shop-cache"),
            ("size", "xs"),
            ("auth_enabled", "false"),
            ("engine", "memcached"),
        ]);
        assert!(!errors.is_empty());
    }
}
