//! One test per patch in `vendor/regorus/PATCHES.md`: each drives regorus directly, so a
//! regorus upgrade that drops a fix (or makes it unnecessary) shows here first.

use std::time::Duration;

use regorus::utils::limits::{ExecutionTimerConfig, LimitError};

fn engine(v0: bool, modules: &[&str]) -> regorus::Engine {
    let mut engine = regorus::Engine::new();
    engine.set_rego_v0(v0);
    for (i, text) in modules.iter().enumerate() {
        engine.add_policy(format!("m{i}.rego"), (*text).to_string()).unwrap();
    }
    engine
}

fn value(engine: &mut regorus::Engine, rule: &str) -> serde_json::Value {
    let v = engine.eval_rule(rule.to_string()).unwrap();
    serde_json::to_value(&v).unwrap()
}

#[test]
fn some_declared_variable_shadows_a_rule_of_the_same_name() {
    // PATCHES.md 1: `some t; types[t]` iterates even when the package defines `t`.
    let mut e = engine(true, &["package s\ntypes := {\"x\", \"y\"}\nt := 5\nfound[t] { some t; types[t] }\n"]);
    assert_eq!(value(&mut e, "data.s.found"), serde_json::json!(["x", "y"]));
}

#[test]
fn deprecated_v0_builtins_are_available() {
    // PATCHES.md 2: all, any, re_match, set_diff, cast_*, net.cidr_overlap.
    let mut e = engine(
        true,
        &["package d\n\
           out := {\"a\": all([true, true]), \"b\": all([true, false]), \"c\": any({false, true}), \"d\": any([]),\n\
           \"e\": re_match(\"^a+$\", \"aaa\"), \"f\": set_diff({1, 2, 3}, {2}), \"g\": cast_array({2, 1}),\n\
           \"h\": cast_set([1, 1]), \"i\": net.cidr_overlap(\"10.0.0.0/8\", \"10.1.2.3\"), \"j\": cast_string(\"s\")}\n"],
    );
    let v = value(&mut e, "data.d.out");
    assert_eq!(
        v,
        serde_json::json!({"a": true, "b": false, "c": true, "d": false, "e": true, "f": [1, 3],
                           "g": [1, 2], "h": [1], "i": true, "j": "s"})
    );
}

#[test]
fn walk_assigned_to_a_pattern_iterates() {
    // PATCHES.md 3: `[p, v] := walk(x)` and `[p, v] = walk(x)` are the relation walk(x, [p, v]).
    let mut e = engine(
        false,
        &["package w\n\
           leaves contains concat(\".\", p) if { [p, v] := walk({\"a\": {\"b\": 1}, \"c\": 2}); is_number(v) }\n\
           unified contains count(p) if { [p, _] = walk([[1]]) }\n"],
    );
    assert_eq!(value(&mut e, "data.w.leaves"), serde_json::json!(["a.b", "c"]));
    assert_eq!(value(&mut e, "data.w.unified"), serde_json::json!([0, 1, 2]));
}

#[test]
fn chained_bodies_of_a_partial_set_rule_are_a_disjunction() {
    // PATCHES.md 7: `p[x] { a } { b }` in Rego v0.
    let mut e = engine(true, &["package c\np[x] {\n  x := 1\n} {\n  x := 2\n}\n"]);
    assert_eq!(value(&mut e, "data.c.p"), serde_json::json!([1, 2]));
    let mut bad = regorus::Engine::new();
    bad.set_rego_v0(true);
    let err = bad.add_policy("e.rego".into(), "package c\np[x] { x := 1 } else = 2 { true }\n".into()).unwrap_err();
    assert!(format!("{err:#}").contains("else"), "{err:#}");
}

#[test]
fn builtins_stop_at_the_evaluation_deadline() {
    // PATCHES.md 4: numbers.range checks the deadline per element and reserves little up front.
    let mut e = engine(false, &["package r\nn := count(numbers.range(1, 1e12))\n"]);
    e.set_execution_timer_config(ExecutionTimerConfig {
        limit: Duration::from_millis(200),
        check_interval: std::num::NonZeroU32::new(1).unwrap(),
    });
    let started = std::time::Instant::now();
    let err = e.eval_rule("data.r.n".to_string()).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    let limit = err.chain().find_map(|c| c.downcast_ref::<LimitError>());
    assert!(matches!(limit, Some(LimitError::TimeLimitExceeded { .. })), "{err:#}");
    // A zero step is undefined (it divided by zero before).
    let mut e = engine(false, &["package z\nr := numbers.range_step(1, 10, 0)\n"]);
    e.set_strict_builtin_errors(false);
    assert_eq!(e.eval_rule("data.z.r".to_string()).unwrap(), regorus::Value::Undefined);
}

#[test]
fn recursion_fails_at_its_location_within_the_stack_budget() {
    // PATCHES.md 5: past the stack budget a call fails with its file:line instead of overflowing.
    regorus::utils::limits::set_stack_limit(Some(1 << 20));
    let run = std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(|| {
            let mut e = engine(false, &["package rec\nf(x) := y if { y := f(x + 1) }\nr := f(0)\n"]);
            e.eval_rule("data.rec.r".to_string()).map(|_| ()).map_err(|e| format!("{e:#}"))
        })
        .unwrap()
        .join()
        .unwrap();
    regorus::utils::limits::set_stack_limit(None);
    let err = run.unwrap_err();
    assert!(err.contains("nested too deeply"), "{err}");
    assert!(err.contains("m0.rego:2:"), "{err}");
}
