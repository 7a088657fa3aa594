//! conftest's contract through the binary: namespace selection, --combine, and the Rego v0
//! constructs of Regula-style libraries that once gave no findings (PATCHES.md 1-3, 7 and the
//! import written out in a package below the imported one).

use std::path::Path;
use std::process::Command;

fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    std::fs::write(dir.path().join("plan.json"), r#"{"format_version":"1.2","resource_changes":[]}"#).unwrap();
    std::fs::write(dir.path().join("other.json"), r#"{"format_version":"1.2","resource_changes":[]}"#).unwrap();
    dir
}

/// The messages of `check --format json`, sorted.
fn messages(dir: &Path, args: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_oppie-policy"))
        .args(["check", "--format", "json", "--no-costs"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut all: Vec<String> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap().iter())
        .map(|f| f["message"].as_str().unwrap_or_default().to_string())
        .collect();
    all.sort();
    all
}

#[test]
fn namespaces_are_selected_as_conftest_does() {
    let dir = workspace(&[
        ("p/main.rego", "package main\ndeny[\"main\"] { true }\n"),
        ("p/gke.rego", "package main.gke\ndeny[\"gke\"] { true }\n"),
        ("p/other.rego", "package other\nwarn[\"other\"] { true }\n"),
    ]);
    let d = dir.path();
    assert_eq!(messages(d, &["plan.json", "-p", "p"]), ["main"], "default: conftest's main only");
    assert_eq!(messages(d, &["plan.json", "-p", "p", "-n", "main"]), ["main"], "-n is exact");
    assert_eq!(messages(d, &["plan.json", "-p", "p", "-n", "main.gke"]), ["gke"]);
    assert_eq!(messages(d, &["plan.json", "-p", "p", "--all-namespaces"]), ["gke", "main", "other"]);
    // Without a main package every package counts (the Oppie library's layout).
    let dir = workspace(&[("p/a.rego", "package team.a\ndeny[\"a\"] { true }\n")]);
    assert_eq!(messages(dir.path(), &["plan.json", "-p", "p"]), ["a"]);
}

#[test]
fn combine_evaluates_all_inputs_as_one_document() {
    let dir = workspace(&[(
        "p/main.rego",
        "package main\ndeny[msg] {\n  count(input) == 2\n  paths := {x.path | x := input[_]}\n  \
         msg := concat(\",\", sort([p | paths[p]]))\n}\n",
    )]);
    assert_eq!(messages(dir.path(), &["plan.json", "other.json", "-p", "p", "--combine"]), ["other.json,plan.json"]);
}

#[test]
fn regula_style_v0_constructs_give_findings() {
    let dir = workspace(&[
        // A package below the one it imports (Regula: `package fugue.regula` importing `data.fugue`).
        ("p/lib/fugue.rego", "package fugue\nresource_types := {\"aws_s3_bucket\", \"aws_instance\"}\n"),
        (
            "p/lib/regula.rego",
            "package fugue.regula\nimport data.fugue\n\n\
             t := \"shadowed by some\"\n\n\
             types[t] {\n  some t\n  fugue.resource_types[t]\n}\n\n\
             checks[c] { all([true, true]); not any([false]); re_match(\"^a\", \"abc\"); c := \"builtins\" }\n\n\
             paths[p] {\n  [path, value] := walk({\"a\": {\"b\": 1}})\n  value == 1\n  p := concat(\".\", path)\n}\n\n\
             chained[x] {\n  x := \"first\"\n} {\n  x := \"second\"\n}\n",
        ),
        (
            "p/main.rego",
            "package main\nimport data.fugue.regula\n\n\
             deny[msg] { some t; regula.types[t]; msg := sprintf(\"type %s\", [t]) }\n\
             deny[msg] { regula.checks[c]; msg := c }\n\
             deny[msg] { regula.paths[p]; msg := sprintf(\"path %s\", [p]) }\n\
             deny[msg] { regula.chained[x]; msg := x }\n",
        ),
    ]);
    assert_eq!(
        messages(dir.path(), &["plan.json", "-p", "p"]),
        ["builtins", "first", "path a.b", "second", "type aws_instance", "type aws_s3_bucket"]
    );
}
