//! Cloud DNS through Terraform 1.15.5 on the GCP fake (checked against dns.v1): a public zone
//! with an A and a TXT record, a private zone on a network; apply, re-plan clean, change TTL,
//! values and labels in place, drift, import, destroy.

use oppie_e2e::gcp::{PROJECT, gcp_test};

use super::assert_has;

fn config(provider: &str, ttl: u32, web: &str) -> String {
    format!(
        r#"{provider}
resource "oppie_network" "main" {{
  name = "shop-dev-net"
  cidr = "10.2.0.0/16"
}}

resource "oppie_dns_zone" "shop" {{
  name   = "shop.example.com"
  dnssec = true
  tags   = {{ team = "web" }}
}}

resource "oppie_dns_zone" "internal" {{
  name        = "shop.internal"
  private     = true
  network_ids = [oppie_network.main.id]
}}

resource "oppie_dns_record" "www" {{
  zone_id = oppie_dns_zone.shop.id
  name    = "www"
  type    = "A"
  ttl     = {ttl}
  values  = ["{web}"]
}}

resource "oppie_dns_record" "spf" {{
  zone_id = oppie_dns_zone.shop.id
  name    = "@"
  type    = "TXT"
  values  = ["v=spf1 -all"]
}}
"#
    )
}

const ZONE: &str = "managedZones/shop-example-com";
const WWW: &str = "managedZones/shop-example-com/rrsets/www.shop.example.com./A";

