//! Costs through real Terraform 1.15.5. `estimated_monthly_cost` and `cost_breakdown` are exact
//! decimals: outputs that sum them re-plan with no changes (`plan -detailed-exitcode` exits 0)
//! after an apply on moto. And the plan-time attribute of every kind on every cloud equals what
//! `oppie-policy cost` computes from the rate card for the same plan, status included.

use std::collections::BTreeMap;
use std::process::Command;

use oppie_e2e::aws::{AwsTest, aws_test};
use oppie_e2e::{Terraform, Version};
use serde_json::{Value, json};

/// Every `oppie_*` resource of the stack, summed in outputs as users do.
const PRICED_STACK: &str = r#"
resource "oppie_network" "main" {
  name = "shop-dev-net"
  cidr = "10.2.0.0/16"
}

resource "oppie_subnet" "app" {
  network_id = oppie_network.main.id
  cidr       = "10.2.1.0/24"
  zone       = "a"
}

resource "oppie_firewall" "web" {
  network_id = oppie_network.main.id
  name       = "shop-dev-web"
  ingress {
    protocol = "tcp"
    ports    = "443"
    sources  = ["10.2.0.0/16"]
  }
}

resource "oppie_instance" "api" {
  name      = "shop-dev-api"
  size      = "s"
  image     = "ubuntu-22.04"
  subnet_id = oppie_subnet.app.id
  disk_gb   = 20
}

resource "oppie_instance" "worker" {
  name      = "shop-dev-worker"
  size      = "xs"
  image     = "ubuntu-22.04"
  subnet_id = oppie_subnet.app.id
  disk_gb   = 30
}

resource "oppie_bucket" "media" {
  name                = "shop-dev-media-cost"
  expected_storage_gb = 399
}

resource "oppie_bucket" "logs" {
  name                = "shop-dev-logs-cost"
  expected_storage_gb = 17
}

locals {
  priced = [oppie_network.main, oppie_subnet.app, oppie_firewall.web, oppie_instance.api,
            oppie_instance.worker, oppie_bucket.media, oppie_bucket.logs]
}

output "monthly_total" {
  value = sum([for r in local.priced : r.estimated_monthly_cost])
}

output "disks" {
  value = oppie_instance.api.cost_breakdown["disk"] + oppie_instance.worker.cost_breakdown["disk"]
}

output "storage_and_compute" {
  value = oppie_bucket.media.cost_breakdown["storage"] + oppie_bucket.logs.estimated_monthly_cost + oppie_instance.worker.cost_breakdown["compute"]
}
"#;

/// Applies the stack with `version`, then re-plans: outputs summing costs must not change.
fn apply_then_replan(aws: &AwsTest, version: Version) {
    let mut tf = Terraform::new(version);
    for (k, v) in oppie_e2e::aws::credentials_env() {
        tf.env(k, &v);
    }
    tf.config(&format!("{}{PRICED_STACK}", AwsTest::provider(&aws.endpoint())));
    tf.init();
    tf.apply();
    // 16.78 (t3.small 15.18 + 20 GB gp3 1.60) + 9.99 (t3.micro 7.59 + 30 GB 2.40)
    // + 9.18 (399 GB S3 at 0.023) + 0.39 (17 GB): none of them is a float64. (Terraform adds in
    // binary floating point too, at 512 bits, so the total prints as 36.3399...96: the same
    // value on every plan, which is what keeps the re-plan clean.)
    let outputs = tf.outputs();
    assert_eq!(number(&outputs["monthly_total"]["value"]), Some(36.34), "{outputs:#}");
    assert_eq!(number(&outputs["disks"]["value"]), Some(4.0), "{outputs:#}");
    assert_eq!(number(&outputs["storage_and_compute"]["value"]), Some(17.16), "{outputs:#}");
    // The test of the issue: the re-plan is clean, outputs included. (With float64 figures,
    // Terraform 1.0 planned `~ storage_and_compute = 17.16 -> 17.16` and exited 2.)
    let (code, out) = tf.plan_code();
    assert_eq!(code, 0, "{version:?}: expected no changes:\n{}", out.all());
    // The state holds the figures as the decimals they are.
    let api = tf.resource("oppie_instance.api");
    assert_eq!(number(&api["estimated_monthly_cost"]), Some(16.78), "{api:#}");
    assert_eq!(numbers(&api["cost_breakdown"]), numbers(&json!({"compute": 15.18, "disk": 1.6})), "{api:#}");
    // A refresh reads the same figures back from the provider: still no changes.
    tf.ok(&["apply", "-refresh-only", "-auto-approve"]);
    let (code, out) = tf.plan_code();
    assert_eq!(code, 0, "{version:?} after a refresh: expected no changes:\n{}", out.all());
    tf.ok(&["destroy", "-auto-approve"]);
}

