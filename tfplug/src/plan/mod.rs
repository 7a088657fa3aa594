//! Planning: turns Terraform's proposed new state into the provider's planned state.
//! Applies defaults, marks computed values "known after apply" where a change makes
//! them so, and runs plan modifiers — correlating set elements by a canonical key, so
//! planning N set elements costs O(N log N), not O(N²).

pub(crate) mod generate;
mod modifier;

use std::collections::BTreeMap;

pub use modifier::{AttributePlan, PlanModifier, RequiresReplace, RequiresReplaceIf, UseStateForUnknown};

use crate::cty::{AttributePath, Value};
use crate::diag::Diagnostics;
use crate::schema::{Attribute, AttributeType, Block, NestedBlock, Nesting};

/// The schema-driven part of a plan, before the resource's own `modify_plan`.
pub(crate) struct SchemaPlan {
    pub planned: Value,
    pub requires_replace: Vec<AttributePath>,
    pub diagnostics: Diagnostics,
}

/// Plans `proposed` (Terraform's merge of config and prior state) for `block`.
pub(crate) fn plan(block: &Block, prior: &Value, config: &Value, proposed: Value) -> SchemaPlan {
    let mut w = Walk { requires_replace: Vec::new(), diagnostics: Diagnostics::new() };
    if proposed.is_null() {
        return SchemaPlan { planned: Value::Null, requires_replace: Vec::new(), diagnostics: w.diagnostics };
    }
    let mut planned = proposed;
    let prior = (!prior.is_null()).then_some(prior);
    // Defaults first, and write-only values out (state never holds them): whether
    // anything changed is judged on what would be stored.
    apply_defaults(&block.attributes, config, &mut planned);
    null_write_only(&block.attributes, &block.blocks, &mut planned);
    let changed = prior.is_none_or(|p| *p != planned);
    w.object(&block.attributes, &block.blocks, &AttributePath::root(), config, prior, &mut planned, changed);
    SchemaPlan { planned, requires_replace: w.requires_replace, diagnostics: w.diagnostics }
}

/// Sets every write-only attribute to null: they are never stored.
pub(crate) fn null_write_only(attrs: &[Attribute], blocks: &[NestedBlock], value: &mut Value) {
    let Some(map) = value.as_map_mut() else { return };
    for a in attrs {
        if a.write_only {
            map.insert(a.name.clone(), Value::Null);
        } else if let (AttributeType::Nested { attributes, .. }, Some(v)) = (&a.ty, map.get_mut(&a.name)) {
            for_each_object(v, |o| null_write_only(attributes, &[], o));
        }
    }
    for b in blocks {
        if let Some(v) = map.get_mut(&b.name) {
            for_each_object(v, |o| null_write_only(&b.block.attributes, &b.block.blocks, o));
        }
    }
}

fn for_each_object(v: &mut Value, mut f: impl FnMut(&mut Value)) {
    match v {
        Value::Object(_) => f(v),
        Value::List(items) | Value::Set(items) => items.iter_mut().for_each(f),
        Value::Map(m) => m.values_mut().for_each(f),
        _ => {}
    }
}

pub(crate) fn apply_defaults(attrs: &[Attribute], config: &Value, planned: &mut Value) {
    let Some(map) = planned.as_map_mut() else { return };
    for a in attrs {
        if let Some(default) = &a.default {
            let cfg = config.attr(&a.name).unwrap_or(&Value::Null);
            if cfg.is_null() {
                map.insert(a.name.clone(), default.clone());
            }
        }
    }
}

