//! The msgpack wire encoding of cty values, driven by the schema type.
//! Layout rules follow go-cty's msgpack package (see the protocol reference, §4.3–4.4).

use std::collections::BTreeMap;

use rmp::Marker;

use super::{AttributePath, Error, Number, PathStep, Refinements, Type, Value};

/// Extension type go-cty uses for refined unknowns.
const EXT_REFINED_UNKNOWN: i8 = 12;
/// Largest refinement payload go-cty accepts.
const MAX_REFINEMENT_PAYLOAD: usize = 1024;

/// Encodes `value` as msgpack for type `ty`.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(64);
    Encoder { out: &mut out, path: AttributePath::root() }.value(value, ty)?;
    Ok(out)
}

/// Decodes msgpack bytes as a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, Error> {
    let mut d = Decoder { buf: bytes, pos: 0, path: AttributePath::root() };
    let v = d.value(ty)?;
    if d.pos != bytes.len() {
        return Err(Error::new(format!("{} unexpected bytes after the value", bytes.len() - d.pos)));
    }
    Ok(v)
}

struct Encoder<'a> {
    out: &'a mut Vec<u8>,
    path: AttributePath,
}

impl Encoder<'_> {
    fn err(&self, msg: impl Into<String>) -> Error {
        Error::at(self.path.clone(), msg)
    }

    fn value(&mut self, value: &Value, ty: &Type) -> Result<(), Error> {
        // Writing to a Vec cannot fail, so rmp's io errors are impossible here.
        match (value, ty) {
            (Value::Null, _) => {
                rmp::encode::write_nil(self.out).ok();
            }
            (Value::Unknown(r), _) => self.unknown(r),
            (Value::Dynamic(t, v), Type::Dynamic) => self.dynamic(v, t)?,
            (Value::Dynamic(_, v), _) => self.value(v, ty)?,
            (v, Type::Dynamic) => {
                let t = infer_type(v);
                self.dynamic(v, &t)?
            }
            (Value::Bool(b), Type::Bool) => {
                rmp::encode::write_bool(self.out, *b).ok();
            }
            (Value::Number(n), Type::Number) => self.number(n),
            (Value::String(s), Type::String) => {
                rmp::encode::write_str(self.out, s).ok();
            }
            (Value::List(items) | Value::Set(items), Type::List(et) | Type::Set(et)) => {
                self.array_len(items.len())?;
                for (i, item) in items.iter().enumerate() {
                    self.path.0.push(PathStep::Index(i as i64));
                    self.value(item, et)?;
                    self.path.0.pop();
                }
            }
            (Value::Tuple(items) | Value::List(items), Type::Tuple(types)) => {
                if items.len() != types.len() {
                    return Err(self.err(format!("tuple needs {} elements, got {}", types.len(), items.len())));
                }
                self.array_len(items.len())?;
                for (i, (item, t)) in items.iter().zip(types).enumerate() {
                    self.path.0.push(PathStep::Index(i as i64));
                    self.value(item, t)?;
                    self.path.0.pop();
                }
            }
            (Value::Map(m) | Value::Object(m), Type::Map(et)) => {
                self.map_len(m.len())?;
                for (k, v) in m {
                    rmp::encode::write_str(self.out, k).ok();
                    self.path.0.push(PathStep::Key(k.clone()));
                    self.value(v, et)?;
                    self.path.0.pop();
                }
            }
            (Value::Object(m) | Value::Map(m), Type::Object(ot)) => {
                if let Some(extra) = m.keys().find(|k| !ot.attributes.contains_key(*k)) {
                    return Err(self.err(format!("unsupported attribute {extra:?}")));
                }
                self.map_len(ot.attributes.len())?;
                for (k, t) in &ot.attributes {
                    rmp::encode::write_str(self.out, k).ok();
                    self.path.0.push(PathStep::Attribute(k.clone()));
                    self.value(m.get(k).unwrap_or(&Value::Null), t)?;
                    self.path.0.pop();
                }
            }
            (v, t) => return Err(self.err(format!("{} value where {t} is required", kind(v)))),
        }
        Ok(())
    }

    /// A value of known type in a `dynamic` position: `[type JSON, value]`. (A wholly
    /// unknown value of unknown type is sent bare, by the caller.)
    fn dynamic(&mut self, value: &Value, ty: &Type) -> Result<(), Error> {
        rmp::encode::write_array_len(self.out, 2).ok();
        let ty_json = ty.to_json_bytes();
        rmp::encode::write_bin(self.out, &ty_json).ok();
        self.value(value, ty)
    }

    fn number(&mut self, n: &Number) {
        match n {
            Number::Int(i) => {
                rmp::encode::write_sint(self.out, *i).ok();
            }
            Number::Float(f) => {
                rmp::encode::write_f64(self.out, *f).ok();
            }
            Number::Decimal(s) => {
                rmp::encode::write_str(self.out, s).ok();
            }
        }
    }

    fn unknown(&mut self, r: &Refinements) {
        if r.is_empty() {
            self.out.extend_from_slice(&[0xd4, 0x00, 0x00]);
            return;
        }
        let mut payload = Vec::new();
        let n = usize::from(r.not_null)
            + usize::from(r.string_prefix.is_some())
            + usize::from(r.number_lower.is_some())
            + usize::from(r.number_upper.is_some())
            + usize::from(r.length_lower.is_some())
            + usize::from(r.length_upper.is_some());
        rmp::encode::write_map_len(&mut payload, n as u32).ok();
        if r.not_null {
            rmp::encode::write_sint(&mut payload, 1).ok();
            rmp::encode::write_bool(&mut payload, false).ok();
        }
        if let Some(p) = &r.string_prefix {
            rmp::encode::write_sint(&mut payload, 2).ok();
            rmp::encode::write_str(&mut payload, p).ok();
        }
        for (key, bound) in [(3, &r.number_lower), (4, &r.number_upper)] {
            if let Some((num, inclusive)) = bound {
                rmp::encode::write_sint(&mut payload, key).ok();
                rmp::encode::write_array_len(&mut payload, 2).ok();
                let mut e = Encoder { out: &mut payload, path: AttributePath::root() };
                e.number(num);
                rmp::encode::write_bool(&mut payload, *inclusive).ok();
            }
        }
        for (key, len) in [(5, r.length_lower), (6, r.length_upper)] {
            if let Some(len) = len {
                rmp::encode::write_sint(&mut payload, key).ok();
                rmp::encode::write_uint(&mut payload, len).ok();
            }
        }
        rmp::encode::write_ext_meta(self.out, payload.len() as u32, EXT_REFINED_UNKNOWN).ok();
        self.out.extend_from_slice(&payload);
    }

    fn array_len(&mut self, len: usize) -> Result<(), Error> {
        let len = u32::try_from(len).map_err(|_| self.err("collection too large"))?;
        rmp::encode::write_array_len(self.out, len).ok();
        Ok(())
    }

    fn map_len(&mut self, len: usize) -> Result<(), Error> {
        let len = u32::try_from(len).map_err(|_| self.err("collection too large"))?;
        rmp::encode::write_map_len(self.out, len).ok();
        Ok(())
    }
}

