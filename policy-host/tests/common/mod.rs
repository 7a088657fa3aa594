//! Helpers shared by the integration tests: the workspace root and the shared plan corpus.
//!
//! The corpus lives outside the repository (`../shared/corpus/plans` next to the checkout).
//! `OPPIE_CORPUS_DIR` points elsewhere; without a corpus a test fails unless
//! `OPPIE_ALLOW_NO_CORPUS=1`.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the crate sits in the workspace").to_path_buf()
}

/// The corpus plans (`*.json`), sorted; `None` (the test is skipped) only when there is no
/// corpus and `OPPIE_ALLOW_NO_CORPUS=1`.
pub fn corpus_plans() -> Option<Vec<PathBuf>> {
    let dir = std::env::var_os("OPPIE_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/corpus/plans"));
    if !dir.is_dir() {
        let allowed = std::env::var("OPPIE_ALLOW_NO_CORPUS").is_ok_and(|v| v == "1");
        assert!(
            allowed,
            "plan corpus not found at {} (set OPPIE_CORPUS_DIR, or OPPIE_ALLOW_NO_CORPUS=1 to skip)",
            dir.display()
        );
        eprintln!("skipping: no corpus at {} (OPPIE_ALLOW_NO_CORPUS=1)", dir.display());
        return None;
    }
    let mut plans: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus readable")
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    plans.sort();
    assert!(plans.len() >= 40, "expected the 40-plan corpus, found {}", plans.len());
    Some(plans)
}