/// The configurable part of a block value: what identifies a set element across plans.
fn project(attrs: &[Attribute], blocks: &[NestedBlock], v: &Value) -> Value {
    let Some(map) = v.as_map() else { return v.clone() };
    let mut out = BTreeMap::new();
    for a in attrs.iter().filter(|a| !a.is_computed()) {
        out.insert(a.name.clone(), map.get(&a.name).cloned().unwrap_or(Value::Null));
    }
    for b in blocks {
        let inner = |e: &Value| project(&b.block.attributes, &b.block.blocks, e);
        let pv = match map.get(&b.name) {
            Some(Value::List(items)) => Value::List(items.iter().map(inner).collect()),
            Some(Value::Set(items)) => Value::set(items.iter().map(inner)),
            Some(Value::Map(m)) => Value::Map(m.iter().map(|(k, e)| (k.clone(), inner(e))).collect()),
            Some(o @ Value::Object(_)) => inner(o),
            Some(other) => other.clone(),
            None => Value::Null,
        };
        out.insert(b.name.clone(), pv);
    }
    Value::Object(out)
}

struct Walk {
    requires_replace: Vec<AttributePath>,
    diagnostics: Diagnostics,
}

impl Walk {
    /// Plans one object. `mark`: the object changed, so computed attributes that
    /// config leaves null become unknown (modifiers may restore them).
    #[allow(clippy::too_many_arguments)]
    fn object(
        &mut self,
        attrs: &[Attribute],
        blocks: &[NestedBlock],
        path: &AttributePath,
        config: &Value,
        prior: Option<&Value>,
        planned: &mut Value,
        mark: bool,
    ) {
        if !matches!(planned, Value::Object(_)) {
            return;
        }
        for a in attrs {
            let cfg = config.attr(&a.name).cloned().unwrap_or(if config.is_unknown() {
                Value::unknown()
            } else {
                Value::Null
            });
            let pri = prior.and_then(|p| p.attr(&a.name));
            let apath = path.with_attr(a.name.clone());
            let Some(slot) = planned.as_map_mut().and_then(|m| m.get_mut(&a.name)) else { continue };
            if mark && a.is_computed() && cfg.is_null() && a.default.is_none() {
                *slot = Value::unknown();
            }
            if let AttributeType::Nested { nesting, attributes } = &a.ty
                && !slot.is_unknown()
            {
                self.collection(attributes, &[], *nesting, &apath, &cfg, pri, slot, mark);
            }
            self.modifiers(&a.plan_modifiers, apath, &cfg, pri, slot);
        }
        for b in blocks {
            let cfg = config.attr(&b.name).cloned().unwrap_or(Value::Null);
            let pri = prior.and_then(|p| p.attr(&b.name));
            let bpath = path.with_attr(b.name.clone());
            let Some(slot) = planned.as_map_mut().and_then(|m| m.get_mut(&b.name)) else { continue };
            self.collection(&b.block.attributes, &b.block.blocks, b.nesting, &bpath, &cfg, pri, slot, mark);
            self.modifiers(&b.plan_modifiers, bpath, &cfg, pri, slot);
        }
    }

    /// Runs an attribute's (or block collection's) plan modifiers in order.
    fn modifiers(
        &mut self,
        modifiers: &[std::sync::Arc<dyn PlanModifier>],
        path: AttributePath,
        config: &Value,
        prior: Option<&Value>,
        planned: &mut Value,
    ) {
        let mut replace = false;
        for m in modifiers {
            m.modify(&mut AttributePlan {
                path: &path,
                config,
                prior,
                planned,
                requires_replace: &mut replace,
                diagnostics: &mut self.diagnostics,
            });
        }
        if replace {
            self.requires_replace.push(path);
        }
    }

