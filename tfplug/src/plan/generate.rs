//! Configuration from state, for `-generate-config-out`: the arguments a user would
//! write to describe an existing object so that the plan after import shows no change.

use crate::cty::Value;
use crate::schema::{Attribute, AttributeType, Block, NestedBlock};

/// The configuration that describes `state`: configurable values kept; computed-only,
/// deprecated and write-only values null; values equal to their default null (the
/// default plans them back).
pub(crate) fn config_from_state(block: &Block, state: &Value) -> Value {
    object(&block.attributes, &block.blocks, state)
}

fn object(attrs: &[Attribute], blocks: &[NestedBlock], state: &Value) -> Value {
    let Some(map) = state.as_map() else { return state.clone() };
    let mut out = map.clone();
    for a in attrs {
        let Some(slot) = out.get_mut(&a.name) else { continue };
        let drop = !a.is_configurable()
            || a.write_only
            || a.deprecation.is_some()
            || a.default.as_ref().is_some_and(|d| d == slot);
        if drop {
            *slot = Value::Null;
        } else if let AttributeType::Nested { attributes, .. } = &a.ty {
            *slot = each_object(slot, |o| object(attributes, &[], o));
        }
    }
    for b in blocks {
        let Some(slot) = out.get_mut(&b.name) else { continue };
        if b.block.deprecation.is_some() {
            // A block collection cannot be null (LIST/SET/MAP): leave it empty.
            *slot = match slot {
                Value::List(_) => Value::List(Vec::new()),
                Value::Set(_) => Value::Set(Vec::new()),
                Value::Map(_) => Value::Map(Default::default()),
                _ => Value::Null,
            };
            continue;
        }
        *slot = each_object(slot, |o| object(&b.block.attributes, &b.block.blocks, o));
    }
    Value::Object(out)
}

fn each_object(v: &Value, f: impl Fn(&Value) -> Value) -> Value {
    match v {
        Value::Object(_) => f(v),
        Value::List(items) => Value::List(items.iter().map(&f).collect()),
        Value::Set(items) => Value::set(items.iter().map(&f)),
        Value::Map(m) => Value::Map(m.iter().map(|(k, e)| (k.clone(), f(e))).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Block, NestedBlock};

    #[test]
    fn keeps_what_a_user_writes_and_drops_the_rest() {
        let block = Block::new()
            .attribute(Attribute::string("name").required())
            .attribute(Attribute::string("id").computed())
            .attribute(Attribute::string("tier").default("dev"))
            .attribute(Attribute::string("zone").optional().computed())
            .attribute(Attribute::string("old").optional().deprecated("use name"))
            .attribute(Attribute::string("secret").optional().write_only())
            .block(NestedBlock::list(
                "rule",
                Block::new()
                    .attribute(Attribute::number("port").required())
                    .attribute(Attribute::string("rid").computed()),
            ));
        let state = Value::object([
            ("name", Value::from("web")),
            ("id", Value::from("i-1")),
            ("tier", Value::from("dev")),
            ("zone", Value::from("a")),
            ("old", Value::from("x")),
            ("secret", Value::Null),
            ("rule", Value::List(vec![Value::object([("port", Value::from(22)), ("rid", Value::from("r1"))])])),
        ]);
        let config = config_from_state(&block, &state);
        assert_eq!(config.attr("name"), Some(&Value::from("web")));
        assert_eq!(config.attr("zone"), Some(&Value::from("a")));
        for gone in ["id", "tier", "old", "secret"] {
            assert_eq!(config.attr(gone), Some(&Value::Null), "{gone}");
        }
        let rule = &config.attr("rule").unwrap().as_slice().unwrap()[0];
        assert_eq!(rule.attr("port"), Some(&Value::from(22)));
        assert_eq!(rule.attr("rid"), Some(&Value::Null));
        assert!(config_from_state(&block, &Value::Null).is_null());
    }
}
