//! Faults on GCP: 429 and 503 answers are retried after `Retry-After`; a reply lost after the
//! cloud acted makes no twin (the retry carries the same requestId); a failed long-running
//! operation fails the apply with Google's error code, and the next apply recovers; a VM whose
//! wait fails after its insert was accepted (errors, or the `timeouts` limit) stays tracked,
//! tainted, and is replaced by the next apply.

use std::time::{Duration, Instant};

use std::collections::BTreeSet;

use oppie_e2e::gcp::{GcpTest, PROJECT, gcp_test};
use oppie_e2e::matrix::{self, Point, Step};
use oppie_e2e::proxy::FaultProxy;
use serde_json::json;

const SMALL: &str = r#"
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
  name       = "BUCKET"
  versioning = true
}
"#;

#[test]
fn throttling_and_unavailable_answers_are_retried_after_retry_after() {
    let gcp = gcp_test();
    gcp.fault(json!({"method": "compute.networks.insert", "status": 503, "retry_after": "1", "times": 2}));
    gcp.fault(json!({"method": "compute.firewalls.insert", "status": 429, "retry_after": "1", "times": 1}));
    gcp.fault(json!({"method": "storage.buckets.insert", "status": 429, "retry_after": "1", "times": 2}));
    let tf = gcp.terraform();
    tf.config(&format!("{}{}", gcp.provider(), SMALL.replace("BUCKET", "shop-dev-media-retry")));
    tf.init();
    let started = Instant::now();
    tf.apply();
    assert!(started.elapsed() >= Duration::from_secs(2), "Retry-After was honoured");
    tf.assert_no_changes();
    assert_eq!(gcp.count("compute.networks.insert"), 3, "{:?}", gcp.calls());
    assert_eq!(gcp.count("storage.buckets.insert"), 3, "{:?}", gcp.calls());
    tf.ok(&["destroy", "-auto-approve"]);
}

#[test]
fn a_lost_reply_makes_no_twin() {
    let gcp = gcp_test();
    gcp.fault(json!({"method": "compute.networks.insert", "lost": true, "times": 1}));
    gcp.fault(json!({"method": "storage.buckets.insert", "lost": true, "times": 1}));
    let tf = gcp.terraform();
    tf.config(&format!("{}{}", gcp.provider(), SMALL.replace("BUCKET", "shop-dev-media-lost")));
    tf.init();
    tf.apply();
    tf.assert_no_changes();
    let calls = gcp.calls();
    assert!(calls.contains(&"compute.networks.insert 503-lost".to_string()), "{calls:?}");
    assert_eq!(gcp.count("compute.networks.insert"), 2, "retried with the same requestId: {calls:?}");
    let ops: Vec<_> = calls.iter().filter(|c| c.starts_with("compute.networks.insert 200")).collect();
    assert_eq!(ops.len(), 1, "the retry got the first operation back: {calls:?}");
    // The bucket insert had happened: its retry is refused as a conflict, and the bucket this
    // project can read is taken as ours.
    assert!(calls.contains(&"storage.buckets.insert 503-lost".to_string()), "{calls:?}");
    assert!(calls.contains(&"storage.buckets.insert 409".to_string()), "{calls:?}");
    assert_eq!(gcp.storage("GET", "b/shop-dev-media-lost", "").1["versioning"]["enabled"], true);
    tf.ok(&["destroy", "-auto-approve"]);
}

#[test]
fn a_failed_operation_fails_the_apply_with_googles_code_and_the_next_apply_recovers() {
    let gcp = gcp_test();
    gcp.fault(json!({"method": "compute.firewalls.insert", "operation_error": "QUOTA_EXCEEDED", "times": 1}));
    let tf = gcp.terraform();
    tf.config(&format!("{}{}", gcp.provider(), SMALL.replace("BUCKET", "shop-dev-media-opfail")));
    tf.init();
    let out = tf.run(&["apply", "-auto-approve"]);
    assert_ne!(out.code, 0, "{}", out.all());
    assert!(out.stderr.contains("QUOTA_EXCEEDED"), "{}", out.stderr);
    assert!(out.stderr.contains("firewalls.insert"), "{}", out.stderr);
    tf.apply();
    tf.assert_no_changes();
    let (_, list) = gcp.compute("GET", "global/firewalls", "");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2), "base rule + one ingress rule: {list:#}");
    tf.ok(&["destroy", "-auto-approve"]);
}

