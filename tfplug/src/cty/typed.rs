//! serde bridge between cty values and plain Rust types.
//! `Option<T>` is null, [`MaybeUnknown<T>`] is "maybe not known until apply"; errors carry attribute paths.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};

use super::{AttributePath, Error, Number, PathStep, Refinements, Value};

/// Marker name that lets [`MaybeUnknown`] recognise the value deserializer and serializer.
const MAYBE_UNKNOWN: &str = "$tfplug::MaybeUnknown";

/// A value that may not be known yet (during plan, "known after apply").
///
/// Use it for config fields that can hold references to other resources, and for
/// computed fields a plan leaves open. With other serde formats it behaves like `T`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum MaybeUnknown<T> {
    /// Not known until apply.
    #[default]
    Unknown,
    /// Known.
    Known(T),
}

impl<T> MaybeUnknown<T> {
    /// The known value, if any.
    pub fn known(&self) -> Option<&T> {
        match self {
            MaybeUnknown::Known(v) => Some(v),
            MaybeUnknown::Unknown => None,
        }
    }

    /// Consumes self, returning the known value, if any.
    pub fn into_known(self) -> Option<T> {
        match self {
            MaybeUnknown::Known(v) => Some(v),
            MaybeUnknown::Unknown => None,
        }
    }

    /// True when not known.
    pub fn is_unknown(&self) -> bool {
        matches!(self, MaybeUnknown::Unknown)
    }
}

impl<T> From<T> for MaybeUnknown<T> {
    fn from(v: T) -> Self {
        MaybeUnknown::Known(v)
    }
}

impl<T: Serialize> Serialize for MaybeUnknown<T> {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            MaybeUnknown::Known(v) => v.serialize(s),
            MaybeUnknown::Unknown => s.serialize_unit_struct(MAYBE_UNKNOWN),
        }
    }
}

impl<'de, T: de::Deserialize<'de>> de::Deserialize<'de> for MaybeUnknown<T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: de::Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = MaybeUnknown<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value or an unknown")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(MaybeUnknown::Unknown)
            }
            fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                T::deserialize(d).map(MaybeUnknown::Known)
            }
        }
        d.deserialize_newtype_struct(MAYBE_UNKNOWN, V(std::marker::PhantomData))
    }
}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::new(msg.to_string())
    }
}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::new(msg.to_string())
    }
}

/// Reads a Rust value out of a cty value. Errors name the attribute path at fault.
pub fn from_value<'de, T: de::Deserialize<'de>>(value: &'de Value) -> Result<T, Error> {
    T::deserialize(Deser { value, path: AttributePath::root() })
}

/// Turns a Rust value into a cty value (shape it for a schema with [`super::conform`]).
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, Error> {
    value.serialize(Ser)
}

impl Serialize for Value {
    /// Values serialize as plain data (unknowns as null), e.g. for JSON logs.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Value::Null => s.serialize_none(),
            Value::Unknown(_) => s.serialize_unit_struct(MAYBE_UNKNOWN),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => match n {
                Number::Int(i) => s.serialize_i64(*i),
                other => s.serialize_f64(other.as_f64()),
            },
            Value::String(x) => s.serialize_str(x),
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                let mut seq = s.serialize_seq(Some(v.len()))?;
                for e in v {
                    seq.serialize_element(e)?;
                }
                seq.end()
            }
            Value::Map(m) | Value::Object(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Value::Dynamic(_, v) => v.serialize(s),
        }
    }
}

// ------------------------------------------------------------------ de --

#[derive(Clone)]
struct Deser<'de> {
    value: &'de Value,
    path: AttributePath,
}

impl<'de> Deser<'de> {
    fn child(&self, value: &'de Value, step: PathStep) -> Deser<'de> {
        let mut path = self.path.clone();
        path.0.push(step);
        Deser { value, path }
    }

    fn err(&self, msg: impl Into<String>) -> Error {
        Error::at(self.path.clone(), msg)
    }

    fn unknown_err(&self) -> Error {
        self.err("value is not known until apply (use MaybeUnknown to accept that)")
    }

    fn target(&self) -> &'de Value {
        let mut v = self.value;
        while let Value::Dynamic(_, inner) = v {
            v = inner;
        }
        v
    }

