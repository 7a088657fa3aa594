//! The Rego engine: regorus with every policy file, the built-in `data.oppie.lib` and data documents.
//! Finds the conftest rules, attaches METADATA, and evaluates each rule on its own with a time budget.

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use regorus::unstable::{Expr, Rule, RuleHead};
use regorus::utils::limits::ExecutionTimerConfig;

use super::affinity;
use super::applicability::{self, TypeFilter};
use super::imports;
use super::narrowing::Narrowing;
use super::native;
use super::{Engine, EvalError, RuleResult, rule_values};
use crate::error::{Error, Location, Result};
use crate::input::Input;
use crate::metadata::{self, Annotation, Block, Scope};
use crate::rules::{RuleInfo, RuleKind, effective_namespaces, in_namespaces};

/// Work units between clock reads of the time budget: reading the clock on every unit costs
/// a quarter of the evaluation time; every 1024 units keeps the overshoot in microseconds.
pub(crate) const TIMER_CHECK_INTERVAL: NonZeroU32 = NonZeroU32::new(1024).unwrap();

/// The helper library every policy can import as `data.oppie.lib`.
pub const BUILTIN_LIB: &str = include_str!("../../rego/oppie/lib.rego");

/// The label the built-in library's file carries in messages.
pub const BUILTIN_LIB_NAME: &str = "<built-in>/oppie/lib.rego";

/// Which Rego syntax a file is parsed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RegoVersion {
    /// Rego v1; a file that fails as v1 but parses as v0 is taken as v0.
    #[default]
    Auto,
    /// Pre-1.0 Rego (`deny[msg] { ... }`), as conftest libraries are written.
    V0,
    /// Rego v1 (`deny contains msg if { ... }`).
    V1,
}

impl FromStr for RegoVersion {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "v0" | "0" => Ok(Self::V0),
            "v1" | "1" => Ok(Self::V1),
            _ => Err(format!("unknown Rego version \"{s}\" (expected auto, v0 or v1)")),
        }
    }
}

/// One Rego file to load.
#[derive(Debug, Clone)]
pub struct RegoSource {
    /// Label for messages (the path).
    pub name: String,
    /// The policy text.
    pub text: String,
    /// How to parse it.
    pub version: RegoVersion,
}

/// A data document to merge under `data` (from `--data` files and bundles).
#[derive(Debug, Clone)]
pub struct DataDocument {
    /// Label for messages (the path).
    pub name: String,
    /// The document; it is merged at the root of `data`.
    pub value: serde_json::Value,
}

/// Settings for loading and evaluating Rego.
#[derive(Debug, Clone)]
pub struct RegoOptions {
    /// Wall-clock budget for one rule's evaluation.
    pub rule_timeout: Duration,
    /// Only rules in these packages (exactly, as conftest's `--namespace`) are checks; empty
    /// means conftest's `main` when the policies have that package, else all packages.
    pub namespaces: Vec<String>,
    /// Every package's rules are checks (conftest's `--all-namespaces`), whatever `namespaces` says.
    pub all_namespaces: bool,
    /// Select namespaces as conftest does (the CLI and the server): `namespaces` exactly, and
    /// none given means `main` when the policies declare it. Off (the library's default, which
    /// the provider relies on): a namespace takes in its sub-packages and none given means all.
    pub conftest_namespaces: bool,
    /// Threads for large inputs (0: one per core, at most 4); 1 evaluates serially.
    pub threads: usize,
    /// Evaluate every rule, also those whose METADATA `resource_types` the input does not hold.
    pub all_rules: bool,
    /// Evaluate small inputs with an interpreter that holds only the policies their rules need,
    /// one per set of rules that apply (see [`Narrowing`]): worth it in a long-lived process
    /// (the server, the provider); a one-off check would pay the extra compile.
    pub specialise: bool,
}

impl Default for RegoOptions {
    fn default() -> Self {
        Self {
            rule_timeout: Duration::from_secs(10),
            namespaces: Vec::new(),
            all_namespaces: false,
            conftest_namespaces: false,
            threads: 0,
            all_rules: false,
            specialise: false,
        }
    }
}

/// How one rule is evaluated.
#[derive(Debug, Clone)]
enum Unit {
    /// The whole document `data.<package>.<name>`, all definitions at once.
    Document { path: String },
    /// One definition of the rule (when definitions carry different METADATA).
    Definition { module: usize, rule: usize, components: Vec<String> },
}

/// A `test_*` rule found by [`RegoEngine::tests`].
#[derive(Debug, Clone)]
pub struct TestRule {
    /// Dotted package.
    pub package: String,
    /// Rule name (`test_public_bucket_denied`).
    pub name: String,
    /// Where it is defined.
    pub location: Location,
    /// `true` for `todo_test_*` rules, which are reported as skipped.
    pub skip: bool,
    unit: Unit,
}

/// Rego policies compiled once and evaluated many times.
pub struct RegoEngine {
    template: Mutex<regorus::Engine>,
    pool: Mutex<Vec<regorus::Engine>>,
    /// Identifies this engine's interpreters in the threads' own stashes (see [`STASH`]).
    token: Arc<()>,
    rules: Vec<RuleInfo>,
    units: Vec<Unit>,
    /// The resource types each unit's rule is limited to (METADATA `resource_types`).
    filters: Vec<TypeFilter>,
    /// Ignore `filters` (see [`RegoOptions::all_rules`]).
    all_rules: bool,
    /// Every unit in one shard, for small inputs.
    serial: Shard,
    /// The units dealt round-robin over one shard per core, for large inputs.
    parallel: Vec<Shard>,
    tests: Vec<TestRule>,
    files: usize,
    /// Time budget of one rule; a batch of n rules gets n budgets.
    rule_timeout: Duration,
    /// The rule document of each unit.
    documents: Vec<affinity::Document>,
    /// Narrower interpreters for small inputs, when [`RegoOptions::specialise`] is on.
    narrowing: Option<Narrowing>,
}

