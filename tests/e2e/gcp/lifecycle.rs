//! Create, no-change re-plan, update in place, replace, drift (changed and deleted out of
//! band), import and destroy, on the Compute Engine fake and fake-gcs-server.

use oppie_e2e::Terraform;
use oppie_e2e::gcp::{GcpTest, PROJECT, gcp_test};

use super::{assert_has, stack};

fn apply_and_settle(tf: &Terraform) {
    tf.apply();
    tf.assert_no_changes();
}

/// Names of the GCP firewall rules in the project.
fn rule_names(gcp: &GcpTest) -> Vec<String> {
    let (_, list) = gcp.compute("GET", "global/firewalls", "");
    list["items"].as_array().into_iter().flatten().filter_map(|r| r["name"].as_str().map(str::to_string)).collect()
}

#[test]
fn full_stack_create_update_replace_import_destroy() {
    let gcp = gcp_test();
    let tf = gcp.terraform();
    let bucket = "shop-dev-media-lifecycle";
    let config = format!("{}{}", gcp.provider(), stack(bucket));
    tf.config(&config);
    tf.init();

    let (code, plan) = tf.plan_code();
    assert_eq!(code, 2, "{}", plan.all());
    assert!(plan.stdout.contains("Plan: 5 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    assert_has(&plan.stdout, "+ instance_type = \"e2-small\"");
    assert_has(&plan.stdout, "+ image_id = (known after apply)");
    assert!(gcp.calls().is_empty(), "planning called the cloud: {:?}", gcp.calls());

    apply_and_settle(&tf);
    let net = tf.resource("oppie_network.main");
    assert_eq!(net["id"], format!("projects/{PROJECT}/global/networks/shop-dev-net"));
    assert_eq!(net["tags_all"], serde_json::json!({"project": "shop", "environment": "dev", "team": "web"}));
    let (_, n) = gcp.compute("GET", "global/networks/shop-dev-net", "");
    assert_eq!(n["autoCreateSubnetworks"], false);

    let subnet = tf.resource("oppie_subnet.pub");
    assert_eq!(subnet["native"]["zone"], "us-east1-b");
    let sub_name = subnet["id"].as_str().and_then(|i| i.rsplit('/').next()).expect("subnet id").to_string();
    let (_, s) = gcp.compute("GET", &format!("regions/us-east1/subnetworks/{sub_name}"), "");
    assert_eq!(s["ipCidrRange"], "10.2.1.0/24");
    assert_eq!(s["privateIpGoogleAccess"], false, "public subnet");

    let mut rules = rule_names(&gcp);
    rules.sort();
    assert_eq!(rules.len(), 4, "base rule + 2 ingress + 1 egress: {rules:?}");
    assert!(rules.iter().all(|r| r.starts_with("shop-dev-web-")), "{rules:?}");

    let inst = tf.resource("oppie_instance.api");
    assert_eq!(inst["instance_type"], "e2-small");
    assert_eq!(inst["image_id"], "projects/ubuntu-os-cloud/global/images/ubuntu-2204-jammy-v20251118");
    let (_, vm) = gcp.compute("GET", "zones/us-east1-b/instances/shop-dev-api", "");
    assert_eq!(vm["status"], "RUNNING");
    assert_eq!(vm["labels"], serde_json::json!({"project": "shop", "environment": "dev", "team": "api"}));
    assert_eq!(vm["tags"]["items"], serde_json::json!(["shop-dev-web"]), "joins the firewall by network tag");
    assert!(vm["networkInterfaces"][0]["accessConfigs"].is_null(), "no external address unless public_ip");
    let (_, disk) = gcp.compute("GET", "zones/us-east1-b/disks/shop-dev-api", "");
    assert_eq!(disk["sizeGb"], "20");

    let (_, b) = gcp.storage("GET", &format!("b/{bucket}"), "");
    assert_eq!(b["versioning"]["enabled"], true);
    assert_eq!(b["iamConfiguration"]["publicAccessPrevention"], "enforced");
    assert_eq!(b["iamConfiguration"]["uniformBucketLevelAccess"]["enabled"], true);
    assert_eq!(b["lifecycle"]["rule"][0]["action"]["storageClass"], "NEARLINE");

    // Update in place: labels, size (stop, set type, start), firewall rules, versioning, public.
    let updated = config
        .replace("size         = \"s\"", "size         = \"m\"")
        .replace("tags         = { team = \"api\" }", "tags         = { team = \"platform\" }")
        .replace("ports    = \"8000-8080\"", "ports    = \"9000\"")
        .replace("versioning = true", "versioning = false")
        .replace("public     = true", "public     = false");
    tf.config(&updated);
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("0 to add, 4 to change, 0 to destroy."), "{}", plan.stdout);
    apply_and_settle(&tf);
    let (_, vm) = gcp.compute("GET", "zones/us-east1-b/instances/shop-dev-api", "");
    assert!(vm["machineType"].as_str().is_some_and(|m| m.ends_with("/e2-medium")), "{vm:#}");
    assert_eq!(vm["status"], "RUNNING");
    assert_eq!(vm["labels"]["team"], "platform");
    assert_eq!(gcp.count("compute.instances.stop"), 1);
    let (_, b) = gcp.storage("GET", &format!("b/{bucket}"), "");
    assert_eq!(b["versioning"]["enabled"], false);
    assert_eq!(rule_names(&gcp).len(), 4);

    // Drift: a label set and an instance deleted out of band.
    let (_, vm) = gcp.compute("GET", "zones/us-east1-b/instances/shop-dev-api", "");
    let body = serde_json::json!({"labels": {"project": "shop", "environment": "dev", "team": "platform", "added": "by-hand"}, "labelFingerprint": vm["labelFingerprint"]});
    let (status, _) = gcp.compute("POST", "zones/us-east1-b/instances/shop-dev-api/setLabels", &body.to_string());
    assert_eq!(status, 200);
    let (_, plan) = tf.plan_code();
    assert_has(&plan.stdout, "- \"added\" = \"by-hand\" -> null");
    apply_and_settle(&tf);
    let (status, _) = gcp.compute("DELETE", "zones/us-east1-b/instances/shop-dev-api", "");
    assert_eq!(status, 200);
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("1 to add, 0 to change, 0 to destroy."), "recreated: {}", plan.stdout);
    apply_and_settle(&tf);

    // Replace: a different image.
    let replaced = updated.replace("image        = \"ubuntu-22.04\"", "image        = \"debian-12\"");
    tf.config(&replaced);
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("1 to add, 0 to change, 1 to destroy."), "{}", plan.stdout);
    apply_and_settle(&tf);
    assert_eq!(
        tf.resource("oppie_instance.api")["image_id"],
        "projects/debian-cloud/global/images/debian-12-bookworm-v20251111"
    );

    // Import by native id (CLI), then an import block.
    let net_id = format!("projects/{PROJECT}/global/networks/shop-dev-net");
    tf.ok(&["state", "rm", "oppie_network.main", "oppie_bucket.media"]);
    let out = tf.ok(&["import", "oppie_network.main", &net_id]);
    assert!(out.stdout.contains("Import successful"), "{}", out.stdout);
    let net = tf.resource("oppie_network.main");
    assert_eq!((net["name"].as_str(), net["cidr"].as_str()), (Some("shop-dev-net"), Some("10.2.0.0/16")));
    tf.config(&format!("{replaced}\nimport {{\n  to = oppie_bucket.media\n  id = \"{bucket}\"\n}}\n"));
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("1 to import"), "{}", plan.stdout);
    tf.apply();
    // GCP networks carry no labels: the imported network takes its tags from the config.
    tf.assert_no_changes();
    assert_eq!(tf.resource("oppie_bucket.media")["lifecycle_rule"][0]["storage_class"], "cold");

    // GCP names are identities: renaming the network or the VM replaces it (AWS: in place).
    let renamed = replaced.replace("name = \"shop-dev-net\"", "name = \"shop-dev-net2\"");
    tf.config(&renamed);
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("oppie_network.main must be replaced"), "{}", plan.stdout);
    assert_has(&plan.stdout, "~ name = \"shop-dev-net\" -> \"shop-dev-net2\" # forces replacement");

    tf.ok(&["destroy", "-auto-approve"]);
    let (status, _) = gcp.compute("GET", "global/networks/shop-dev-net", "");
    assert_eq!(status, 404);
    assert!(rule_names(&gcp).is_empty());
    let (status, _) = gcp.compute("GET", "zones/us-east1-b/instances/shop-dev-api", "");
    assert_eq!(status, 404);
    let (status, _) = gcp.storage("GET", &format!("b/{bucket}"), "");
    assert_eq!(status, 404);
}
