//! Finding and adopting on Azure: a stack whose state is lost is found again by `terraform
//! query` (list calls, paged, checked against the API description), its generated config
//! imports every kind by identity with no further change; a machine made outside Terraform
//! is adopted by an `import` block by identity; the power action stops and starts it.

use oppie_e2e::azure::{azure_test, group_id};

use super::{STACK, squash};

fn queries(vnet: &str) -> String {
    format!(
        r#"
list "oppie_network" "all" {{
  provider = oppie
  config {{
    cloud  = "azure"
    region = "eu-west"
    tags   = {{ team = "web" }}
  }}
}}

list "oppie_subnet" "main" {{
  provider = oppie
  config {{
    network_id = "{vnet}"
  }}
}}

list "oppie_firewall" "main" {{
  provider = oppie
  config {{
    network_id = "{vnet}"
  }}
}}

list "oppie_instance" "shop" {{
  provider = oppie
  config {{
    tags       = {{ project = "shop" }}
    network_id = "{vnet}"
  }}
}}

list "oppie_bucket" "media" {{
  provider = oppie
  config {{
    resource_group = "shop-dev-media-rg"
    tags           = {{ purpose = "adopt-test" }}
  }}
}}
"#
    )
}

const ACTIONS: &str = r#"
action "oppie_instance_power" "stop" {
  config {
    instance_id = oppie_instance.api.id
    state       = "stopped"
  }
}

action "oppie_instance_power" "start" {
  config {
    instance_id = oppie_instance.api.id
    state       = "running"
  }
}
"#;

#[test]
fn a_lost_stack_is_found_by_query_and_adopted_by_identity() {
    let az = azure_test();
    let made = az.terraform();
    let config =
        STACK.replace("  versioning = true\n", "  versioning = true\n  tags       = { purpose = \"adopt-test\" }\n");
    made.config(&format!("{}{config}", az.provider()));
    made.init();
    made.apply();
    // Something else in the region that the filters leave out (and more than a page of networks).
    let other = az.terraform();
    let net = |n: u8| {
        format!(
            "resource \"oppie_network\" \"other{n}\" {{\n  name = \"other-team-net-{n}\"\n  cidr = \"10.{n}.0.0/16\"\n  tags = {{ team = \"data\" }}\n}}\n"
        )
    };
    other.config(&format!("{}{}{}", az.provider(), net(7), net(8)));
    other.init();
    other.apply();

    let vnet = format!("{}/providers/Microsoft.Network/virtualNetworks/shop-dev-net", group_id("shop-dev-net-rg"));
    let tf = az.terraform();
    tf.config(&az.provider());
    tf.write("adopt.tfquery.hcl", &queries(&vnet));
    tf.init();
    let out = tf.ok(&["query", "-no-color"]);
    for name in ["shop-dev-net", "snet-10-2-1-0-24-z1", "shop-dev-web", "shop-dev-api", "shop-dev-media"] {
        assert!(out.stdout.contains(name), "{name} missing:\n{}", out.all());
    }
    assert!(!out.stdout.contains("other-team-net"), "filtered out by tags:\n{}", out.all());
    assert!(
        az.count("GET", "/providers/Microsoft.Network/virtualNetworks") >= 2,
        "pages followed: {:?}",
        az.requests()
    );

    tf.ok(&["query", "-no-color", "-generate-config-out=generated.tf"]);
    let generated = std::fs::read_to_string(tf.dir().join("generated.tf")).expect("generated");
    assert_eq!(generated.matches("import {").count(), 5, "{generated}");
    assert!(generated.contains("identity = {"), "imports by identity:\n{generated}");
    let plan = tf.plan_json();
    let changes = plan["resource_changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 5, "{generated}\n{plan:#}");
    for c in changes {
        assert_eq!(c["change"]["actions"], serde_json::json!(["no-op"]), "{c:#}\n{generated}");
        assert_eq!(c["change"]["importing"]["identity"]["cloud"], "azure", "by identity: {c:#}");
    }
    tf.ok(&["apply", "-auto-approve", "tfplan"]);
    tf.assert_no_changes();
    az.assert_conforming();
}

#[test]
fn an_import_block_by_identity_adopts_a_machine_then_the_power_action_stops_and_starts_it() {
    let az = azure_test();
    let made = az.terraform();
    made.config(&format!("{}{STACK}", az.provider()));
    made.init();
    made.apply();
    let vm = made.resource("oppie_instance.api");
    // The image as the cloud names it (what an import reads back), as generated config has it.
    let image = vm["image_id"].as_str().expect("image id").to_string();
    let (id, subnet, nsg) = (
        vm["id"].as_str().expect("id").to_string(),
        vm["subnet_id"].as_str().expect("subnet").to_string(),
        vm["firewall_ids"][0].as_str().expect("nsg").to_string(),
    );

    // Another working directory adopts the machine by identity alone. Without user_data: ARM
    // returns a machine's user data only to `$expand=userData`, so an import cannot know it
    // and a configured one would replace the machine.
    let tf = az.terraform();
    tf.config(&format!(
        r#"{provider}
import {{
  to       = oppie_instance.api
  identity = {{ cloud = "azure", region = "eu-west", id = "{id}" }}
}}

resource "oppie_instance" "api" {{
  name         = "shop-dev-api"
  size         = "s"
  image        = "{image}"
  subnet_id    = "{subnet}"
  firewall_ids = ["{nsg}"]
  disk_gb      = 30
  public_ip    = true
}}
"#,
        provider = az.provider()
    ));
    tf.init();
    let plan = tf.plan_json();
    let c = &plan["resource_changes"][0];
    assert_eq!(c["change"]["actions"], serde_json::json!(["no-op"]), "{c:#}");
    assert_eq!(c["change"]["importing"]["identity"]["id"], id.as_str(), "{c:#}");
    let out = tf.ok(&["apply", "-no-color", "-auto-approve", "tfplan"]);
    assert!(squash(&out.stdout).contains("1 imported, 0 added, 0 changed, 0 destroyed"), "{}", out.all());
    tf.assert_no_changes();

    tf.write("actions.tf", ACTIONS);
    tf.ok(&["apply", "-no-color", "-auto-approve", "-invoke=action.oppie_instance_power.stop"]);
    assert_eq!(az.count("POST", "/powerOff"), 1, "{:?}", az.requests());
    tf.ok(&["apply", "-no-color", "-auto-approve", "-invoke=action.oppie_instance_power.start"]);
    assert_eq!(az.count("POST", "/start"), 1, "{:?}", az.requests());
    tf.assert_no_changes();
    az.assert_conforming();
}
