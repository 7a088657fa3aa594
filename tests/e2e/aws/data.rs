//! oppie_key, oppie_database and oppie_cache on AWS through Terraform against moto: apply,
//! re-plan clean, resize in place, replacement shown in the plan, import, destroy; no password
//! or token in state, plan or logs; Terraform 1.0.3 with `manage_password`; waits that poll a
//! database still being made and end at the `timeouts` limit; and the no-orphan, no-twin
//! matrix for the data kinds.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use oppie_e2e::Terraform;
use oppie_e2e::aws::{AwsTest, SECRET_KEY, aws_test, credentials_env};
use oppie_e2e::matrix::{self, Point, Step};
use oppie_e2e::terraform::Version;

use super::assert_has;

const DB_PASSWORD: &str = "oppie-db-password-canary-5521";
const DB_PASSWORD_2: &str = "oppie-db-password-canary-7734";
const CACHE_TOKEN: &str = "oppie-cache-token-canary-0193";

/// A network with two private subnets, a firewall, a key, a prod-tier database and cache.
fn data_stack(db_size: &str, cache_size: &str, rotation: u32, password: &str, version: u32) -> String {
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
resource "oppie_subnet" "b" {{
  network_id = oppie_network.main.id
  cidr       = "10.4.2.0/24"
  zone       = 2
}}
resource "oppie_firewall" "db" {{
  network_id = oppie_network.main.id
  name       = "shop-dev-db"
  ingress {{
    protocol = "tcp"
    ports    = "5432"
    sources  = ["10.4.0.0/16"]
  }}
}}
resource "oppie_key" "data" {{
  name          = "shop-dev-data"
  rotation_days = {rotation}
}}
resource "oppie_database" "orders" {{
  name                = "shop-dev-orders"
  engine              = "postgres"
  size                = "{db_size}"
  storage_gb          = 20
  max_storage_gb      = 100
  subnet_ids          = [oppie_subnet.a.id, oppie_subnet.b.id]
  firewall_ids        = [oppie_firewall.db.id]
  key_id              = oppie_key.data.id
  password_wo         = "{password}"
  password_wo_version = {version}
  tier                = "prod"
  deletion_protection = false
}}
resource "oppie_cache" "sessions" {{
  name                  = "shop-dev-sessions"
  size                  = "{cache_size}"
  subnet_ids            = [oppie_subnet.a.id, oppie_subnet.b.id]
  key_id                = oppie_key.data.id
  auth_token_wo         = "{CACHE_TOKEN}"
  auth_token_wo_version = 1
}}
"#
    )
}

fn db(aws: &AwsTest, id: &str) -> aws_sdk_rds::types::DbInstance {
    let out = aws.block_on(aws.rds.describe_db_instances().db_instance_identifier(id).send()).expect("describe db");
    out.db_instances()[0].clone()
}

fn cache(aws: &AwsTest, id: &str) -> aws_sdk_elasticache::types::ReplicationGroup {
    let out =
        aws.block_on(aws.elasticache.describe_replication_groups().replication_group_id(id).send()).expect("describe");
    out.replication_groups()[0].clone()
}

