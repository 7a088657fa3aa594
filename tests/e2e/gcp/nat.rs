//! NAT on GCP through Terraform 1.15.5 on the Compute fake: the network's Cloud Router with
//! Cloud NAT is made with it, removed and made again in place, planned back after a change out
//! of band, read back on import, and deleted before the network.

use oppie_e2e::gcp::{PROJECT, gcp_test};

use super::assert_has;

const ROUTER: &str = "regions/us-east1/routers/shop-dev-net-nat";

fn config(provider: &str, nat: &str) -> String {
    format!(
        r#"{provider}
resource "oppie_network" "main" {{
  name = "shop-dev-net"
  cidr = "10.2.0.0/16"
  nat  = "{nat}"
}}

resource "oppie_subnet" "private" {{
  network_id = oppie_network.main.id
  cidr       = "10.2.11.0/24"
  zone       = 1
}}
"#
    )
}

#[test]
fn cloud_nat_apply_remove_restore_drift_import_destroy() {
    let gcp = gcp_test();
    let tf = gcp.terraform();
    tf.config(&config(&gcp.provider(), "single"));
    tf.init();
    let (code, plan) = tf.plan_code();
    assert_eq!(code, 2, "{}", plan.all());
    assert_has(&plan.stdout, "+ nat_gateways = 1");
    tf.apply();
    tf.assert_no_changes();

    let net = tf.resource("oppie_network.main");
    assert_eq!(net["nat_gateways"], 1);
    assert!(net["cost_breakdown"]["nat"].as_f64().unwrap_or_default() > 30.0, "Cloud NAT is priced: {net:#}");
    let (status, router) = gcp.compute("GET", ROUTER, "");
    assert_eq!(status, 200, "{router}");
    let network = router["network"].as_str().unwrap_or_default();
    assert!(network.ends_with(&format!("projects/{PROJECT}/global/networks/shop-dev-net")), "{router:#}");
    assert_eq!(router["nats"][0]["sourceSubnetworkIpRangesToNat"], "ALL_SUBNETWORKS_ALL_IP_RANGES");
    assert_eq!(router["nats"][0]["natIpAllocateOption"], "AUTO_ONLY");

    // In place: off, then on again.
    tf.config(&config(&gcp.provider(), "none"));
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{}", plan.stdout);
    tf.apply();
    tf.assert_no_changes();
    assert_eq!(gcp.compute("GET", ROUTER, "").0, 404, "the router goes with the NAT");
    assert_eq!(tf.resource("oppie_network.main")["nat_gateways"], 0);
    tf.config(&config(&gcp.provider(), "single"));
    tf.apply();
    tf.assert_no_changes();
    assert_eq!(gcp.compute("GET", ROUTER, "").0, 200);

    // Drift: the NAT taken off the router out of band is planned back and restored.
    let (status, answer) = gcp.compute("PATCH", ROUTER, r#"{"nats": []}"#);
    assert_eq!(status, 200, "{answer}");
    let (code, plan) = tf.plan_code();
    assert_eq!(code, 2, "{}", plan.all());
    assert_has(&plan.stdout, "~ nat = \"none\" -> \"single\"");
    tf.apply();
    tf.assert_no_changes();
    let (_, router) = gcp.compute("GET", ROUTER, "");
    assert_eq!(router["nats"].as_array().map(Vec::len), Some(1), "{router:#}");

    // Import by the network's id reads the NAT back.
    tf.ok(&["state", "rm", "oppie_network.main"]);
    tf.ok(&["import", "oppie_network.main", &format!("projects/{PROJECT}/global/networks/shop-dev-net")]);
    tf.assert_no_changes();
    let net = tf.resource("oppie_network.main");
    assert_eq!(net["nat"], "single");
    assert_eq!(net["nat_zones"], serde_json::json!(["1"]));

    tf.ok(&["destroy", "-auto-approve"]);
    assert!(gcp.objects().is_empty(), "{:?}", gcp.objects());
}

#[test]
fn per_zone_nat_and_the_edge_kinds_are_plan_errors_on_gcp() {
    let gcp = gcp_test();
    let tf = gcp.terraform();
    tf.config(&format!(
        r#"{}
resource "oppie_network" "main" {{
  name      = "shop-dev-net"
  cidr      = "10.2.0.0/16"
  nat       = "per_zone"
  nat_zones = ["1", "2"]
}}

resource "oppie_load_balancer" "web" {{
  name       = "shop-dev-web"
  type       = "http"
  subnet_ids = ["a", "b"]
  listener {{
    port     = 80
    protocol = "http"
  }}
  target {{
    instance_ids = ["i"]
    port         = 8080
  }}
}}
"#,
        gcp.provider()
    ));
    tf.init();
    let plan = tf.run(&["plan"]);
    assert_eq!(plan.code, 1, "{}", plan.all());
    let text = super::squash(&plan.stderr);
    assert!(text.contains("Cloud NAT is regional"), "{text}");
    assert!(text.contains("oppie_load_balancer is not available on gcp"), "{text}");
    assert!(text.contains("oppie_load_balancer exists on aws"), "{text}");
    assert!(gcp.calls().is_empty(), "planning called the cloud: {:?}", gcp.calls());
}

#[test]
fn no_orphans_or_twins_when_the_router_calls_fail() {
    use oppie_e2e::matrix::{self, Point, Step};
    let gcp = gcp_test();
    let proxy = oppie_e2e::proxy::FaultProxy::start(&gcp.base(), &[]);
    let tf = gcp.terraform();
    let provider = gcp.provider_at(&proxy.endpoint()).replace("max_attempts = 4", "max_attempts = 2");
    tf.config(&format!(
        r#"{provider}
resource "oppie_network" "main" {{
  name = "shop-dev-net"
  cidr = "10.2.0.0/16"
  nat  = "single"
}}
"#
    ));
    tf.init();
    let p = format!("/compute/v1/projects/{PROJECT}");
    let points = [
        // A lost answer to the router's insert is retried with the same requestId: one router.
        Point::call("oppie_network.main", &format!("POST {p}/regions/us-east1/routers"), Step::Create),
        // The cloud unreachable while the router is made: the network stays tracked, tainted.
        Point::call("oppie_network.main", &format!("POST {p}/regions/us-east1/routers"), Step::FollowUp),
    ];
    let networks = || {
        gcp.objects()
            .into_iter()
            .filter(|(_, kind, _)| kind == "compute#network")
            .map(|(path, _, _)| ("oppie_network".to_string(), path.to_ascii_lowercase()))
            .collect()
    };
    matrix::run(&tf, &proxy, &points, &networks, &|| gcp.objects().into_iter().map(|(path, _, _)| path).collect());
    assert!(gcp.count("compute.routers.insert") >= 2, "{:?}", gcp.calls());
}
