//! Bearer-token authentication: the accepted tokens come from a file (one per line) and are
//! compared in constant time, so response timing reveals nothing about a token's content.

use std::path::Path;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{Error, Location, Result};

/// The accepted bearer tokens, kept only as SHA-256 digests.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    digests: Vec<[u8; 32]>,
}

impl Tokens {
    /// Reads a token file: one token per line; blank lines and lines starting with `#` are
    /// skipped, surrounding whitespace is ignored. A file without any token is an error (it
    /// would lock every client out, which is never what was meant).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// Accepts exactly the given tokens (surrounding whitespace ignored; empty ones skipped).
    pub fn from_values<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Self {
        let digests =
            tokens.into_iter().map(str::trim).filter(|t| !t.is_empty()).map(|t| digest(t.as_bytes())).collect();
        Self { digests }
    }

    /// Adds the tokens of `other`.
    pub fn extend(&mut self, other: Tokens) {
        self.digests.extend(other.digests);
    }

    /// Parses the token file format from text; `name` labels errors.
    pub fn parse(name: &str, text: &str) -> Result<Self> {
        let mut digests = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let token = line.trim();
            if token.is_empty() || token.starts_with('#') {
                continue;
            }
            if token.chars().any(char::is_whitespace) {
                return Err(Error::Input {
                    location: Location::new(name, u32::try_from(index + 1).unwrap_or(u32::MAX), 1),
                    message: "a token must not contain spaces (one token per line)".into(),
                });
            }
            digests.push(digest(token.as_bytes()));
        }
        if digests.is_empty() {
            return Err(Error::Input {
                location: Location::file(name),
                message: "the token file holds no token (one token per line; # starts a comment)".into(),
            });
        }
        Ok(Self { digests })
    }

    /// How many tokens are accepted.
    pub fn len(&self) -> usize {
        self.digests.len()
    }

    /// `true` when no token is accepted.
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Checks an `Authorization` header value (`Bearer <token>`, scheme case-insensitive).
    /// Every accepted token is compared, whether or not an earlier one matched.
    pub fn accepts(&self, authorization: Option<&[u8]>) -> bool {
        let Some(token) = authorization.and_then(bearer) else {
            return false;
        };
        let presented = digest(token);
        let mut matched = subtle::Choice::from(0u8);
        for accepted in &self.digests {
            matched |= accepted.ct_eq(&presented);
        }
        matched.into()
    }
}

/// The token of a `Bearer` authorization value.
fn bearer(value: &[u8]) -> Option<&[u8]> {
    let scheme = value.get(..7)?;
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return None;
    }
    let token = value.get(7..)?.trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// Hashing first makes the comparison independent of the tokens' lengths.
fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_matched_exactly() {
        let tokens = Tokens::parse("tokens", "# ci\nalpha-123\n\n  beta  \n").unwrap();
        assert_eq!(tokens.len(), 2);
        assert!(tokens.accepts(Some(b"Bearer alpha-123")));
        assert!(tokens.accepts(Some(b"bearer beta")));
        assert!(!tokens.accepts(Some(b"Bearer alpha-12")));
        assert!(!tokens.accepts(Some(b"Bearer alpha-1234")));
        assert!(!tokens.accepts(Some(b"Basic alpha-123")));
        assert!(!tokens.accepts(Some(b"Bearer ")));
        assert!(!tokens.accepts(Some(b"# ci")));
        assert!(!tokens.accepts(None));
    }

    #[test]
    fn empty_or_malformed_token_files_are_refused() {
        let err = Tokens::parse("tokens", "# nothing\n\n").unwrap_err();
        assert!(err.to_string().contains("holds no token"), "{err}");
        let err = Tokens::parse("tokens", "good\ntwo words\n").unwrap_err();
        assert_eq!(err.to_string(), "tokens:2:1: a token must not contain spaces (one token per line)");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_headers_never_panic(header in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let tokens = Tokens::parse("tokens", "secret").unwrap();
            let accepted = tokens.accepts(Some(&header));
            proptest::prop_assert_eq!(accepted, header.len() >= 7 && header[..7].eq_ignore_ascii_case(b"bearer ") && header[7..].trim_ascii() == b"secret");
        }
    }
}
