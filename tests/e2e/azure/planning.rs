//! Planning needs no credentials and calls nothing; what does not map onto Azure fails at
//! plan time naming the attribute and the cloud; client credentials get a token from
//! Entra ID, which never shows up in state.

use oppie_e2e::azure::azure_test;

use super::{STACK, assert_has};

#[test]
fn planning_new_resources_needs_no_credentials() {
    let az = azure_test();
    let tf = az.terraform();
    // The public cloud's endpoints, no subscription, no credentials of any kind.
    tf.config(&format!(
        "provider \"oppie\" {{\n  default_cloud  = \"azure\"\n  default_region = \"eu-west\"\n  default_tags   = {{ project = \"shop\" }}\n}}\n{STACK}"
    ));
    tf.init();
    let (code, plan) = tf.plan_code();
    assert_eq!(code, 2, "{}", plan.all());
    assert!(plan.stdout.contains("Plan: 5 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    assert_has(&plan.stdout, "+ instance_type = \"Standard_B1ms\"");
    assert_has(&plan.stdout, "+ image_id = \"Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest\"");
    assert_has(&plan.stdout, "+ region = \"eu-west\"");
    // Apply is where credentials are needed: the error says how to give them.
    let out = tf.run(&["apply", "-auto-approve", "-target=oppie_network.main"]);
    assert_eq!(out.code, 1);
    assert!(out.all().contains("subscription"), "{}", out.all());
}

fn plan_error(az: &oppie_e2e::azure::AzureTest, body: &str) -> String {
    let tf = az.terraform();
    tf.config(&format!("{}{body}", az.provider()));
    tf.init();
    let out = tf.run(&["plan"]);
    assert_eq!(out.code, 1, "{}", out.all());
    out.all()
}

#[test]
fn what_does_not_map_fails_at_plan_naming_attribute_and_cloud() {
    let az = azure_test();
    let net = "resource \"oppie_network\" \"n\" {\n  name = \"n\"\n  cidr = \"10.0.0.0/16\"\n}\n";
    let subnet = "resource \"oppie_subnet\" \"s\" {\n  network_id = oppie_network.n.id\n  cidr = \"10.0.1.0/24\"\n  zone = \"d\"\n}\n";
    let text = plan_error(&az, &format!("{net}{subnet}"));
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Unknown zone") && flat.contains("westeurope has no zone \"d\": use 1 to 3"), "{text}");
    assert!(text.contains("zone = \"d\""), "points at the line: {text}");

    let vm = |extra: &str| {
        format!(
            "{net}resource \"oppie_instance\" \"i\" {{\n  name = \"i\"\n  size = \"s\"\n  image = \"ubuntu-22.04\"\n  subnet_id = \"x\"\n{extra}\n}}\n"
        )
    };
    let text = plan_error(&az, &vm("  disk_encrypted = false"));
    assert!(text.contains("disk_encrypted = false is not possible on azure"), "{text}");
    let text = plan_error(&az, &vm("  firewall_ids = [\"a\", \"b\"]"));
    assert!(text.contains("More than one firewall is not possible on azure"), "{text}");
    let text = plan_error(&az, &vm("").replace("size = \"s\"", "size = \"t3.large\""));
    assert!(text.contains("Unknown size") && text.contains("not an instance size on azure"), "{text}");
    let text = plan_error(&az, &vm("").replace("ubuntu-22.04", "ami-0123456789abcdef0"));
    assert!(text.contains("Unknown image") && text.contains("not an image on azure"), "{text}");

    let text = plan_error(&az, "resource \"oppie_bucket\" \"b\" {\n  name = \"shop-logs\"\n  kms_key_id = \"k\"\n}\n");
    assert!(text.contains("kms_key_id is not possible on azure"), "{text}");
    let text =
        plan_error(&az, "resource \"oppie_bucket\" \"b\" {\n  name = \"shop-logs\"\n  logging_bucket = \"other\"\n}\n");
    assert!(text.contains("logging_bucket is not possible on azure"), "{text}");
    let text = plan_error(&az, "resource \"oppie_bucket\" \"b\" {\n  name = \"shop--logs\"\n}\n");
    assert!(text.contains("This bucket name is not possible on azure") && text.contains("single hyphens"), "{text}");
    let text = plan_error(
        &az,
        "resource \"oppie_network\" \"n\" {\n  cloud = \"aws\"\n  name = \"n\"\n  cidr = \"10.0.0.0/16\"\n  resource_group = \"rg\"\n}\n",
    );
    assert!(text.contains("resource_group is not possible on aws"), "{text}");
    assert!(az.requests().is_empty(), "validation calls nothing");
}

