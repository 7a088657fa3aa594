//! Databases on AWS RDS: a DB instance (its identifier is the name, so a create whose answer
//! was lost is found by name), in a DB subnet group `<name>-subnets` of the subnets when
//! given, Multi-AZ for high availability, storage autoscaling, a final snapshot on destroy,
//! and the master password either sent write-only or kept by RDS in Secrets Manager.

use std::time::Duration;

use aws_sdk_rds::types::{DbInstance, Tag};

use super::{Database, DatabaseSpec, DatabaseState, Engine};
use crate::clouds::aws::{AwsRegion, errors};
use crate::clouds::wait::poll;
use crate::clouds::{CloudError, ErrorKind, Native, Tags};
use crate::kinds::Api;

const RDS: &str = "AWS RDS";

/// The tag that marks a subnet group the provider made for a database.
const OWNER_TAG: &str = "oppie:owner";

fn subnet_group(name: &str) -> String {
    format!("{name}-subnets")
}

fn tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

fn user_tags(list: &[Tag]) -> Tags {
    list.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())))
        .filter(|(k, _)| !k.starts_with("oppie:"))
        .collect()
}

fn i32_of(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// States a database waits through; anything else that is not `available` has failed.
const BUSY: [&str; 12] = [
    "creating",
    "backing-up",
    "modifying",
    "configuring-enhanced-monitoring",
    "configuring-log-exports",
    "configuring-iam-database-auth",
    "resetting-master-credentials",
    "upgrading",
    "rebooting",
    "renaming",
    "storage-optimization",
    "maintenance",
];

impl AwsRegion {
    async fn db_instance(&self, id: &str) -> Result<Option<DbInstance>, CloudError> {
        match self.rds.describe_db_instances().db_instance_identifier(id).send().await {
            Ok(out) => Ok(out.db_instances().first().cloned()),
            Err(e) => {
                let e = errors::rds("DescribeDBInstances", e);
                if e.is_not_found() { Ok(None) } else { Err(e) }
            }
        }
    }

    /// Waits until the database is `available` (created, modified, storage grown).
    async fn wait_available(&self, id: &str) -> Result<(), CloudError> {
        poll(Duration::from_secs(30), || async {
            let Some(db) = self.db_instance(id).await? else {
                return Err(CloudError::other(RDS, "DescribeDBInstances", format!("database {id} vanished")));
            };
            match db.db_instance_status().unwrap_or_default() {
                "available" => Ok(Some(())),
                s if BUSY.contains(&s) => {
                    tracing::debug!(id, status = s, "waiting for the database");
                    Ok(None)
                }
                s => Err(CloudError::other(
                    RDS,
                    "DescribeDBInstances",
                    format!("database {id} is {s:?}, not available; see the RDS events of the instance"),
                )),
            }
        })
        .await
    }

    /// Makes (or finds, when a retry already made it) the subnet group of a database.
    async fn ensure_subnet_group(&self, spec: &DatabaseSpec) -> Result<(), CloudError> {
        let name = subnet_group(&spec.name);
        let created = self
            .rds
            .create_db_subnet_group()
            .db_subnet_group_name(&name)
            .db_subnet_group_description(format!("oppie_database {}", spec.name))
            .set_subnet_ids(Some(spec.subnet_ids.clone()))
            .set_tags(Some(tags(&Tags::from([(OWNER_TAG.to_string(), spec.name.clone())]))))
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = errors::rds("CreateDBSubnetGroup", e);
                if e.code.as_deref().is_some_and(|c| c.starts_with("DBSubnetGroupAlreadyExists"))
                    && self.owns_group(&spec.name).await?
                {
                    return self.sync_subnet_group(spec).await;
                }
                Err(e)
            }
        }
    }

    async fn owns_group(&self, db: &str) -> Result<bool, CloudError> {
        let out = match self.rds.describe_db_subnet_groups().db_subnet_group_name(subnet_group(db)).send().await {
            Ok(out) => out,
            Err(e) => {
                let e = errors::rds("DescribeDBSubnetGroups", e);
                return if e.is_not_found() { Ok(false) } else { Err(e) };
            }
        };
        let Some(arn) = out.db_subnet_groups().first().and_then(|g| g.db_subnet_group_arn()) else { return Ok(false) };
        let t = self
            .rds
            .list_tags_for_resource()
            .resource_name(arn)
            .send()
            .await
            .map_err(|e| errors::rds("ListTagsForResource", e))?;
        Ok(t.tag_list().iter().any(|t| t.key() == Some(OWNER_TAG) && t.value() == Some(db)))
    }

    async fn sync_subnet_group(&self, spec: &DatabaseSpec) -> Result<(), CloudError> {
        self.rds
            .modify_db_subnet_group()
            .db_subnet_group_name(subnet_group(&spec.name))
            .set_subnet_ids(Some(spec.subnet_ids.clone()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| errors::rds("ModifyDBSubnetGroup", e))
    }

    async fn drop_subnet_group(&self, db: &str) -> Result<(), CloudError> {
        if !self.owns_group(db).await? {
            return Ok(());
        }
        crate::clouds::wait::while_in_use(|| async {
            match self.rds.delete_db_subnet_group().db_subnet_group_name(subnet_group(db)).send().await {
                Ok(_) => Ok(()),
                Err(e) => Err(errors::rds("DeleteDBSubnetGroup", e)),
            }
        })
        .await
    }
}

