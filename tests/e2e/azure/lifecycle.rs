//! Create, no-change re-plan, update in place, replace, import and destroy of every kind.

use oppie_e2e::azure::{azure_test, group_id};
use serde_json::json;

use super::{assert_has, stack};

/// The subnet and bucket as the stack has them after the update and replacement, for the import.
const IMPORTED_BUCKET: &str = r#"
resource "oppie_subnet" "pub" {
  network_id = oppie_network.main.id
  cidr       = "10.2.2.0/24"
  zone       = 1
  public     = false
}

resource "oppie_bucket" "media" {
  name = "shop-dev-media"
  lifecycle_rule {
    transition_days = 30
    storage_class   = "cold"
  }
}
"#;

#[test]
fn full_stack_create_update_replace_import_destroy() {
    let az = azure_test();
    let tf = az.terraform();
    let config = stack(&az);
    tf.config(&config);
    tf.init();

    let (code, plan) = tf.plan_code();
    assert_eq!(code, 2);
    assert!(plan.stdout.contains("Plan: 5 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    assert_has(&plan.stdout, "+ image_id = \"Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest\"");
    assert_has(&plan.stdout, "+ instance_type = \"Standard_B1ms\"");
    assert!(az.requests().is_empty(), "planning new resources calls nothing: {:?}", az.requests());

    tf.apply();
    tf.assert_no_changes();
    az.assert_conforming();

    let rg = group_id("shop-dev-net-rg");
    let net = tf.resource("oppie_network.main");
    let vnet = format!("{rg}/providers/Microsoft.Network/virtualNetworks/shop-dev-net");
    assert_eq!(net["id"], vnet.as_str());
    assert_eq!(net["resource_group"], "shop-dev-net-rg");
    assert_eq!(net["tags_all"], json!({"project": "shop", "environment": "dev", "team": "web"}));
    let v = az.resource(&vnet).expect("vnet in the fake");
    assert_eq!(v["location"], "westeurope");
    assert_eq!(v["properties"]["addressSpace"]["addressPrefixes"], json!(["10.2.0.0/16"]));
    assert_eq!(az.resource(&rg).expect("group")["tags"]["oppie:owner"], vnet.to_ascii_lowercase().as_str());

    let subnet = tf.resource("oppie_subnet.pub");
    let sid = subnet["id"].as_str().expect("subnet id").to_string();
    assert_eq!(sid, format!("{vnet}/subnets/snet-10-2-1-0-24-z1"));
    assert_eq!(az.resource(&sid).expect("subnet")["properties"]["defaultOutboundAccess"], true);

    let fw = tf.resource("oppie_firewall.web");
    let nsg = fw["id"].as_str().expect("nsg id").to_string();
    let rules = az.resource(&nsg).expect("nsg")["properties"]["securityRules"].clone();
    let summary: Vec<String> = rules
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| {
            let p = &r["properties"];
            format!(
                "{} {} {} {} {}",
                r["name"].as_str().unwrap_or(""),
                p["direction"].as_str().unwrap_or(""),
                p["access"].as_str().unwrap_or(""),
                p["priority"],
                p["destinationPortRange"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "in-0 Inbound Allow 100 443",
            "in-1 Inbound Allow 101 8000-8080",
            "out-0 Outbound Allow 100 *",
            "oppie-deny-all-inbound Inbound Deny 4096 *",
            "oppie-deny-all-outbound Outbound Deny 4096 *",
        ]
    );

    let inst = tf.resource("oppie_instance.api");
    let vm_id = inst["id"].as_str().expect("vm id").to_string();
    assert_eq!(vm_id, format!("{rg}/providers/Microsoft.Compute/virtualMachines/shop-dev-api"));
    let vm = az.resource(&vm_id).expect("vm");
    let p = &vm["properties"];
    assert_eq!(p["hardwareProfile"]["vmSize"], "Standard_B1ms");
    assert_eq!(p["storageProfile"]["imageReference"]["sku"], "22_04-lts-gen2");
    assert_eq!(p["storageProfile"]["osDisk"]["diskSizeGB"], 30);
    assert_eq!(p["securityProfile"]["encryptionAtHost"], true);
    assert_eq!(p["osProfile"]["linuxConfiguration"]["disablePasswordAuthentication"], true);
    assert_eq!(vm["zones"], json!(["1"]), "zone 1 is Azure zone 1");
    assert!(inst["native"]["public_ip"].as_str().is_some(), "{inst:#}");
    assert_eq!(inst["firewall_ids"], json!([nsg]));
    let nic =
        az.resource(&format!("{rg}/providers/Microsoft.Network/networkInterfaces/shop-dev-api-nic")).expect("nic");
    assert_eq!(nic["properties"]["networkSecurityGroup"]["id"], nsg.as_str());

    let bucket = tf.resource("oppie_bucket.media");
    let account = format!("{}/providers/Microsoft.Storage/storageAccounts/shopdevmedia", group_id("shop-dev-media-rg"));
    assert_eq!(bucket["id"], format!("{account}/blobServices/default/containers/shop-dev-media"));
    let a = az.resource(&account).expect("storage account");
    assert_eq!(a["properties"]["supportsHttpsTrafficOnly"], true);
    assert_eq!(a["properties"]["allowBlobPublicAccess"], false);
    assert_eq!(a["properties"]["minimumTlsVersion"], "TLS1_2");
    let svc = az.resource(&format!("{account}/blobServices/default")).expect("blob service");
    assert_eq!(svc["properties"]["isVersioningEnabled"], true);
    assert!(az.containers().contains(&"shop-dev-media".to_string()), "container in azurite");
    assert!(az.requests().iter().all(|r| r["authorization"].is_null()), "loopback without credentials: no token");

    // In place: tags, firewall rules, versioning, size.
    let updated = config
        .replace("tags = { team = \"web\" }", "tags = { team = \"api\" }")
        .replace(
            "ports    = \"8000-8080\"\n    sources  = [\"10.2.0.0/16\", \"10.9.0.0/16\"]",
            "ports    = \"22\"\n    sources  = [\"10.2.0.0/16\"]",
        )
        .replace("versioning = true", "versioning = false")
        .replace("size         = \"s\"", "size         = \"m\"")
        .replace("disk_gb      = 30", "disk_gb      = 40")
        .replace("public     = true", "public     = false");
    tf.config(&updated);
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("Plan: 0 to add, 5 to change, 0 to destroy."), "{}", plan.stdout);
    tf.apply();
    tf.assert_no_changes();
    assert_eq!(az.resource(&vnet).expect("vnet")["tags"]["team"], "api");
    assert_eq!(az.resource(&vm_id).expect("vm")["properties"]["hardwareProfile"]["vmSize"], "Standard_B2s");
    assert_eq!(az.resource(&sid).expect("subnet")["properties"]["defaultOutboundAccess"], false, "private now");
    let disk = az.resource(&format!("{rg}/providers/Microsoft.Compute/disks/shop-dev-api-osdisk")).expect("os disk");
    assert_eq!(disk["properties"]["diskSizeGB"], 40, "grown while deallocated");
    assert_eq!((az.count("POST", "/deallocate"), az.count("POST", "/start")), (1, 1));
    assert_eq!(
        az.resource(&format!("{account}/blobServices/default")).expect("svc")["properties"]["isVersioningEnabled"],
        false
    );
    let rules = az.resource(&nsg).expect("nsg")["properties"]["securityRules"].to_string();
    assert!(rules.contains("\"22\"") && !rules.contains("8000-8080"), "{rules}");

    // Replace: a new range replaces the subnet (and the machine in it).
    let replaced = updated.replace("cidr       = \"10.2.1.0/24\"", "cidr       = \"10.2.2.0/24\"");
    tf.config(&replaced);
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("2 to add, 0 to change, 2 to destroy"), "{}", plan.stdout);
    tf.apply();
    tf.assert_no_changes();
    assert!(az.resource(&sid).is_none(), "old subnet gone");
    az.assert_conforming();

    // Import by ARM id into a fresh working directory.
    let tf2 = az.terraform();
    tf2.config(&format!(
        "{}resource \"oppie_network\" \"main\" {{\n  name = \"shop-dev-net\"\n  cidr = \"10.2.0.0/16\"\n  tags = {{ team = \"api\" }}\n}}\n{IMPORTED_BUCKET}",
        az.provider()
    ));
    tf2.init();
    tf2.ok(&["import", "oppie_network.main", &vnet]);
    let bucket_id = tf.resource("oppie_bucket.media")["id"].as_str().expect("bucket id").to_string();
    tf2.ok(&["import", "oppie_bucket.media", &bucket_id]);
    let subnet_id = tf.resource("oppie_subnet.pub")["id"].as_str().expect("subnet id").to_string();
    tf2.ok(&["import", "oppie_subnet.pub", &subnet_id]);
    let imported = tf2.resource("oppie_network.main");
    assert_eq!(imported["cidr"], "10.2.0.0/16");
    assert_eq!(imported["resource_group"], "shop-dev-net-rg");
    let imported = tf2.resource("oppie_bucket.media");
    assert_eq!(imported["name"], "shop-dev-media");
    assert_eq!(imported["resource_group"], "shop-dev-media-rg");
    tf2.assert_no_changes();
    assert_eq!(tf2.resource("oppie_subnet.pub")["zone"], "1");
    tf2.ok(&["state", "rm", "oppie_network.main", "oppie_bucket.media", "oppie_subnet.pub"]);

    tf.ok(&["destroy", "-auto-approve"]);
    let left: Vec<String> = az.resources().keys().cloned().collect();
    assert!(left.is_empty(), "everything gone, groups included: {left:?}");
    assert!(!az.containers().contains(&"shop-dev-media".to_string()));
    az.assert_conforming();
}

