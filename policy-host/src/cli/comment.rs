//! `oppie-policy comment`: checks a plan, prices it (and a base plan), and creates or updates
//! one comment on the pull request through GitHub's REST API; `--dry-run` prints it instead.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use oppie_policy::comment::github::{Client, PullRequest};
use oppie_policy::comment::{self, Costs, Links, SourceRef};
use oppie_policy::cost::{self, CostReport, Decimal};
use oppie_policy::report::{FileReport, Report};
use oppie_policy::{Enforcement, Finding, Input};

use super::{EXIT_PASS, PolicyArgs};

#[derive(Debug, Args)]
pub(super) struct CommentArgs {
    /// The pull request's plan JSON (`terraform show -json`).
    #[arg(value_name = "PLAN.json")]
    plan: PathBuf,
    #[command(flatten)]
    policy: PolicyArgs,
    /// The base branch's plan JSON: the comment then shows the cost against it.
    #[arg(long, value_name = "PLAN.json")]
    base_plan: Option<PathBuf>,
    /// The repository, OWNER/NAME.
    #[arg(long, env = "GITHUB_REPOSITORY", value_name = "OWNER/NAME")]
    repo: Option<String>,
    /// The pull request number (default: from the event in GITHUB_EVENT_PATH).
    #[arg(long, value_name = "N")]
    pr: Option<u64>,
    /// GitHub's REST API (GitHub Enterprise: https://HOST/api/v3).
    #[arg(long, env = "GITHUB_API_URL", default_value = "https://api.github.com", value_name = "URL")]
    api_url: String,
    /// Where links to source files point (GitHub Enterprise: https://HOST).
    #[arg(
        long,
        env = "GITHUB_SERVER_URL",
        default_value = "https://github.com",
        value_name = "URL",
        hide_env_values = true
    )]
    server_url: String,
    /// The commit source links point at (default: the pull request's head from the event, else GITHUB_SHA).
    #[arg(long, value_name = "SHA")]
    sha: Option<String>,
    /// Findings at or above this level count as failures in the summary.
    #[arg(long, value_name = "LEVEL", default_value = "soft-mandatory")]
    fail_on: Enforcement,
    /// Print the comment's Markdown instead of posting it (no token needed).
    #[arg(long)]
    dry_run: bool,
}

