//! `oppie drift --github-issue` against the local fake of GitHub's REST API
//! (tests/tools/github_fake.py, which checks every request's shape): one issue per scanned
//! directory, opened once, left alone when nothing changed, closed when no drift is left, reopened
//! (the same issue) when drift comes back; found again by its marker among other issues, over
//! several pages.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

const TOKEN: &str = "ghs_fakeIssueToken0123456789";
const REPO: &str = "acme/infra";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The fake, stopped when dropped.
struct Fake {
    child: Child,
    url: String,
}

impl Fake {
    fn start() -> Fake {
        let python = std::env::var("OPPIE_PYTHON").unwrap_or_else(|_| "python3".into());
        let mut child = Command::new(python)
            .arg(root().join("tests/tools/github_fake.py"))
            .args(["--port", "0", "--token", TOKEN, "--repo", REPO, "--max-per-page", "20", "--seed-issues", "45"])
            .arg("--stdin-lifeline")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the GitHub fake");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("fake said {line:?}")).to_string();
        Fake { child, url }
    }

    fn state(&self) -> Value {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            reqwest::get(format!("{}/_fake/state", self.url)).await.unwrap().json::<Value>().await.unwrap()
        })
    }

    /// Our issues (the fake's bot created them).
    fn ours(&self) -> Vec<Value> {
        let state = self.state();
        assert_eq!(state["violations"], serde_json::json!([]), "the fake saw bad requests");
        state["issues"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["user"]["login"] == "github-actions[bot]")
            .cloned()
            .collect()
    }

    fn writes(&self) -> usize {
        self.state()["requests"].as_array().unwrap().iter().filter(|r| r["method"] != "GET").count()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn drift(dir: &Path, api: &str, plans: &[&str], token: Option<&str>) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oppie"));
    cmd.arg("drift").args(["--no-policy", "--github-issue", REPO, "--github-api-url", api]).current_dir(dir);
    for plan in plans {
        cmd.args(["--plan", plan]);
    }
    cmd.env_remove("GITHUB_TOKEN").env_remove("GITHUB_API_URL").env_remove("OPPIE_DRIFT_STORE");
    if let Some(token) = token {
        cmd.env("GITHUB_TOKEN", token);
    }
    let out = cmd.output().expect("run oppie");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains(TOKEN), "the token was printed: {text}");
    (out.status.code(), text)
}

#[test]
fn one_issue_per_directory_opened_updated_closed_and_reopened() {
    let fake = Fake::start();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    std::fs::copy(fixture("drift-plan.json"), w.join("dev.json")).unwrap();
    std::fs::copy(fixture("drift-plan.json"), w.join("prod.json")).unwrap();

    let (code, text) = drift(w, &fake.url, &["dev.json"], Some(TOKEN));
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("dev.json: opened issue #"), "{text}");
    let ours = fake.ours();
    assert_eq!(ours.len(), 1, "{ours:#?}");
    let dev = &ours[0];
    let body = dev["body"].as_str().unwrap();
    assert!(body.starts_with("<!-- oppie-drift:issue dev.json -->\n## Drift in `dev.json`"), "{body}");
    assert!(body.contains("`oppie_instance.app` | deleted outside Terraform"), "{body}");
    assert!(!body.contains("hunter2") && !body.contains("0.0.0.0/0"), "values in the issue: {body}");
    assert_eq!(dev["title"], "Drift in dev.json");
    assert_eq!(dev["labels"][0]["name"], "oppie-drift");
    assert_eq!(dev["state"], "open");

    // The same drift again: found (past 2 pages of other issues), nothing written.
    let writes = fake.writes();
    let (code, text) = drift(w, &fake.url, &["dev.json", "prod.json"], Some(TOKEN));
    assert_eq!(code, Some(1), "{text}");
    assert!(!text.contains("dev.json: opened") && !text.contains("dev.json: updated"), "{text}");
    assert!(text.contains("prod.json: opened issue #"), "{text}");
    assert_eq!(fake.writes(), writes + 1, "only prod's issue was written");
    assert_eq!(fake.ours().len(), 2, "one issue per directory");
    let requests = fake.state()["requests"].clone();
    let paged = requests
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["path"] == "/repositories/424242/issues" && r["query"].as_str().unwrap().contains("page=2"));
    assert!(paged, "the search followed the next links: {requests:#}");

    // dev's drift resolved: its issue closes, prod's stays open.
    std::fs::copy(fixture("no-drift-plan.json"), w.join("dev.json")).unwrap();
    let (code, text) = drift(w, &fake.url, &["dev.json", "prod.json"], Some(TOKEN));
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("dev.json: no drift left, closed issue #"), "{text}");
    let ours = fake.ours();
    let dev_now = ours.iter().find(|i| i["number"] == dev["number"]).unwrap();
    assert_eq!((dev_now["state"].as_str(), dev_now["state_reason"].as_str()), (Some("closed"), Some("completed")));
    assert!(dev_now["body"].as_str().unwrap().contains("No drift left in `dev.json`"));
    assert_eq!(ours.iter().filter(|i| i["state"] == "open").count(), 1);

    // Still none: the closed issue is left alone.
    let writes = fake.writes();
    drift(w, &fake.url, &["dev.json"], Some(TOKEN));
    assert_eq!(fake.writes(), writes);

    // Drift is back: the same issue reopens, updated.
    std::fs::copy(fixture("drift-plan.json"), w.join("dev.json")).unwrap();
    let (_, text) = drift(w, &fake.url, &["dev.json"], Some(TOKEN));
    assert!(text.contains(&format!("dev.json: updated issue #{}", dev["number"])), "{text}");
    let ours = fake.ours();
    assert_eq!(ours.len(), 2, "no new issue: {ours:#?}");
    let dev_now = ours.iter().find(|i| i["number"] == dev["number"]).unwrap();
    assert_eq!(dev_now["state"], "open");
    assert_eq!(dev_now["body"], dev["body"]);
}

#[test]
fn no_token_or_a_plain_http_api_is_refused_before_scanning() {
    let work = tempfile::tempdir().unwrap();
    let plan = fixture("drift-plan.json");
    let (code, text) = drift(work.path(), "http://127.0.0.1:9", &[plan.to_str().unwrap()], None);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("GITHUB_TOKEN"), "{text}");
    assert!(!work.path().join(".oppie").exists(), "scanned anyway");
    let (code, text) = drift(work.path(), "http://github.example.com/api/v3", &[plan.to_str().unwrap()], Some(TOKEN));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("use https://"), "{text}");
    // Actions sets GITHUB_API_URL in every job: without --github-issue it changes nothing.
    let out = Command::new(env!("CARGO_BIN_EXE_oppie"))
        .args(["drift", "--no-policy", "--no-history", "--plan", plan.to_str().unwrap()])
        .env("GITHUB_API_URL", "https://api.github.com")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
}
