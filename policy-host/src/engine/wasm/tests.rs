//! Drives the hand-written ABI fixtures through the host: both evaluation paths, every ABI
//! minor version, builtins, data, and the hostile entrypoints (loop, memory bomb, abort).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::json;

use super::*;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/wasm/{name}", manifest_dir().display());
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The same module with an older ABI: 1.1 lacks `opa_eval`, 1.0 also the `memory` export.
fn with_minor(wat: &str, minor: i32) -> String {
    let mut text = wat.replace("(export \"opa_eval\")", "").replace(
        "\"opa_wasm_abi_minor_version\") i32 (i32.const 2)",
        &format!("\"opa_wasm_abi_minor_version\") i32 (i32.const {minor})"),
    );
    if minor == 0 {
        text = text.replace("(export \"memory\" (memory 0))", "");
    }
    text
}

fn limits() -> WasmLimits {
    WasmLimits { fuel: 20_000_000, max_memory_bytes: 16 * 1024 * 1024 }
}

fn load(wat: &str, path: EvalPath) -> WasmEngine {
    let data = json!({"plan": {"banner": "maintenance window"}});
    WasmEngine::load_with_path("fixture", wat.as_bytes(), &data, &BTreeMap::new(), limits(), &[], path)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn plan(environment: &str) -> Input {
    let text = json!({
        "format_version": "1.2",
        "variables": {"environment": {"value": environment}},
        "resource_changes": [{"address": "a.b"}, {"address": "c.d"}, {"address": "e.f"}]
    });
    Input::from_json_str("plan.json", &text.to_string()).unwrap()
}

fn by_name(engine: &WasmEngine, input: &Input) -> BTreeMap<String, RuleResult> {
    engine.rules().iter().map(|r| r.name.clone()).zip(engine.evaluate(input)).collect()
}

fn check_semantics(engine: &WasmEngine) {
    let results = by_name(engine, &plan("prod"));
    assert_eq!(results["deny"], Ok(vec![json!("changes to prod are frozen")]));
    assert_eq!(results["warn"], Ok(vec![json!("plan changes 3 resources")]));
    assert_eq!(results["deny_banner"], Ok(vec![json!("maintenance window")]));
    let results = by_name(engine, &plan("dev"));
    assert_eq!(results["deny"], Ok(vec![]));
}

#[test]
fn abi_1_2_uses_opa_eval_and_gets_the_policy_right() {
    let engine = load(&fixture("plan_rules.wat"), EvalPath::Best);
    assert_eq!(engine.abi, (1, 2));
    check_semantics(&engine);
}

#[test]
fn classic_context_path_gives_the_same_results() {
    check_semantics(&load(&fixture("plan_rules.wat"), EvalPath::Classic));
}

#[test]
fn abi_1_3_modules_use_opa_eval_too() {
    let wat = fixture("plan_rules.wat").replace(
        "\"opa_wasm_abi_minor_version\") i32 (i32.const 2)",
        "\"opa_wasm_abi_minor_version\") i32 (i32.const 3)",
    );
    let engine = load(&wat, EvalPath::Best);
    assert_eq!(engine.abi, (1, 3));
    check_semantics(&engine);
}

#[test]
fn builtins_without_arguments_and_with_four_are_served() {
    for path in [EvalPath::Best, EvalPath::Classic] {
        let results = by_name(&load(&fixture("plan_rules.wat"), path), &plan("dev"));
        // time.now_ns through opa_builtin0, then sprintf through opa_builtin2.
        let now = results["warn_now"].clone().expect("warn_now evaluates");
        let text = now.first().and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let digits = text.strip_prefix("now ").unwrap_or_default();
        assert!(!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()), "{text:?}");
        // regex.template_match through opa_builtin4.
        assert_eq!(results["warn_template"], Ok(vec![json!("template matched")]));
    }
}

#[test]
fn abi_1_1_and_1_0_modules_run_through_the_context_calls() {
    for minor in [1, 0] {
        let engine = load(&with_minor(&fixture("plan_rules.wat"), minor), EvalPath::Best);
        assert_eq!(engine.abi, (1, minor));
        check_semantics(&engine);
    }
}

#[test]
fn hostile_rules_are_contained_and_the_others_still_run() {
    for path in [EvalPath::Best, EvalPath::Classic] {
        let engine = load(&fixture("plan_rules.wat"), path);
        let started = Instant::now();
        let results = by_name(&engine, &plan("prod"));
        assert!(started.elapsed() < Duration::from_secs(20));
        assert!(
            matches!(&results["deny_loop"], Err(EvalError::Budget(m)) if m.contains("fuel")),
            "{:?}",
            results["deny_loop"]
        );
        assert!(
            matches!(&results["deny_memory"], Err(EvalError::Memory(m)) if m.contains("16 MiB")),
            "{:?}",
            results["deny_memory"]
        );
        assert!(
            matches!(&results["deny_abort"], Err(EvalError::Failed(m)) if m.contains("gave up on purpose")),
            "{:?}",
            results["deny_abort"]
        );
        assert!(
            matches!(&results["deny_unsupported"], Err(EvalError::Failed(m)) if m.contains("http.send")),
            "{:?}",
            results["deny_unsupported"]
        );
        // Rules after the hostile ones (in entrypoint order) still ran on fresh instances.
        assert_eq!(results["warn"], Ok(vec![json!("plan changes 3 resources")]));
        assert_eq!(results["deny"], Ok(vec![json!("changes to prod are frozen")]));
    }
}