#[test]
fn data_stack_applies_resizes_imports_and_destroys_with_no_secret_in_state_or_logs() {
    let aws = aws_test();
    let mut tf = aws.terraform();
    let log = tf.dir().join("trace.log");
    tf.env("TF_LOG", "trace");
    tf.env("TF_LOG_PATH", &log.display().to_string());
    let provider = AwsTest::provider(&aws.endpoint());
    tf.config(&format!("{provider}{}", data_stack("s", "xs", 365, DB_PASSWORD, 1)));
    tf.init();

    // Plan: the tier's defaults, catalog sizes and costs are known before any call.
    let (code, plan) = tf.plan_code();
    assert_eq!(code, 2);
    for line in [
        "+ instance_class = \"db.t4g.small\"",
        "+ tier = \"prod\"",
        "+ high_availability = true",
        "+ backup_retention_days = 30",
        "+ final_snapshot = true",
        "+ password_wo = (write-only attribute)",
        "+ node_type = \"cache.t4g.micro\"",
        "+ rotation_days = 365",
    ] {
        assert_has(&plan.stdout, line);
    }
    tf.apply();
    tf.assert_no_changes();

    let key = tf.resource("oppie_key.data");
    let key_id = key["id"].as_str().expect("key id").to_string();
    assert_eq!(key["native"]["alias"], "alias/shop-dev-data");
    let rotation = aws.block_on(aws.kms.get_key_rotation_status().key_id(&key_id).send()).expect("rotation status");
    assert!(rotation.key_rotation_enabled());
    assert_eq!(rotation.rotation_period_in_days(), Some(365));

    let d = db(&aws, "shop-dev-orders");
    assert_eq!(d.db_instance_class(), Some("db.t4g.small"));
    assert_eq!(
        (d.multi_az(), d.backup_retention_period(), d.deletion_protection()),
        (Some(true), Some(30), Some(false))
    );
    assert_eq!((d.storage_encrypted(), d.max_allocated_storage()), (Some(true), Some(100)));
    assert!(d.kms_key_id().is_some_and(|k| k.contains(&key_id)), "{:?}", d.kms_key_id());
    assert_eq!(d.db_subnet_group().and_then(|g| g.db_subnet_group_name()), Some("shop-dev-orders-subnets"));
    assert_eq!(d.publicly_accessible(), Some(false));
    let fw = tf.resource("oppie_firewall.db")["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(d.vpc_security_groups()[0].vpc_security_group_id(), Some(fw.as_str()));
    let state = tf.resource("oppie_database.orders");
    assert_eq!(state["endpoint"], "shop-dev-orders.aaaaaaaaaa.us-east-1.rds.amazonaws.com");
    assert_eq!(state["port"], 5432);
    assert!(state["estimated_monthly_cost"].as_f64().is_some_and(|c| c > 0.0), "{state:#}");
    assert!(state["cost_breakdown"]["compute"].as_f64().is_some(), "{state:#}");

    let c = cache(&aws, "shop-dev-sessions");
    assert_eq!(c.cache_node_type(), Some("cache.t4g.micro"));
    assert_eq!(
        (c.at_rest_encryption_enabled(), c.transit_encryption_enabled(), c.auth_token_enabled()),
        (Some(true), Some(true), Some(true))
    );
    assert_eq!(c.kms_key_id(), Some(key_id.as_str()));

    // In place: sizes, storage, rotation, a new password (its version changes).
    tf.config(
        &format!("{provider}{}", data_stack("m", "s", 180, DB_PASSWORD_2, 2))
            .replace("storage_gb          = 20", "storage_gb          = 40"),
    );
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("Plan: 0 to add, 3 to change, 0 to destroy."), "{}", plan.stdout);
    assert_has(&plan.stdout, "~ size = \"s\" -> \"m\"");
    assert_has(&plan.stdout, "~ password_wo_version = 1 -> 2");
    tf.apply();
    tf.assert_no_changes();
    let d = db(&aws, "shop-dev-orders");
    assert_eq!((d.db_instance_class(), d.allocated_storage()), (Some("db.t4g.medium"), Some(40)));
    assert_eq!(cache(&aws, "shop-dev-sessions").cache_node_type(), Some("cache.t4g.small"));
    let rotation = aws.block_on(aws.kms.get_key_rotation_status().key_id(&key_id).send()).expect("rotation");
    assert_eq!(rotation.rotation_period_in_days(), Some(180));
    let current = format!("{provider}{}", data_stack("m", "s", 180, DB_PASSWORD_2, 2))
        .replace("storage_gb          = 20", "storage_gb          = 40");

    // Replacements show in the plan: an older version, a smaller disk, another engine.
    tf.config(
        &current
            .replace("storage_gb          = 40", "storage_gb          = 30")
            .replace("size                = \"m\"", "size                = \"m\"\n  version             = \"15\""),
    );
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("# oppie_database.orders must be replaced"), "{}", plan.stdout);
    assert_has(&plan.stdout, "~ storage_gb = 40 -> 30 # forces replacement");
    assert_has(&plan.stdout, "~ version = \"16\" -> \"15\" # forces replacement");

    // Import: the database by identity, the cache by name, the key by identity (its id).
    tf.config(&current);
    let db_id = tf.resource("oppie_database.orders")["id"].as_str().expect("database id").to_string();
    tf.ok(&["state", "rm", "oppie_database.orders", "oppie_cache.sessions", "oppie_key.data"]);
    tf.config(&format!(
        "{current}\nimport {{\n  to = oppie_database.orders\n  identity = {{ cloud = \"aws\", region = \"us-east\", id = \"{db_id}\" }}\n}}\nimport {{\n  to = oppie_cache.sessions\n  id = \"shop-dev-sessions\"\n}}\nimport {{\n  to = oppie_key.data\n  identity = {{ cloud = \"aws\", region = \"us-east\", id = \"{key_id}\" }}\n}}\n"
    ));
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("Plan: 3 to import, 0 to add,"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("must be replaced"), "an import never replaces:\n{}", plan.stdout);
    tf.apply();
    tf.config(&current);
    tf.assert_no_changes();
    assert_eq!(tf.resource("oppie_database.orders")["key_id"], key_id.as_str());
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tf.dir().join("terraform.tfstate")).expect("state"))
            .expect("json");
    let identities: Vec<&serde_json::Value> =
        state["resources"].as_array().expect("resources").iter().map(|r| &r["instances"][0]["identity"]).collect();
    assert!(identities.iter().any(|i| i["id"] == db_id.as_str()), "the database's identity is stored: {identities:?}");

    // Destroy: a final snapshot, the subnet groups gone, the key pending deletion.
    tf.ok(&["destroy", "-auto-approve"]);
    assert!(aws.databases().is_empty() && aws.caches().is_empty(), "{:?} {:?}", aws.databases(), aws.caches());
    assert!(aws.subnet_groups().is_empty(), "{:?}", aws.subnet_groups());
    assert!(aws.live_keys().is_empty(), "{:?}", aws.live_keys());
    let snaps = aws.block_on(aws.rds.describe_db_snapshots().send()).expect("snapshots");
    assert!(
        snaps
            .db_snapshots()
            .iter()
            .any(|s| s.db_snapshot_identifier().is_some_and(|i| i.starts_with("shop-dev-orders-final-"))),
        "a prod database leaves a final snapshot"
    );

    // Nothing secret reached state, plans or the provider's logs.
    let trace = std::fs::read_to_string(&log).expect("trace log");
    assert!(trace.contains("provider.terraform-provider-oppie"), "provider logs are in the trace");
    for secret in [DB_PASSWORD, DB_PASSWORD_2, CACHE_TOKEN, SECRET_KEY] {
        assert!(!trace.contains(secret), "a secret leaked into TF_LOG=trace output");
    }
    for f in std::fs::read_dir(tf.dir()).expect("dir").flatten() {
        let name = f.file_name().to_string_lossy().to_string();
        if name.starts_with("terraform.tfstate") || name == "tfplan" {
            let text = std::fs::read(f.path()).expect("read");
            let text = String::from_utf8_lossy(&text);
            for secret in [DB_PASSWORD, DB_PASSWORD_2, CACHE_TOKEN] {
                assert!(!text.contains(secret), "a secret is in {name}");
            }
        }
    }
}

