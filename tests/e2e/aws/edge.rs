//! The edge of a stack on AWS through Terraform 1.15.5 against moto: NAT for private subnets,
//! an http load balancer in front of web instances, a DNS zone with an alias record and a TXT
//! record. Apply, re-plan clean, add a target and change the health check in place, import,
//! destroy; moto's load balancer answers with the registered targets and Route 53 with the
//! records' values.

use oppie_e2e::aws::{AwsTest, aws_test};

use super::assert_has;

/// The stack; `web` instances behind the load balancer, `interval` its health check's.
fn edge(endpoint: &str, web: usize, interval: u32) -> String {
    let targets: Vec<String> = (0..web).map(|i| format!("oppie_instance.web{i}.id")).collect();
    let mut config = format!(
        r#"{provider}
resource "oppie_network" "main" {{
  name = "shop-dev-net"
  cidr = "10.2.0.0/16"
  nat  = "single"
}}

resource "oppie_subnet" "public_a" {{
  network_id = oppie_network.main.id
  cidr       = "10.2.1.0/24"
  zone       = 1
  public     = true
}}

resource "oppie_subnet" "public_b" {{
  network_id = oppie_network.main.id
  cidr       = "10.2.2.0/24"
  zone       = 2
  public     = true
}}

resource "oppie_subnet" "private_a" {{
  network_id = oppie_network.main.id
  cidr       = "10.2.11.0/24"
  zone       = 1
}}

resource "oppie_load_balancer" "web" {{
  name       = "shop-dev-web"
  type       = "http"
  subnet_ids = [oppie_subnet.public_a.id, oppie_subnet.public_b.id]

  listener {{
    port     = 80
    protocol = "http"
  }}

  target {{
    instance_ids = [{targets}]
    port         = 8080
    health_check {{
      path             = "/healthz"
      interval_seconds = {interval}
    }}
  }}
}}

resource "oppie_dns_zone" "shop" {{
  name = "shop.example.com"
}}

resource "oppie_dns_record" "www" {{
  zone_id = oppie_dns_zone.shop.id
  name    = "www"
  type    = "A"
  alias {{
    load_balancer_id = oppie_load_balancer.web.id
  }}
}}

resource "oppie_dns_record" "spf" {{
  zone_id = oppie_dns_zone.shop.id
  name    = "@"
  type    = "TXT"
  values  = ["v=spf1 -all"]
}}
"#,
        provider = AwsTest::provider(endpoint),
        targets = targets.join(", "),
    );
    for i in 0..web {
        config.push_str(&format!(
            r#"
resource "oppie_instance" "web{i}" {{
  name      = "shop-dev-web-{i}"
  size      = "xs"
  image     = "ubuntu-22.04"
  subnet_id = oppie_subnet.private_a.id
}}
"#
        ));
    }
    config
}

fn targets(aws: &AwsTest, lb: &serde_json::Value) -> Vec<String> {
    let group = lb["native"]["target_group_arn"].as_str().expect("target group").to_string();
    let elb = aws.elb();
    let out = aws.block_on(elb.describe_target_health().target_group_arn(group).send()).expect("target health");
    let mut ids: Vec<String> = out
        .target_health_descriptions()
        .iter()
        .filter_map(|d| d.target().and_then(|t| t.id()).map(str::to_string))
        .collect();
    ids.sort();
    ids
}

