//! Out-of-band changes on GCP are planned back: a firewall rule deleted, bucket versioning
//! and labels changed, a bucket deleted (recreated); deletion protection holds a VM.

use oppie_e2e::gcp::gcp_test;

use super::{assert_has, stack};

#[test]
fn out_of_band_changes_are_planned_back() {
    let gcp = gcp_test();
    let tf = gcp.terraform();
    let bucket = "shop-dev-media-drift";
    tf.config(&format!("{}{}", gcp.provider(), stack(bucket)));
    tf.init();
    tf.apply();
    tf.assert_no_changes();

    // Delete the https rule of the firewall, switch versioning off, add a label.
    let (_, list) = gcp.compute("GET", "global/firewalls", "");
    let https = list["items"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["allowed"][0]["ports"] == serde_json::json!(["443"])))
        .and_then(|r| r["name"].as_str())
        .expect("https rule")
        .to_string();
    let (status, _) = gcp.compute("DELETE", &format!("global/firewalls/{https}"), "");
    assert_eq!(status, 200);
    let (status, _) = gcp.storage(
        "PATCH",
        &format!("b/{bucket}"),
        r#"{"versioning": {"enabled": false}, "labels": {"added": "by-hand"}}"#,
    );
    assert_eq!(status, 200);
    let (code, plan) = tf.plan_code();
    assert_eq!(code, 2);
    assert!(plan.stdout.contains("0 to add, 2 to change, 0 to destroy."), "{}", plan.stdout);
    assert_has(&plan.stdout, "~ versioning = false -> true");
    assert_has(&plan.stdout, "- \"added\" = \"by-hand\" -> null");
    assert!(plan.stdout.contains("+ ingress {"), "the rule comes back: {}", plan.stdout);
    tf.apply();
    tf.assert_no_changes();
    let (_, list) = gcp.compute("GET", "global/firewalls", "");
    assert!(
        list["items"].as_array().is_some_and(|rs| rs.iter().any(|r| r["name"] == https.as_str())),
        "same rule name"
    );

    // The bucket deleted out of band is created again.
    let (status, _) = gcp.storage("DELETE", &format!("b/{bucket}"), "");
    assert_eq!(status, 204);
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("1 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    tf.apply();
    tf.assert_no_changes();
    tf.ok(&["destroy", "-auto-approve"]);
}

#[test]
fn deletion_protection_blocks_destroy_until_turned_off() {
    let gcp = gcp_test();
    let tf = gcp.terraform();
    let config = format!("{}{}", gcp.provider(), stack("shop-dev-media-protect"))
        .replace("disk_gb      = 20", "disk_gb      = 20\n  deletion_protection = true");
    tf.config(&config);
    tf.init();
    tf.apply();
    let (_, vm) = gcp.compute("GET", "zones/us-east1-b/instances/shop-dev-api", "");
    assert_eq!(vm["deletionProtection"], true);
    let out = tf.run(&["destroy", "-auto-approve"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let words = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("Set deletion_protection = false and apply first."), "{}", out.stderr);
    tf.config(&config.replace("deletion_protection = true", "deletion_protection = false"));
    tf.apply();
    tf.assert_no_changes();
    assert_eq!(gcp.count("compute.instances.setDeletionProtection"), 1);
    tf.ok(&["destroy", "-auto-approve"]);
}
