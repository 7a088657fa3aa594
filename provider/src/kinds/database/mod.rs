//! `oppie_database`: a managed PostgreSQL or MySQL database (AWS RDS instance, Cloud SQL
//! instance, Azure Database flexible server), private and encrypted unless told otherwise.
//! The `tier` (dev, staging, prod) sets availability, backups and protection; the password
//! is write-only (`password_wo`) or kept by the cloud (`manage_password`), never in state.

pub(crate) mod aws;
pub(crate) mod azure;
pub(crate) mod gcp;
mod plan;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tfplug::plan::{RequiresReplace, RequiresReplaceIf, UseStateForUnknown};
use tfplug::timeouts::Operation;
use tfplug::validator::{from_fn, int_between, one_of};
use tfplug::{Attribute, Block, Context, Diagnostics, MaybeUnknown, Object, Plan, Type, Value};

use super::common::{self, Placement};
use super::{Api, Kind};
use crate::catalog::Cloud;
use crate::client::Client;
use crate::clouds::{Native, Region, Tags};
use crate::secret::Secret;

/// The kind.
pub struct Database;

/// A database engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// PostgreSQL.
    Postgres,
    /// MySQL.
    Mysql,
}

impl Engine {
    /// The key users write.
    pub fn key(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
        }
    }

    /// Parses a key.
    pub fn parse(s: &str) -> Option<Engine> {
        [Engine::Postgres, Engine::Mysql].into_iter().find(|e| e.key() == s)
    }

    /// The port clients connect to.
    pub fn port(self) -> u16 {
        match self {
            Engine::Postgres => 5432,
            Engine::Mysql => 3306,
        }
    }

    /// The major version of a full version: `16.4` -> `16`, `8.0.39` -> `8.0`.
    pub fn major(self, full: &str) -> String {
        let parts: Vec<&str> = full.split('.').collect();
        match self {
            Engine::Postgres => parts[0].to_string(),
            Engine::Mysql => parts.iter().take(2).copied().collect::<Vec<_>>().join("."),
        }
    }
}

/// What the configuration asks for, catalog keys resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseSpec {
    /// The database's name (the instance or server name; its identity).
    pub name: String,
    /// Engine.
    pub engine: Engine,
    /// Major version.
    pub version: String,
    /// The cloud's size (`db.t4g.micro`, `db-custom-1-3840`, `Standard_B1ms`).
    pub instance_class: String,
    /// Allocated storage in GB.
    pub storage_gb: u32,
    /// Storage may grow on its own up to this many GB.
    pub max_storage_gb: Option<u32>,
    /// Private placement: subnets (AWS: a DB subnet group of them; GCP: their network; Azure:
    /// the delegated subnet).
    pub subnet_ids: Vec<String>,
    /// AWS: security groups.
    pub firewall_ids: Vec<String>,
    /// GCP and Azure: address ranges allowed to connect over the public endpoint.
    pub allowed_sources: Vec<String>,
    /// Reachable from the internet.
    pub publicly_accessible: bool,
    /// Storage encrypted at rest.
    pub encrypted: bool,
    /// Customer-managed key (an `oppie_key` id).
    pub key_id: Option<String>,
    /// The administrator's name.
    pub username: String,
    /// The administrator's password, when the configuration sets or changes it (write-only).
    pub password: Option<Secret>,
    /// The cloud generates and keeps the password.
    pub manage_password: bool,
    /// Standby in another zone.
    pub high_availability: bool,
    /// Days of automated backups.
    pub backup_retention_days: u32,
    /// Point-in-time recovery.
    pub point_in_time_recovery: bool,
    /// Refuse deletion.
    pub deletion_protection: bool,
    /// Snapshot on destroy.
    pub final_snapshot: bool,
    /// Tags or labels.
    pub tags: Tags,
    /// Azure only: the resource group (default: one of its own).
    pub resource_group: Option<String>,
}

