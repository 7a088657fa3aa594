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
}

#[derive(Debug, Args)]
struct ScanArgs {
    /// Terraform working directories to scan (`terraform init` done). Default: the current directory.
    #[arg(value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Read an existing plan JSON (`terraform show -json` of a `plan -refresh-only`) instead of
    /// running Terraform. Repeatable.
    #[arg(long = "plan", value_name = "FILE")]
    plans: Vec<PathBuf>,
    /// The Terraform CLI to run.
    #[arg(long, value_name = "PATH", default_value = "terraform", env = "OPPIE_TERRAFORM")]
    terraform: PathBuf,
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
    format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when an item is at or above this severity.
    #[arg(long, value_name = "SEVERITY", default_value = "low")]
    fail_on: Severity,
    /// The history database.
    #[arg(long, value_name = "PATH", default_value = ".oppie/drift.db")]
    db: PathBuf,
    /// Do not record this scan in the history.
    #[arg(long)]
    no_history: bool,
    /// Write the accept patches (printed as unified diffs) into the .tf files.
    #[arg(long)]
    write: bool,
    /// Also report cloud resources no state manages (needs `terraform query` list resources).
    #[arg(long)]
    unmanaged: bool,
}

pub(super) fn run(args: DriftArgs) -> anyhow::Result<u8> {
    match args.command {
        Some(DriftCommand::History(history)) => super::history::run(history),
        None => scan(args.scan),
    }
}

fn scan(mut args: ScanArgs) -> anyhow::Result<u8> {
    if args.unmanaged {
        eprintln!(
            "error: --unmanaged needs the list resources of `terraform query` in the oppie provider, which have not landed yet"
        );
        return Ok(EXIT_ERROR);
    }
    if args.dirs.is_empty() && args.plans.is_empty() {
        args.dirs.push(PathBuf::from("."));
    }
    let policies = load_policies(&args)?;
    let terraform = Terraform::new(&args.terraform);
    let mut scanned = Vec::new();
    let mut patch_sets = Vec::new();
    for plan in &args.plans {
        let source = plan.display().to_string();
        let bytes = oppie_policy::input::read_file_capped(plan).with_context(|| format!("reading {source}"))?;
        let text = oppie_policy::input::decode_text(&source, &bytes)?;
        let drift = oppie::drift::rate(&source, &text, policies.as_ref())?;
        let remediations =
            drift.items.iter().map(|item| Remediation { revert: revert_command(item, None), accept: None }).collect();
        scanned.push(Scanned { source, items: drift.items, remediations, patch: None });
    }
    for dir in &args.dirs {
        let source = dir.display().to_string();
        anyhow::ensure!(dir.is_dir(), "{source} is not a directory (use --plan for a plan JSON file)");
        let text = terraform.refresh_only_plan_json(dir)?;
        let drift = oppie::drift::rate(&source, &text, policies.as_ref())?;
        let mut patches = AcceptPatches::load(dir).with_context(|| format!("reading the .tf files of {source}"))?;
        let remediations = drift
            .items
            .iter()
            .map(|item| Remediation { revert: revert_command(item, Some(dir)), accept: Some(patches.accept(item)) })
            .collect();
        let diff = patches.diff(dir);
        scanned.push(Scanned { source, items: drift.items, remediations, patch: (!diff.is_empty()).then_some(diff) });
        patch_sets.push(patches);
    }
    if !args.no_history {
        let mut history = History::open(&args.db)?;
        let now = time::OffsetDateTime::now_utc();
        for s in &scanned {
            let delta = history.record(&history_source(&s.source), &s.items, now)?;
            tracing::info!("{}: {} appeared, {} resolved", s.source, delta.appeared.len(), delta.resolved.len());
        }
    }
    if args.write {
        let mut written = 0;
        for patches in &patch_sets {
            written += patches.write().context("writing the accept patches")?;
        }
        eprintln!("wrote the accept patches into {written} file(s)");
    }
    let report = Report { scanned, fail_on: args.fail_on };
    let rendered = report.render(args.format);
    match &args.output {
        Some(path) => std::fs::write(path, rendered).with_context(|| format!("writing {}", path.display()))?,
        None => print!("{rendered}"),
    }
    Ok(if report.fails() { EXIT_DRIFT } else { EXIT_OK })
}

/// The policy set: `--policy` directories, else ./policies or ./policy; none with `--no-policy`.
fn load_policies(args: &ScanArgs) -> anyhow::Result<Option<PolicySet>> {
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
