//! Provider-defined functions (`provider::NAME::FUNC(...)`, Terraform ≥ 1.8).
//! They must not depend on provider configuration: Terraform may call them unconfigured.

use crate::cty::{Type, Value};
use crate::schema::Description;

/// A parameter of a function.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// Display name.
    pub name: String,
    /// Type constraint.
    pub ty: Type,
    /// Pass null through instead of Terraform rejecting it.
    pub allow_null: bool,
    /// Pass unknown values through instead of Terraform returning unknown.
    pub allow_unknown: bool,
    /// Documentation.
    pub description: Description,
}

impl Parameter {
    /// A parameter that rejects null and unknown values.
    pub fn new(name: impl Into<String>, ty: Type, description: impl Into<String>) -> Self {
        Parameter {
            name: name.into(),
            ty,
            allow_null: false,
            allow_unknown: false,
            description: Description::plain(description),
        }
    }
}

/// A function's signature and documentation.
#[derive(Debug, Clone)]
pub struct Signature {
    /// Positional parameters.
    pub parameters: Vec<Parameter>,
    /// Trailing parameter taking any number of arguments.
    pub variadic: Option<Parameter>,
    /// Result type.
    pub returns: Type,
    /// One line.
    pub summary: String,
    /// Full documentation.
    pub description: Description,
    /// Set when deprecated: what to use instead.
    pub deprecation: Option<String>,
}

/// A function failure, optionally blaming one argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    /// What went wrong and what to pass instead.
    pub text: String,
    /// Index of the argument at fault.
    pub argument: Option<usize>,
}

impl FunctionError {
    /// An error blaming argument `index`.
    pub fn argument(index: usize, text: impl Into<String>) -> Self {
        FunctionError { text: text.into(), argument: Some(index) }
    }

    /// An error not tied to one argument.
    pub fn new(text: impl Into<String>) -> Self {
        FunctionError { text: text.into(), argument: None }
    }
}

/// A provider-defined function.
pub trait Function: Send + Sync + 'static {
    /// The name after `provider::<provider>::`.
    fn name(&self) -> &str;

    /// Parameters, result type and docs.
    fn signature(&self) -> Signature;

    /// Computes the result; `args` are already of the parameter types.
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError>;
}
