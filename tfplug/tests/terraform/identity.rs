//! Resource identity: stored with state, `import` blocks by identity and by id, and
//! the upgrade of an identity written by an older identity version.

use crate::harness::{Cli, Tf, state_instance};

fn import_by_identity(protocol: Option<&str>) {
    let mut tf = Tf::new(Cli::Latest);
    if let Some(p) = protocol {
        tf.env("TFPLUG_PROTOCOL", p);
    }
    tf.note("adopted", r#"{"body":"made by hand","color":"green","tags":{"team":"ops"}}"#);
    tf.note("by_id", r#"{"body":"also by hand","color":"yellow"}"#);
    tf.config(
        r#"
import {
  to       = notes_note.adopted
  identity = { name = "adopted" }
}

resource "notes_note" "adopted" {
  name  = "adopted"
  body  = "made by hand"
  color = "green"
  tags  = { team = "ops" }
}

import {
  to = notes_note.by_id
  id = "by_id"
}

resource "notes_note" "by_id" {
  name = "by_id"
  body = "also by hand"
}
"#,
    );
    tf.init();
    let (out, log) = tf.run_logged(&["plan", "-no-color"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let rpc = if protocol == Some("5") {
        "GRPCProvider: ImportResourceState"
    } else {
        "GRPCProvider.v6: ImportResourceState"
    };
    assert!(log.contains(rpc), "expected {rpc} in the trace");
    let plan = tf.plan_json();
    let changes = plan["resource_changes"].as_array().expect("resource_changes");
    assert_eq!(changes.len(), 2, "{plan:#}");
    for c in changes {
        assert_eq!(c["change"]["actions"], serde_json::json!(["no-op"]), "import only: {c:#}");
        assert!(c["change"]["importing"].is_object(), "{c:#}");
        assert_eq!(c["change"]["after_identity"]["name"], c["name"], "{c:#}");
    }
    let adopted = changes.iter().find(|c| c["name"] == "adopted").unwrap();
    assert_eq!(adopted["change"]["importing"]["identity"]["name"], "adopted", "{adopted:#}");
    tf.ok(&["apply", "-no-color", "-auto-approve", "tfplan"]);
    let state = tf.state_file();
    for name in ["adopted", "by_id"] {
        let inst = state_instance(&state, "notes_note", name);
        assert_eq!(inst["identity"]["name"], name, "{inst:#}");
        assert_eq!(inst["identity_schema_version"], 1, "{inst:#}");
        assert_eq!(inst["attributes"]["id"], format!("note-{name}"));
    }
    tf.assert_no_changes();
}

#[test]
fn import_blocks_adopt_notes_by_identity_and_by_id() {
    import_by_identity(None);
}

#[test]
fn import_by_identity_over_protocol_5() {
    import_by_identity(Some("5"));
}

#[test]
fn an_identity_of_an_older_version_is_upgraded() {
    let tf = Tf::new(Cli::Latest);
    tf.config("resource \"notes_note\" \"a\" {\n  name = \"a\"\n  body = \"x\"\n}\n");
    tf.init();
    tf.apply();
    // Rewrite the stored identity as version 0 wrote it ({"note": ...}).
    let mut state = tf.state_file();
    let inst = &mut state["resources"][0]["instances"][0];
    inst["identity_schema_version"] = 0.into();
    inst["identity"] = serde_json::json!({ "note": "a" });
    tf.write("terraform.tfstate", &state.to_string());
    tf.ok(&["apply", "-no-color", "-auto-approve", "-refresh-only"]);
    let inst = state_instance(&tf.state_file(), "notes_note", "a");
    assert_eq!(inst["identity_schema_version"], 1, "{inst:#}");
    assert_eq!(inst["identity"], serde_json::json!({ "name": "a" }), "{inst:#}");
    tf.assert_no_changes();
}

#[test]
fn import_of_a_missing_note_by_identity_says_so() {
    let tf = Tf::new(Cli::Latest);
    tf.config(
        "import {\n  to = notes_note.x\n  identity = { name = \"nope\" }\n}\nresource \"notes_note\" \"x\" {\n  name = \"nope\"\n  body = \"b\"\n}\n",
    );
    tf.init();
    let out = tf.run(&["plan", "-no-color"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.all().contains("Cannot import non-existent remote object"), "{}", out.all());
}

#[test]
fn plan_generates_config_for_an_import_block_without_a_resource() {
    let tf = Tf::new(Cli::Latest);
    tf.note("loose", r#"{"body":"no config yet","color":"red","tags":{"a":"b"}}"#);
    tf.config("import {\n  to       = notes_note.loose\n  identity = { name = \"loose\" }\n}\n");
    tf.init();
    tf.ok(&["plan", "-no-color", "-generate-config-out=generated.tf"]);
    let generated = tf.read("generated.tf");
    assert!(generated.contains("resource \"notes_note\" \"loose\""), "{generated}");
    assert!(generated.contains("color          = \"red\""), "{generated}");
    let plan = tf.plan_json();
    let change = &plan["resource_changes"][0];
    assert_eq!(change["change"]["actions"], serde_json::json!(["no-op"]), "{change:#}\n{generated}");
    assert!(change["change"]["importing"].is_object());
}
