//! `oppie drift history`: the recorded drift items with when they appeared and were resolved.

use std::path::PathBuf;

use clap::Args;
use oppie::history::{History, render_text};

use super::EXIT_OK;

#[derive(Debug, Args)]
pub(super) struct HistoryArgs {
    /// The history store: a SQLite file or a PostgreSQL URL (as `oppie drift --store`).
    #[arg(
        long,
        alias = "db",
        value_name = "PATH|URL",
        default_value = ".oppie/drift.db",
        env = "OPPIE_DRIFT_STORE",
        hide_env_values = true
    )]
    store: String,
    /// Only this working directory or plan file.
    #[arg(long, value_name = "DIR|FILE")]
    source: Option<PathBuf>,
    /// Output format.
    #[arg(short, long, value_name = "text|json", default_value = "text", value_parser = ["text", "json"])]
    format: String,
}

pub(super) fn run(args: HistoryArgs) -> anyhow::Result<u8> {
    if !oppie::history::is_store_url(&args.store) {
        anyhow::ensure!(
            std::path::Path::new(&args.store).exists(),
            "no drift history at {} (run `oppie drift` first)",
            args.store
        );
    }
    let mut history = History::open_store(&args.store)?;
    let source = args.source.map(|s| std::fs::canonicalize(&s).unwrap_or(s).display().to_string());
    let occurrences = history.occurrences(source.as_deref())?;
    match args.format.as_str() {
        "json" => println!("{}", serde_json::to_string_pretty(&occurrences)?),
        _ => print!("{}", render_text(&occurrences)),
    }
    Ok(EXIT_OK)
}
