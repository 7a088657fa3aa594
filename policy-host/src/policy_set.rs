//! The library's front door: load policies once into a [`PolicySet`], then evaluate any number
//! of plans against it, from any number of threads (the provider and the policy server do).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::engine::Engine;
use crate::engine::rego::{DataDocument, RegoEngine, RegoOptions, RegoSource, RegoVersion};
#[cfg(feature = "wasm")]
use crate::engine::wasm::{EvalPath, WasmEngine};
use crate::error::{Error, Result};
use crate::findings::{self, Finding};
use crate::input::Input;
use crate::limits::WasmLimits;
use crate::loader::Sources;
use crate::rules::RuleInfo;

/// Compiled policies (Rego and WASM) with their data; cheap to evaluate, safe to share.
///
/// ```no_run
/// use oppie_policy::{Input, PolicySet};
/// # fn main() -> oppie_policy::Result<()> {
/// let policies = PolicySet::builder().policy("policies").build()?;
/// let plan = Input::from_path("plan.json".as_ref())?;
/// for finding in policies.evaluate(&plan) {
///     println!("{} {}: {}", finding.enforcement, finding.rule_id, finding.message);
/// }
/// # Ok(())
/// # }
/// ```
pub struct PolicySet {
    rego: Option<RegoEngine>,
    engines: Vec<Box<dyn Engine>>,
}

impl std::fmt::Debug for PolicySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let engines: Vec<String> = self.all_engines().map(|e| e.describe()).collect();
        f.debug_struct("PolicySet").field("engines", &engines).finish()
    }
}

impl PolicySet {
    /// Starts describing a policy set.
    pub fn builder() -> PolicySetBuilder {
        PolicySetBuilder::default()
    }

    fn all_engines(&self) -> impl Iterator<Item = &dyn Engine> {
        self.rego.iter().map(|r| r as &dyn Engine).chain(self.engines.iter().map(|e| e.as_ref()))
    }

    /// Every check rule (exceptions excluded), across all engines.
    pub fn rules(&self) -> Vec<&RuleInfo> {
        self.all_engines().flat_map(|e| e.rules().iter()).filter(|r| r.is_check()).collect()
    }

    /// One line per engine, for logs.
    pub fn describe(&self) -> Vec<String> {
        self.all_engines().map(|e| e.describe()).collect()
    }

    /// Evaluates every rule against `input`. A rule that fails or runs out of budget becomes an
    /// error finding; the other rules are unaffected.
    pub fn evaluate(&self, input: &Input) -> Vec<Finding> {
        let mut out = Vec::new();
        for engine in self.all_engines() {
            let results = engine.evaluate(input);
            out.extend(findings::collect(engine.rules(), results, input));
        }
        out
    }

    /// Times each rule evaluated on its own (for `check --profile`), slowest first.
    pub fn profile(&self, input: &Input) -> Vec<(&RuleInfo, std::time::Duration)> {
        let mut times: Vec<(&RuleInfo, std::time::Duration)> =
            self.all_engines().flat_map(|engine| engine.rules().iter().zip(engine.profile(input))).collect();
        times.sort_by_key(|(_, time)| std::cmp::Reverse(*time));
        times
    }

    /// Evaluates a Rego query against the loaded Rego policies and data (for `eval`).
    pub fn query(&self, input: Option<&Input>, query: &str) -> Result<serde_json::Value> {
        match &self.rego {
            Some(rego) => rego.query(input, query),
            None => Err(Error::Query("no Rego policies are loaded".into())),
        }
    }

    /// The Rego engine, when Rego policies are loaded (for `test`).
    pub fn rego(&self) -> Option<&RegoEngine> {
        self.rego.as_ref()
    }
}

/// Describes what to load into a [`PolicySet`].
#[derive(Debug, Clone, Default)]
pub struct PolicySetBuilder {
    policies: Vec<PathBuf>,
    data: Vec<PathBuf>,
    sources: Vec<RegoSource>,
    documents: Vec<DataDocument>,
    rego_version: RegoVersion,
    include_tests: bool,
    rego: RegoOptions,
    wasm: WasmLimits,
    classic_wasm: bool,
    allow_empty: bool,
}

impl PolicySetBuilder {
    /// A policy directory, `.rego` file, or bundle (`.tar.gz`, Rego or WASM).
    pub fn policy(mut self, path: impl Into<PathBuf>) -> Self {
        self.policies.push(path.into());
        self
    }

    /// A data file (merged at the root of `data`) or directory.
    pub fn data(mut self, path: impl Into<PathBuf>) -> Self {
        self.data.push(path.into());
        self
    }

    /// A Rego module given as text.
    pub fn rego_source(mut self, name: &str, text: &str) -> Self {
        self.sources.push(RegoSource { name: name.to_string(), text: text.to_string(), version: self.rego_version });
        self
    }

    /// A data document given as a value, merged at the root of `data`.
    pub fn data_document(mut self, name: &str, value: serde_json::Value) -> Self {
        self.documents.push(DataDocument { name: name.to_string(), value });
        self
    }

    /// The Rego syntax for policies whose directory or bundle does not say (default: auto).
    pub fn rego_version(mut self, version: RegoVersion) -> Self {
        self.rego_version = version;
        self
    }

    /// Also load `*_test.rego` files from policy directories (for `test`).
    pub fn include_tests(mut self, include: bool) -> Self {
        self.include_tests = include;
        self
    }

    /// Only rules in these packages (and, unless [`PolicySetBuilder::conftest_namespaces`], their
    /// sub-packages) are checks; none given: every package (conftest mode: `main` when declared).
    pub fn namespaces(mut self, namespaces: Vec<String>) -> Self {
        self.rego.namespaces = namespaces;
        self
    }