impl RegoEngine {
    /// Parses and compiles `sources` with `data`; adds the built-in `data.oppie.lib` unless a
    /// source declares that package itself.
    pub fn load(sources: &[RegoSource], data: &[DataDocument], options: &RegoOptions) -> Result<Self> {
        let mut engine = regorus::Engine::new();
        super::native::register(&mut engine).map_err(|e| policy_error(BUILTIN_LIB_NAME, &e))?;
        // OPA semantics: a builtin error makes the expression undefined instead of failing the rule.
        engine.set_strict_builtin_errors(false);
        engine.set_gather_prints(true);
        let mut loaded: Vec<RegoSource> = Vec::with_capacity(sources.len() + 1);
        for source in sources {
            // References through import aliases written out as data paths (see `imports`); a
            // file that then fails to parse is loaded as written, which reports its own error.
            let rewritten = imports::write_out_aliases(&source.text).map(|text| RegoSource { text, ..source.clone() });
            match rewritten {
                Some(rewritten) if add_source(&mut engine, &rewritten).is_ok() => loaded.push(rewritten),
                _ => {
                    add_source(&mut engine, source)?;
                    loaded.push(source.clone());
                }
            }
        }
        let packages = module_packages(&engine)?;
        if !packages.iter().any(|p| p == &["oppie", "lib"]) {
            let lib = RegoSource {
                name: BUILTIN_LIB_NAME.to_string(),
                text: BUILTIN_LIB.to_string(),
                version: RegoVersion::V1,
            };
            add_source(&mut engine, &lib)?;
            loaded.push(lib);
        }
        for document in data {
            let value: regorus::Value = serde_json::from_value(document.value.clone()).map_err(|e| Error::Input {
                location: Location::file(&document.name),
                message: format!("data document: {e}"),
            })?;
            engine.add_data(value).map_err(|e| Error::Input {
                location: Location::file(&document.name),
                message: format!("cannot merge data document: {e}"),
            })?;
        }
        // Preparing analyses every module, so compile errors surface now with their location.
        engine.eval_query("true".to_string(), false).map_err(|e| policy_error("policy", &e))?;
        engine.set_execution_timer_config(ExecutionTimerConfig {
            limit: options.rule_timeout,
            check_interval: TIMER_CHECK_INTERVAL,
        });

        let catalogue = Catalogue::build(&mut engine, &loaded, options)?;
        let packages = module_packages(&engine)?;
        let uses = affinity::Uses::of(engine.get_modules(), &packages);
        let helpers: Vec<_> = catalogue.documents.iter().map(|document| uses.helpers(document)).collect();
        let (serial, parallel) = Shard::split(&catalogue.units, &helpers, options.threads);
        // Added after the catalogue, so the batch rules are never taken for checks or tests.
        if let Some(batches) = batch_module(std::iter::once(&serial).chain(&parallel)) {
            engine
                .add_extension(APPLIES_FUNCTION.to_string(), 1, Box::new(unit_applies))
                .map_err(|e| policy_error(&batches.name, &e))?;
            // The generated module has a line per rule and shard: regorus's limits for policy
            // files (1 MiB, 20,000 lines) would refuse a set of ~3,000 rules.
            let limit = |n: usize| std::num::NonZeroUsize::new(n.max(1)).unwrap_or(std::num::NonZeroUsize::MIN);
            engine.set_policy_length_config(regorus::utils::limits::PolicyLengthConfig {
                max_file_bytes: limit(batches.text.len() + 1),
                max_lines: limit(batches.text.lines().count() + 2),
                ..Default::default()
            });
            add_source(&mut engine, &batches)?;
            engine.set_policy_length_config(Default::default());
            engine.eval_query("true".to_string(), false).map_err(|e| policy_error(&batches.name, &e))?;
        }
        let filters = catalogue.rules.iter().map(|rule| TypeFilter::from_custom(&rule.custom)).collect();
        let narrowing = (options.specialise && !options.all_rules)
            .then(|| Narrowing::new(sources, data, options, &loaded[..sources.len()], &packages))
            .flatten();
        Ok(Self {
            documents: catalogue.documents,
            narrowing,
            filters,
            all_rules: options.all_rules,
            template: Mutex::new(engine),
            pool: Mutex::new(Vec::new()),
            token: Arc::new(()),
            rules: catalogue.rules,
            units: catalogue.units,
            serial,
            parallel,
            tests: catalogue.tests,
            files: sources.len(),
            rule_timeout: options.rule_timeout,
        })
    }

    /// How many units (rule documents or definitions evaluated on their own) there are.
    pub(crate) fn units_len(&self) -> usize {
        self.units.len()
    }

    /// The rule document of each unit.
    pub(crate) fn unit_documents(&self) -> &[affinity::Document] {
        &self.documents
    }

    /// The rule of each unit.
    pub(crate) fn rule_infos(&self) -> &[RuleInfo] {
        &self.rules
    }

    /// The `test_*` rules of every package (for `oppie-policy test`).
    pub fn tests(&self) -> &[TestRule] {
        &self.tests
    }

    /// Runs one test rule: `Ok(true)` passes, `Ok(false)` fails (false or undefined).
    pub fn run_test(&self, test: &TestRule) -> std::result::Result<bool, EvalError> {
        let mut engine = self.checkout();
        let value = eval_unit(&mut engine, &test.unit);
        let prints = engine.take_prints().unwrap_or_default();
        self.checkin(engine);
        for line in prints {
            tracing::info!(target: "rego_print", "{line}");
        }
        Ok(value? == regorus::Value::Bool(true))
    }

    /// Evaluates an arbitrary query (for `oppie-policy eval`); returns OPA-style results.
    pub fn query(&self, input: Option<&Input>, query: &str) -> Result<serde_json::Value> {
        let mut engine = self.checkout();
        engine.set_input(input.map_or(regorus::Value::Undefined, |i| i.value().clone()));
        let results = engine.eval_query(query.to_string(), false);
        self.checkin(engine);
        let results = results.map_err(|e| Error::Query(flatten(&e)))?;
        serde_json::to_value(&results).map_err(|e| Error::Query(e.to_string()))
    }

    /// [`RegoEngine::query`] with any JSON document as `input` (not only plans and states),
    /// for conformance runs against OPA's test cases.
    pub fn query_value(&self, input: Option<&serde_json::Value>, query: &str) -> Result<serde_json::Value> {
        let input = match input {
            Some(value) => serde_json::from_value(value.clone()).map_err(|e| Error::Query(e.to_string()))?,
            None => regorus::Value::Undefined,
        };
        let mut engine = self.checkout();
        engine.set_input(input);
        let results = engine.eval_query(query.to_string(), false);
        self.checkin(engine);
        let results = results.map_err(|e| Error::Query(flatten(&e)))?;
        serde_json::to_value(&results).map_err(|e| Error::Query(e.to_string()))
    }

    /// An interpreter for this thread: the one it used last if it has one (its values were
    /// allocated here, so freeing them stays on this thread's heap), else one from the shared
    /// pool, else a copy of the template.
    fn checkout(&self) -> regorus::Engine {
        let own = STASH.with(|stash| {
            let mut stash = stash.borrow_mut();
            stash.retain(|(owner, _)| owner.strong_count() > 0);
            let at =
                stash.iter().position(|(owner, _)| owner.upgrade().is_some_and(|o| Arc::ptr_eq(&o, &self.token)))?;
            Some(stash.swap_remove(at).1)
        });
        if let Some(engine) = own {
            return engine;
        }
        let pooled = self.pool.lock().ok().and_then(|mut pool| pool.pop());
        match pooled {
            Some(engine) => engine,
            None => match self.template.lock() {
                Ok(template) => template.clone(),
                Err(poisoned) => poisoned.into_inner().clone(),
            },
        }
    }

    /// Keeps `engine` for this thread's next evaluation (a thread keeps one per policy set) or,
    /// from a thread about to end (a worker of a parallel evaluation), in the shared pool.
    fn checkin(&self, engine: regorus::Engine) {
        self.checkin_to(engine, true);
    }

