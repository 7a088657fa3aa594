//! Create, read, update in place, replace, import, destroy; no diff after any apply.

use oppie_e2e::Terraform;
use oppie_e2e::aws::{ACCOUNT, AwsTest, aws_test};

use super::{CLOUD_INIT, UBUNTU_2204, assert_has, stack};

/// Rules of a security group as "proto from-to cidr" lines, sorted.
fn sg_rules(aws: &AwsTest, id: &str, egress: bool) -> Vec<String> {
    let out = aws.block_on(aws.ec2.describe_security_groups().group_ids(id).send()).expect("describe sg");
    let g = &out.security_groups()[0];
    let perms = if egress { g.ip_permissions_egress() } else { g.ip_permissions() };
    let mut v: Vec<String> = perms
        .iter()
        .flat_map(|p| {
            p.ip_ranges().iter().map(move |r| {
                format!(
                    "{} {}-{} {}",
                    p.ip_protocol().unwrap_or(""),
                    p.from_port().unwrap_or(-1),
                    p.to_port().unwrap_or(-1),
                    r.cidr_ip().unwrap_or("")
                )
            })
        })
        .collect();
    v.sort();
    v
}

fn apply_and_settle(tf: &Terraform) -> String {
    let out = tf.apply();
    tf.assert_no_changes();
    out.stdout
}

