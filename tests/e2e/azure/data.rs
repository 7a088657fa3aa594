//! oppie_key, oppie_database and oppie_cache on Azure (Key Vault, PostgreSQL flexible server,
//! Managed Redis) through Terraform against the fake Resource Manager: apply, re-plan clean,
//! resize in place, import by identity, destroy; the password sent to the server and never in
//! state or logs; a create whose answer is lost leaves one object.

use oppie_e2e::azure::{AzureTest, azure_test, group_id};
use oppie_e2e::matrix::{self, Point, Step};
use oppie_e2e::proxy::FaultProxy;
use serde_json::json;

use super::assert_has;

const DB_PASSWORD: &str = "oppie-azure-db-password-canary-5521";
const DB_PASSWORD_2: &str = "oppie-azure-db-password-canary-7734";

/// A key, a prod-tier PostgreSQL database and a cache, both encrypted with the key.
fn data_stack(db_size: &str, cache_size: &str, password: &str, version: u32, storage: u32) -> String {
    format!(
        r#"
resource "oppie_key" "data" {{
  name                 = "shop-dev-data"
  deletion_window_days = 7
  tags                 = {{ team = "data" }}
}}
resource "oppie_database" "orders" {{
  name                = "shop-dev-orders"
  engine              = "postgres"
  size                = "{db_size}"
  storage_gb          = {storage}
  max_storage_gb      = 1024
  key_id              = oppie_key.data.id
  username            = "shop"
  password_wo         = "{password}"
  password_wo_version = {version}
  tier                = "prod"
  deletion_protection = false
}}
resource "oppie_cache" "sessions" {{
  name   = "shop-dev-sessions"
  size   = "{cache_size}"
  key_id = oppie_key.data.id
}}
"#
    )
}

fn ids() -> (String, String, String, String) {
    let key_rg = group_id("shop-dev-data-rg");
    let vault = format!("{key_rg}/providers/Microsoft.KeyVault/vaults/shop-dev-data");
    let db = format!(
        "{}/providers/Microsoft.DBforPostgreSQL/flexibleServers/shop-dev-orders",
        group_id("shop-dev-orders-rg")
    );
    let cache =
        format!("{}/providers/Microsoft.Cache/redisEnterprise/shop-dev-sessions", group_id("shop-dev-sessions-rg"));
    (format!("{vault}/keys/shop-dev-data"), vault, db, cache)
}

