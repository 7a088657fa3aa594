//! cty types and their JSON type-constraint encoding.
//! Schemas, function signatures and `dynamic` values carry types in this form.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value as Json;

use super::Error;

/// Deepest type nesting accepted from outside; real schemas stay far below it.
const MAX_TYPE_DEPTH: usize = 64;

/// A cty type: what a value must look like on the wire.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Type {
    /// UTF-8 text.
    String,
    /// Arbitrary-precision number.
    Number,
    /// `true` or `false`.
    Bool,
    /// Ordered sequence of one element type.
    List(Box<Type>),
    /// Unordered collection of distinct values of one element type.
    Set(Box<Type>),
    /// String-keyed map of one element type.
    Map(Box<Type>),
    /// Fixed attribute names, each with its own type.
    Object(ObjectType),
    /// Fixed-length sequence, each position with its own type.
    Tuple(Vec<Type>),
    /// Any type, decided by the value at runtime.
    Dynamic,
}

/// The attributes of an object type; `optional` only matters in type constraints.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectType {
    /// Attribute name to type.
    pub attributes: BTreeMap<String, Type>,
    /// Attributes a constraint lets the caller omit (function parameters only).
    pub optional: BTreeSet<String>,
}

impl Type {
    /// `list(elem)`.
    pub fn list(elem: Type) -> Type {
        Type::List(Box::new(elem))
    }

    /// `set(elem)`.
    pub fn set(elem: Type) -> Type {
        Type::Set(Box::new(elem))
    }

    /// `map(elem)`.
    pub fn map(elem: Type) -> Type {
        Type::Map(Box::new(elem))
    }

    /// `object({...})` from `(name, type)` pairs.
    pub fn object<I, S>(attributes: I) -> Type
    where
        I: IntoIterator<Item = (S, Type)>,
        S: Into<String>,
    {
        Type::Object(ObjectType {
            attributes: attributes.into_iter().map(|(k, v)| (k.into(), v)).collect(),
            optional: BTreeSet::new(),
        })
    }

    /// The element type of a list, set or map.
    pub fn element_type(&self) -> Option<&Type> {
        match self {
            Type::List(t) | Type::Set(t) | Type::Map(t) => Some(t),
            _ => None,
        }
    }

    /// The attribute types of an object.
    pub fn object_attributes(&self) -> Option<&BTreeMap<String, Type>> {
        match self {
            Type::Object(o) => Some(&o.attributes),
            _ => None,
        }
    }

    /// True if `dynamic` appears anywhere inside this type.
    pub fn has_dynamic(&self) -> bool {
        match self {
            Type::Dynamic => true,
            Type::List(t) | Type::Set(t) | Type::Map(t) => t.has_dynamic(),
            Type::Object(o) => o.attributes.values().any(Type::has_dynamic),
            Type::Tuple(ts) => ts.iter().any(Type::has_dynamic),
            _ => false,
        }
    }

    /// The JSON type constraint, e.g. `["list","string"]`.
    pub fn to_json(&self) -> Json {
        match self {
            Type::String => Json::from("string"),
            Type::Number => Json::from("number"),
            Type::Bool => Json::from("bool"),
            Type::Dynamic => Json::from("dynamic"),
            Type::List(t) => Json::Array(vec!["list".into(), t.to_json()]),
            Type::Set(t) => Json::Array(vec!["set".into(), t.to_json()]),
            Type::Map(t) => Json::Array(vec!["map".into(), t.to_json()]),
            Type::Tuple(ts) => Json::Array(vec!["tuple".into(), Json::Array(ts.iter().map(Type::to_json).collect())]),
            Type::Object(o) => {
                let attrs =
                    o.attributes.iter().map(|(k, v)| (k.clone(), v.to_json())).collect::<serde_json::Map<_, _>>();
                let mut parts = vec![Json::from("object"), Json::Object(attrs)];
                if !o.optional.is_empty() {
                    parts.push(Json::Array(o.optional.iter().map(|s| Json::from(s.as_str())).collect()));
                }
                Json::Array(parts)
            }
        }
    }