#[test]
fn outputs_summing_costs_replan_with_no_changes() {
    let aws = aws_test();
    apply_then_replan(&aws, Version::Latest);
    apply_then_replan(&aws, Version::V1_0);
}

/// Nothing listens on the discard port: a plan that reached a cloud would fail.
const NO_CLOUD: &str = "http://127.0.0.1:9";

/// Every kind on every cloud, each in a catalog region, plus the outcomes other than priced:
/// a size the card lacks (partial), a size known only after apply (unknown), a bucket with no
/// usage estimate (usage-based) and a region the card does not price (no estimate).
fn every_kind_on_every_cloud() -> String {
    let mut config = format!(
        r#"provider "oppie" {{
  default_cloud  = "aws"
  default_region = "us-east"
  default_tags   = {{ project = "shop", environment = "dev" }}
  aws {{
    endpoint = "{NO_CLOUD}"
  }}
  gcp {{
    project   = "shop-dev-123456"
    endpoints = {{ compute = "{NO_CLOUD}/compute/v1/", storage = "{NO_CLOUD}/storage/v1/" }}
  }}
  azure {{
    subscription_id = "00000000-0000-0000-0000-000000000000"
    endpoints       = {{ management = "{NO_CLOUD}/", blob = "{NO_CLOUD}/devstoreaccount1" }}
  }}
}}

resource "oppie_environment" "dev" {{
  name = "shop-dev"
}}
"#
    );
    let regions = ["us-east", "us-west", "eu-west", "eu-central", "ap-southeast"];
    for cloud in ["aws", "gcp", "azure"] {
        for (i, region) in regions.iter().enumerate() {
            let id = format!("{cloud}_{}", region.replace('-', "_"));
            config.push_str(&format!(
                r#"
resource "oppie_network" "{id}" {{
  cloud  = "{cloud}"
  region = "{region}"
  name   = "shop-dev-{cloud}"
  cidr   = "10.2.0.0/16"
}}

resource "oppie_subnet" "{id}" {{
  cloud      = "{cloud}"
  region     = "{region}"
  network_id = oppie_network.{id}.id
  cidr       = "10.2.1.0/24"
  zone       = 1
}}

resource "oppie_firewall" "{id}" {{
  cloud      = "{cloud}"
  region     = "{region}"
  network_id = oppie_network.{id}.id
  name       = "shop-dev-web"
}}

resource "oppie_instance" "{id}" {{
  cloud     = "{cloud}"
  region    = "{region}"
  name      = "shop-dev-api"
  size      = "m"
  image     = "ubuntu-22.04"
  subnet_id = oppie_subnet.{id}.id
  disk_gb   = 100
}}

resource "oppie_bucket" "{id}" {{
  cloud               = "{cloud}"
  region              = "{region}"
  name                = "shop-dev-media-{cloud}-{i}"
  expected_storage_gb = 250
}}
"#
            ));
        }
    }
    config.push_str(
        r#"
resource "oppie_instance" "partial" {
  cloud     = "aws"
  name      = "shop-dev-big"
  size      = "x2iedn.32xlarge"
  image     = "ami-0123456789abcdef0"
  subnet_id = oppie_subnet.aws_us_east.id
  disk_gb   = 50
}

resource "oppie_instance" "later" {
  cloud     = "gcp"
  region    = "us-west"
  name      = "shop-dev-later"
  size      = length(oppie_network.gcp_us_west.id) > 0 ? "s" : "m"
  image     = "ubuntu-22.04"
  subnet_id = oppie_subnet.gcp_us_west.id
}

resource "oppie_bucket" "usage" {
  cloud = "azure"
  name  = "shop-dev-usage"
}

resource "oppie_network" "unpriced" {
  region = "sa-east-1"
  name   = "shop-dev-sa"
  cidr   = "10.3.0.0/16"
}
"#,
    );
    config
}

fn oppie_policy_cost(plan: &Value, dir: &std::path::Path) -> Value {
    let path = dir.join("cost-input.json");
    std::fs::write(&path, plan.to_string()).expect("write plan");
    let bin = oppie_e2e::terraform::provider_binary().with_file_name("oppie-policy");
    let out = Command::new(&bin)
        .args(["cost", "-f", "json"])
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()));
    assert!(out.status.success(), "oppie-policy cost: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("cost JSON")
}

/// The plan with the provider's figures taken out, so `cost` prices every resource itself.
fn without_provider_figures(plan: &Value) -> Value {
    let mut stripped = plan.clone();
    for rc in stripped["resource_changes"].as_array_mut().into_iter().flatten() {
        for side in ["after", "after_unknown"] {
            if let Some(values) = rc["change"][side].as_object_mut() {
                values.remove("estimated_monthly_cost");
                values.remove("cost_breakdown");
            }
        }
    }
    stripped
}

