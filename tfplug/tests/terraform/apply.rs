//! What a failed create leaves in state: a note whose id is known at plan time that
//! fails after it was written stays tracked (tainted) and is replaced next time.

use crate::harness::{Cli, Tf, state_instance};

#[test]
fn a_create_that_fails_after_the_object_exists_keeps_it_in_state_tainted() {
    let mut tf = Tf::new(Cli::Latest);
    tf.config("resource \"notes_note\" \"a\" {\n  name = \"a\"\n  body = \"b\"\n}\n");
    tf.init();
    tf.env("NOTES_FAIL_AFTER_CREATE", "1");
    let out = tf.run(&["apply", "-no-color", "-auto-approve"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.all().contains("Injected failure"), "{}", out.all());
    assert!(tf.notes_dir().join("a.json").exists(), "the note was written");
    let inst = state_instance(&tf.state_file(), "notes_note", "a");
    assert_eq!(inst["status"], "tainted", "{inst:#}");
    assert_eq!(inst["attributes"]["id"], "note-a", "{inst:#}");
    assert_eq!(inst["identity"]["name"], "a", "{inst:#}");

    tf.unset_env("NOTES_FAIL_AFTER_CREATE");
    let plan = tf.plan_json();
    let change = &plan["resource_changes"][0];
    assert_eq!(change["change"]["actions"], serde_json::json!(["delete", "create"]), "{change:#}");
    assert_eq!(change["action_reason"], "replace_because_tainted", "{change:#}");
    tf.ok(&["apply", "-no-color", "-auto-approve", "tfplan"]);
    tf.assert_no_changes();
}