const ONE_MACHINE: &str = r#"
resource "oppie_network" "main" {
  name = "shop-dev-net"
  cidr = "10.2.0.0/16"
}
resource "oppie_subnet" "a" {
  network_id = oppie_network.main.id
  cidr       = "10.2.1.0/24"
  zone       = "c"
}
resource "oppie_instance" "api" {
  name      = "shop-dev-api"
  size      = "xs"
  image     = "debian-12"
  subnet_id = oppie_subnet.a.id
  timeouts {
    create = "4s"
  }
}
"#;

/// The VM was inserted, then waiting for it failed: it must stay in state, tainted, and the
/// next apply replaces it (no twin, no orphan).
fn half_created(fault: serde_json::Value, expected: &str) {
    let gcp = gcp_test();
    let tf = gcp.terraform();
    tf.config(&format!("{}{ONE_MACHINE}", gcp.provider()));
    tf.init();
    tf.ok(&["apply", "-auto-approve", "-target=oppie_subnet.a"]);
    gcp.fault(fault);
    let started = Instant::now();
    let out = tf.run(&["apply", "-auto-approve"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.all().contains(expected), "{}", out.all());
    assert!(started.elapsed() < Duration::from_secs(60), "{:?}", started.elapsed());
    gcp.clear_faults();
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tf.dir().join("terraform.tfstate")).expect("state"))
            .expect("json");
    let inst = state["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["type"] == "oppie_instance"))
        .expect("instance in state");
    let id = "projects/oppie-test/zones/us-east1-c/instances/shop-dev-api";
    assert_eq!(inst["instances"][0]["attributes"]["id"], id, "tracked, not orphaned");
    assert_eq!(inst["instances"][0]["status"], "tainted");
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("oppie_instance.api is tainted, so must be replaced"), "{}", plan.stdout);
    tf.apply();
    tf.assert_no_changes();
    assert_eq!(gcp.count("compute.instances.delete"), 1, "the tainted VM went first: {:?}", gcp.calls());
    assert_eq!(gcp.count("compute.instances.insert"), 2);
    tf.ok(&["destroy", "-auto-approve"]);
}

#[test]
fn a_half_successful_create_is_kept_tainted() {
    half_created(
        json!({"method": "compute.zoneOperations.get", "status": 503, "retry_after": "0", "times": 50}),
        "backendError",
    );
}

#[test]
fn waits_end_at_the_timeouts_limit() {
    half_created(json!({"method": "compute.instances.insert", "stall": true}), "Gave up after 4s");
}

