//! Finding and adopting what no state manages: objects made outside Terraform are listed by
//! `terraform query` (filtered by tags and network), `-generate-config-out` writes `oppie_*`
//! blocks with `import` blocks by identity, and those import every kind with no further change.

use aws_sdk_ec2::types::{Filter, InstanceType, IpPermission, IpRange, ResourceType, Tag, TagSpecification};
use aws_sdk_s3::types::{BucketVersioningStatus, Tagging, VersioningConfiguration};
use oppie_e2e::aws::{AwsTest, aws_test};

use super::UBUNTU_2204;

fn tags(kind: ResourceType, name: &str, team: &str) -> TagSpecification {
    let t = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
    TagSpecification::builder()
        .resource_type(kind)
        .tags(t("Name", name))
        .tags(t("project", "shop"))
        .tags(t("environment", "dev"))
        .tags(t("team", team))
        .build()
}

/// A network, subnet, firewall, machine and bucket made by hand (SDK), carrying the
/// provider's default tags; plus a machine of another team in another network.
fn made_by_hand(aws: &AwsTest) -> (String, String) {
    let vpc = aws
        .block_on(
            aws.ec2
                .create_vpc()
                .cidr_block("10.40.0.0/16")
                .tag_specifications(tags(ResourceType::Vpc, "legacy-net", "ops"))
                .send(),
        )
        .expect("vpc");
    let vpc = vpc.vpc().and_then(|v| v.vpc_id()).expect("vpc id").to_string();
    let subnet = aws
        .block_on(
            aws.ec2
                .create_subnet()
                .vpc_id(&vpc)
                .cidr_block("10.40.1.0/24")
                .availability_zone("us-east-1a")
                .tag_specifications(tags(ResourceType::Subnet, "legacy-subnet", "ops"))
                .send(),
        )
        .expect("subnet");
    let subnet = subnet.subnet().and_then(|s| s.subnet_id()).expect("subnet id").to_string();
    let sg = aws
        .block_on(
            aws.ec2
                .create_security_group()
                .group_name("legacy-web")
                .description("made by hand")
                .vpc_id(&vpc)
                .tag_specifications(tags(ResourceType::SecurityGroup, "legacy-web", "ops"))
                .send(),
        )
        .expect("sg");
    let sg = sg.group_id().expect("sg id").to_string();
    let https = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(443)
        .to_port(443)
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build();
    aws.block_on(aws.ec2.authorize_security_group_ingress().group_id(&sg).ip_permissions(https).send()).expect("rule");
    let run = |name: &str, team: &str, subnet: &str, group: &str| {
        let out = aws
            .block_on(
                aws.ec2
                    .run_instances()
                    .image_id(UBUNTU_2204)
                    .instance_type(InstanceType::T3Small)
                    .min_count(1)
                    .max_count(1)
                    .subnet_id(subnet)
                    .security_group_ids(group)
                    .tag_specifications(tags(ResourceType::Instance, name, team))
                    .send(),
            )
            .expect("run instance");
        out.instances()[0].instance_id().expect("instance id").to_string()
    };
    let legacy = run("legacy-api", "ops", &subnet, &sg);
    // Another network, another team: the filters leave it out.
    let other_vpc = aws.block_on(aws.ec2.create_vpc().cidr_block("10.50.0.0/16").send()).expect("vpc 2");
    let other_vpc = other_vpc.vpc().and_then(|v| v.vpc_id()).expect("vpc id").to_string();
    let other_subnet =
        aws.block_on(aws.ec2.create_subnet().vpc_id(&other_vpc).cidr_block("10.50.1.0/24").send()).expect("subnet 2");
    let other_subnet = other_subnet.subnet().and_then(|s| s.subnet_id()).expect("id").to_string();
    let groups = aws
        .block_on(
            aws.ec2
                .describe_security_groups()
                .filters(Filter::builder().name("vpc-id").values(&other_vpc).build())
                .send(),
        )
        .expect("groups");
    let default_group = groups.security_groups()[0].group_id().expect("default group").to_string();
    run("batch-worker", "data", &other_subnet, &default_group);

    aws.block_on(aws.s3.create_bucket().bucket("legacy-media").send()).expect("bucket");
    let on = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
    aws.block_on(aws.s3.put_bucket_versioning().bucket("legacy-media").versioning_configuration(on).send())
        .expect("versioning");
    let t = |k: &str, v: &str| aws_sdk_s3::types::Tag::builder().key(k).value(v).build().expect("tag");
    let tagging = Tagging::builder()
        .tag_set(t("project", "shop"))
        .tag_set(t("environment", "dev"))
        .tag_set(t("team", "ops"))
        .build()
        .expect("tagging");
    aws.block_on(aws.s3.put_bucket_tagging().bucket("legacy-media").tagging(tagging).send()).expect("bucket tags");
    aws.block_on(aws.s3.create_bucket().bucket("other-team-logs").send()).expect("bucket 2");
    (legacy, vpc)
}

