//! Faults through a proxy in front of moto: throttling and 5xx are retried with bounded
//! backoff; creates whose answer was lost make no twins; waits end at the `timeouts` limit;
//! a create that half-succeeds leaves the machine tracked (tainted), never orphaned.

use std::time::{Duration, Instant};

use std::collections::BTreeSet;

use oppie_e2e::aws::{AwsTest, aws_test};
use oppie_e2e::matrix::{self, Point, Step};

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

/// Every AWS object of the kinds in [`STACK`], as `(type, id)`.
pub(super) fn aws_objects(aws: &AwsTest) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut put = |ty: &str, id: Option<&str>| {
        if let Some(id) = id {
            out.insert((ty.to_string(), id.to_ascii_lowercase()));
        }
    };
    for id in aws.vpc_ids() {
        put("oppie_network", Some(&id));
    }
    let subnets = aws.block_on(aws.ec2.describe_subnets().send()).expect("subnets");
    for s in subnets.subnets().iter().filter(|s| s.default_for_az() != Some(true)) {
        put("oppie_subnet", s.subnet_id());
    }
    let groups = aws.block_on(aws.ec2.describe_security_groups().send()).expect("groups");
    for g in groups.security_groups().iter().filter(|g| g.group_name() != Some("default")) {
        put("oppie_firewall", g.group_id());
    }
    for id in aws.live_instances() {
        put("oppie_instance", Some(&id));
    }
    let buckets = aws.block_on(aws.s3.list_buckets().send()).expect("buckets");
    for b in buckets.buckets() {
        put("oppie_bucket", b.name());
    }
    out
}

/// Internet gateways and route tables the provider made (moto's default VPC has its own).
pub(super) fn aws_leftovers(aws: &AwsTest) -> Vec<String> {
    let gws = aws.block_on(aws.ec2.describe_internet_gateways().send()).expect("gateways");
    let tables = aws.block_on(aws.ec2.describe_route_tables().send()).expect("route tables");
    let defaults: BTreeSet<String> = aws
        .block_on(aws.ec2.describe_vpcs().send())
        .expect("vpcs")
        .vpcs()
        .iter()
        .filter(|v| v.is_default() == Some(true))
        .filter_map(|v| v.vpc_id().map(str::to_string))
        .collect();
    let gw = gws
        .internet_gateways()
        .iter()
        .filter(|g| !g.attachments().iter().any(|a| a.vpc_id().is_some_and(|v| defaults.contains(v))))
        .filter_map(|g| g.internet_gateway_id().map(str::to_string));
    let rt = tables
        .route_tables()
        .iter()
        .filter(|t| !t.vpc_id().is_some_and(|v| defaults.contains(v)))
        .filter_map(|t| t.route_table_id().map(str::to_string));
    gw.chain(rt).collect()
}

#[test]
fn no_orphans_or_twins_under_connection_drops() {
    let aws = aws_test();
    let proxy = aws.fault_proxy(&[]);
    let tf = aws.terraform();
    tf.config(
        &format!("{}{STACK}", AwsTest::provider(&proxy.endpoint())).replace("max_attempts = 4", "max_attempts = 2"),
    );
    tf.write("cloud-init.yaml", CLOUD_INIT);
    tf.init();
    use Step::{Create, FollowUp, Wait};
    let points = [
        Point::call("oppie_network.main", "CreateVpc", Create),
        Point::call("oppie_network.main", "CreateInternetGateway", FollowUp),
        Point::call("oppie_network.main", "AttachInternetGateway", FollowUp),
        Point::call("oppie_subnet.pub", "CreateSubnet", Create),
        Point::call("oppie_subnet.pub", "ModifySubnetAttribute", FollowUp),
        Point::call("oppie_subnet.pub", "CreateRouteTable", FollowUp),
        Point::call("oppie_subnet.pub", "CreateRoute", FollowUp),
        Point::call("oppie_subnet.pub", "AssociateRouteTable", FollowUp),
        Point::call("oppie_firewall.web", "CreateSecurityGroup", Create),
        // moto's new groups already allow all egress, which is what the stack asks for.
        Point::call("oppie_firewall.web", "AuthorizeSecurityGroupIngress", FollowUp),
        Point::call("oppie_bucket.media", "S3-PUT", Create),
        Point::call("oppie_bucket.media", "S3-PUT-publicAccessBlock", FollowUp),
        Point::call("oppie_bucket.media", "S3-PUT-encryption", FollowUp),
        Point::call("oppie_bucket.media", "S3-PUT-versioning", FollowUp),
        Point::call("oppie_bucket.media", "S3-PUT-lifecycle", FollowUp),
        // (moto keeps a deleted bucket's tags for the next bucket of that name, so tagging
        // a re-created bucket is not always a call; the read after it is.)
        Point::call("oppie_bucket.media", "S3-GET-tagging", FollowUp),
        Point::call("oppie_instance.api", "RunInstances", Create),
        Point::call("oppie_instance.api", "DescribeInstances", Wait),
    ];
    matrix::run(&tf, &proxy, &points, &|| aws_objects(&aws), &|| aws_leftovers(&aws));
}

#[test]
fn a_create_whose_answer_is_lost_for_good_is_found_by_its_token() {
    let aws = aws_test();
    let tf = aws.terraform();
    tf.config(&format!("{}{ONE_MACHINE}", AwsTest::provider(&aws.endpoint())));
    tf.init();
    tf.ok(&["apply", "-auto-approve", "-target=oppie_subnet.a"]);
    // The launch happens, its answer is lost, and the cloud stays unreachable for lookups.
    let proxy = aws.fault_proxy(&["RunInstances:lostdrop:1", "DescribeInstances:drop:always"]);
    tf.config(&format!("{}{ONE_MACHINE}", AwsTest::provider(&proxy.endpoint())));
    let out = tf.run(&["apply", "-auto-approve"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.all().contains("The instance may exist"), "{}", out.all());
    let (id, status) = matrix::tracked(&tf, "oppie_instance.api").expect("tracked");
    assert!(id.starts_with("oppie-pending-create:"), "{id}");
    assert_eq!(status, "tainted");
    assert_eq!(aws.live_instances().len(), 1, "launched once");
    // Reachable again: the refresh finds the machine by its token, the apply replaces it.
    drop(proxy);
    tf.config(&format!("{}{ONE_MACHINE}", AwsTest::provider(&aws.endpoint())));
    tf.apply();
    tf.assert_no_changes();
    let live = aws.live_instances();
    assert_eq!(live.len(), 1, "no twin: {live:?}");
    assert_eq!(tf.resource("oppie_instance.api")["id"], live[0].as_str());
}
