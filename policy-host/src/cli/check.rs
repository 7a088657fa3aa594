//! `oppie-policy check`: validate every input first, evaluate, render, and exit 0 or 1 by
//! `--fail-on`; `--repeat` (hidden) times warm in-process evaluations for the benchmark.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use oppie_policy::report::{FileReport, Format, Report};
use oppie_policy::{Enforcement, Input};

use super::{EXIT_FAIL, EXIT_PASS, PolicyArgs};

#[derive(Debug, Args)]
pub(super) struct CheckArgs {
    /// Plan or state JSON files from `terraform show -json` (`-` reads stdin).
    #[arg(required = true, value_name = "PLAN.json")]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Output format.
    #[arg(short, long, value_name = "text|json|sarif|junit|github", default_value = "text")]
    format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Fail (exit 1) on findings at or above this enforcement level.
    #[arg(long, value_name = "LEVEL", default_value = "soft-mandatory")]
    fail_on: Enforcement,
    /// Only rules in this package (exactly, as conftest) are checks. Repeatable; default: conftest's
    /// `main` when the policies declare it, else every package.
    #[arg(short, long = "namespace", value_name = "PACKAGE")]
    namespaces: Vec<String>,
    /// Every package's rules are checks (conftest's --all-namespaces).
    #[arg(long, conflicts_with = "namespaces")]
    all_namespaces: bool,
    /// Evaluate all inputs together as one document, `[{"path": FILE, "contents": ...}, ...]`
    /// (conftest's --combine); costs are not added.
    #[arg(long)]
    combine: bool,
    /// Colour in text output: auto (TTY and NO_COLOR unset), always, never.
    #[arg(long, value_name = "WHEN", default_value = "auto", value_parser = ["auto", "always", "never"])]
    color: String,
    /// Also time every rule evaluated on its own and print the slowest to stderr.
    #[arg(long)]
    profile: bool,
    /// Evaluate each input N more times in-process and print timings to stderr (benchmarking).
    #[arg(long, hide = true, value_name = "N", default_value_t = 0)]
    repeat: usize,
    /// Do not price the plan's resources for `data.oppie.costs` (the budget policy then sees
    /// only the `estimated_monthly_cost` the plan itself carries).
    #[arg(long)]
    no_costs: bool,
}

impl CheckArgs {
    /// Whether the inputs are evaluated more than once (`--repeat`).
    pub(super) fn repeats(&self) -> bool {
        self.repeat > 0
    }
}

