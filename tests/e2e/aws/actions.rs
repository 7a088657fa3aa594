//! Actions and ephemeral values on AWS: `oppie_instance_power` stops and starts a machine,
//! `oppie_snapshot` snapshots its disk before every update of the app (`action_trigger`) and a versioned
//! bucket on demand, `oppie_environment_extend` tags the environment's resources, and an
//! `oppie_password` reaches the machine through a write-only argument, never state or plan.

use base64::Engine as _;
use oppie_e2e::aws::{AwsTest, aws_test};

const STACK: &str = r##"
ephemeral "oppie_password" "db" {
  length  = 20
  special = false
}

resource "oppie_network" "main" {
  name = "shop-dev-net"
  cidr = "10.2.0.0/16"
}

resource "oppie_subnet" "a" {
  network_id = oppie_network.main.id
  cidr       = "10.2.1.0/24"
}

resource "oppie_instance" "db" {
  name                 = "shop-dev-db"
  size                 = "s"
  image                = "ubuntu-22.04"
  subnet_id            = oppie_subnet.a.id
  user_data_wo         = "#cloud-config\nwrite_files:\n  - path: /etc/db-password\n    content: PASSWORD=${ephemeral.oppie_password.db.result}\n"
  user_data_wo_version = 1
}

# The application: before every change of it, the database machine's disk is snapshotted.
# (An action cannot refer to the resource that triggers it: that would be a cycle.)
resource "oppie_instance" "app" {
  name      = "shop-dev-app"
  size      = "xs"
  image     = "ubuntu-22.04"
  subnet_id = oppie_subnet.a.id
  tags      = { release = "RELEASE" }

  lifecycle {
    action_trigger {
      events  = [before_update]
      actions = [action.oppie_snapshot.db]
    }
  }
}

resource "oppie_bucket" "media" {
  name       = "shop-dev-media"
  versioning = true
}

action "oppie_snapshot" "db" {
  config {
    source_id      = oppie_instance.db.id
    retention_days = 7
  }
}

action "oppie_snapshot" "media" {
  config {
    source_id = oppie_bucket.media.id
  }
}

action "oppie_instance_power" "stop" {
  config {
    instance_id = oppie_instance.db.id
    state       = "stopped"
  }
}

action "oppie_instance_power" "start" {
  config {
    instance_id = oppie_instance.db.id
    state       = "running"
  }
}

action "oppie_environment_extend" "day" {
  config {
    environment = "dev"
    by          = "24h"
  }
}
"##;

fn power(aws: &AwsTest, id: &str) -> String {
    let out = aws.block_on(aws.ec2.describe_instances().instance_ids(id).send()).expect("describe");
    let i = &out.reservations()[0].instances()[0];
    i.state().and_then(|s| s.name()).map(|n| n.as_str().to_string()).unwrap_or_default()
}