#[test]
fn client_credentials_get_a_token_that_stays_secret() {
    let az = azure_test();
    let tf = az.terraform();
    let secret = "oppie-azure-secret-Qm71x";
    let extra = format!(
        "    tenant_id     = \"tenant-1\"\n    client_id     = \"client-1\"\n    client_secret = \"{secret}\"\n"
    );
    let provider = az.provider_with(&az.management(), &extra).replace(
        "      blob       =",
        &format!("      active_directory = \"{}\"\n      blob       =", az.management()),
    );
    tf.config(&format!(
        "{provider}resource \"oppie_network\" \"main\" {{\n  name = \"shop-dev-net\"\n  cidr = \"10.2.0.0/16\"\n  resource_group = \"existing-rg\"\n}}\n"
    ));
    tf.init();
    // A named resource group must exist; it is not made (nor deleted) by the provider.
    let out = tf.run(&["apply", "-auto-approve"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.all().contains("resource group \"existing-rg\" does not exist"), "{}", out.all());
    let rg = oppie_e2e::azure::group_id("existing-rg");
    let (status, body) =
        oppie_e2e::aws::http(az.arm, "PUT", &format!("{rg}?api-version=2025-04-01"), "{\"location\": \"westeurope\"}")
            .expect("make the group");
    assert_eq!(status, 201, "{body}");
    tf.apply();
    tf.assert_no_changes();
    let tokens = az.tokens();
    // One token per provider process (three Terraform commands so far), cached across calls.
    assert_eq!(tokens.len(), 3, "{tokens:?}");
    assert!(az.requests().len() > tokens.len() + 2, "one token serves many calls");
    assert_eq!(tokens[0]["grant_type"], "client_credentials");
    assert_eq!(tokens[0]["client_id"], "client-1");
    assert_eq!(tokens[0]["scope"], format!("{}.default", az.management()));
    let arm: Vec<_> = az
        .requests()
        .into_iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.contains("virtualNetworks")))
        .collect();
    assert!(arm.iter().all(|r| r["authorization"] == "Bearer fake-arm-token"), "{arm:?}");
    let state = std::fs::read_to_string(tf.dir().join("terraform.tfstate")).expect("state");
    assert!(!state.contains(secret), "the secret is not in state");
    assert_eq!(tf.resource("oppie_network.main")["resource_group"], "existing-rg");
    tf.ok(&["destroy", "-auto-approve"]);
    assert!(az.resource(&rg).is_some(), "a group the configuration named stays");
    az.assert_conforming();
}

/// Applies one network with `extra` in the azure block and `env`; returns the bearer token
/// its ARM requests carried.
fn token_used(az: &oppie_e2e::azure::AzureTest, name: &str, extra: &str, env: &[(&str, String)]) -> String {
    let mut tf = az.terraform();
    for (k, v) in env {
        tf.env(k, v);
    }
    let provider = az.provider_with(&az.management(), extra).replace(
        "      blob       =",
        &format!("      active_directory = \"{}\"\n      blob       =", az.management()),
    );
    tf.config(&format!(
        "{provider}resource \"oppie_network\" \"n\" {{\n  name = \"{name}\"\n  cidr = \"10.2.0.0/16\"\n}}\n"
    ));
    tf.init();
    tf.apply();
    tf.ok(&["destroy", "-auto-approve"]);
    let puts: Vec<_> = az
        .requests()
        .into_iter()
        .filter(|r| {
            r["method"] == "PUT" && r["path"].as_str().is_some_and(|p| p.ends_with(&format!("/virtualNetworks/{name}")))
        })
        .collect();
    assert_eq!(puts.len(), 1, "{puts:?}");
    puts[0]["authorization"].as_str().unwrap_or_default().to_string()
}

#[test]
fn certificate_managed_identity_and_cli_credentials_authenticate() {
    use aws_lc_rs::encoding::AsDer as _;
    use base64::Engine as _;
    let az = azure_test();
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);

    // A service principal certificate: any DER stands in for the certificate (the thumbprint
    // is its SHA-1), next to a real RSA key that signs the assertion.
    let key = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("rsa key");
    let pkcs8: aws_lc_rs::encoding::Pkcs8V1Der<'static> = key.as_der().expect("pkcs8");
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        b64(b"oppie test certificate"),
        b64(pkcs8.as_ref())
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let cert = dir.path().join("sp.pem");
    std::fs::write(&cert, pem).expect("write pem");
    let extra = format!(
        "    tenant_id = \"tenant-1\"\n    client_id = \"client-1\"\n    client_certificate_path = \"{}\"\n",
        cert.display()
    );
    assert_eq!(token_used(&az, "with-cert", &extra, &[]), "Bearer fake-arm-token");
    let form = az.tokens().into_iter().next().expect("token request");
    assert_eq!(form["client_assertion_type"], "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    let jwt = form["client_assertion"].as_str().expect("assertion");
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(jwt.split('.').next().unwrap_or_default())
        .expect("jwt header");
    let header: serde_json::Value = serde_json::from_slice(&header).expect("header json");
    assert_eq!(header["alg"], "RS256");
    assert!(header["x5t"].as_str().is_some_and(|t| !t.is_empty()), "{header}");

    // Managed identity through the metadata endpoint.
    let msi = [("AZURE_POD_IDENTITY_AUTHORITY_HOST", az.management())];
    assert_eq!(token_used(&az, "with-msi", "    use_msi = true\n", &msi), "Bearer fake-msi-token");
    assert!(az.tokens().iter().any(|t| t["msi"] == true && t["resource"] == az.management().as_str()));

    // The Azure CLI's token cache.
    let cli = tempfile::tempdir().expect("temp dir");
    let later = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() + 3600)
        .to_string();
    let cache = serde_json::json!({"AccessToken": {"k": {
        "secret": "cli-token", "target": "https://management.core.windows.net//user_impersonation", "expires_on": later}}});
    std::fs::write(cli.path().join("msal_token_cache.json"), cache.to_string()).expect("cache");
    let env = [("AZURE_CONFIG_DIR", cli.path().display().to_string())];
    assert_eq!(token_used(&az, "with-cli", "    use_cli = true\n", &env), "Bearer cli-token");
    az.assert_conforming();
}
