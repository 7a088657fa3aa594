//! `oppie drift history`: the recorded drift items with when they appeared and were resolved.

use std::path::PathBuf;

use clap::Args;
use oppie::history::{History, render_text};

use super::EXIT_OK;

#[derive(Debug, Args)]
pub(super) struct HistoryArgs {
    /// The history database.
    #[arg(long, value_name = "PATH", default_value = ".oppie/drift.db")]
    db: PathBuf,
    /// Only this working directory or plan file.
    #[arg(long, value_name = "DIR|FILE")]
    source: Option<PathBuf>,
    /// Output format.
    #[arg(short, long, value_name = "text|json", default_value = "text", value_parser = ["text", "json"])]
    format: String,
}

pub(super) fn run(args: HistoryArgs) -> anyhow::Result<u8> {
    anyhow::ensure!(args.db.exists(), "no drift history at {} (run `oppie drift` first)", args.db.display());
    let history = History::open(&args.db)?;
    let source = args.source.map(|s| std::fs::canonicalize(&s).unwrap_or(s).display().to_string());
    let occurrences = history.occurrences(source.as_deref())?;
    match args.format.as_str() {
        "json" => println!("{}", serde_json::to_string_pretty(&occurrences)?),
        _ => print!("{}", render_text(&occurrences)),
    }
    Ok(EXIT_OK)
}
