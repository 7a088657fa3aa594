//! Databases on Cloud SQL: an instance named after the database (Enterprise edition, SSD,
//! TLS required), regional for high availability, private on the network of the subnets
//! (private services access) or with a public address, backups with point-in-time recovery,
//! the administrator as a built-in user with the write-only password, and a final backup on
//! destroy. Inserts, patches and deletes are Cloud SQL operations, polled until DONE.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Database, DatabaseSpec, DatabaseState, Engine};
use crate::clouds::gcp::{GcpRegion, last, resource_path};
use crate::clouds::http::Call;
use crate::clouds::{CloudError, ErrorKind, Native, Tags};
use crate::kinds::Api;

const SQL: &str = "GCP Cloud SQL";

/// `POSTGRES_16`, `MYSQL_8_0`.
fn database_version(engine: Engine, version: &str) -> String {
    format!("{}_{}", engine.key().to_ascii_uppercase(), version.replace('.', "_"))
}

/// The engine and major version of `POSTGRES_16` / `MYSQL_8_0_31`.
fn parse_version(v: &str) -> Option<(Engine, String)> {
    let (engine, rest) = v.split_once('_')?;
    let engine = Engine::parse(&engine.to_ascii_lowercase())?;
    let parts: Vec<&str> = rest.split('_').collect();
    let major = match engine {
        Engine::Postgres => parts[0].to_string(),
        Engine::Mysql => parts.iter().take(2).copied().collect::<Vec<_>>().join("."),
    };
    Some((engine, major))
}

fn instance_name(id: &str) -> &str {
    last(id)
}

impl GcpRegion {
    /// The network of the first subnet, for private placement.
    async fn subnet_network(&self, subnet_id: &str) -> Result<String, CloudError> {
        let path = resource_path(subnet_id);
        let rel = path.split_once("/regions/").map(|(_, r)| format!("regions/{r}")).unwrap_or(path.clone());
        let s = self.compute_get(&rel, "subnetworks.get").await?.ok_or_else(|| CloudError {
            kind: ErrorKind::Invalid,
            service: "GCP Compute",
            operation: "subnetworks.get".into(),
            code: Some("notFound".into()),
            message: format!("subnet {subnet_id} does not exist"),
            request_id: None,
        })?;
        Ok(resource_path(s["network"].as_str().unwrap_or_default()))
    }

    async fn sql_instance(&self, id: &str) -> Result<Option<Value>, CloudError> {
        let url = self.sql_url(&format!("instances/{}", instance_name(id)), &[]);
        Ok(self.sql.get_opt(Call::new(Method::GET, url, "instances.get")).await?.map(|r| r.json))
    }

    async fn settings(&self, spec: &DatabaseSpec) -> Result<Value, CloudError> {
        let mut ip = json!({
            "ipv4Enabled": spec.publicly_accessible,
            "sslMode": "ENCRYPTED_ONLY",
            "authorizedNetworks": spec.allowed_sources.iter().enumerate()
                .map(|(i, s)| json!({"value": s, "name": format!("oppie-{i}")})).collect::<Vec<_>>(),
        });
        if let Some(subnet) = spec.subnet_ids.first() {
            ip["privateNetwork"] = json!(self.subnet_network(subnet).await?);
        }
        let mut backup = json!({
            "enabled": spec.backup_retention_days > 0,
            "startTime": "03:00",
            "transactionLogRetentionDays": spec.backup_retention_days.clamp(1, 7),
            "backupRetentionSettings": {"retainedBackups": spec.backup_retention_days.max(1), "retentionUnit": "COUNT"},
        });
        match spec.engine {
            Engine::Postgres => backup["pointInTimeRecoveryEnabled"] = json!(spec.point_in_time_recovery),
            Engine::Mysql => backup["binaryLogEnabled"] = json!(spec.point_in_time_recovery),
        }
        Ok(json!({
            "tier": spec.instance_class,
            "edition": "ENTERPRISE",
            "dataDiskType": "PD_SSD",
            "dataDiskSizeGb": spec.storage_gb.to_string(),
            "storageAutoResize": spec.max_storage_gb.is_some(),
            "storageAutoResizeLimit": spec.max_storage_gb.unwrap_or(0).to_string(),
            "availabilityType": if spec.high_availability { "REGIONAL" } else { "ZONAL" },
            "backupConfiguration": backup,
            "ipConfiguration": ip,
            "deletionProtectionEnabled": spec.deletion_protection,
            "userLabels": spec.tags,
        }))
    }

    async fn set_password(&self, id: &str, spec: &DatabaseSpec) -> Result<(), CloudError> {
        let Some(pw) = &spec.password else { return Ok(()) };
        let body = json!({"name": spec.username, "password": pw.expose()});
        let users = self.sql_url(&format!("instances/{}/users", instance_name(id)), &[]);
        let exists = self
            .sql
            .get_opt(Call::new(
                Method::GET,
                self.sql_url(&format!("instances/{}/users/{}", instance_name(id), spec.username), &[]),
                "users.get",
            ))
            .await?
            .is_some();
        if exists {
            let url = self.sql_url(&format!("instances/{}/users", instance_name(id)), &[("name", &spec.username)]);
            self.sql_op(Call::new(Method::PUT, url, "users.update").json(body)).await
        } else {
            self.sql_op(Call::new(Method::POST, users, "users.insert").json(body)).await
        }
    }
}