#[test]
fn secrets_stay_out_of_a_saved_plan() {
    let aws = aws_test();
    let mut tf = aws.terraform();
    // From an ephemeral variable, as the docs show: a literal in the configuration is in the
    // plan file's copy of the configuration and in the plan JSON's `configuration` (Terraform's,
    // whatever the provider does).
    tf.env("TF_VAR_db_password", DB_PASSWORD);
    tf.config(&format!(
        "{}{}",
        AwsTest::provider(&aws.endpoint()),
        r#"
variable "db_password" {
  type      = string
  sensitive = true
  ephemeral = true
}
resource "oppie_database" "db" {
  name                = "shop-dev-plan"
  engine              = "mysql"
  size                = "xs"
  password_wo         = var.db_password
  password_wo_version = 1
}
"#
    ));
    tf.init();
    let plan = tf.plan_json();
    fn find(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => m.iter().for_each(|(k, x)| find(x, format!("{at}.{k}"), out)),
            serde_json::Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| find(x, format!("{at}[{i}]"), out)),
            serde_json::Value::String(s) if s.contains(DB_PASSWORD) => out.push(at),
            _ => {}
        }
    }
    let mut at = Vec::new();
    find(&plan, String::new(), &mut at);
    assert!(at.is_empty(), "the password is in the plan JSON at {at:?}");
    let raw = std::fs::read(tf.dir().join("tfplan")).expect("plan file");
    assert!(!String::from_utf8_lossy(&raw).contains(DB_PASSWORD), "the password is in the plan file");
    let change = &plan["resource_changes"][0]["change"]["after"];
    assert_eq!(change["version"], "8.0");
    assert!(change["password_wo"].is_null(), "{change:#}");
}

