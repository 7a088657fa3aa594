//! Planning new resources needs no credentials and calls nothing, so CI can plan, gate and
//! price without cloud access; an image that cannot be looked up stays unknown until apply.

use oppie_e2e::aws::AwsTest;
use oppie_e2e::aws::aws_test;
use oppie_e2e::{Terraform, Version};

use super::{CLOUD_INIT, STACK, assert_has};

#[test]
fn planning_new_resources_needs_no_credentials() {
    let aws = aws_test();
    let proxy = aws.fault_proxy(&[]);
    let mut tf = Terraform::new(Version::Latest);
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", ""),
        ("AWS_SECRET_ACCESS_KEY", ""),
        ("AWS_SESSION_TOKEN", ""),
        ("AWS_PROFILE", ""),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/nonexistent/config"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
    ] {
        tf.env(k, v);
    }
    tf.config(&format!("{}{STACK}", AwsTest::provider(&proxy.endpoint())));
    tf.write("cloud-init.yaml", CLOUD_INIT);
    tf.init();
    let (code, plan) = tf.plan_code();
    assert_eq!(code, 2, "{}", plan.all());
    assert!(plan.stdout.contains("Plan: 5 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    assert_has(&plan.stdout, "+ image_id = (known after apply)");
    assert_has(&plan.stdout, "+ instance_type = \"t3.small\"");
    let json = tf.plan_json();
    let inst = json["resource_changes"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == "oppie_instance.api"))
        .expect("instance change");
    assert_eq!(inst["change"]["after_unknown"]["image_id"], true);
    assert_eq!(inst["change"]["after"]["region"], "us-east", "placement known at plan time");
    assert_eq!(inst["change"]["after"]["tags_all"]["project"], "shop");
    assert!(proxy.calls().is_empty(), "planning called the cloud: {:?}", proxy.calls());
}