    fn checkin_to(&self, engine: regorus::Engine, this_thread: bool) {
        if !this_thread {
            if let Ok(mut pool) = self.pool.lock() {
                pool.push(engine);
            }
            return;
        }
        let spare = STASH.with(|stash| {
            let mut stash = stash.borrow_mut();
            let mine = stash.iter().any(|(owner, _)| owner.upgrade().is_some_and(|o| Arc::ptr_eq(&o, &self.token)));
            if mine {
                Some(engine)
            } else {
                stash.push((Arc::downgrade(&self.token), engine));
                None
            }
        });
        if let Some(engine) = spare
            && let Ok(mut pool) = self.pool.lock()
        {
            pool.push(engine);
        }
    }
}

thread_local! {
    /// The interpreter each thread used last, per policy set (by its engine's token; entries of
    /// dropped sets are cleared on the next checkout).
    static STASH: std::cell::RefCell<Vec<(std::sync::Weak<()>, regorus::Engine)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

impl Engine for RegoEngine {
    fn describe(&self) -> String {
        format!("rego: {} files, {} rules", self.files, self.rules.len())
    }

    fn rules(&self) -> &[RuleInfo] {
        &self.rules
    }

    fn profile(&self, input: &Input) -> Vec<Duration> {
        let mut engine = self.checkout();
        engine.set_input(input.value().clone());
        let times = self
            .units
            .iter()
            .map(|unit| {
                let started = std::time::Instant::now();
                let _ = eval_unit(&mut engine, unit);
                started.elapsed()
            })
            .collect();
        let _ = engine.take_prints();
        engine.set_input(regorus::Value::Undefined);
        self.checkin(engine);
        times
    }

    fn evaluate(&self, input: &Input) -> Vec<RuleResult> {
        let mut results: Vec<Option<RuleResult>> = vec![None; self.units.len()];
        // Rules limited to resource types the input does not hold pass without evaluation.
        let types = if self.all_rules { None } else { applicability::input_types(input.value()) };
        let applies: Vec<bool> = self.filters.iter().map(|filter| filter.applies(types.as_ref())).collect();
        let applies = &applies;
        let large = input.json_text().len() >= PARALLEL_INPUT_BYTES;
        if !large
            && let Some(narrower) =
                self.narrowing.as_ref().and_then(|n| n.engine_for(applies, &self.documents, &self.rules))
        {
            // Rules that do not apply pass; the others take their results from the narrower set.
            let mut results: Vec<RuleResult> = vec![Ok(Vec::new()); self.units.len()];
            for (result, &unit) in narrower.engine.evaluate(input).into_iter().zip(&narrower.units) {
                if let Some(slot) = results.get_mut(unit) {
                    *slot = result;
                }
            }
            return results;
        }
        if large && !self.parallel.is_empty() {
            // Rules are independent: on a big plan each core takes rules as it gets to them.
            // Each worker computes the helper library it needs once, in its own interpreter.
            let claims = Arc::new(Claims::new(self.units.len()));
            std::thread::scope(|scope| {
                let workers: Vec<_> = self
                    .parallel
                    .iter()
                    .enumerate()
                    .map(|(worker, shard)| {
                        let claims = Some((Arc::clone(&claims), worker));
                        std::thread::Builder::new()
                            .stack_size(crate::limits::EVAL_STACK_BYTES)
                            .spawn_scoped(scope, move || self.run_shard(shard, input, applies, claims))
                    })
                    .collect();
                for worker in workers {
                    // A worker that panicked or could not start leaves its units without a
                    // result: evaluated below.
                    let done = worker.ok().and_then(|w| w.join().ok()).unwrap_or_default();
                    for (index, result) in done {
                        if let Some(slot) = results.get_mut(index) {
                            *slot = Some(result);
                        }
                    }
                }
            });
            let missing: Vec<usize> = (0..self.units.len()).filter(|&i| results[i].is_none()).collect();
            if !missing.is_empty() {
                let rest = Shard { units: missing, batch: None };
                for (index, result) in self.run_shard(&rest, input, applies, None) {
                    if let Some(slot) = results.get_mut(index) {
                        *slot = Some(result);
                    }
                }
            }
        } else {
            for (index, result) in self.run_shard(&self.serial, input, applies, None) {
                if let Some(slot) = results.get_mut(index) {
                    *slot = Some(result);
                }
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(EvalError::Failed("internal error: rule not evaluated".into()))))
            .collect()
    }
}

/// Inputs at least this large (about 250 resources) are evaluated on several cores.
const PARALLEL_INPUT_BYTES: usize = 512 * 1024;

/// More workers than this gain little: each recomputes the shared helper values.
const MAX_WORKERS: usize = 4;

/// The host function a batch rule asks whether unit `i` applies to the current input.
const APPLIES_FUNCTION: &str = "oppie_policy_internal_applies";

thread_local! {
    /// Which units apply to the input this thread is evaluating (see [`TypeFilter`]), and the
    /// claims it shares with the other workers of a parallel evaluation; read by
    /// [`APPLIES_FUNCTION`]. `None` outside an evaluation, which makes every unit apply.
    static TURN: std::cell::RefCell<Option<Turn>> = const { std::cell::RefCell::new(None) };
}

/// One thread's part in an evaluation.
struct Turn {
    applies: Vec<bool>,
    claims: Option<(Arc<Claims>, usize)>,
    /// With trace logging on: when this thread started each unit it evaluated, for the
    /// per-rule timeline of a batch.
    started: Option<Vec<(usize, std::time::Instant)>>,
    /// The unit this thread's batch is evaluating now: the one blamed when the batch runs out
    /// of time.
    current: Option<usize>,
}

/// Which worker of a parallel evaluation took each unit. Workers walk the units in different
/// orders and each evaluates the units it claims first, so the work evens out however unequal
/// the rules are (dealing them out in advance left one core idle for a third of the time).
struct Claims {
    owners: Vec<AtomicUsize>,
    /// What the workers computed of the whole-plan helpers (see [`native::Memo`]).
    memo: Arc<native::Memo>,
}

impl Claims {
    fn new(units: usize) -> Self {
        Self { owners: (0..units).map(|_| AtomicUsize::new(0)).collect(), memo: Arc::default() }
    }

    /// Claims unit `index` for `worker`: `true` when it was free or is already the worker's.
    fn claim(&self, index: usize, worker: usize) -> bool {
        let Some(owner) = self.owners.get(index) else {
            return false;
        };
        match owner.compare_exchange(0, worker + 1, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => true,
            Err(current) => current == worker + 1,
        }
    }
}

/// [`APPLIES_FUNCTION`]: `true` when this thread's evaluation did not rule unit `args[0]` out
/// and, in a parallel evaluation, this thread claimed it.
fn unit_applies(args: Vec<regorus::Value>) -> anyhow::Result<regorus::Value> {
    let index = args.first().and_then(|a| a.as_u64().ok()).and_then(|i| usize::try_from(i).ok());
    let applies = index.is_none_or(|i| {
        TURN.with(|cell| match cell.borrow().as_ref() {
            None => true,
            Some(turn) => {
                turn.applies.get(i).copied().unwrap_or(true)
                    && turn.claims.as_ref().is_none_or(|(claims, worker)| claims.claim(i, *worker))
            }
        })
    });
    if applies {
        TURN.with(|cell| {
            if let Some(turn) = cell.borrow_mut().as_mut() {
                turn.current = index;
                if let Some(started) = turn.started.as_mut() {
                    started.push((index.unwrap_or(usize::MAX), std::time::Instant::now()));
                }
            }
        });
    }
    Ok(regorus::Value::Bool(applies))
}

/// Package of the generated batch rules (one per shard, see [`batch_module`]).
const BATCH_PACKAGE: &str = "oppie_policy_internal.batch";

/// A share of the units, with the batch rule that evaluates its whole-document units together.
#[derive(Debug, Clone)]
struct Shard {
    units: Vec<usize>,
    /// The generated rule over the shard's whole-document units (`s1 := {"3": [v |
    /// oppie_policy_internal_applies(3); v := data.a.deny], ...}`): rules then share the cached
    /// values of the rules they use (`data.oppie.lib`), which separate evaluations would each
    /// recompute. A rule rather than a query, because a query is parsed and analysed again on
    /// every evaluation.
    batch: Option<BatchRule>,
}

/// A shard's generated batch rule.
#[derive(Debug, Clone)]
struct BatchRule {
    /// `data.oppie_policy_internal.batch.s<n>`.
    path: String,
    /// The rule's definition.
    text: String,
}

impl Shard {
    fn new(id: usize, units: Vec<usize>, all: &[Unit]) -> Self {
        let batch = batch_rule(id, all, &units);
        Self { units, batch }
    }

    /// One shard with every unit, and one per worker of `threads` (0: one per core, at most
    /// [`MAX_WORKERS`]; none when that is a single thread). A worker's shard also holds every
    /// unit, in its own order (see [`affinity::worker_orders`]: the units whose `helpers`
    /// overlap most first): workers claim units as they reach them (see [`Claims`]).
    fn split(units: &[Unit], helpers: &[BTreeSet<affinity::Document>], threads: usize) -> (Self, Vec<Self>) {
        let all: Vec<usize> = (0..units.len()).collect();
        let workers = match threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from).clamp(1, MAX_WORKERS),
            n => n,
        };
        let parallel = if workers > 1 && all.len() > 1 {
            affinity::worker_orders(helpers, workers)
                .into_iter()
                .enumerate()
                .map(|(w, order)| {
                    if tracing::enabled!(tracing::Level::TRACE) {
                        let names: Vec<String> = order.iter().map(|&i| unit_label(units, i)).collect();
                        tracing::trace!("worker {} takes the rules in this order: {}", w + 1, names.join(" "));
                    }
                    Self::new(w + 1, order, units)
                })
                .collect()
        } else {
            Vec::new()
        };
        (Self::new(0, all, units), parallel)
    }
}

