//! The evaluation engines behind one trait: Rego source via regorus, OPA WASM bundles via wasmtime.
//! An engine knows its rules and evaluates each one separately, so one failure stays local.

mod affinity;
pub(crate) mod applicability;
mod imports;
mod narrowing;
mod native;
pub mod rego;
mod text;
#[cfg(feature = "wasm")]
pub mod wasm;

use std::time::Duration;

use crate::input::Input;
use crate::rules::RuleInfo;

/// Why one rule produced no results.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// The rule ran past its time or fuel budget.
    #[error("evaluation budget exhausted: {0}")]
    Budget(String),
    /// The rule tried to use more memory than allowed.
    #[error("memory limit exceeded: {0}")]
    Memory(String),
    /// The rule failed (builtin error, conflict, trap, abort).
    #[error("{0}")]
    Failed(String),
}

/// The values one rule produced, or why it produced none.
pub type RuleResult = Result<Vec<serde_json::Value>, EvalError>;

/// A policy engine: a compiled set of rules that can be evaluated against many inputs.
///
/// Implementations are thread-safe: `evaluate` takes `&self` and may run concurrently.
pub trait Engine: Send + Sync {
    /// A short description for logs (`rego: 31 files`, `wasm: bundle.tar.gz`).
    fn describe(&self) -> String;

    /// The rules this engine evaluates, in a stable order.
    fn rules(&self) -> &[RuleInfo];

    /// Evaluates every rule against `input`; the result at index `i` belongs to `rules()[i]`.
    fn evaluate(&self, input: &Input) -> Vec<RuleResult>;

    /// Evaluates each rule on its own, serially, and returns how long each took (index `i`
    /// belongs to `rules()[i]`), for `check --profile`. A rule's time includes the helper
    /// rules it uses, which a normal evaluation shares between rules.
    fn profile(&self, input: &Input) -> Vec<Duration>;
}

/// Flattens a rule's value into its results, the way conftest reads `deny`/`warn`/`violation`:
/// a set or array yields its members, `true` yields one empty result, `false`/undefined none,
/// anything else (a string or an object) is itself one result.
pub(crate) fn rule_values(value: serde_json::Value) -> Vec<serde_json::Value> {
    match value {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Bool(true) => vec![serde_json::Value::String(String::new())],
        serde_json::Value::Bool(false) | serde_json::Value::Null => Vec::new(),
        other => vec![other],
    }
}
