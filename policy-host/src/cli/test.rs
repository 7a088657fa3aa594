//! `oppie-policy test DIR`: loads every `.rego` file (tests included) and runs the `test_*`
//! rules; exit 1 when any test fails or errors.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use oppie_policy::{PolicySet, RegoVersion, testing};

use super::{EXIT_FAIL, EXIT_PASS, parse_duration};

#[derive(Debug, Args)]
pub(super) struct TestArgs {
    /// Policy directories or files holding the rules and their `*_test.rego` files.
    #[arg(required = true, value_name = "DIR")]
    paths: Vec<PathBuf>,
    /// Data file or directory. Repeatable.
    #[arg(short, long = "data", value_name = "FILE|DIR")]
    data: Vec<PathBuf>,
    /// Only run tests whose `data.<package>.<rule>` name contains this text.
    #[arg(short, long, value_name = "TEXT")]
    run: Option<String>,
    /// Rego syntax: auto, v0 or v1.
    #[arg(long, value_name = "auto|v0|v1", default_value = "auto")]
    rego_version: RegoVersion,
    /// Time budget for one test.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    timeout: Duration,
    /// Print every test, not only failures.
    #[arg(long = "show-passing", alias = "verbose-tests")]
    show_passing: bool,
}

/// `verbose` is the global `-v` count: as with `opa test -v`, it also lists passing tests.
pub(super) fn run(args: &TestArgs, verbose: u8) -> anyhow::Result<u8> {
    let mut builder =
        PolicySet::builder().include_tests(true).rego_version(args.rego_version).rule_timeout(args.timeout);
    for path in &args.paths {
        builder = builder.policy(path);
    }
    for path in &args.data {
        builder = builder.data(path);
    }
    let policies = builder.build()?;
    let outcomes = testing::run(&policies, args.run.as_deref());
    print!("{}", testing::render(&outcomes, args.show_passing || verbose > 0));
    let tally = testing::tally(&outcomes);
    Ok(if tally.failed == 0 { EXIT_PASS } else { EXIT_FAIL })
}