#[test]
fn deletion_protection_is_a_delete_lock() {
    let az = azure_test();
    let tf = az.terraform();
    let config = format!(
        r#"{}
resource "oppie_network" "n" {{
  name = "locked-net"
  cidr = "10.3.0.0/16"
}}
resource "oppie_subnet" "s" {{
  network_id = oppie_network.n.id
  cidr       = "10.3.1.0/24"
}}
resource "oppie_instance" "vm" {{
  name                = "locked-vm"
  size                = "xs"
  image               = "debian-12"
  subnet_id           = oppie_subnet.s.id
  deletion_protection = true
}}
"#,
        az.provider()
    );
    tf.config(&config);
    tf.init();
    tf.apply();
    tf.assert_no_changes();
    let vm = tf.resource("oppie_instance.vm")["id"].as_str().expect("vm").to_string();
    let lock = format!("{vm}/providers/Microsoft.Authorization/locks/oppie-deletion-protection");
    assert_eq!(az.resource(&lock).expect("lock")["properties"]["level"], "CanNotDelete");
    assert!(tf.resource("oppie_instance.vm")["native"].get("public_ip").is_none(), "no public IP unless asked");
    assert!(az.resources().keys().all(|k| !k.contains("publicipaddresses")));

    let out = tf.run(&["destroy", "-auto-approve"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.all().contains("ScopeLocked"), "{}", out.all());
    assert!(az.resource(&vm).is_some(), "still there");

    tf.config(&config.replace("deletion_protection = true", "deletion_protection = false"));
    tf.apply();
    assert!(az.resource(&lock).is_none(), "lock removed in place");
    tf.ok(&["destroy", "-auto-approve"]);
    assert!(az.resources().is_empty(), "{:?}", az.resources().keys().collect::<Vec<_>>());
    az.assert_conforming();
}

#[test]
fn a_resource_group_is_deleted_only_when_nothing_else_lives_in_it() {
    let az = azure_test();
    let tf = az.terraform();
    // A network and a bucket of the same name share the default group `shop-media-rg`.
    tf.config(&format!(
        "{}resource \"oppie_network\" \"n\" {{\n  name = \"shop-media\"\n  cidr = \"10.4.0.0/16\"\n}}\nresource \"oppie_bucket\" \"b\" {{\n  name = \"shop-media\"\n}}\n",
        az.provider()
    ));
    tf.init();
    tf.apply();
    let rg = group_id("shop-media-rg");
    let vnet = format!("{rg}/providers/Microsoft.Network/virtualNetworks/shop-media");
    assert!(az.resource(&vnet).is_some());
    tf.ok(&["destroy", "-auto-approve", "-target=oppie_bucket.b"]);
    assert!(az.resource(&vnet).is_some(), "the network outlives the bucket's clean-up of the group");
    tf.ok(&["destroy", "-auto-approve"]);
    // The group goes with its last resource when its maker goes last; otherwise it stays (empty).
    let left: Vec<String> = az.resources().keys().filter(|k| !k.eq_ignore_ascii_case(&rg)).cloned().collect();
    assert!(left.is_empty(), "{left:?}");
    az.assert_conforming();
}