#[tfplug::async_trait]
impl Api<Database> for AwsRegion {
    async fn known_id(&self, spec: &DatabaseSpec) -> Option<String> {
        Some(spec.name.clone())
    }

    async fn create(&self, spec: &DatabaseSpec, _token: &str) -> Result<String, CloudError> {
        if !spec.subnet_ids.is_empty() {
            self.ensure_subnet_group(spec).await?;
        }
        // From here on a subnet group may exist: a refusal leaves it to the database's delete.
        let made = |e: CloudError| if spec.subnet_ids.is_empty() { e } else { e.after_partial_create() };
        let mut req = self
            .rds
            .create_db_instance()
            .db_instance_identifier(&spec.name)
            .db_instance_class(&spec.instance_class)
            .engine(spec.engine.key())
            .engine_version(&spec.version)
            .allocated_storage(i32_of(spec.storage_gb))
            .set_max_allocated_storage(spec.max_storage_gb.map(i32_of))
            .storage_type("gp3")
            .set_db_subnet_group_name((!spec.subnet_ids.is_empty()).then(|| subnet_group(&spec.name)))
            .set_vpc_security_group_ids((!spec.firewall_ids.is_empty()).then(|| spec.firewall_ids.clone()))
            .publicly_accessible(spec.publicly_accessible)
            .storage_encrypted(spec.encrypted)
            .set_kms_key_id(spec.key_id.clone())
            .master_username(&spec.username)
            .multi_az(spec.high_availability)
            .backup_retention_period(i32_of(spec.backup_retention_days))
            .deletion_protection(spec.deletion_protection)
            .copy_tags_to_snapshot(true)
            .set_tags(Some(tags(&spec.tags)));
        if spec.manage_password {
            req = req.manage_master_user_password(true).set_master_user_secret_kms_key_id(spec.key_id.clone());
        } else if let Some(pw) = &spec.password {
            req = req.master_user_password(pw.expose());
        }
        match req.send().await {
            Ok(_) => Ok(spec.name.clone()),
            Err(e) => {
                let e = errors::rds("CreateDBInstance", e);
                // A retried create that had happened (the create protocol checked before the
                // first attempt that no database of this name existed).
                if e.code.as_deref() == Some("DBInstanceAlreadyExists") {
                    return Ok(spec.name.clone());
                }
                Err(made(e))
            }
        }
    }

    async fn settle(&self, id: &str, _spec: &DatabaseSpec) -> Result<(), CloudError> {
        self.wait_available(id).await
    }

