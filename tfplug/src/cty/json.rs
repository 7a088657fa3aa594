//! The JSON encoding of cty values (stored state, `DynamicValue.json`), driven by the type.
//! Numbers keep their exact text: state written from `0.1` must read back equal to config `0.1`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::value::RawValue;

use super::msgpack::infer_type;
use super::{AttributePath, Error, Number, PathStep, Type, Value};

/// Decodes JSON bytes as a value of type `ty`. Missing object attributes are null,
/// unknown ones an error; JSON has no unknown values.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, Error> {
    let text = std::str::from_utf8(bytes).map_err(|_| Error::new("JSON is not valid UTF-8"))?;
    let raw: &RawValue = serde_json::from_str(text).map_err(|e| Error::new(format!("{e}")))?;
    Decoder { path: AttributePath::root() }.value(raw, ty)
}

/// Encodes a wholly known value as JSON for type `ty`.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, Error> {
    let mut out = String::with_capacity(64);
    Encoder { out: &mut out, path: AttributePath::root() }.value(value, ty)?;
    Ok(out.into_bytes())
}

/// Decodes JSON for an object type, dropping attributes the type does not have
/// (state written by an older schema that still had them).
pub fn decode_lenient_object(bytes: &[u8], ty: &Type) -> Result<Value, Error> {
    let Type::Object(ot) = ty else {
        return decode(bytes, ty);
    };
    let text = std::str::from_utf8(bytes).map_err(|_| Error::new("JSON is not valid UTF-8"))?;
    let map: BTreeMap<String, &RawValue> = serde_json::from_str(text).map_err(|e| Error::new(format!("{e}")))?;
    let mut d = Decoder { path: AttributePath::root() };
    let mut out = BTreeMap::new();
    for (name, t) in &ot.attributes {
        let v = match map.get(name) {
            Some(raw) => {
                d.path.0.push(PathStep::Attribute(name.clone()));
                let v = d.value(raw, t)?;
                d.path.0.pop();
                v
            }
            None => Value::Null,
        };
        out.insert(name.clone(), v);
    }
    Ok(Value::Object(out))
}

struct Decoder {
    path: AttributePath,
}

impl Decoder {
    fn err(&self, msg: impl Into<String>) -> Error {
        Error::at(self.path.clone(), msg)
    }

    fn parse<'a, T: serde::Deserialize<'a>>(&self, raw: &'a RawValue, what: &str) -> Result<T, Error> {
        serde_json::from_str(raw.get()).map_err(|_| self.err(format!("expected {what}, found {}", preview(raw.get()))))
    }

    fn value(&mut self, raw: &RawValue, ty: &Type) -> Result<Value, Error> {
        let text = raw.get();
        if text == "null" {
            return Ok(Value::Null);
        }
        match ty {
            Type::String => self.parse::<String>(raw, "string").map(Value::String),
            Type::Bool => self.parse::<bool>(raw, "bool").map(Value::Bool),
            Type::Number => {
                // Validate it is a JSON number, then keep its exact text.
                if text.starts_with('"') {
                    let s: String = self.parse(raw, "number")?;
                    return Number::parse(&s).map(Value::Number).map_err(|e| self.err(e.message));
                }
                self.parse::<serde::de::IgnoredAny>(raw, "number")?;
                if !text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
                    return Err(self.err(format!("expected number, found {}", preview(text))));
                }
                Number::parse(text).map(Value::Number).map_err(|e| self.err(e.message))
            }
            Type::List(et) | Type::Set(et) => {
                let items: Vec<&RawValue> = self.parse(raw, "array")?;
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    self.path.0.push(PathStep::Index(i as i64));
                    out.push(self.value(item, et)?);
                    self.path.0.pop();
                }
                Ok(if matches!(ty, Type::Set(_)) { Value::set(out) } else { Value::List(out) })
            }
            Type::Tuple(types) => {
                let items: Vec<&RawValue> = self.parse(raw, "array")?;
                if items.len() != types.len() {
                    return Err(self.err(format!("tuple needs {} elements, got {}", types.len(), items.len())));
                }
                let mut out = Vec::with_capacity(items.len());
                for (i, (item, t)) in items.into_iter().zip(types).enumerate() {
                    self.path.0.push(PathStep::Index(i as i64));
                    out.push(self.value(item, t)?);
                    self.path.0.pop();
                }
                Ok(Value::Tuple(out))
            }
            Type::Map(et) => {
                let items: BTreeMap<String, &RawValue> = self.parse(raw, "object")?;
                let mut out = BTreeMap::new();
                for (k, item) in items {
                    self.path.0.push(PathStep::Key(k.clone()));
                    let v = self.value(item, et)?;
                    self.path.0.pop();
                    out.insert(k, v);
                }
                Ok(Value::Map(out))
            }
            Type::Object(ot) => {
                let items: BTreeMap<String, &RawValue> = self.parse(raw, "object")?;
                if let Some(extra) = items.keys().find(|k| !ot.attributes.contains_key(*k)) {
                    return Err(self.err(format!("unsupported attribute {extra:?}")));
                }
                let mut out = BTreeMap::new();
                for (k, t) in &ot.attributes {
                    let v = match items.get(k) {
                        Some(item) => {
                            self.path.0.push(PathStep::Attribute(k.clone()));
                            let v = self.value(item, t)?;
                            self.path.0.pop();
                            v
                        }
                        None => Value::Null,
                    };
                    out.insert(k.clone(), v);
                }
                Ok(Value::Object(out))
            }
            Type::Dynamic => {
                #[derive(serde::Deserialize)]
                struct Wrapped<'a> {
                    #[serde(borrow)]
                    r#type: &'a RawValue,
                    #[serde(borrow)]
                    value: &'a RawValue,
                }
                let w: Wrapped<'_> = self.parse(raw, r#"{"type": ..., "value": ...}"#)?;
                let ty_json: serde_json::Value = self.parse(w.r#type, "a type")?;
                let t = Type::from_json(&ty_json).map_err(|e| self.err(e.message))?;
                let v = self.value(w.value, &t)?;
                Ok(Value::Dynamic(Box::new(t), Box::new(v)))
            }
        }
    }
}

