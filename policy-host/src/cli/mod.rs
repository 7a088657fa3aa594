//! The `oppie-policy` command line: argument parsing, logging, and the exit-code contract
//! (0 pass or clean shutdown, 1 findings at or above the fail level / failed tests, 2 usage or
//! input error).

mod bundle;
mod check;
mod cost;
mod eval;
mod serve;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use oppie_policy::{PolicySet, PolicySetBuilder, RegoVersion, WasmLimits};

/// Exit code: no findings at or above the fail level, all tests passed.
pub const EXIT_PASS: u8 = 0;
/// Exit code: findings at or above the fail level, or failed tests.
pub const EXIT_FAIL: u8 = 1;
/// Exit code: bad usage or bad input (plan, policy, data, bundle).
pub const EXIT_ERROR: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "oppie-policy",
    version,
    about = "Check Terraform plans against Rego and OPA WASM policies (conftest-compatible).",
    after_help = "Exit codes: 0 pass, 1 findings at or above --fail-on (or failed tests), 2 usage or input error."
)]
struct Cli {
    /// More logging on stderr (repeat for more); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check plan or state JSON files (`terraform show -json`) against policies.
    Check(check::CheckArgs),
    /// Run the `test_*` rules of a policy directory, like `opa test`.
    Test(test::TestArgs),
    /// Evaluate a Rego query and print the result as JSON.
    Eval(eval::EvalArgs),
    /// Estimate the monthly cost of a plan per resource, cloud and environment, with the delta.
    Cost(cost::CostArgs),
    /// Serve the policies over HTTP/JSON and gRPC (plan and resource checks, OPA Data API).
    Serve(serve::ServeArgs),
    /// Work with OPA bundles.
    #[command(subcommand)]
    Bundle(bundle::BundleCommand),
}

/// Options shared by every command that loads policies.
#[derive(Debug, Args)]
struct PolicyArgs {
    /// Policy directory, .rego file, or bundle (.tar.gz, Rego or WASM). Repeatable.
    /// Default: ./policies, else ./policy.
    #[arg(short, long = "policy", value_name = "DIR|FILE|BUNDLE")]
    policies: Vec<PathBuf>,
    /// Data file (JSON/YAML, merged at the root of `data`) or directory. Repeatable.
    #[arg(short, long = "data", value_name = "FILE|DIR")]
    data: Vec<PathBuf>,
    /// Rego syntax for policies whose directory or bundle manifest does not set `rego_version`:
    /// auto (v1, falling back to v0 per file), v0 or v1.
    #[arg(long, value_name = "auto|v0|v1", default_value = "auto")]
    rego_version: RegoVersion,
    /// Shorthand for --rego-version v0 (pre-1.0 conftest policies).
    #[arg(long, alias = "v0-compatible", conflicts_with = "rego_version")]
    rego_v0: bool,
    /// Time budget for one Rego rule (e.g. 500ms, 10s, 2m).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    rule_timeout: Duration,
    /// Fuel budget for one WASM rule evaluation (about one unit per instruction).
    #[arg(long, value_name = "N", default_value_t = WasmLimits::default().fuel)]
    wasm_fuel: u64,
    /// Memory cap for a WASM policy, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = WasmLimits::default().max_memory_bytes / (1024 * 1024))]
    wasm_memory_mib: u64,
    /// Memory ceiling of the process in MiB; an evaluation (or builtin) that goes past it
    /// becomes an error finding for its rule.
    #[arg(long, value_name = "MIB", default_value_t = oppie_policy::limits::DEFAULT_MEMORY_LIMIT_MIB)]
    memory_limit: u64,
    /// Threads for large plans (0: one per core, at most 4; 1: serial).
    #[arg(long, value_name = "N", default_value_t = 0)]
    threads: usize,
    /// Evaluate every rule, also those whose METADATA resource_types the input does not hold (by
    /// default they pass unevaluated); use it to check a rule's resource_types.
    #[arg(long)]
    all_rules: bool,
    /// Evaluate WASM modules through the ABI 1.0 context calls even if they export opa_eval.
    #[arg(long, hide = true)]
    wasm_classic_abi: bool,
    /// Evaluate small inputs with interpreters narrowed to the files their rules need, as the
    /// server does (for timing it with `check --repeat`).
    #[arg(long, hide = true)]
    specialise: bool,
}

impl PolicyArgs {
    fn builder(&self) -> anyhow::Result<PolicySetBuilder> {
        oppie_policy::limits::set_memory_limit(Some(self.memory_limit.saturating_mul(1024 * 1024)));
        let mut builder = PolicySet::builder()
            .rego_version(if self.rego_v0 { RegoVersion::V0 } else { self.rego_version })
            .rule_timeout(self.rule_timeout)
            .wasm_limits(WasmLimits {
                fuel: self.wasm_fuel,
                max_memory_bytes: self.wasm_memory_mib.saturating_mul(1024 * 1024),
            })
            .classic_wasm_abi(self.wasm_classic_abi)
            .threads(self.threads)
            .all_rules(self.all_rules)
            .specialise(self.specialise);
        if self.policies.is_empty() {
            let dir = oppie_policy::policy_set::default_policy_dir()
                .ok_or_else(|| anyhow::anyhow!("no --policy given, and neither ./policies nor ./policy exists"))?;
            builder = builder.policy(dir);
        }
        for path in &self.policies {
            builder = builder.policy(path);
        }
        for path in &self.data {
            builder = builder.data(path);
        }
        Ok(builder)
    }
}

/// `500ms`, `10s`, `2m`, or a bare number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    let value: f64 =
        number.trim().parse().map_err(|_| format!("invalid duration \"{text}\" (use e.g. 500ms, 10s, 2m)"))?;
    if !value.is_finite() || value <= 0.0 {
        return Err(format!("duration must be positive, got \"{text}\""));
    }
    Duration::try_from_secs_f64(value * scale).map_err(|e| e.to_string())
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}

/// Parses arguments, runs the command, and maps every error to exit code 2.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_ERROR } else { EXIT_PASS });
        }
    };
    init_logging(cli.verbose);
    // A process that evaluates again and again (the server, `check --repeat`) keeps its freed
    // pages; a one-off command returns them after 50 ms (see `return_memory_early`).
    let repeats = match &cli.command {
        Command::Serve(_) => true,
        Command::Check(args) => args.repeats(),
        _ => false,
    };
    if !repeats {
        crate::return_memory_early();
    }
    let result = match &cli.command {
        Command::Check(args) => check::run(args),
        Command::Test(args) => test::run(args, cli.verbose),
        Command::Eval(args) => eval::run(args),
        Command::Cost(args) => cost::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Bundle(command) => bundle::run(command),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {}", describe(&e));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// The error and its causes joined by ": ", leaving out a cause the text so far already says
/// (the library's errors name their path and their cause in one message).
fn describe(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_says_each_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such policy file or directory");
        let error = anyhow::Error::from(oppie_policy::Error::io("policies/x", io));
        assert_eq!(describe(&error), "policies/x: no such policy file or directory");
        let wrapped = anyhow::anyhow!("inner cause").context("reading the plan");
        assert_eq!(describe(&wrapped), "reading the plan: inner cause");
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
