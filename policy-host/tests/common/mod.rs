//! Helpers shared by the integration tests: the workspace root and the shared plan corpus.
//!
//! The corpus lives outside the repository (`../shared/corpus/plans` next to the checkout;
//! `OPPIE_CORPUS_DIR` points elsewhere). A user's clone has none: the corpus tests then say
//! in one line what they skipped. CI sets `OPPIE_REQUIRE_CORPUS=1`, which makes a missing
//! corpus a failure, so CI never skips them.

use std::path::PathBuf;

/// The workspace root.
pub fn repo() -> PathBuf {
    manifest_dir().parent().expect("the crate sits in the workspace").to_path_buf()
}

/// The corpus plans (`*.json`), sorted; `None` (the caller skips) when there is no corpus
/// and `OPPIE_REQUIRE_CORPUS` is not `1`.
pub fn corpus_plans() -> Option<Vec<PathBuf>> {
    let dir = std::env::var_os("OPPIE_CORPUS_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/corpus/plans"));
    if !dir.is_dir() {
        let required = std::env::var("OPPIE_REQUIRE_CORPUS").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "plan corpus not found at {} (OPPIE_REQUIRE_CORPUS=1; set OPPIE_CORPUS_DIR to the directory of plan JSON files)",
            dir.display()
        );
        eprintln!("skipped: the plan corpus tests (no corpus at {}; set OPPIE_CORPUS_DIR to run them)", dir.display());
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

/// The package's directory: cargo's `CARGO_MANIFEST_DIR` when it runs this binary, else the one it
/// was built from. Not the build-time value alone: a target directory shared by several clones
/// (CI's, outside the clone) reuses a build from another clone, which may be gone by now.
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
}
