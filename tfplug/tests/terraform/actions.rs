//! Actions: invoked by `action_trigger` around a resource change and on demand with
//! `terraform apply -invoke`, streaming progress messages.

use crate::harness::{Cli, Tf};

fn stamped_note(body: &str) -> String {
    format!(
        r#"
resource "notes_note" "n" {{
  name = "n"
  body = "{body}"
  lifecycle {{
    action_trigger {{
      events  = [after_create, after_update]
      actions = [action.notes_stamp.s]
    }}
  }}
}}

action "notes_stamp" "s" {{
  config {{
    name = "n"
    text = "changed"
  }}
}}
"#
    )
}

#[test]
fn an_action_runs_from_a_trigger_and_from_invoke() {
    let tf = Tf::new(Cli::Latest);
    tf.config(&stamped_note("v1"));
    tf.init();
    let out = tf.apply();
    assert!(out.stdout.contains("stamping note n"), "progress shown:\n{}", out.all());
    assert!(out.stdout.contains("note n has 1 stamp(s)"), "{}", out.all());
    assert!(out.stdout.contains("Actions: 1 invoked"), "{}", out.all());
    let stamps = || std::fs::read_to_string(tf.notes_dir().join("n.stamps")).unwrap_or_default();
    assert_eq!(stamps().lines().count(), 1);

    // No change, no trigger.
    tf.assert_no_changes();
    assert_eq!(stamps().lines().count(), 1);

    // On demand.
    let out = tf.ok(&["apply", "-no-color", "-auto-approve", "-invoke=action.notes_stamp.s"]);
    assert!(out.stdout.contains("note n has 2 stamp(s)"), "{}", out.all());
    assert_eq!(stamps().lines().count(), 2);

    // An update triggers it again.
    tf.config(&stamped_note("v2"));
    let out = tf.apply();
    assert!(out.stdout.contains("1 changed"), "{}", out.all());
    assert_eq!(stamps().lines().count(), 3, "{}", out.all());
}

#[test]
fn an_action_failure_is_reported_against_the_action() {
    let tf = Tf::new(Cli::Latest);
    // Stamping a note whose log cannot be written: the notes dir is a file's child.
    tf.config(
        r#"
action "notes_stamp" "s" {
  config {
    name = "missing/deeper"
    text = "x"
  }
}
"#,
    );
    tf.init();
    let out = tf.run(&["apply", "-no-color", "-auto-approve", "-invoke=action.notes_stamp.s"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.all().contains("Cannot open stamp log"), "{}", out.all());
}
