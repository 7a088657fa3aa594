//! Faults through a proxy in front of moto: throttling and 5xx are retried with bounded
//! backoff; creates whose answer was lost make no twins; waits end at the `timeouts` limit;
//! a create that half-succeeds leaves the machine tracked (tainted), never orphaned.

use std::time::{Duration, Instant};

use oppie_e2e::aws::{AwsTest, aws_test};

use super::{CLOUD_INIT, STACK, assert_has};

const NETWORK_ONLY: &str = r#"
resource "oppie_network" "main" {
  name = "shop-dev-net"
  cidr = "10.2.0.0/16"
}
resource "oppie_firewall" "web" {
  network_id = oppie_network.main.id
  name       = "shop-dev-web"
  ingress {
    protocol = "tcp"
    ports    = "443"
    sources  = ["0.0.0.0/0"]
  }
}
resource "oppie_bucket" "media" {
  name       = "shop-dev-media"
  versioning = true
}
"#;

fn security_groups_named(aws: &AwsTest, name: &str) -> usize {
    let out = aws.block_on(aws.ec2.describe_security_groups().send()).expect("describe sgs");
    out.security_groups().iter().filter(|g| g.group_name() == Some(name)).count()
}

#[test]
fn throttling_and_server_errors_are_retried() {
    let aws = aws_test();
    let proxy = aws.fault_proxy(&[
        "CreateVpc:throttle:2",
        "CreateSecurityGroup:error500:1",
        "AuthorizeSecurityGroupIngress:throttle:2",
        "S3-PUT-versioning:throttle:2",
    ]);
    let tf = aws.terraform();
    tf.config(&format!("{}{NETWORK_ONLY}", AwsTest::provider(&proxy.endpoint())));
    tf.init();
    tf.apply();
    tf.assert_no_changes();
    assert_eq!(proxy.count("CreateVpc"), 3, "two throttled, then through: {:?}", proxy.calls());
    assert_eq!(proxy.count("CreateSecurityGroup"), 2);
    assert_eq!(proxy.count("AuthorizeSecurityGroupIngress"), 3);
    assert_eq!(proxy.count("S3-PUT-versioning"), 3);
    assert_eq!(aws.vpc_ids().len(), 1, "no twin");
    assert_eq!(security_groups_named(&aws, "shop-dev-web"), 1);
}

#[test]
fn creates_whose_answer_was_lost_make_no_twins() {
    let aws = aws_test();
    let proxy = aws.fault_proxy(&[
        "CreateVpc:lost500:1",
        "CreateSubnet:lost500:1",
        "CreateSecurityGroup:lost500:1",
        "RunInstances:lost500:1",
    ]);
    let tf = aws.terraform();
    tf.config(&format!("{}{STACK}", AwsTest::provider(&proxy.endpoint())));
    tf.write("cloud-init.yaml", CLOUD_INIT);
    tf.init();
    tf.apply();
    tf.assert_no_changes();
    for action in ["CreateVpc", "CreateSubnet", "CreateSecurityGroup", "RunInstances"] {
        assert_eq!(proxy.count(action), 1, "{action} happened once and was found, not sent again: {:?}", proxy.calls());
    }
    assert_eq!(aws.vpc_ids(), vec![tf.resource("oppie_network.main")["id"].as_str().unwrap_or_default().to_string()]);
    assert_eq!(security_groups_named(&aws, "shop-dev-web"), 1);
    assert_eq!(
        aws.live_instances(),
        vec![tf.resource("oppie_instance.api")["id"].as_str().unwrap_or_default().to_string()]
    );
    let subnets = aws
        .block_on(
            aws.ec2
                .describe_subnets()
                .filters(aws_sdk_ec2::types::Filter::builder().name("cidr-block").values("10.2.1.0/24").build())
                .send(),
        )
        .expect("subnets");
    assert_eq!(subnets.subnets().len(), 1);
}

#[test]
fn retries_are_bounded_and_errors_show_code_message_and_request_id() {
    let aws = aws_test();
    let proxy = aws.fault_proxy(&["CreateVpc:throttle:always"]);
    let tf = aws.terraform();
    tf.config(&format!("{}{NETWORK_ONLY}", AwsTest::provider(&proxy.endpoint())));
    tf.init();
    let started = Instant::now();
    let out = tf.run(&["apply", "-auto-approve"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(started.elapsed() < Duration::from_secs(60), "bounded: {:?}", started.elapsed());
    assert_eq!(proxy.count("CreateVpc"), 4, "max_attempts = 4: {:?}", proxy.calls());
    let text = out.all();
    assert!(text.contains("creating network shop-dev-net: AWS EC2 CreateVpc failed"), "{text}");
    assert!(text.contains("Request limit exceeded."), "{text}");
    assert!(text.contains("Error code: RequestLimitExceeded"), "{text}");
    assert!(text.contains("Request id: fault-"), "{text}");
    assert!(aws.vpc_ids().is_empty());
}

const ONE_MACHINE: &str = r#"
resource "oppie_network" "main" {
  name = "shop-dev-net"
  cidr = "10.2.0.0/16"
}
resource "oppie_subnet" "a" {
  network_id = oppie_network.main.id
  cidr       = "10.2.1.0/24"
}
resource "oppie_instance" "api" {
  name      = "shop-dev-api"
  size      = "xs"
  image     = "ubuntu-22.04"
  subnet_id = oppie_subnet.a.id
  timeouts {
    create = "4s"
  }
}
"#;

/// The machine launched, then the create failed: it must stay in state, tainted, and be
/// replaced (not duplicated) by the next apply.
fn half_created(rule: &str, expected: &str) {
    let aws = aws_test();
    let tf = aws.terraform();
    tf.config(&format!("{}{ONE_MACHINE}", AwsTest::provider(&aws.endpoint())));
    tf.init();
    tf.ok(&["apply", "-auto-approve", "-target=oppie_subnet.a"]);
    let proxy = aws.fault_proxy(&[rule]);
    tf.config(&format!("{}{ONE_MACHINE}", AwsTest::provider(&proxy.endpoint())));
    let started = Instant::now();
    let out = tf.run(&["apply", "-auto-approve"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.all().contains(expected), "{}", out.all());
    assert!(started.elapsed() < Duration::from_secs(60), "{:?}", started.elapsed());
    let live = aws.live_instances();
    assert_eq!(live.len(), 1, "launched once");
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tf.dir().join("terraform.tfstate")).expect("state"))
            .expect("json");
    let inst = state["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["type"] == "oppie_instance"))
        .expect("instance in state");
    assert_eq!(inst["instances"][0]["attributes"]["id"], live[0].as_str(), "tracked, not orphaned");
    assert_eq!(inst["instances"][0]["status"], "tainted");
    drop(proxy);
    tf.config(&format!("{}{ONE_MACHINE}", AwsTest::provider(&aws.endpoint())));
    let (_, plan) = tf.plan_code();
    assert_has(&plan.stdout, "# oppie_instance.api is tainted, so must be replaced");
    tf.apply();
    let now = aws.live_instances();
    assert_eq!(now.len(), 1, "replaced, no twin");
    assert_ne!(now[0], live[0]);
}

#[test]
fn a_half_successful_create_is_kept_tainted() {
    half_created("DescribeInstances:error500:always", "Error code: InternalError");
}

#[test]
fn waits_end_at_the_timeouts_limit() {
    half_created("DescribeInstances:stall:always", "Gave up after 4s");
}
