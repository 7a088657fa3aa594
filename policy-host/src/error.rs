//! The library's error type and the `file:line:col` locations it carries.
//! Every error that comes from outside input names the file and, where known, the position in it.

use std::fmt;
use std::path::PathBuf;

/// A position in an input file: the file name plus 1-based line and column (0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    /// The file as the user named it (or a label such as `<stdin>`).
    pub file: String,
    /// 1-based line, 0 if unknown.
    pub line: u32,
    /// 1-based column, 0 if unknown.
    pub column: u32,
}

impl Location {
    /// A location with a known line and column.
    pub fn new(file: impl Into<String>, line: u32, column: u32) -> Self {
        Self { file: file.into(), line, column }
    }

    /// A location that names only the file.
    pub fn file(file: impl Into<String>) -> Self {
        Self::new(file, 0, 0)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}", self.file),
            (line, 0) => write!(f, "{}:{line}", self.file),
            (line, column) => write!(f, "{}:{line}:{column}", self.file),
        }
    }
}

/// Everything that can go wrong while loading inputs, policies, data and bundles.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The plan, state or data document could not be decoded or is not what was expected.
    #[error("{location}: {message}")]
    Input {
        /// Where the problem is.
        location: Location,
        /// What was found and what was expected.
        message: String,
    },
    /// A policy file does not parse or does not compile.
    #[error("{location}: {message}")]
    Policy {
        /// Where the problem is.
        location: Location,
        /// The parser's or compiler's explanation.
        message: String,
    },
    /// A bundle is malformed (bad archive, manifest, hashes or WASM module).
    #[error("{path}: {message}")]
    Bundle {
        /// The bundle file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A query given to `eval` failed to parse or evaluate.
    #[error("query: {0}")]
    Query(String),
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }

    /// The location this error points at, when it has one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Self::Input { location, .. } | Self::Policy { location, .. } => Some(location),
            _ => None,
        }
    }
}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_display_omits_unknown_parts() {
        assert_eq!(Location::new("a.json", 3, 7).to_string(), "a.json:3:7");
        assert_eq!(Location::new("a.json", 3, 0).to_string(), "a.json:3");
        assert_eq!(Location::file("a.json").to_string(), "a.json");
    }
}