    /// Plans the elements of a nested collection, each against its prior counterpart.
    #[allow(clippy::too_many_arguments)]
    fn collection(
        &mut self,
        attrs: &[Attribute],
        blocks: &[NestedBlock],
        nesting: Nesting,
        path: &AttributePath,
        config: &Value,
        prior: Option<&Value>,
        planned: &mut Value,
        mark: bool,
    ) {
        let prior = prior.filter(|p| !p.is_null() && !p.is_unknown());
        // An element is re-planned only if it differs from its prior counterpart.
        let elem_mark = |pri: Option<&Value>, cur: &Value| mark && pri != Some(cur);
        match (nesting, planned) {
            (Nesting::Single | Nesting::Group, obj @ Value::Object(_)) => {
                for_defaults(attrs, config, obj);
                let m = elem_mark(prior, obj);
                self.object(attrs, blocks, path, config, prior, obj, m);
            }
            (Nesting::List, Value::List(items)) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let cfg = config.as_slice().and_then(|c| c.get(i)).unwrap_or(&Value::Null);
                    let pri = prior.and_then(|p| p.as_slice()).and_then(|p| p.get(i));
                    for_defaults(attrs, cfg, item);
                    let m = elem_mark(pri, item);
                    self.object(attrs, blocks, &path.with_index(i as i64), cfg, pri, item, m);
                }
            }
            (Nesting::Map, Value::Map(items)) => {
                for (k, item) in items.iter_mut() {
                    let cfg = config.as_map().and_then(|c| c.get(k)).unwrap_or(&Value::Null);
                    let pri = prior.and_then(|p| p.as_map()).and_then(|p| p.get(k));
                    for_defaults(attrs, cfg, item);
                    let m = elem_mark(pri, item);
                    self.object(attrs, blocks, &path.with_key(k.clone()), cfg, pri, item, m);
                }
            }
            (Nesting::Set, Value::Set(items)) => {
                // Index prior and config elements by their configurable projection.
                let prior_index = index_by_projection(attrs, blocks, prior);
                let config_index = index_by_projection(attrs, blocks, Some(config));
                let mut elems = std::mem::take(items);
                for item in &mut elems {
                    let key = project(attrs, blocks, item);
                    let pri = prior_index.get(&key).copied();
                    let cfg = config_index.get(&key).copied().unwrap_or(&Value::Null);
                    if pri.is_none() {
                        set_defaults_where_null(attrs, item);
                    }
                    let m = elem_mark(pri, item);
                    // Set elements cannot be addressed; their paths stop at the set.
                    self.object(attrs, blocks, path, cfg, pri, item, m);
                }
                *items = match Value::set(elems) {
                    Value::Set(v) => v,
                    _ => Vec::new(),
                };
            }
            _ => {}
        }
    }
}

/// Set elements keyed by their configurable projection.
fn index_by_projection<'a>(
    attrs: &[Attribute],
    blocks: &[NestedBlock],
    set: Option<&'a Value>,
) -> BTreeMap<Value, &'a Value> {
    set.and_then(Value::as_slice).unwrap_or(&[]).iter().map(|e| (project(attrs, blocks, e), e)).collect()
}

fn for_defaults(attrs: &[Attribute], config: &Value, planned: &mut Value) {
    if attrs.iter().any(|a| a.default.is_some()) {
        apply_defaults(attrs, config, planned);
    }
}