/// The type a value has when nothing says otherwise (values in `dynamic` positions).
pub fn infer_type(value: &Value) -> Type {
    match value {
        Value::Null | Value::Unknown(_) => Type::Dynamic,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::Dynamic(t, _) => (**t).clone(),
        Value::List(v) => Type::list(common_type(v)),
        Value::Set(v) => Type::set(common_type(v)),
        Value::Map(m) => Type::map(common_type(m.values())),
        Value::Tuple(v) => Type::Tuple(v.iter().map(infer_type).collect()),
        Value::Object(m) => Type::object(m.iter().map(|(k, v)| (k.clone(), infer_type(v)))),
    }
}

/// The element type of a collection: the first element whose type is fully decided.
fn common_type<'a>(values: impl IntoIterator<Item = &'a Value>) -> Type {
    let mut best = Type::Dynamic;
    for v in values {
        let t = infer_type(v);
        if !t.has_dynamic() {
            return t;
        }
        if best == Type::Dynamic {
            best = t;
        }
    }
    best
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Unknown(_) => "unknown",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
        Value::Tuple(_) => "tuple",
        Value::Dynamic(..) => "dynamic",
    }
}

struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
    path: AttributePath,
}

impl<'a> Decoder<'a> {
    fn err(&self, msg: impl Into<String>) -> Error {
        Error::at(self.path.clone(), msg)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        match end {
            Some(end) => {
                let s = &self.buf[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(self.err("unexpected end of msgpack data")),
        }
    }

    fn byte(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }

    fn be(&mut self, n: usize) -> Result<u64, Error> {
        Ok(self.take(n)?.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn peek_marker(&self) -> Result<Marker, Error> {
        self.buf.get(self.pos).map(|b| Marker::from_u8(*b)).ok_or_else(|| self.err("unexpected end of msgpack data"))
    }

    /// Reads an extension header if one is next: `(type, payload)`.
    fn ext(&mut self) -> Result<Option<(i8, &'a [u8])>, Error> {
        let len = match self.peek_marker()? {
            Marker::FixExt1 => 1,
            Marker::FixExt2 => 2,
            Marker::FixExt4 => 4,
            Marker::FixExt8 => 8,
            Marker::FixExt16 => 16,
            Marker::Ext8 | Marker::Ext16 | Marker::Ext32 => {
                let m = self.byte()?;
                let n = match Marker::from_u8(m) {
                    Marker::Ext8 => self.be(1)?,
                    Marker::Ext16 => self.be(2)?,
                    _ => self.be(4)?,
                } as usize;
                let t = self.byte()? as i8;
                return Ok(Some((t, self.take(n)?)));
            }
            _ => return Ok(None),
        };
        self.pos += 1;
        let t = self.byte()? as i8;
        Ok(Some((t, self.take(len)?)))
    }

    fn value(&mut self, ty: &Type) -> Result<Value, Error> {
        if let Some((t, payload)) = self.ext()? {
            return self.unknown(t, payload);
        }
        if self.peek_marker()? == Marker::Null {
            self.pos += 1;
            return Ok(Value::Null);
        }
        match ty {
            Type::Dynamic => self.dynamic(),
            Type::Bool => match self.byte().map(Marker::from_u8)? {
                Marker::True => Ok(Value::Bool(true)),
                Marker::False => Ok(Value::Bool(false)),
                m => Err(self.err(format!("expected bool, found {m:?}"))),
            },
            Type::Number => self.number().map(Value::Number),
            Type::String => self.string().map(Value::String),
            Type::List(et) | Type::Set(et) => {
                let n = self.array_len()?;
                let mut items = Vec::with_capacity(n.min(self.remaining()));
                for i in 0..n {
                    self.path.0.push(PathStep::Index(i as i64));
                    items.push(self.value(et)?);
                    self.path.0.pop();
                }
                Ok(if matches!(ty, Type::Set(_)) { Value::set(items) } else { Value::List(items) })
            }
            Type::Tuple(types) => {
                let n = self.array_len()?;
                if n != types.len() {
                    return Err(self.err(format!("tuple needs {} elements, got {n}", types.len())));
                }
                let mut items = Vec::with_capacity(n);
                for (i, t) in types.iter().enumerate() {
                    self.path.0.push(PathStep::Index(i as i64));
                    items.push(self.value(t)?);
                    self.path.0.pop();
                }
                Ok(Value::Tuple(items))
            }
            Type::Map(et) => {
                let n = self.map_len()?;
                let mut m = BTreeMap::new();
                for _ in 0..n {
                    let k = self.string()?;
                    self.path.0.push(PathStep::Key(k.clone()));
                    let v = self.value(et)?;
                    self.path.0.pop();
                    m.insert(k, v);
                }
                Ok(Value::Map(m))
            }
            Type::Object(ot) => {
                let n = self.map_len()?;
                let mut m = BTreeMap::new();
                for _ in 0..n {
                    let k = self.string()?;
                    let Some(t) = ot.attributes.get(&k) else {
                        return Err(self.err(format!("unsupported attribute {k:?}")));
                    };
                    self.path.0.push(PathStep::Attribute(k.clone()));
                    let v = self.value(t)?;
                    self.path.0.pop();
                    m.insert(k, v);
                }
                // Terraform always sends every attribute; tolerate omissions as null.
                for k in ot.attributes.keys() {
                    m.entry(k.clone()).or_insert(Value::Null);
                }
                Ok(Value::Object(m))
            }
        }
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn dynamic(&mut self) -> Result<Value, Error> {
        if self.array_len()? != 2 {
            return Err(self.err("dynamic value must be a [type, value] pair"));
        }
        let ty_bytes = match self.peek_marker()? {
            Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => self.bin()?,
            _ => self.string()?.into_bytes(),
        };
        let ty = Type::from_json_bytes(&ty_bytes).map_err(|e| self.err(e.message))?;
        let v = self.value(&ty)?;
        Ok(Value::Dynamic(Box::new(ty), Box::new(v)))
    }

    fn unknown(&mut self, ext_type: i8, payload: &[u8]) -> Result<Value, Error> {
        if payload.len() <= 1 {
            return Ok(Value::unknown());
        }
        if ext_type != EXT_REFINED_UNKNOWN {
            return Err(self.err(format!("unsupported msgpack extension type {ext_type}")));
        }
        if payload.len() > MAX_REFINEMENT_PAYLOAD {
            return Err(self.err("unknown value refinements too long"));
        }
        let mut d = Decoder { buf: payload, pos: 0, path: self.path.clone() };
        let n = d.map_len()?;
        let mut r = Refinements::default();
        for _ in 0..n {
            let key = d.int()?;
            match key {
                1 => r.not_null = matches!(Marker::from_u8(d.byte()?), Marker::False),
                2 => r.string_prefix = Some(d.string()?),
                3 | 4 => {
                    if d.array_len()? != 2 {
                        return Err(self.err("number bound refinement must be a pair"));
                    }
                    let num = d.number()?;
                    let inclusive = matches!(Marker::from_u8(d.byte()?), Marker::True);
                    if key == 3 {
                        r.number_lower = Some((num, inclusive));
                    } else {
                        r.number_upper = Some((num, inclusive));
                    }
                }
                5 | 6 => {
                    let len = u64::try_from(d.int()?).unwrap_or(0);
                    if key == 5 {
                        r.length_lower = Some(len);
                    } else {
                        r.length_upper = Some(len);
                    }
                }
                // Unknown refinement keys are ignored, as go-cty does.
                _ => d.skip()?,
            }
        }
        Ok(Value::Unknown(r))
    }

    fn int(&mut self) -> Result<i64, Error> {
        match self.number()? {
            Number::Int(i) => Ok(i),
            other => Err(self.err(format!("expected an integer, found {other}"))),
        }
    }

    fn number(&mut self) -> Result<Number, Error> {
        let m = Marker::from_u8(self.byte()?);
        let n = match m {
            Marker::FixPos(v) => Number::Int(v.into()),
            Marker::FixNeg(v) => Number::Int(v.into()),
            Marker::U8 => Number::Int(self.be(1)? as i64),
            Marker::U16 => Number::Int(self.be(2)? as i64),
            Marker::U32 => Number::Int(self.be(4)? as i64),
            Marker::U64 => Number::from(self.be(8)?),
            Marker::I8 => Number::Int(self.be(1)? as u8 as i8 as i64),
            Marker::I16 => Number::Int(self.be(2)? as u16 as i16 as i64),
            Marker::I32 => Number::Int(self.be(4)? as u32 as i32 as i64),
            Marker::I64 => Number::Int(self.be(8)? as i64),
            Marker::F32 => {
                let f = f32::from_bits(self.be(4)? as u32);
                Number::from_f64(f.into()).ok_or_else(|| self.err("NaN is not a number"))?
            }
            Marker::F64 => {
                let f = f64::from_bits(self.be(8)?);
                Number::from_f64(f).ok_or_else(|| self.err("NaN is not a number"))?
            }
            Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
                self.pos -= 1;
                let s = self.string()?;
                Number::parse(&s).map_err(|e| self.err(e.message))?
            }
            m => return Err(self.err(format!("expected number, found {m:?}"))),
        };
        Ok(n)
    }

    fn string(&mut self) -> Result<String, Error> {
        let len = match Marker::from_u8(self.byte()?) {
            Marker::FixStr(n) => n as usize,
            Marker::Str8 => self.be(1)? as usize,
            Marker::Str16 => self.be(2)? as usize,
            Marker::Str32 => self.be(4)? as usize,
            m => return Err(self.err(format!("expected string, found {m:?}"))),
        };
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.err("string is not valid UTF-8"))
    }

    fn bin(&mut self) -> Result<Vec<u8>, Error> {
        let len = match Marker::from_u8(self.byte()?) {
            Marker::Bin8 => self.be(1)? as usize,
            Marker::Bin16 => self.be(2)? as usize,
            Marker::Bin32 => self.be(4)? as usize,
            m => return Err(self.err(format!("expected binary, found {m:?}"))),
        };
        Ok(self.take(len)?.to_vec())
    }

    fn array_len(&mut self) -> Result<usize, Error> {
        match Marker::from_u8(self.byte()?) {
            Marker::FixArray(n) => Ok(n as usize),
            Marker::Array16 => Ok(self.be(2)? as usize),
            Marker::Array32 => Ok(self.be(4)? as usize),
            m => Err(self.err(format!("expected array, found {m:?}"))),
        }
    }

    fn map_len(&mut self) -> Result<usize, Error> {
        match Marker::from_u8(self.byte()?) {
            Marker::FixMap(n) => Ok(n as usize),
            Marker::Map16 => Ok(self.be(2)? as usize),
            Marker::Map32 => Ok(self.be(4)? as usize),
            m => Err(self.err(format!("expected map, found {m:?}"))),
        }
    }

    /// Skips one msgpack item of any kind (unknown refinement values).
    fn skip(&mut self) -> Result<(), Error> {
        if self.ext()?.is_some() {
            return Ok(());
        }
        match self.peek_marker()? {
            Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => {
                for _ in 0..self.array_len()? {
                    self.skip()?;
                }
            }
            Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => {
                for _ in 0..self.map_len()? * 2 {
                    self.skip()?;
                }
            }
            Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
                self.string()?;
            }
            Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => {
                self.bin()?;
            }
            Marker::Null | Marker::True | Marker::False => self.pos += 1,
            _ => {
                self.number()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj_type() -> Type {
        Type::object([
            ("id", Type::String),
            ("count", Type::Number),
            ("tags", Type::map(Type::String)),
            ("ports", Type::set(Type::Number)),
        ])
    }

    #[test]
    fn plain_unknown_is_d4_00_00() {
        assert_eq!(encode(&Value::unknown(), &Type::String).unwrap(), vec![0xd4, 0, 0]);
    }

    #[test]
    fn refined_unknowns_match_go_cty_bytes() {
        let not_null = Value::Unknown(Refinements { not_null: true, ..Default::default() });
        assert_eq!(encode(&not_null, &Type::String).unwrap(), vec![0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2]);
        let prefixed =
            Value::Unknown(Refinements { not_null: true, string_prefix: Some("ab".into()), ..Default::default() });
        let bytes = vec![0xc7, 0x07, 0x0c, 0x82, 0x01, 0xc2, 0x02, 0xa2, 0x61, 0x62];
        assert_eq!(encode(&prefixed, &Type::String).unwrap(), bytes);
        assert_eq!(decode(&bytes, &Type::String).unwrap(), prefixed);
    }

    #[test]
    fn any_tiny_extension_is_an_unknown() {
        assert_eq!(decode(&[0xd4, 0x05, 0x00], &Type::Number).unwrap(), Value::unknown());
    }

    #[test]
    fn objects_list_every_attribute() {
        let v = Value::object([("id", Value::from("x"))]);
        let bytes = encode(&v, &obj_type()).unwrap();
        let back = decode(&bytes, &obj_type()).unwrap();
        assert_eq!(back.attr("id"), Some(&Value::from("x")));
        assert_eq!(back.attr("count"), Some(&Value::Null));
        assert_eq!(back.as_map().unwrap().len(), 4);
    }

    #[test]
    fn decimal_text_numbers_survive() {
        let n = Value::Number(Number::parse("0.1").unwrap());
        let bytes = encode(&n, &Type::Number).unwrap();
        assert_eq!(bytes[0] & 0xe0, 0xa0, "sent as a string");
        assert_eq!(decode(&bytes, &Type::Number).unwrap(), n);
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let v = Value::Dynamic(Box::new(Type::list(Type::Number)), Box::new(Value::List(vec![])));
        let bytes = encode(&v, &Type::Dynamic).unwrap();
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), v);
        // Untyped values in dynamic positions get an inferred type.
        let bytes = encode(&Value::from("s"), &Type::Dynamic).unwrap();
        assert_eq!(
            decode(&bytes, &Type::Dynamic).unwrap(),
            Value::Dynamic(Box::new(Type::String), Box::new(Value::from("s")))
        );
    }

    #[test]
    fn type_mismatches_name_the_path() {
        let v = Value::object([("count", Value::from("nope"))]);
        let err = encode(&v, &obj_type()).unwrap_err();
        assert_eq!(err.path.to_string(), "count");
    }

    #[test]
    fn truncated_and_hostile_input_is_an_error() {
        let full = encode(&Value::object([("id", Value::from("abcdef"))]), &obj_type()).unwrap();
        for cut in 0..full.len() {
            assert!(decode(&full[..cut], &obj_type()).is_err(), "cut at {cut}");
        }
        // An array header claiming four billion elements must not allocate them.
        assert!(decode(&[0xdd, 0xff, 0xff, 0xff, 0xff], &Type::list(Type::String)).is_err());
    }
}
