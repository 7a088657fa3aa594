//! `oppie-policy eval -i INPUT QUERY`: evaluates a Rego query against the loaded policies and
//! data and prints the OPA-style result (`{"result": [{"expressions": ..., "bindings": ...}]}`).

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use oppie_policy::Input;

use super::{EXIT_PASS, PolicyArgs};

#[derive(Debug, Args)]
pub(super) struct EvalArgs {
    /// The query, e.g. `data.oppie.lib.resources_by_type` or `x := count(input.resource_changes)`.
    #[arg(value_name = "QUERY")]
    query: String,
    /// Input document (any JSON; `-` reads stdin). Without it, `input` is undefined.
    #[arg(short, long, value_name = "FILE")]
    input: Option<PathBuf>,
    #[command(flatten)]
    policy: PolicyArgs,
}

pub(super) fn run(args: &EvalArgs) -> anyhow::Result<u8> {
    let input = match &args.input {
        None => None,
        Some(path) if path.as_os_str() == "-" => {
            let mut bytes = Vec::new();
            std::io::stdin().read_to_end(&mut bytes).context("cannot read stdin")?;
            Some(Input::any_json("<stdin>", &bytes)?)
        }
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            Some(Input::any_json(&path.display().to_string(), &bytes)?)
        }
    };
    // Policies are optional for eval: a query over `input` alone needs none.
    let has_policies = !args.policy.policies.is_empty() || oppie_policy::policy_set::default_policy_dir().is_some();
    let builder = if has_policies { args.policy.builder()? } else { oppie_policy::PolicySet::builder() };
    // The built-in data.oppie.lib is always there, so a set without user policies still loads.
    let policies = builder.allow_empty(true).build()?;
    let result = policies.query(input.as_ref(), &args.query)?;
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(EXIT_PASS)
}