pub(super) fn run(args: &CheckArgs) -> anyhow::Result<u8> {
    let started = Instant::now();
    // Every input is decoded before anything is evaluated: a bad file stops the run (exit 2).
    // A plan is priced from its text on a second thread while the copy policies read is built;
    // the same thread then compiles the policies with those costs (see `with_costs`).
    let locate = matches!(args.format, Format::Sarif | Format::Github | Format::Json);
    let mut inputs = Vec::with_capacity(args.inputs.len());
    let mut lines = Vec::with_capacity(args.inputs.len());
    let mut costed: Vec<Costed> = Vec::new();
    for (index, path) in args.inputs.iter().enumerate() {
        let (name, text) = read_text(path)?;
        let text = std::sync::Arc::new(text);
        // The second thread also finds the line of every resource for the report (a scan of
        // the whole text), which would otherwise come after the evaluation.
        let (helped, input) = std::thread::scope(|scope| {
            let known = &costed;
            let helper = (!args.no_costs || locate).then(|| {
                scope.spawn(|| {
                    let priced = (!args.no_costs).then(|| {
                        let report = oppie_policy::cost::price_text(&name, &text, &Default::default());
                        tracing::debug!("{name}: priced at {:?}", started.elapsed());
                        with_costs(args, &report, known)
                    });
                    let found = locate.then(|| oppie_policy::input::resource_lines_in(&text));
                    (priced, found)
                })
            });
            let input = Input::from_shared_text(&name, std::sync::Arc::clone(&text));
            tracing::debug!("{name}: parsed at {:?}", started.elapsed());
            (helper.map(|h| h.join()), input)
        });
        inputs.push(input?);
        let (priced, found) = match helped {
            Some(Ok((priced, found))) => (priced, found),
            Some(Err(_)) => anyhow::bail!("{name}: pricing failed"),
            None => (None, None),
        };
        lines.push(found.unwrap_or_default());
        match priced {
            Some(Ok(Some(Priced::Shares(group)))) => costed[group].members.push(index),
            Some(Ok(Some(Priced::New(document, set)))) => {
                costed.push(Costed { document, members: vec![index], set: *set });
            }
            Some(Ok(None)) | None => {}
            Some(Err(e)) => return Err(e),
        }
        tracing::debug!("{name}: priced, parsed and compiled at {:?}", started.elapsed());
    }
    if args.combine {
        // conftest's --combine: one input, `[{"path": ..., "contents": ...}]` of every file.
        let combined: Vec<serde_json::Value> =
            inputs.iter().map(|input| serde_json::json!({"path": input.name(), "contents": input.to_json()})).collect();
        let bytes = serde_json::to_vec(&combined)?;
        inputs = vec![Input::any_json("combined", &bytes)?];
        lines = vec![Default::default()];
        costed.clear();
    }
    // Inputs whose resources were priced are evaluated with their costs as `data.oppie.costs`
    // (one policy set per distinct cost document); the plain set is built only if needed.
    let set_of = |index: usize| costed.iter().find(|c| c.members.contains(&index)).map(|c| &c.set);
    let plain = if !costed.is_empty() && (0..inputs.len()).all(|i| set_of(i).is_some()) {
        None
    } else {
        Some(
            args.policy
                .builder()?
                .namespaces(args.namespaces.clone())
                .all_namespaces(args.all_namespaces)
                .conftest_namespaces(true)
                .build()?,
        )
    };
    let Some(policies) = plain.as_ref().or_else(|| costed.first().map(|c| &c.set)) else {
        anyhow::bail!("no policy set was built");
    };
    for line in policies.describe() {
        tracing::info!("loaded {line}");
    }
    tracing::debug!("inputs priced and policies loaded in {:?}", started.elapsed());
    let mut files = Vec::with_capacity(inputs.len());
    for (index, input) in inputs.iter().enumerate() {
        let policies = set_of(index).unwrap_or(policies);
        let evaluated = Instant::now();
        let findings = policies.evaluate(input);
        tracing::debug!("{}: evaluated in {:?}", input.name(), evaluated.elapsed());
        if args.repeat > 0 {
            time_warm(policies, input, args.repeat);
        }
        if args.profile {
            print_profile(policies, input);
        }
        files.push(FileReport::with_lines(input, findings, std::mem::take(&mut lines[index])));
    }
    let report = Report { files, rules: policies.rules().into_iter().cloned().collect(), fail_on: args.fail_on };
    let colour = match args.color.as_str() {
        "always" => true,
        "never" => false,
        _ => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    };
    let rendered = report.render(args.format, colour);
    match &args.output {
        Some(path) => std::fs::write(path, rendered).with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(rendered.as_bytes())?;
            stdout.flush()?;
        }
    }
    if args.format == Format::Github {
        write_step_summary(&report);
    }
    let code = if report.passed() { EXIT_PASS } else { EXIT_FAIL };
    // The process ends next. Freeing the parsed plans and the interpreters piece by piece took
    // ~50 ms for a 10,000-resource plan; the operating system takes the memory back at once.
    std::mem::forget((inputs, costed, plain, report));
    Ok(code)
}

/// A policy set compiled with one cost document, and the inputs it evaluates.
struct Costed {
    document: serde_json::Value,
    members: Vec<usize>,
    set: oppie_policy::PolicySet,
}

/// What pricing one input gave: the policy set of an earlier input with the same costs, or a
/// new one.
enum Priced {
    Shares(usize),
    New(serde_json::Value, Box<oppie_policy::PolicySet>),
}