    async fn update(&self, id: &str, spec: &DatabaseSpec) -> Result<(), CloudError> {
        let Some(db) = self.db_instance(id).await? else {
            return Err(CloudError::other(RDS, "DescribeDBInstances", format!("database {id} is gone")));
        };
        let have = state_of(&db, &self.region);
        if !spec.subnet_ids.is_empty()
            && have.subnet_ids != Some(sorted(&spec.subnet_ids))
            && self.owns_group(id).await?
        {
            self.sync_subnet_group(spec).await?;
        }
        let mut req = self.rds.modify_db_instance().db_instance_identifier(id).apply_immediately(true);
        let mut changes = 0;
        let mut change = |yes: bool| {
            changes += usize::from(yes);
            yes
        };
        if change(have.instance_class != spec.instance_class) {
            req = req.db_instance_class(&spec.instance_class);
        }
        if change(have.storage_gb < spec.storage_gb) {
            req = req.allocated_storage(i32_of(spec.storage_gb));
        }
        if change(have.max_storage_gb != spec.max_storage_gb) {
            // Without a limit above the storage, autoscaling is off.
            req =
                req.max_allocated_storage(i32_of(spec.max_storage_gb.unwrap_or(spec.storage_gb.max(have.storage_gb))));
        }
        if change(have.version != spec.version) {
            req = req.engine_version(&spec.version).allow_major_version_upgrade(true);
        }
        if change(sorted(&have.firewall_ids) != sorted(&spec.firewall_ids) && !spec.firewall_ids.is_empty()) {
            req = req.set_vpc_security_group_ids(Some(spec.firewall_ids.clone()));
        }
        if change(have.publicly_accessible != spec.publicly_accessible) {
            req = req.publicly_accessible(spec.publicly_accessible);
        }
        if change(have.high_availability != spec.high_availability) {
            req = req.multi_az(spec.high_availability);
        }
        if change(have.backup_retention_days != spec.backup_retention_days) {
            req = req.backup_retention_period(i32_of(spec.backup_retention_days));
        }
        if change(have.deletion_protection != spec.deletion_protection) {
            req = req.deletion_protection(spec.deletion_protection);
        }
        if change(have.manage_password != spec.manage_password) {
            req = req.manage_master_user_password(spec.manage_password);
        }
        if let Some(pw) = spec.password.as_ref().filter(|_| !spec.manage_password) {
            change(true);
            req = req.master_user_password(pw.expose());
        }
        if changes > 0 {
            req.send().await.map_err(|e| errors::rds("ModifyDBInstance", e))?;
            self.wait_available(id).await?;
        }
        if have.tags != spec.tags
            && let Some(arn) = db.db_instance_arn()
        {
            let (gone, set) = crate::clouds::aws::tags::diff(&have.tags, &spec.tags);
            if !gone.is_empty() {
                self.rds
                    .remove_tags_from_resource()
                    .resource_name(arn)
                    .set_tag_keys(Some(gone))
                    .send()
                    .await
                    .map_err(|e| errors::rds("RemoveTagsFromResource", e))?;
            }
            if !set.is_empty() {
                self.rds
                    .add_tags_to_resource()
                    .resource_name(arn)
                    .set_tags(Some(tags(&set)))
                    .send()
                    .await
                    .map_err(|e| errors::rds("AddTagsToResource", e))?;
            }
        }
        Ok(())
    }

    async fn read(&self, id: &str) -> Result<Option<DatabaseState>, CloudError> {
        let Some(db) = self.db_instance(id).await? else { return Ok(None) };
        if db.db_instance_status() == Some("deleting") {
            return Ok(None);
        }
        let mut state = state_of(&db, &self.region);
        // Encrypted without a key of one's own means the AWS-managed key: no key_id.
        if let Some(k) = state.key_id.take() {
            state.key_id = self.customer_key(&k).await?;
        }
        Ok(Some(state))
    }