pub(super) fn run(args: &CommentArgs) -> anyhow::Result<u8> {
    let event = read_event();
    let body = build_body(args, event.as_ref())?;
    if args.dry_run {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(body.as_bytes())?;
        stdout.flush()?;
        return Ok(EXIT_PASS);
    }
    let repo = args.repo.clone().context("no --repo given and GITHUB_REPOSITORY is not set: pass --repo OWNER/NAME")?;
    let number = args
        .pr
        .or_else(|| event.as_ref().and_then(pr_number))
        .context("no --pr given and the event in GITHUB_EVENT_PATH is not a pull request: pass --pr N")?;
    let pr = PullRequest::new(&repo, number)?;
    // The token comes from the environment only, so it never shows in a process list or a log.
    let token = std::env::var("GITHUB_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .context("GITHUB_TOKEN is not set: in a workflow, add `env: GITHUB_TOKEN: ${{ github.token }}` to the step")?;
    let client = Client::new(&args.api_url, token)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let done = runtime.block_on(client.upsert_comment(&pr, &body))?;
    eprintln!(
        "{} comment {} on {}#{}: {}",
        if done.created { "created" } else { "updated" },
        done.id,
        pr.repo,
        pr.number,
        done.html_url
    );
    Ok(EXIT_PASS)
}

/// Evaluates the policies on the plan (with its costs as `data.oppie.costs`, as `check` does),
/// prices the plan and the base plan, and renders the comment.
fn build_body(args: &CommentArgs, event: Option<&serde_json::Value>) -> anyhow::Result<String> {
    let input = super::check::read_input(&args.plan)?;
    let budgets = budgets(&args.policy.data)?;
    let head = cost::price(&input, &budgets);
    let mut builder = args.policy.builder()?.conftest_namespaces(true);
    if !head.monthly_by_address().is_empty() {
        builder = builder.data_document("<oppie-policy costs>", cost::costs_document(&head));
    }
    let policies = builder.build()?;
    let findings = policies.evaluate(&input);
    let report = Report {
        files: vec![FileReport::new(&input, findings, true)],
        rules: policies.rules().into_iter().cloned().collect(),
        fail_on: args.fail_on,
    };
    let base = match &args.base_plan {
        Some(path) => Some(price_base(path, &budgets)?),
        None => None,
    };
    let blob_base = args
        .repo
        .as_ref()
        .zip(commit(args, event))
        .map(|(repo, sha)| format!("{}/{repo}/blob/{sha}/", args.server_url.trim_end_matches('/')));
    let links = Links { blob_base, source: &source_location };
    Ok(comment::render(&report, &Costs { head: Some(&head), base: base.as_ref() }, &links))
}

/// The `.tf` file and line of a finding. The plan alone does not say; this is where the
/// resource-to-source mapping of `check --config-dir` (issue 20, item 1, branch issue-20a:
/// `FileReport::locate_sources` with a `locate::Locator`, then `FileReport::source_of` giving
/// `Lookup::Found(SourceLocation { file, line, .. })`) plugs in. Until it is on main, every
/// finding shows its plan file and line, and its resource address.
fn source_location(_file: &FileReport, _finding: &Finding) -> Option<SourceRef> {
    None
}

fn price_base(path: &std::path::Path, budgets: &BTreeMap<String, Decimal>) -> anyhow::Result<CostReport> {
    let input: Input =
        super::check::read_input(path).with_context(|| format!("reading --base-plan {}", path.display()))?;
    Ok(cost::price(&input, budgets))
}

/// `budgets` from the `--data` files (later files win), for the cost part.
fn budgets(data: &[PathBuf]) -> anyhow::Result<BTreeMap<String, Decimal>> {
    let mut budgets = BTreeMap::new();
    for path in data {
        if path.is_dir() {
            continue;
        }
        let bytes = std::fs::read(path).map_err(|e| oppie_policy::Error::io(path, e))?;
        let data = cost::parse_data_file(&path.display().to_string(), &bytes)?;
        budgets.extend(cost::budgets(&data));
    }
    Ok(budgets)
}

/// The webhook event GitHub Actions gives the job (`GITHUB_EVENT_PATH`), if any.
fn read_event() -> Option<serde_json::Value> {
    let path = std::env::var_os("GITHUB_EVENT_PATH")?;
    let text = std::fs::read(&path).ok()?;
    match serde_json::from_slice(&text) {
        Ok(value) => Some(value),
        Err(e) => {
            tracing::warn!("GITHUB_EVENT_PATH {}: not JSON ({e}); ignored", std::path::Path::new(&path).display());
            None
        }
    }
}

/// The pull request number of a `pull_request`/`pull_request_target` event, or of an
/// `issue_comment` on a pull request.
fn pr_number(event: &serde_json::Value) -> Option<u64> {
    event["pull_request"]["number"]
        .as_u64()
        .or_else(|| event["issue"]["pull_request"].is_object().then(|| event["issue"]["number"].as_u64()).flatten())
}

/// The commit source links name: `--sha`, the pull request's head, else `GITHUB_SHA` (which in
/// a `pull_request` job is a merge commit GitHub may later drop).
fn commit(args: &CommentArgs, event: Option<&serde_json::Value>) -> Option<String> {
    args.sha
        .clone()
        .or_else(|| event.and_then(|e| e["pull_request"]["head"]["sha"].as_str().map(str::to_string)))
        .or_else(|| std::env::var("GITHUB_SHA").ok())
        .filter(|sha| !sha.is_empty() && sha.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_request_numbers_come_from_the_event() {
        assert_eq!(pr_number(&serde_json::json!({"pull_request": {"number": 12}})), Some(12));
        assert_eq!(pr_number(&serde_json::json!({"issue": {"number": 5, "pull_request": {}}})), Some(5));
        assert_eq!(pr_number(&serde_json::json!({"issue": {"number": 5}})), None);
        assert_eq!(pr_number(&serde_json::json!({"push": {}})), None);
    }
}
