//! Cost estimates and plan-time policy gating through real Terraform 1.15.5: a plan that
//! breaks a hard-mandatory rule fails on the offending block with the rule id; lower
//! levels warn; an environment over its budget fails; costs are known at plan time.
//! The same gating through a running `oppie-policy serve` (the `endpoint` of the policy
//! block) gives the same errors. Planning new resources calls no cloud, so these tests need no
//! emulator.

use oppie_e2e::terraform::repo_root;
use oppie_e2e::{Terraform, Version};

/// Nothing listens on the discard port: a test that reached the cloud would fail.
const NO_CLOUD: &str = "http://127.0.0.1:9";

fn provider(policy: &str) -> String {
    format!(
        r#"provider "oppie" {{
  default_cloud  = "aws"
  default_region = "us-east"
  default_tags   = {{ project = "shop", environment = "dev", owner = "web", "cost-center" = "cc-1" }}
  aws {{
    endpoint = "{NO_CLOUD}"
  }}
  {policy}
}}
"#
    )
}

fn terraform() -> Terraform {
    let mut tf = Terraform::new(Version::Latest);
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/nonexistent"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
    ] {
        tf.env(k, v);
    }
    tf
}

fn policies() -> String {
    repo_root().join("policies").display().to_string()
}

const NETWORK: &str = r#"
resource "oppie_network" "main" {
  name = "shop-dev-net"
  cidr = "10.2.0.0/16"
}
"#;

const SSH_FIREWALL: &str = r#"
resource "oppie_firewall" "admin" {
  network_id = oppie_network.main.id
  name       = "shop-dev-admin"
  ingress {
    protocol = "tcp"
    ports    = "22"
    sources  = ["0.0.0.0/0"]
  }
}
"#;

