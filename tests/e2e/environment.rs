//! The whole plugin loop through real Terraform (1.15.5 and 1.0.3): oppie_environment,
//! the catalog data source, provider functions, import, state upgrade, schema dump,
//! protocol 5, debug reattach, logs, and validation errors.

use oppie_e2e::terraform::provider_binary;
use oppie_e2e::{Terraform, Version};

const ENV: &str = r#"
resource "oppie_environment" "dev" {
  name = "shop-dev"
  ttl  = "72h"
  tags = { team = "shop" }
}
"#;

/// Plan text with runs of spaces collapsed (Terraform aligns `=` by the longest name).
fn squash(text: &str) -> String {
    text.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

fn lifecycle(version: Version, protocol: Option<&str>) {
    let mut tf = Terraform::new(version);
    if let Some(p) = protocol {
        tf.env("TFPLUG_PROTOCOL", p);
    }
    tf.config(ENV);
    tf.init();
    tf.ok(&["validate"]);
    let (code, plan) = tf.plan_code();
    assert_eq!(code, 2, "{}", plan.all());
    assert!(squash(&plan.stdout).contains("+ id = \"shop-dev\""), "id is known at plan time:\n{}", plan.stdout);
    tf.apply();
    let env = tf.resource("oppie_environment.dev");
    assert_eq!(env["id"], "shop-dev");
    assert_eq!(env["tier"], "dev", "default tier");
    let created = env["created_at"].as_str().expect("created_at");
    let expires = env["expires_at"].as_str().expect("expires_at");
    assert!(created.ends_with('Z') && expires > created, "{created} {expires}");
    tf.assert_no_changes();

    // In-place update: tier and ttl change, identity and creation time stay.
    tf.config(&ENV.replace("ttl  = \"72h\"", "ttl  = \"24h\"\n  tier = \"prod\""));
    let (code, plan) = tf.plan_code();
    assert_eq!(code, 2);
    assert!(squash(&plan.stdout).contains("~ tier = \"dev\" -> \"prod\""), "{}", plan.stdout);
    assert!(plan.stdout.contains("1 to change"), "{}", plan.stdout);
    tf.apply();
    let updated = tf.resource("oppie_environment.dev");
    assert_eq!(updated["created_at"], env["created_at"]);
    assert_eq!(updated["tier"], "prod");
    assert_ne!(updated["expires_at"], env["expires_at"]);
    tf.assert_no_changes();

    // Renaming replaces.
    tf.config(&ENV.replace("shop-dev", "shop-dev2"));
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("must be replaced"), "{}", plan.stdout);

    // Import by name.
    tf.config(ENV);
    tf.ok(&["state", "rm", "oppie_environment.dev"]);
    tf.ok(&["import", "oppie_environment.dev", "shop-dev"]);
    assert_eq!(tf.resource("oppie_environment.dev")["name"], "shop-dev");

    tf.ok(&["destroy", "-auto-approve"]);
    let state = tf.state_json();
    assert!(state["values"].is_null() || state["values"]["root_module"]["resources"].is_null(), "{state:#}");
}

#[test]
fn lifecycle_on_terraform_1_15() {
    lifecycle(Version::Latest, None);
}

#[test]
fn lifecycle_on_terraform_1_0() {
    lifecycle(Version::V1_0, None);
}

#[test]
fn lifecycle_over_protocol_5() {
    lifecycle(Version::Latest, Some("5"));
    lifecycle(Version::V1_0, Some("5"));
}

#[test]
fn lifecycle_without_plugin_tls() {
    let mut tf = Terraform::new(Version::Latest);
    tf.env("TF_DISABLE_PLUGIN_TLS", "1");
    tf.config(ENV);
    tf.init();
    tf.apply();
    tf.assert_no_changes();
}

#[test]
fn import_block_on_terraform_1_15() {
    let tf = Terraform::new(Version::Latest);
    tf.config(&format!("{ENV}\nimport {{\n  to = oppie_environment.dev\n  id = \"shop-dev\"\n}}\n"));
    tf.init();
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("1 to import"), "{}", plan.stdout);
    tf.apply();
    assert_eq!(tf.resource("oppie_environment.dev")["ttl"], "72h");
}

