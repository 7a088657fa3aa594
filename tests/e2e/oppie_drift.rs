//! `oppie drift` through Terraform 1.15.5 on moto: a firewall opened to the internet and a tag
//! edited outside Terraform are reported with the right severity (the SSH rule's critical, a tag's
//! low) and remediation; after the revert the next scan finds nothing and the history shows both
//! resolved. With `--unmanaged` a machine made outside Terraform is found and adopted; with
//! `--remediate revert` versioning turned off, a deleted machine and an opened firewall are
//! restored in one targeted apply, never past `--max-changes`. The first test records its scans in
//! a real PostgreSQL server (`--store postgres://...`, a throwaway cluster; SQLite when none is
//! installed and `OPPIE_REQUIRE_POSTGRES` is not set), the second in SQLite.

use std::process::{Command, Output};

use aws_sdk_ec2::types::{InstanceType, IpPermission, IpRange, ResourceType, Tag, TagSpecification};
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use oppie_e2e::aws::{AwsTest, aws_test, credentials_env};
use oppie_e2e::terraform::{cli_config, oppie_binary, repo_root};

/// The throwaway cluster of oppie's own history-store tests, shared by path (oppie's tests cannot
/// depend on this crate, nor it on theirs).
#[path = "../../oppie/tests/common/postgres.rs"]
mod postgres_cluster;

const CONFIG: &str = r#"
resource "oppie_network" "main" {
  name = "drift-net"
  cidr = "10.3.0.0/16"
}

resource "oppie_firewall" "admin" {
  network_id = oppie_network.main.id
  name       = "drift-admin"
  ingress {
    protocol    = "tcp"
    ports       = "22"
    sources     = ["10.0.0.0/8"]
    description = "ssh from the office"
  }
  tags = { team = "platform" }
}
"#;

fn oppie(tf: &oppie_e2e::Terraform, store: impl AsRef<std::ffi::OsStr>, extra: &[&str]) -> Output {
    let policies = repo_root().join("policies");
    let mut cmd = Command::new(oppie_binary());
    cmd.arg("drift")
        .arg(tf.dir())
        .arg("--terraform")
        .arg(tf.binary())
        .arg("--policy")
        .arg(&policies)
        .arg("--store")
        .arg(store)
        .args(extra)
        .env("TF_CLI_CONFIG_FILE", cli_config())
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("TF_LOG");
    for (k, v) in credentials_env() {
        cmd.env(k, v);
    }
    cmd.output().expect("run oppie")
}

