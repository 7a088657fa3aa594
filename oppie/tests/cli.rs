//! The `oppie drift` command on saved plan JSON: severities from the policy library, output
//! formats, exit codes, history and masking.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn policies() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies")
}

fn oppie(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oppie")).args(args).current_dir(dir).output().expect("run oppie")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn an_opened_firewall_is_critical_by_policy_and_a_tag_edit_is_low() {
    let work = tempfile::tempdir().unwrap();
    let plan = fixture("drift-plan.json");
    let policy = policies();
    let out = oppie(
        work.path(),
        &["drift", "--plan", plan.to_str().unwrap(), "--policy", policy.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = doc["sources"][0]["items"].as_array().unwrap();
    let find = |address: &str, path: &str| {
        items
            .iter()
            .find(|i| i["address"] == address && i["path"] == path)
            .unwrap_or_else(|| panic!("no {address} {path} in {items:#?}"))
    };
    let open = find("oppie_firewall.web", "ingress[0].sources");
    assert_eq!(open["severity"], "critical");
    assert_eq!(open["rules"][0]["rule_id"], "OPP-NET-001");
    assert_eq!(open["before"], serde_json::json!(["10.0.0.0/8"]));
    assert_eq!(open["after"], serde_json::json!(["0.0.0.0/0"]));
    let tag = find("oppie_firewall.web", "tags.team");
    assert_eq!((tag["severity"].as_str(), tag["category"].as_str()), (Some("low"), Some("tags")));
    assert!(tag.get("rules").is_none(), "{tag}");
    let gone = find("oppie_instance.app", "");
    assert_eq!((gone["kind"].as_str(), gone["severity"].as_str()), (Some("deleted"), Some("high")));
    assert_eq!(gone["remediation"]["revert"], "terraform apply -target='oppie_instance.app'");
    let secret = find("example_database.main", "password");
    assert_eq!(secret["after"], "(sensitive)");
    assert!(!text(&out).contains("hunter2"), "a sensitive value was printed");
}

#[test]
fn every_format_renders_and_exit_codes_follow_fail_on() {
    let work = tempfile::tempdir().unwrap();
    let plan = fixture("drift-plan.json");
    let policy = policies();
    let base = ["drift", "--plan", plan.to_str().unwrap(), "--policy", policy.to_str().unwrap(), "--no-history"];
    for (format, marker) in [
        ("text", "CRITICAL oppie_firewall.web ingress[0].sources"),
        ("markdown", "| critical | `oppie_firewall.web` |"),
        ("sarif", "\"ruleId\": \"OPP-NET-001\""),
        ("junit", "<testsuite name="),
    ] {
        let mut args = base.to_vec();
        args.extend(["--format", format, "--fail-on", "critical"]);
        let out = oppie(work.path(), &args);
        assert_eq!(out.status.code(), Some(1), "{format}: {}", text(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains(marker), "{format}: {}", text(&out));
        assert!(!text(&out).contains("hunter2"), "{format} printed a sensitive value");
    }
    // Nothing here is rated above critical, and with policies off the firewall is only high.
    let out = oppie(
        work.path(),
        &["drift", "--plan", plan.to_str().unwrap(), "--no-policy", "--no-history", "--fail-on", "critical"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("HIGH     oppie_firewall.web ingress[0].sources"), "{}", text(&out));
    let none = fixture("no-drift-plan.json");
    let out = oppie(work.path(), &["drift", "--plan", none.to_str().unwrap(), "--no-policy", "--no-history"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("no drift"));
    assert!(!work.path().join(".oppie").exists(), "--no-history wrote a database");
}

#[test]
fn bad_input_and_usage_exit_2_with_a_clear_message() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("bad.json"), r#"{"format_version":"1.2","resource_drift":{"x":1}}"#).unwrap();
    let out = oppie(work.path(), &["drift", "--plan", "bad.json", "--no-policy"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("bad.json: `resource_drift` is an object, expected an array"), "{}", text(&out));
    let out = oppie(work.path(), &["drift", "--plan", "missing.json", "--no-policy"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = oppie(work.path(), &["drift", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = oppie(work.path(), &["drift", ".", "--terraform", "/nonexistent/terraform", "--no-policy"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("--terraform"), "{}", text(&out));
    let out = oppie(work.path(), &["drift", "--unmanaged", "--no-policy"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("terraform query"), "{}", text(&out));
}

#[test]
fn history_shows_appeared_and_resolved_across_scans() {
    let work = tempfile::tempdir().unwrap();
    let plan = work.path().join("plan.json");
    std::fs::copy(fixture("drift-plan.json"), &plan).unwrap();
    let out = oppie(work.path(), &["drift", "--plan", "plan.json", "--no-policy"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(work.path().join(".oppie/drift.db").exists());
    let out = oppie(work.path(), &["drift", "history"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("oppie_firewall.web ingress[0].sources"), "{shown}");
    assert!(shown.contains("open (last seen"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
    // The same source scanned again without drift: everything is resolved.
    std::fs::copy(fixture("no-drift-plan.json"), &plan).unwrap();
    let out = oppie(work.path(), &["drift", "--plan", "plan.json", "--no-policy"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = oppie(work.path(), &["drift", "history", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 5, "{rows:#?}");
    assert!(
        rows.iter().all(|r| r["resolved_at"].is_string() && r["seconds_to_resolve"].as_i64().is_some_and(|s| s >= 0))
    );
    let out = oppie(work.path(), &["drift", "history"]);
    assert!(text(&out).contains("resolved "), "{}", text(&out));
}
