//! Credentials: a service-account key (given as JSON text in the provider block, or as a file
//! named by GOOGLE_APPLICATION_CREDENTIALS) is exchanged through the OAuth2 JWT grant and every
//! call carries the token; emulator endpoints without credentials get unauthenticated calls.

use oppie_e2e::gcp::gcp_test;

const NETWORK: &str = r#"
resource "oppie_network" "main" {
  name = "shop-dev-net"
  cidr = "10.2.0.0/16"
}
"#;

#[test]
fn a_service_account_key_is_exchanged_by_jwt_grant_and_every_call_carries_the_token() {
    let gcp = gcp_test();
    let mut tf = gcp.terraform();
    tf.write("key.json", &gcp.service_account_key());
    let provider =
        gcp.provider().replace("max_attempts = 4", "max_attempts = 4\n    credentials  = file(\"key.json\")");
    tf.config(&format!("{provider}{NETWORK}"));
    tf.init();
    tf.apply();
    let calls = gcp.auth_calls();
    assert!(calls.iter().any(|c| c.starts_with("compute.networks.insert")), "{calls:?}");
    assert!(calls.iter().all(|c| c.ends_with(" bearer")), "every call authenticated: {calls:?}");
    let state = std::fs::read_to_string(tf.dir().join("terraform.tfstate")).expect("state");
    assert!(!state.contains("PRIVATE KEY"), "the key never reaches the state");

    // The same key through GOOGLE_APPLICATION_CREDENTIALS (a path), then destroy.
    let key_path = tf.dir().join("key.json").display().to_string();
    tf.env("GOOGLE_APPLICATION_CREDENTIALS", &key_path);
    tf.config(&format!("{}{NETWORK}", gcp.provider()));
    tf.ok(&["destroy", "-auto-approve"]);
    let calls = gcp.auth_calls();
    assert!(calls.iter().any(|c| c == "compute.networks.delete bearer"), "{calls:?}");
}

#[test]
fn emulator_endpoints_without_credentials_get_unauthenticated_calls() {
    let gcp = gcp_test();
    let tf = gcp.terraform();
    tf.config(&format!("{}{NETWORK}", gcp.provider()));
    tf.init();
    tf.apply();
    tf.ok(&["destroy", "-auto-approve"]);
    let calls = gcp.auth_calls();
    assert!(!calls.is_empty());
    assert!(calls.iter().all(|c| c.ends_with(" none")), "{calls:?}");
}
