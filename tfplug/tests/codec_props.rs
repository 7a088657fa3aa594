//! Property tests of the cty codecs: encode∘decode is the identity for generated values
//! of generated types, and the decoders and the typed mapping return errors, never panic,
//! on arbitrary input.

use std::collections::BTreeMap;

use proptest::prelude::*;
use tfplug::cty::{self, Number, Refinements, Type, Value};

fn attr_name() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,6}"
}

fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![Just(Type::String), Just(Type::Number), Just(Type::Bool), Just(Type::Dynamic)];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Type::Tuple),
            prop::collection::btree_map(attr_name(), inner, 0..4).prop_map(Type::object),
        ]
    })
}

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::Int),
        any::<f64>().prop_filter_map("finite", |f| f.is_finite().then(|| Number::from_f64(f)).flatten()),
        ("-?[1-9][0-9]{0,30}", "[0-9]{0,12}[1-9]", -40i32..40)
            .prop_filter_map("decimal", |(i, f, e)| { Number::parse(&format!("{i}.{f}e{e}")).ok() }),
    ]
}

fn arb_refinements() -> impl Strategy<Value = Refinements> {
    (any::<bool>(), proptest::option::of("[a-z]{0,4}"), proptest::option::of(0u64..10)).prop_map(
        |(not_null, prefix, len)| Refinements {
            not_null,
            string_prefix: prefix,
            length_lower: len,
            ..Default::default()
        },
    )
}

/// A value of type `ty`; `unknowns` allows unknown values (msgpack only).
fn arb_value(ty: Type, unknowns: bool, depth: u32) -> BoxedStrategy<Value> {
    let known = known_value(ty.clone(), unknowns, depth);
    let mut choices: Vec<(u32, BoxedStrategy<Value>)> = vec![(6, known), (1, Just(Value::Null).boxed())];
    if unknowns {
        let refined = match ty {
            Type::String | Type::List(_) | Type::Set(_) | Type::Map(_) => {
                arb_refinements().prop_map(Value::Unknown).boxed()
            }
            Type::Dynamic => Just(Value::unknown()).boxed(),
            _ => any::<bool>()
                .prop_map(|not_null| Value::Unknown(Refinements { not_null, ..Default::default() }))
                .boxed(),
        };
        choices.push((1, refined));
    }
    proptest::strategy::Union::new_weighted(choices).boxed()
}

fn known_value(ty: Type, unknowns: bool, depth: u32) -> BoxedStrategy<Value> {
    match ty {
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::List(et) => {
            prop::collection::vec(arb_value(*et, unknowns, depth + 1), 0..4).prop_map(Value::List).boxed()
        }
        Type::Set(et) => prop::collection::vec(arb_value(*et, unknowns, depth + 1), 0..4).prop_map(Value::set).boxed(),
        Type::Map(et) => prop::collection::btree_map(any::<String>(), arb_value(*et, unknowns, depth + 1), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Tuple(ts) => {
            ts.into_iter().map(|t| arb_value(t, unknowns, depth + 1)).collect::<Vec<_>>().prop_map(Value::Tuple).boxed()
        }
        Type::Object(o) => {
            let parts: Vec<_> = o
                .attributes
                .into_iter()
                .map(|(k, t)| arb_value(t, unknowns, depth + 1).prop_map(move |v| (k.clone(), v)))
                .collect();
            parts.prop_map(|kvs| Value::Object(kvs.into_iter().collect::<BTreeMap<_, _>>())).boxed()
        }
        Type::Dynamic if depth > 3 => {
            Just(Value::Dynamic(Box::new(Type::String), Box::new(Value::from("deep")))).boxed()
        }
        Type::Dynamic => arb_type()
            .prop_filter("concrete", |t| *t != Type::Dynamic)
            .prop_flat_map(move |t| {
                arb_value(t.clone(), unknowns, depth + 1)
                    .prop_map(move |v| Value::Dynamic(Box::new(t.clone()), Box::new(v)))
            })
            .boxed(),
    }
}

fn typed(unknowns: bool) -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(move |t| (Just(t.clone()), arb_value(t, unknowns, 0)))
}

fn has_infinity(v: &Value) -> bool {
    match v {
        Value::Number(Number::Float(f)) => f.is_infinite(),
        Value::List(xs) | Value::Set(xs) | Value::Tuple(xs) => xs.iter().any(has_infinity),
        Value::Map(m) | Value::Object(m) => m.values().any(has_infinity),
        Value::Dynamic(_, v) => has_infinity(v),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn msgpack_round_trip((ty, v) in typed(true)) {
        let bytes = cty::msgpack::encode(&v, &ty).expect("encode");
        let back = cty::msgpack::decode(&bytes, &ty).expect("decode");
        prop_assert_eq!(back, v);
    }

    #[test]
    fn json_round_trip((ty, v) in typed(false)) {
        prop_assume!(!has_infinity(&v));
        let bytes = cty::json::encode(&v, &ty).expect("encode");
        let back = cty::json::decode(&bytes, &ty).expect("decode");
        prop_assert_eq!(back, v);
    }

    #[test]
    fn type_json_round_trip(ty in arb_type()) {
        prop_assert_eq!(Type::from_json(&ty.to_json()).expect("parse"), ty);
    }

    #[test]
    fn msgpack_decoder_never_panics(ty in arb_type(), bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = cty::msgpack::decode(&bytes, &ty);
    }

    #[test]
    fn msgpack_decoder_survives_mutated_valid_input((ty, v) in typed(true), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut bytes = cty::msgpack::encode(&v, &ty).expect("encode");
        for (i, b) in flips {
            if !bytes.is_empty() {
                let at = i.index(bytes.len());
                bytes[at] = b;
            }
        }
        let _ = cty::msgpack::decode(&bytes, &ty);
    }

    #[test]
    fn json_decoder_never_panics(ty in arb_type(), text in ".{0,200}") {
        let _ = cty::json::decode(text.as_bytes(), &ty);
        let _ = cty::json::decode_lenient_object(text.as_bytes(), &ty);
    }

    #[test]
    fn type_parser_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..128)) {
        let _ = Type::from_json_bytes(&bytes);
    }

    #[test]
    fn typed_mapping_never_panics((_ty, v) in typed(true)) {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Model {
            name: Option<String>,
            count: Option<u16>,
            tags: Option<BTreeMap<String, String>>,
            rules: Option<Vec<BTreeMap<String, f64>>>,
            id: cty::MaybeUnknown<Option<String>>,
        }
        let _ = cty::from_value::<Model>(&v);
        let _ = cty::from_value::<serde_json::Value>(&v);
        let _ = cty::from_value::<Vec<i8>>(&v);
    }

    #[test]
    fn conform_is_idempotent((ty, v) in typed(true)) {
        let once = cty::conform(v, &ty).expect("generated values conform");
        let twice = cty::conform(once.clone(), &ty).expect("conforms again");
        prop_assert_eq!(once, twice);
    }
}