/// Defaults for a new set element, whose config counterpart equals it in every
/// configurable attribute: a null there means config left it out.
fn set_defaults_where_null(attrs: &[Attribute], planned: &mut Value) {
    let Some(map) = planned.as_map_mut() else { return };
    for a in attrs {
        if let (Some(d), Some(slot)) = (&a.default, map.get_mut(&a.name))
            && slot.is_null()
        {
            *slot = d.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, Block, NestedBlock};

    fn schema() -> Block {
        Block::new()
            .attribute(Attribute::string("name").required().plan_modifier(RequiresReplace))
            .attribute(Attribute::string("tier").default("dev"))
            .attribute(Attribute::string("id").computed().plan_modifier(UseStateForUnknown))
            .attribute(Attribute::string("updated").computed())
            .attribute(Attribute::string("secret").optional().write_only())
            .block(NestedBlock::set(
                "rule",
                Block::new()
                    .attribute(Attribute::number("port").required())
                    .attribute(Attribute::string("rule_id").computed()),
            ))
    }

    fn rule(port: i64, id: Option<&str>) -> Value {
        Value::object([("port", Value::from(port)), ("rule_id", Value::from(id.map(str::to_string)))])
    }

    fn obj(name: &str, tier: Option<&str>, id: Option<&str>, rules: Vec<Value>) -> Value {
        Value::object([
            ("name", Value::from(name)),
            ("tier", Value::from(tier.map(str::to_string))),
            ("id", Value::from(id.map(str::to_string))),
            ("updated", Value::from(id.map(|_| "t0".to_string()))),
            ("secret", Value::from("s3cret")),
            ("rule", Value::set(rules)),
        ])
    }

    #[test]
    fn create_defaults_and_marks_computed_unknown() {
        let config = obj("a", None, None, vec![rule(22, None)]);
        let p = plan(&schema(), &Value::Null, &config, config.clone());
        assert_eq!(p.planned.attr("tier"), Some(&Value::from("dev")));
        assert!(p.planned.attr("id").unwrap().is_unknown());
        assert_eq!(p.planned.attr("secret"), Some(&Value::Null), "write-only is never planned");
        let rules = p.planned.attr("rule").unwrap().as_slice().unwrap();
        assert!(rules[0].attr("rule_id").unwrap().is_unknown());
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn unchanged_object_plans_exactly_the_prior_state() {
        let prior = obj("a", Some("dev"), Some("i-1"), vec![rule(22, Some("r1"))]);
        let mut prior_stored = prior.clone();
        null_write_only(&schema().attributes, &schema().blocks, &mut prior_stored);
        let config = obj("a", None, None, vec![rule(22, None)]);
        // Terraform's proposal copies computed values from prior.
        let mut proposed = prior_stored.clone();
        proposed.as_map_mut().unwrap().insert("secret".into(), Value::from("s3cret"));
        let p = plan(&schema(), &prior_stored, &config, proposed);
        assert_eq!(p.planned, prior_stored);
    }

    #[test]
    fn update_keeps_stable_ids_and_matched_set_elements() {
        let prior = obj("a", Some("dev"), Some("i-1"), vec![rule(22, Some("r1"))]);
        let config = obj("a", Some("prod"), None, vec![rule(22, None), rule(443, None)]);
        let proposed = obj("a", Some("prod"), Some("i-1"), vec![rule(22, Some("r1")), rule(443, None)]);
        let p = plan(&schema(), &prior, &config, proposed);
        assert_eq!(p.planned.attr("id"), Some(&Value::from("i-1")), "UseStateForUnknown");
        assert!(p.planned.attr("updated").unwrap().is_unknown());
        let rules = p.planned.attr("rule").unwrap().as_slice().unwrap();
        let r22 = rules.iter().find(|r| r.attr("port") == Some(&Value::from(22))).unwrap();
        let r443 = rules.iter().find(|r| r.attr("port") == Some(&Value::from(443))).unwrap();
        assert_eq!(r22.attr("rule_id"), Some(&Value::from("r1")));
        assert!(r443.attr("rule_id").unwrap().is_unknown());
    }

    #[test]
    fn renaming_requires_replacement() {
        let prior = obj("a", Some("dev"), Some("i-1"), vec![]);
        let config = obj("b", None, None, vec![]);
        let proposed = obj("b", Some("dev"), Some("i-1"), vec![]);
        let p = plan(&schema(), &prior, &config, proposed);
        assert_eq!(p.requires_replace, vec![AttributePath::attr("name")]);
    }

    #[test]
    fn a_thousand_set_elements_plan_quickly() {
        let rules: Vec<Value> = (0..1000).map(|i| rule(i, Some(&format!("r{i}")))).collect();
        let prior = obj("a", Some("dev"), Some("i-1"), rules.clone());
        let cfg_rules: Vec<Value> = (0..1001).map(|i| rule(i, None)).collect();
        let config = obj("a", Some("dev"), None, cfg_rules);
        let mut proposed_rules = rules;
        proposed_rules.push(rule(1000, None));
        let proposed = obj("a", Some("dev"), Some("i-1"), proposed_rules);
        let p = plan(&schema(), &prior, &config, proposed);
        let planned = p.planned.attr("rule").unwrap().as_slice().unwrap();
        assert_eq!(planned.len(), 1001);
        assert_eq!(planned.iter().filter(|r| r.attr("rule_id").unwrap().is_unknown()).count(), 1);
    }
}
