//! `oppie drift watch` with a stand-in Terraform that answers a saved refresh-only plan: rounds
//! over several directories, Prometheus metrics, history, and a clean stop on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A `terraform` that succeeds at `plan` and shows `plan_json` for `show -json`.
fn fake_terraform(dir: &Path, plan_json: &Path) -> std::path::PathBuf {
    let path = dir.join("terraform");
    let script = format!(
        "#!/bin/sh\ncase \"$1\" in\n  plan) exit 0 ;;\n  show) cat '{}' ;;\n  *) echo \"unexpected: $*\" >&2; exit 1 ;;\nesac\n",
        plan_json.display()
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path
}

fn scrape(addr: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n").unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[test]
fn watch_scans_every_directory_each_round_serves_metrics_and_stops_on_sigterm() {
    let work = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/drift-plan.json");
    let terraform = fake_terraform(work.path(), &fixture);
    for d in ["dev", "staging", "prod"] {
        std::fs::create_dir(work.path().join(d)).unwrap();
    }
    let db = work.path().join("drift.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_oppie"))
        .args(["drift", "watch", "dev", "staging", "prod", "--every", "1s", "--jitter", "1s", "--parallel", "2"])
        .args(["--metrics", "127.0.0.1:0", "--no-policy", "--format", "json", "--terraform"])
        .arg(&terraform)
        .arg("--db")
        .arg(&db)
        .current_dir(work.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr =
        line.trim().strip_prefix("oppie drift watch: metrics on http://").and_then(|l| l.strip_suffix("/metrics"));
    let addr = addr.unwrap_or_else(|| panic!("{line}")).to_string();

    // Two rounds over the three directories.
    let deadline = Instant::now() + Duration::from_secs(60);
    let metrics = loop {
        let text = scrape(&addr);
        if ["dev", "staging", "prod"]
            .iter()
            .all(|d| text.contains(&format!("oppie_drift_scans_total{{source=\"{d}\"}} 2")))
        {
            break text;
        }
        assert!(Instant::now() < deadline, "no second round in 60 s:\n{text}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(metrics.contains("oppie_drift_items{source=\"prod\",severity=\"high\"}"), "{metrics}");
    assert!(metrics.contains("oppie_drift_last_success_timestamp_seconds{source=\"dev\"}"), "{metrics}");
    assert!(!metrics.contains("oppie_drift_scan_failures_total{"), "{metrics}");

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        assert!(Instant::now() < deadline, "still running 30 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut rest = String::new();
    let _ = stderr.read_to_string(&mut rest);
    assert_eq!(code, Some(0), "{rest}");
    assert!(rest.contains("stopping after the scans in flight") && rest.contains("stopped after"), "{rest}");

    // Every round is in the history.
    let out = Command::new(env!("CARGO_BIN_EXE_oppie"))
        .args(["drift", "history", "--format", "json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sources: std::collections::BTreeSet<String> =
        rows.as_array().unwrap().iter().map(|r| r["source"].as_str().unwrap().to_string()).collect();
    assert_eq!(sources.len(), 3, "{sources:?}");
}

#[test]
fn watch_refuses_what_it_cannot_schedule() {
    let work = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_oppie")).args(args).current_dir(work.path()).output().unwrap();
        (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    };
    let (code, text) = run(&["drift", "watch", ".", "--every", "soon", "--no-policy"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("not a duration such as 30s"), "{text}");
    let (code, text) = run(&["drift", "watch", "--plan", "x.json", "--no-policy"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("--plan does not apply"), "{text}");
    let (code, text) = run(&["drift", "watch", "missing", "--no-policy"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("missing is not a directory"), "{text}");
}