/// A JSON number's value (Terraform writes `23`, the report `23.0`: the same number).
fn number(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn numbers(v: &Value) -> Option<BTreeMap<String, Option<f64>>> {
    v.as_object().map(|m| m.iter().map(|(k, v)| (k.clone(), number(v))).collect())
}

fn by_address(report: &Value) -> BTreeMap<String, Value> {
    let rows = report["resources"].as_array().cloned().unwrap_or_default();
    rows.into_iter().map(|r| (r["address"].as_str().unwrap_or_default().to_string(), r)).collect()
}

#[test]
fn plan_time_costs_equal_oppie_policy_cost_for_every_kind_on_every_cloud() {
    let mut tf = Terraform::new(Version::Latest);
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", ""),
        ("AWS_SECRET_ACCESS_KEY", ""),
        ("AWS_PROFILE", ""),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/nonexistent/config"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
        ("AZURE_CONFIG_DIR", "/nonexistent/oppie-test-azure"),
    ] {
        tf.env(k, v);
    }
    for (k, v) in oppie_e2e::gcp::no_credentials_env() {
        tf.env(k, v);
    }
    tf.config(&every_kind_on_every_cloud());
    tf.init();
    tf.ok(&["plan", "-out=tfplan"]);
    let shown = tf.ok(&["plan"]);
    let plan: Value = serde_json::from_str(&tf.ok(&["show", "-json", "tfplan"]).stdout).expect("plan JSON");

    // The provider's figures as oppie-policy reads them from the plan, and the rate card's
    // figures for the same attributes with the provider's taken out.
    let from_plan = by_address(&oppie_policy_cost(&plan, tf.dir()));
    let from_card = by_address(&oppie_policy_cost(&without_provider_figures(&plan), tf.dir()));
    let changes = plan["resource_changes"].as_array().cloned().unwrap_or_default();
    assert_eq!(changes.len(), 80, "5 kinds x 5 regions x 3 clouds + 5");
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for rc in &changes {
        let address = rc["address"].as_str().unwrap_or_default();
        let after = &rc["change"]["after"];
        let unknown = rc["change"]["after_unknown"]["estimated_monthly_cost"] == true;
        let (plan_row, card_row) = (&from_plan[address], &from_card[address]);
        // Same status in both: what the provider warned about, cost reports.
        assert_eq!(plan_row["status"], card_row["status"], "{address}: {plan_row:#} vs {card_row:#}");
        match card_row["status"].as_str() {
            Some("priced" | "usage_based" | "partial") => {
                let card_after = &card_row["after"];
                assert_eq!(card_after["origin"], "rate_card", "{address}");
                assert_eq!(
                    number(&after["estimated_monthly_cost"]),
                    number(&card_after["monthly_usd"]),
                    "{address}: {card_row:#}"
                );
                assert_eq!(
                    numbers(&after["cost_breakdown"]),
                    numbers(&card_after["breakdown"]),
                    "{address}: {card_row:#}"
                );
                assert_eq!(plan_row["after"]["origin"], "plan", "{address}");
                assert_eq!(plan_row["after"]["monthly_usd"], card_after["monthly_usd"], "{address}");
            }
            Some("unknown") => assert!(unknown, "{address}: {rc:#}"),
            Some("unpriced") => assert!(after["estimated_monthly_cost"].is_null(), "{address}: {rc:#}"),
            other => panic!("{address}: status {other:?}"),
        }
        assert_eq!(plan_row["cloud"], card_row["cloud"], "{address}");
        let kind = rc["type"].as_str().unwrap_or_default().to_string();
        *seen.entry((kind, after["cloud"].as_str().unwrap_or("-").to_string())).or_default() += 1;
    }
    for kind in ["oppie_network", "oppie_subnet", "oppie_firewall", "oppie_instance", "oppie_bucket"] {
        for cloud in ["aws", "gcp", "azure"] {
            assert!(seen.get(&(kind.to_string(), cloud.to_string())).is_some_and(|n| *n >= 5), "{kind} on {cloud}");
        }
    }
    // Most are priced in full; the rest are the gaps the rate card declares (its `missing`).
    let priced = from_card.values().filter(|row| row["status"] == "priced").count();
    assert!(priced >= 60, "only {priced} of 80 priced in full");
    // The outcomes other than priced, the same on both sides.
    let status = |address: &str| from_card[address]["status"].as_str().unwrap_or_default().to_string();
    assert_eq!(status("oppie_instance.partial"), "partial");
    assert_eq!(status("oppie_instance.later"), "unknown");
    assert_eq!(status("oppie_bucket.usage"), "usage_based");
    assert_eq!(status("oppie_network.unpriced"), "unpriced");
    assert!(from_card["oppie_environment.dev"].get("cloud").is_none());
    // The provider warned where the estimate is partial or missing, on the line of the resource.
    let text = shown.all();
    assert!(text.contains("Warning: Partial cost estimate"), "{text}");
    assert!(text.contains("x2iedn.32xlarge"), "{text}");
    assert!(text.contains("Warning: No cost estimate"), "{text}");
}