#[test]
fn nat_load_balancer_and_dns_apply_update_import_destroy() {
    let aws = aws_test();
    let tf = aws.terraform();
    tf.config(&edge(&aws.endpoint(), 2, 30));
    tf.init();
    let (code, plan) = tf.plan_code();
    assert_eq!(code, 2);
    assert!(plan.stdout.contains("Plan: 10 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    assert_has(&plan.stdout, "+ nat_gateways = 1");
    tf.apply();
    tf.assert_no_changes();

    // NAT: one gateway, the main route table's default route through it.
    let net = tf.resource("oppie_network.main");
    assert_eq!(net["nat_gateways"], 1);
    let vpc = net["id"].as_str().unwrap_or_default().to_string();
    let gws = aws.block_on(aws.ec2.describe_nat_gateways().send()).expect("nat gateways");
    let live: Vec<_> =
        gws.nat_gateways().iter().filter(|g| g.state().map(|s| s.as_str()) == Some("available")).collect();
    assert_eq!(live.len(), 1, "{gws:?}");
    assert_eq!(live[0].vpc_id(), Some(vpc.as_str()));
    let cost = net["cost_breakdown"]["nat"].as_f64().unwrap_or_default();
    assert!(cost > 30.0, "a NAT gateway is priced: {net:#}");

    // The load balancer answers with the registered targets.
    let lb = tf.resource("oppie_load_balancer.web");
    let arn = lb["id"].as_str().unwrap_or_default().to_string();
    assert!(arn.starts_with("arn:aws:elasticloadbalancing:us-east-1:"), "{lb:#}");
    assert!(lb["dns_name"].as_str().is_some_and(|d| d.contains("elb")), "{lb:#}");
    let mut want: Vec<String> = (0..2)
        .map(|i| tf.resource(&format!("oppie_instance.web{i}"))["id"].as_str().unwrap_or_default().to_string())
        .collect();
    want.sort();
    assert_eq!(targets(&aws, &lb), want);
    assert!(lb["estimated_monthly_cost"].as_f64().is_some_and(|c| c > 15.0), "{lb:#}");

    // Route 53 resolves the records' values.
    let zone = tf.resource("oppie_dns_zone.shop");
    let zone_id = zone["id"].as_str().unwrap_or_default().to_string();
    assert!(zone["name_servers"].as_array().is_some_and(|n| !n.is_empty()), "{zone:#}");
    let r53 = aws.route53();
    let sets = aws.block_on(r53.list_resource_record_sets().hosted_zone_id(&zone_id).send()).expect("records");
    let www = sets.resource_record_sets().iter().find(|s| s.name() == "www.shop.example.com.").expect("www");
    let alias = www.alias_target().expect("an alias");
    assert_eq!(alias.dns_name().trim_end_matches('.'), lb["dns_name"].as_str().unwrap_or_default());
    let txt = sets
        .resource_record_sets()
        .iter()
        .find(|s| s.name() == "shop.example.com." && s.r#type().as_str() == "TXT")
        .expect("txt");
    assert_eq!(txt.resource_records()[0].value(), "\"v=spf1 -all\"");

    // In place: a third target and a faster health check.
    tf.config(&edge(&aws.endpoint(), 3, 10));
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("Plan: 1 to add, 1 to change, 0 to destroy."), "{}", plan.stdout);
    assert!(plan.stdout.contains("# oppie_load_balancer.web will be updated in-place"), "{}", plan.stdout);
    tf.apply();
    tf.assert_no_changes();
    let lb = tf.resource("oppie_load_balancer.web");
    assert_eq!(lb["id"], arn.as_str(), "updated in place");
    assert_eq!(targets(&aws, &lb).len(), 3);
    let elb = aws.elb();
    let groups = aws.block_on(elb.describe_target_groups().names("shop-dev-web-tg").send()).expect("groups");
    assert_eq!(groups.target_groups()[0].health_check_interval_seconds(), Some(10));

    // Import by the cloud's ids.
    tf.ok(&["state", "rm", "oppie_load_balancer.web", "oppie_dns_zone.shop", "oppie_dns_record.spf"]);
    tf.ok(&["import", "oppie_load_balancer.web", &arn]);
    tf.ok(&["import", "oppie_dns_zone.shop", &zone_id]);
    tf.ok(&["import", "oppie_dns_record.spf", &format!("{zone_id}/shop.example.com/TXT")]);
    tf.assert_no_changes();

    tf.ok(&["destroy", "-auto-approve"]);
    assert!(aws.vpc_ids().is_empty());
    let lbs = aws.block_on(elb.describe_load_balancers().send()).expect("lbs");
    assert!(lbs.load_balancers().is_empty());
    let groups = aws.block_on(elb.describe_target_groups().send()).expect("groups");
    assert!(groups.target_groups().is_empty(), "{groups:?}");
    let zones = aws.block_on(r53.list_hosted_zones().send()).expect("zones");
    assert!(zones.hosted_zones().is_empty());
    let gws = aws.block_on(aws.ec2.describe_nat_gateways().send()).expect("nat gateways");
    assert!(gws.nat_gateways().iter().all(|g| g.state().map(|s| s.as_str()) == Some("deleted")), "{gws:?}");
    let eips = aws.block_on(aws.ec2.describe_addresses().send()).expect("addresses");
    assert!(eips.addresses().is_empty(), "{eips:?}");
}
