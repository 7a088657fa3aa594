//! cty values: known data, null, and unknown ("known after apply") at any depth.
//! Values carry no type; the schema type drives encoding, so one tree serves msgpack and JSON.

use std::collections::BTreeMap;

use super::{Number, Type};

/// What Terraform promised about a value it does not know yet (msgpack extension 12).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Refinements {
    /// The value will not be null.
    pub not_null: bool,
    /// A known prefix of the final string.
    pub string_prefix: Option<String>,
    /// Lower bound of a number, and whether it is inclusive.
    pub number_lower: Option<(Number, bool)>,
    /// Upper bound of a number, and whether it is inclusive.
    pub number_upper: Option<(Number, bool)>,
    /// Minimum length of a collection.
    pub length_lower: Option<u64>,
    /// Maximum length of a collection.
    pub length_upper: Option<u64>,
}

impl Refinements {
    /// True if nothing is promised.
    pub fn is_empty(&self) -> bool {
        *self == Refinements::default()
    }
}

/// A cty value.
///
/// `Set` elements are kept sorted and free of known duplicates (see [`Value::set`]), so
/// set equality, lookup and correlation cost `O(n log n)` rather than `O(n²)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    /// Null of whatever type the position has.
    Null,
    /// Not known until apply, with optional refinements.
    Unknown(Refinements),
    /// A bool.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// A list.
    List(Vec<Value>),
    /// A set in canonical order; build it with [`Value::set`].
    Set(Vec<Value>),
    /// A map.
    Map(BTreeMap<String, Value>),
    /// An object.
    Object(BTreeMap<String, Value>),
    /// A tuple.
    Tuple(Vec<Value>),
    /// A value in a `dynamic` position, with the concrete type it travels with.
    Dynamic(Box<Type>, Box<Value>),
}

/// One step of an attribute path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathStep {
    /// An object attribute (or a nested block by type name).
    Attribute(String),
    /// A map key or MAP block label.
    Key(String),
    /// A list or tuple index, or a LIST block index.
    Index(i64),
}

/// A path to a value inside an object, as Terraform diagnostics carry it.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttributePath(pub Vec<PathStep>);

impl AttributePath {
    /// The empty path (the whole object).
    pub fn root() -> Self {
        AttributePath(Vec::new())
    }

    /// A path of one attribute.
    pub fn attr(name: impl Into<String>) -> Self {
        AttributePath(vec![PathStep::Attribute(name.into())])
    }

    /// This path extended by an attribute.
    pub fn with_attr(&self, name: impl Into<String>) -> Self {
        let mut p = self.clone();
        p.0.push(PathStep::Attribute(name.into()));
        p
    }

    /// This path extended by a map key.
    pub fn with_key(&self, key: impl Into<String>) -> Self {
        let mut p = self.clone();
        p.0.push(PathStep::Key(key.into()));
        p
    }

    /// This path extended by an index.
    pub fn with_index(&self, index: i64) -> Self {
        let mut p = self.clone();
        p.0.push(PathStep::Index(index));
        p
    }

    /// True for the empty path.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for AttributePath {
    /// HCL traversal syntax: `ingress[0].ports`, `tags["env"]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attribute(a) if i == 0 => f.write_str(a)?,
                PathStep::Attribute(a) => write!(f, ".{a}")?,
                PathStep::Key(k) => write!(f, "[{k:?}]")?,
                PathStep::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl Value {
    /// An unknown value with no refinements.
    pub fn unknown() -> Value {
        Value::Unknown(Refinements::default())
    }

    /// A set from any elements: sorts them canonically and drops duplicates that are
    /// wholly known (unknown elements may turn out different, so they all stay).
    pub fn set(elements: impl IntoIterator<Item = Value>) -> Value {
        let mut elems: Vec<Value> = elements.into_iter().collect();
        elems.sort_unstable();
        elems.dedup_by(|a, b| a == b && a.is_wholly_known());
        Value::Set(elems)
    }

    /// A string value.
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// An object from `(name, value)` pairs.
    pub fn object<I, S>(attrs: I) -> Value
    where
        I: IntoIterator<Item = (S, Value)>,
        S: Into<String>,
    {
        Value::Object(attrs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// True for null (looking through a `dynamic` wrapper).
    pub fn is_null(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Dynamic(_, v) => v.is_null(),
            _ => false,
        }
    }

    /// True if this value itself is unknown (its contents may still be partly unknown
    /// when this is false).
    pub fn is_unknown(&self) -> bool {
        match self {
            Value::Unknown(_) => true,
            Value::Dynamic(_, v) => v.is_unknown(),
            _ => false,
        }
    }

    /// True if no unknown appears anywhere inside.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => v.iter().all(Value::is_wholly_known),
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            Value::Dynamic(_, v) => v.is_wholly_known(),
            _ => true,
        }
    }

