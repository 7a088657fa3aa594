//! Resource identity (Terraform ≥ 1.12): the few attributes that name a remote object
//! for good, so that `import` blocks and `terraform query` can point at it without an ID string.
//!
//! ```
//! use tfplug::identity::{IdentityAttribute, IdentitySchema};
//!
//! let identity = IdentitySchema::new(0)
//!     .attribute(IdentityAttribute::string("region").optional_for_import())
//!     .attribute(IdentityAttribute::string("id").required_for_import().description("The native id."));
//! assert!(identity.check().is_ok());
//! ```

use crate::cty::{self, Type, Value};
use crate::object::Object;

/// The identity of a managed resource type: a versioned, flat set of attributes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IdentitySchema {
    /// Identity schema version; bump it when the shape changes and implement
    /// [`Resource::upgrade_identity`](crate::Resource::upgrade_identity).
    pub version: i64,
    /// The attributes, in declaration order.
    pub attributes: Vec<IdentityAttribute>,
}

impl IdentitySchema {
    /// An identity schema at `version` with no attributes yet.
    pub fn new(version: i64) -> Self {
        IdentitySchema { version, attributes: Vec::new() }
    }

    /// Adds an attribute.
    pub fn attribute(mut self, attribute: IdentityAttribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// The object type of identity values.
    pub fn ty(&self) -> Type {
        Type::object(self.attributes.iter().map(|a| (a.name.clone(), a.ty.clone())))
    }

    /// Checks what Terraform and the identity design require: at least one attribute,
    /// valid unique names, types that are primitives or lists of primitives, and at
    /// least one attribute an `import` block must give.
    pub fn check(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if self.attributes.is_empty() {
            problems.push("an identity needs at least one attribute".to_string());
        }
        let mut seen = std::collections::BTreeSet::new();
        for a in &self.attributes {
            let name_ok =
                !a.name.is_empty() && a.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !name_ok {
                problems.push(format!("identity.{}: names must match ^[a-z0-9_]+$", a.name));
            }
            if !seen.insert(a.name.as_str()) {
                problems.push(format!("identity.{}: declared twice", a.name));
            }
            let primitive = |t: &Type| matches!(t, Type::String | Type::Number | Type::Bool);
            let ok = match &a.ty {
                Type::List(e) => primitive(e),
                t => primitive(t),
            };
            if !ok {
                problems.push(format!(
                    "identity.{}: type {} not allowed; use string, number, bool or a list of them",
                    a.name, a.ty
                ));
            }
            if a.required_for_import && a.optional_for_import {
                problems.push(format!("identity.{}: cannot be both required and optional for import", a.name));
            }
        }
        if !self.attributes.is_empty() && !self.attributes.iter().any(|a| a.required_for_import) {
            problems.push("an identity needs at least one attribute that is required for import".to_string());
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }
}

/// One identity attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct IdentityAttribute {
    /// Its name (`^[a-z0-9_]+$`).
    pub name: String,
    /// Its type: string, number, bool or a list of one of them.
    pub ty: Type,
    /// An `import` block must give it.
    pub required_for_import: bool,
    /// An `import` block may give it; the provider fills it otherwise (e.g. a region
    /// from the provider configuration).
    pub optional_for_import: bool,
    /// Documentation.
    pub description: String,
}

impl IdentityAttribute {
    /// An attribute of type `ty`, neither required nor optional for import until you
    /// say which.
    pub fn new(name: impl Into<String>, ty: Type) -> Self {
        IdentityAttribute {
            name: name.into(),
            ty,
            required_for_import: false,
            optional_for_import: false,
            description: String::new(),
        }
    }

    /// A string attribute.
    pub fn string(name: impl Into<String>) -> Self {
        IdentityAttribute::new(name, Type::String)
    }

    /// A number attribute.
    pub fn number(name: impl Into<String>) -> Self {
        IdentityAttribute::new(name, Type::Number)
    }

    /// A bool attribute.
    pub fn bool(name: impl Into<String>) -> Self {
        IdentityAttribute::new(name, Type::Bool)
    }

    /// `import` blocks must give it.
    pub fn required_for_import(mut self) -> Self {
        self.required_for_import = true;
        self.optional_for_import = false;
        self
    }

    /// `import` blocks may give it.
    pub fn optional_for_import(mut self) -> Self {
        self.optional_for_import = true;
        self.required_for_import = false;
        self
    }

    /// Sets the description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }
}

/// Copies each identity attribute into the state attribute of the same name (when the
/// state has one and the value fits its type); returns how many were copied.
pub(crate) fn copy_to_state(identity: &Object, state: &mut Object) -> usize {
    let Some(attrs) = identity.value().as_map() else { return 0 };
    let mut copied = 0;
    for (name, v) in attrs {
        let Some(ty) = state.ty().object_attributes().and_then(|a| a.get(name)).cloned() else { continue };
        if v.is_null() {
            continue;
        }
        if let (Ok(v), Some(map)) = (cty::conform(v.clone(), &ty), state.value_mut().as_map_mut()) {
            map.insert(name.clone(), v);
            copied += 1;
        }
    }
    copied
}

/// Fills the identity attributes that are null from the state attributes of the same
/// names. A null identity becomes an object first, and stays null if nothing was filled.
pub(crate) fn fill_from_state(identity: &mut Value, ty: &Type, state: &Value) {
    let (Some(types), Some(from)) = (ty.object_attributes(), state.as_map()) else { return };
    let was_null = identity.is_null();
    if was_null {
        *identity = Value::Object(types.keys().map(|k| (k.clone(), Value::Null)).collect());
    }
    let mut filled = false;
    if let Some(map) = identity.as_map_mut() {
        for (name, ty) in types {
            let slot = map.entry(name.clone()).or_insert(Value::Null);
            if !slot.is_null() {
                continue;
            }
            if let Some(v) = from.get(name).filter(|v| !v.is_null())
                && let Ok(v) = cty::conform(v.clone(), ty)
            {
                *slot = v;
                filled = true;
            }
        }
    }
    if was_null && !filled {
        *identity = Value::Null;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_catches_shapes_terraform_cannot_use() {
        let bad = IdentitySchema::new(0)
            .attribute(IdentityAttribute::new("tags", Type::map(Type::String)).optional_for_import())
            .attribute(IdentityAttribute::string("Id"));
        let problems = bad.check().unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(IdentitySchema::new(0).check().is_err());
        let ok = IdentitySchema::new(1).attribute(IdentityAttribute::string("id").required_for_import());
        assert_eq!(ok.check(), Ok(()));
        assert_eq!(ok.ty(), Type::object([("id", Type::String)]));
    }

    #[test]
    fn identity_fills_from_state_without_overwriting() {
        let ty = Type::object([("id", Type::String), ("region", Type::String)]);
        let state = Value::object([("id", Value::from("i-1")), ("region", Value::from("eu")), ("x", Value::from(1))]);
        let mut identity = Value::Null;
        fill_from_state(&mut identity, &ty, &state);
        assert_eq!(identity, Value::object([("id", Value::from("i-1")), ("region", Value::from("eu"))]));
        let mut kept = Value::object([("id", Value::from("old")), ("region", Value::Null)]);
        fill_from_state(&mut kept, &ty, &state);
        assert_eq!(kept.attr("id"), Some(&Value::from("old")));
        assert_eq!(kept.attr("region"), Some(&Value::from("eu")));
        let mut none = Value::Null;
        fill_from_state(&mut none, &ty, &Value::object([("other", Value::from("v"))]));
        assert!(none.is_null());
    }
}
