//! Command-line parsing: `oppie drift [DIR...]`, `oppie drift history`.

mod drift;
mod history;

use clap::{Parser, Subcommand};

/// No drift at or above `--fail-on`.
pub const EXIT_OK: u8 = 0;
/// Drift at or above `--fail-on`.
pub const EXIT_DRIFT: u8 = 1;
/// Usage, input or Terraform error.
pub const EXIT_ERROR: u8 = 2;

#[derive(Debug, Parser)]
#[command(name = "oppie", version, about = "Terraform workflow: drift detection with severity from policy")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Find drift: live infrastructure that no longer matches the Terraform state.
    Drift(drift::DriftArgs),
}

/// Parses the command line and runs the command; returns the exit code.
pub fn run() -> anyhow::Result<u8> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help, --version
            e.print()?;
            return Ok(EXIT_OK);
        }
        Err(e) => {
            e.print()?;
            return Ok(EXIT_ERROR);
        }
    };
    match cli.command {
        Command::Drift(args) => drift::run(args),
    }
}