#[test]
fn data_stack_applies_resizes_imports_and_destroys_with_no_secret_in_state_or_logs() {
    let az = azure_test();
    let mut tf = az.terraform();
    let log = tf.dir().join("trace.log");
    tf.env("TF_LOG", "trace");
    tf.env("TF_LOG_PATH", &log.display().to_string());
    let provider = az.provider();
    let config = |db: &str, cache: &str, pw: &str, v: u32, storage: u32| {
        format!("{provider}{}", data_stack(db, cache, pw, v, storage))
    };
    tf.config(&config("m", "xs", DB_PASSWORD, 1, 32));
    tf.init();

    // Plan: SKUs from the catalog, the tier's defaults, no call to the cloud.
    let (code, plan) = tf.plan_code();
    assert_eq!(code, 2, "{}", plan.all());
    for line in [
        "+ tier = \"prod\"",
        "+ high_availability = true",
        "+ backup_retention_days = 30",
        "+ instance_class = \"Standard_D2ds_v5\"",
        "+ node_type = \"Balanced_B0\"",
        "+ password_wo = (write-only attribute)",
    ] {
        assert_has(&plan.stdout, line);
    }
    assert!(az.requests().is_empty(), "planning called the cloud: {:?}", az.requests());
    tf.apply();
    tf.assert_no_changes();
    az.assert_conforming();

    let (key_id, vault, db_id, cache_id) = ids();
    let key = tf.resource("oppie_key.data");
    assert_eq!(key["id"], key_id.as_str());
    let v = az.resource(&vault).expect("vault");
    assert_eq!(v["properties"]["softDeleteRetentionInDays"], 7);
    assert_eq!(v["properties"]["enablePurgeProtection"], true);
    assert_eq!(v["tags"]["team"], "data");
    let identity = format!(
        "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/shop-dev-data-user",
        group_id("shop-dev-data-rg")
    );
    let principal = az.resource(&identity).expect("identity")["properties"]["principalId"].clone();
    assert_eq!(v["properties"]["accessPolicies"][0]["objectId"], principal, "the identity may use the key");
    let k = az.resource(&key_id).expect("key");
    assert_eq!(k["properties"]["rotationPolicy"]["lifetimeActions"][0]["trigger"]["timeAfterCreate"], "P365D");

    let s = az.resource(&db_id).expect("server");
    assert_eq!(s["sku"], json!({"name": "Standard_D2ds_v5", "tier": "GeneralPurpose"}));
    let p = &s["properties"];
    assert_eq!(p["highAvailability"]["mode"], "ZoneRedundant");
    assert_eq!(p["backup"], json!({"backupRetentionDays": 30, "geoRedundantBackup": "Disabled"}));
    assert_eq!(p["storage"], json!({"storageSizeGB": 32, "autoGrow": "Enabled"}));
    assert_eq!(p["network"]["publicNetworkAccess"], "Disabled");
    assert_eq!(p["dataEncryption"]["primaryUserAssignedIdentityId"], identity.as_str());
    assert_eq!(p["dataEncryption"]["primaryKeyURI"], "https://shop-dev-data.vault.azure.net/keys/shop-dev-data");
    assert_eq!(password_puts(&az, &db_id), [("PUT".to_string(), true)], "the password went with the create only");
    let state = tf.resource("oppie_database.orders");
    assert_eq!(state["port"], 5432);
    assert_eq!(state["endpoint"], "shop-dev-orders.postgres.database.azure.com");
    assert_eq!(state["key_id"], key_id.as_str());

    let c = az.resource(&cache_id).expect("cluster");
    assert_eq!(c["sku"]["name"], "Balanced_B0");
    assert_eq!(c["properties"]["highAvailability"], "Disabled", "dev tier: no replica");
    assert_eq!(
        c["properties"]["encryption"]["customerManagedKeyEncryption"]["keyEncryptionKeyIdentity"]["userAssignedIdentityResourceId"],
        identity.as_str()
    );
    let db = az.resource(&format!("{cache_id}/databases/default")).expect("cache database");
    assert_eq!(db["properties"]["clientProtocol"], "Encrypted");
    assert_eq!(tf.resource("oppie_cache.sessions")["port"], 10000);

    // In place: sizes, storage, a new password (its version changes).
    let current = config("l", "s", DB_PASSWORD_2, 2, 64);
    tf.config(&current);
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("Plan: 0 to add, 2 to change, 0 to destroy."), "{}", plan.stdout);
    assert_has(&plan.stdout, "~ size = \"m\" -> \"l\"");
    assert_has(&plan.stdout, "~ password_wo_version = 1 -> 2");
    tf.apply();
    tf.assert_no_changes();
    let s = az.resource(&db_id).expect("server");
    assert_eq!(s["sku"]["name"], "Standard_D4ds_v5");
    assert_eq!(s["properties"]["storage"]["storageSizeGB"], 64);
    assert_eq!(
        password_puts(&az, &db_id),
        [("PUT".to_string(), true), ("PATCH".to_string(), true)],
        "the new password went once, with its version"
    );
    assert_eq!(az.resource(&cache_id).expect("cluster")["sku"]["name"], "Balanced_B1");

    // A new rotation period replaces the key on Azure, and the plan says so.
    tf.config(&current.replace("deletion_window_days = 7", "deletion_window_days = 7\n  rotation_days        = 180"));
    let (_, plan) = tf.plan_code();
    assert_has(&plan.stdout, "~ rotation_days = 365 -> 180 # forces replacement");

    // Import all three by identity.
    tf.config(&current);
    let addresses = ["oppie_database.orders", "oppie_cache.sessions", "oppie_key.data"];
    let found: Vec<(String, String)> = addresses
        .iter()
        .map(|a| (a.to_string(), tf.resource(a)["id"].as_str().unwrap_or_default().to_string()))
        .collect();
    tf.ok(&["state", "rm", "oppie_database.orders", "oppie_cache.sessions", "oppie_key.data"]);
    let imports: String = found
        .iter()
        .map(|(to, id)| format!("import {{\n  to       = {to}\n  identity = {{ cloud = \"azure\", region = \"eu-west\", id = \"{id}\" }}\n}}\n"))
        .collect();
    tf.config(&format!("{current}\n{imports}"));
    let (_, plan) = tf.plan_code();
    // The tier and the password's version are the configuration's alone: an import sets them.
    assert!(plan.stdout.contains("Plan: 3 to import, 0 to add,"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("must be replaced"), "an import never replaces:\n{}", plan.stdout);
    tf.apply();
    tf.config(&current);
    tf.assert_no_changes();
    assert_eq!(tf.resource("oppie_database.orders")["key_id"], key_id.as_str());

    // Destroy: everything goes, groups included (the vault soft-deleted by Azure).
    tf.ok(&["destroy", "-auto-approve"]);
    assert!(az.resources().is_empty(), "{:#?}", az.resources().keys());
    az.assert_conforming();

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

/// The server PUTs and PATCHes, each with whether it carried a password (the fake records
/// bodies only as the server's properties, so this reads the request log's flag).
fn password_puts(az: &AzureTest, id: &str) -> Vec<(String, bool)> {
    az.requests()
        .iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.eq_ignore_ascii_case(id)))
        .filter(|r| r["method"] == "PUT" || r["method"] == "PATCH")
        .filter(|r| r["password"] == true)
        .map(|r| (r["method"].as_str().unwrap_or_default().to_string(), true))
        .collect()
}