#[test]
fn warm_evaluations_reuse_the_instance_without_growing_memory() {
    let engine = load(&fixture("plan_rules.wat"), EvalPath::Best);
    let input = plan("prod");
    let size = |engine: &WasmEngine| {
        engine.pool.lock().map(|p| p.iter().map(OpaInstance::memory_bytes).collect::<Vec<_>>()).unwrap()
    };
    let first = engine.rules().iter().position(|r| r.name == "deny").unwrap();
    let quiet = WasmEngine {
        rules: vec![engine.rules[first].clone()],
        entrypoints: vec![engine.entrypoints[first]],
        ..load(&fixture("plan_rules.wat"), EvalPath::Best)
    };
    quiet.evaluate(&input);
    let before = size(&quiet);
    for _ in 0..2000 {
        assert_eq!(quiet.evaluate(&input)[0], Ok(vec![json!("changes to prod are frozen")]));
    }
    assert_eq!(size(&quiet), before, "the heap is reset between evaluations");
    assert_eq!(before.len(), 1, "one pooled instance is reused");
    drop(engine);
}

#[test]
fn concurrent_evaluations_are_independent() {
    let engine = load(&fixture("plan_rules.wat"), EvalPath::Best);
    std::thread::scope(|scope| {
        let handles: Vec<_> = ["prod", "dev", "prod", "dev"]
            .into_iter()
            .map(|env| {
                let engine = &engine;
                scope.spawn(move || {
                    let results = by_name(engine, &plan(env));
                    (env, results["deny"].clone())
                })
            })
            .collect();
        for handle in handles {
            let (env, deny) = handle.join().unwrap();
            let expected = if env == "prod" { vec![json!("changes to prod are frozen")] } else { vec![] };
            assert_eq!(deny, Ok(expected));
        }
    });
}

#[test]
fn modules_outside_the_abi_are_refused_at_load() {
    let err =
        |wat: &str| match WasmEngine::load("bad.wasm", wat.as_bytes(), &json!({}), &BTreeMap::new(), limits(), &[]) {
            Ok(_) => panic!("module must be refused"),
            Err(e) => e.to_string(),
        };
    let huge = r#"(module (import "env" "memory" (memory 1000)))"#;
    assert!(err(huge).contains("above the cap of 16 MiB"), "{}", err(huge));
    let no_memory = "(module)";
    assert!(err(no_memory).contains("env.memory"), "{}", err(no_memory));
    let foreign = r#"(module (import "wasi" "fd_write" (func (param i32))) (import "env" "memory" (memory 1)))"#;
    assert!(err(foreign).contains("wasi.fd_write"), "{}", err(foreign));
    let abi2 = fixture("plan_rules.wat")
        .replace("\"opa_wasm_abi_version\") i32 (i32.const 1)", "\"opa_wasm_abi_version\") i32 (i32.const 2)");
    assert!(err(&abi2).contains("unsupported OPA WASM ABI version 2"), "{}", err(&abi2));
    let no_rules = fixture("plan_rules.wat")
        .replace("/deny", "/allow")
        .replace("plan/warn", "plan/info")
        .replace("/warn_", "/info_");
    assert!(err(&no_rules).contains("no deny, violation or warn entrypoint"), "{}", err(&no_rules));
    assert!(err("not wasm at all").contains("invalid WASM module"));
}

#[test]
fn manifest_annotations_give_rules_their_metadata() {
    let mut note = Annotation { title: Some("Frozen environments".into()), ..Annotation::default() };
    note.custom.insert("id".into(), json!("OPPIE-W1"));
    note.custom.insert("enforcement".into(), json!("soft-mandatory"));
    let annotations = BTreeMap::from([("plan/deny".to_string(), vec![note])]);
    let engine =
        WasmEngine::load("fixture", fixture("plan_rules.wat").as_bytes(), &json!({}), &annotations, limits(), &[])
            .unwrap();
    let deny = engine.rules().iter().find(|r| r.name == "deny").unwrap();
    assert_eq!(deny.id, "OPPIE-W1");
    assert_eq!(deny.package, "plan");
    assert_eq!(deny.enforcement, crate::rules::Enforcement::SoftMandatory);
    let warn = engine.rules().iter().find(|r| r.name == "warn").unwrap();
    assert_eq!(warn.id, "plan.warn");
}

/// The package's directory: cargo's `CARGO_MANIFEST_DIR` when it runs this binary, else the one it
/// was built from. Not the build-time value alone: a target directory shared by several clones
/// (CI's, outside the clone) reuses a build from another clone, which may be gone by now.
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
}
