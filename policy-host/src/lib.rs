//! oppie-policy: evaluates Rego and OPA WASM policies against Terraform plan and state JSON.
//!
//! Load policies once into a [`PolicySet`] (directories of `.rego` files, Rego or WASM bundles,
//! data files), then call [`PolicySet::evaluate`] for each [`Input`]; it returns [`Finding`]s
//! carrying the rule id, title, severity, enforcement level, control references, message,
//! resource address and attribute path. Existing conftest policies (`deny`, `violation`, `warn`,
//! `exception`; Rego v0 or v1) run unchanged. [`report`] renders findings as text, JSON, SARIF,
//! JUnit or GitHub workflow commands. [`cost`] prices a plan's resources with the rate card.

pub mod bundle;
#[cfg(feature = "report")]
pub mod comment;
pub mod cost;
pub mod engine;
pub mod error;
pub mod findings;
pub mod input;
pub mod limits;
pub mod loader;
#[cfg(feature = "report")]
pub mod locate;
pub mod metadata;
pub mod net;
pub mod policy_set;
#[cfg(feature = "report")]
pub mod report;
pub mod rules;
#[cfg(feature = "server")]
pub mod server;
pub mod testing;

pub use engine::rego::RegoVersion;
pub use error::{Error, Location, Result};
pub use findings::{Finding, FindingKind, PathStep};
pub use input::{DocumentKind, Input};
pub use limits::WasmLimits;
pub use policy_set::{PolicySet, PolicySetBuilder};
pub use rules::{Enforcement, RuleInfo, RuleKind, Severity};
