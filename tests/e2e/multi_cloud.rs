//! examples/multi-cloud planned for every cloud with `-var cloud=<cloud>` as the only change:
//! no credentials, no API call (the provider's endpoints point at recording fakes), and each
//! plan's resource count and estimated monthly cost in the output.

use oppie_e2e::aws::aws_test;
use oppie_e2e::azure::{AzureTest, azure_test};
use oppie_e2e::gcp::{GcpTest, gcp_test};
use oppie_e2e::terraform::repo_root;
use oppie_e2e::{Terraform, Version};

/// The clouds the example is planned for. Adding a cloud is one line here.
const CLOUDS: &[&str] = &["aws", "gcp", "azure"];

/// Copies examples/multi-cloud into a fresh working directory.
fn example() -> Terraform {
    let mut tf = Terraform::new(Version::Latest);
    let dir = repo_root().join("examples/multi-cloud");
    for entry in std::fs::read_dir(&dir).expect("examples/multi-cloud") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "tf") {
            let name = path.file_name().and_then(|n| n.to_str()).expect("file name").to_string();
            tf.write(&name, &std::fs::read_to_string(&path).expect("read example"));
        }
    }
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", ""),
        ("AWS_SECRET_ACCESS_KEY", ""),
        ("AWS_PROFILE", ""),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/nonexistent/config"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
    ] {
        tf.env(k, v);
    }
    for (k, v) in oppie_e2e::gcp::no_credentials_env() {
        tf.env(k, v);
    }
    tf
}

/// Points every cloud of the example at a recording fake (an override file: the example
/// itself stays as users run it).
fn endpoints_override(aws_proxy: &str, gcp: &GcpTest, azure: &AzureTest) -> String {
    format!(
        "provider \"oppie\" {{\n  aws {{\n    endpoint = \"{aws_proxy}\"\n  }}\n  gcp {{\n    project = \"shop-dev-123456\"\n    endpoints = {{\n      compute = \"{}\"\n      storage = \"{}\"\n    }}\n  }}\n  azure {{\n    subscription_id = \"00000000-0000-0000-0000-000000000000\"\n    endpoints = {{\n      management = \"{}\"\n      blob       = \"{}\"\n    }}\n  }}\n}}\n",
        gcp.compute_endpoint(),
        gcp.storage_endpoint(),
        azure.management(),
        azure.blob_endpoint()
    )
}

#[test]
fn the_multi_cloud_example_plans_on_every_cloud_without_credentials_or_calls() {
    let aws = aws_test();
    let gcp = gcp_test();
    let azure = azure_test();
    let proxy = aws.fault_proxy(&[]);
    let tf = example();
    tf.write("endpoints_override.tf", &endpoints_override(&proxy.endpoint(), &gcp, &azure));
    tf.init();
    let mut report = Vec::new();
    for cloud in CLOUDS {
        let var = format!("cloud={cloud}");
        tf.ok(&["plan", "-var", &var, "-out=tfplan"]);
        let out = tf.ok(&["show", "-json", "tfplan"]);
        let plan: serde_json::Value = serde_json::from_str(&out.stdout).expect("plan json");
        let changes = plan["resource_changes"].as_array().cloned().unwrap_or_default();
        let created: Vec<&serde_json::Value> =
            changes.iter().filter(|c| c["change"]["actions"] == serde_json::json!(["create"])).collect();
        assert_eq!(created.len(), 5, "{cloud}: {changes:#?}");
        let mut total = 0.0;
        for c in &created {
            assert_eq!(c["change"]["after"]["cloud"], *cloud, "{}", c["address"]);
            total += c["change"]["after"]["estimated_monthly_cost"].as_f64().unwrap_or(0.0);
        }
        let inst = created.iter().find(|c| c["address"] == "oppie_instance.api").expect("instance");
        let native = inst["change"]["after"]["instance_type"].as_str().unwrap_or_default().to_string();
        assert!(total > 0.0, "{cloud}: every plan is priced");
        report.push(format!("{cloud}: {} resources, instance {native}, estimated ${total:.2}/month", created.len()));
    }
    println!("examples/multi-cloud plans:\n  {}", report.join("\n  "));
    assert!(proxy.calls().is_empty(), "planning called AWS: {:?}", proxy.calls());
    assert!(gcp.calls().is_empty(), "planning called GCP: {:?}", gcp.calls());
    assert!(azure.requests().is_empty(), "planning called Azure: {:?}", azure.requests());
    let mut natives: Vec<&str> = report.iter().filter_map(|r| r.split("instance ").nth(1)?.split(',').next()).collect();
    natives.sort();
    natives.dedup();
    assert_eq!(natives.len(), CLOUDS.len(), "size \"s\" maps to a native type of each cloud: {report:?}");
}