#[test]
fn zones_and_records_apply_update_drift_import_destroy() {
    let gcp = gcp_test();
    let tf = gcp.terraform();
    tf.config(&config(&gcp.provider(), 300, "203.0.113.10"));
    tf.init();
    let (code, plan) = tf.plan_code();
    assert_eq!(code, 2, "{}", plan.all());
    assert!(plan.stdout.contains("Plan: 5 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    assert!(gcp.calls().is_empty(), "planning called the cloud: {:?}", gcp.calls());
    tf.apply();
    tf.assert_no_changes();

    let zone = tf.resource("oppie_dns_zone.shop");
    assert_eq!(zone["id"], format!("projects/{PROJECT}/{ZONE}"));
    assert!(zone["name_servers"].as_array().is_some_and(|n| n.len() == 4), "{zone:#}");
    assert!(zone["estimated_monthly_cost"].as_f64().is_some_and(|c| c > 0.0), "a zone is priced: {zone:#}");
    let (_, z) = gcp.dns("GET", ZONE, "");
    assert_eq!(z["dnsName"], "shop.example.com.");
    assert_eq!(z["dnssecConfig"]["state"], "on");
    assert_eq!(z["labels"], serde_json::json!({"project": "shop", "environment": "dev", "team": "web"}));
    let (_, private) = gcp.dns("GET", "managedZones/shop-internal", "");
    assert_eq!(private["visibility"], "private");
    let url = private["privateVisibilityConfig"]["networks"][0]["networkUrl"].as_str().unwrap_or_default();
    assert!(url.ends_with(&format!("projects/{PROJECT}/global/networks/shop-dev-net")), "{private:#}");

    let (_, www) = gcp.dns("GET", WWW, "");
    assert_eq!(www["rrdatas"], serde_json::json!(["203.0.113.10"]));
    assert_eq!(www["ttl"], 300);
    let (_, txt) = gcp.dns("GET", "managedZones/shop-example-com/rrsets/shop.example.com./TXT", "");
    assert_eq!(txt["rrdatas"], serde_json::json!(["\"v=spf1 -all\""]));
    assert_eq!(tf.resource("oppie_dns_record.www")["fqdn"], "www.shop.example.com");

    // In place: TTL and value.
    tf.config(&config(&gcp.provider(), 60, "203.0.113.20"));
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{}", plan.stdout);
    let record_id = tf.resource("oppie_dns_record.www")["id"].as_str().unwrap_or_default().to_string();
    tf.apply();
    tf.assert_no_changes();
    assert_eq!(tf.resource("oppie_dns_record.www")["id"], record_id.as_str(), "updated in place");
    let (_, www) = gcp.dns("GET", WWW, "");
    assert_eq!((www["ttl"].as_i64(), www["rrdatas"][0].as_str()), (Some(60), Some("203.0.113.20")));

    // Drift: a value changed out of band is planned back.
    let (status, answer) = gcp.dns("PATCH", WWW, r#"{"rrdatas": ["198.51.100.1"]}"#);
    assert_eq!(status, 200, "{answer}");
    let (code, plan) = tf.plan_code();
    assert_eq!(code, 2, "{}", plan.all());
    assert_has(&plan.stdout, "- \"198.51.100.1\",");
    tf.apply();
    tf.assert_no_changes();

    // Import by the cloud's ids.
    tf.ok(&["state", "rm", "oppie_dns_zone.shop", "oppie_dns_record.www"]);
    tf.ok(&["import", "oppie_dns_zone.shop", &format!("projects/{PROJECT}/{ZONE}")]);
    tf.ok(&["import", "oppie_dns_record.www", &format!("projects/{PROJECT}/{WWW}")]);
    tf.assert_no_changes();

    tf.ok(&["destroy", "-auto-approve"]);
    assert_eq!(gcp.dns("GET", ZONE, "").0, 404);
    assert!(gcp.objects().is_empty(), "{:?}", gcp.objects());
}

#[test]
fn aliases_need_a_load_balancer_cloud() {
    let gcp = gcp_test();
    let tf = gcp.terraform();
    tf.config(&format!(
        r#"{}
resource "oppie_dns_record" "www" {{
  zone_id = "projects/{PROJECT}/{ZONE}"
  name    = "www"
  type    = "A"
  alias {{
    load_balancer_id = "lb"
  }}
}}
"#,
        gcp.provider()
    ));
    tf.init();
    let plan = tf.run(&["plan"]);
    assert_eq!(plan.code, 1, "{}", plan.all());
    let text = super::squash(&plan.stderr);
    assert!(text.contains("alias is not possible on gcp"), "{text}");
}

/// The zone and its records in the fake, as `(type, id)`.
fn dns_objects(gcp: &oppie_e2e::gcp::GcpTest) -> std::collections::BTreeSet<(String, String)> {
    let mut out = std::collections::BTreeSet::new();
    if gcp.dns("GET", ZONE, "").0 != 200 {
        return out;
    }
    out.insert(("oppie_dns_zone".into(), format!("projects/{PROJECT}/{ZONE}").to_ascii_lowercase()));
    let (_, sets) = gcp.dns("GET", &format!("{ZONE}/rrsets"), "");
    for s in sets["rrsets"].as_array().into_iter().flatten() {
        let (name, ty) = (s["name"].as_str().unwrap_or_default(), s["type"].as_str().unwrap_or_default());
        if ty != "SOA" && ty != "NS" {
            out.insert((
                "oppie_dns_record".into(),
                format!("projects/{PROJECT}/{ZONE}/rrsets/{name}/{ty}").to_ascii_lowercase(),
            ));
        }
    }
    out
}

#[test]
fn no_orphans_or_twins_under_connection_drops() {
    use oppie_e2e::matrix::{self, Point, Step};
    let gcp = gcp_test();
    let proxy = oppie_e2e::proxy::FaultProxy::start(&gcp.base(), &[]);
    let tf = gcp.terraform();
    let provider = gcp.provider_at(&proxy.endpoint()).replace("max_attempts = 4", "max_attempts = 2");
    tf.config(&format!(
        r#"{provider}
resource "oppie_dns_zone" "shop" {{
  name = "shop.example.com"
}}

resource "oppie_dns_record" "www" {{
  zone_id = oppie_dns_zone.shop.id
  name    = "www"
  type    = "A"
  values  = ["203.0.113.10"]
}}
"#
    ));
    tf.init();
    let p = format!("/dns/v1/projects/{PROJECT}");
    use Step::{Create, FollowUp};
    let points = [
        Point::call("oppie_dns_zone.shop", &format!("POST {p}/managedZones"), Create),
        // The first read is the check that no such zone exists yet; the second follows the create.
        Point::call("oppie_dns_zone.shop", &format!("GET {p}/{ZONE}"), FollowUp).after(1),
        Point::call("oppie_dns_record.www", &format!("POST {p}/{ZONE}/rrsets"), Create),
        Point::call("oppie_dns_record.www", &format!("GET {p}/{WWW}"), FollowUp).after(1),
    ];
    matrix::run(&tf, &proxy, &points, &|| dns_objects(&gcp), &|| {
        gcp.objects().into_iter().map(|(path, _, _)| path).collect()
    });
}
