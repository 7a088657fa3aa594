//! Money as exact decimals: reading rates and attribute numbers, rounding to cents, and the
//! JSON number a decimal is written as. A float64 cannot hold 9.19; a `Decimal` can.
//!
//! ```
//! use oppie_catalog::pricing::money;
//!
//! let a = money::parse("9.19").unwrap();
//! let b = money::parse("0.02").unwrap();
//! assert_eq!((a + b).to_string(), "9.21"); // 9.19 + 0.02 in float64 is 9.209999999999999
//! assert_eq!(money::cents(money::parse("15.184").unwrap()).to_string(), "15.18");
//! assert_eq!(money::to_f64(a), 9.19);
//! ```

use std::collections::BTreeMap;

pub use rust_decimal::Decimal;
use rust_decimal::RoundingStrategy;

/// Parses decimal number text as JSON, cty and the rate card write it: `12`, `-0.5`, `0.0208`,
/// `9.19`, `1e-7`, `919e-2`. `None` for anything else, and for values a `Decimal` cannot hold
/// (beyond ±7.9e28); digits past the 28th are rounded.
pub fn parse(text: &str) -> Option<Decimal> {
    if text.is_empty() || text.len() > 1000 {
        return None;
    }
    if text.contains(['e', 'E']) {
        return Decimal::from_scientific(text).or_else(|_| Decimal::from_scientific_lossy(text)).ok();
    }
    // `from_str` also takes `_` separators and a lone `.`, which no number format here has.
    if !text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.'))
        || !text.bytes().any(|b| b.is_ascii_digit())
    {
        return None;
    }
    text.parse::<Decimal>().ok()
}

/// The decimal nearest a float64 that prints as the float's shortest round-trip text (so
/// `0.1_f64` gives exactly 0.1); `None` for NaN, infinities and values beyond a `Decimal`.
pub fn from_f64(value: f64) -> Option<Decimal> {
    if !value.is_finite() {
        return None;
    }
    // `{:?}` of an f64 is its shortest round-trip text, in exponent form for very large or
    // small values (which `parse` reads).
    parse(&format!("{value:?}"))
}

/// Rounds to cents, halves away from zero (as the clouds' own bills round).
pub fn cents(usd: Decimal) -> Decimal {
    usd.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero).normalize()
}

/// The float64 nearest `value`. Formatting and re-parsing is correctly rounded, so the float
/// prints back as the same decimal text (up to 15 significant digits), unlike dividing the
/// mantissa by a power of ten.
pub fn to_f64(value: Decimal) -> f64 {
    value.to_string().parse().unwrap_or(f64::NAN)
}

/// Serde glue: a `Decimal` as a plain JSON number (`9.19`, not the string `"9.19"`), read from
/// the number's own text so no float rounding comes between the file and the value.
pub mod number {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Decimal;

    /// Writes the decimal as a number (its nearest float64, which prints as the same text).
    pub fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(super::to_f64(*value))
    }

    /// Reads a JSON number (or number text) as a decimal.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let text = match serde_json::Value::deserialize(d)? {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s,
            other => return Err(D::Error::custom(format!("expected a number, found {other}"))),
        };
        super::parse(&text).ok_or_else(|| D::Error::custom(format!("{text} is not a decimal number")))
    }
}

/// Serde glue for an optional decimal (see [`number`]).
pub mod option {
    use serde::{Deserialize, Serialize, Serializer};

    use super::Decimal;

    /// Writes `None` as null and a decimal as a number.
    pub fn serialize<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        value.map(super::to_f64).serialize(s)
    }

    /// Reads null as `None` and a number as [`number`](super::number) does.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        #[derive(serde::Deserialize)]
        struct Wrapped(#[serde(with = "super::number")] Decimal);
        Ok(Option::<Wrapped>::deserialize(d)?.map(|Wrapped(v)| v))
    }
}

/// Serde glue for a map of decimals (see [`number`]).
pub mod map {
    use std::collections::BTreeMap;

    use serde::ser::SerializeMap;
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Decimal;

