//! Real plans from the shared corpus (hashicorp/aws and others) that carry `resource_drift`: each
//! reads without error, every drifted resource shows up, and nothing panics. Skips when the corpus
//! is absent (a fresh clone without ../shared).

use std::path::PathBuf;

/// The corpus directory; `None` (the test skips) when absent, unless CI requires it
/// (`OPPIE_REQUIRE_CORPUS=1`).
fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("OPPIE_CORPUS_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/plans"));
    if dir.is_dir() {
        return Some(dir);
    }
    let required = std::env::var("OPPIE_REQUIRE_CORPUS").is_ok_and(|v| v == "1");
    assert!(!required, "plan corpus not found at {} (OPPIE_REQUIRE_CORPUS=1; set OPPIE_CORPUS_DIR)", dir.display());
    None
}

#[test]
fn corpus_plans_with_resource_drift_are_read() {
    let Some(dir) = corpus_dir() else {
        eprintln!("skipped: the drift corpus test (no plan corpus; set OPPIE_CORPUS_DIR to run it)");
        return;
    };
    let mut read = 0;
    let policies = oppie_policy::PolicySet::builder()
        .policy(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../policies"))
        .build()
        .expect("policy library");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries.into_iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
        let name = path.display().to_string();
        let bytes = oppie_policy::input::read_file_capped(&path).unwrap();
        let Ok(text) = oppie_policy::input::decode_text(&name, &bytes) else { continue };
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
        let Some(drift) = doc["resource_drift"].as_array().filter(|d| !d.is_empty()) else { continue };
        let rated = oppie::drift::rate(&name, &text, Some(&policies)).unwrap_or_else(|e| panic!("{name}: {e}"));
        for entry in drift {
            let address = entry["address"].as_str().unwrap();
            let actions = &entry["change"]["actions"];
            if entry["mode"] == "data"
                || (actions != &serde_json::json!(["update"]) && actions != &serde_json::json!(["delete"]))
            {
                continue;
            }
            let changed = differs(&entry["change"]["before"], &entry["change"]["after"]);
            assert!(
                !changed || rated.items.iter().any(|i| i.address == address),
                "{name}: {address} drifted but no item was reported"
            );
        }
        for item in &rated.items {
            assert!(!item.address.is_empty());
            assert!(item.kind == oppie::drift::ItemKind::Deleted || !item.path.is_empty(), "{name}: {item:?}");
        }
        read += 1;
    }
    assert!(read > 0, "the corpus at {} holds no plan with resource_drift", dir.display());
    eprintln!("{read} corpus plans with drift read");
}

/// Differs other than by a null standing for an empty list or map (which the decoder treats as equal).
fn differs(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    let empty = |v: &Value| {
        matches!(v, Value::Null)
            || v.as_array().is_some_and(Vec::is_empty)
            || v.as_object().is_some_and(|m| m.is_empty())
    };
    match (a, b) {
        _ if empty(a) && empty(b) => false,
        (Value::Object(x), Value::Object(y)) => x
            .keys()
            .chain(y.keys())
            .any(|k| differs(x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null))),
        (Value::Array(x), Value::Array(y)) => x.len() != y.len() || x.iter().zip(y).any(|(p, q)| differs(p, q)),
        _ => a != b,
    }
}