/// What exists. Settings a cloud does not report are `None` and keep their stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseState {
    /// Name.
    pub name: String,
    /// Engine.
    pub engine: Engine,
    /// Major version.
    pub version: String,
    /// The cloud's size.
    pub instance_class: String,
    /// Allocated storage in GB.
    pub storage_gb: u32,
    /// Autoscaling limit.
    pub max_storage_gb: Option<u32>,
    /// Subnets, sorted; `None` where the cloud reports the network, not the subnets.
    pub subnet_ids: Option<Vec<String>>,
    /// Security groups, sorted.
    pub firewall_ids: Vec<String>,
    /// Allowed address ranges, sorted.
    pub allowed_sources: Vec<String>,
    /// Reachable from the internet.
    pub publicly_accessible: bool,
    /// Encrypted at rest.
    pub encrypted: bool,
    /// Customer-managed key.
    pub key_id: Option<String>,
    /// Administrator name.
    pub username: String,
    /// The cloud keeps the password.
    pub manage_password: bool,
    /// Standby in another zone.
    pub high_availability: bool,
    /// Backup days.
    pub backup_retention_days: u32,
    /// Point-in-time recovery.
    pub point_in_time_recovery: bool,
    /// Deletion protection.
    pub deletion_protection: bool,
    /// Snapshot on destroy, where the cloud stores the setting on the database.
    pub final_snapshot: Option<bool>,
    /// Tags or labels.
    pub tags: Tags,
    /// Azure: the resource group.
    pub resource_group: Option<String>,
    /// Host name clients connect to.
    pub endpoint: String,
    /// Port.
    pub port: u16,
    /// ARN, self link, resource id, status, secret ARN, by name.
    pub native: Native,
}

#[derive(Deserialize)]
struct Planned {
    name: String,
    engine: String,
    version: String,
    instance_class: String,
    storage_gb: u32,
    max_storage_gb: Option<u32>,
    subnet_ids: Option<BTreeSet<String>>,
    firewall_ids: MaybeUnknown<Option<BTreeSet<String>>>,
    allowed_sources: Option<BTreeSet<String>>,
    publicly_accessible: bool,
    encrypted: bool,
    key_id: Option<String>,
    username: String,
    manage_password: bool,
    high_availability: bool,
    backup_retention_days: u32,
    point_in_time_recovery: bool,
    deletion_protection: bool,
    final_snapshot: bool,
    resource_group: MaybeUnknown<Option<String>>,
}

#[derive(Serialize)]
struct Refreshed<'a> {
    name: &'a str,
    engine: &'a str,
    version: &'a str,
    instance_class: &'a str,
    storage_gb: u32,
    publicly_accessible: bool,
    encrypted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    manage_password: bool,
    high_availability: bool,
    backup_retention_days: u32,
    point_in_time_recovery: bool,
    deletion_protection: bool,
    endpoint: &'a str,
    port: u16,
}

fn spec(state: &Object) -> Result<DatabaseSpec, Diagnostics> {
    let p: Planned = state.get()?;
    let engine = Engine::parse(&p.engine).ok_or_else(|| {
        Diagnostics::attribute_error(tfplug::AttributePath::attr("engine"), "Unknown engine", p.engine)
    })?;
    Ok(DatabaseSpec {
        name: p.name,
        engine,
        version: p.version,
        instance_class: p.instance_class,
        storage_gb: p.storage_gb,
        max_storage_gb: p.max_storage_gb,
        subnet_ids: p.subnet_ids.unwrap_or_default().into_iter().collect(),
        firewall_ids: p.firewall_ids.into_known().flatten().unwrap_or_default().into_iter().collect(),
        allowed_sources: p.allowed_sources.unwrap_or_default().into_iter().collect(),
        publicly_accessible: p.publicly_accessible,
        encrypted: p.encrypted,
        key_id: p.key_id,
        username: p.username,
        password: None,
        manage_password: p.manage_password,
        high_availability: p.high_availability,
        backup_retention_days: p.backup_retention_days,
        point_in_time_recovery: p.point_in_time_recovery,
        deletion_protection: p.deletion_protection,
        final_snapshot: p.final_snapshot,
        tags: common::planned_tags(state)?,
        resource_group: p.resource_group.into_known().flatten(),
    })
}