#[test]
fn actions_power_and_snapshot_and_a_password_reaches_the_machine_only() {
    let aws = aws_test();
    let tf = aws.terraform();
    let config = |tier: &str| format!("{}{}", AwsTest::provider(&aws.endpoint()), STACK.replace("RELEASE", tier));
    tf.config(&config("v1"));
    tf.init();
    let plan = tf.ok(&["plan", "-out=tfplan"]);
    tf.ok(&["apply", "-auto-approve", "tfplan"]);
    let id = tf.resource("oppie_instance.db")["id"].as_str().expect("id").to_string();

    // The password: on the machine, nowhere in plan or state.
    let attr = aws
        .block_on(
            aws.ec2
                .describe_instance_attribute()
                .instance_id(&id)
                .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
                .send(),
        )
        .expect("user data");
    let encoded = attr.user_data().and_then(|u| u.value()).expect("user data on the machine");
    let text =
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).expect("base64")).expect("utf8");
    let password = text.split("PASSWORD=").nth(1).and_then(|r| r.lines().next()).expect("password line").to_string();
    assert_eq!(password.len(), 20, "{text}");
    assert!(password.chars().all(char::is_alphanumeric), "special = false: {password}");
    let state = std::fs::read_to_string(tf.dir().join("terraform.tfstate")).expect("state");
    let plan_json = tf.ok(&["show", "-json", "tfplan"]).stdout;
    for (what, text) in [("state", &state), ("plan", &plan_json), ("plan output", &plan.stdout)] {
        assert!(!text.contains(&password), "the password is in the {what}");
    }
    let inst = tf.resource("oppie_instance.db");
    assert!(inst["user_data_wo"].is_null() && inst["user_data"].is_null(), "{inst:#}");
    tf.assert_no_changes();

    // Power: stop, then start again, on demand.
    let out = tf.ok(&["apply", "-no-color", "-auto-approve", "-invoke=action.oppie_instance_power.stop"]);
    assert!(out.stdout.contains(&format!("stopping instance {id} (was running)")), "{}", out.all());
    assert_eq!(power(&aws, &id), "stopped");
    let out = tf.ok(&["apply", "-no-color", "-auto-approve", "-invoke=action.oppie_instance_power.start"]);
    assert!(out.stdout.contains(&format!("instance {id} is running")), "{}", out.all());
    assert_eq!(power(&aws, &id), "running");

    // An update takes a disk snapshot first, kept 7 days, its id in the progress.
    tf.config(&config("v2"));
    let out = tf.apply();
    let snaps = aws
        .block_on(
            aws.ec2
                .describe_snapshots()
                .owner_ids("self")
                .filters(aws_sdk_ec2::types::Filter::builder().name("tag:oppie:snapshot-of").values(&id).build())
                .send(),
        )
        .expect("snapshots");
    assert_eq!(snaps.snapshots().len(), 1, "{}", out.all());
    let snap = snaps.snapshots()[0].snapshot_id().expect("snapshot id");
    assert!(out.stdout.contains(&format!("snapshot {snap} of instance {id} is complete, kept until")), "{}", out.all());
    assert!(
        out.stdout.find("is complete").expect("snapshot")
            < out.stdout.find("oppie_instance.app: Modifications complete").expect("update"),
        "the snapshot comes before the change:\n{}",
        out.stdout
    );

    // A versioned bucket: a manifest of every object's current version.
    aws.block_on(aws.s3.put_object().bucket("shop-dev-media").key("logo.png").body(b"v1".to_vec().into()).send())
        .expect("put");
    let out = tf.ok(&["apply", "-no-color", "-auto-approve", "-invoke=action.oppie_snapshot.media"]);
    assert!(out.stdout.contains("snapshot s3://shop-dev-media/.oppie-snapshots/"), "{}", out.all());
    let listed = aws
        .block_on(aws.s3.list_objects_v2().bucket("shop-dev-media").prefix(".oppie-snapshots/").send())
        .expect("list");
    let key = listed.contents()[0].key().expect("manifest key").to_string();
    let body = aws.block_on(aws.s3.get_object().bucket("shop-dev-media").key(&key).send()).expect("get");
    let bytes = aws.block_on(body.body.collect()).expect("read").into_bytes();
    let manifest: serde_json::Value = serde_json::from_slice(&bytes).expect("manifest json");
    assert!(manifest["objects"]["logo.png"].is_string(), "{manifest:#}");

    // The environment's resources get its new expiry; Terraform sees no change from it.
    let out = tf.ok(&["apply", "-no-color", "-auto-approve", "-invoke=action.oppie_environment_extend.day"]);
    assert!(out.stdout.contains("environment dev now expires at"), "{}", out.all());
    let vpc = tf.resource("oppie_network.main")["id"].as_str().expect("vpc").to_string();
    let tags = aws
        .block_on(
            aws.ec2
                .describe_tags()
                .filters(aws_sdk_ec2::types::Filter::builder().name("resource-id").values(&vpc).build())
                .send(),
        )
        .expect("tags");
    assert!(tags.tags().iter().any(|t| t.key() == Some("oppie:expires-at")), "{:?}", tags.tags());
    tf.assert_no_changes();
}
