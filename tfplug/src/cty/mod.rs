//! cty, Terraform's type system: types, values with null and unknown, their msgpack
//! and JSON encodings, and a serde bridge so plain Rust structs map onto values.

mod conform;
pub mod json;
pub mod msgpack;
mod number;
pub mod typed;
mod types;
mod value;

pub use conform::conform;
pub use number::Number;
pub use typed::{MaybeUnknown, from_value, to_value};
pub use types::{ObjectType, Type};
pub use value::{AttributePath, PathStep, Refinements, Value};

/// A value that does not fit its type, or bytes that do not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if path.is_root() { String::new() } else { format!("{path}: ") })]
pub struct Error {
    /// Where in the value the problem is.
    pub path: AttributePath,
    /// What is wrong.
    pub message: String,
}

impl Error {
    /// An error about the whole value.
    pub fn new(message: impl Into<String>) -> Self {
        Error { path: AttributePath::root(), message: message.into() }
    }

    /// An error at `path`.
    pub fn at(path: AttributePath, message: impl Into<String>) -> Self {
        Error { path, message: message.into() }
    }
}