/// The policy set for an input priced as `report`: its costs become the data document
/// `{"oppie": {"costs": {address: monthly USD}}}` (see `cost::costs_document`). `None` when
/// nothing was priced (the plain set serves it); inputs with equal costs share one set, so the
/// usual single plan compiles the policies once.
fn with_costs(
    args: &CheckArgs,
    report: &oppie_policy::cost::CostReport,
    known: &[Costed],
) -> anyhow::Result<Option<Priced>> {
    if report.monthly_by_address().is_empty() {
        return Ok(None);
    }
    let document = oppie_policy::cost::costs_document(report);
    if let Some(group) = known.iter().position(|c| c.document == document) {
        return Ok(Some(Priced::Shares(group)));
    }
    let set = args
        .policy
        .builder()?
        .namespaces(args.namespaces.clone())
        .all_namespaces(args.all_namespaces)
        .conftest_namespaces(true)
        .data_document("<oppie-policy costs>", document.clone())
        .build()?;
    Ok(Some(Priced::New(document, Box::new(set))))
}

/// Reads a plan or state file (or stdin for `-`) as decoded text, with its name for messages.
fn read_text(path: &Path) -> anyhow::Result<(String, String)> {
    let (name, bytes) = if path == Path::new("-") {
        ("<stdin>".to_string(), oppie_policy::input::read_capped("<stdin>", std::io::stdin())?)
    } else {
        (path.display().to_string(), oppie_policy::input::read_file_capped(path)?)
    };
    // UTF-8 without a byte order mark (what Terraform writes) is taken as it is, not copied.
    let whole = match oppie_policy::input::decode_text(&name, &bytes)? {
        std::borrow::Cow::Borrowed(text) if text.len() == bytes.len() => None,
        decoded => Some(decoded.into_owned()),
    };
    let text = match whole {
        Some(text) => text,
        None => String::from_utf8(bytes).context("the text decoded as UTF-8 a moment ago")?,
    };
    Ok((name, text))
}

/// Reads a plan or state from a file, or from stdin for `-`.
pub(super) fn read_input(path: &Path) -> anyhow::Result<Input> {
    if path == Path::new("-") {
        let bytes = oppie_policy::input::read_capped("<stdin>", std::io::stdin())?;
        return Ok(Input::from_bytes("<stdin>", &bytes)?);
    }
    Ok(Input::from_path(path)?)
}

/// Appends the Markdown summary to `$GITHUB_STEP_SUMMARY` when running in GitHub Actions.
fn write_step_summary(report: &Report) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else {
        return;
    };
    let summary = oppie_policy::report::step_summary(report);
    let written = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .and_then(|mut file| file.write_all(summary.as_bytes()));
    if let Err(e) = written {
        tracing::warn!("cannot write the job summary: {e}");
    }
}

/// Prints each rule's time evaluated on its own, slowest first.
fn print_profile(policies: &oppie_policy::PolicySet, input: &Input) {
    let times = policies.profile(input);
    let total: Duration = times.iter().map(|(_, t)| *t).sum();
    eprintln!("rule profile for {} (each rule alone, including the helpers it uses; sum {:?}):", input.name(), total);
    for (rule, time) in times {
        eprintln!("  {:>12.3?}  {:<20} data.{}.{}", time, rule.id, rule.package, rule.name);
    }
}

/// Times `repeat` warm evaluations of one input and prints min/median/p95/mean to stderr.
fn time_warm(policies: &oppie_policy::PolicySet, input: &Input, repeat: usize) {
    let mut samples: Vec<Duration> = (0..repeat)
        .map(|_| {
            let started = Instant::now();
            let findings = policies.evaluate(input);
            std::hint::black_box(findings);
            started.elapsed()
        })
        .collect();
    samples.sort();
    let pick = |q: f64| {
        let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples.get(index).copied().unwrap_or_default()
    };
    let mean = samples.iter().sum::<Duration>() / u32::try_from(samples.len()).unwrap_or(1);
    eprintln!(
        "warm evaluation of {} ({repeat} runs): min {:?}, median {:?}, p95 {:?}, mean {:?}",
        input.name(),
        pick(0.0),
        pick(0.5),
        pick(0.95),
        mean
    );
}
