//! The `oppie` command. Exit codes: 0 no drift at or above `--fail-on`, 1 drift at or above it,
//! 2 usage, input or Terraform error.

mod cli;

use std::process::ExitCode;

/// Severity evaluates the policy library, which is allocation-bound; see oppie-policy's main.rs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("OPPIE_LOG").unwrap_or_else(|_| "warn".into()))
        .init();
    match cli::run() {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(cli::EXIT_ERROR)
        }
    }
}
