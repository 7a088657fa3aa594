//! Planning new GCP resources needs no credentials and calls nothing; GCP's own rules (zones
//! of the region, label syntax) fail at plan with the attribute and the cloud named.

use oppie_e2e::gcp::gcp_test;

use super::{assert_has, stack};

#[test]
fn planning_needs_no_credentials_and_makes_no_call() {
    let gcp = gcp_test();
    let tf = gcp.terraform();
    let provider = gcp
        .provider()
        .replace("max_attempts = 4", "max_attempts = 4\n    credentials  = \"/nonexistent/oppie-key.json\"");
    tf.config(&format!("{provider}{}", stack("shop-dev-media-plan")));
    tf.init();
    let (code, plan) = tf.plan_code();
    assert_eq!(code, 2, "{}", plan.all());
    assert!(plan.stdout.contains("Plan: 5 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    assert_has(&plan.stdout, "+ instance_type = \"e2-small\"");
    assert_has(&plan.stdout, "+ image_id = (known after apply)");
    assert!(gcp.calls().is_empty(), "planning called the cloud: {:?}", gcp.calls());
}

#[test]
fn gcp_rules_fail_at_plan_naming_attribute_and_cloud() {
    let gcp = gcp_test();
    let tf = gcp.terraform();
    let config = stack("shop-dev-media-rules").replace("zone       = 1", "zone       = \"a\"");
    tf.config(&format!("{}{config}", gcp.provider()));
    tf.init();
    let out = tf.run(&["plan"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains("Unknown zone"), "{}", out.stderr);
    let flat = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("us-east1 has no zone \"a\": use 1 to 3"), "{}", out.stderr);
    assert!(flat.contains("us-east1-b, us-east1-c, us-east1-d"), "{}", out.stderr);
    assert!(out.stderr.contains("zone"), "{}", out.stderr);

    let config = stack("shop-dev-media-rules").replace("tags = { team = \"web\" }", "tags = { Team = \"Web\" }");
    tf.config(&format!("{}{config}", gcp.provider()));
    let out = tf.run(&["plan"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains("Tags cannot be GCP labels"), "{}", out.stderr);
    assert!(out.stderr.contains("\"Team\""), "{}", out.stderr);

    // What does not map on GCP, each on its attribute.
    let cases = [
        ("name = \"shop-dev-net\"", "name = \"Shop_Net\"", "Name not allowed on GCP"),
        ("name       = \"shop-dev-web\"", &format!("name       = \"{}\"", "w".repeat(54)), "1 to 53"),
        ("disk_gb      = 20", "disk_gb      = 20\n  disk_encrypted = false", "Unencrypted disks not possible on GCP"),
        (
            "versioning = true",
            "versioning = true\n  kms_key_id = \"arn:aws:kms:us-east-1:1:key/x\"",
            "Not a Cloud KMS key",
        ),
    ];
    for (from, to, expected) in cases {
        let config = stack("shop-dev-media-rules").replace(from, to);
        assert_ne!(config, stack("shop-dev-media-rules"), "{from}");
        tf.config(&format!("{}{config}", gcp.provider()));
        let out = tf.run(&["plan"]);
        assert_eq!(out.code, 1, "{}", out.all());
        assert!(out.stderr.contains(expected), "{expected}: {}", out.stderr);
    }
    assert!(gcp.calls().is_empty());
}