#[tfplug::async_trait]
impl Api<Database> for GcpRegion {
    async fn known_id(&self, spec: &DatabaseSpec) -> Option<String> {
        Some(format!("projects/{}/instances/{}", self.project, spec.name))
    }

    async fn create(&self, spec: &DatabaseSpec, _token: &str) -> Result<String, CloudError> {
        let id = format!("projects/{}/instances/{}", self.project, spec.name);
        let mut body = json!({
            "name": spec.name,
            "region": self.region,
            "databaseVersion": database_version(spec.engine, &spec.version),
            "settings": self.settings(spec).await?,
        });
        if let Some(k) = &spec.key_id {
            body["diskEncryptionConfiguration"] = json!({"kmsKeyName": k});
        }
        let call = Call::new(Method::POST, self.sql_url("instances", &[]), "instances.insert").json(body);
        match self.sql_start(call).await {
            Ok(op) => {
                if let Ok(mut pending) = self.pending.lock() {
                    pending.insert(id.clone(), json!({ "sql": op }));
                }
                Ok(id)
            }
            // A retried insert that had happened (checked absent before the first attempt).
            Err(e) if e.code.as_deref() == Some("instanceAlreadyExists") || e.message.contains("already exists") => {
                Ok(id)
            }
            Err(e) => Err(e),
        }
    }

    async fn settle(&self, id: &str, spec: &DatabaseSpec) -> Result<(), CloudError> {
        let op = self.pending.lock().ok().and_then(|mut p| p.remove(id));
        if let Some(name) = op.as_ref().and_then(|o| o["sql"].as_str()) {
            self.sql_wait(name, "instances.insert").await?;
        } else {
            // Interrupted before: wait for the instance to be runnable.
            crate::clouds::wait::poll(std::time::Duration::from_secs(15), || async {
                match self.sql_instance(id).await? {
                    Some(i) if i["state"] == "RUNNABLE" => Ok(Some(())),
                    Some(i) if i["state"] == "FAILED" => {
                        Err(CloudError::other(SQL, "instances.get", format!("instance {id} failed")))
                    }
                    Some(_) => Ok(None),
                    None => Err(CloudError::other(SQL, "instances.get", format!("instance {id} vanished"))),
                }
            })
            .await?;
        }
        self.set_password(id, spec).await
    }

    async fn update(&self, id: &str, spec: &DatabaseSpec) -> Result<(), CloudError> {
        let Some(i) = self.sql_instance(id).await? else {
            return Err(CloudError::other(SQL, "instances.get", format!("instance {id} is gone")));
        };
        let have = state_of(&i, &self.project);
        let wanted = self.settings(spec).await?;
        let mut body = json!({});
        if have.instance_class != spec.instance_class
            || have.storage_gb != spec.storage_gb
            || have.max_storage_gb != spec.max_storage_gb
            || have.high_availability != spec.high_availability
            || have.backup_retention_days != spec.backup_retention_days
            || have.point_in_time_recovery != spec.point_in_time_recovery
            || have.deletion_protection != spec.deletion_protection
            || have.publicly_accessible != spec.publicly_accessible
            || have.allowed_sources != sorted(&spec.allowed_sources)
            || have.tags != spec.tags
        {
            body["settings"] = wanted;
        }
        if have.version != spec.version {
            body["databaseVersion"] = json!(database_version(spec.engine, &spec.version));
        }
        if body.as_object().is_some_and(|o| !o.is_empty()) {
            let url = self.sql_url(&format!("instances/{}", instance_name(id)), &[]);
            self.sql_op(Call::new(Method::PATCH, url, "instances.patch").json(body)).await?;
        }
        self.set_password(id, spec).await
    }

