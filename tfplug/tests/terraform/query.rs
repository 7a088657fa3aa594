//! `terraform query`: list blocks stream what exists, `limit` and `include_resource`
//! are honoured, and `-generate-config-out` writes config whose import plans clean.

use crate::harness::{Cli, Tf, json};

const LIST: &str = r#"
list "notes_note" "found" {
  provider = notes
  config {
    prefix = "found"
  }
}
"#;

fn found_notes(tf: &Tf) {
    tf.note("found_a", r#"{"body":"first","color":"blue","tags":{"team":"ops","tier":"db"}}"#);
    tf.note("found_b", r#"{"body":"second \"quoted\"\nline two","color":"yellow"}"#);
    tf.note("found_c", r#"{"body":"third","color":"red"}"#);
    tf.note("elsewhere", r#"{"body":"not matched","color":"yellow"}"#);
}

fn events(out: &str) -> Vec<serde_json::Value> {
    out.lines().filter(|l| l.starts_with('{')).map(json).collect()
}

fn query_generates_importable_config(protocol: Option<&str>) {
    let mut tf = Tf::new(Cli::Latest);
    if let Some(p) = protocol {
        tf.env("TFPLUG_PROTOCOL", p);
    }
    found_notes(&tf);
    tf.config("");
    tf.write("found.tfquery.hcl", LIST);
    tf.init();

    let (out, log) = tf.run_logged(&["query", "-no-color"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let rpc = if protocol == Some("5") { "GRPCProvider: ListResource" } else { "GRPCProvider.v6: ListResource" };
    assert!(log.contains(rpc), "expected {rpc} in the trace");
    for name in ["found_a", "found_b", "found_c"] {
        assert!(out.stdout.contains(name), "{name} missing:\n{}", out.all());
    }
    assert!(!out.stdout.contains("elsewhere"), "the prefix filter is the provider's:\n{}", out.all());

    tf.ok(&["query", "-no-color", "-generate-config-out=generated.tf"]);
    let generated = tf.read("generated.tf");
    assert_eq!(generated.matches("import {").count(), 3, "{generated}");
    assert!(generated.contains("identity = {"), "imports by identity:\n{generated}");
    assert!(!generated.contains("id        ="), "computed id left out:\n{generated}");
    // The generated config plus its import blocks: imports only, nothing else.
    let plan = tf.plan_json();
    let changes = plan["resource_changes"].as_array().expect("resource_changes");
    assert_eq!(changes.len(), 3, "{plan:#}");
    for c in changes {
        assert_eq!(c["change"]["actions"], serde_json::json!(["no-op"]), "{c:#}\n{generated}");
        assert!(c["change"]["importing"].is_object(), "{c:#}");
    }
    tf.ok(&["apply", "-no-color", "-auto-approve", "tfplan"]);
    tf.assert_no_changes();
}

#[test]
fn query_finds_notes_and_generated_config_imports_without_changes() {
    query_generates_importable_config(None);
}

#[test]
fn query_over_protocol_5() {
    query_generates_importable_config(Some("5"));
}

#[test]
fn query_honours_limit_and_include_resource() {
    let tf = Tf::new(Cli::Latest);
    found_notes(&tf);
    tf.config("");
    tf.write(
        "q.tfquery.hcl",
        r#"
list "notes_note" "two" {
  provider         = notes
  limit            = 2
  include_resource = true
}

list "notes_note" "bare" {
  provider = notes
  config {
    prefix = "found_a"
  }
}
"#,
    );
    tf.init();
    let out = tf.ok(&["query", "-json"]);
    let events = events(&out.stdout);
    let found = |addr: &str| -> Vec<&serde_json::Value> {
        events
            .iter()
            .filter(|e| e["type"] == "list_resource_found" && e["list_resource_found"]["address"] == addr)
            .map(|e| &e["list_resource_found"])
            .collect()
    };
    let two = found("list.notes_note.two");
    assert_eq!(two.len(), 2, "{}", out.stdout);
    for r in &two {
        let obj = &r["resource_object"];
        assert_eq!(obj["name"], r["identity"]["name"], "{r:#}");
        assert!(obj["body"].is_string(), "the full object, read through the resource: {r:#}");
        assert!(obj["secret_wo"].is_null());
    }
    let bare = found("list.notes_note.bare");
    assert_eq!(bare.len(), 1, "{}", out.stdout);
    assert!(bare[0].get("resource_object").is_none(), "not asked for: {:#}", bare[0]);
    assert_eq!(bare[0]["identity"], serde_json::json!({ "name": "found_a" }));
    assert_eq!(bare[0]["identity_version"], 1);
}

#[test]
fn a_list_block_with_an_invalid_config_is_refused() {
    let tf = Tf::new(Cli::Latest);
    tf.config("");
    tf.write("q.tfquery.hcl", "list \"notes_note\" \"x\" {\n  provider = notes\n  config {\n    nope = 1\n  }\n}\n");
    tf.init();
    let out = tf.run(&["query", "-no-color"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.all().contains("nope"), "{}", out.all());
}