    async fn delete(&self, id: &str, spec: &DatabaseSpec) -> Result<(), CloudError> {
        if let Some(db) = self.db_instance(id).await? {
            if db.db_instance_status() != Some("deleting") {
                let snapshot = spec.final_snapshot.then(|| {
                    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
                    format!("{id}-final-{stamp}")
                });
                let out = self
                    .rds
                    .delete_db_instance()
                    .db_instance_identifier(id)
                    .skip_final_snapshot(snapshot.is_none())
                    .set_final_db_snapshot_identifier(snapshot)
                    .send()
                    .await;
                if let Err(e) = out {
                    let mut e = errors::rds("DeleteDBInstance", e);
                    if e.is_not_found() {
                        return self.drop_subnet_group(id).await;
                    }
                    if e.message.contains("deletion protection") {
                        e.kind = ErrorKind::Invalid;
                        e.message.push_str(" Set deletion_protection = false and apply first.");
                    }
                    return Err(e);
                }
            }
            poll(Duration::from_secs(30), || async { Ok(self.db_instance(id).await?.is_none().then_some(())) }).await?;
        }
        self.drop_subnet_group(id).await
    }
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// The database as RDS describes it.
fn state_of(db: &DbInstance, region: &str) -> DatabaseState {
    let engine = Engine::parse(db.engine().unwrap_or_default()).unwrap_or(Engine::Postgres);
    let mut native = Native::new();
    let mut put = |k: &str, v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            native.insert(k.into(), v.to_string());
        }
    };
    put("arn", db.db_instance_arn());
    put("resource_id", db.dbi_resource_id());
    put("status", db.db_instance_status());
    put("availability_zone", db.availability_zone());
    put("engine_version", db.engine_version());
    put("subnet_group", db.db_subnet_group().and_then(|g| g.db_subnet_group_name()));
    put("master_user_secret_arn", db.master_user_secret().and_then(|s| s.secret_arn()));
    native.insert("region".into(), region.to_string());
    let mut subnets: Vec<String> = db
        .db_subnet_group()
        .map(|g| g.subnets().iter().filter_map(|s| s.subnet_identifier().map(str::to_string)).collect())
        .unwrap_or_default();
    subnets.sort();
    // Databases outside a subnet group of their own sit in the default VPC's subnets.
    if db.db_subnet_group().and_then(|g| g.db_subnet_group_name()) == Some("default") {
        subnets.clear();
    }
    let mut firewalls: Vec<String> =
        db.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id().map(str::to_string)).collect();
    firewalls.sort();
    let storage = u32::try_from(db.allocated_storage().unwrap_or(0)).unwrap_or(0);
    DatabaseState {
        name: db.db_instance_identifier().unwrap_or_default().to_string(),
        engine,
        version: engine.major(db.engine_version().unwrap_or_default()),
        instance_class: db.db_instance_class().unwrap_or_default().to_string(),
        storage_gb: storage,
        max_storage_gb: db.max_allocated_storage().and_then(|m| u32::try_from(m).ok()).filter(|m| *m > storage),
        subnet_ids: Some(subnets),
        firewall_ids: firewalls,
        allowed_sources: Vec::new(),
        publicly_accessible: db.publicly_accessible().unwrap_or(false),
        encrypted: db.storage_encrypted().unwrap_or(false),
        key_id: db.kms_key_id().map(str::to_string),
        username: db.master_username().unwrap_or_default().to_string(),
        manage_password: db.master_user_secret().is_some(),
        high_availability: db.multi_az().unwrap_or(false),
        backup_retention_days: u32::try_from(db.backup_retention_period().unwrap_or(0)).unwrap_or(0),
        point_in_time_recovery: db.backup_retention_period().unwrap_or(0) > 0,
        deletion_protection: db.deletion_protection().unwrap_or(false),
        final_snapshot: None,
        tags: user_tags(db.tag_list()),
        resource_group: None,
        endpoint: db.endpoint().and_then(|e| e.address()).unwrap_or_default().to_string(),
        port: db.endpoint().and_then(|e| e.port()).and_then(|p| u16::try_from(p).ok()).unwrap_or(engine.port()),
        native,
    }
}
