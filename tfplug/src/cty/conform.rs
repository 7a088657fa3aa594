//! Shaping a loosely built value (e.g. from a Rust struct) into exactly the form a type needs.
//! Fills absent object attributes with null and turns lists into sets, tuples or lists as required.

use std::collections::BTreeMap;

use super::{AttributePath, Error, Number, PathStep, Type, Value};

/// Returns `value` converted to the canonical shape of `ty`: objects get every attribute
/// (null when absent), collections get the right kind, primitives convert the way
/// Terraform converts them (`5` to `"5"`, `"true"` to `true`). Fails with the path of the
/// first part that cannot fit.
pub fn conform(value: Value, ty: &Type) -> Result<Value, Error> {
    let mut path = AttributePath::root();
    conform_at(value, ty, &mut path)
}

fn conform_at(value: Value, ty: &Type, path: &mut AttributePath) -> Result<Value, Error> {
    let mismatch = |v: &Value, path: &AttributePath| {
        Error::at(path.clone(), format!("a {} cannot be used where {ty} is required", describe(v)))
    };
    match (value, ty) {
        (v @ (Value::Null | Value::Unknown(_)), _) => Ok(v),
        (v, Type::Dynamic) => Ok(v),
        (Value::Dynamic(_, v), _) => conform_at(*v, ty, path),
        (v @ Value::String(_), Type::String) => Ok(v),
        (Value::Number(n), Type::String) => Ok(Value::String(n.to_text())),
        (Value::Bool(b), Type::String) => Ok(Value::String(b.to_string())),
        (v @ Value::Number(_), Type::Number) => Ok(v),
        (Value::String(s), Type::Number) => {
            Number::parse(&s).map(Value::Number).map_err(|_| Error::at(path.clone(), format!("{s:?} is not a number")))
        }
        (v @ Value::Bool(_), Type::Bool) => Ok(v),
        (Value::String(s), Type::Bool) => match s.as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(Error::at(path.clone(), format!("{s:?} is not a bool"))),
        },
        (Value::List(items) | Value::Set(items) | Value::Tuple(items), Type::List(et)) => {
            Ok(Value::List(elements(items, et, path)?))
        }
        (Value::List(items) | Value::Set(items) | Value::Tuple(items), Type::Set(et)) => {
            Ok(Value::set(elements(items, et, path)?))
        }
        (Value::List(items) | Value::Tuple(items), Type::Tuple(types)) => {
            if items.len() != types.len() {
                return Err(Error::at(
                    path.clone(),
                    format!("{} elements given where {ty} needs {}", items.len(), types.len()),
                ));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, t)) in items.into_iter().zip(types).enumerate() {
                path.0.push(PathStep::Index(i as i64));
                out.push(conform_at(item, t, path)?);
                path.0.pop();
            }
            Ok(Value::Tuple(out))
        }
        (Value::Map(m) | Value::Object(m), Type::Map(et)) => {
            let mut out = BTreeMap::new();
            for (k, v) in m {
                path.0.push(PathStep::Key(k.clone()));
                let v = conform_at(v, et, path)?;
                path.0.pop();
                out.insert(k, v);
            }
            Ok(Value::Map(out))
        }
        (Value::Map(mut m) | Value::Object(mut m), Type::Object(ot)) => {
            if let Some(extra) = m.keys().find(|k| !ot.attributes.contains_key(*k)) {
                return Err(Error::at(path.clone(), format!("unsupported attribute {extra:?}")));
            }
            let mut out = BTreeMap::new();
            for (k, t) in &ot.attributes {
                let v = m.remove(k).unwrap_or(Value::Null);
                path.0.push(PathStep::Attribute(k.clone()));
                let v = conform_at(v, t, path)?;
                path.0.pop();
                out.insert(k.clone(), v);
            }
            Ok(Value::Object(out))
        }
        (v, _) => Err(mismatch(&v, path)),
    }
}

fn elements(items: Vec<Value>, et: &Type, path: &mut AttributePath) -> Result<Vec<Value>, Error> {
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        path.0.push(PathStep::Index(i as i64));
        out.push(conform_at(item, et, path)?);
        path.0.pop();
    }
    Ok(out)
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Unknown(_) => "unknown value",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
        Value::Tuple(_) => "tuple",
        Value::Dynamic(..) => "dynamic value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_objects_and_converts_collections() {
        let ty = Type::object([("name", Type::String), ("ports", Type::set(Type::Number)), ("size", Type::Number)]);
        let v = Value::object([
            ("name", Value::from("a")),
            ("ports", Value::List(vec![Value::from(443), Value::from(80), Value::from(443)])),
        ]);
        let c = conform(v, &ty).unwrap();
        assert_eq!(c.attr("size"), Some(&Value::Null));
        assert_eq!(c.attr("ports"), Some(&Value::set([Value::from(80), Value::from(443)])));
    }

    #[test]
    fn reports_the_path_of_what_does_not_fit() {
        let ty = Type::object([("tags", Type::map(Type::Bool))]);
        let v = Value::object([("tags", Value::Map([("x".into(), Value::from("maybe"))].into()))]);
        let err = conform(v, &ty).unwrap_err();
        assert_eq!(err.path.to_string(), "tags[\"x\"]");
    }
}