/// Logs how long each unit of a batch took on this thread: from its start to the next one's.
fn trace_timeline(units: &[Unit], started: &[(usize, std::time::Instant)], end: std::time::Instant) {
    let ends = started.iter().skip(1).map(|(_, at)| *at).chain(std::iter::once(end));
    let lines: Vec<String> = started
        .iter()
        .zip(ends)
        .map(|((index, at), next)| format!("{:>9.3?} {}", next.duration_since(*at), unit_label(units, *index)))
        .collect();
    tracing::trace!("batch timeline on this thread:\n{}", lines.join("\n"));
}

/// The rule path of unit `index`, for logs.
fn unit_label(units: &[Unit], index: usize) -> String {
    match units.get(index) {
        Some(Unit::Document { path }) => path.clone(),
        Some(Unit::Definition { components, .. }) => components.join("."),
        None => String::new(),
    }
}

/// The module holding every shard's batch rule, or `None` when no shard has one.
fn batch_module<'a>(shards: impl IntoIterator<Item = &'a Shard>) -> Option<RegoSource> {
    let rules: Vec<&str> = shards.into_iter().filter_map(|s| s.batch.as_ref().map(|b| b.text.as_str())).collect();
    (!rules.is_empty()).then(|| RegoSource {
        name: format!("<generated {BATCH_PACKAGE}>"),
        text: format!("package {BATCH_PACKAGE}\n\n{}", rules.concat()),
        version: RegoVersion::V1,
    })
}

impl RegoEngine {
    /// Sets the wall-clock budget of the engine's next evaluations.
    fn set_budget(&self, engine: &mut regorus::Engine, limit: Duration) {
        engine.set_execution_timer_config(ExecutionTimerConfig { limit, check_interval: TIMER_CHECK_INTERVAL });
    }

    /// Evaluates one shard's units with one pooled interpreter; units whose `applies` entry
    /// is false pass without evaluation. With `claims` (a parallel evaluation) it evaluates and
    /// returns only the units this worker claims; the others are left to the other workers.
    fn run_shard(
        &self,
        shard: &Shard,
        input: &Input,
        applies: &[bool],
        claims: Option<(Arc<Claims>, usize)>,
    ) -> Vec<(usize, RuleResult)> {
        let applicable = |index: &usize| applies.get(*index).copied().unwrap_or(true);
        let mine = |index: usize| claims.as_ref().is_none_or(|(claims, worker)| claims.claim(index, *worker));
        let mut results = Vec::with_capacity(shard.units.len());
        if claims.is_none() {
            results.extend(shard.units.iter().filter(|i| !applicable(i)).map(|&index| (index, Ok(Vec::new()))));
        }
        let chosen: Vec<usize> = shard.units.iter().copied().filter(applicable).collect();
        if chosen.is_empty() {
            return results;
        }
        let mut engine = self.checkout();
        engine.set_input(input.value().clone());
        // Fast path: all applicable whole-document rules in one evaluation of the shard's batch
        // rule, which asks `APPLIES_FUNCTION` which units to evaluate. If anything in it fails or
        // runs out of time, every rule is evaluated again on its own, so the failure is
        // pinned on the rule that caused it and the other rules still report.
        // The batch gets one rule's budget. When it runs out of time, the rule it was
        // evaluating is blamed and not evaluated again, and the rule-by-rule pass gets one more
        // budget, shared: `--rule-timeout` bounds the whole check (at about twice its value),
        // not each of its rules in turn.
        let started = std::time::Instant::now();
        let mut blamed = None;
        let outcome = shard.batch.as_ref().map(|batch| {
            self.set_budget(&mut engine, self.rule_timeout);
            let timeline = tracing::enabled!(tracing::Level::TRACE).then(Vec::new);
            let turn = Turn { applies: applies.to_vec(), claims: claims.clone(), started: timeline, current: None };
            TURN.with(|cell| cell.replace(Some(turn)));
            let memo = claims.as_ref().map(|(claims, _)| Arc::clone(&claims.memo));
            let value = native::with_memo(memo, || engine.eval_rule(batch.path.clone()));
            let turn = TURN.with(|cell| cell.take());
            if let Err(e) = &value
                && matches!(classify(e), EvalError::Budget(_))
            {
                blamed = turn.as_ref().and_then(|turn| turn.current);
            }
            if let Some(started) = turn.and_then(|turn| turn.started) {
                trace_timeline(&self.units, &started, std::time::Instant::now());
            }
            value.map(|value| unpack_batch(&value, &chosen))
        });
        tracing::debug!("{} rules in one batch in {:?}", chosen.len(), started.elapsed());
        // After a batch that ran out of time the other rules share one more budget; after one
        // that failed otherwise (a broken rule), each rule gets its own, as it would alone.
        let deadline = blamed.map(|_| std::time::Instant::now() + self.rule_timeout);
        let mut batched = match outcome {
            Some(Ok(values)) => values,
            Some(Err(e)) => {
                tracing::debug!("batched evaluation failed, evaluating rule by rule: {e:#}");
                Default::default()
            }
            None => Default::default(),
        };
        for &index in &chosen {
            let Some(unit) = self.units.get(index) else {
                continue;
            };
            // In a parallel evaluation the batch holds every unit, `[]` for those another
            // worker claimed: a unit's value counts only when this worker owns it.
            if !mine(index) {
                continue;
            }
            let value = match batched.remove(&index) {
                Some(value) => Ok(value),
                None if blamed == Some(index) => Err(EvalError::Budget(format!(
                    "the rule ran past --rule-timeout ({:?}) while the rules were evaluated together",
                    self.rule_timeout
                ))),
                None => {
                    let left =
                        deadline.map_or(self.rule_timeout, |d| d.saturating_duration_since(std::time::Instant::now()));
                    if left.is_zero() {
                        Err(EvalError::Budget(format!(
                            "not evaluated: the check's time budget ran out (twice --rule-timeout, {:?})",
                            self.rule_timeout
                        )))
                    } else {
                        self.set_budget(&mut engine, left.min(self.rule_timeout));
                        eval_unit(&mut engine, unit)
                    }
                }
            };
            let result = value.and_then(|value| {
                let json =
                    serde_json::to_value(&value).map_err(|e| EvalError::Failed(format!("result is not JSON: {e}")))?;
                Ok(rule_values(json))
            });
            results.push((index, result));
        }
        for line in engine.take_prints().unwrap_or_default() {
            tracing::info!(target: "rego_print", "{line}");
        }
        self.set_budget(&mut engine, self.rule_timeout);
        engine.set_input(regorus::Value::Undefined);
        self.checkin_to(engine, claims.is_none());
        results
    }
}