#[test]
fn invalid_tier_fails_validate_with_attribute_and_allowed_values() {
    for version in [Version::Latest, Version::V1_0] {
        let tf = Terraform::new(version);
        tf.config("resource \"oppie_environment\" \"qa\" {\n  name = \"shop-qa\"\n  tier = \"qa\"\n}\n");
        tf.init();
        let out = tf.run(&["validate"]);
        assert_eq!(out.code, 1, "{}", out.all());
        let text = out.all();
        assert!(text.contains("Invalid value for tier"), "{text}");
        assert!(text.contains(r#""dev", "staging", "prod""#), "{text}");
        assert!(text.contains("tier = \"qa\""), "points at the config line: {text}");
    }
}

#[test]
fn malformed_ttl_fails_validate() {
    let tf = Terraform::new(Version::Latest);
    tf.config("resource \"oppie_environment\" \"x\" {\n  name = \"x\"\n  ttl  = \"3 days\"\n}\n");
    tf.init();
    let out = tf.run(&["validate"]);
    assert_eq!(out.code, 1);
    assert!(out.all().contains("is not a duration"), "{}", out.all());
}

/// A state written by schema version 0 (`stage`, `ttl_hours`) upgrades in place.
#[test]
fn state_upgrade_from_schema_version_0() {
    for version in [Version::Latest, Version::V1_0] {
        let tf = Terraform::new(version);
        tf.config(
            "resource \"oppie_environment\" \"pr\" {\n  name = \"pr-1\"\n  tier = \"staging\"\n  ttl  = \"24h\"\n}\n",
        );
        tf.init();
        let tf_version = if version == Version::Latest { "1.15.5" } else { "1.0.3" };
        tf.write(
            "terraform.tfstate",
            &serde_json::json!({
                "version": 4,
                "terraform_version": tf_version,
                "serial": 1,
                "lineage": "3f0c6d7e-0000-4000-8000-000000000001",
                "outputs": {},
                "resources": [{
                    "mode": "managed",
                    "type": "oppie_environment",
                    "name": "pr",
                    "provider": "provider[\"registry.terraform.io/oppie/oppie\"]",
                    "instances": [{
                        "schema_version": 0,
                        "attributes": {
                            "name": "pr-1", "stage": "staging", "ttl_hours": 24, "tags": null,
                            "id": "pr-1", "created_at": "2026-01-01T00:00:00Z"
                        },
                        "sensitive_attributes": []
                    }]
                }]
            })
            .to_string(),
        );
        tf.assert_no_changes();
        tf.ok(&["apply", "-refresh-only", "-auto-approve"]);
        let raw: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(tf.dir().join("terraform.tfstate")).unwrap()).unwrap();
        let inst = &raw["resources"][0]["instances"][0];
        assert_eq!(inst["schema_version"], 1, "{raw:#}");
        assert_eq!(inst["attributes"]["tier"], "staging");
        assert_eq!(inst["attributes"]["ttl"], "24h");
        assert_eq!(inst["attributes"]["expires_at"], "2026-01-02T00:00:00Z");
        assert!(inst["attributes"].get("stage").is_none());
    }
}

#[test]
fn providers_schema_json() {
    for version in [Version::Latest, Version::V1_0] {
        let tf = Terraform::new(version);
        tf.config(ENV);
        tf.init();
        let out = tf.ok(&["providers", "schema", "-json"]);
        let schema: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let p = &schema["provider_schemas"]["registry.terraform.io/oppie/oppie"];
        let env = &p["resource_schemas"]["oppie_environment"];
        assert_eq!(env["version"], 1);
        let attrs = &env["block"]["attributes"];
        assert_eq!(attrs["name"]["required"], true);
        assert_eq!(attrs["tier"]["optional"], true);
        assert_eq!(attrs["tier"]["computed"], true);
        assert_eq!(attrs["tags"]["type"], serde_json::json!(["map", "string"]));
        assert_eq!(attrs["id"]["computed"], true);
        assert!(p["data_source_schemas"]["oppie_catalog"]["block"]["attributes"]["sizes"].is_object());
        if version == Version::Latest {
            let f = &p["functions"]["subnet_cidrs"];
            assert_eq!(f["return_type"], serde_json::json!(["map", ["map", "string"]]), "{f:#}");
            assert_eq!(p["functions"]["name"]["parameters"].as_array().map(Vec::len), Some(4));
        }
    }
}

#[test]
fn functions_and_catalog_in_outputs() {
    let tf = Terraform::new(Version::Latest);
    tf.config(
        r#"
data "oppie_catalog" "aws" { cloud = "aws" }
data "oppie_catalog" "azure" { cloud = "azure" }
output "name" { value = provider::oppie::name("Shop", "dev", "api", "cluster") }
output "subnets" { value = provider::oppie::subnet_cidrs("10.2.0.0/16", ["public", "private", "database"], ["a", "b", "c"]) }
output "aws_small" { value = data.oppie_catalog.aws.sizes["s"] }
output "azure_east" { value = data.oppie_catalog.azure.regions["us-east"] }
output "aws_zones" { value = data.oppie_catalog.aws.zones["eu-west"] }
"#,
    );
    tf.init();
    tf.apply();
    let o = tf.outputs();
    assert_eq!(o["name"]["value"], "shop-dev-api-cluster");
    assert_eq!(o["subnets"]["value"]["public"]["a"], "10.2.1.0/24");
    assert_eq!(o["subnets"]["value"]["private"]["b"], "10.2.12.0/24");
    assert_eq!(o["subnets"]["value"]["database"]["c"], "10.2.23.0/24");
    assert_eq!(o["aws_small"]["value"], "t3.small");
    assert_eq!(o["azure_east"]["value"], "eastus");
    assert_eq!(o["aws_zones"]["value"], serde_json::json!(["a", "b", "c"]));
}

#[test]
fn function_errors_name_the_wrong_part() {
    let tf = Terraform::new(Version::Latest);
    tf.config("output \"n\" { value = provider::oppie::name(\"shop\", \"dev\", \"api_v2\", \"net\") }\n");
    tf.init();
    let out = tf.run(&["plan"]);
    assert_eq!(out.code, 1);
    let text = out.all();
    assert!(text.contains("service \"api_v2\" contains '_'"), "{text}");
}

#[test]
fn data_source_on_terraform_1_0() {
    let tf = Terraform::new(Version::V1_0);
    tf.config("data \"oppie_catalog\" \"gcp\" { cloud = \"gcp\" }\noutput \"m\" { value = data.oppie_catalog.gcp.sizes[\"m\"] }\n");
    tf.init();
    tf.apply();
    assert_eq!(tf.outputs()["m"]["value"], "e2-medium");
}

#[test]
fn provider_logs_reach_terraform_logs() {
    let mut tf = Terraform::new(Version::Latest);
    tf.env("TF_LOG", "debug");
    tf.config(ENV);
    tf.init();
    let out = tf.run(&["plan"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("provider.terraform-provider-oppie") && l.contains("planning"))
        .unwrap_or_else(|| panic!("no provider log line in:\n{}", out.stderr));
    // Parsed as hclog JSON: level recognised and fields split out.
    assert!(line.contains("[DEBUG]") && line.contains("tf_resource_type=oppie_environment"), "{line}");
}

#[test]
fn running_by_hand_explains_itself() {
    let out = std::process::Command::new(provider_binary()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("Terraform/OpenTofu provider plugin"), "{text}");
    assert!(text.contains("source = \"oppie/oppie\""), "{text}");
    assert!(out.stdout.is_empty());
}

#[test]
fn debug_mode_serves_reattached_terraform() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(provider_binary())
        .arg("--debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut reattach = None;
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        if let Some(rest) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
            reattach = Some(rest.trim_end_matches('\'').to_string());
            break;
        }
    }
    let reattach = reattach.expect("reattach line");
    let mut tf = Terraform::new(Version::Latest);
    tf.env("TF_REATTACH_PROVIDERS", &reattach);
    tf.config(ENV);
    tf.init();
    tf.apply();
    // The same debug server answers a second command.
    tf.assert_no_changes();
    let _ = child.kill();
    let _ = child.wait();
}
