//! `oppie drift`: scan directories or plan files, rate, remediate, record, report.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use oppie::drift::terraform::Terraform;
use oppie::history::History;
use oppie::remediate::{AcceptPatches, Remediation, revert_command};
use oppie::report::{Format, Report, Scanned};
use oppie_policy::{PolicySet, Severity};

use super::{EXIT_DRIFT, EXIT_ERROR, EXIT_OK};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(super) struct DriftArgs {
    #[command(subcommand)]
    command: Option<DriftCommand>,
    #[command(flatten)]
    scan: ScanArgs,
}

#[derive(Debug, Subcommand)]
enum DriftCommand {
    /// When each drift item appeared and was resolved, and the time to resolve.
    History(super::history::HistoryArgs),
    /// Scan on a schedule (`--every 15m --jitter 2m`), serving Prometheus metrics.
    Watch(Box<super::watch::WatchArgs>),
}

#[derive(Debug, Clone, Args)]
pub(super) struct ScanArgs {
    /// Terraform working directories to scan (`terraform init` done). Default: the current directory.
    #[arg(value_name = "DIR")]
    pub(super) dirs: Vec<PathBuf>,
    /// Read an existing plan JSON (`terraform show -json` of a `plan -refresh-only`) instead of
    /// running Terraform. Repeatable.
    #[arg(long = "plan", value_name = "FILE")]
    pub(super) plans: Vec<PathBuf>,
    /// The Terraform CLI to run.
    #[arg(long, value_name = "PATH", default_value = "terraform", env = "OPPIE_TERRAFORM")]
    pub(super) terraform: PathBuf,
    /// Policy directories or bundles whose rules rate drift (default: ./policies or ./policy when present).
    #[arg(long = "policy", value_name = "DIR")]
    policies: Vec<PathBuf>,
    /// Rate drift by attribute kind only.
    #[arg(long, conflicts_with = "policies")]
    no_policy: bool,
    /// Time budget of one policy rule; a rule over it rates nothing (a warning says which).
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    rule_timeout: u64,
    /// Output format.
    #[arg(short, long, value_name = "text|json|markdown|sarif|junit", default_value = "text")]
    pub(super) format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(super) output: Option<PathBuf>,
    /// Exit 1 when an item is at or above this severity.
    #[arg(long, value_name = "SEVERITY", default_value = "low")]
    fail_on: Severity,
    /// The history store: a SQLite file, or a PostgreSQL URL (`postgres://USER:PASSWORD@HOST/DB`,
    /// through a socket or a loopback address) shared by a team's scanners. Also from
    /// OPPIE_DRIFT_STORE, which keeps a password off the command line.
    #[arg(
        long,
        alias = "db",
        value_name = "PATH|URL",
        default_value = ".oppie/drift.db",
        env = "OPPIE_DRIFT_STORE",
        hide_env_values = true
    )]
    pub(super) store: String,
    /// Do not record this scan in the history.
    #[arg(long, conflicts_with = "notify")]
    no_history: bool,
    /// Post a Slack-compatible JSON message to this webhook URL for the items that appeared or
    /// were resolved since the last scan (from the history: each is alerted once). https, or plain
    /// http to loopback only. Also from OPPIE_NOTIFY_URL.
    #[arg(long, value_name = "URL", env = "OPPIE_NOTIFY_URL", hide_env_values = true)]
    notify: Option<String>,
    /// Keep one GitHub issue per scanned directory in OWNER/REPO: opened when it drifts, updated in
    /// place (found again by a hidden marker naming the directory as given here), closed when no
    /// drift is left. The token comes from GITHUB_TOKEN (`permissions: issues: write`).
    #[arg(long, value_name = "OWNER/REPO")]
    github_issue: Option<String>,
    /// The GitHub REST API for --github-issue (GitHub Enterprise: https://HOST/api/v3). Not
    /// `requires`: Actions sets GITHUB_API_URL in every job, also those without --github-issue.
    #[arg(long, value_name = "URL", env = "GITHUB_API_URL", default_value = "https://api.github.com")]
    github_api_url: String,
    /// Write the accept patches (printed as unified diffs) into the .tf files.
    #[arg(long)]
    write: bool,
    /// Also report cloud objects no state manages, found with `terraform query` (Terraform 1.14+):
    /// the directory's `.tfquery.hcl` list blocks, else blocks generated from its state (the
    /// listable oppie kinds, clouds, regions and common tags it uses). Each comes with the import
    /// and resource blocks that adopt it.
    #[arg(long)]
    pub(super) unmanaged: bool,
    /// Apply a remediation: `revert` runs one targeted `terraform apply` per directory for the
    /// items at or above --min-severity; never when it would destroy or replace anything.
    #[arg(long, value_name = "revert")]
    remediate: Option<RemediateMode>,
    /// The lowest severity `--remediate` acts on.
    #[arg(long, value_name = "SEVERITY", default_value = "high", requires = "remediate")]
    min_severity: Severity,
    /// The most resources one directory's revert may change; more refuses the revert.
    #[arg(long, value_name = "N", default_value_t = 10, requires = "remediate")]
    max_changes: usize,
}