/// Builds shard `id`'s batch rule for `chosen` units: key `"<i>"` holds `[value]` of unit `i`
/// (or `[]` when the document is undefined or the unit does not apply to the input), so the
/// rule itself is always defined.
fn batch_rule(id: usize, units: &[Unit], chosen: &[usize]) -> Option<BatchRule> {
    let parts: Vec<String> = chosen
        .iter()
        .filter_map(|&index| match units.get(index) {
            // One document per line: the parser limits the length of a line.
            Some(Unit::Document { path }) => {
                Some(format!("\t\"{index}\": [v | {APPLIES_FUNCTION}({index}); v := {path}],\n"))
            }
            _ => None,
        })
        .collect();
    (!parts.is_empty()).then(|| BatchRule {
        path: format!("data.{BATCH_PACKAGE}.s{id}"),
        text: format!("s{id} := {{\n{}}}\n\n", parts.concat()),
    })
}

/// Reads the value of each chosen unit out of the batch rule's object.
fn unpack_batch(value: &regorus::Value, chosen: &[usize]) -> std::collections::HashMap<usize, regorus::Value> {
    let Ok(fields) = value.as_object() else {
        return Default::default();
    };
    chosen
        .iter()
        .filter_map(|&index| {
            let values = fields.get(&regorus::Value::from(index.to_string()))?.as_array().ok()?;
            Some((index, values.first().cloned().unwrap_or(regorus::Value::Null)))
        })
        .collect()
}

fn eval_unit(engine: &mut regorus::Engine, unit: &Unit) -> std::result::Result<regorus::Value, EvalError> {
    let value = match unit {
        Unit::Document { path } => engine.eval_rule(path.clone()),
        Unit::Definition { module, rule, components } => {
            let modules = engine.get_modules();
            let found = modules.get(*module).and_then(|m| {
                let r = m.policy.get(*rule)?;
                Some((m.clone(), r.clone()))
            });
            match found {
                Some((m, r)) => engine.eval_rule_in_module(&m, &r, false).map(|data| lookup(&data, components)),
                None => Err(anyhow::anyhow!("internal error: rule definition not found")),
            }
        }
    };
    match value {
        Ok(regorus::Value::Undefined) => Ok(regorus::Value::Null),
        Ok(value) => Ok(value),
        Err(e) => Err(classify(&e)),
    }
}

fn lookup(data: &regorus::Value, components: &[String]) -> regorus::Value {
    let mut current = data;
    for component in components {
        match current.as_object().ok().and_then(|o| o.get(&regorus::Value::from(component.as_str()))) {
            Some(next) => current = next,
            None => return regorus::Value::Undefined,
        }
    }
    current.clone()
}

fn classify(e: &anyhow::Error) -> EvalError {
    let limit = e.chain().find_map(|cause| cause.downcast_ref::<regorus::LimitError>());
    match limit {
        Some(regorus::LimitError::MemoryLimitExceeded { .. }) => EvalError::Memory(flatten(e)),
        Some(_) => EvalError::Budget(flatten(e)),
        None if flatten(e).contains("time limit") => EvalError::Budget(flatten(e)),
        None => EvalError::Failed(flatten(e)),
    }
}

/// One line of text for an anyhow error chain (regorus messages carry a source excerpt).
fn flatten(e: &anyhow::Error) -> String {
    let text = format!("{e:#}");
    text.trim().to_string()
}

/// Adds one source, choosing v0 or v1 syntax; maps parse errors to `file:line:col`.
fn add_source(engine: &mut regorus::Engine, source: &RegoSource) -> Result<()> {
    let attempt = |engine: &mut regorus::Engine, v0: bool| {
        engine.set_rego_v0(v0);
        engine.add_policy(source.name.clone(), source.text.clone())
    };
    let result = match source.version {
        RegoVersion::V1 => attempt(engine, false).map_err(|e| policy_error(&source.name, &e)),
        RegoVersion::V0 => attempt(engine, true).map_err(|e| policy_error(&source.name, &e)),
        RegoVersion::Auto => match attempt(engine, false) {
            Ok(package) => Ok(package),
            Err(v1_error) => attempt(engine, true).map_err(|v0_error| {
                // Report the reading that got further into the file: that is the likelier intent.
                let v1 = policy_error(&source.name, &v1_error);
                let v0 = policy_error(&source.name, &v0_error);
                let position = |e: &Error| e.location().map(|l| (l.line, l.column));
                if position(&v0) > position(&v1) { v0 } else { v1 }
            }),
        },
    };
    engine.set_rego_v0(false);
    result.map(|_| ())
}