fn refresh(ctx: &Context<Client>, state: &mut Object, d: &DatabaseState) -> Result<(), Diagnostics> {
    // Keep the configured size key while it still means the running class.
    let size = match (state.attr("size").as_str(), common::placement_of(state)) {
        (Some(s), Ok(p))
            if p.catalog().service_size(p.cloud, SERVICE, d.engine.key(), s).ok().as_deref()
                == Some(d.instance_class.as_str()) =>
        {
            s.to_string()
        }
        (_, Ok(p)) => p
            .catalog()
            .service_size_key(SERVICE, d.engine.key(), &d.instance_class)
            .map_or_else(|| d.instance_class.clone(), str::to_string),
        _ => d.instance_class.clone(),
    };
    state.set_attr("size", &size)?;
    state.merge(&Refreshed {
        name: &d.name,
        engine: d.engine.key(),
        version: &d.version,
        instance_class: &d.instance_class,
        storage_gb: d.storage_gb,
        publicly_accessible: d.publicly_accessible,
        encrypted: d.encrypted,
        username: Some(d.username.as_str()).filter(|u| !u.is_empty()),
        manage_password: d.manage_password,
        high_availability: d.high_availability,
        backup_retention_days: d.backup_retention_days,
        point_in_time_recovery: d.point_in_time_recovery,
        deletion_protection: d.deletion_protection,
        endpoint: &d.endpoint,
        port: d.port,
    })?;
    // merge() skips nulls: these may have become null out of band.
    state.set_attr("max_storage_gb", &d.max_storage_gb)?;
    let key_id = match (state.attr("key_id").as_str(), &d.key_id) {
        (Some(configured), Some(reported)) if super::key::same_key(configured, reported) => {
            Some(configured.to_string())
        }
        (_, reported) => reported.clone(),
    };
    state.set_attr("key_id", &key_id)?;
    let set = |v: &[String]| if v.is_empty() { None } else { Some(v.iter().cloned().collect::<BTreeSet<_>>()) };
    let reported = [
        ("subnet_ids", d.subnet_ids.as_ref()),
        ("firewall_ids", Some(&d.firewall_ids)),
        ("allowed_sources", Some(&d.allowed_sources)),
    ];
    for (name, have) in reported.into_iter().filter_map(|(n, h)| Some((n, h?))) {
        // An empty set configured stays empty rather than null.
        if !(have.is_empty() && state.attr(name).as_slice().is_some_and(<[Value]>::is_empty)) {
            state.set_attr(name, &set(have))?;
        }
    }
    if let Some(rg) = &d.resource_group {
        state.set_attr("resource_group", rg)?;
    }
    common::set_refreshed_tags(ctx, state, &d.tags)?;
    if state.attr("tier").is_null() {
        // An import: the tier its environment tag names, as a plan would choose it.
        let all: Tags = state.get_at(&tfplug::AttributePath::attr("tags_all")).unwrap_or_default();
        let tier = all.get("environment").and_then(|e| super::tier::Tier::from_environment(e));
        state.set_attr("tier", &tier.unwrap_or(super::tier::Tier::Dev).key())?;
    }
    match d.final_snapshot {
        Some(f) => state.set_attr("final_snapshot", &f)?,
        // Not reported by the cloud: an import takes the tier's default.
        None if state.attr("final_snapshot").is_null() => {
            let tier = state.attr("tier").as_str().and_then(super::tier::Tier::parse).unwrap_or(super::tier::Tier::Dev);
            state.set_attr("final_snapshot", &tier.defaults().final_snapshot)?;
        }
        None => {}
    }
    let id = state.attr("id").as_str().map_or_else(|| d.name.clone(), str::to_string);
    common::set_ids(state, &id, Some(&d.native))
}

/// The catalog section databases resolve sizes and versions in.
pub const SERVICE: crate::catalog::services::Service = crate::catalog::services::Service::Database;

/// Database names: what every cloud takes as an instance or server name.
fn check_name(v: &Value) -> Result<(), String> {
    let Some(s) = v.as_str() else { return Ok(()) };
    let ok = s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !(3..=63).contains(&s.len())
        || !ok
        || !s.starts_with(|c: char| c.is_ascii_lowercase())
        || s.ends_with('-')
        || s.contains("--")
    {
        return Err(format!(
            "{s:?}: use 3 to 63 lower-case letters, digits and single '-', starting with a letter and not ending with '-'"
        ));
    }
    Ok(())
}

/// Administrator names every engine and cloud accepts; the clouds' reserved names refused.
fn check_username(v: &Value) -> Result<(), String> {
    let Some(s) = v.as_str() else { return Ok(()) };
    let ok = s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if s.is_empty() || s.len() > 16 || !ok || !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(format!("{s:?}: use 1 to 16 lower-case letters, digits and '_', starting with a letter"));
    }
    const RESERVED: [&str; 9] =
        ["admin", "administrator", "root", "guest", "public", "postgres", "rdsadmin", "azure_superuser", "mysql"];
    if RESERVED.contains(&s) || s.starts_with("pg_") {
        return Err(format!("{s:?} is reserved on at least one cloud; choose another name"));
    }
    Ok(())
}

