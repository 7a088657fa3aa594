//! Builtins an OPA WASM module imports through `opa_builtin0..4`, served by regorus's own
//! implementations, so WASM and Rego policies see the same builtin semantics.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use regorus::utils::limits::ExecutionTimerConfig;

use crate::engine::rego::TIMER_CHECK_INTERVAL;

const PACKAGE: &str = "oppie_wasm_builtin";

/// The builtins one module requires, by the ids its `builtins()` export assigned.
pub(crate) struct HostBuiltins {
    names: BTreeMap<i32, String>,
    /// One tiny prepared Rego engine per (builtin, arity): `result := name(input[0], ...)`.
    callers: HashMap<(i32, usize), regorus::Engine>,
}

impl HostBuiltins {
    /// Takes the module's `builtins()` map (name → id).
    pub(crate) fn new(map: &BTreeMap<String, i32>) -> Self {
        Self { names: map.iter().map(|(name, id)| (*id, name.clone())).collect(), callers: HashMap::new() }
    }

    /// Calls builtin `id` with `args`. `Ok(None)` means undefined (the host returns address 0).
    pub(crate) fn call(&mut self, id: i32, args: Vec<regorus::Value>) -> Result<Option<regorus::Value>, String> {
        let name = self.names.get(&id).ok_or_else(|| format!("module called unknown builtin id {id}"))?.clone();
        let engine = match self.callers.entry((id, args.len())) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => entry.insert(prepare(&name, args.len())?),
        };
        engine.set_input(regorus::Value::from(args));
        let path = format!("data.{PACKAGE}.result");
        match engine.eval_rule(path) {
            Ok(regorus::Value::Undefined) => Ok(None),
            Ok(value) => Ok(Some(value)),
            Err(e) => Err(format!("builtin {name} failed: {e:#}")),
        }
    }
}

/// Builds the engine that evaluates `name` with `arity` arguments taken from `input`.
///
/// The name comes from an untrusted module, so it is checked to be a plain dotted identifier
/// before it goes into Rego source.
fn prepare(name: &str, arity: usize) -> Result<regorus::Engine, String> {
    let plain = !name.is_empty()
        && name.split('.').all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if !plain {
        return Err(format!("builtin name {name:?} is not a valid Rego function name"));
    }
    if !regorus::unstable::BUILTINS.contains_key(name) {
        return Err(format!("builtin {name} is not available in this host"));
    }
    let args: Vec<String> = (0..arity).map(|i| format!("input[{i}]")).collect();
    let source = format!("package {PACKAGE}\nresult := {name}({})\n", args.join(", "));
    let mut engine = regorus::Engine::new();
    // OPA semantics: a builtin error makes the call undefined.
    engine.set_strict_builtin_errors(false);
    engine.set_execution_timer_config(ExecutionTimerConfig {
        limit: Duration::from_secs(5),
        check_interval: TIMER_CHECK_INTERVAL,
    });
    let unavailable = |e: anyhow::Error| {
        tracing::debug!("builtin {name}/{arity}: {e:#}");
        format!("builtin {name} with {arity} arguments is not available in this host")
    };
    engine.add_policy("<wasm builtin>".to_string(), source).map_err(unavailable)?;
    Ok(engine)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtins() -> HostBuiltins {
        let map = [("sprintf", 0), ("count", 1), ("no.such", 2), ("bad name", 3)]
            .into_iter()
            .map(|(n, i)| (n.to_string(), i))
            .collect();
        HostBuiltins::new(&map)
    }

    #[test]
    fn calls_regorus_builtins() {
        let mut b = builtins();
        let fmt = regorus::Value::from("%s has %d");
        let args = regorus::Value::from(vec![regorus::Value::from("x"), regorus::Value::from(2)]);
        assert_eq!(b.call(0, vec![fmt, args]).unwrap(), Some(regorus::Value::from("x has 2")));
        let list = regorus::Value::from(vec![regorus::Value::Null; 3]);
        assert_eq!(b.call(1, vec![list]).unwrap(), Some(regorus::Value::from(3)));
    }

    #[test]
    fn type_errors_are_undefined_like_opa() {
        let mut b = builtins();
        assert_eq!(b.call(1, vec![regorus::Value::from(5)]).unwrap(), None);
    }

    #[test]
    fn unknown_and_malformed_names_are_errors() {
        let mut b = builtins();
        let err = b.call(2, vec![]).unwrap_err();
        assert!(err.contains("not available"), "{err}");
        let err = b.call(3, vec![]).unwrap_err();
        assert!(err.contains("not a valid Rego function name"), "{err}");
        let err = b.call(9, vec![]).unwrap_err();
        assert!(err.contains("unknown builtin id 9"), "{err}");
    }
}