const MATRIX_STACK: &str = r#"
resource "oppie_key" "data" {
  name = "shop-dev-data"
}
resource "oppie_database" "orders" {
  name                = "shop-dev-orders"
  engine              = "postgres"
  size                = "xs"
  key_id              = oppie_key.data.id
  password_wo         = "matrix-canary-password-1"
  password_wo_version = 1
}
resource "oppie_cache" "sessions" {
  name = "shop-dev-sessions"
  size = "xs"
}
"#;

/// The data objects in the fake, as `(type, id)`.
fn data_objects(az: &AzureTest) -> std::collections::BTreeSet<(String, String)> {
    let mut out = std::collections::BTreeSet::new();
    for id in az.resources().keys() {
        let ty = if id.contains("/providers/microsoft.keyvault/vaults/") && id.contains("/keys/") {
            "oppie_key"
        } else if id.contains("/providers/microsoft.dbforpostgresql/flexibleservers/") && !id.contains("/locks/") {
            "oppie_database"
        } else if id.contains("/providers/microsoft.cache/redisenterprise/") && !id.contains("/databases/") {
            "oppie_cache"
        } else {
            continue;
        };
        out.insert((ty.into(), id.clone()));
    }
    out
}

/// A connection dropped after each create's reply (and during each wait and follow-up): every
/// object ends up once, tracked, and destroy leaves nothing.
#[test]
fn data_kinds_leave_no_orphans_or_twins_under_connection_drops() {
    let az = azure_test();
    let arm = FaultProxy::start(az.management().trim_end_matches('/'), &[]);
    let tf = az.terraform();
    let provider =
        az.provider_with(&format!("{}/", arm.endpoint()), "").replace("max_attempts    = 4", "max_attempts    = 2");
    tf.config(&format!("{provider}{MATRIX_STACK}"));
    tf.init();
    use Step::{Create, FollowUp, Wait};
    let points = [
        Point::glob("oppie_key.data", "PUT */userAssignedIdentities/*", Create),
        Point::glob("oppie_key.data", "PUT */vaults/shop-dev-data", Create),
        Point::glob("oppie_key.data", "GET /_fake/operations/*", Wait),
        Point::glob("oppie_key.data", "PUT */keys/shop-dev-data", FollowUp),
        Point::glob("oppie_database.orders", "PUT */flexibleServers/shop-dev-orders", Create),
        Point::glob("oppie_database.orders", "GET /_fake/operations/*", Wait),
        Point::glob("oppie_cache.sessions", "PUT */redisEnterprise/shop-dev-sessions", Create),
        Point::glob("oppie_cache.sessions", "GET /_fake/operations/*", Wait),
        Point::glob("oppie_cache.sessions", "PUT */databases/default", FollowUp),
    ];
    matrix::run(&tf, &arm, &points, &|| data_objects(&az), &|| az.resources().keys().cloned().collect());
    az.assert_conforming();
}
