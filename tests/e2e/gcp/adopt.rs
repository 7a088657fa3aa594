//! Finding and adopting on GCP: a stack whose state is lost is found again by `terraform
//! query` (list calls checked against the discovery document), its generated config imports
//! every kind by identity with no further change; then the machine is stopped, started and
//! its disk snapshotted by the actions.

use oppie_e2e::gcp::gcp_test;

use super::stack;

const QUERY: &str = r#"
list "oppie_network" "all" {
  provider = oppie
  config {
    cloud  = "gcp"
    region = "us-east"
  }
}

list "oppie_subnet" "main" {
  provider = oppie
  config {
    network_id = "projects/oppie-test/global/networks/shop-dev-net"
  }
}

list "oppie_firewall" "main" {
  provider = oppie
  config {
    network_id = "projects/oppie-test/global/networks/shop-dev-net"
  }
}

list "oppie_instance" "api" {
  provider = oppie
  config {
    tags = { team = "api" }
  }
}

list "oppie_bucket" "media" {
  provider = oppie
  config {
    tags = { purpose = "adopt-test" }
  }
}
"#;

const ACTIONS: &str = r#"
action "oppie_instance_power" "stop" {
  config {
    instance_id = "projects/oppie-test/zones/us-east1-b/instances/shop-dev-api"
    state       = "stopped"
  }
}

action "oppie_instance_power" "start" {
  config {
    instance_id = "projects/oppie-test/zones/us-east1-b/instances/shop-dev-api"
    state       = "running"
  }
}

action "oppie_snapshot" "api" {
  config {
    source_id      = "projects/oppie-test/zones/us-east1-b/instances/shop-dev-api"
    retention_days = 3
  }
}
"#;

#[test]
fn a_lost_stack_is_found_by_query_and_adopted_by_identity_then_powered_and_snapshotted() {
    let gcp = gcp_test();
    let made = gcp.terraform();
    let bucket = "shop-dev-media-adopt";
    let config = stack(bucket)
        .replace("  versioning = true\n", "  versioning = true\n  tags       = { purpose = \"adopt-test\" }\n");
    made.config(&format!("{}{config}", gcp.provider()));
    made.init();
    made.apply();

    // Another working directory, no state: what exists is found, filtered, and adopted.
    let tf = gcp.terraform();
    tf.config(&gcp.provider());
    tf.write("adopt.tfquery.hcl", QUERY);
    tf.init();
    let out = tf.ok(&["query", "-no-color"]);
    for name in ["shop-dev-net", "shop-dev-web", "shop-dev-api", bucket] {
        assert!(out.stdout.contains(name), "{name} missing:\n{}", out.all());
    }
    tf.ok(&["query", "-no-color", "-generate-config-out=generated.tf"]);
    let generated = std::fs::read_to_string(tf.dir().join("generated.tf")).expect("generated");
    assert_eq!(generated.matches("import {").count(), 5, "{generated}");
    let plan = tf.plan_json();
    let changes = plan["resource_changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 5, "{generated}\n{plan:#}");
    for c in changes {
        assert_eq!(c["change"]["actions"], serde_json::json!(["no-op"]), "{c:#}\n{generated}");
        assert!(c["change"]["importing"]["identity"]["id"].is_string(), "by identity: {c:#}");
    }
    tf.ok(&["apply", "-auto-approve", "tfplan"]);
    tf.assert_no_changes();

    // Power and snapshot through the Compute Engine calls.
    tf.write("actions.tf", ACTIONS);
    let out = tf.ok(&["apply", "-no-color", "-auto-approve", "-invoke=action.oppie_instance_power.stop"]);
    assert!(out.stdout.contains("is terminated"), "{}", out.all());
    let (_, vm) = gcp.compute("GET", "zones/us-east1-b/instances/shop-dev-api", "");
    assert_eq!(vm["status"], "TERMINATED");
    tf.ok(&["apply", "-no-color", "-auto-approve", "-invoke=action.oppie_instance_power.start"]);
    let (_, vm) = gcp.compute("GET", "zones/us-east1-b/instances/shop-dev-api", "");
    assert_eq!(vm["status"], "RUNNING");
    let out = tf.ok(&["apply", "-no-color", "-auto-approve", "-invoke=action.oppie_snapshot.api"]);
    assert!(out.stdout.contains("snapshot projects/oppie-test/global/snapshots/shop-dev-api-"), "{}", out.all());
    let (_, snaps) = gcp.compute("GET", "global/snapshots", "");
    let snap = &snaps["items"][0];
    assert_eq!(snap["labels"]["oppie-snapshot-of"], "shop-dev-api", "{snaps:#}");
    assert!(snap["sourceDisk"].as_str().is_some_and(|d| d.ends_with("/disks/shop-dev-api")), "{snap:#}");
    tf.assert_no_changes();
    tf.ok(&["destroy", "-auto-approve"]);
}
