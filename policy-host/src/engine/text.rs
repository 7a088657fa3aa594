//! A light scan of Rego text: the dotted identifier chains outside string literals, comments and
//! numbers. Enough to see which names a rule mentions without a full parser.

/// The dotted identifier chains of `text` (`lib.subject_facts`, `data.a.b`, `name`). A chain
/// that follows a `.` (a field of a value, `x.y` after `f(a).`) is left out.
pub(crate) fn chains(text: &str) -> Vec<Vec<&str>> {
    chains_with_offsets(text)
        .into_iter()
        .filter(|chain| chain.first().is_some_and(|(at, _)| *at == 0 || text.as_bytes()[at - 1] != b'.'))
        .map(|chain| chain.into_iter().map(|(_, word)| word).collect())
        .collect()
}

/// The identifiers of `text` with their byte offsets.
pub(crate) fn identifiers(text: &str) -> Vec<(usize, &str)> {
    chains_with_offsets(text).into_iter().flatten().collect()
}

/// Every dotted identifier chain of `text`, each identifier with its byte offset.
pub(crate) fn chains_with_offsets(text: &str) -> Vec<Vec<(usize, &str)>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let ident_start = |b: u8| b.is_ascii_alphabetic() || b == b'_';
    let ident_part = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            quote @ (b'"' | b'`') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    if quote == b'"' && bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b if ident_start(b) => {
                let mut chain = Vec::new();
                loop {
                    let start = i;
                    while i < bytes.len() && ident_part(bytes[i]) {
                        i += 1;
                    }
                    chain.push((start, &text[start..i]));
                    if i + 1 < bytes.len() && bytes[i] == b'.' && ident_start(bytes[i + 1]) {
                        i += 1;
                    } else {
                        break;
                    }
                }
                out.push(chain);
            }
            b if b.is_ascii_digit() => {
                while i < bytes.len() && ident_part(bytes[i]) {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_comments_numbers_and_fields_are_skipped() {
        assert_eq!(chains("a.b \"x.y\" `r.s` # c.d\n e1.f .g 1.5"), vec![vec!["a", "b"], vec!["e1", "f"]]);
        assert_eq!(chains("\"esc \\\" q.r\" s"), vec![vec!["s"]]);
        assert_eq!(identifiers("x := y.z"), vec![(0, "x"), (5, "y"), (7, "z")]);
        assert!(chains("\"unterminated").is_empty());
    }
}
