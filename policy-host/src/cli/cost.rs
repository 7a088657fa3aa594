//! `oppie-policy cost`: the monthly cost of a plan per resource, per cloud and per environment,
//! with the delta against the prior state, as a table or JSON; always exit 0 unless input is bad.

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
    Table,
    /// The `oppie-policy/cost/v1` JSON document.
    Json,
}

#[derive(Debug, Args)]
pub(super) struct CostArgs {
    /// Plan or state JSON from `terraform show -json` (`-` reads stdin).
    #[arg(value_name = "PLAN.json")]
    input: PathBuf,
    /// Output format.
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
    let input = super::check::read_input(&args.input)?;
    let mut budgets = BTreeMap::new();
    for path in &args.data {
        let bytes = std::fs::read(path).map_err(|e| oppie_policy::Error::io(path, e))?;
        let data = oppie_policy::cost::parse_data_file(&path.display().to_string(), &bytes)?;
        budgets.extend(cost::budgets(&data));
    }
    let report = cost::price(&input, &budgets);
    let rendered = match args.format {
        CostFormat::Table => cost::render::table(&report),
        CostFormat::Json => cost::render::json(&report),
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
