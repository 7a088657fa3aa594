//! [`Secret`]: a credential or token that must never reach a message, a log or a panic:
//! its `Debug` and `Display` print a placeholder, and the value comes out only by `expose`.

use std::fmt;

use serde::Deserialize;

/// A secret string.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_never_shows_the_value() {
        let s = Secret::new("canary-Zx81qP0wLm");
        assert!(!format!("{s:?} {s} {:?}", Some(&s)).contains("canary"));
        assert_eq!(s.expose(), "canary-Zx81qP0wLm");
    }
}
