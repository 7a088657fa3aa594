//! Changes made behind Terraform's back show up in the next plan, exactly, with the fix.

use aws_sdk_ec2::types::{IpPermission, IpRange, Tag};
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use oppie_e2e::aws::aws_test;

use super::{CLOUD_INIT, assert_has, stack};

#[test]
fn out_of_band_changes_are_planned_back() {
    let aws = aws_test();
    let tf = aws.terraform();
    tf.config(&stack(&aws.endpoint()));
    tf.write("cloud-init.yaml", CLOUD_INIT);
    tf.init();
    tf.apply();
    tf.assert_no_changes();
    let vpc = tf.resource("oppie_network.main")["id"].as_str().unwrap_or_default().to_string();
    let sg = tf.resource("oppie_firewall.web")["id"].as_str().unwrap_or_default().to_string();
    let instance = tf.resource("oppie_instance.api")["id"].as_str().unwrap_or_default().to_string();

    // Someone deletes the https rule, tags the VPC, suspends versioning, resizes the machine.
    let https = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(443)
        .to_port(443)
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build();
    aws.block_on(aws.ec2.revoke_security_group_ingress().group_id(&sg).ip_permissions(https).send()).expect("revoke");
    aws.block_on(aws.ec2.create_tags().resources(&vpc).tags(Tag::builder().key("owner").value("bob").build()).send())
        .expect("tag");
    let suspend = VersioningConfiguration::builder().status(BucketVersioningStatus::Suspended).build();
    aws.block_on(aws.s3.put_bucket_versioning().bucket("shop-dev-media").versioning_configuration(suspend).send())
        .expect("suspend");
    aws.block_on(aws.ec2.stop_instances().instance_ids(&instance).send()).expect("stop");
    let large = aws_sdk_ec2::types::AttributeValue::builder().value("t3.large").build();
    aws.block_on(aws.ec2.modify_instance_attribute().instance_id(&instance).instance_type(large).send())
        .expect("resize");
    aws.block_on(aws.ec2.start_instances().instance_ids(&instance).send()).expect("start");

    let (code, plan) = tf.plan_code();
    assert_eq!(code, 2);
    let text = &plan.stdout;
    assert!(text.contains("Plan: 0 to add, 4 to change, 0 to destroy."), "{text}");
    // The fix for each change, and nothing else.
    assert_has(text, "- \"owner\" = \"bob\" -> null");
    assert_has(text, "~ versioning = false -> true");
    assert_has(text, "~ size = \"t3.large\" -> \"s\"");
    assert_has(text, "~ instance_type = \"t3.large\" -> \"t3.small\"");
    // Rules are a list (so diagnostics can point at a block): the revoked first rule comes
    // back in place, the second moves down.
    assert_has(text, "~ ingress {\n+ description = \"https\"\n~ ports = \"8000-8080\" -> \"443\"");
    assert_has(text, "+ ingress {\n+ ports = \"8000-8080\"");
    let json = tf.plan_json();
    let mut drifted: Vec<&str> =
        json["resource_drift"].as_array().into_iter().flatten().filter_map(|d| d["address"].as_str()).collect();
    drifted.sort();
    assert_eq!(drifted, ["oppie_bucket.media", "oppie_firewall.web", "oppie_instance.api", "oppie_network.main"]);

    tf.apply();
    tf.assert_no_changes();

    // Deleted out of band: planned for re-creation.
    aws.block_on(aws.ec2.terminate_instances().instance_ids(&instance).send()).expect("terminate");
    aws.block_on(aws.s3.delete_bucket().bucket("shop-dev-media").send()).expect("delete bucket");
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("# oppie_instance.api will be created"), "{}", plan.stdout);
    assert!(plan.stdout.contains("# oppie_bucket.media will be created"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 2 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    tf.apply();
    tf.assert_no_changes();
    tf.ok(&["destroy", "-auto-approve"]);
}
