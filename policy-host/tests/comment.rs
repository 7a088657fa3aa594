//! `oppie-policy comment` against a local fake of GitHub's REST API (tests/tools/github_fake.py,
//! Python standard library only) that checks every request: the first run creates the comment,
//! the second updates the same one, with more than one page of other comments before it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

const TOKEN: &str = "ghs_fakeToken0123456789";
const REPO: &str = "acme/infra";
const PR: &str = "7";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

fn fixture(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path).display().to_string()
}

/// The fake, stopped when dropped (stdin closes, and it is killed).
struct Fake {
    child: Child,
    url: String,
}

impl Fake {
    fn start(seed_comments: usize) -> Fake {
        let python = std::env::var("OPPIE_PYTHON").unwrap_or_else(|_| "python3".into());
        let mut child = Command::new(python)
            .arg(root().join("tests/tools/github_fake.py"))
            .args(["--port", "0", "--token", TOKEN, "--repo", REPO, "--pr", PR, "--max-per-page", "20"])
            .args(["--seed-comments", &seed_comments.to_string(), "--stdin-lifeline"])
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
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn comment(args: &[&str], token: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_oppie-policy"));
    command.arg("comment").args(args);
    for var in ["GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH", "GITHUB_API_URL", "GITHUB_SHA", "RUST_LOG"] {
        command.env_remove(var);
    }
    if let Some(token) = token {
        command.env("GITHUB_TOKEN", token);
    }
    let output = command.output().expect("the binary runs");
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN), "the token was printed: {}", run.stderr);
    run
}

fn base_args(api: &str) -> Vec<String> {
    [fixture("plans/oppie.json").as_str(), "--policy", &fixture("levels"), "--repo", REPO, "--pr", PR, "--api-url", api]
        .map(str::to_string)
        .to_vec()
}

fn refs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn first_run_creates_second_run_updates_the_same_comment() {
    let fake = Fake::start(45);
    let args = base_args(&fake.url);
    let first = comment(&refs(&args), Some(TOKEN));
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    assert!(first.stderr.contains("created comment"), "{}", first.stderr);
    let state = fake.state();
    assert_eq!(state["violations"], serde_json::json!([]), "{state:#}");
    let comments = state["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 46);
    let ours = &comments[45];
    let body = ours["body"].as_str().unwrap();
    assert!(body.starts_with("<!-- oppie-policy:comment -->\n## oppie-policy: ❌ failed"), "{body}");
    assert!(body.contains("### Findings") && body.contains("### Monthly cost (USD)"), "{body}");
    // All three pages of 20 listed (following the fake's `Link` to /repositories/ID/...), then one POST.
    let requests: Vec<(String, String)> = state["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["method"].as_str().unwrap().to_string(), r["path"].as_str().unwrap().to_string()))
        .collect();
    let lists = requests.iter().filter(|(m, _)| m == "GET").count();
    assert_eq!(lists, 3, "{requests:?}");
    assert!(requests[1].1.starts_with("/repositories/"), "the next link is followed as given: {requests:?}");
    assert_eq!(requests.last().unwrap(), &("POST".to_string(), "/repos/acme/infra/issues/7/comments".to_string()));
    assert!(state["requests"][0]["user_agent"].as_str().unwrap().starts_with("oppie-policy/"));

    // The second run (another plan: fewer findings) finds it on page 3 and PATCHes it.
    let mut second_args = args.clone();
    second_args[0] = fixture("plans/clean.json");
    let second = comment(&refs(&second_args), Some(TOKEN));
    assert_eq!(second.code, 0, "{}{}", second.stdout, second.stderr);
    assert!(second.stderr.contains(&format!("updated comment {}", ours["id"])), "{}", second.stderr);
    let state = fake.state();
    assert_eq!(state["violations"], serde_json::json!([]), "{state:#}");
    let comments = state["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 46, "updated in place, not doubled");
    assert_eq!(comments[45]["id"], ours["id"]);
    assert!(comments[45]["body"].as_str().unwrap().contains("✅ passed"), "{}", comments[45]["body"]);
    let last = state["requests"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["method"], "PATCH");
    assert_eq!(last["path"], format!("/repos/acme/infra/issues/comments/{}", ours["id"]));
}

#[test]
fn the_pull_request_comes_from_the_event_and_a_base_plan_adds_the_cost_diff() {
    let fake = Fake::start(0);
    let event = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        event.path(),
        r#"{"action": "opened", "number": 7, "pull_request": {"number": 7, "head": {"sha": "0123abcd"}}}"#,
    )
    .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_oppie-policy"));
    command
        .args(["comment", &fixture("plans/oppie.json"), "--policy", &fixture("levels")])
        .args(["--base-plan", &fixture("plans/clean.json")])
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_EVENT_PATH", event.path())
        .env("GITHUB_API_URL", &fake.url)
        .env_remove("GITHUB_SHA");
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let state = fake.state();
    assert_eq!(state["violations"], serde_json::json!([]), "{state:#}");
    let body = state["comments"][0]["body"].as_str().unwrap();
    assert!(body.contains("Against the base branch"), "{body}");
}

#[test]
fn errors_say_what_to_change_and_never_show_the_token() {
    let fake = Fake::start(3);
    let args = base_args(&fake.url);
    let wrong = comment(&refs(&args), Some("ghs_wrongToken999"));
    assert_eq!(wrong.code, 2);
    assert!(wrong.stderr.contains("401") && wrong.stderr.contains("GITHUB_TOKEN"), "{}", wrong.stderr);
    assert!(!wrong.stderr.contains("ghs_wrongToken999"));

    let mut other = args.clone();
    other[6] = "8".into();
    let missing = comment(&refs(&other), Some(TOKEN));
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("404") && missing.stderr.contains("--pr 8"), "{}", missing.stderr);

    let none = comment(&refs(&args), None);
    assert_eq!(none.code, 2);
    assert!(none.stderr.contains("GITHUB_TOKEN is not set"), "{}", none.stderr);

    let mut plain = args.clone();
    plain[8] = "http://github.example.com/api/v3".into();
    let refused = comment(&refs(&plain), Some(TOKEN));
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("plain HTTP"), "{}", refused.stderr);
    assert_eq!(fake.state()["comments"].as_array().unwrap().len(), 3, "nothing was written");
}

#[test]
fn dry_run_prints_the_markdown_without_a_token() {
    let run = comment(&[&fixture("plans/oppie.json"), "--policy", &fixture("levels"), "--dry-run"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("<!-- oppie-policy:comment -->\n"), "{}", run.stdout);
    assert!(run.stdout.contains("### Findings"));
}
