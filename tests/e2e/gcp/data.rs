//! oppie_key, oppie_database and oppie_cache on GCP (Cloud KMS, Cloud SQL, Memorystore) through
//! Terraform against the fake: apply, re-plan clean, resize in place, replacement shown in the
//! plan, import, destroy; the password in the database and never in state or logs; waits on
//! slow operations.

use oppie_e2e::gcp::{GcpTest, PROJECT, gcp_test};

use super::assert_has;

const DB_PASSWORD: &str = "oppie-gcp-db-password-canary-3307";
const DB_PASSWORD_2: &str = "oppie-gcp-db-password-canary-8812";

/// A network with a private subnet, a key, a prod-tier database and a cache.
fn data_stack(db_size: &str, cache_size: &str, rotation: u32, password: &str, version: u32, storage: u32) -> String {
    format!(
        r#"
resource "oppie_network" "main" {{
  name = "shop-dev-net"
  cidr = "10.4.0.0/16"
}}
resource "oppie_subnet" "a" {{
  network_id = oppie_network.main.id
  cidr       = "10.4.1.0/24"
  zone       = 1
}}
resource "oppie_key" "data" {{
  name          = "shop-dev-data"
  rotation_days = {rotation}
}}
resource "oppie_database" "orders" {{
  name                = "shop-dev-orders"
  engine              = "postgres"
  size                = "{db_size}"
  storage_gb          = {storage}
  max_storage_gb      = 100
  subnet_ids          = [oppie_subnet.a.id]
  key_id              = oppie_key.data.id
  username            = "shop"
  password_wo         = "{password}"
  password_wo_version = {version}
  tier                = "prod"
  deletion_protection = false
}}
resource "oppie_cache" "sessions" {{
  name       = "shop-dev-sessions"
  size       = "{cache_size}"
  subnet_ids = [oppie_subnet.a.id]
  key_id     = oppie_key.data.id
}}
"#
    )
}

const SQL_KEY: &str = "oppie-test/shop-dev-orders";
const REDIS_NAME: &str = "projects/oppie-test/locations/us-east1/instances/shop-dev-sessions";
const KMS_NAME: &str = "projects/oppie-test/locations/us-east1/keyRings/shop-dev-data/cryptoKeys/shop-dev-data";