/// Turns a regorus parse/compile error (`--> file:line:col` plus excerpt) into [`Error::Policy`].
pub(crate) fn policy_error(fallback_file: &str, e: &anyhow::Error) -> Error {
    let text = format!("{e:#}");
    let mut location = Location::file(fallback_file);
    let mut excerpt = Vec::new();
    let mut message = None;
    for line in text.lines() {
        if let Some(position) = line.trim_start().strip_prefix("--> ") {
            let mut parts = position.rsplitn(3, ':');
            let column = parts.next().and_then(|c| c.trim().parse().ok());
            let line_no = parts.next().and_then(|l| l.trim().parse().ok());
            if let (Some(column), Some(line_no), Some(file)) = (column, line_no, parts.next()) {
                location = Location::new(file, line_no, column);
            }
        } else if let Some(rest) = line.strip_prefix("error: ") {
            message = Some(rest.to_string());
        } else if line.contains('|') {
            excerpt.push(line.to_string());
        } else if !line.trim().is_empty() && message.is_none() {
            message = Some(line.trim().to_string());
        }
    }
    let mut message = message.unwrap_or_else(|| text.trim().to_string());
    if location.line != 0 && !excerpt.is_empty() {
        message.push('\n');
        message.push_str(&excerpt.join("\n"));
    }
    Error::Policy { location, message }
}

fn module_packages(engine: &regorus::Engine) -> Result<Vec<Vec<String>>> {
    let packages = engine.get_policy_package_components().map_err(|e| policy_error("policy", &e))?;
    Ok(packages.into_iter().map(|p| p.components).collect())
}

/// Rule data path in Rego reference syntax: `data.a.b["not-an-ident"].deny`.
fn rule_path(components: &[String]) -> String {
    let mut path = String::from("data");
    for component in components {
        let ident = component.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && component.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if ident {
            path.push('.');
            path.push_str(component);
        } else {
            path.push('[');
            path.push_str(&serde_json::Value::String(component.clone()).to_string());
            path.push(']');
        }
    }
    path
}

/// The name a rule head defines: the root variable of its reference.
fn head_name(rule: &Rule) -> Option<(String, bool)> {
    let (refr, is_function) = match rule {
        Rule::Spec { head, .. } => match head {
            RuleHead::Compr { refr, .. } | RuleHead::Set { refr, .. } => (refr, false),
            RuleHead::Func { refr, .. } => (refr, true),
        },
        Rule::Default { refr, args, .. } => (refr, !args.is_empty()),
    };
    let mut expr: &Expr = refr;
    loop {
        match expr {
            Expr::RefDot { refr, .. } | Expr::RefBrack { refr, .. } => expr = refr,
            Expr::Var { span, .. } => return Some((span.text().to_string(), is_function)),
            _ => return None,
        }
    }
}

/// The rules found in the loaded modules, with their METADATA resolved.
struct Catalogue {
    rules: Vec<RuleInfo>,
    units: Vec<Unit>,
    /// The rule document of each unit.
    documents: Vec<affinity::Document>,
    tests: Vec<TestRule>,
}

/// One definition of a check rule, before grouping into documents.
struct Definition {
    module: usize,
    rule: usize,
    line: u32,
    location: Location,
    annotation: Annotation,
}

impl Catalogue {
    fn build(engine: &mut regorus::Engine, sources: &[RegoSource], options: &RegoOptions) -> Result<Self> {
        let packages = module_packages(engine)?;
        let namespaces = if options.conftest_namespaces {
            effective_namespaces(&options.namespaces, options.all_namespaces, &packages)
        } else if options.all_namespaces {
            Vec::new()
        } else {
            options.namespaces.clone()
        };
        let modules = engine.get_modules().clone();
        // METADATA blocks per module, keyed by the line of the statement they annotate.
        let mut blocks: Vec<BTreeMap<u32, Block>> = Vec::with_capacity(modules.len());
        for source in sources {
            let parsed = metadata::parse_blocks(&source.name, &source.text)?;
            blocks.push(parsed.into_iter().map(|b| (b.target_line, b)).collect());
        }
        let mut package_notes: BTreeMap<Vec<String>, Annotation> = BTreeMap::new();
        let mut subpackage_notes: BTreeMap<Vec<String>, Annotation> = BTreeMap::new();
        let mut document_notes: BTreeMap<(Vec<String>, String), Annotation> = BTreeMap::new();
        let mut documents: BTreeMap<(Vec<String>, String), (RuleKind, Vec<Definition>)> = BTreeMap::new();
        let mut tests = Vec::new();

        for (index, module) in modules.iter().enumerate() {
            let package = packages.get(index).cloned().unwrap_or_default();
            let file = sources.get(index).map_or("policy", |s| s.name.as_str());
            let mut notes = blocks.get(index).cloned().unwrap_or_default();
            if let Some(block) = notes.remove(&module.package.span.line) {
                let target = match block.annotation.scope {
                    None | Some(Scope::Package) => &mut package_notes,
                    Some(Scope::Subpackages) => &mut subpackage_notes,
                    Some(_) => {
                        return Err(scope_error(&block, "a package (use scope: package or subpackages)"));
                    }
                };
                let entry = target.entry(package.clone()).or_default();
                let mut merged = block.annotation.clone();
                merged.inherit(entry);
                *entry = merged;
            }
            for (rule_index, rule) in module.policy.iter().enumerate() {
                let Some((name, is_function)) = head_name(rule) else {
                    continue;
                };
                let span = rule.span();
                let location = Location::new(file, span.line, span.col);
                let block = notes.remove(&span.line);
                if let Some(block) = &block
                    && matches!(block.annotation.scope, Some(Scope::Package | Scope::Subpackages))
                {
                    return Err(scope_error(block, "a rule (use scope: rule or document)"));
                }
                if is_function || matches!(rule.as_ref(), Rule::Default { .. }) {
                    continue;
                }
                let mut annotation = Annotation::default();
                if let Some(block) = block {
                    if block.annotation.scope == Some(Scope::Document) {
                        document_notes.entry((package.clone(), name.clone())).or_default().inherit(&block.annotation);
                    } else {
                        annotation = block.annotation;
                    }
                }
                let test_name = name.strip_prefix("todo_").unwrap_or(&name);
                if test_name.starts_with("test_") {
                    let mut components = package.clone();
                    components.push(name.clone());
                    tests.push(TestRule {
                        package: package.join("."),
                        name: name.clone(),
                        location,
                        skip: name.starts_with("todo_"),
                        unit: Unit::Definition { module: index, rule: rule_index, components },
                    });
                    continue;
                }
                let Some(kind) = RuleKind::from_rule_name(&name) else {
                    continue;
                };
                if !in_namespaces(&package.join("."), &namespaces, options.conftest_namespaces) {
                    continue;
                }
                documents.entry((package.clone(), name)).or_insert_with(|| (kind, Vec::new())).1.push(Definition {
                    module: index,
                    rule: rule_index,
                    line: span.line,
                    location,
                    annotation,
                });
            }
        }

        let mut rules = Vec::new();
        let mut units = Vec::new();
        let mut unit_documents = Vec::new();
        for ((package, name), (kind, definitions)) in documents {
            // Most specific first: document, then package, then subpackages from nearest up.
            let mut general = document_notes.get(&(package.clone(), name.clone())).cloned().unwrap_or_default();
            if let Some(note) = package_notes.get(&package) {
                general.inherit(note);
            }
            for depth in (0..=package.len()).rev() {
                if let Some(note) = package.get(..depth).and_then(|p| subpackage_notes.get(p)) {
                    general.inherit(note);
                }
            }
            let dotted = package.join(".");
            let mut infos = Vec::with_capacity(definitions.len());
            for definition in &definitions {
                let mut annotation = definition.annotation.clone();
                annotation.inherit(&general);
                let info =
                    RuleInfo::from_annotation(&dotted, &name, kind, &annotation, Some(definition.location.clone()))
                        .map_err(|message| Error::Policy {
                            location: definition.location.clone(),
                            message: format!("METADATA of rule `{name}`: {message}"),
                        })?;
                infos.push(info);
            }
            let same = |a: &RuleInfo, b: &RuleInfo| {
                RuleInfo { location: None, ..a.clone() } == RuleInfo { location: None, ..b.clone() }
            };
            let mut components = package.clone();
            components.push(name.clone());
            match infos.first() {
                Some(first) if infos.iter().all(|i| same(i, first)) => {
                    rules.push(first.clone());
                    units.push(Unit::Document { path: rule_path(&components) });
                    unit_documents.push((package.clone(), name.clone()));
                }
                _ => {
                    for (info, definition) in infos.into_iter().zip(&definitions) {
                        tracing::debug!(
                            rule = %info.id,
                            line = definition.line,
                            "definition evaluated separately: its METADATA differs"
                        );
                        rules.push(info);
                        units.push(Unit::Definition {
                            module: definition.module,
                            rule: definition.rule,
                            components: components.clone(),
                        });
                        unit_documents.push((package.clone(), name.clone()));
                    }
                }
            }
        }
        Ok(Self { rules, units, documents: unit_documents, tests })
    }
}