    /// Every package's rules are checks (conftest's `--all-namespaces`).
    pub fn all_namespaces(mut self, all: bool) -> Self {
        self.rego.all_namespaces = all;
        self
    }

    /// Select namespaces as conftest does: exactly, and `main` when none is given and the
    /// policies declare it (see [`RegoOptions::conftest_namespaces`](crate::engine::rego::RegoOptions)).
    pub fn conftest_namespaces(mut self, conftest: bool) -> Self {
        self.rego.conftest_namespaces = conftest;
        self
    }

    /// Wall-clock budget for one Rego rule.
    pub fn rule_timeout(mut self, timeout: Duration) -> Self {
        self.rego.rule_timeout = timeout;
        self
    }

    /// Threads for evaluating large inputs (0, the default: one per core, at most 4).
    pub fn threads(mut self, threads: usize) -> Self {
        self.rego.threads = threads;
        self
    }

    /// For a long-lived process (a server, the provider): evaluate each small input with an
    /// interpreter that holds only the policy files its applicable rules need, built once per
    /// set of applicable rules. Results are the same; a one-off check would only pay the compile.
    pub fn specialise(mut self, on: bool) -> Self {
        self.rego.specialise = on;
        self
    }

    /// Evaluate every Rego rule, also those whose METADATA `resource_types` the input does not
    /// hold (by default they pass without evaluation).
    pub fn all_rules(mut self, all: bool) -> Self {
        self.rego.all_rules = all;
        self
    }

    /// Fuel and memory limits for WASM policies.
    pub fn wasm_limits(mut self, limits: WasmLimits) -> Self {
        self.wasm = limits;
        self
    }

    /// Evaluate WASM modules through the ABI 1.0 context calls even when they offer `opa_eval`
    /// (to isolate a module whose fast path misbehaves).
    pub fn classic_wasm_abi(mut self, classic: bool) -> Self {
        self.classic_wasm = classic;
        self
    }

    /// Accept a set without user policies (only the built-in `data.oppie.lib`), for queries.
    pub fn allow_empty(mut self, allow: bool) -> Self {
        self.allow_empty = allow;
        self
    }

    /// Loads and compiles everything; the first bad file stops it with `file:line:col`.
    pub fn build(self) -> Result<PolicySet> {
        let mut sources = Sources::default();
        for path in &self.policies {
            sources.add_policy_path(path, self.rego_version, self.include_tests)?;
        }
        for path in &self.data {
            sources.add_data_path(path)?;
        }
        sources.rego.extend(self.sources);
        sources.data.extend(self.documents);
        if sources.rego.is_empty() && sources.wasm.is_empty() && !self.allow_empty {
            let named: Vec<String> = self.policies.iter().map(|p| p.display().to_string()).collect();
            return Err(Error::Policy {
                location: crate::error::Location::file(named.join(", ")),
                message: "no policies found (expected .rego files or a bundle)".into(),
            });
        }
        let rego = if sources.rego.is_empty() && !(self.allow_empty && sources.wasm.is_empty()) {
            None
        } else {
            Some(RegoEngine::load(&sources.rego, &sources.data, &self.rego)?)
        };
        #[cfg(not(feature = "wasm"))]
        if let Some(wasm) = sources.wasm.first() {
            return Err(Error::Policy {
                location: crate::error::Location::file(&wasm.name),
                message: "this build evaluates Rego only (built without the `wasm` feature): evaluate WASM bundles with the oppie-policy command or its server".into(),
            });
        }
        #[allow(unused_mut)]
        let mut engines: Vec<Box<dyn Engine>> = Vec::new();
        #[cfg(feature = "wasm")]
        let path = if self.classic_wasm { EvalPath::Classic } else { EvalPath::Best };
        #[cfg(feature = "wasm")]
        for wasm in &sources.wasm {
            // User data (`--data`) is visible to WASM policies too, merged over the bundle's.
            let mut data = wasm.data.clone();
            for document in &sources.data {
                crate::bundle::merge_at(&mut data, &[], document.value.clone())
                    .map_err(|m| Error::Input { location: crate::error::Location::file(&document.name), message: m })?;
            }
            let engine = WasmEngine::load_with_path(
                &wasm.name,
                &wasm.module.bytes,
                &data,
                &wasm.module.annotations,
                self.wasm,
                &self.rego.namespaces,
                path,
            )?;
            engines.push(Box::new(engine));
        }
        Ok(PolicySet { rego, engines })
    }
}

/// Where the CLI looks for policies when none are named: `policies/`, then conftest's `policy/`.
pub fn default_policy_dir() -> Option<&'static Path> {
    ["policies", "policy"].into_iter().map(Path::new).find(|p| p.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn policy_sets_can_be_shared_across_threads() {
        assert_send_sync::<PolicySet>();
    }

    #[test]
    fn evaluate_many_times_from_threads() {
        let set = PolicySet::builder()
            .rego_source(
                "p.rego",
                "package p\nimport data.oppie.lib\ndeny contains msg if {\n  some rc in input.resource_changes\n  msg := sprintf(\"%s changes\", [rc.address])\n}\n",
            )
            .build()
            .unwrap();
        let input =
            Input::from_json_str("plan.json", r#"{"format_version":"1.2","resource_changes":[{"address":"a.b"}]}"#)
                .unwrap();
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..20 {
                        let findings = set.evaluate(&input);
                        assert_eq!(findings.len(), 1);
                        assert_eq!(findings[0].message, "a.b changes");
                        assert_eq!(findings[0].resource.as_deref(), Some("a.b"));
                    }
                });
            }
        });
    }

    #[test]
    fn empty_policy_dir_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = PolicySet::builder().policy(dir.path()).build().unwrap_err();
        assert!(err.to_string().contains("no policies found"), "{err}");
    }
}
