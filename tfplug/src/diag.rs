//! Diagnostics: errors and warnings that Terraform shows next to the config they concern.
//! They accumulate as values; a provider never panics or bails out with a bare string.

use std::fmt;

use crate::cty::{self, AttributePath};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Stops the operation for this object.
    Error,
    /// Printed; the operation goes on.
    Warning,
}

/// One error or warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One short line.
    pub summary: String,
    /// Plain text, may span lines: what is wrong and what to change.
    pub detail: String,
    /// The attribute at fault; Terraform underlines it in the config.
    pub path: Option<AttributePath>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{level}: {}", self.summary)?;
        if let Some(p) = &self.path {
            write!(f, " (at {p})")?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// An ordered collection of diagnostics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Self {
        Diagnostics(Vec::new())
    }

    /// A single error about the whole object.
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        let mut d = Diagnostics::new();
        d.add_error(summary, detail);
        d
    }

    /// A single error pointing at an attribute.
    pub fn attribute_error(path: AttributePath, summary: impl Into<String>, detail: impl Into<String>) -> Self {
        let mut d = Diagnostics::new();
        d.add_attribute_error(path, summary, detail);
        d
    }

    /// Adds an error about the whole object.
    pub fn add_error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Error, summary, detail, None);
    }

    /// Adds an error pointing at an attribute.
    pub fn add_attribute_error(&mut self, path: AttributePath, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Error, summary, detail, Some(path));
    }

    /// Adds a warning about the whole object.
    pub fn add_warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Warning, summary, detail, None);
    }

    /// Adds a warning pointing at an attribute.
    pub fn add_attribute_warning(
        &mut self,
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Severity::Warning, summary, detail, Some(path));
    }

    fn push(
        &mut self,
        severity: Severity,
        summary: impl Into<String>,
        detail: impl Into<String>,
        path: Option<AttributePath>,
    ) {
        self.0.push(Diagnostic { severity, summary: summary.into(), detail: detail.into(), path });
    }

    /// Appends all of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// Appends the diagnostics of a failed result; passes a success through.
    pub fn absorb<T>(&mut self, result: Result<T, Diagnostics>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(d) => {
                self.extend(d);
                None
            }
        }
    }

    /// True if any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// True if there are no diagnostics at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Err(self)` if there are errors, else `Ok(())`.
    pub fn into_result(self) -> Result<(), Diagnostics> {
        if self.has_errors() { Err(self) } else { Ok(()) }
    }

    /// Puts every path-less diagnostic under `prefix` and prefixes the others.
    pub fn under(mut self, prefix: &AttributePath) -> Self {
        for d in &mut self.0 {
            let mut p = prefix.clone();
            if let Some(own) = d.path.take() {
                p.0.extend(own.0);
            }
            d.path = Some(p);
        }
        self
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl From<cty::Error> for Diagnostics {
    /// A value that does not fit its schema becomes an attribute error.
    fn from(e: cty::Error) -> Self {
        let path = (!e.path.is_root()).then_some(e.path);
        Diagnostics(vec![Diagnostic {
            severity: Severity::Error,
            summary: "Invalid value".into(),
            detail: e.message,
            path,
        }])
    }
}
