//! Reading attribute values out of one side (before or after) of a resource change, telling
//! known values from values Terraform only learns at apply time (`after_unknown`).

use oppie_catalog::pricing::money::{self, Decimal};
use serde_json::Value;

/// One path step: an object key or a list index.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step<'a> {
    /// An attribute or map key.
    Key(&'a str),
    /// A list element.
    Index(usize),
}

/// What a path holds on one side of a change.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Field<'a> {
    /// A known value (never JSON `null`).
    Known(&'a Value),
    /// Known only after apply.
    Unknown,
    /// Not set (absent or `null`).
    Absent,
}

/// One side of a change: its values and, for the after side, the unknown markers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Side<'a> {
    /// The attribute values (`change.before` or `change.after`).
    pub values: &'a Value,
    /// `change.after_unknown` for the after side; `Value::Null` for the before side.
    pub unknown: &'a Value,
}

impl<'a> Side<'a> {
    /// Looks a path up, reporting unknown when `after_unknown` marks it or any parent `true`.
    pub fn get(&self, path: &[Step<'_>]) -> Field<'a> {
        let mut marks = Some(self.unknown);
        let mut value = Some(self.values);
        for step in path {
            if marks.is_some_and(|m| m == &Value::Bool(true)) {
                return Field::Unknown;
            }
            marks = marks.and_then(|m| child(m, *step));
            value = value.and_then(|v| child(v, *step));
        }
        if marks.is_some_and(|m| m == &Value::Bool(true)) {
            return Field::Unknown;
        }
        match value {
            Some(Value::Null) | None => Field::Absent,
            Some(v) => Field::Known(v),
        }
    }

    /// A known string attribute (`Ok(None)` when absent; `Err(())` when unknown).
    pub fn string(&self, path: &[Step<'_>]) -> Result<Option<&'a str>, Unknown> {
        match self.get(path) {
            Field::Known(v) => Ok(v.as_str().filter(|s| !s.is_empty())),
            Field::Absent => Ok(None),
            Field::Unknown => Err(Unknown(render(path))),
        }
    }

    /// A known number attribute as an exact decimal, read from the number's JSON text (numbers
    /// given as strings count too); `Ok(None)` when absent or not a number.
    pub fn decimal(&self, path: &[Step<'_>]) -> Result<Option<Decimal>, Unknown> {
        match self.get(path) {
            Field::Known(Value::Number(n)) => Ok(money::parse(&n.to_string())),
            Field::Known(Value::String(s)) => Ok(money::parse(s.trim())),
            Field::Known(_) | Field::Absent => Ok(None),
            Field::Unknown => Err(Unknown(render(path))),
        }
    }
}

/// An attribute the price depends on is known only after apply; holds its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unknown(pub String);

fn child<'v>(value: &'v Value, step: Step<'_>) -> Option<&'v Value> {
    match (value, step) {
        (Value::Object(map), Step::Key(key)) => map.get(key),
        (Value::Array(list), Step::Index(i)) => list.get(i),
        _ => None,
    }
}

/// `root_block_device[0].volume_size`.
pub(crate) fn render(path: &[Step<'_>]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The last segment of a self link or path (`zones/us-east1-b/machineTypes/e2-medium` → `e2-medium`).
pub(crate) fn last_segment(text: &str) -> &str {
    text.rsplit('/').next().unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_unknown_and_absent_values() {
        let values = json!({"size": "t3.micro", "disk": [{"gb": 10}], "tags": null});
        let unknown = json!({"disk": [{"gb": true}], "id": true});
        let side = Side { values: &values, unknown: &unknown };
        assert_eq!(side.string(&[Step::Key("size")]), Ok(Some("t3.micro")));
        assert_eq!(
            side.decimal(&[Step::Key("disk"), Step::Index(0), Step::Key("gb")]),
            Err(Unknown("disk[0].gb".into()))
        );
        assert_eq!(side.get(&[Step::Key("tags")]), Field::Absent);
        assert_eq!(side.get(&[Step::Key("id")]), Field::Unknown);
        assert_eq!(side.get(&[Step::Key("id"), Step::Key("deeper")]), Field::Unknown);
        assert_eq!(side.string(&[Step::Key("missing")]), Ok(None));
        let before = Side { values: &values, unknown: &Value::Null };
        assert_eq!(before.decimal(&[Step::Key("disk"), Step::Index(0), Step::Key("gb")]), Ok(Some(Decimal::TEN)));
    }

    #[test]
    fn numbers_may_be_strings() {
        let values = json!({"a": "30", "b": "x", "c": 9.19, "d": 1e300});
        let side = Side { values: &values, unknown: &Value::Null };
        assert_eq!(side.decimal(&[Step::Key("a")]), Ok(Some(Decimal::from(30))));
        assert_eq!(side.decimal(&[Step::Key("b")]), Ok(None));
        assert_eq!(side.decimal(&[Step::Key("c")]).unwrap().unwrap().to_string(), "9.19");
        assert_eq!(side.decimal(&[Step::Key("d")]), Ok(None));
    }

    #[test]
    fn last_segments() {
        assert_eq!(last_segment("zones/us-east1-b/machineTypes/e2-medium"), "e2-medium");
        assert_eq!(last_segment("e2-medium"), "e2-medium");
    }
}