#[test]
fn data_stack_applies_resizes_imports_and_destroys_with_no_secret_in_state_or_logs() {
    let gcp = gcp_test();
    let mut tf = gcp.terraform();
    let log = tf.dir().join("trace.log");
    tf.env("TF_LOG", "trace");
    tf.env("TF_LOG_PATH", &log.display().to_string());
    let provider = gcp.provider();
    let config = |db: &str, cache: &str, rotation: u32, pw: &str, v: u32, storage: u32| {
        format!("{provider}{}", data_stack(db, cache, rotation, pw, v, storage))
    };
    tf.config(&config("s", "xs", 365, DB_PASSWORD, 1, 20));
    tf.init();

    // Plan: sizes from the catalog, the tier's defaults and costs, no call to the cloud.
    let (code, plan) = tf.plan_code();
    assert_eq!(code, 2, "{}", plan.all());
    for line in [
        "+ tier = \"prod\"",
        "+ high_availability = true",
        "+ backup_retention_days = 30",
        "+ password_wo = (write-only attribute)",
        "+ rotation_days = 365",
    ] {
        assert_has(&plan.stdout, line);
    }
    assert!(gcp.calls().is_empty(), "planning called the cloud: {:?}", gcp.calls());
    tf.apply();
    tf.assert_no_changes();

    let key = tf.resource("oppie_key.data");
    assert_eq!(key["id"], KMS_NAME);
    let data = gcp.data();
    let k = &data["keys"][KMS_NAME];
    assert_eq!(k["rotationPeriod"], "31536000s", "{k:#}");
    assert_eq!(k["primary"]["state"], "ENABLED");

    let db = &data["sql"][SQL_KEY];
    assert_eq!(db["state"], "RUNNABLE");
    let s = &db["settings"];
    assert_eq!((s["availabilityType"].as_str(), s["dataDiskSizeGb"].as_str()), (Some("REGIONAL"), Some("20")), "{s:#}");
    assert_eq!(s["backupConfiguration"]["backupRetentionSettings"]["retainedBackups"], 30);
    assert_eq!(s["backupConfiguration"]["pointInTimeRecoveryEnabled"], true);
    assert_eq!(s["ipConfiguration"]["ipv4Enabled"], false);
    assert_eq!(s["ipConfiguration"]["privateNetwork"], format!("projects/{PROJECT}/global/networks/shop-dev-net"));
    assert_eq!(db["diskEncryptionConfiguration"]["kmsKeyName"], KMS_NAME);
    assert!(gcp.sql_password_is(SQL_KEY, "shop", DB_PASSWORD), "the administrator has the write-only password");
    let state = tf.resource("oppie_database.orders");
    assert_eq!(state["port"], 5432);
    assert!(state["endpoint"].as_str().is_some_and(|e| e.starts_with("10.")), "{state:#}");
    assert!(state["estimated_monthly_cost"].as_f64().is_some_and(|c| c > 0.0), "{state:#}");
    let size_s = state["instance_class"].as_str().unwrap_or_default().to_string();
    assert_eq!(s["tier"], size_s.as_str());

    let c = &data["redis"][REDIS_NAME];
    assert_eq!(c["state"], "READY");
    assert_eq!(c["customerManagedKey"], KMS_NAME);
    assert_eq!(c["transitEncryptionMode"], "SERVER_AUTHENTICATION");
    assert_eq!(c["authorizedNetwork"], format!("projects/{PROJECT}/global/networks/shop-dev-net"));
    let cache = tf.resource("oppie_cache.sessions");
    assert_eq!(cache["port"], 6378, "TLS port");

    // In place: sizes, storage, rotation, a new password (its version changes).
    let current = config("m", "s", 180, DB_PASSWORD_2, 2, 40);
    tf.config(&current);
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("Plan: 0 to add, 3 to change, 0 to destroy."), "{}", plan.stdout);
    assert_has(&plan.stdout, "~ size = \"s\" -> \"m\"");
    assert_has(&plan.stdout, "~ password_wo_version = 1 -> 2");
    tf.apply();
    tf.assert_no_changes();
    let data = gcp.data();
    let s = &data["sql"][SQL_KEY]["settings"];
    assert_ne!(s["tier"], size_s.as_str(), "resized");
    assert_eq!(s["dataDiskSizeGb"], "40");
    assert!(gcp.sql_password_is(SQL_KEY, "shop", DB_PASSWORD_2), "the new password reached the database");
    assert_ne!(data["redis"][REDIS_NAME]["memorySizeGb"], c["memorySizeGb"], "cache resized");
    assert_eq!(data["keys"][KMS_NAME]["rotationPeriod"], "15552000s");

    // Replacements show in the plan: an older version, a smaller disk.
    tf.config(&config("m", "s", 180, DB_PASSWORD_2, 2, 30).replace(
        "engine              = \"postgres\"",
        "engine              = \"postgres\"\n  version             = \"15\"",
    ));
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("# oppie_database.orders must be replaced"), "{}", plan.stdout);
    assert_has(&plan.stdout, "~ storage_gb = 40 -> 30 # forces replacement");

    // Import all three by id.
    tf.config(&current);
    let ids: Vec<(String, String)> = ["oppie_database.orders", "oppie_cache.sessions", "oppie_key.data"]
        .iter()
        .map(|a| (a.to_string(), tf.resource(a)["id"].as_str().unwrap_or_default().to_string()))
        .collect();
    tf.ok(&["state", "rm", "oppie_database.orders", "oppie_cache.sessions", "oppie_key.data"]);
    let imports: String = ids.iter().map(|(to, id)| format!("import {{\n  to = {to}\n  id = \"{id}\"\n}}\n")).collect();
    tf.config(&format!("{current}\n{imports}"));
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("Plan: 3 to import, 0 to add,"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("must be replaced"), "an import never replaces:\n{}", plan.stdout);
    tf.apply();
    tf.config(&current);
    tf.assert_no_changes();
    assert_eq!(tf.resource("oppie_database.orders")["key_id"], KMS_NAME);

    // Destroy: a final backup for prod; the key's versions scheduled for destruction.
    tf.ok(&["destroy", "-auto-approve"]);
    let data = gcp.data();
    assert!(data["sql"].as_object().is_some_and(serde_json::Map::is_empty), "{:#}", data["sql"]);
    assert!(data["redis"].as_object().is_some_and(serde_json::Map::is_empty), "{:#}", data["redis"]);
    assert_eq!(data["backups"][0]["instance"], "shop-dev-orders", "a prod database leaves a final backup");
    let versions = data["versions"][KMS_NAME].as_array().cloned().unwrap_or_default();
    assert!(!versions.is_empty() && versions.iter().all(|v| v == "DESTROY_SCHEDULED"), "{versions:?}");
    assert!(data["keys"][KMS_NAME].get("rotationPeriod").is_none(), "rotation stops with the key");

    // Nothing secret reached state or the provider's logs.
    let trace = std::fs::read_to_string(&log).expect("trace log");
    assert!(trace.contains("provider.terraform-provider-oppie"), "provider logs are in the trace");
    for secret in [DB_PASSWORD, DB_PASSWORD_2] {
        assert!(!trace.contains(secret), "a secret leaked into TF_LOG=trace output");
        for f in std::fs::read_dir(tf.dir()).expect("work dir").flatten() {
            if f.file_name().to_string_lossy().starts_with("terraform.tfstate") {
                let text = std::fs::read_to_string(f.path()).unwrap_or_default();
                assert!(!text.contains(secret), "a secret in {}", f.path().display());
            }
        }
    }
}