fn all(out: &Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn an_opened_firewall_is_critical_and_an_edited_tag_low() {
    let bin = oppie_binary();
    assert!(bin.exists(), "{} not built; run `cargo build --workspace`", bin.display());
    let aws = aws_test();
    let tf = aws.terraform();
    tf.config(&format!("{}{CONFIG}", AwsTest::provider(&aws.endpoint())));
    tf.init();
    tf.apply();
    let state = tempfile::tempdir().expect("temp dir");
    let cluster = postgres_cluster::Cluster::start();
    let db = match &cluster {
        Some(cluster) => cluster.database("e2e_drift"),
        None => state.path().join("drift.db").display().to_string(),
    };

    // In sync: no drift, exit 0.
    let out = oppie(&tf, &db, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no drift"), "{}", all(&out));

    // Someone opens SSH to the world and retags the group, behind Terraform's back.
    let sg = tf.resource("oppie_firewall.admin")["id"].as_str().unwrap_or_default().to_string();
    let ssh = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(22)
        .to_port(22)
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build();
    aws.block_on(aws.ec2.authorize_security_group_ingress().group_id(&sg).ip_permissions(ssh).send())
        .expect("authorize");
    aws.block_on(
        aws.ec2.create_tags().resources(&sg).tags(Tag::builder().key("team").value("someone-else").build()).send(),
    )
    .expect("tag");

    let out = oppie(&tf, &db, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", all(&out));
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", all(&out)));
    let items = report["sources"][0]["items"].as_array().cloned().unwrap_or_default();
    let firewall: Vec<&serde_json::Value> =
        items.iter().filter(|i| i["address"] == "oppie_firewall.admin" && i["category"] == "security").collect();
    assert!(!firewall.is_empty(), "no firewall item: {items:#?}");
    for item in &firewall {
        assert!(item["path"].as_str().unwrap_or_default().starts_with("ingress"), "{item:#}");
        assert_eq!(item["severity"], "critical", "{item:#}");
        assert_eq!(item["rules"][0]["rule_id"], "OPP-NET-001", "{item:#}");
        assert!(item["after"].to_string().contains("0.0.0.0/0"), "{item:#}");
        assert_eq!(
            item["remediation"]["revert"],
            format!("terraform -chdir={} apply -target='oppie_firewall.admin'", tf.dir().display())
        );
    }
    let tag = items
        .iter()
        .find(|i| i["address"] == "oppie_firewall.admin" && i["path"] == "tags.team")
        .unwrap_or_else(|| panic!("no tags.team item: {items:#?}"));
    assert_eq!(tag["severity"], "low", "{tag:#}");
    assert_eq!((tag["before"].as_str(), tag["after"].as_str()), (Some("platform"), Some("someone-else")));
    assert!(tag.get("rules").is_none(), "{tag:#}");
    // Accepting the tag patches main.tf (printed, not written).
    let patch = report["sources"][0]["patch"].as_str().unwrap_or_default();
    assert!(patch.contains("-  tags = { team = \"platform\" }\n+  tags = { team = \"someone-else\" }"), "{patch}");
    assert!(std::fs::read_to_string(tf.dir().join("main.tf")).unwrap_or_default().contains("team = \"platform\""));
    assert!(!all(&out).contains(oppie_e2e::aws::SECRET_KEY), "the secret key leaked");

    // Text output: most severe first.
    let out = oppie(&tf, &db, &["--fail-on", "critical"]);
    assert_eq!(out.status.code(), Some(1), "{}", all(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let critical = text.find("CRITICAL oppie_firewall.admin ingress").unwrap_or_else(|| panic!("{text}"));
    let low = text.find("LOW      oppie_firewall.admin tags.team").unwrap_or_else(|| panic!("{text}"));
    assert!(critical < low, "{text}");

    // The suggested revert restores both; the next scan is clean and the history shows them resolved.
    tf.ok(&["apply", "-auto-approve", "-target=oppie_firewall.admin"]);
    let out = oppie(&tf, &db, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    let history = Command::new(oppie_binary())
        .args(["drift", "history", "--format", "json", "--store"])
        .arg(&db)
        .output()
        .expect("history");
    assert_eq!(history.status.code(), Some(0), "{}", all(&history));
    let rows: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap_or_default();
    let rows = rows.as_array().cloned().unwrap_or_default();
    assert!(rows.len() >= 2, "{rows:#?}");
    assert!(rows.iter().all(|r| r["resolved_at"].is_string()), "{rows:#?}");
    assert!(rows.iter().any(|r| r["path"] == "tags.team" && r["severity"] == "low"), "{rows:#?}");
    assert!(rows.iter().any(|r| r["rules"] == "OPP-NET-001" && r["severity"] == "critical"), "{rows:#?}");
    tf.ok(&["destroy", "-auto-approve"]);
}

/// The catalog's ubuntu-22.04 in moto's image list (tests/fixtures/amis.json).
const UBUNTU_2204: &str = "ami-0a1b2c3d4e5f00002";

const STACK: &str = r#"
resource "oppie_network" "main" {
  name = "shop-dev"
  cidr = "10.7.0.0/16"
}

resource "oppie_subnet" "a" {
  network_id = oppie_network.main.id
  cidr       = "10.7.1.0/24"
  zone       = 1
}

resource "oppie_firewall" "admin" {
  network_id = oppie_network.main.id
  name       = "shop-dev-admin"
  ingress {
    protocol = "tcp"
    ports    = "22"
    sources  = ["10.0.0.0/8"]
  }
}

resource "oppie_instance" "app" {
  name      = "shop-dev-app"
  size      = "xs"
  image     = "ubuntu-22.04"
  subnet_id = oppie_subnet.a.id
}

resource "oppie_bucket" "media" {
  name       = "shop-dev-drift-media"
  versioning = true
}
"#;

fn json_report(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", all(out)))
}

fn items(report: &serde_json::Value) -> Vec<serde_json::Value> {
    report["sources"][0]["items"].as_array().cloned().unwrap_or_default()
}

#[test]
fn unmanaged_machines_are_found_and_adopted_and_reverts_never_destroy() {
    let aws = aws_test();
    let tf = aws.terraform();
    tf.config(&format!("{}{STACK}", AwsTest::provider(&aws.endpoint())));
    tf.init();
    tf.apply();
    let state = tempfile::tempdir().expect("temp dir");
    let db = state.path().join("drift.db");
    let out = oppie(&tf, &db, &["--unmanaged"]);
    assert_eq!(out.status.code(), Some(0), "in sync, nothing unmanaged: {}", all(&out));

    // Behind Terraform's back: SSH opened, versioning suspended, the machine terminated, and a
    // machine launched by hand with the project's tags.
    let sg = tf.resource("oppie_firewall.admin")["id"].as_str().unwrap_or_default().to_string();
    let subnet = tf.resource("oppie_subnet.a")["id"].as_str().unwrap_or_default().to_string();
    let app = tf.resource("oppie_instance.app")["id"].as_str().unwrap_or_default().to_string();
    let ssh = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(22)
        .to_port(22)
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build();
    aws.block_on(aws.ec2.authorize_security_group_ingress().group_id(&sg).ip_permissions(ssh).send())
        .expect("authorize");
    let off = VersioningConfiguration::builder().status(BucketVersioningStatus::Suspended).build();
    aws.block_on(aws.s3.put_bucket_versioning().bucket("shop-dev-drift-media").versioning_configuration(off).send())
        .expect("suspend versioning");
    aws.block_on(aws.ec2.terminate_instances().instance_ids(&app).send()).expect("terminate");
    let t = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
    let tags = TagSpecification::builder()
        .resource_type(ResourceType::Instance)
        .tags(t("Name", "shop-dev-hotfix"))
        .tags(t("project", "shop"))
        .tags(t("environment", "dev"))
        .build();
    let run = aws
        .block_on(
            aws.ec2
                .run_instances()
                .image_id(UBUNTU_2204)
                .instance_type(InstanceType::T3Micro)
                .min_count(1)
                .max_count(1)
                .subnet_id(&subnet)
                .tag_specifications(tags)
                .send(),
        )
        .expect("run by hand");
    let hotfix = run.instances()[0].instance_id().expect("id").to_string();

    let out = oppie(&tf, &db, &["--unmanaged", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", all(&out));
    let report = json_report(&out);
    let found = items(&report);
    let fw = found.iter().find(|i| i["address"] == "oppie_firewall.admin").unwrap_or_else(|| panic!("{found:#?}"));
    assert_eq!(fw["severity"], "critical", "{fw:#}");
    let versioning = found
        .iter()
        .find(|i| i["address"] == "oppie_bucket.media" && i["path"].as_str().unwrap_or_default().contains("versioning"))
        .unwrap_or_else(|| panic!("no versioning item: {found:#?}"));
    assert!(versioning["remediation"]["revert"].is_string(), "{versioning:#}");
    let gone = found
        .iter()
        .find(|i| i["address"] == "oppie_instance.app" && i["kind"] == "deleted")
        .unwrap_or_else(|| panic!("no deleted machine: {found:#?}"));
    assert_eq!(gone["severity"], "high", "{gone:#}");
    let stray =
        found.iter().find(|i| i["kind"] == "unmanaged").unwrap_or_else(|| panic!("no unmanaged machine: {found:#?}"));
    assert_eq!(stray["address"], format!("oppie_instance.unmanaged[\"aws/us-east/{hotfix}\"]"), "{stray:#}");
    assert_eq!(found.iter().filter(|i| i["kind"] == "unmanaged").count(), 1, "only the hand-made machine: {found:#?}");
    assert!(stray["remediation"].get("revert").is_none(), "{stray:#}");
    let adopt = stray["remediation"]["adopt"].as_str().unwrap_or_default().to_string();
    assert!(adopt.contains("to       = oppie_instance.shop_dev_hotfix"), "{adopt}");
    assert!(adopt.contains(&format!("id     = \"{hotfix}\"")), "{adopt}");
    assert!(adopt.contains("resource \"oppie_instance\" \"shop_dev_hotfix\""), "{adopt}");
    assert!(!tf.dir().join("oppie-unmanaged.tfquery.hcl").exists(), "the generated query file is removed");

    // Over --max-changes: nothing is applied.
    let out = oppie(
        &tf,
        &db,
        &["--remediate", "revert", "--min-severity", "medium", "--max-changes", "1", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", all(&out));
    let revert = &json_report(&out)["sources"][0]["revert"];
    assert_eq!(revert["applied"], false, "{revert:#}");
    assert!(revert["refused"].as_str().unwrap_or_default().contains("--max-changes 1"), "{revert:#}");
    assert_eq!(revert["changes"].as_array().map(Vec::len), Some(3), "firewall, bucket, machine: {revert:#}");

    // Within it: one targeted apply restores all three, the machine by a create, nothing destroyed.
    let out = oppie(&tf, &db, &["--remediate", "revert", "--min-severity", "medium", "--format", "json"]);
    let revert = json_report(&out)["sources"][0]["revert"].clone();
    assert_eq!(revert["applied"], true, "{revert:#}\n{}", all(&out));
    let changes = revert["changes"].as_array().cloned().unwrap_or_default();
    assert!(
        changes.iter().any(|c| c["address"] == "oppie_instance.app" && c["actions"] == serde_json::json!(["create"])),
        "{changes:#?}"
    );
    assert!(changes.iter().all(|c| !c["actions"].to_string().contains("delete")), "{changes:#?}");
    let out = oppie(&tf, &db, &[]);
    assert_eq!(out.status.code(), Some(0), "reverted: {}", all(&out));

    // Adopting the stray machine: its blocks plan as an import and nothing else.
    tf.write("adopt.tf", &adopt);
    tf.ok(&["apply", "-auto-approve"]);
    let out = oppie(&tf, &db, &["--unmanaged"]);
    assert_eq!(out.status.code(), Some(0), "adopted: {}", all(&out));
    assert_eq!(tf.resource("oppie_instance.shop_dev_hotfix")["id"], hotfix.as_str());
    tf.ok(&["destroy", "-auto-approve"]);
}