/// What `--remediate` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum RemediateMode {
    /// Restore the configuration (`terraform apply -target=...`).
    Revert,
}

pub(super) fn run(args: DriftArgs) -> anyhow::Result<u8> {
    match args.command {
        Some(DriftCommand::History(history)) => super::history::run(history),
        Some(DriftCommand::Watch(watch)) => super::watch::run(*watch),
        None => scan(args.scan),
    }
}

fn scan(mut args: ScanArgs) -> anyhow::Result<u8> {
    if args.unmanaged && !args.plans.is_empty() {
        eprintln!("error: --unmanaged lists the clouds from a working directory; it does not apply to --plan files");
        return Ok(EXIT_ERROR);
    }
    if args.remediate.is_some() && !args.plans.is_empty() {
        eprintln!("error: --remediate applies in a working directory; it does not apply to --plan files");
        return Ok(EXIT_ERROR);
    }
    if args.dirs.is_empty() && args.plans.is_empty() {
        args.dirs.push(PathBuf::from("."));
    }
    let policies = load_policies(&args)?;
    let terraform = Terraform::new(&args.terraform);
    if args.unmanaged {
        terraform.require_query()?;
    }
    // Checked before scanning: a bad repository or a missing token is not found after the scan.
    github_issues(&args)?;
    let done = scan_once(&args, policies.as_ref(), &terraform)?;
    let rendered = done.report.render(args.format);
    match &args.output {
        Some(path) => std::fs::write(path, rendered).with_context(|| format!("writing {}", path.display()))?,
        None => print!("{rendered}"),
    }
    Ok(if done.alert_failed {
        EXIT_ERROR
    } else if done.report.fails() {
        EXIT_DRIFT
    } else {
        EXIT_OK
    })
}

/// What one scan of every directory and plan file gave.
pub(super) struct ScanDone {
    pub report: Report,
    /// An alert could not be delivered.
    pub alert_failed: bool,
}

/// Scans, rates, remediates, records and alerts once; rendering is the caller's.
pub(super) fn scan_once(
    args: &ScanArgs,
    policies: Option<&PolicySet>,
    terraform: &Terraform,
) -> anyhow::Result<ScanDone> {
    let mut scanned = Vec::new();
    let mut patch_sets = Vec::new();
    for plan in &args.plans {
        let source = plan.display().to_string();
        let bytes = oppie_policy::input::read_file_capped(plan).with_context(|| format!("reading {source}"))?;
        let text = oppie_policy::input::decode_text(&source, &bytes)?;
        let drift = oppie::drift::rate(&source, &text, policies)?;
        let remediations = drift
            .items
            .iter()
            .map(|item| Remediation { revert: Some(revert_command(item, None)), accept: None, adopt: None })
            .collect();
        scanned.push(Scanned { source, items: drift.items, remediations, patch: None, revert: None });
    }
    for dir in &args.dirs {
        let source = dir.display().to_string();
        anyhow::ensure!(dir.is_dir(), "{source} is not a directory (use --plan for a plan JSON file)");
        let text = terraform.refresh_only_plan_json(dir)?;
        let mut drift = oppie::drift::read(&source, &text)?;
        let managed = drift.items.len();
        let mut adopts = Vec::new();
        if args.unmanaged {
            let found = unmanaged_in(terraform, dir, &drift)?;
            drift.items.extend(found.items.into_iter().map(|mut i| {
                i.source = source.clone();
                i
            }));
            drift.resources.extend(found.resources);
            adopts = found.adopts;
        }
        oppie::drift::rate_items(&mut drift, policies)?;
        let mut patches = AcceptPatches::load(dir).with_context(|| format!("reading the .tf files of {source}"))?;
        let mut remediations: Vec<Remediation> = drift.items[..managed]
            .iter()
            .map(|item| Remediation {
                revert: Some(revert_command(item, Some(dir))),
                accept: Some(patches.accept(item)),
                adopt: None,
            })
            .collect();
        remediations.extend(adopts.into_iter().map(Remediation::adopt));
        let diff = patches.diff(dir);
        let revert = match args.remediate {
            Some(RemediateMode::Revert) => {
                let mut targets: Vec<String> = drift.items[..managed]
                    .iter()
                    .filter(|i| i.severity >= args.min_severity)
                    .map(|i| i.address.clone())
                    .collect();
                targets.sort();
                targets.dedup();
                let outcome = oppie::revert::revert(terraform, dir, &targets, args.max_changes)?;
                match &outcome.refused {
                    None => eprintln!("{source}: reverted {} resource(s)", outcome.changes.len()),
                    Some(why) => eprintln!("{source}: revert not applied: {why}"),
                }
                Some(outcome)
            }
            None => None,
        };
        scanned.push(Scanned {
            source,
            items: drift.items,
            remediations,
            patch: (!diff.is_empty()).then_some(diff),
            revert,
        });
        patch_sets.push(patches);
    }
    let webhook = args.notify.as_deref().map(oppie::notify::Webhook::parse).transpose()?;
    let mut alert_failed = false;
    if !args.no_history {
        let mut history = History::open_store(&args.store)?;
        let now = time::OffsetDateTime::now_utc();
        for s in &scanned {
            let delta = history.record(&history_source(&s.source), &s.items, now)?;
            tracing::info!("{}: {} appeared, {} resolved", s.source, delta.appeared.len(), delta.resolved.len());
            let message =
                webhook.as_ref().and_then(|h| Some((h, oppie::notify::message(&s.source, &delta, &s.items)?)));
            if let Some(Err(e)) = message.map(|(hook, message)| hook.post(&message)) {
                // The scan is recorded either way; a lost alert is an error exit, not silence.
                eprintln!("error: {e}");
                alert_failed = true;
            }
        }
    }
    if let Some(issues) = github_issues(args)? {
        for s in &scanned {
            match issues.sync(&s.source, &s.items) {
                Ok(synced) => report_synced(&s.source, &synced),
                Err(e) => {
                    eprintln!("error: --github-issue: {e}");
                    alert_failed = true;
                }
            }
        }
    }
    if args.write {
        let mut written = 0;
        for patches in &patch_sets {
            written += patches.write().context("writing the accept patches")?;
        }
        eprintln!("wrote the accept patches into {written} file(s)");
    }
    Ok(ScanDone { report: Report { scanned, fail_on: args.fail_on }, alert_failed })
}

