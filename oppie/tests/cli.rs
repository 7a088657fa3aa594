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
    let out = oppie(work.path(), &["drift", "--unmanaged", "--plan", "bad.json", "--no-policy"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("does not apply to --plan files"), "{}", text(&out));
    let out = oppie(work.path(), &["drift", "--remediate", "revert", "--plan", "bad.json", "--no-policy"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("does not apply to --plan files"), "{}", text(&out));
    // A Terraform older than 1.14 has no `query`: said before any scan runs.
    let old = work.path().join("terraform-1.0");
    std::fs::write(&old, "#!/bin/sh\necho '{\"terraform_version\":\"1.0.3\"}'\n").unwrap();
    std::fs::set_permissions(&old, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = oppie(work.path(), &["drift", ".", "--unmanaged", "--no-policy", "--terraform", old.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("needs Terraform 1.14 or later; ") && text(&out).contains("is 1.0.3"),
        "{}",
        text(&out)
    );
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

/// A webhook receiver on loopback: answers `status` to every POST and keeps the JSON bodies.
fn webhook(status: u16) -> (String, std::sync::mpsc::Receiver<serde_json::Value>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/services/T0/B0/hook-secret", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut line, mut length, mut json) = (String::new(), 0usize, false);
            reader.read_line(&mut line).unwrap();
            assert!(line.starts_with("POST /services/T0/B0/hook-secret "), "{line}");
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                json |= lower.starts_with("content-type: application/json");
                if line == "\r\n" || line.is_empty() {
                    break;
                }
            }
            assert!(json, "the body is JSON");
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let _ = tx.send(serde_json::from_slice(&body).unwrap());
            let _ = write!(stream, "HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    (url, rx)
}

#[test]
fn notify_alerts_each_item_once_when_it_appears_and_once_when_resolved() {
    let work = tempfile::tempdir().unwrap();
    let plan = work.path().join("plan.json");
    std::fs::copy(fixture("drift-plan.json"), &plan).unwrap();
    let (url, bodies) = webhook(200);
    let policy = policies();
    let scan = |extra: &[&str]| {
        let mut args = vec!["drift", "--plan", "plan.json", "--policy", policy.to_str().unwrap(), "--notify", &url];
        args.extend_from_slice(extra);
        oppie(work.path(), &args)
    };
    let out = scan(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let first = bodies.recv_timeout(std::time::Duration::from_secs(10)).expect("an alert");
    let message = first["text"].as_str().unwrap();
    assert!(message.contains("*oppie drift* `plan.json`: 5 new, 0 resolved"), "{message}");
    assert!(message.contains("new critical: `oppie_firewall.web` ingress[0].sources (OPP-NET-001)"), "{message}");
    assert!(!message.contains("hunter2"), "no value is alerted: {message}");
    // The same drift again: already alerted.
    let out = scan(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(bodies.recv_timeout(std::time::Duration::from_millis(500)).is_err(), "alerted twice");
    // Resolved: one more alert.
    std::fs::copy(fixture("no-drift-plan.json"), &plan).unwrap();
    let out = scan(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let last = bodies.recv_timeout(std::time::Duration::from_secs(10)).expect("a resolved alert");
    assert!(last["text"].as_str().unwrap().contains(": 0 new, 5 resolved"), "{last:#}");

    // A receiver that refuses, and a plain-http URL off loopback: exit 2, the URL never printed.
    std::fs::copy(fixture("drift-plan.json"), &plan).unwrap();
    let (refusing, _bodies) = webhook(404);
    let out = oppie(work.path(), &["drift", "--plan", "plan.json", "--no-policy", "--notify", &refusing]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("the receiver answered 404") && !text(&out).contains("hook-secret"), "{}", text(&out));
    let out = oppie(
        work.path(),
        &["drift", "--plan", "plan.json", "--no-policy", "--notify", "http://hooks.example.com/hook-secret"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("use https") && !text(&out).contains("hook-secret"), "{}", text(&out));
}
