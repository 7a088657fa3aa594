//! Nothing secret in logs or state beyond what Terraform marks sensitive: the user data
//! and the AWS secret key never reach `TF_LOG=trace` output, and the key never reaches state.

use base64::Engine as _;
use oppie_e2e::aws::{SECRET_KEY, aws_test};

use super::{CLOUD_INIT, stack};

#[test]
fn user_data_and_credentials_stay_out_of_logs_and_state() {
    let aws = aws_test();
    let mut tf = aws.terraform();
    let log = tf.dir().join("trace.log");
    tf.env("TF_LOG", "trace");
    tf.env("TF_LOG_PATH", &log.display().to_string());
    tf.config(&stack(&aws.endpoint()));
    tf.write("cloud-init.yaml", CLOUD_INIT);
    tf.init();
    tf.apply();
    tf.ok(&["plan"]);
    let trace = std::fs::read_to_string(&log).expect("trace log");
    assert!(trace.contains("provider.terraform-provider-oppie"), "provider logs are in the trace");
    let canary = "oppie-user-data-canary-7731";
    let encoded = base64::engine::general_purpose::STANDARD.encode(CLOUD_INIT);
    for (what, secret) in [("user data", canary), ("encoded user data", encoded.as_str()), ("secret key", SECRET_KEY)] {
        assert!(!trace.contains(secret), "{what} leaked into TF_LOG=trace output");
    }
    let state = std::fs::read_to_string(tf.dir().join("terraform.tfstate")).expect("state");
    assert!(!state.contains(SECRET_KEY), "secret key in state");
    // user_data is in state only as the attribute Terraform marks sensitive.
    let json: serde_json::Value = serde_json::from_str(&state).expect("state json");
    let inst = json["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["type"] == "oppie_instance"))
        .expect("instance");
    let sensitive = inst["instances"][0]["sensitive_attributes"].to_string();
    assert!(sensitive.contains("user_data"), "{sensitive}");
    assert_eq!(state.matches(canary).count(), 1, "only the user_data attribute holds it");
    let shown = tf.ok(&["show"]).stdout;
    assert!(!shown.contains(canary), "terraform show redacts it");
    tf.ok(&["destroy", "-auto-approve"]);
}
