//! Pricing a plan's `resource_changes` straight from its text, one change at a time.
//!
//! `check` prices a plan on one thread while another builds the copy policies read; holding a
//! parsed `resource_changes` next to that copy would push a big plan's peak memory up by
//! about half. Here the text is read twice instead: once for the parts of `configuration`
//! pricing uses (everything else is skipped without being kept), once handing each change to
//! the pricer and dropping it.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::ResourceCost;
use super::context::PlanContext;
use super::resources::{self, Outcome};

/// What pricing the changes of a plan found: the priced resources and how many managed
/// resources had a type the rate card does not price.
pub(super) struct Priced {
    pub(super) resources: Vec<ResourceCost>,
    pub(super) not_priceable: usize,
}

/// Prices the `resource_changes` of the plan `text`; `None` when the text is not a JSON
/// object whose `resource_changes` is an array (a state, a trimmed plan or a broken document:
/// the caller prices those from a parsed copy).
pub(super) fn price_changes(text: &str) -> Option<Priced> {
    let head: Head = serde_json::from_str(text).ok()?;
    let configuration = head.configuration.map(|c| {
        serde_json::json!({"provider_config": c.provider_config, "root_module": c.root_module.map(Module::into_value)})
    });
    let context = PlanContext::from_plan(&serde_json::json!({ "configuration": configuration }));
    let mut priced = Priced { resources: Vec::new(), not_priceable: 0 };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let found = Document { context: &context, priced: &mut priced }.deserialize(&mut deserializer).ok()?;
    found.then_some(priced)
}

/// What pricing reads of a plan's `configuration` (the provider configurations and which one
/// each resource uses); the expressions, a third of a big plan, are skipped unread. A member
/// of an unexpected kind fails the whole read, and the plan is priced the slow way.
#[derive(serde::Deserialize)]
struct Head {
    configuration: Option<Configuration>,
}

#[derive(serde::Deserialize)]
struct Configuration {
    provider_config: Option<Value>,
    root_module: Option<Module>,
}

#[derive(serde::Deserialize)]
struct Module {
    resources: Option<Vec<ConfiguredResource>>,
    module_calls: Option<std::collections::BTreeMap<String, ModuleCall>>,
}

#[derive(serde::Deserialize)]
struct ConfiguredResource {
    address: Option<Value>,
    provider_config_key: Option<Value>,
}

#[derive(serde::Deserialize)]
struct ModuleCall {
    module: Option<Module>,
}

impl Module {
    /// The module as the JSON `PlanContext::from_plan` reads.
    fn into_value(self) -> Value {
        let resources: Vec<Value> = self
            .resources
            .unwrap_or_default()
            .into_iter()
            .map(|r| serde_json::json!({"address": r.address, "provider_config_key": r.provider_config_key}))
            .collect();
        let calls: serde_json::Map<String, Value> = self
            .module_calls
            .unwrap_or_default()
            .into_iter()
            .map(|(name, call)| (name, serde_json::json!({"module": call.module.map(Module::into_value)})))
            .collect();
        serde_json::json!({"resources": resources, "module_calls": calls})
    }
}

/// The top-level object: `resource_changes` priced, every other member skipped. Yields
/// whether `resource_changes` was an array.
struct Document<'a> {
    context: &'a PlanContext,
    priced: &'a mut Priced,
}

impl<'de> DeserializeSeed<'de> for Document<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Document<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a plan object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "resource_changes" && !found {
                found = map.next_value_seed(Changes { context: self.context, priced: &mut *self.priced })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// The `resource_changes` value: each element priced and dropped. Yields whether it was an array.
struct Changes<'a> {
    context: &'a PlanContext,
    priced: &'a mut Priced,
}

impl<'de> DeserializeSeed<'de> for Changes<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Changes<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("resource changes")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while let Some(rc) = seq.next_element::<Value>()? {
            match resources::price_change(&rc, self.context) {
                Outcome::Cost(cost) => self.priced.resources.push(*cost),
                Outcome::NotPriceable => self.priced.not_priceable += 1,
                Outcome::Ignored => {}
            }
        }
        Ok(true)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(false)
    }

    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
}