fn preview(text: &str) -> String {
    let mut s: String = text.chars().take(40).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

struct Encoder<'a> {
    out: &'a mut String,
    path: AttributePath,
}

impl Encoder<'_> {
    fn err(&self, msg: impl Into<String>) -> Error {
        Error::at(self.path.clone(), msg)
    }

    fn string(&mut self, s: &str) {
        // Serialising a &str cannot fail.
        self.out.push_str(&serde_json::to_string(s).unwrap_or_default());
    }

    fn value(&mut self, value: &Value, ty: &Type) -> Result<(), Error> {
        match (value, ty) {
            (Value::Null, _) => self.out.push_str("null"),
            (Value::Unknown(_), _) => return Err(self.err("unknown values cannot be written as JSON")),
            (Value::Dynamic(t, v), Type::Dynamic) => self.dynamic(v, t)?,
            (Value::Dynamic(_, v), _) => self.value(v, ty)?,
            (v, Type::Dynamic) => self.dynamic(v, &infer_type(v))?,
            (Value::Bool(b), Type::Bool) => self.out.push_str(if *b { "true" } else { "false" }),
            (Value::Number(n), Type::Number) => match n {
                Number::Float(f) if f.is_infinite() => {
                    return Err(self.err("infinity cannot be written as JSON"));
                }
                _ => self.out.push_str(&n.to_text()),
            },
            (Value::String(s), Type::String) => self.string(s),
            (Value::List(items) | Value::Set(items), Type::List(et) | Type::Set(et)) => {
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.path.0.push(PathStep::Index(i as i64));
                    self.value(item, et)?;
                    self.path.0.pop();
                }
                self.out.push(']');
            }
            (Value::Tuple(items) | Value::List(items), Type::Tuple(types)) => {
                if items.len() != types.len() {
                    return Err(self.err("tuple length does not match its type"));
                }
                self.out.push('[');
                for (i, (item, t)) in items.iter().zip(types).enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.path.0.push(PathStep::Index(i as i64));
                    self.value(item, t)?;
                    self.path.0.pop();
                }
                self.out.push(']');
            }
            (Value::Map(m) | Value::Object(m), Type::Map(et)) => {
                self.out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.string(k);
                    self.out.push(':');
                    self.path.0.push(PathStep::Key(k.clone()));
                    self.value(v, et)?;
                    self.path.0.pop();
                }
                self.out.push('}');
            }
            (Value::Object(m) | Value::Map(m), Type::Object(ot)) => {
                if let Some(extra) = m.keys().find(|k| !ot.attributes.contains_key(*k)) {
                    return Err(self.err(format!("unsupported attribute {extra:?}")));
                }
                self.out.push('{');
                for (i, (k, t)) in ot.attributes.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.string(k);
                    self.out.push(':');
                    self.path.0.push(PathStep::Attribute(k.clone()));
                    self.value(m.get(k).unwrap_or(&Value::Null), t)?;
                    self.path.0.pop();
                }
                self.out.push('}');
            }
            (v, t) => return Err(self.err(format!("{v:?} does not fit type {t}"))),
        }
        Ok(())
    }

    fn dynamic(&mut self, value: &Value, ty: &Type) -> Result<(), Error> {
        let _ = write!(self.out, "{{\"type\":{},\"value\":", ty.to_json());
        self.value(value, ty)?;
        self.out.push('}');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_precision() {
        let v = decode(b"0.1", &Type::Number).unwrap();
        assert_eq!(v, Value::Number(Number::parse("0.1").unwrap()));
        let big = decode(b"123456789012345678901234567890", &Type::Number).unwrap();
        assert_eq!(decode(&encode(&big, &Type::Number).unwrap(), &Type::Number).unwrap(), big);
    }

    #[test]
    fn objects_fill_missing_attributes_with_null_and_refuse_extras() {
        let t = Type::object([("a", Type::String), ("b", Type::Bool)]);
        let v = decode(br#"{"a":"x"}"#, &t).unwrap();
        assert_eq!(v.attr("b"), Some(&Value::Null));
        let err = decode(br#"{"a":"x","c":1}"#, &t).unwrap_err();
        assert!(err.message.contains("unsupported attribute"), "{err}");
        let lenient = decode_lenient_object(br#"{"a":"x","c":1}"#, &t).unwrap();
        assert_eq!(lenient.attr("a"), Some(&Value::from("x")));
    }

    #[test]
    fn wrong_shapes_name_the_path() {
        let t = Type::object([("tags", Type::map(Type::String))]);
        let err = decode(br#"{"tags":{"env":3}}"#, &t).unwrap_err();
        assert_eq!(err.path.to_string(), "tags[\"env\"]");
    }

    #[test]
    fn dynamic_round_trip() {
        let bytes = br#"{"type":["list","string"],"value":["a"]}"#;
        let v = decode(bytes, &Type::Dynamic).unwrap();
        assert_eq!(encode(&v, &Type::Dynamic).unwrap(), bytes.to_vec());
    }

    #[test]
    fn unknowns_cannot_be_written() {
        assert!(encode(&Value::unknown(), &Type::String).is_err());
    }
}