    /// The string, if this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            Value::Dynamic(_, v) => v.as_str(),
            _ => None,
        }
    }

    /// The bool, if this is a known bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Dynamic(_, v) => v.as_bool(),
            _ => None,
        }
    }

    /// The number, if this is a known number.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            Value::Dynamic(_, v) => v.as_number(),
            _ => None,
        }
    }

    /// The attributes of an object, or the entries of a map.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Object(m) | Value::Map(m) => Some(m),
            Value::Dynamic(_, v) => v.as_map(),
            _ => None,
        }
    }

    /// Mutable attributes of an object or entries of a map.
    pub fn as_map_mut(&mut self) -> Option<&mut BTreeMap<String, Value>> {
        match self {
            Value::Object(m) | Value::Map(m) => Some(m),
            Value::Dynamic(_, v) => v.as_map_mut(),
            _ => None,
        }
    }

    /// The elements of a list, set or tuple.
    pub fn as_slice(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            Value::Dynamic(_, v) => v.as_slice(),
            _ => None,
        }
    }

    /// An attribute of an object (or entry of a map); `None` if absent or not an object.
    pub fn attr(&self, name: &str) -> Option<&Value> {
        self.as_map().and_then(|m| m.get(name))
    }

    /// The value at `path`, if every step exists. Set elements cannot be addressed.
    pub fn at(&self, path: &AttributePath) -> Option<&Value> {
        let mut cur = self;
        for step in &path.0 {
            cur = match (step, cur) {
                (_, Value::Dynamic(_, v)) => v.step(step)?,
                _ => cur.step(step)?,
            };
        }
        Some(cur)
    }

    fn step(&self, step: &PathStep) -> Option<&Value> {
        match (step, self) {
            (PathStep::Attribute(a), Value::Object(m)) => m.get(a),
            (PathStep::Key(k), Value::Map(m)) => m.get(k),
            (PathStep::Index(i), Value::List(v) | Value::Tuple(v)) => usize::try_from(*i).ok().and_then(|i| v.get(i)),
            _ => None,
        }
    }

    /// Mutable access to the value at `path`.
    pub fn at_mut(&mut self, path: &AttributePath) -> Option<&mut Value> {
        let mut cur = self;
        for step in &path.0 {
            if let Value::Dynamic(_, v) = cur {
                cur = v;
            }
            cur = match (step, cur) {
                (PathStep::Attribute(a), Value::Object(m)) => m.get_mut(a)?,
                (PathStep::Key(k), Value::Map(m)) => m.get_mut(k)?,
                (PathStep::Index(i), Value::List(v) | Value::Tuple(v)) => v.get_mut(usize::try_from(*i).ok()?)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// Replaces the value at `path`; returns false if the path does not exist.
    pub fn set_at(&mut self, path: &AttributePath, value: Value) -> bool {
        match self.at_mut(path) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }

    /// Calls `f` on every unknown inside this value with its path (set elements are
    /// reported at the set's path).
    pub fn visit_unknowns(&self, path: &AttributePath, f: &mut dyn FnMut(&AttributePath)) {
        match self {
            Value::Unknown(_) => f(path),
            Value::List(v) | Value::Tuple(v) => {
                for (i, e) in v.iter().enumerate() {
                    e.visit_unknowns(&path.with_index(i as i64), f);
                }
            }
            Value::Set(v) if v.iter().any(|e| !e.is_wholly_known()) => f(path),
            Value::Object(m) => {
                for (k, e) in m {
                    e.visit_unknowns(&path.with_attr(k.clone()), f);
                }
            }
            Value::Map(m) => {
                for (k, e) in m {
                    e.visit_unknowns(&path.with_key(k.clone()), f);
                }
            }
            Value::Dynamic(_, v) => v.visit_unknowns(path, f),
            _ => {}
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Number(Number::Int(i))
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Self {
        Value::Number(n)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Self {
        o.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_are_canonical_and_drop_known_duplicates_only() {
        let a = Value::set(["b".into(), "a".into(), "b".into()]);
        let b = Value::set(["a".into(), "b".into()]);
        assert_eq!(a, b);
        let with_unknowns = Value::set([Value::unknown(), Value::unknown(), "x".into()]);
        assert_eq!(with_unknowns.as_slice().unwrap().len(), 3);
    }

    #[test]
    fn paths_reach_nested_values() {
        let mut v = Value::object([("ingress", Value::List(vec![Value::object([("ports", Value::from("443"))])]))]);
        let p = AttributePath::attr("ingress").with_index(0).with_attr("ports");
        assert_eq!(v.at(&p), Some(&Value::from("443")));
        assert!(v.set_at(&p, "80".into()));
        assert_eq!(v.at(&p).and_then(Value::as_str), Some("80"));
        assert_eq!(p.to_string(), "ingress[0].ports");
        assert!(v.at(&AttributePath::attr("nope")).is_none());
    }

    #[test]
    fn unknowns_are_found_with_their_paths() {
        let v = Value::object([
            ("id", Value::unknown()),
            ("tags", Value::Map([("a".to_string(), Value::unknown())].into())),
            ("name", "x".into()),
        ]);
        let mut found = Vec::new();
        v.visit_unknowns(&AttributePath::root(), &mut |p| found.push(p.to_string()));
        assert_eq!(found, vec!["id".to_string(), "tags[\"a\"]".to_string()]);
    }
}
