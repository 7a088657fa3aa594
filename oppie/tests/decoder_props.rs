//! Property tests of the plan-JSON drift decoder against hostile input: arbitrary bytes, arbitrary
//! JSON in every field, deep nesting. It returns items or an error, never panics, and masks what
//! the plan marks sensitive.

use proptest::prelude::*;
use serde_json::{Value, json};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn entry() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just(json!(["update"])), Just(json!(["delete"])), Just(json!(["no-op"])), json_value()],
        json_value(),
        json_value(),
        json_value(),
        json_value(),
        prop_oneof![Just(json!("managed")), Just(json!("data")), json_value()],
    )
        .prop_map(|(actions, before, after, bs, as_, mode)| {
            json!({"address": "t.n", "mode": mode, "type": "t", "name": "n",
                   "change": {"actions": actions, "before": before, "after": after,
                              "before_sensitive": bs, "after_sensitive": as_}})
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = oppie::drift::plan::parse("fuzz.json", &text);
    }

    #[test]
    fn arbitrary_json_never_panics(doc in json_value()) {
        let _ = oppie::drift::plan::parse("fuzz.json", &doc.to_string());
        let mut with_version = doc;
        if let Value::Object(map) = &mut with_version {
            map.insert("format_version".into(), json!("1.2"));
            let _ = oppie::drift::plan::parse("fuzz.json", &with_version.to_string());
        }
    }

    #[test]
    fn arbitrary_entries_decode_or_error(entries in prop::collection::vec(entry(), 0..6)) {
        let doc = json!({"format_version": "1.2", "resource_drift": entries});
        if let Ok(drift) = oppie::drift::plan::parse("fuzz.json", &doc.to_string()) {
            for item in &drift.items {
                prop_assert!(item.path.len() <= oppie::drift::plan::MAX_PATH_DEPTH + 1);
            }
        }
    }

    #[test]
    fn sensitive_values_never_come_out(secret in "[a-z]{12}", key in "[a-z]{1,6}", nested in any::<bool>()) {
        let (before, after, sens) = if nested {
            (json!({key.clone(): [{"v": "old"}]}), json!({key.clone(): [{"v": secret.clone()}]}), json!({key.clone(): [{"v": true}]}))
        } else {
            (json!({key.clone(): "old"}), json!({key.clone(): secret.clone()}), json!({key.clone(): true}))
        };
        let doc = json!({"format_version": "1.2", "resource_drift": [
            {"address": "t.n", "mode": "managed", "type": "t", "name": "n",
             "change": {"actions": ["update"], "before": before, "after": after, "after_sensitive": sens}}]});
        let drift = oppie::drift::plan::parse("p.json", &doc.to_string()).unwrap();
        prop_assert!(!drift.items.is_empty());
        let shown = serde_json::to_string(&drift.items).unwrap();
        prop_assert!(!shown.contains(&secret));
    }
}

#[test]
fn nesting_past_the_parser_limit_is_an_error() {
    for depth in [200, 10_000, 1_000_000] {
        let doc = format!(
            r#"{{"format_version":"1.2","resource_drift":[{{"address":"a.b","mode":"managed","change":{{"actions":["update"],"before":{{"x":1}},"after":{{"x":{}{}}}}}}}]}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let err = oppie::drift::plan::parse("deep.json", &doc).unwrap_err().to_string();
        assert!(err.contains("recursion limit"), "{err}");
    }
}

#[test]
fn nesting_inside_the_limit_is_reported_at_the_depth_limit() {
    let depth = 100;
    let mut before = json!(1);
    let mut after = json!(2);
    for _ in 0..depth {
        before = json!({"k": before});
        after = json!({"k": after});
    }
    let doc = json!({"format_version": "1.2", "resource_drift": [
        {"address": "a.b", "mode": "managed", "change": {"actions": ["update"], "before": {"x": before}, "after": {"x": after}}}]});
    let drift = oppie::drift::plan::parse("p.json", &doc.to_string()).unwrap();
    assert_eq!(drift.items.len(), 1);
    assert_eq!(drift.items[0].path.len(), oppie::drift::plan::MAX_PATH_DEPTH);
}
