//! The retry, timeout, idempotency and half-success rules on Azure: 429/503 with
//! `Retry-After` are retried (bounded), a failed long-running operation leaves the resource
//! tracked and tainted, and a retried create makes no twin.

use std::time::{Duration, Instant};

use std::collections::BTreeSet;

use oppie_e2e::azure::{AzureTest, azure_test};
use oppie_e2e::matrix::{self, Point, Step};
use oppie_e2e::proxy::FaultProxy;
use serde_json::json;

use super::{assert_has, stack};

const NETWORK: &str = r#"
resource "oppie_network" "main" {
  name = "shop-dev-net"
  cidr = "10.2.0.0/16"
}
"#;

fn network_puts(az: &AzureTest) -> usize {
    az.count("PUT", "/virtualNetworks/shop-dev-net")
}

#[test]
fn throttling_and_server_errors_are_retried_after_the_asked_pause() {
    let az = azure_test();
    az.control("faults", &json!({"method": "PUT", "path_contains": "virtualNetworks/shop-dev-net", "status": 429, "retry_after": 1, "times": 2, "code": "TooManyRequests"}));
    az.control("faults", &json!({"method": "GET", "path_contains": "networkSecurityGroups/", "status": 503, "retry_after": 1, "times": 1, "code": "ServiceUnavailable"}));
    let tf = az.terraform();
    tf.config(&stack(&az));
    tf.init();
    let started = Instant::now();
    tf.apply();
    assert!(started.elapsed() >= Duration::from_secs(3), "Retry-After honoured: {:?}", started.elapsed());
    tf.assert_no_changes();
    let statuses: Vec<_> = az
        .requests()
        .iter()
        .filter(|r| {
            r["method"] == "PUT" && r["path"].as_str().is_some_and(|p| p.ends_with("/virtualNetworks/shop-dev-net"))
        })
        .map(|r| r["status"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(statuses, [429, 429, 201], "two throttled, then through");
    let vnets = az.resources().keys().filter(|k| k.contains("/virtualnetworks/") && !k.contains("/subnets/")).count();
    assert_eq!(vnets, 1, "no twin");
    az.assert_conforming();
}

#[test]
fn retries_are_bounded_and_errors_show_code_message_and_request_id() {
    let az = azure_test();
    az.control("faults", &json!({"method": "PUT", "path_contains": "virtualNetworks/shop-dev-net", "status": 503, "retry_after": 0, "times": 4, "code": "ServerBusy"}));
    let tf = az.terraform();
    tf.config(&format!("{}{NETWORK}", az.provider()));
    tf.init();
    let out = tf.run(&["apply", "-auto-approve"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(network_puts(&az), 4, "max_attempts = 4");
    let text = out.all();
    assert!(
        text.contains("creating network shop-dev-net: Azure Resource Manager virtualNetworks.createOrUpdate failed"),
        "{text}"
    );
    assert!(text.contains("Error code: ServerBusy") && text.contains("injected fault"), "{text}");
    assert!(text.contains("Request id: "), "{text}");
    // The next apply goes through; the PUT is idempotent, so there is still one network.
    let out = tf.run(&["apply", "-auto-approve"]);
    assert_eq!(out.code, 0, "{}", out.all());
    tf.assert_no_changes();
}

#[test]
fn a_failed_operation_keeps_the_resource_tracked_and_tainted() {
    let az = azure_test();
    az.control("fail_operation", &json!({"path_contains": "virtualMachines/shop-dev-api", "code": "AllocationFailed", "message": "Allocation failed: no capacity for Standard_B1ms."}));
    let tf = az.terraform();
    tf.config(&stack(&az));
    tf.init();
    let out = tf.run(&["apply", "-auto-approve"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.all().contains("AllocationFailed") && out.all().contains("no capacity"), "{}", out.all());
    let state = tf.state_json();
    let inst = state["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == "oppie_instance.api").cloned())
        .expect("the half-made machine is in state");
    assert!(inst["values"]["id"].as_str().is_some_and(|i| i.ends_with("/virtualMachines/shop-dev-api")));
    assert_eq!(inst["tainted"], true, "{inst:#}");
    let (_, plan) = tf.plan_code();
    assert_has(&plan.stdout, "# oppie_instance.api is tainted, so must be replaced");
    tf.apply();
    tf.assert_no_changes();
    assert_eq!(az.count("DELETE", "/virtualMachines/shop-dev-api"), 1, "the failed one was deleted first");
    az.assert_conforming();
}

#[test]
fn waits_end_at_the_timeouts_limit() {
    let az = azure_test();
    az.control("faults", &json!({"method": "PUT", "path_contains": "virtualNetworks/shop-dev-net", "status": 429, "retry_after": 20, "times": 5}));
    let tf = az.terraform();
    tf.config(&format!(
        "{}{}",
        az.provider(),
        NETWORK.replace("cidr = \"10.2.0.0/16\"\n", "cidr = \"10.2.0.0/16\"\n  timeouts {\n    create = \"3s\"\n  }\n")
    ));
    tf.init();
    let started = Instant::now();
    let out = tf.run(&["apply", "-auto-approve"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(started.elapsed() < Duration::from_secs(15), "stopped at the limit: {:?}", started.elapsed());
    assert!(out.all().contains("Gave up after 3s"), "{}", out.all());
}

#[test]
fn creates_whose_answer_was_lost_make_no_twins() {
    let az = azure_test();
    for path in [
        "virtualNetworks/shop-dev-net",
        "networkSecurityGroups/shop-dev-net-shop-dev-web",
        "virtualMachines/shop-dev-api",
    ] {
        az.control(
            "faults",
            &json!({"method": "PUT", "path_contains": path, "status": 500, "times": 1, "after": true}),
        );
    }
    let tf = az.terraform();
    tf.config(&stack(&az));
    tf.init();
    tf.apply();
    tf.assert_no_changes();
    let puts = |suffix: &str| -> Vec<(u64, Option<u64>)> {
        az.requests()
            .iter()
            .filter(|r| r["method"] == "PUT" && r["path"].as_str().is_some_and(|p| p.ends_with(suffix)))
            .map(|r| (r["status"].as_u64().unwrap_or(0), r["lost"].as_u64()))
            .take(2)
            .collect()
    };
    // The first PUT happened (201) but its answer was lost; the retry found it (200).
    assert_eq!(puts("/virtualNetworks/shop-dev-net"), [(500, Some(201)), (200, None)]);
    assert_eq!(puts("/virtualMachines/shop-dev-api"), [(500, Some(201)), (200, None)]);
    let count = |kind: &str| az.resources().keys().filter(|k| k.contains(kind)).count();
    assert_eq!(count("/virtualmachines/"), 1, "no twin");
    assert_eq!(count("/networksecuritygroups/"), 1, "no twin");
    az.assert_conforming();
}

/// Every Azure object of the stack's kinds, as `(type, id)`: a bucket is its storage
/// account's container.
fn azure_objects(az: &AzureTest) -> BTreeSet<(String, String)> {
    let containers = az.containers();
    let mut out = BTreeSet::new();
    for (id, r) in az.resources() {
        let ty = if id.contains("/providers/microsoft.network/virtualnetworks/") {
            if id.contains("/subnets/") { "oppie_subnet" } else { "oppie_network" }
        } else if id.contains("/networksecuritygroups/") {
            "oppie_firewall"
        } else if id.contains("/providers/microsoft.compute/virtualmachines/")
            && !id.contains("/providers/microsoft.authorization/")
        {
            "oppie_instance"
        } else if id.ends_with(&format!("/storageaccounts/{}", id.rsplit('/').next().unwrap_or_default())) {
            let bucket = r["tags"]["oppie:bucket"].as_str().unwrap_or_default().replace('.', "-");
            let found = if containers.contains(&bucket) { "" } else { " (no container)" };
            out.insert(("oppie_bucket".into(), format!("{id}/blobservices/default/containers/{bucket}{found}")));
            continue;
        } else {
            continue;
        };
        out.insert((ty.into(), id));
    }
    out
}

/// Everything else the provider made: resource groups, interfaces, addresses, disks, locks,
/// and containers.
fn azure_leftovers(az: &AzureTest) -> Vec<String> {
    az.resources().keys().cloned().chain(az.containers()).collect()
}

#[test]
fn no_orphans_or_twins_under_connection_drops() {
    let az = azure_test();
    let arm = FaultProxy::start(az.management().trim_end_matches('/'), &[]);
    let blob = FaultProxy::start(&az.blob_base(), &[]);
    let tf = az.terraform();
    let blob_endpoint = format!("{}/devstoreaccount1", blob.endpoint());
    let provider = az
        .provider_via(&format!("{}/", arm.endpoint()), &blob_endpoint, "")
        .replace("max_attempts    = 4", "max_attempts    = 2");
    tf.config(&format!("{provider}{}", super::STACK));
    tf.init();
    use Step::{Create, FollowUp, Wait};
    let arm_points = [
        Point::glob("oppie_network.main", "PUT */virtualNetworks/shop-dev-net", Create),
        Point::glob("oppie_network.main", "GET /_fake/operations/*", Wait),
        Point::glob("oppie_network.main", "GET */virtualNetworks/shop-dev-net", FollowUp).after(1),
        Point::glob("oppie_subnet.pub", "PUT */subnets/*", Create),
        Point::glob("oppie_subnet.pub", "GET /_fake/operations/*", Wait),
        Point::glob("oppie_firewall.web", "PUT */networkSecurityGroups/*", Create),
        Point::glob("oppie_firewall.web", "GET /_fake/operations/*", Wait),
        Point::glob("oppie_firewall.web", "GET */networkSecurityGroups/*", FollowUp).after(1),
        Point::glob("oppie_bucket.media", "PUT */storageAccounts/*", Create),
        Point::glob("oppie_bucket.media", "GET /_fake/locations/*", Wait),
        Point::glob("oppie_bucket.media", "PUT */blobServices/default", FollowUp),
        Point::glob("oppie_bucket.media", "PUT */managementPolicies/default", FollowUp),
        Point::glob("oppie_instance.api", "PUT */publicIPAddresses/*", Create),
        Point::glob("oppie_instance.api", "PUT */networkInterfaces/*", FollowUp),
        Point::glob("oppie_instance.api", "PUT */virtualMachines/*", FollowUp),
        Point::glob("oppie_instance.api", "GET */instanceView", Wait),
    ];
    matrix::run(&tf, &arm, &arm_points, &|| azure_objects(&az), &|| azure_leftovers(&az));
    // The container is made through blob storage: an outage there is a follow-up too.
    tf.ok(&["apply", "-auto-approve", "-target=oppie_network.main"]);
    let blob_points = [Point::glob("oppie_bucket.media", "PUT /devstoreaccount1/*", FollowUp)];
    matrix::run(&tf, &blob, &blob_points, &|| azure_objects(&az), &|| azure_leftovers(&az));
    az.assert_conforming();
}