    fn int(&self) -> Result<i128, Error> {
        match self.target() {
            Value::Number(Number::Int(i)) => Ok((*i).into()),
            Value::Number(n @ Number::Decimal(s)) => {
                s.parse::<i128>().map_err(|_| self.err(format!("{n} is not a whole number")))
            }
            Value::Number(n) => Err(self.err(format!("{n} is not a whole number"))),
            Value::Unknown(_) => Err(self.unknown_err()),
            Value::Null => Err(self.err("value is null (use Option to accept that)")),
            other => Err(self.err(format!("expected a number, found {}", short(other)))),
        }
    }
}

/// Gives a path-less error (raised by derived code) the path where it surfaced.
fn locate(mut e: Error, path: &AttributePath) -> Error {
    if e.path.is_root() {
        e.path = path.clone();
    }
    e
}

fn short(v: &Value) -> String {
    match v {
        Value::String(s) => format!("string {s:?}"),
        Value::Bool(b) => format!("bool {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::List(_) => "a list".into(),
        Value::Set(_) => "a set".into(),
        Value::Tuple(_) => "a tuple".into(),
        Value::Map(_) => "a map".into(),
        Value::Object(_) => "an object".into(),
        Value::Null => "null".into(),
        Value::Unknown(_) => "an unknown value".into(),
        Value::Dynamic(_, v) => short(v),
    }
}

macro_rules! deserialize_int {
    ($($method:ident => $visit:ident : $t:ty),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            let i = self.int()?;
            let n = <$t>::try_from(i)
                .map_err(|_| self.err(format!("{i} is out of range for {}", stringify!($t))))?;
            v.$visit(n)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Deser<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.target() {
            Value::Null => v.visit_unit(),
            Value::Unknown(_) => Err(self.unknown_err()),
            Value::Bool(b) => v.visit_bool(*b),
            Value::Number(Number::Int(i)) => v.visit_i64(*i),
            Value::Number(Number::Float(f)) => v.visit_f64(*f),
            Value::Number(Number::Decimal(s)) => match s.parse::<u64>() {
                Ok(u) => v.visit_u64(u),
                Err(_) => v.visit_f64(Number::Decimal(s.clone()).as_f64()),
            },
            Value::String(s) => v.visit_borrowed_str(s),
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                v.visit_seq(SeqDe { de: &self, items: items.iter(), index: 0 })
            }
            Value::Map(m) | Value::Object(m) => v.visit_map(MapDe { de: &self, iter: m.iter(), pending: None }),
            Value::Dynamic(..) => unreachable!("target() unwraps dynamic values"),
        }
    }

    deserialize_int! {
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_i128 => visit_i128: i128,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_u128 => visit_u128: u128,
    }

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_f64(v)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.target() {
            Value::Number(n) => v.visit_f64(n.as_f64()),
            _ => self.deserialize_any(v),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.target() {
            Value::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, Error> {
        if name == MAYBE_UNKNOWN && self.target().is_unknown() {
            return v.visit_unit();
        }
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        match self.target() {
            Value::String(s) => v.visit_enum(s.as_str().into_deserializer()).map_err(|e| locate(e, &self.path)),
            Value::Object(m) | Value::Map(m) if m.len() == 1 => {
                let (k, inner) = m.iter().next().expect("one entry");
                v.visit_enum(EnumDe { de: self.child(inner, PathStep::Attribute(k.clone())), variant: k })
            }
            Value::Unknown(_) => Err(self.unknown_err()),
            other => Err(self.err(format!("expected one of the allowed values, found {}", short(other)))),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool char str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier
    }
}

struct SeqDe<'a, 'de> {
    de: &'a Deser<'de>,
    items: std::slice::Iter<'de, Value>,
    index: i64,
}

impl<'de> de::SeqAccess<'de> for SeqDe<'_, 'de> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            Some(item) => {
                let d = self.de.child(item, PathStep::Index(self.index));
                self.index += 1;
                let path = d.path.clone();
                seed.deserialize(d).map(Some).map_err(|e| locate(e, &path))
            }
            None => Ok(None),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapDe<'a, 'de> {
    de: &'a Deser<'de>,
    iter: std::collections::btree_map::Iter<'de, String, Value>,
    pending: Option<(&'de String, &'de Value)>,
}

impl<'de> de::MapAccess<'de> for MapDe<'_, 'de> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        match self.iter.next() {
            Some((k, v)) => {
                self.pending = Some((k, v));
                seed.deserialize(de::value::BorrowedStrDeserializer::new(k)).map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (k, v) = self.pending.take().ok_or_else(|| Error::new("map value without key"))?;
        let step = match self.de.target() {
            Value::Map(_) => PathStep::Key(k.clone()),
            _ => PathStep::Attribute(k.clone()),
        };
        let d = self.de.child(v, step);
        let path = d.path.clone();
        seed.deserialize(d).map_err(|e| locate(e, &path))
    }
}

struct EnumDe<'de> {
    de: Deser<'de>,
    variant: &'de str,
}

impl<'de> de::EnumAccess<'de> for EnumDe<'de> {
    type Error = Error;
    type Variant = Deser<'de>;
    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Deser<'de>), Error> {
        let v = seed.deserialize(de::value::BorrowedStrDeserializer::<Error>::new(self.variant))?;
        Ok((v, self.de))
    }
}