#[test]
fn ssh_open_to_the_world_fails_the_plan_on_the_ingress_block() {
    let tf = terraform();
    tf.config(&format!(
        "{}{NETWORK}{SSH_FIREWALL}",
        provider(&format!("policy {{\n    paths = [\"{}\"]\n  }}", policies()))
    ));
    tf.init();
    let out = tf.run(&["plan"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let text = out.all();
    assert!(text.contains("Error: Policy OPP-NET-001: SSH open to the internet"), "{text}");
    assert!(text.contains("allows SSH (port 22) from 0.0.0.0/0"), "{text}");
    assert!(text.contains("hard-mandatory rule (critical severity; controls: CIS AWS 5.2"), "{text}");
    // Terraform points at the offending line inside the ingress block.
    assert!(text.contains("in resource \"oppie_firewall\" \"admin\""), "{text}");
    assert!(text.contains("sources  = [\"0.0.0.0/0\"]"), "the snippet shows the ingress sources: {text}");
}

/// A running `oppie-policy serve` with the repo's policies, killed on drop.
struct PolicyServer {
    child: std::process::Child,
    url: String,
}

impl PolicyServer {
    /// Starts the `oppie-policy` build next to the provider on a free loopback port.
    fn start(token: &str) -> Self {
        use std::io::BufRead;
        let bin = oppie_e2e::terraform::provider_binary().with_file_name("oppie-policy");
        assert!(bin.exists(), "{} not built; run `cargo build -p oppie-policy` (or `make test`)", bin.display());
        let mut child = std::process::Command::new(&bin)
            .args(["serve", "--addr", "127.0.0.1:0", "--policy", &policies(), "--token", token])
            .env_remove("OPPIE_POLICY_TOKEN")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("oppie-policy serve starts");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        std::io::BufReader::new(stdout).read_line(&mut line).expect("first line");
        // "oppie-policy: serving http://127.0.0.1:PORT (revision ...)"
        let url = line.split_whitespace().nth(2).filter(|u| u.starts_with("http://")).map(str::to_string);
        let Some(url) = url else {
            let _ = child.kill();
            panic!("oppie-policy serve did not start: {line}");
        };
        PolicyServer { child, url }
    }

    fn policy_block(&self, token: &str) -> String {
        format!("policy {{\n    endpoint = \"{}\"\n    token    = \"{token}\"\n  }}", self.url)
    }
}

impl Drop for PolicyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn ssh_open_to_the_world_fails_the_plan_through_the_policy_server() {
    let server = PolicyServer::start("e2e-secret");
    let tf = terraform();
    tf.config(&format!("{}{NETWORK}{SSH_FIREWALL}", provider(&server.policy_block("e2e-secret"))));
    tf.init();
    let out = tf.run(&["plan"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let text = out.all();
    // The same diagnostics as the in-process gate above.
    assert!(text.contains("Error: Policy OPP-NET-001: SSH open to the internet"), "{text}");
    assert!(text.contains("allows SSH (port 22) from 0.0.0.0/0"), "{text}");
    assert!(text.contains("hard-mandatory rule (critical severity; controls: CIS AWS 5.2"), "{text}");
    assert!(text.contains("in resource \"oppie_firewall\" \"admin\""), "{text}");
    assert!(text.contains("sources  = [\"0.0.0.0/0\"]"), "the snippet shows the ingress sources: {text}");

    let fixed = SSH_FIREWALL.replace("0.0.0.0/0", "10.0.0.0/8");
    tf.config(&format!("{}{NETWORK}{fixed}", provider(&server.policy_block("e2e-secret"))));
    let (code, out) = tf.plan_code();
    assert_eq!(code, 2, "the fixed plan passes the server's policies and has changes: {}", out.all());
}

#[test]
fn a_wrong_policy_server_token_is_a_clear_plan_error() {
    let server = PolicyServer::start("e2e-secret");
    let tf = terraform();
    tf.config(&format!("{}{NETWORK}{SSH_FIREWALL}", provider(&server.policy_block("not-the-token"))));
    tf.init();
    let out = tf.run(&["plan"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let text = out.all();
    assert!(text.contains("Error: Policy server unavailable"), "{text}");
    assert!(text.contains(&format!("{}/v1/check: HTTP 401 Unauthorized", server.url)), "{text}");
    assert!(text.contains("a valid bearer token is required"), "{text}");
}

#[test]
fn the_fix_passes_and_lower_levels_warn() {
    let tf = terraform();
    let fixed = SSH_FIREWALL.replace("0.0.0.0/0", "10.0.0.0/8");
    // A bucket without versioning breaks a soft-mandatory rule: a warning under hard-mandatory enforcement.
    let bucket = "resource \"oppie_bucket\" \"media\" {\n  name = \"shop-dev-media\"\n}\n";
    tf.config(&format!(
        "{}{NETWORK}{fixed}{bucket}",
        provider(&format!("policy {{\n    paths = [\"{}\"]\n  }}", policies()))
    ));
    tf.init();
    let (code, out) = tf.plan_code();
    assert_eq!(code, 2, "{}", out.all());
    let text = out.all();
    assert!(!text.contains("OPP-NET-001"), "{text}");
    assert!(text.contains("Warning: Policy OPP-STO-003"), "{text}");
    assert!(text.contains("provider's policy enforcement is hard-mandatory"), "{text}");
}

#[test]
fn an_advisory_rule_passes_with_a_warning() {
    let tf = terraform();
    let dir = tf.dir().join("advisory");
    std::fs::create_dir_all(&dir).unwrap();
    let rule = std::fs::read_to_string(repo_root().join("policies/network/ssh_open_to_world.rego"))
        .unwrap()
        .replace("package oppie.rules.network.ssh_open_to_world", "package team.ssh_advisory")
        .replace("id: OPP-NET-001", "id: TEAM-SSH-1")
        .replace("enforcement: hard-mandatory", "enforcement: advisory");
    std::fs::write(dir.join("ssh.rego"), rule).unwrap();
    tf.config(&format!("{}{NETWORK}{SSH_FIREWALL}", provider("policy {\n    paths = [\"advisory\"]\n  }")));
    tf.init();
    let (code, out) = tf.plan_code();
    assert_eq!(code, 2, "{}", out.all());
    let text = out.all();
    assert!(text.contains("Warning: Policy TEAM-SSH-1: SSH open to the internet"), "{text}");
    assert!(text.contains("advisory rule"), "{text}");
}

#[test]
fn an_environment_over_its_budget_fails_the_plan() {
    let tf = terraform();
    tf.write("budgets.json", r#"{"budgets": {"dev": 100}}"#);
    let instances = (1..=3)
        .map(|i| {
            format!(
                "resource \"oppie_instance\" \"api{i}\" {{\n  name      = \"shop-dev-api{i}\"\n  size      = \"l\"\n  image     = \"ami-0123456789abcdef0\"\n  subnet_id = \"subnet-0123456789abcdef0\"\n  disk_gb   = 20\n}}\n"
            )
        })
        .collect::<String>();
    tf.config(&format!(
        "{}{instances}",
        provider(&format!("policy {{\n    paths = [\"{}\"]\n    data  = [\"budgets.json\"]\n  }}", policies()))
    ));
    tf.init();
    let out = tf.run(&["plan"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let text = out.all();
    assert!(text.contains("Policy OPP-CST-001"), "{text}");
    assert!(text.contains("environment dev: estimated monthly cost"), "{text}");
    assert!(
        text.contains("exceeds its budget of\n100.00 USD") || text.contains("exceeds its budget of 100.00 USD"),
        "{text}"
    );
    // Under budget, the same plan passes.
    tf.write("budgets.json", r#"{"budgets": {"dev": 1000}}"#);
    let (code, out) = tf.plan_code();
    assert_eq!(code, 2, "{}", out.all());
}

#[test]
fn costs_are_known_at_plan_time() {
    let tf = terraform();
    tf.config(&format!(
        "{}{NETWORK}{}",
        provider(""),
        r#"
resource "oppie_instance" "api" {
  name      = "shop-dev-api"
  size      = "s"
  image     = "ami-0123456789abcdef0"
  subnet_id = "subnet-0123456789abcdef0"
  disk_gb   = 20
}
resource "oppie_bucket" "media" {
  name                = "shop-dev-media"
  expected_storage_gb = 500
}
"#
    ));
    tf.init();
    let (_, out) = tf.plan_code();
    assert!(out.stdout.contains("+ estimated_monthly_cost = "), "{}", out.stdout);
    let plan = tf.plan_json();
    let after = |addr: &str| {
        plan["resource_changes"]
            .as_array()
            .and_then(|rs| rs.iter().find(|r| r["address"] == addr))
            .map(|r| r["change"]["after"].clone())
            .unwrap_or_else(|| panic!("{addr} missing"))
    };
    let inst = after("oppie_instance.api");
    let cost = inst["estimated_monthly_cost"].as_f64().expect("instance cost known at plan time");
    // t3.small in us-east-1 is about $0.0208/h, plus a 20 GB disk.
    assert!((15.0..25.0).contains(&cost), "{inst:#}");
    assert!(inst["cost_breakdown"]["compute"].as_f64().unwrap() > 10.0, "{inst:#}");
    assert!(inst["cost_breakdown"]["disk"].as_f64().unwrap() > 0.0, "{inst:#}");
    assert_eq!(after("oppie_network.main")["estimated_monthly_cost"], 0.0);
    let bucket = after("oppie_bucket.media")["estimated_monthly_cost"].as_f64().unwrap();
    assert!((5.0..20.0).contains(&bucket), "500 GB of S3 Standard: {bucket}");
}

/// Terraform does not tell a provider a resource's address: findings name the resource by
/// what identifies it in the configuration, never by a made-up address, and two resources'
/// findings stay two (Terraform folds warnings with the same summary into one).
#[test]
fn findings_name_each_resource_without_inventing_addresses() {
    let tf = terraform();
    let subnets = ["10.2.1.0/24", "10.2.2.0/24"]
        .iter()
        .enumerate()
        .map(|(i, cidr)| {
            format!("resource \"oppie_subnet\" \"s{i}\" {{\n  network_id = oppie_network.main.id\n  cidr       = \"{cidr}\"\n  public     = true\n}}\n")
        })
        .collect::<String>();
    tf.config(&format!(
        "{}{NETWORK}{subnets}",
        provider(&format!("policy {{\n    paths = [\"{}\"]\n  }}", policies()))
    ));
    tf.init();
    let (code, out) = tf.plan_code();
    assert_eq!(code, 2, "{}", out.all());
    let text = out.all();
    for cidr in ["10.2.1.0/24", "10.2.2.0/24"] {
        let summary =
            format!("Warning: Policy OPP-NET-006: Subnet assigns public IPs automatically (oppie_subnet \"{cidr}\")");
        assert!(text.contains(&summary), "{summary} in:\n{text}");
    }
    assert!(!text.contains("similar warning"), "not folded: {text}");
    assert!(!text.contains("oppie_planned") && !text.contains("oppie_subnet.planned"), "{text}");
}

/// Two resources that share a name are two resources to a budget.
#[test]
fn a_budget_counts_every_planned_resource_once() {
    let tf = terraform();
    tf.write("budgets.json", r#"{"budgets": {"dev": 100}}"#);
    tf.config(&format!(
        "{}{}",
        provider(&format!("policy {{\n    paths = [\"{}\"]\n    data  = [\"budgets.json\"]\n  }}", policies())),
        "resource \"oppie_instance\" \"api\" {\n  count     = 2\n  name      = \"shop-dev-api\"\n  size      = \"l\"\n  image     = \"ami-0123456789abcdef0\"\n  subnet_id = \"subnet-0123456789abcdef0\"\n  disk_gb   = 20\n}\n"
    ));
    tf.init();
    let out = tf.run(&["plan"]);
    // One t3.large is about 61 USD a month: one fits in 100 USD, two do not.
    assert_eq!(out.code, 1, "two same-named instances exceed the budget:\n{}", out.all());
    assert!(out.all().contains("Policy OPP-CST-001"), "{}", out.all());
}