    async fn read(&self, id: &str) -> Result<Option<DatabaseState>, CloudError> {
        let Some(i) = self.sql_instance(id).await? else { return Ok(None) };
        if i["state"] == "PENDING_DELETE" {
            return Ok(None);
        }
        let mut state = state_of(&i, &self.project);
        // The administrator: the built-in user that is not the engine's own. Users can be
        // listed once the instance runs; before that the name stays as stored.
        let url = self.sql_url(&format!("instances/{}/users", instance_name(id)), &[]);
        let runnable = i["state"] == "RUNNABLE";
        let users = if runnable { self.sql.get_opt(Call::new(Method::GET, url, "users.list")).await? } else { None };
        if let Some(users) = users {
            state.username = users.json["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|u| u["type"].as_str().is_none_or(|t| t == "BUILT_IN"))
                .filter_map(|u| u["name"].as_str())
                .find(|n| !matches!(*n, "postgres" | "root" | "cloudsqlsuperuser" | "mysql.sys"))
                .unwrap_or_default()
                .to_string();
        }
        Ok(Some(state))
    }

    async fn delete(&self, id: &str, spec: &DatabaseSpec) -> Result<(), CloudError> {
        let Some(i) = self.sql_instance(id).await? else { return Ok(()) };
        if i["settings"]["deletionProtectionEnabled"] == true {
            return Err(CloudError {
                kind: ErrorKind::Invalid,
                service: SQL,
                operation: "instances.delete".into(),
                code: Some("deletionProtection".into()),
                message: format!("{id} has deletion protection on. Set deletion_protection = false and apply first."),
                request_id: None,
            });
        }
        let days = spec.backup_retention_days.max(1).to_string();
        let query: Vec<(&str, &str)> = if spec.final_snapshot {
            vec![("enableFinalBackup", "true"), ("finalBackupTtlDays", &days)]
        } else {
            Vec::new()
        };
        let url = self.sql_url(&format!("instances/{}", instance_name(id)), &query);
        match self.sql_op(Call::new(Method::DELETE, url, "instances.delete")).await {
            Ok(()) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// The instance as Cloud SQL describes it.
fn state_of(i: &Value, project: &str) -> DatabaseState {
    let (engine, version) =
        parse_version(i["databaseVersion"].as_str().unwrap_or_default()).unwrap_or((Engine::Postgres, String::new()));
    let s = &i["settings"];
    let b = &s["backupConfiguration"];
    let ip = &s["ipConfiguration"];
    let num = |v: &Value| {
        v.as_str().and_then(|t| t.parse::<u32>().ok()).or_else(|| v.as_u64().and_then(|n| u32::try_from(n).ok()))
    };
    let addr = |kind: &str| {
        i["ipAddresses"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["type"] == kind)
            .and_then(|a| a["ipAddress"].as_str())
            .map(str::to_string)
    };
    let mut native = Native::new();
    let name = i["name"].as_str().unwrap_or_default().to_string();
    native.insert("connection_name".into(), i["connectionName"].as_str().unwrap_or_default().to_string());
    native.insert("self_link".into(), i["selfLink"].as_str().unwrap_or_default().to_string());
    native.insert("state".into(), i["state"].as_str().unwrap_or_default().to_string());
    native.insert("project".into(), project.to_string());
    if let Some(a) = addr("PRIVATE") {
        native.insert("private_ip".into(), a);
    }
    if let Some(a) = addr("PRIMARY") {
        native.insert("public_ip".into(), a);
    }
    let endpoint = addr("PRIVATE")
        .or_else(|| addr("PRIMARY"))
        .or_else(|| i["dnsName"].as_str().map(str::to_string))
        .unwrap_or_default();
    let mut sources: Vec<String> = ip["authorizedNetworks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["value"].as_str().map(str::to_string))
        .collect();
    sources.sort();
    let days = num(&b["backupRetentionSettings"]["retainedBackups"]).unwrap_or(0);
    let enabled = b["enabled"].as_bool().unwrap_or(false);
    DatabaseState {
        name,
        engine,
        version,
        instance_class: s["tier"].as_str().unwrap_or_default().to_string(),
        storage_gb: num(&s["dataDiskSizeGb"]).unwrap_or(0),
        max_storage_gb: if s["storageAutoResize"] == true {
            num(&s["storageAutoResizeLimit"]).filter(|n| *n > 0)
        } else {
            None
        },
        // The private network is known, not the subnets chosen from it: they stay as stored.
        subnet_ids: None,
        firewall_ids: Vec::new(),
        allowed_sources: sources,
        publicly_accessible: ip["ipv4Enabled"].as_bool().unwrap_or(false),
        encrypted: true,
        key_id: i["diskEncryptionConfiguration"]["kmsKeyName"].as_str().map(str::to_string),
        username: String::new(),
        manage_password: false,
        high_availability: s["availabilityType"] == "REGIONAL",
        backup_retention_days: if enabled { days } else { 0 },
        point_in_time_recovery: b["pointInTimeRecoveryEnabled"]
            .as_bool()
            .or(b["binaryLogEnabled"].as_bool())
            .unwrap_or(false),
        deletion_protection: s["deletionProtectionEnabled"].as_bool().unwrap_or(false),
        final_snapshot: None,
        tags: serde_json::from_value::<Tags>(s["userLabels"].clone()).unwrap_or_default(),
        resource_group: None,
        endpoint,
        port: engine.port(),
        native,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_map_both_ways() {
        assert_eq!(database_version(Engine::Postgres, "16"), "POSTGRES_16");
        assert_eq!(database_version(Engine::Mysql, "8.0"), "MYSQL_8_0");
        assert_eq!(parse_version("MYSQL_8_0_31"), Some((Engine::Mysql, "8.0".into())));
        assert_eq!(parse_version("POSTGRES_16"), Some((Engine::Postgres, "16".into())));
        assert_eq!(parse_version("SQLSERVER"), None);
    }
}
