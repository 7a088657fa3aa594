//! Changes made behind Terraform's back show in the next plan and the apply after it puts
//! them right; what was deleted out of band is created again.

use oppie_e2e::azure::{azure_test, group_id};
use serde_json::json;

use super::{assert_has, stack};

#[test]
fn drift_is_detected_and_corrected() {
    let az = azure_test();
    let tf = az.terraform();
    tf.config(&stack(&az));
    tf.init();
    tf.apply();
    let rg = group_id("shop-dev-net-rg");
    let vnet = tf.resource("oppie_network.main")["id"].as_str().expect("vnet").to_string();
    let vm = tf.resource("oppie_instance.api")["id"].as_str().expect("vm").to_string();
    let nsg = tf.resource("oppie_firewall.web")["id"].as_str().expect("nsg").to_string();
    let account = format!("{}/providers/Microsoft.Storage/storageAccounts/shopdevmedia", group_id("shop-dev-media-rg"));

    // Tags added, machine resized, a rule opened, versioning turned off, public access allowed.
    az.control("drift", &json!({"id": vnet, "merge": {"tags": {"added": "by-hand"}}}));
    az.control(
        "drift",
        &json!({"id": vm, "merge": {"properties": {"hardwareProfile": {"vmSize": "Standard_D2s_v5"}}}}),
    );
    let mut rules = az.resource(&nsg).expect("nsg")["properties"]["securityRules"].clone();
    rules.as_array_mut().expect("rules").push(json!({"name": "by-hand", "properties": {
        "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "22", "access": "Allow", "priority": 300,
        "direction": "Inbound", "sourceAddressPrefixes": ["0.0.0.0/0"], "destinationAddressPrefix": "*"}}));
    az.control("drift", &json!({"id": nsg, "merge": {"properties": {"securityRules": rules}}}));
    az.control("drift", &json!({"id": format!("{account}/blobServices/default"), "merge": {"properties": {"isVersioningEnabled": false}}}));
    az.control("drift", &json!({"id": account, "merge": {"properties": {"allowBlobPublicAccess": true}}}));

    let (code, plan) = tf.plan_code();
    assert_eq!(code, 2, "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 0 to add, 4 to change, 0 to destroy."), "{}", plan.stdout);
    assert_has(&plan.stdout, "- \"added\" = \"by-hand\" -> null");
    assert_has(&plan.stdout, "~ instance_type = \"Standard_D2s_v5\" -> \"Standard_B1ms\"");
    assert_has(&plan.stdout, "~ versioning = false -> true");
    tf.apply();
    tf.assert_no_changes();
    assert_eq!(az.resource(&vm).expect("vm")["properties"]["hardwareProfile"]["vmSize"], "Standard_B1ms");
    assert!(!az.resource(&nsg).expect("nsg")["properties"]["securityRules"].to_string().contains("by-hand"));
    assert_eq!(az.resource(&account).expect("account")["properties"]["allowBlobPublicAccess"], false);
    assert_eq!(az.resource(&vnet).expect("vnet")["tags"].get("added"), None);

    // Deleted out of band: the firewall, the container; both come back.
    az.control("remove", &json!({"id": nsg}));
    az.delete_container("shop-dev-media");
    let (_, plan) = tf.plan_code();
    assert!(plan.stdout.contains("Plan: 2 to add, 1 to change, 0 to destroy."), "{}", plan.stdout);
    tf.apply();
    tf.assert_no_changes();
    assert!(az.resource(&nsg).is_some(), "firewall created again");
    assert!(az.containers().contains(&"shop-dev-media".to_string()), "container created again");
    assert!(az.resource(&rg).is_some());
    az.assert_conforming();
    tf.ok(&["destroy", "-auto-approve"]);
    assert!(az.resources().is_empty(), "{:?}", az.resources().keys().collect::<Vec<_>>());
}