/// Slow operations are waited for: the database's insert and the cache's create take several
/// more polls than usual, and the apply still ends with both ready.
#[test]
fn slow_operations_are_polled_until_done() {
    let gcp: GcpTest = gcp_test();
    let tf = gcp.terraform();
    gcp.fault(serde_json::json!({"method": "sql.instances.insert", "slow": 3}));
    gcp.fault(serde_json::json!({"method": "redis.projects.locations.instances.create", "slow": 3}));
    tf.config(&format!(
        "{}{}",
        gcp.provider(),
        r#"
resource "oppie_database" "db" {
  name                = "shop-dev-slow"
  engine              = "postgres"
  size                = "xs"
  storage_gb          = 20
  username            = "shop"
  password_wo         = "slow-canary-password-1"
  password_wo_version = 1
}
resource "oppie_cache" "c" {
  name = "shop-dev-slow-cache"
  size = "xs"
}
"#
    ));
    tf.init();
    tf.apply();
    tf.assert_no_changes();
    let data = gcp.data();
    assert_eq!(data["sql"]["oppie-test/shop-dev-slow"]["state"], "RUNNABLE");
    assert_eq!(data["redis"]["projects/oppie-test/locations/us-east1/instances/shop-dev-slow-cache"]["state"], "READY");
    let polls = gcp.count("sql.operations.get");
    assert!(polls >= 5, "the insert was polled until DONE ({polls} polls)");
    tf.ok(&["destroy", "-auto-approve"]);
    assert!(gcp.data()["sql"].as_object().is_some_and(serde_json::Map::is_empty));
}

/// Every live key, database and cache in the fake, and the Compute objects, as `(type, id)`.
fn data_objects(gcp: &GcpTest) -> std::collections::BTreeSet<(String, String)> {
    let mut out = super::faults::gcp_objects(gcp, "shop-dev-no-bucket");
    let data = gcp.data();
    for (name, key) in data["keys"].as_object().into_iter().flatten() {
        if key["primary"]["state"] == "ENABLED" {
            out.insert(("oppie_key".into(), name.to_ascii_lowercase()));
        }
    }
    for (key, db) in data["sql"].as_object().into_iter().flatten() {
        if db["state"] != "PENDING_DELETE" {
            let (project, name) = key.split_once('/').unwrap_or_default();
            out.insert(("oppie_database".into(), format!("projects/{project}/instances/{name}")));
        }
    }
    for (name, c) in data["redis"].as_object().into_iter().flatten() {
        if c["state"] != "DELETING" {
            out.insert(("oppie_cache".into(), name.to_ascii_lowercase()));
        }
    }
    out
}

const MATRIX_STACK: &str = r#"
resource "oppie_network" "main" {
  name = "shop-dev-net"
  cidr = "10.4.0.0/16"
}
resource "oppie_subnet" "a" {
  network_id = oppie_network.main.id
  cidr       = "10.4.1.0/24"
  zone       = 1
}
resource "oppie_key" "data" {
  name = "shop-dev-data"
}
resource "oppie_database" "orders" {
  name                = "shop-dev-orders"
  engine              = "postgres"
  size                = "xs"
  subnet_ids          = [oppie_subnet.a.id]
  key_id              = oppie_key.data.id
  password_wo         = "matrix-canary-password-1"
  password_wo_version = 1
}
resource "oppie_cache" "sessions" {
  name       = "shop-dev-sessions"
  size       = "xs"
  subnet_ids = [oppie_subnet.a.id]
}
"#;

#[test]
fn data_kinds_leave_no_orphans_or_twins_under_connection_drops() {
    use oppie_e2e::matrix::{self, Point, Step};
    let gcp = gcp_test();
    let proxy = oppie_e2e::proxy::FaultProxy::start(&gcp.base(), &[]);
    let tf = gcp.terraform();
    let provider = gcp.provider_at(&proxy.endpoint()).replace("max_attempts = 4", "max_attempts = 2");
    tf.config(&format!("{provider}{MATRIX_STACK}"));
    tf.init();
    tf.ok(&["apply", "-auto-approve", "-target=oppie_subnet.a"]);
    let kms = format!("/cloudkms/v1/projects/{PROJECT}/locations/us-east1/keyRings");
    let sql = format!("/sqladmin/v1/projects/{PROJECT}");
    let redis = format!("/redis/v1/projects/{PROJECT}/locations/us-east1");
    use Step::{Create, FollowUp, Wait};
    let points = [
        Point::call("oppie_key.data", &format!("POST {kms}"), Create),
        Point::call("oppie_key.data", &format!("POST {kms}/shop-dev-data/cryptoKeys"), Create),
        Point::call("oppie_database.orders", &format!("POST {sql}/instances"), Create),
        Point::glob("oppie_database.orders", &format!("GET {sql}/operations/*"), Wait),
        Point::call("oppie_database.orders", &format!("POST {sql}/instances/shop-dev-orders/users"), FollowUp),
        Point::call("oppie_cache.sessions", &format!("POST {redis}/instances"), Create),
        Point::glob("oppie_cache.sessions", &format!("GET {redis}/operations/*"), Wait),
    ];
    matrix::run(&tf, &proxy, &points, &|| data_objects(&gcp), &|| super::faults::gcp_leftovers(&gcp));
}