#[test]
fn full_stack_create_update_replace_import_destroy() {
    let aws = aws_test();
    let tf = aws.terraform();
    let config = stack(&aws.endpoint());
    tf.config(&config);
    tf.write("cloud-init.yaml", CLOUD_INIT);
    tf.init();

    // Plan: ids unknown, placement, tags and the image known without asking for more.
    let (code, plan) = tf.plan_code();
    assert_eq!(code, 2);
    assert!(plan.stdout.contains("Plan: 5 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    assert_has(&plan.stdout, &format!("+ image_id = \"{UBUNTU_2204}\""));
    assert_has(&plan.stdout, "+ instance_type = \"t3.small\"");
    assert_has(&plan.stdout, "+ user_data = (sensitive value)");
    assert!(plan.stdout.contains("\"environment\" = \"dev\""), "tags_all shown at plan time:\n{}", plan.stdout);

    apply_and_settle(&tf);
    let net = tf.resource("oppie_network.main");
    let vpc = net["id"].as_str().expect("vpc id").to_string();
    assert!(vpc.starts_with("vpc-"), "{net:#}");
    assert_eq!(net["native_id"], vpc.as_str());
    assert_eq!(net["native"]["arn"], format!("arn:aws:ec2:us-east-1:{ACCOUNT}:vpc/{vpc}"));
    assert!(net["native"]["internet_gateway_id"].as_str().is_some_and(|g| g.starts_with("igw-")));
    assert_eq!((net["cloud"].as_str(), net["region"].as_str()), (Some("aws"), Some("us-east")));
    assert_eq!(net["tags_all"], serde_json::json!({"project": "shop", "environment": "dev", "team": "web"}));
    assert_eq!(aws.vpc_ids(), vec![vpc.clone()]);

    let subnet = tf.resource("oppie_subnet.pub");
    assert_eq!(subnet["native"]["availability_zone"], "us-east-1a");
    assert!(
        subnet["native"]["route_table_id"].as_str().is_some_and(|r| r.starts_with("rtb-")),
        "public subnet routes out: {subnet:#}"
    );

    let fw = tf.resource("oppie_firewall.web");
    let sg = fw["id"].as_str().expect("sg").to_string();
    assert_eq!(
        sg_rules(&aws, &sg, false),
        ["tcp 443-443 0.0.0.0/0", "tcp 8000-8080 10.2.0.0/16", "tcp 8000-8080 10.9.0.0/16"]
    );
    assert_eq!(sg_rules(&aws, &sg, true), ["-1 -1--1 0.0.0.0/0"]);

    let inst = tf.resource("oppie_instance.api");
    let instance_id = inst["id"].as_str().expect("instance id").to_string();
    assert_eq!(inst["instance_type"], "t3.small");
    assert_eq!(inst["image_id"], UBUNTU_2204, "the newest Canonical image, not the newer look-alike");
    assert_eq!(inst["firewall_ids"], serde_json::json!([sg]));
    assert!(inst["native"]["private_ip"].as_str().is_some_and(|ip| ip.starts_with("10.2.1.")), "{inst:#}");
    assert!(inst["native"].get("public_ip").is_none(), "no public IP unless asked: {inst:#}");
    assert_eq!((inst["disk_gb"].as_i64(), inst["disk_encrypted"].as_bool()), (Some(20), Some(true)));

    let bucket = tf.resource("oppie_bucket.media");
    assert_eq!(bucket["id"], "shop-dev-media");
    assert_eq!(bucket["native"]["arn"], "arn:aws:s3:::shop-dev-media");
    let pab =
        aws.block_on(aws.s3.get_public_access_block().bucket("shop-dev-media").send()).expect("public access block");
    assert_eq!(
        pab.public_access_block_configuration().and_then(|c| c.block_public_policy()),
        Some(true),
        "private by default"
    );
    let enc = aws.block_on(aws.s3.get_bucket_encryption().bucket("shop-dev-media").send()).expect("encryption");
    assert!(enc.server_side_encryption_configuration().is_some(), "encrypted by default");

    // In place: tags, firewall rules, versioning, instance size (stop, resize, start).
    let updated = config
        .replace("tags = { team = \"web\" }", "tags = { team = \"api\" }")
        .replace(
            "ports    = \"8000-8080\"\n    sources  = [\"10.2.0.0/16\", \"10.9.0.0/16\"]",
            "ports    = \"22\"\n    sources  = [\"10.2.0.0/16\"]",
        )
        .replace("versioning = true", "versioning = false")
        .replace("size         = \"s\"", "size         = \"m\"");
    tf.config(&updated);
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("Plan: 0 to add, 4 to change, 0 to destroy."), "{}", plan.stdout);
    assert_has(&plan.stdout, "~ size = \"s\" -> \"m\"");
    assert_has(&plan.stdout, "~ versioning = true -> false");
    apply_and_settle(&tf);
    assert_eq!(tf.resource("oppie_firewall.web")["id"], sg.as_str(), "rules change in place");
    assert_eq!(sg_rules(&aws, &sg, false), ["tcp 22-22 10.2.0.0/16", "tcp 443-443 0.0.0.0/0"]);
    let inst = tf.resource("oppie_instance.api");
    assert_eq!(inst["id"], instance_id.as_str(), "resized in place");
    let live = aws.block_on(aws.ec2.describe_instances().instance_ids(&instance_id).send()).expect("describe");
    let i = &live.reservations()[0].instances()[0];
    assert_eq!(i.instance_type().map(|t| t.as_str()), Some("t3.medium"));
    assert_eq!(i.state().and_then(|s| s.name()).map(|n| n.as_str()), Some("running"), "started again");
    let v = aws.block_on(aws.s3.get_bucket_versioning().bucket("shop-dev-media").send()).expect("versioning");
    assert_eq!(v.status().map(|s| s.as_str()), Some("Suspended"));
    let tags = aws
        .block_on(
            aws.ec2
                .describe_tags()
                .filters(aws_sdk_ec2::types::Filter::builder().name("resource-id").values(&vpc).build())
                .send(),
        )
        .expect("tags");
    assert!(tags.tags().iter().any(|t| t.key() == Some("team") && t.value() == Some("api")));

    // A new range cannot be applied in place.
    tf.config(&updated.replace("cidr = \"10.2.0.0/16\"", "cidr = \"10.3.0.0/16\""));
    let out = tf.run(&["plan"]);
    assert!(out.stdout.contains("# oppie_network.main must be replaced"), "{}", out.all());
    assert_has(&out.stdout, "~ cidr = \"10.2.0.0/16\" -> \"10.3.0.0/16\" # forces replacement");

    // Replace: zone and image.
    let replaced = updated
        .replace("zone       = \"a\"", "zone       = \"b\"")
        .replace("image        = \"ubuntu-22.04\"", "image        = \"debian-12\"");
    tf.config(&replaced);
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("# oppie_subnet.pub must be replaced"), "{}", plan.stdout);
    assert!(plan.stdout.contains("# oppie_instance.api must be replaced"), "{}", plan.stdout);
    assert_has(&plan.stdout, "~ image = \"ubuntu-22.04\" -> \"debian-12\" # forces replacement");
    apply_and_settle(&tf);
    let inst = tf.resource("oppie_instance.api");
    assert_ne!(inst["id"], instance_id.as_str());
    assert_eq!(inst["image_id"], "ami-0a1b2c3d4e5f00004", "the newest Debian 12 image");
    assert_eq!(tf.resource("oppie_subnet.pub")["native"]["availability_zone"], "us-east-1b");
    assert_eq!(
        aws.live_instances(),
        vec![inst["id"].as_str().unwrap_or_default().to_string()],
        "the old machine is gone"
    );

    // Import by native id (CLI), then an import block.
    tf.ok(&["state", "rm", "oppie_network.main", "oppie_bucket.media"]);
    let out = tf.ok(&["import", "oppie_network.main", &vpc]);
    assert!(out.stdout.contains("Import successful"), "{}", out.stdout);
    let net = tf.resource("oppie_network.main");
    assert_eq!((net["name"].as_str(), net["cidr"].as_str()), (Some("shop-dev-net"), Some("10.2.0.0/16")));
    assert_eq!(net["tags"], serde_json::json!({"team": "api"}), "default tags are not the resource's own");
    tf.config(&format!("{replaced}\nimport {{\n  to = oppie_bucket.media\n  id = \"shop-dev-media\"\n}}\n"));
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    apply_and_settle(&tf);
    assert_eq!(tf.resource("oppie_bucket.media")["lifecycle_rule"][0]["storage_class"], "cold");

    // Destroy in dependency order: the machine is terminated before its firewall goes.
    let out = tf.ok(&["destroy", "-auto-approve"]);
    let gone = out.stdout.find("oppie_instance.api: Destruction complete").expect("instance destroyed");
    let fw_start = out.stdout.find("oppie_firewall.web: Destroying").expect("firewall destroyed");
    assert!(gone < fw_start, "{}", out.stdout);
    assert!(aws.vpc_ids().is_empty());
    assert!(aws.live_instances().is_empty());
    let buckets = aws.block_on(aws.s3.list_buckets().send()).expect("list buckets");
    assert!(buckets.buckets().is_empty());
}
