//! The pull-request comment of `oppie-policy comment`: one Markdown body (policy summary,
//! findings by severity linked to their source, monthly cost) found again by a hidden marker.

#[cfg(feature = "github")]
pub mod github;
mod markdown;

pub use markdown::{Costs, Links, SourceRef, render};

/// The hidden line that marks our comment; the first line of every body we write.
pub const MARKER: &str = "<!-- oppie-policy:comment -->";

/// GitHub refuses comment bodies longer than this (characters).
pub const MAX_BODY_CHARS: usize = 65_536;

/// Whether a comment body is one we wrote (its first line is the marker; a quote of it is not).
pub fn is_ours(body: &str) -> bool {
    body.lines().next().is_some_and(|line| line.trim() == MARKER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_comments_start_with_the_marker() {
        assert!(is_ours(&format!("{MARKER}\n## oppie-policy")));
        assert!(is_ours(&format!("{MARKER}\r\nbody")));
        assert!(!is_ours(&format!("> {MARKER}\nquoted")));
        assert!(!is_ours("a comment that mentions <!-- oppie-policy:comment --> later\n"));
        assert!(!is_ours(""));
    }
}