impl<'de> de::VariantAccess<'de> for Deser<'de> {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_seq(self, v)
    }
    fn struct_variant<V: Visitor<'de>>(self, _f: &'static [&'static str], v: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_map(self, v)
    }
}

// ------------------------------------------------------------------ ser --

struct Ser;

macro_rules! serialize_int {
    ($($method:ident : $t:ty),* $(,)?) => {$(
        fn $method(self, v: $t) -> Result<Value, Error> {
            Ok(Value::Number(Number::Int(v.into())))
        }
    )*};
}

impl ser::Serializer for Ser {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = SeqSer;
    type SerializeTuple = SeqSer;
    type SerializeTupleStruct = SeqSer;
    type SerializeTupleVariant = VariantSer<SeqSer>;
    type SerializeMap = MapSer;
    type SerializeStruct = MapSer;
    type SerializeStructVariant = VariantSer<MapSer>;

    fn serialize_bool(self, v: bool) -> Result<Value, Error> {
        Ok(Value::Bool(v))
    }
    serialize_int! { serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
    serialize_u8: u8, serialize_u16: u16, serialize_u32: u32 }
    fn serialize_u64(self, v: u64) -> Result<Value, Error> {
        Ok(Value::Number(Number::from(v)))
    }
    fn serialize_i128(self, v: i128) -> Result<Value, Error> {
        Number::parse(&v.to_string()).map(Value::Number)
    }
    fn serialize_u128(self, v: u128) -> Result<Value, Error> {
        Number::parse(&v.to_string()).map(Value::Number)
    }
    fn serialize_f32(self, v: f32) -> Result<Value, Error> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<Value, Error> {
        Number::from_f64(v).map(Value::Number).ok_or_else(|| Error::new("NaN is not a number"))
    }
    fn serialize_char(self, v: char) -> Result<Value, Error> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, Error> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, Error> {
        Ok(Value::List(v.iter().map(|b| Value::from(i64::from(*b))).collect()))
    }
    fn serialize_none(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Value, Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<Value, Error> {
        Ok(if name == MAYBE_UNKNOWN { Value::Unknown(Refinements::default()) } else { Value::Null })
    }
    fn serialize_unit_variant(self, _n: &'static str, _i: u32, variant: &'static str) -> Result<Value, Error> {
        Ok(Value::String(variant.to_string()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _n: &'static str, v: &T) -> Result<Value, Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _n: &'static str,
        _i: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<Value, Error> {
        Ok(Value::object([(variant, v.serialize(Ser)?)]))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSer, Error> {
        Ok(SeqSer { items: Vec::with_capacity(len.unwrap_or(0)), tuple: false })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqSer, Error> {
        Ok(SeqSer { items: Vec::with_capacity(len), tuple: true })
    }
    fn serialize_tuple_struct(self, _n: &'static str, len: usize) -> Result<SeqSer, Error> {
        self.serialize_tuple(len)
    }
    fn serialize_tuple_variant(
        self,
        _n: &'static str,
        _i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSer<SeqSer>, Error> {
        Ok(VariantSer { variant, inner: self.serialize_tuple(len)? })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapSer, Error> {
        Ok(MapSer { map: BTreeMap::new(), key: None, object: false })
    }
    fn serialize_struct(self, _n: &'static str, _len: usize) -> Result<MapSer, Error> {
        Ok(MapSer { map: BTreeMap::new(), key: None, object: true })
    }
    fn serialize_struct_variant(
        self,
        _n: &'static str,
        _i: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<VariantSer<MapSer>, Error> {
        Ok(VariantSer { variant, inner: MapSer { map: BTreeMap::new(), key: None, object: true } })
    }
}

struct SeqSer {
    items: Vec<Value>,
    tuple: bool,
}

impl SeqSer {
    fn push<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        let path_index = self.items.len() as i64;
        let v = v.serialize(Ser).map_err(|mut e| {
            e.path.0.insert(0, PathStep::Index(path_index));
            e
        })?;
        self.items.push(v);
        Ok(())
    }
    fn finish(self) -> Value {
        if self.tuple { Value::Tuple(self.items) } else { Value::List(self.items) }
    }
}

impl ser::SerializeSeq for SeqSer {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for SeqSer {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for SeqSer {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

struct MapSer {
    map: BTreeMap<String, Value>,
    key: Option<String>,
    object: bool,
}

impl MapSer {
    fn insert<T: Serialize + ?Sized>(&mut self, key: String, v: &T) -> Result<(), Error> {
        let step = if self.object { PathStep::Attribute(key.clone()) } else { PathStep::Key(key.clone()) };
        let v = v.serialize(Ser).map_err(|mut e| {
            e.path.0.insert(0, step);
            e
        })?;
        self.map.insert(key, v);
        Ok(())
    }
    fn finish(self) -> Value {
        if self.object { Value::Object(self.map) } else { Value::Map(self.map) }
    }
}

impl ser::SerializeMap for MapSer {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = Some(match key.serialize(Ser)? {
            Value::String(s) => s,
            Value::Number(n) => n.to_text(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(Error::new("map keys must be strings")),
        });
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        let key = self.key.take().ok_or_else(|| Error::new("map value without key"))?;
        self.insert(key, v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeStruct for MapSer {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<(), Error> {
        self.insert(key.to_string(), v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

struct VariantSer<I> {
    variant: &'static str,
    inner: I,
}

impl ser::SerializeTupleVariant for VariantSer<SeqSer> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.inner.push(v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::object([(self.variant, self.inner.finish())]))
    }
}

impl ser::SerializeStructVariant for VariantSer<MapSer> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<(), Error> {
        self.inner.insert(key.to_string(), v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::object([(self.variant, self.inner.finish())]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Tier {
        Dev,
        Prod,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Model {
        name: String,
        tier: Option<Tier>,
        id: MaybeUnknown<String>,
        tags: Option<BTreeMap<String, String>>,
        disk_gb: Option<u32>,
    }

    #[test]
    fn structs_map_to_objects_and_back() {
        let m = Model {
            name: "a".into(),
            tier: Some(Tier::Prod),
            id: MaybeUnknown::Unknown,
            tags: Some([("env".to_string(), "x".to_string())].into()),
            disk_gb: None,
        };
        let v = to_value(&m).unwrap();
        assert_eq!(v.attr("tier"), Some(&Value::from("prod")));
        assert!(v.attr("id").unwrap().is_unknown());
        assert_eq!(v.attr("disk_gb"), Some(&Value::Null));
        assert_eq!(from_value::<Model>(&v).unwrap(), m);
    }

    #[test]
    fn unknowns_in_plain_fields_are_errors_with_paths() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Strict {
            name: String,
        }
        let v = Value::object([("name", Value::unknown())]);
        let err = from_value::<Strict>(&v).unwrap_err();
        assert_eq!(err.path.to_string(), "name");
        assert!(err.message.contains("not known"), "{err}");
    }

    #[test]
    fn bad_enum_values_and_ranges_are_reported() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct S {
            tier: Tier,
            n: u8,
        }
        let v = Value::object([("tier", Value::from("qa")), ("n", Value::from(1))]);
        let err = from_value::<S>(&v).unwrap_err();
        assert!(err.to_string().contains("qa"), "{err}");
        let v = Value::object([("tier", Value::from("dev")), ("n", Value::from(300))]);
        let err = from_value::<S>(&v).unwrap_err();
        assert_eq!(err.path.to_string(), "n");
    }

    #[test]
    fn nested_list_errors_carry_indices() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Rule {
            port: u16,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct S {
            rule: Vec<Rule>,
        }
        let v = Value::object([(
            "rule",
            Value::List(vec![Value::object([("port", Value::from(22))]), Value::object([("port", Value::from(-1))])]),
        )]);
        let err = from_value::<S>(&v).unwrap_err();
        assert_eq!(err.path.to_string(), "rule[1].port");
    }
}
