//! Ephemeral resources and write-only arguments: the password reaches the note (the
//! "remote system") but never the plan or the state; Terraform 1.0 is refused
//! write-only arguments with a clear error and works for everything else.

use crate::harness::{Cli, Tf, state_instance};

const WITH_SECRET: &str = r#"
ephemeral "notes_password" "pw" {
  length = 24
}

resource "notes_note" "db" {
  name           = "db"
  body           = "database settings"
  secret_wo      = ephemeral.notes_password.pw.value
  secret_version = 1
}
"#;

fn stored_secret(tf: &Tf, name: &str) -> String {
    let text = std::fs::read_to_string(tf.notes_dir().join(format!("{name}.json"))).expect("note file");
    let v: serde_json::Value = serde_json::from_str(&text).expect("note JSON");
    v["secret"].as_str().unwrap_or_default().to_string()
}

#[test]
fn an_ephemeral_password_feeds_a_write_only_argument_and_leaves_no_trace() {
    let mut tf = Tf::new(Cli::Latest);
    // Repeatable passwords: the one opened at plan time equals the one applied.
    tf.env("NOTES_PASSWORD_SEED", "20261207");
    tf.config(WITH_SECRET);
    tf.init();
    let plan = tf.plan_json();
    let plan_file = std::fs::read(tf.dir().join("tfplan")).expect("plan file");
    tf.ok(&["apply", "-no-color", "-auto-approve", "tfplan"]);

    let canary = stored_secret(&tf, "db");
    assert_eq!(canary.len(), 24, "the note received the password");
    let plan_text = plan.to_string();
    assert!(!plan_text.contains(&canary), "password in plan JSON");
    assert!(!plan_file.windows(canary.len()).any(|w| w == canary.as_bytes()), "password in the plan file");
    let state_text = tf.read("terraform.tfstate");
    assert!(!state_text.contains(&canary), "password in the state file");
    assert!(!tf.state_json().to_string().contains(&canary), "password in show -json");
    let inst = state_instance(&tf.state_file(), "notes_note", "db");
    assert!(inst["attributes"]["secret_wo"].is_null(), "{inst:#}");
    // The ephemeral resource itself is never stored (only named as a dependency).
    let resources = tf.state_file()["resources"].as_array().cloned().unwrap_or_default();
    assert!(resources.iter().all(|r| r["type"] != "notes_password"), "{state_text}");
    let changes = plan["resource_changes"].as_array().unwrap();
    assert!(changes.iter().all(|c| c["type"] != "notes_password"), "{plan:#}");

    // Unchanged version: a new password is opened but not sent, and nothing changes.
    tf.assert_no_changes();
    // A new version sends the (new) password.
    tf.env("NOTES_PASSWORD_SEED", "42");
    tf.config(&WITH_SECRET.replace("secret_version = 1", "secret_version = 2"));
    tf.apply();
    let rotated = stored_secret(&tf, "db");
    assert_ne!(rotated, canary);
    assert!(!tf.read("terraform.tfstate").contains(&rotated));
}

#[test]
fn terraform_1_0_is_refused_write_only_arguments_with_a_clear_error() {
    let tf = Tf::new(Cli::V1_0);
    tf.config(
        "resource \"notes_note\" \"a\" {\n  name      = \"a\"\n  body      = \"b\"\n  secret_wo = \"hunter2-canary\"\n}\n",
    );
    tf.init();
    let out = tf.run(&["plan", "-no-color"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let all = out.all();
    assert!(all.contains("Write-only argument secret_wo not supported"), "{all}");
    assert!(all.contains("use Terraform 1.11"), "says what to do: {all}");
    assert!(all.contains("on main.tf line"), "points at the config: {all}");
    // Terraform quotes the config line; the provider's own text never repeats the value.
    assert_eq!(all.matches("hunter2-canary").count(), 1, "no secret in the message: {all}");
}

#[test]
fn terraform_1_0_still_manages_imports_and_destroys_notes() {
    let tf = Tf::new(Cli::V1_0);
    tf.note("old", r#"{"body":"by hand","color":"yellow"}"#);
    tf.config(
        "resource \"notes_note\" \"a\" {\n  name = \"a\"\n  body = \"b\"\n  tags = { k = \"v\" }\n}\n\nresource \"notes_note\" \"old\" {\n  name = \"old\"\n  body = \"by hand\"\n}\n",
    );
    tf.init();
    tf.ok(&["import", "-no-color", "notes_note.old", "old"]);
    tf.apply();
    tf.assert_no_changes();
    let state = tf.state_file();
    assert_eq!(state_instance(&state, "notes_note", "a")["attributes"]["id"], "note-a");
    assert!(state_instance(&state, "notes_note", "old")["attributes"]["color"] == "yellow");
    tf.config("resource \"notes_note\" \"a\" {\n  name = \"a\"\n  body = \"changed\"\n}\n");
    tf.apply();
    tf.assert_no_changes();
    tf.ok(&["destroy", "-no-color", "-auto-approve"]);
    assert!(!tf.notes_dir().join("a.json").exists());
}