    /// Writes each value as a number.
    pub fn serialize<S: Serializer>(value: &BTreeMap<String, Decimal>, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(value.len()))?;
        for (k, v) in value {
            map.serialize_entry(k, &super::to_f64(*v))?;
        }
        map.end()
    }

    /// Reads each value as [`number`](super::number) does.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Decimal>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super::number")] Decimal);
        let raw = BTreeMap::<String, Wrapped>::deserialize(d)?;
        Ok(raw.into_iter().map(|(k, Wrapped(v))| (k, v)).collect())
    }
}

/// The sum of the values (0 for none); saturates rather than overflowing.
pub fn sum<'a>(values: impl IntoIterator<Item = &'a Decimal>) -> Decimal {
    values.into_iter().fold(Decimal::ZERO, |acc, v| acc.saturating_add(*v))
}

/// A breakdown's entries rounded to cents (for figures read from elsewhere).
pub fn cents_map(map: &BTreeMap<String, Decimal>) -> BTreeMap<String, Decimal> {
    map.iter().map(|(k, v)| (k.clone(), cents(*v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(text: &str) -> Decimal {
        parse(text).unwrap()
    }

    #[test]
    fn parses_the_number_texts_in_use() {
        assert_eq!(d("12"), Decimal::from(12));
        assert_eq!(d("0.0208").to_string(), "0.0208");
        assert_eq!(d("919e-2").to_string(), "9.19");
        assert_eq!(d("1E-7").to_string(), "0.0000001");
        assert_eq!(d("-0.5").to_string(), "-0.5");
        for bad in ["", "abc", "1_000", ".", "-", "1e999", "1e", "0x10", "1.2.3", "NaN", "inf"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
        // Longer than a Decimal holds: rounded, not refused (a float64's exact expansion).
        let long = format!("{:.60}", 0.1_f64);
        assert_eq!(cents(d(&long)).to_string(), "0.1");
    }

    #[test]
    fn cents_round_half_away_from_zero() {
        assert_eq!(cents(d("9.125")).to_string(), "9.13");
        assert_eq!(cents(d("-9.125")).to_string(), "-9.13");
        assert_eq!(cents(d("15.184")).to_string(), "15.18");
        assert_eq!(cents(d("23.000")).to_string(), "23");
    }

    #[test]
    fn floats_convert_both_ways_through_the_shortest_text() {
        assert_eq!(from_f64(0.1).unwrap().to_string(), "0.1");
        assert_eq!(from_f64(9.19).unwrap(), d("9.19"));
        assert_eq!(from_f64(1e300), None);
        assert_eq!(from_f64(f64::NAN), None);
        assert_eq!(to_f64(d("9.19")), 9.19);
        assert_eq!(to_f64(d("154.03")), 154.03);
    }

    #[test]
    fn json_numbers_stay_exact() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct T {
            #[serde(with = "number")]
            a: Decimal,
            #[serde(with = "map")]
            m: BTreeMap<String, Decimal>,
        }
        let t: T = serde_json::from_str(r#"{"a": 0.0208, "m": {"x": 9.19, "y": 1e-7}}"#).unwrap();
        assert_eq!(t.a.to_string(), "0.0208");
        assert_eq!(t.m["y"].to_string(), "0.0000001");
        let total = T { a: sum([&d("9.19"), &d("0.02"), &d("0.1"), &d("0.2")]), m: BTreeMap::new() };
        assert_eq!(serde_json::to_string(&total).unwrap(), r#"{"a":9.51,"m":{}}"#);
        assert!(serde_json::from_str::<T>(r#"{"a": true, "m": {}}"#).is_err());
    }

    proptest! {
        #[test]
        fn cents_print_back_as_the_same_decimal(units in -10_000_000_000i64..10_000_000_000) {
            let value = Decimal::new(units, 2);
            prop_assert_eq!(from_f64(to_f64(value)), Some(value.normalize()));
            let json = serde_json::to_string(&to_f64(value)).unwrap();
            prop_assert_eq!(parse(&json).map(|d| d.normalize()), Some(value.normalize()));
        }

        #[test]
        fn parse_never_panics(text in ".{0,40}") {
            let _ = parse(&text);
        }
    }
}