fn scope_error(block: &Block, expected: &str) -> Error {
    Error::Policy {
        location: block.location.clone(),
        message: format!("METADATA scope does not fit: this block annotates {expected}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(name: &str, text: &str) -> RegoSource {
        RegoSource { name: name.into(), text: text.into(), version: RegoVersion::Auto }
    }

    fn plan(json: &str) -> Input {
        Input::from_json_str("plan.json", json).unwrap()
    }

    #[test]
    fn rule_paths_quote_non_identifiers() {
        let parts = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(rule_path(&parts(&["a", "b", "deny"])), "data.a.b.deny");
        assert_eq!(rule_path(&parts(&["my-pkg", "deny"])), "data[\"my-pkg\"].deny");
    }

    #[test]
    fn workers_claim_each_rule_once_and_agree_with_one_thread() {
        // Eight rules of unequal cost, one of them broken, on an input large enough to be
        // evaluated in parallel.
        let mut sources: Vec<RegoSource> = (0..7)
            .map(|i| {
                let text = format!(
                    "package r{i}\ndeny contains msg if {{\n  some rc in input.resource_changes\n  \
                     count([x | some x in numbers.range(0, {i} * 20)]) >= 0\n  \
                     rc.name == \"n{i}\"\n  msg := sprintf(\"r{i} %s\", [rc.address])\n}}\n"
                );
                source(&format!("r{i}.rego"), &text)
            })
            .collect();
        sources
            .push(source("broken.rego", "package broken\ndeny contains 1 if {\n  some x in input.format_version\n}\n"));
        let changes: Vec<serde_json::Value> = (0..4000)
            .map(|n| {
                serde_json::json!({"address": format!("t.x{n}"), "mode": "managed", "type": "t",
                "name": format!("n{}", n % 9), "change": {"actions": ["create"], "after": {"pad": "x".repeat(100)}}})
            })
            .collect();
        let document = serde_json::json!({"format_version": "1.2", "resource_changes": changes}).to_string();
        assert!(document.len() >= PARALLEL_INPUT_BYTES);
        let input = plan(&document);
        let evaluate = |threads: usize| {
            // A generous budget: this is about agreement, and the whole check shares one budget.
            let options = RegoOptions { threads, rule_timeout: Duration::from_secs(600), ..RegoOptions::default() };
            let engine = RegoEngine::load(&sources, &[], &options).unwrap();
            engine.evaluate(&input)
        };
        let serial = evaluate(1);
        let parallel = evaluate(3);
        assert_eq!(serial.len(), 8);
        assert_eq!(parallel.len(), 8);
        for (one, many) in serial.iter().zip(&parallel) {
            match (one, many) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a.len(), b.len());
                    let sorted = |v: &Vec<serde_json::Value>| {
                        let mut v: Vec<String> = v.iter().map(|x| x.to_string()).collect();
                        v.sort();
                        v
                    };
                    assert_eq!(sorted(a), sorted(b));
                }
                (Err(_), Err(_)) => {}
                other => panic!("serial and parallel disagree: {other:?}"),
            }
        }
        assert_eq!(serial.iter().filter(|r| r.is_err()).count(), 1, "the broken rule fails, the others report");
        assert!(serial.iter().flatten().map(Vec::len).sum::<usize>() > 2000);
    }

    #[test]
    fn a_claimed_unit_stays_with_its_worker() {
        let claims = Claims::new(3);
        assert!(claims.claim(1, 0));
        assert!(claims.claim(1, 0), "claiming again is a no-op");
        assert!(!claims.claim(1, 1));
        assert!(claims.claim(2, 1));
        assert!(!claims.claim(7, 0), "out of range");
    }

    #[test]
    fn v0_and_v1_policies_load_side_by_side() {
        let v0 = source(
            "v0.rego",
            "package main\ndeny[msg] {\n  input.format_version == \"1.2\"\n  msg := \"v0 rule\"\n}\n",
        );
        let v1 = source(
            "v1.rego",
            "package other\ndeny contains msg if {\n  input.format_version == \"1.2\"\n  msg := \"v1 rule\"\n}\n",
        );
        let options = RegoOptions { all_namespaces: true, ..RegoOptions::default() };
        let engine = RegoEngine::load(&[v0, v1], &[], &options).unwrap();
        let results = engine.evaluate(&plan(r#"{"format_version":"1.2","resource_changes":[]}"#));
        assert_eq!(engine.rules().len(), 2);
        let mut all: Vec<_> = results.into_iter().flat_map(|r| r.unwrap()).collect();
        all.sort_by_key(|v| v.to_string());
        assert_eq!(all, [serde_json::json!("v0 rule"), serde_json::json!("v1 rule")]);
    }

    #[test]
    fn forced_v1_rejects_v0_syntax_with_location() {
        let mut bad = source("old.rego", "package main\n\ndeny[msg] {\n  msg := \"x\"\n}\n");
        bad.version = RegoVersion::V1;
        let err = match RegoEngine::load(&[bad], &[], &RegoOptions::default()) {
            Ok(_) => panic!("v0 syntax must not parse as v1"),
            Err(e) => e.to_string(),
        };
        assert!(err.starts_with("old.rego:3:"), "{err}");
    }

    #[test]
    fn parse_error_points_at_file_line_column() {
        let bad = source("broken.rego", "package main\n\ndeny contains msg if {\n  msg := \n}\n");
        let err = match RegoEngine::load(&[bad], &[], &RegoOptions::default()) {
            Ok(_) => panic!("broken policy must not load"),
            Err(e) => e,
        };
        let location = err.location().cloned().unwrap();
        assert_eq!(location.file, "broken.rego");
        assert!(location.line >= 4, "{err}");
        assert!(location.column > 0, "{err}");
    }

    #[test]
    fn definitions_with_different_metadata_are_separate_rules() {
        let policy = source(
            "split.rego",
            r#"package split

# METADATA
# title: first
# custom:
#   id: R-1
deny contains "one" if { true }

# METADATA
# title: second
# custom:
#   id: R-2
#   enforcement: advisory
deny contains "two" if { true }
"#,
        );
        let engine = RegoEngine::load(&[policy], &[], &RegoOptions::default()).unwrap();
        let ids: Vec<_> = engine.rules().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["R-1", "R-2"]);
        let results = engine.evaluate(&plan(r#"{"format_version":"1.0","values":{}}"#));
        assert_eq!(results[0].as_ref().unwrap(), &[serde_json::json!("one")]);
        assert_eq!(results[1].as_ref().unwrap(), &[serde_json::json!("two")]);
    }

    #[test]
    fn one_failing_rule_does_not_stop_the_others() {
        let policy = source(
            "mixed.rego",
            r#"package mixed

deny_conflict := x if { x := "a" }
deny_conflict := x if { x := "b" }

deny_ok contains "fine" if { true }
"#,
        );
        let engine = RegoEngine::load(&[policy], &[], &RegoOptions::default()).unwrap();
        let results = engine.evaluate(&plan(r#"{"format_version":"1.0","values":{}}"#));
        let by_name: BTreeMap<_, _> = engine.rules().iter().map(|r| r.name.as_str()).zip(results).collect();
        assert!(matches!(by_name["deny_conflict"], Err(EvalError::Failed(_))));
        assert_eq!(by_name["deny_ok"].as_ref().unwrap(), &[serde_json::json!("fine")]);
    }

    #[test]
    fn runaway_rule_is_stopped_by_the_time_budget() {
        let policy = source(
            "slow.rego",
            r#"package slow

deny contains msg if {
  n := count([x | some a in numbers.range(1, 3000); some b in numbers.range(1, 3000); x := a * b])
  msg := sprintf("%d", [n])
}

deny_fast contains "fast" if { true }
"#,
        );
        let options = RegoOptions { rule_timeout: Duration::from_millis(100), ..RegoOptions::default() };
        let engine = RegoEngine::load(&[policy], &[], &options).unwrap();
        let started = std::time::Instant::now();
        let results = engine.evaluate(&plan(r#"{"format_version":"1.0","values":{}}"#));
        assert!(started.elapsed() < Duration::from_secs(5));
        let by_name: BTreeMap<_, _> = engine.rules().iter().map(|r| r.name.as_str()).zip(results).collect();
        assert!(matches!(by_name["deny"], Err(EvalError::Budget(_))), "{:?}", by_name["deny"]);
        assert_eq!(by_name["deny_fast"].as_ref().unwrap(), &[serde_json::json!("fast")]);
    }

    #[test]
    fn large_inputs_run_on_several_cores_with_the_same_results() {
        let policy = source(
            "big.rego",
            r#"package big

deny contains rc.address if {
  some rc in input.resource_changes
  rc.change.after.public == true
}

warn contains msg if {
  msg := sprintf("%d changes", [count(input.resource_changes)])
}

deny_conflict := "a" if count(input.resource_changes) > 0
deny_conflict := "b" if count(input.resource_changes) > 0

violation contains rc.address if {
  some rc in input.resource_changes
  rc.type == "odd"
}
"#,
        );
        let engine = RegoEngine::load(&[policy], &[], &RegoOptions::default()).unwrap();
        let changes: Vec<serde_json::Value> = (0..4000)
            .map(|i| {
                serde_json::json!({
                    "address": format!("r.n{i}"),
                    "type": if i % 1000 == 0 { "odd" } else { "even" },
                    "change": {"after": {"public": i % 500 == 0, "padding": "x".repeat(100)}}
                })
            })
            .collect();
        let text = serde_json::json!({"format_version": "1.2", "resource_changes": changes}).to_string();
        assert!(text.len() >= PARALLEL_INPUT_BYTES);
        let input = Input::from_json_str("big.json", &text).unwrap();
        for _ in 0..2 {
            let by_name: BTreeMap<_, _> =
                engine.rules().iter().map(|r| r.name.as_str()).zip(engine.evaluate(&input)).collect();
            assert_eq!(by_name["deny"].as_ref().unwrap().len(), 8);
            assert_eq!(by_name["warn"].as_ref().unwrap(), &[serde_json::json!("4000 changes")]);
            assert!(matches!(by_name["deny_conflict"], Err(EvalError::Failed(_))));
            assert_eq!(by_name["violation"].as_ref().unwrap().len(), 4);
        }
    }

    #[test]
    fn imported_packages_are_not_evaluated_whole() {
        // `broken` fails whenever it is evaluated; only a whole-package evaluation touches it.
        let helpers = source(
            "helpers.rego",
            "package helpers\ncheap := 42\nbroken := \"a\" if true\nbroken := \"b\" if true\ndeny contains \"helper\" if true\ndouble(x) := 2 * x\n",
        );
        let main = source(
            "main.rego",
            "package main\nimport data.helpers\nimport data.helpers as h\ndeny contains x if { x := helpers.cheap }\nwarn contains y if { y := h.double(h.cheap) }\n",
        );
        let options = RegoOptions { all_namespaces: true, ..RegoOptions::default() };
        let engine = RegoEngine::load(&[helpers, main], &[], &options).unwrap();
        let input = plan(r#"{"format_version":"1.0","values":{}}"#);
        let ids: Vec<_> = engine.rules().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["helpers.deny", "main.deny", "main.warn"], "generated modules are not checks");
        let results = engine.evaluate(&input);
        assert_eq!(results[0].as_ref().unwrap(), &[serde_json::json!("helper")]);
        assert_eq!(results[1].as_ref().unwrap(), &[serde_json::json!(42)]);
        assert_eq!(results[2].as_ref().unwrap(), &[serde_json::json!(84)]);
    }

    #[test]
    fn namespaces_restrict_the_checks() {
        let a = source("a.rego", "package team.a\ndeny contains \"a\" if { true }\n");
        let b = source("b.rego", "package team.b\ndeny contains \"b\" if { true }\n");
        let options = RegoOptions { namespaces: vec!["team.a".into()], ..RegoOptions::default() };
        let engine = RegoEngine::load(&[a, b], &[], &options).unwrap();
        let packages: Vec<_> = engine.rules().iter().map(|r| r.package.as_str()).collect();
        assert_eq!(packages, ["team.a"]);
    }

    #[test]
    fn data_documents_are_visible_and_queries_work() {
        let policy =
            source("d.rego", "package d\ndeny contains msg if {\n  some env in data.frozen\n  msg := env\n}\n");
        let data = DataDocument { name: "data.json".into(), value: serde_json::json!({"frozen": ["prod"]}) };
        let engine = RegoEngine::load(&[policy], &[data], &RegoOptions::default()).unwrap();
        let input = plan(r#"{"format_version":"1.0","values":{}}"#);
        assert_eq!(engine.evaluate(&input)[0].as_ref().unwrap(), &[serde_json::json!("prod")]);
        let result = engine.query(Some(&input), "x := input.format_version").unwrap();
        assert_eq!(result["result"][0]["bindings"]["x"], "1.0");
    }
}
