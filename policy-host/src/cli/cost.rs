//! `oppie-policy cost`: the monthly cost of a plan per resource, per cloud and per environment,
//! with the delta against the prior state or (`--compare`, `--baseline`) against a base plan, as
//! text, JSON or Markdown; always exit 0 unless input is bad.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use oppie_policy::cost;

use super::EXIT_PASS;

/// Output formats of `cost`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum CostFormat {
    /// An aligned table for the terminal.
    #[value(alias = "text")]
    Table,
    /// The `oppie-policy/cost/v1` JSON document (`oppie-policy/cost-diff/v1` for a diff).
    Json,
    /// The cost diff as Markdown, for a pull-request comment.
    Markdown,
}

#[derive(Debug, Args)]
pub(super) struct CostArgs {
    /// Plan or state JSON from `terraform show -json` (`-` reads stdin); the head with `--baseline`.
    #[arg(value_name = "PLAN.json", required_unless_present = "compare")]
    input: Option<PathBuf>,
    /// Compare two plans: per resource what BASE_PLAN leaves in place against what HEAD_PLAN
    /// does (added, removed, changed), the totals and the budget status per environment.
    #[arg(long, num_args = 2, value_names = ["BASE_PLAN", "HEAD_PLAN"], conflicts_with_all = ["input", "baseline"])]
    compare: Option<Vec<PathBuf>>,
    /// Compare PLAN.json against this base plan (Infracost's name for `--compare BASE PLAN`).
    #[arg(long, value_name = "BASE_PLAN", requires = "input")]
    baseline: Option<PathBuf>,
    /// With a comparison, also list the resources whose cost does not change.
    #[arg(long)]
    show_unchanged: bool,
    /// Output format (`text` is the table; `markdown` shows the diff, against the prior state
    /// for a single plan).
    #[arg(short, long, value_enum, default_value = "table")]
    format: CostFormat,
    /// Data file (JSON/YAML) with `budgets: {<environment>: <USD per month>}`, shown next to the
    /// environment totals. Repeatable; later files win.
    #[arg(short, long = "data", value_name = "FILE")]
    data: Vec<PathBuf>,
    /// Write the report to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub(super) fn run(args: &CostArgs) -> anyhow::Result<u8> {
    let mut budgets = BTreeMap::new();
    for path in &args.data {
        let bytes = std::fs::read(path).map_err(|e| oppie_policy::Error::io(path, e))?;
        let data = oppie_policy::cost::parse_data_file(&path.display().to_string(), &bytes)?;
        budgets.extend(cost::budgets(&data));
    }
    let price = |path: &PathBuf| -> anyhow::Result<cost::CostReport> {
        let input = super::check::read_input(path)?;
        Ok(cost::price(&input, &budgets))
    };
    let pair = match (&args.compare, &args.baseline, &args.input) {
        (Some(paths), _, _) => match paths.as_slice() {
            [base, head] => Some((base, head)),
            _ => anyhow::bail!("--compare takes two plans: BASE_PLAN HEAD_PLAN"),
        },
        (None, Some(base), Some(head)) => Some((base, head)),
        _ => None,
    };
    let rendered = match pair {
        Some((base, head)) => {
            if base == head && base.as_path() == std::path::Path::new("-") {
                anyhow::bail!("only one of the compared plans can come from stdin");
            }
            let diff = cost::diff::compare(&price(base)?, &price(head)?, &budgets);
            render_diff(if args.show_unchanged { diff } else { diff.without_unchanged() }, args.format)
        }
        None => {
            let Some(path) = &args.input else {
                anyhow::bail!("no plan given");
            };
            let report = price(path)?;
            match args.format {
                CostFormat::Table => cost::render::table(&report),
                CostFormat::Json => cost::render::json(&report),
                CostFormat::Markdown => {
                    let diff = cost::diff::of_plan(&report, &budgets);
                    render_diff(if args.show_unchanged { diff } else { diff.without_unchanged() }, args.format)
                }
            }
        }
    };
    match &args.output {
        Some(path) => std::fs::write(path, rendered).with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(rendered.as_bytes())?;
            stdout.flush()?;
        }
    }
    Ok(EXIT_PASS)
}

fn render_diff(diff: cost::diff::CostDiff, format: CostFormat) -> String {
    match format {
        CostFormat::Table => cost::diff::render_text(&diff),
        CostFormat::Json => cost::diff::render_json(&diff),
        CostFormat::Markdown => cost::diff::render_markdown(&diff),
    }
}