#[test]
fn retries_are_bounded_and_errors_show_googles_code_and_message() {
    let gcp = gcp_test();
    gcp.fault(json!({"method": "compute.networks.insert", "status": 503, "retry_after": "0", "times": 100}));
    let tf = gcp.terraform();
    tf.config(&format!("{}{}", gcp.provider(), SMALL.replace("BUCKET", "shop-dev-media-bounded")));
    tf.init();
    let out = tf.run(&["apply", "-auto-approve", "-target=oppie_network.main"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(gcp.count("compute.networks.insert"), 4, "max_attempts = 4: {:?}", gcp.calls());
    assert!(out.stderr.contains("GCP Compute networks.insert failed"), "{}", out.stderr);
    assert!(out.stderr.contains("Error code: backendError"), "{}", out.stderr);
    assert!(out.stderr.contains("injected fault"), "the cloud's message: {}", out.stderr);
    gcp.clear_faults();
    // A refused request (400) is not retried.
    gcp.fault(json!({"method": "compute.networks.insert", "status": 400, "times": 1}));
    let out = tf.run(&["apply", "-auto-approve", "-target=oppie_network.main"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains("Error code: invalid"), "{}", out.stderr);
    assert_eq!(gcp.count("compute.networks.insert"), 5, "one more call, no retry: {:?}", gcp.calls());
    tf.apply();
    tf.assert_no_changes();
    tf.ok(&["destroy", "-auto-approve"]);
}

/// Every GCP object of the stack's kinds, as `(type, id)`: a firewall is its base rule.
pub(super) fn gcp_objects(gcp: &GcpTest, bucket: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, kind, network) in gcp.objects() {
        let ty = match kind.as_str() {
            "compute#network" => "oppie_network",
            "compute#subnetwork" => "oppie_subnet",
            "compute#instance" => "oppie_instance",
            "compute#firewall" if path.ends_with("-base") => {
                let fw = path.rsplit('/').next().unwrap_or_default().trim_end_matches("-base");
                out.insert((
                    "oppie_firewall".into(),
                    format!("{}/firewalls/{fw}", network.unwrap_or_default()).to_ascii_lowercase(),
                ));
                continue;
            }
            _ => continue,
        };
        out.insert((ty.into(), path.to_ascii_lowercase()));
    }
    if gcp.storage("GET", &format!("b/{bucket}"), "").0 == 200 {
        out.insert(("oppie_bucket".into(), bucket.into()));
    }
    out
}

/// Firewall rules and disks, which the firewall and the instance own.
pub(super) fn gcp_leftovers(gcp: &GcpTest) -> Vec<String> {
    gcp.objects().into_iter().map(|(path, _, _)| path).collect()
}

#[test]
fn no_orphans_or_twins_under_connection_drops() {
    let gcp = gcp_test();
    let proxy = FaultProxy::start(&gcp.base(), &[]);
    let bucket = "shop-dev-media-matrix";
    let tf = gcp.terraform();
    let provider = gcp.provider_at(&proxy.endpoint()).replace("max_attempts = 4", "max_attempts = 2");
    tf.config(&format!("{provider}{}", super::stack(bucket)));
    tf.init();
    let p = format!("/compute/v1/projects/{PROJECT}");
    use Step::{Create, FollowUp, Wait};
    let points = [
        Point::call("oppie_network.main", &format!("POST {p}/global/networks"), Create),
        Point::glob("oppie_network.main", &format!("GET {p}/global/operations/*"), Wait),
        // The first read is the check that no such network exists yet; the second follows the create.
        Point::call("oppie_network.main", &format!("GET {p}/global/networks/shop-dev-net"), FollowUp).after(1),
        Point::call("oppie_subnet.pub", &format!("POST {p}/regions/us-east1/subnetworks"), Create),
        Point::glob("oppie_subnet.pub", &format!("GET {p}/regions/us-east1/operations/*"), Wait),
        Point::glob("oppie_subnet.pub", &format!("GET {p}/regions/us-east1/subnetworks/*"), FollowUp).after(1),
        Point::call("oppie_firewall.web", &format!("POST {p}/global/firewalls"), Create),
        Point::glob("oppie_firewall.web", &format!("GET {p}/global/operations/*"), Wait),
        Point::call("oppie_firewall.web", &format!("GET {p}/global/firewalls"), FollowUp).after(1),
        Point::call("oppie_bucket.media", "POST /storage/v1/b", Create),
        Point::call("oppie_bucket.media", &format!("GET /storage/v1/b/{bucket}"), FollowUp).after(1),
        Point::call("oppie_instance.api", &format!("POST {p}/zones/us-east1-b/instances"), Create),
        Point::glob("oppie_instance.api", &format!("GET {p}/zones/us-east1-b/operations/*"), Wait),
        Point::call("oppie_instance.api", &format!("GET {p}/zones/us-east1-b/instances/shop-dev-api"), Wait).after(1),
    ];
    matrix::run(&tf, &proxy, &points, &|| gcp_objects(&gcp, bucket), &|| gcp_leftovers(&gcp));
}