/// The issue keeper of `--github-issue`, with the token from GITHUB_TOKEN.
pub(super) fn github_issues(args: &ScanArgs) -> anyhow::Result<Option<oppie::github_issue::Issues>> {
    let Some(repo) = &args.github_issue else { return Ok(None) };
    let token = std::env::var("GITHUB_TOKEN").unwrap_or_default();
    anyhow::ensure!(
        !token.trim().is_empty(),
        "--github-issue needs a token in GITHUB_TOKEN (in a workflow: `env: GITHUB_TOKEN: ${{{{ github.token }}}}` with `permissions: issues: write`)"
    );
    Ok(Some(oppie::github_issue::Issues::new(repo, &args.github_api_url, token)?))
}

fn report_synced(source: &str, synced: &oppie::github_issue::Synced) {
    use oppie::github_issue::Synced;
    match synced {
        Synced::Nothing => {}
        Synced::Opened(i) => eprintln!("{source}: opened issue #{} {}", i.number, i.html_url),
        Synced::Updated(i) => eprintln!("{source}: updated issue #{} {}", i.number, i.html_url),
        Synced::Closed(i) => eprintln!("{source}: no drift left, closed issue #{} {}", i.number, i.html_url),
        Synced::Unchanged(i) => tracing::info!("{source}: issue #{} unchanged", i.number),
    }
}

/// The objects `terraform query` finds in `dir` that its state does not manage: items, resources
/// (for the policy evaluation) and adopt blocks, in the same order.
fn unmanaged_in(
    terraform: &Terraform,
    dir: &Path,
    drift: &oppie::drift::PlanDrift,
) -> anyhow::Result<oppie::drift::unmanaged::Unmanaged> {
    use oppie::drift::unmanaged;
    let own = unmanaged::query_files(dir).with_context(|| format!("reading {}", dir.display()))?;
    let generated =
        if own.is_empty() { unmanaged::query_for_plan(drift.prior_state.as_ref(), &drift.config_types) } else { None };
    if own.is_empty() && generated.is_none() {
        tracing::warn!(
            "{}: no .tfquery.hcl and no listable oppie_* resource: nothing to list for --unmanaged",
            dir.display()
        );
        return Ok(Default::default());
    }
    let text = terraform.query_json(dir, generated.as_deref())?;
    let found =
        unmanaged::parse_query_json(&text).with_context(|| format!("listing the clouds from {}", dir.display()))?;
    let managed = unmanaged::managed_ids(drift.prior_state.as_ref());
    Ok(unmanaged::unmanaged(&found, &managed, "registry.terraform.io/oppie/oppie"))
}

/// The policy set: `--policy` directories, else ./policies or ./policy; none with `--no-policy`.
pub(super) fn load_policies(args: &ScanArgs) -> anyhow::Result<Option<PolicySet>> {
    if args.no_policy {
        return Ok(None);
    }
    let dirs: Vec<&Path> = if args.policies.is_empty() {
        oppie_policy::policy_set::default_policy_dir().into_iter().collect()
    } else {
        args.policies.iter().map(PathBuf::as_path).collect()
    };
    if dirs.is_empty() {
        tracing::warn!("no policies (--policy DIR): drift is rated by attribute kind only");
        return Ok(None);
    }
    let mut builder = PolicySet::builder().rule_timeout(std::time::Duration::from_secs(args.rule_timeout));
    for dir in dirs {
        builder = builder.policy(dir);
    }
    Ok(Some(builder.build().context("loading the policies")?))
}

/// The history's name for a source: the canonical path, so scans from elsewhere match.
fn history_source(source: &str) -> String {
    std::fs::canonicalize(source).map(|p| p.display().to_string()).unwrap_or_else(|_| source.to_string())
}
