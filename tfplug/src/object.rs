//! [`Object`]: a config, plan or state value together with its schema type.
//! Resource code reads and writes it as plain Rust structs through serde.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cty::{self, AttributePath, Type, Value};
use crate::diag::Diagnostics;

/// An object value of a known schema type (config, planned state, prior state).
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    value: Value,
    ty: Arc<Type>,
}

impl Object {
    /// Wraps `value` of type `ty`.
    pub fn new(value: Value, ty: Arc<Type>) -> Self {
        Object { value, ty }
    }

    /// A null object of type `ty` (no object: deleted, or not created).
    pub fn null(ty: Arc<Type>) -> Self {
        Object { value: Value::Null, ty }
    }

    /// An object of type `ty` whose every attribute is null.
    pub fn empty(ty: Arc<Type>) -> Self {
        let value = cty::conform(Value::Object(Default::default()), &ty).unwrap_or(Value::Null);
        Object { value, ty }
    }

    /// True when there is no object.
    pub fn is_null(&self) -> bool {
        self.value.is_null()
    }

    /// Makes this "no object" (e.g. from `read` when the remote object is gone).
    pub fn set_null(&mut self) {
        self.value = Value::Null;
    }

    /// The raw value.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The raw value, for in-place edits.
    pub fn value_mut(&mut self) -> &mut Value {
        &mut self.value
    }

    /// Consumes self, returning the raw value.
    pub fn into_value(self) -> Value {
        self.value
    }

    /// The schema type.
    pub fn ty(&self) -> &Arc<Type> {
        &self.ty
    }

    /// Reads the whole object as `T`; errors point at the attribute that does not fit.
    pub fn get<T: DeserializeOwned>(&self) -> Result<T, Diagnostics> {
        cty::from_value(&self.value).map_err(Diagnostics::from)
    }

    /// Reads one attribute (or any path) as `T`.
    pub fn get_at<T: DeserializeOwned>(&self, path: &AttributePath) -> Result<T, Diagnostics> {
        let v = self.value.at(path).unwrap_or(&Value::Null);
        cty::from_value(v).map_err(|e| {
            let mut full = path.clone();
            full.0.extend(e.path.0);
            Diagnostics::from(cty::Error::at(full, e.message))
        })
    }

    /// The value at `path`, if present.
    pub fn at(&self, path: &AttributePath) -> Option<&Value> {
        self.value.at(path)
    }

    /// The value of a top-level attribute (null if absent).
    pub fn attr(&self, name: &str) -> &Value {
        self.value.attr(name).unwrap_or(&Value::Null)
    }

    /// Replaces the whole object with `model`, shaped to the schema type: attributes the
    /// struct lacks become null.
    pub fn set<T: Serialize>(&mut self, model: &T) -> Result<(), Diagnostics> {
        let v = cty::to_value(model)?;
        self.value = cty::conform(v, &self.ty)?;
        Ok(())
    }

    /// Replaces the value at `path` with `v`, shaped to the type at that path.
    pub fn set_at<T: Serialize>(&mut self, path: &AttributePath, v: &T) -> Result<(), Diagnostics> {
        let raw = cty::to_value(v)?;
        let ty = type_at(&self.ty, path)
            .ok_or_else(|| Diagnostics::error("Internal error", format!("the schema has no attribute at {path}")))?;
        let shaped = cty::conform(raw, &ty).map_err(|e| {
            let mut full = path.clone();
            full.0.extend(e.path.0);
            Diagnostics::from(cty::Error::at(full, e.message))
        })?;
        if self.value.set_at(path, shaped) {
            Ok(())
        } else {
            Err(Diagnostics::error("Internal error", format!("no value at {path} to replace")))
        }
    }

    /// Sets a top-level attribute.
    pub fn set_attr<T: Serialize>(&mut self, name: &str, v: &T) -> Result<(), Diagnostics> {
        self.set_at(&AttributePath::attr(name), v)
    }

    /// Merges the attributes of `model` over this object. Fields that serialize as
    /// null leave the current value alone — so `merge` cannot clear a value; use
    /// [`Object::set_attr`] (or [`Object::set`]) for values that may have become null.
    pub fn merge<T: Serialize>(&mut self, model: &T) -> Result<(), Diagnostics> {
        let v = cty::to_value(model)?;
        let Some(incoming) = v.as_map() else {
            return Err(Diagnostics::error("Internal error", "merge needs a struct or map"));
        };
        for (k, v) in incoming {
            if !v.is_null() {
                self.set_attr(k, v)?;
            }
        }
        Ok(())
    }
}

/// The type at `path` inside `ty`.
pub(crate) fn type_at(ty: &Type, path: &AttributePath) -> Option<Type> {
    use cty::PathStep;
    let mut cur = ty.clone();
    for step in &path.0 {
        cur = match (step, &cur) {
            (PathStep::Attribute(a), Type::Object(o)) => o.attributes.get(a)?.clone(),
            (PathStep::Key(_), Type::Map(t)) => (**t).clone(),
            (PathStep::Index(_), Type::List(t)) => (**t).clone(),
            (PathStep::Index(i), Type::Tuple(ts)) => ts.get(usize::try_from(*i).ok()?)?.clone(),
            (_, Type::Dynamic) => Type::Dynamic,
            _ => return None,
        };
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cty::MaybeUnknown;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize)]
    struct M {
        name: String,
        id: MaybeUnknown<String>,
    }

    #[test]
    fn set_fills_the_rest_and_get_reads_back() {
        let ty = Arc::new(Type::object([("name", Type::String), ("id", Type::String), ("n", Type::Number)]));
        let mut o = Object::empty(ty);
        o.set(&M { name: "x".into(), id: MaybeUnknown::Unknown }).unwrap();
        assert_eq!(o.attr("n"), &Value::Null);
        assert!(o.attr("id").is_unknown());
        o.set_attr("id", &"abc").unwrap();
        let m: M = o.get().unwrap();
        assert_eq!(m.id.known().map(String::as_str), Some("abc"));
        assert!(o.set_attr("nope", &1).is_err());
    }

    #[test]
    fn values_serialize_to_json() {
        let v = Value::object([("a", Value::from(1)), ("b", Value::unknown())]);
        assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"a":1,"b":null}"#);
    }
}