fn int(v: &Value) -> Option<i64> {
    v.as_number().and_then(|n| n.as_i64())
}

#[tfplug::async_trait]
impl Kind for Database {
    const TYPE: &'static str = "oppie_database";
    const NOUN: &'static str = "database";
    const CLOUDS: &'static [Cloud] = &[Cloud::Aws, Cloud::Gcp, Cloud::Azure];
    const TIMEOUTS: [(Operation, Duration); 3] = [
        (Operation::Create, Duration::from_secs(3600)),
        (Operation::Update, Duration::from_secs(3600)),
        (Operation::Delete, Duration::from_secs(3600)),
    ];
    type Spec = DatabaseSpec;
    type State = DatabaseState;

    fn block() -> Block {
        let replace_if_smaller = |what: &'static str| {
            RequiresReplaceIf::new(
                format!("Shrinking {what} replaces the database."),
                |prior: &Value, planned: &Value| matches!((int(prior), int(planned)), (Some(a), Some(b)) if b < a),
            )
        };
        Block::new()
            .markdown("A managed PostgreSQL or MySQL database: an AWS RDS instance, a Cloud SQL instance, or an Azure Database for PostgreSQL or MySQL flexible server. Safe defaults: private, encrypted at rest (TLS required in transit on GCP and Azure), the password never in state. `tier` (from the `environment` tag when unset) sets availability, backups and protection.")
            .attribute(Attribute::string("name").required().validator(from_fn("a database name", check_name)).plan_modifier(RequiresReplace).description("The instance or server name (lower-case letters, digits, '-'); also its `id` on AWS and GCP. Changing it replaces the database."))
            .attribute(Attribute::string("engine").required().validator(one_of(["postgres", "mysql"])).plan_modifier(RequiresReplace).description("`postgres` or `mysql`. Changing it replaces the database."))
            .attribute(Attribute::string("version").optional().computed().description("Major version, e.g. `\"16\"` (postgres) or `\"8.0\"` (mysql), from the catalog's versions for the engine on the cloud; default the catalog's default. Upgrades are in place; a lower version replaces the database."))
            .attribute(Attribute::string("size").required().description("A catalog size (`xs`, `s`, `m`, `l`, `xl`), mapped per cloud and engine (xs: `db.t4g.micro`, `db-custom-1-3840`, `Standard_B1ms`), or a native size. Changes in place."))
            .attribute(Attribute::string("instance_class").computed().plan_modifier(UseStateForUnknown).description("The native size `size` resolved to."))
            .attribute(Attribute::number("storage_gb").default(20).validator(int_between(20, 16384)).plan_modifier(replace_if_smaller("storage")).description("Allocated storage in GB (default 20; on Azure PostgreSQL, whose sizes are 32, 64, 128 ... 32768 GB, default 32). Grows in place; shrinking replaces the database."))
            .attribute(Attribute::number("max_storage_gb").optional().validator(int_between(21, 65536)).description("Let storage grow on its own up to this many GB (AWS storage autoscaling, Cloud SQL automatic storage increase; Azure storage auto-grow, whose limit is the SKU's). Unset: no automatic growth."))
            .attribute(Attribute::new("subnet_ids", Type::set(Type::String)).optional().description("Private placement: `oppie_subnet` ids (AWS: a DB subnet group of at least two, in two zones; GCP: their network, which needs private services access; Azure: one subnet delegated to the database service). Unset: the cloud's default network."))
            .attribute(Attribute::new("firewall_ids", Type::set(Type::String)).optional().computed().plan_modifier(UseStateForUnknown).description("AWS: `oppie_firewall` ids (security groups) that apply; unset: the network's default security group. Changes in place."))
            .attribute(Attribute::new("allowed_sources", Type::set(Type::String)).optional().validator(super::checks::cidr_set()).description("GCP: address ranges allowed to reach the public endpoint (Cloud SQL authorized networks); needs `publicly_accessible = true`. Not on Azure yet (flexible server firewall rules are not managed)."))
            .attribute(Attribute::bool("publicly_accessible").default(false).description("Give the database a public endpoint (default false)."))
            .attribute(Attribute::bool("encrypted").default(true).plan_modifier(RequiresReplace).description("Encrypt storage at rest (default true; GCP and Azure always encrypt). Changing it replaces the database."))
            .attribute(Attribute::string("key_id").optional().plan_modifier(RequiresReplace).description("The `id` of an `oppie_key` (or a native key) to encrypt storage with. Changing it replaces the database."))
            .attribute(Attribute::string("username").default("oppie").validator(from_fn("an administrator name", check_username)).plan_modifier(RequiresReplace).description("The administrator's name (default `oppie`). Changing it replaces the database."))
            .attribute(Attribute::string("password_wo").optional().sensitive().write_only().description("The administrator's password, write-only: never in plan or state (Terraform 1.11 or later). Change `password_wo_version` to set a new one. Use it or `manage_password`."))
            .attribute(Attribute::number("password_wo_version").optional().description("Any number; changing it sends `password_wo` again (in place)."))
            .attribute(Attribute::bool("manage_password").default(false).description("Let the cloud generate and keep the administrator password (AWS: a Secrets Manager secret RDS rotates, its ARN in `native`). GCP and Azure have no such feature: use `password_wo` there. The one choice on Terraform before 1.11."))
            .attribute(Attribute::string("tier").optional().computed().validator(one_of(super::tier::Tier::KEYS)).description("`dev`, `staging` or `prod`; unset: from the `environment` tag, else `dev`. Sets the defaults of `high_availability` (prod), `backup_retention_days` (7, 14, 30), `point_in_time_recovery` (staging, prod), `deletion_protection` (prod) and `final_snapshot` (staging, prod)."))
            .attribute(Attribute::bool("high_availability").optional().computed().description("A standby in another zone with automatic failover (AWS Multi-AZ, Cloud SQL regional, Azure zone-redundant HA). Default from `tier`."))
            .attribute(Attribute::number("backup_retention_days").optional().computed().validator(int_between(0, 35)).description("Days of automated backups (AWS 0 to 35, GCP 1 to 35, Azure 7 to 35). Default from `tier`."))
            .attribute(Attribute::bool("point_in_time_recovery").optional().computed().description("Restore to any second within the backup window. Always on with backups on AWS and Azure; chosen on GCP. Default from `tier`."))
            .attribute(Attribute::bool("deletion_protection").optional().computed().description("Refuse deletion through the API (Azure: a delete lock). Default from `tier`."))
            .attribute(Attribute::bool("final_snapshot").optional().computed().description("Take a snapshot (GCP: a final backup) when the database is destroyed; not offered by Azure. Default from `tier`."))
            .attribute(Attribute::number("expected_backup_gb").optional().validator(int_between(0, 1_000_000)).description("Expected backup storage in GB, for cost estimates (the part beyond the cloud's free allowance is billed). No effect on the database."))
            .attribute(Attribute::string("endpoint").computed().plan_modifier(UseStateForUnknown).description("The host name clients connect to."))
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
        plan::plan(ctx, plan, place, diags);
    }

    fn spec(state: &Object) -> Result<DatabaseSpec, Diagnostics> {
        spec(state)
    }

    fn configured(spec: &mut DatabaseSpec, config: &Object, prior: Option<&Object>) -> Result<(), Diagnostics> {
        let changed = prior.is_none_or(|p| p.attr("password_wo_version") != config.attr("password_wo_version"));
        if changed && let Some(pw) = config.attr("password_wo").as_str() {
            spec.password = Some(Secret::new(pw));
        }
        Ok(())
    }

    fn label(spec: &DatabaseSpec) -> String {
        spec.name.clone()
    }

    fn refresh(ctx: &Context<Client>, state: &mut Object, actual: &DatabaseState) -> Result<(), Diagnostics> {
        refresh(ctx, state, actual)
    }

    fn applied(state: &mut Object, d: &DatabaseState) -> Result<(), Diagnostics> {
        let firewalls = (!d.firewall_ids.is_empty()).then(|| d.firewall_ids.iter().cloned().collect::<BTreeSet<_>>());
        common::fill(state, "firewall_ids", &firewalls)?;
        common::fill(state, "endpoint", &d.endpoint)?;
        common::fill(state, "port", &d.port)?;
        common::fill(state, "resource_group", &d.resource_group)?;
        common::fill(state, "native", &d.native)
    }

    fn import(state: &mut Object, native_id: &str) -> Result<(), Diagnostics> {
        if !native_id.contains('/') {
            state.set_attr("name", &native_id)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