#[test]
fn query_finds_what_no_state_manages_and_its_generated_config_imports_every_kind_cleanly() {
    let aws = aws_test();
    let (legacy, vpc) = made_by_hand(&aws);
    let tf = aws.terraform();
    tf.config(&AwsTest::provider(&aws.endpoint()));
    let list = |kind: &str, extra: &str| {
        format!(
            "list \"oppie_{kind}\" \"ops\" {{\n  provider = oppie\n  config {{\n    cloud  = \"aws\"\n    region = \"us-east\"\n    tags   = {{ team = \"ops\" }}\n{extra}  }}\n}}\n"
        )
    };
    let by_network = format!("    network_id = \"{vpc}\"\n");
    let query = [
        list("network", ""),
        list("subnet", &by_network),
        list("firewall", &by_network),
        list("instance", &by_network),
        list("bucket", ""),
    ]
    .concat();
    tf.write("adopt.tfquery.hcl", &query);
    tf.init();

    let out = tf.ok(&["query", "-no-color"]);
    assert!(out.stdout.contains(&format!("legacy-api ({legacy})")), "the machine made by hand:\n{}", out.all());
    for name in ["legacy-net", "legacy-subnet", "legacy-web", "legacy-media"] {
        assert!(out.stdout.contains(name), "{name} missing:\n{}", out.all());
    }
    for other in ["batch-worker", "other-team-logs"] {
        assert!(!out.stdout.contains(other), "{other} is filtered out:\n{}", out.all());
    }

    tf.ok(&["query", "-no-color", "-generate-config-out=generated.tf"]);
    let generated = std::fs::read_to_string(tf.dir().join("generated.tf")).expect("generated config");
    assert_eq!(generated.matches("import {").count(), 5, "{generated}");
    assert!(
        generated.contains(&format!("id     = \"{legacy}\"")) || generated.contains(&format!("id = \"{legacy}\"")),
        "{generated}"
    );
    assert!(generated.contains("identity = {"), "imports by identity:\n{generated}");
    for t in ["oppie_network", "oppie_subnet", "oppie_firewall", "oppie_instance", "oppie_bucket"] {
        assert!(generated.contains(&format!("resource \"{t}\"")), "{t}:\n{generated}");
    }
    // The generated config and its import blocks: five imports and nothing else.
    let plan = tf.plan_json();
    let changes = plan["resource_changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 5, "{generated}\n{plan:#}");
    for c in changes {
        assert_eq!(c["change"]["actions"], serde_json::json!(["no-op"]), "{c:#}\n{generated}");
        assert!(c["change"]["importing"]["identity"].is_object(), "by identity: {c:#}");
    }
    tf.ok(&["apply", "-auto-approve", "tfplan"]);
    tf.assert_no_changes();
    let inst = tf.resource(&format!("oppie_instance.{}", resource_name(&generated, "oppie_instance")));
    assert_eq!((inst["id"].as_str(), inst["instance_type"].as_str()), (Some(legacy.as_str()), Some("t3.small")));
    assert_eq!(inst["size"], "s", "the catalog size of the running type");
}

/// The name Terraform gave the generated block of `ty`.
fn resource_name(generated: &str, ty: &str) -> String {
    let start = generated.find(&format!("resource \"{ty}\" \"")).expect("block") + ty.len() + 13;
    generated[start..].split('"').next().unwrap_or_default().to_string()
}

#[test]
fn an_import_block_by_identity_adopts_a_machine_and_names_a_missing_one() {
    let aws = aws_test();
    let (legacy, _) = made_by_hand(&aws);
    let tf = aws.terraform();
    let subnet =
        aws.block_on(aws.ec2.describe_instances().instance_ids(&legacy).send()).expect("describe").reservations()[0]
            .instances()[0]
            .subnet_id()
            .unwrap_or_default()
            .to_string();
    let config = |id: &str| {
        format!(
            r#"{provider}
import {{
  to       = oppie_instance.web
  identity = {{ cloud = "aws", region = "us-east", id = "{id}" }}
}}

resource "oppie_instance" "web" {{
  name      = "legacy-api"
  size      = "s"
  image     = "{UBUNTU_2204}"
  subnet_id = "{subnet}"
  disk_gb   = 8
  disk_encrypted = false
  tags      = {{ team = "ops" }}
}}
"#,
            provider = AwsTest::provider(&aws.endpoint())
        )
    };
    tf.config(&config(&legacy));
    tf.init();
    let plan = tf.plan_json();
    let c = &plan["resource_changes"][0];
    assert_eq!(c["change"]["importing"]["identity"]["id"], legacy.as_str(), "{c:#}");
    assert_eq!(c["change"]["actions"], serde_json::json!(["no-op"]), "{c:#}");
    tf.ok(&["apply", "-auto-approve", "tfplan"]);
    tf.assert_no_changes();
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tf.dir().join("terraform.tfstate")).expect("state"))
            .expect("json");
    assert_eq!(
        state["resources"][0]["instances"][0]["identity"],
        serde_json::json!({"cloud": "aws", "region": "us-east", "id": legacy}),
        "the identity is stored with the state"
    );

    let tf2 = aws.terraform();
    tf2.config(&config("i-0000000000000dead"));
    tf2.init();
    let out = tf2.run(&["plan", "-no-color"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.all().contains("i-0000000000000dead"), "{}", out.all());
}