/// Terraform 1.0.3 cannot send write-only arguments: the error says to use manage_password,
/// and with it the database (and a cache without a token) applies and destroys.
#[test]
fn terraform_1_0_applies_databases_with_a_managed_password() {
    let aws = aws_test();
    let mut tf = Terraform::new(Version::V1_0);
    for (k, v) in credentials_env() {
        tf.env(k, &v);
    }
    let provider = AwsTest::provider(&aws.endpoint());
    let db = |password: &str| {
        format!(
            r#"
resource "oppie_key" "k" {{
  name = "shop-dev-old"
}}
resource "oppie_database" "db" {{
  name   = "shop-dev-old"
  engine = "postgres"
  size   = "xs"
  key_id = oppie_key.k.id
  {password}
}}
resource "oppie_cache" "c" {{
  name         = "shop-dev-old"
  size         = "xs"
  auth_enabled = false
}}
"#
        )
    };
    tf.config(&format!("{provider}{}", db("")));
    tf.init();
    let out = tf.run(&["plan"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.all().contains("cannot send write-only arguments") && out.all().contains("manage_password = true"),
        "{}",
        out.all()
    );
    tf.config(&format!("{provider}{}", db("password_wo = \"x\"\n  password_wo_version = 1")));
    let out = tf.run(&["plan"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.all().contains("Write-only argument password_wo not supported"), "{}", out.all());
    tf.config(&format!("{provider}{}", db("manage_password = true")));
    tf.apply();
    tf.assert_no_changes();
    let d = self::db(&aws, "shop-dev-old");
    assert!(d.master_user_secret().and_then(|s| s.secret_arn()).is_some(), "RDS keeps the password");
    assert!(tf.resource("oppie_database.db")["native"]["master_user_secret_arn"].as_str().is_some());
    tf.ok(&["destroy", "-auto-approve"]);
    assert!(aws.databases().is_empty() && aws.caches().is_empty());
}

const SLOW_DB: &str = r#"
resource "oppie_database" "slow" {
  name            = "shop-dev-slow"
  engine          = "postgres"
  size            = "xs"
  manage_password = true
  timeouts {
    create = "5s"
  }
}
"#;

/// moto makes a database at once: the proxy answers "creating" for a while, so the wait
/// polls (with growing pauses) until "available", and gives up at the create timeout.
#[test]
fn waits_poll_a_database_still_being_made_and_end_at_the_timeout() {
    let aws = aws_test();
    // The create protocol's own read comes first; then three answers still "creating".
    let proxy = aws.fault_proxy(&[]);
    proxy.add_after(
        oppie_e2e::proxy::Match::Call("DescribeDBInstances".into()),
        oppie_e2e::proxy::Fault::Busy,
        1,
        Some(3),
    );
    let tf = aws.terraform();
    tf.config(&format!("{}{SLOW_DB}", AwsTest::provider(&proxy.endpoint())));
    tf.init();
    tf.apply();
    let busy = proxy.seen().iter().filter(|s| s.call == "DescribeDBInstances" && s.outcome == "busy").count();
    assert_eq!(busy, 3, "{:?}", proxy.calls());
    assert!(proxy.count("DescribeDBInstances") >= 5, "polled until available: {:?}", proxy.calls());
    tf.ok(&["destroy", "-auto-approve"]);

    proxy.clear();
    proxy.add_after(
        oppie_e2e::proxy::Match::Call("DescribeDBInstances".into()),
        oppie_e2e::proxy::Fault::Busy,
        1,
        None,
    );
    let started = Instant::now();
    let out = tf.run(&["apply", "-auto-approve"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.all().contains("Gave up after 5s"), "{}", out.all());
    assert!(started.elapsed() < Duration::from_secs(60), "{:?}", started.elapsed());
    let (id, status) = matrix::tracked(&tf, "oppie_database.slow").expect("tracked");
    assert_eq!((id.as_str(), status.as_str()), ("shop-dev-slow", "tainted"), "the accepted database stays in state");
    proxy.clear();
    tf.ok(&["destroy", "-auto-approve"]);
    assert!(aws.databases().is_empty());
}

/// Every key, database and cache in moto as `(type, id)`.
fn data_objects(aws: &AwsTest) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for id in aws.live_keys() {
        out.insert(("oppie_key".to_string(), id.to_ascii_lowercase()));
    }
    for id in aws.databases() {
        out.insert(("oppie_database".to_string(), id));
    }
    for id in aws.caches() {
        out.insert(("oppie_cache".to_string(), id));
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
resource "oppie_subnet" "b" {
  network_id = oppie_network.main.id
  cidr       = "10.4.2.0/24"
  zone       = 2
}
resource "oppie_key" "data" {
  name = "shop-dev-data"
}
resource "oppie_database" "orders" {
  name            = "shop-dev-orders"
  engine          = "postgres"
  size            = "xs"
  subnet_ids      = [oppie_subnet.a.id, oppie_subnet.b.id]
  key_id          = oppie_key.data.id
  manage_password = true
}
resource "oppie_cache" "sessions" {
  name         = "shop-dev-sessions"
  size         = "xs"
  subnet_ids   = [oppie_subnet.a.id, oppie_subnet.b.id]
  auth_enabled = false
}
"#;

#[test]
fn data_kinds_leave_no_orphans_or_twins_under_connection_drops() {
    let aws = aws_test();
    let proxy = aws.fault_proxy(&[]);
    let tf = aws.terraform();
    tf.config(
        &format!("{}{MATRIX_STACK}", AwsTest::provider(&proxy.endpoint()))
            .replace("max_attempts = 4", "max_attempts = 2"),
    );
    tf.init();
    tf.ok(&["apply", "-auto-approve", "-target=oppie_subnet.a", "-target=oppie_subnet.b"]);
    use Step::{Create, FollowUp, Wait};
    let points = [
        Point::call("oppie_key.data", "CreateKey", Create),
        Point::call("oppie_key.data", "CreateAlias", FollowUp),
        Point::call("oppie_key.data", "EnableKeyRotation", FollowUp),
        Point::call("oppie_database.orders", "CreateDBSubnetGroup", Create),
        Point::call("oppie_database.orders", "CreateDBInstance", Create),
        // The first read is the create protocol's check that the name is free.
        Point::call("oppie_database.orders", "DescribeDBInstances", Wait).after(1),
        Point::call("oppie_cache.sessions", "CreateReplicationGroup", Create),
        Point::call("oppie_cache.sessions", "DescribeReplicationGroups", Wait).after(1),
    ];
    let objects = |aws: &AwsTest| {
        let mut all = data_objects(aws);
        all.extend(super::faults::aws_objects(aws));
        all
    };
    matrix::run(&tf, &proxy, &points, &|| objects(&aws), &|| {
        let mut left = aws.subnet_groups();
        left.extend(super::faults::aws_leftovers(&aws));
        left
    });
}