    /// The JSON type constraint as bytes, as schemas and `dynamic` values carry it.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        // Serialising a serde_json::Value into memory cannot fail.
        serde_json::to_vec(&self.to_json()).unwrap_or_default()
    }

    /// Parses a JSON type constraint.
    pub fn from_json(json: &Json) -> Result<Type, Error> {
        Self::from_json_at(json, 0)
    }

    /// Parses a JSON type constraint from bytes.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, Error> {
        let json: Json =
            serde_json::from_slice(bytes).map_err(|e| Error::new(format!("invalid type constraint JSON: {e}")))?;
        Self::from_json(&json)
    }

    fn from_json_at(json: &Json, depth: usize) -> Result<Type, Error> {
        if depth > MAX_TYPE_DEPTH {
            return Err(Error::new("type constraint nested too deeply"));
        }
        let bad = || Error::new(format!("invalid type constraint: {json}"));
        match json {
            Json::String(s) => match s.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                _ => Err(bad()),
            },
            Json::Array(parts) => {
                let kind = parts.first().and_then(Json::as_str).ok_or_else(bad)?;
                let arg = parts.get(1).ok_or_else(bad)?;
                let inner = |j: &Json| Self::from_json_at(j, depth + 1);
                match (kind, parts.len()) {
                    ("list", 2) => Ok(Type::list(inner(arg)?)),
                    ("set", 2) => Ok(Type::set(inner(arg)?)),
                    ("map", 2) => Ok(Type::map(inner(arg)?)),
                    ("tuple", 2) => {
                        let elems = arg.as_array().ok_or_else(bad)?;
                        Ok(Type::Tuple(elems.iter().map(inner).collect::<Result<_, _>>()?))
                    }
                    ("object", 2 | 3) => {
                        let attrs = arg.as_object().ok_or_else(bad)?;
                        let attributes = attrs.iter().map(|(k, v)| Ok((k.clone(), inner(v)?))).collect::<Result<
                            BTreeMap<_, _>,
                            Error,
                        >>(
                        )?;
                        let mut optional = BTreeSet::new();
                        if let Some(opt) = parts.get(2) {
                            for name in opt.as_array().ok_or_else(bad)? {
                                let name = name.as_str().ok_or_else(bad)?;
                                if !attributes.contains_key(name) {
                                    return Err(bad());
                                }
                                optional.insert(name.to_string());
                            }
                        }
                        Ok(Type::Object(ObjectType { attributes, optional }))
                    }
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Type {
    /// Terraform's type-expression spelling, e.g. `list(object({name=string}))`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::Dynamic => f.write_str("any"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Tuple(ts) => {
                f.write_str("tuple([")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str("])")
            }
            Type::Object(o) => {
                f.write_str("object({")?;
                for (i, (k, t)) in o.attributes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}={t}")?;
                }
                f.write_str("})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_of_nested_types() {
        let t = Type::list(Type::object([("key", Type::String), ("values", Type::set(Type::String))]));
        let json = t.to_json();
        assert_eq!(json.to_string(), r#"["list",["object",{"key":"string","values":["set","string"]}]]"#);
        assert_eq!(Type::from_json(&json).unwrap(), t);
    }

    #[test]
    fn optional_attributes_are_the_third_element() {
        let json: Json = serde_json::from_str(r#"["object",{"a":"string","b":"number"},["b"]]"#).unwrap();
        let t = Type::from_json(&json).unwrap();
        let Type::Object(o) = &t else { panic!("object expected") };
        assert!(o.optional.contains("b"));
        assert_eq!(t.to_json(), json);
    }

    #[test]
    fn malformed_constraints_are_errors() {
        for bad in [r#""strin""#, r#"["list"]"#, r#"["object",{},["x"]]"#, "3", r#"["tuple",{}]"#] {
            let json: Json = serde_json::from_str(bad).unwrap();
            assert!(Type::from_json(&json).is_err(), "{bad}");
        }
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut s = String::from("\"string\"");
        for _ in 0..200 {
            s = format!("[\"list\",{s}]");
        }
        assert!(Type::from_json_bytes(s.as_bytes()).is_err());
    }
}
