//! OPA WASM policies (`opa build -t wasm` bundles) run with wasmtime behind the [`Engine`] trait.
//! Each conftest-named entrypoint is a rule; instances are pooled and replaced after a trap.

mod abi;
mod builtins;

use std::collections::BTreeMap;
use std::sync::Mutex;

pub(crate) use abi::EvalPath;
pub use abi::WasmLimits;
use abi::{OpaInstance, OpaModule};

use super::{Engine, EvalError, RuleResult, rule_values};
use crate::error::{Error, Result};
use crate::input::Input;
use crate::metadata::{Annotation, Scope};
use crate::rules::{RuleInfo, RuleKind, in_namespaces};

/// A compiled OPA WASM policy module with its data document.
pub struct WasmEngine {
    name: String,
    module: OpaModule,
    data_json: String,
    rules: Vec<RuleInfo>,
    entrypoints: Vec<i32>,
    pool: Mutex<Vec<OpaInstance>>,
    path: EvalPath,
    abi: (i32, i32),
}

impl WasmEngine {
    /// Compiles `wasm` (labelled `name` in messages), loads `data` into it, and finds its
    /// `deny`/`violation`/`warn`/`exception` entrypoints.
    ///
    /// `annotations` maps entrypoint names (`terraform/deny`) to the METADATA OPA recorded for
    /// them in the bundle manifest. `namespaces`, when non-empty, limits the checks to those
    /// packages.
    pub fn load(
        name: &str,
        wasm: &[u8],
        data: &serde_json::Value,
        annotations: &BTreeMap<String, Vec<Annotation>>,
        limits: WasmLimits,
        namespaces: &[String],
    ) -> Result<Self> {
        Self::load_with_path(name, wasm, data, annotations, limits, namespaces, EvalPath::Best)
    }

    pub(crate) fn load_with_path(
        name: &str,
        wasm: &[u8],
        data: &serde_json::Value,
        annotations: &BTreeMap<String, Vec<Annotation>>,
        limits: WasmLimits,
        namespaces: &[String],
        path: EvalPath,
    ) -> Result<Self> {
        let bundle_error = |message: String| Error::Bundle { path: name.to_string(), message };
        let module = OpaModule::compile(wasm, limits).map_err(&bundle_error)?;
        let data_json = data.to_string();
        let instance =
            module.instantiate(&data_json).map_err(|e| bundle_error(format!("cannot instantiate the policy: {e}")))?;
        let mut rules = Vec::new();
        let mut entrypoints = Vec::new();
        for (entrypoint, id) in instance.entrypoints() {
            let mut parts: Vec<&str> = entrypoint.split('/').filter(|p| !p.is_empty()).collect();
            let Some(rule_name) = parts.pop() else {
                continue;
            };
            let Some(kind) = RuleKind::from_rule_name(rule_name) else {
                continue;
            };
            let package = parts.join(".");
            if !in_namespaces(&package, namespaces, false) {
                continue;
            }
            let annotation = effective(annotations.get(entrypoint).map_or(&[][..], Vec::as_slice));
            let info = RuleInfo::from_annotation(&package, rule_name, kind, &annotation, None)
                .map_err(|m| bundle_error(format!("annotations of entrypoint {entrypoint}: {m}")))?;
            rules.push(info);
            entrypoints.push(*id);
        }
        if rules.is_empty() && namespaces.is_empty() {
            let names: Vec<&str> = instance.entrypoints().keys().map(String::as_str).collect();
            return Err(bundle_error(format!(
                "the WASM module has no deny, violation or warn entrypoint (it has: {})",
                names.join(", ")
            )));
        }
        let abi = instance.abi_version();
        Ok(Self {
            name: name.to_string(),
            module,
            data_json,
            rules,
            entrypoints,
            pool: Mutex::new(vec![instance]),
            path,
            abi,
        })
    }

    fn checkout(&self) -> std::result::Result<OpaInstance, EvalError> {
        let pooled = self.pool.lock().ok().and_then(|mut pool| pool.pop());
        match pooled {
            Some(instance) => Ok(instance),
            None => self.module.instantiate(&self.data_json),
        }
    }

    fn checkin(&self, instance: OpaInstance) {
        if let Ok(mut pool) = self.pool.lock() {
            pool.push(instance);
        }
    }
}

impl Engine for WasmEngine {
    fn describe(&self) -> String {
        format!("wasm: {} (ABI {}.{}, {} rules)", self.name, self.abi.0, self.abi.1, self.rules.len())
    }

    fn rules(&self) -> &[RuleInfo] {
        &self.rules
    }

    fn profile(&self, input: &Input) -> Vec<std::time::Duration> {
        // One evaluation per rule, each reusing the pooled instance.
        self.entrypoints
            .iter()
            .map(|&entrypoint| {
                let started = std::time::Instant::now();
                let _ = self.run(input, &[entrypoint]);
                started.elapsed()
            })
            .collect()
    }

    fn evaluate(&self, input: &Input) -> Vec<RuleResult> {
        self.run(input, &self.entrypoints)
    }
}

impl WasmEngine {
    /// Evaluates `entrypoints` against one input, replacing the instance after a trap.
    fn run(&self, input: &Input, entrypoints: &[i32]) -> Vec<RuleResult> {
        let text = input.json_text();
        let mut results = Vec::with_capacity(entrypoints.len());
        let mut live: Option<(OpaInstance, abi::PreparedInput)> = None;
        for &entrypoint in entrypoints {
            // After a trap the instance is discarded; the next rule gets a fresh one.
            let (instance, prepared) = match live.take() {
                Some(pair) => pair,
                None => {
                    let fresh = self.checkout().and_then(|mut instance| {
                        let prepared = instance.prepare_input(text, self.path)?;
                        Ok((instance, prepared))
                    });
                    match fresh {
                        Ok(pair) => pair,
                        Err(e) => {
                            results.push(Err(e));
                            continue;
                        }
                    }
                }
            };
            let mut instance = instance;
            match instance.eval(&prepared, entrypoint) {
                Ok(value) => {
                    results.push(Ok(value.map(rule_values).unwrap_or_default()));
                    live = Some((instance, prepared));
                }
                Err(e) => {
                    tracing::debug!(engine = %self.name, "discarding WASM instance after: {e}");
                    results.push(Err(e));
                }
            }
        }
        if let Some((instance, _)) = live {
            self.checkin(instance);
        }
        results
    }
}

/// Merges an entrypoint's annotations, most specific scope first.
fn effective(annotations: &[Annotation]) -> Annotation {
    let rank = |a: &Annotation| match a.scope {
        None | Some(Scope::Rule) => 0,
        Some(Scope::Document) => 1,
        Some(Scope::Package) => 2,
        Some(Scope::Subpackages) => 3,
    };
    let mut sorted: Vec<&Annotation> = annotations.iter().collect();
    sorted.sort_by_key(|a| rank(a));
    let mut merged = Annotation::default();
    for annotation in sorted {
        merged.inherit(annotation);
    }
    merged
}

#[cfg(test)]
mod tests;
