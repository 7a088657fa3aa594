//! `oppie drift` through Terraform 1.15.5 on moto: a firewall opened to the internet and a tag
//! edited outside Terraform are reported with the right severity (the SSH rule's critical, a tag's
//! low) and remediation; after the revert the next scan finds nothing and the history shows both
//! resolved.

use std::path::Path;
use std::process::{Command, Output};

use aws_sdk_ec2::types::{IpPermission, IpRange, Tag};
use oppie_e2e::aws::{AwsTest, aws_test, credentials_env};
use oppie_e2e::terraform::{cli_config, oppie_binary, repo_root};

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

fn oppie(tf: &oppie_e2e::Terraform, db: &Path, extra: &[&str]) -> Output {
    let policies = repo_root().join("policies");
    let mut cmd = Command::new(oppie_binary());
    cmd.arg("drift")
        .arg(tf.dir())
        .arg("--terraform")
        .arg(tf.binary())
        .arg("--policy")
        .arg(&policies)
        .arg("--db")
        .arg(db)
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
    let db = state.path().join("drift.db");

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
        .args(["drift", "history", "--format", "json", "--db"])
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
