//! cty numbers: exact integers, binary floats, and decimal text for the rest.
//! Terraform parses HCL literals at 512-bit precision, so `0.1` must travel as text to compare equal.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use super::Error;

/// A number in canonical form, so that equal numbers have equal representations:
/// an `i64` when the value is an integer in range, else an `f64` when the value is
/// exactly a binary double, else normalized decimal text.
#[derive(Debug, Clone)]
pub enum Number {
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A non-integral (or out of `i64` range) value that is exactly a double; never NaN.
    Float(f64),
    /// Any other value, as normalized decimal text `[-]DIGITS[eEXP]`.
    Decimal(String),
}

impl Number {
    /// The number for a double; `None` for NaN, which cty cannot represent.
    pub fn from_f64(f: f64) -> Option<Number> {
        if f.is_nan() {
            return None;
        }
        if f.fract() == 0.0 && f >= -(2f64.powi(63)) && f < 2f64.powi(63) {
            return Some(Number::Int(f as i64));
        }
        Some(Number::Float(f))
    }

    /// Parses decimal number text (`12`, `-0.5`, `1e300`, `0.1`), as cty accepts it.
    pub fn parse(text: &str) -> Result<Number, Error> {
        let bad = || Error::new(format!("invalid number {text:?}"));
        match text {
            "Inf" | "+Inf" | "Infinity" | "+Infinity" => return Ok(Number::Float(f64::INFINITY)),
            "-Inf" | "-Infinity" => return Ok(Number::Float(f64::NEG_INFINITY)),
            _ => {}
        }
        let dec = Decimal::parse(text).ok_or_else(bad)?;
        Ok(dec.canonical())
    }

    /// The value as `i64`, if it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The value as the nearest double.
    pub fn as_f64(&self) -> f64 {
        match self {
            Number::Int(i) => *i as f64,
            Number::Float(f) => *f,
            Number::Decimal(s) => s.parse().unwrap_or(f64::NAN),
        }
    }

    /// The number as decimal text that Terraform and JSON both accept.
    pub fn to_text(&self) -> String {
        match self {
            Number::Int(i) => i.to_string(),
            Number::Float(f) if f.is_infinite() => {
                if *f > 0.0 {
                    "Infinity".into()
                } else {
                    "-Infinity".into()
                }
            }
            // The exact expansion, so that parsing it back gives this very double.
            Number::Float(f) => exact_decimal_of(*f).map_or_else(|| format!("{f:e}"), |d| d.text()),
            Number::Decimal(s) => s.clone(),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Number::Int(_) => 0,
            Number::Float(_) => 1,
            Number::Decimal(_) => 2,
        }
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Number {}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Number {
    /// A total order consistent with equality (it groups by representation, so it is
    /// not numeric order across representations; sets only need it to be canonical).
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a.cmp(b),
            (Number::Float(a), Number::Float(b)) => a.total_cmp(b),
            (Number::Decimal(a), Number::Decimal(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl Hash for Number {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Number::Int(i) => (0u8, i).hash(state),
            Number::Float(f) => (1u8, f.to_bits()).hash(state),
            Number::Decimal(s) => (2u8, s).hash(state),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x}"),
            Number::Decimal(s) => f.write_str(s),
        }
    }
}

impl From<i64> for Number {
    fn from(i: i64) -> Self {
        Number::Int(i)
    }
}

impl From<i32> for Number {
    fn from(i: i32) -> Self {
        Number::Int(i.into())
    }
}

impl From<u32> for Number {
    fn from(i: u32) -> Self {
        Number::Int(i.into())
    }
}

impl From<u64> for Number {
    fn from(u: u64) -> Self {
        match i64::try_from(u) {
            Ok(i) => Number::Int(i),
            Err(_) => Number::Decimal(u.to_string()),
        }
    }
}

/// A decimal value `(-1)^negative × digits × 10^exponent`, digits without leading or
/// trailing zeros (empty for zero).
struct Decimal {
    negative: bool,
    digits: String,
    exponent: i64,
}

impl Decimal {
    /// Parses JSON-like number text: optional sign, digits, optional fraction and exponent.
    fn parse(text: &str) -> Option<Decimal> {
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut negative = false;
        if let Some(&c) = bytes.first()
            && (c == b'-' || c == b'+')
        {
            negative = c == b'-';
            i = 1;
        }
        let mut digits = String::new();
        let mut exponent: i64 = 0;
        let mut seen_digit = false;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            digits.push(bytes[i] as char);
            seen_digit = true;
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                digits.push(bytes[i] as char);
                exponent -= 1;
                seen_digit = true;
                i += 1;
            }
        }
        if !seen_digit {
            return None;
        }
        if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
            let exp: i64 = text.get(i + 1..)?.parse().ok()?;
            // Bounds keep later arithmetic and formatting from exploding.
            if !(-100_000..=100_000).contains(&exp) {
                return None;
            }
            exponent += exp;
            i = bytes.len();
        }
        if i != bytes.len() {
            return None;
        }
        let trimmed = digits.trim_start_matches('0');
        let without_trailing = trimmed.trim_end_matches('0');
        exponent += (trimmed.len() - without_trailing.len()) as i64;
        let digits = without_trailing.to_string();
        if digits.is_empty() {
            negative = false;
            exponent = 0;
        }
        Some(Decimal { negative, digits, exponent })
    }

    fn text(&self) -> String {
        if self.digits.is_empty() {
            return "0".into();
        }
        let sign = if self.negative { "-" } else { "" };
        if self.exponent == 0 {
            format!("{sign}{}", self.digits)
        } else {
            format!("{sign}{}e{}", self.digits, self.exponent)
        }
    }

    fn canonical(&self) -> Number {
        if self.digits.is_empty() {
            return Number::Int(0);
        }
        if self.exponent >= 0 && self.exponent < 20 {
            let text = format!(
                "{}{}{}",
                if self.negative { "-" } else { "" },
                self.digits,
                "0".repeat(self.exponent as usize)
            );
            if let Ok(i) = text.parse::<i64>() {
                return Number::Int(i);
            }
        }
        let text = self.text();
        if let Ok(f) = text.parse::<f64>()
            && f.is_finite()
            && exact_decimal_of(f).is_some_and(|d| d.digits == self.digits && d.exponent == self.exponent)
        {
            return Number::Float(f);
        }
        Number::Decimal(text)
    }
}

/// The exact decimal expansion of a finite double.
fn exact_decimal_of(f: f64) -> Option<Decimal> {
    // Every finite double has an exact expansion of at most 767 significant digits;
    // formatting with more precision than that prints it exactly.
    Decimal::parse(&format!("{f:.800e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_canonical_ints() {
        assert_eq!(Number::parse("42").unwrap(), Number::Int(42));
        assert_eq!(Number::parse("4.2e1").unwrap(), Number::Int(42));
        assert_eq!(Number::parse("-0").unwrap(), Number::Int(0));
        assert_eq!(Number::from_f64(3.0).unwrap(), Number::Int(3));
        assert_eq!(Number::parse("9223372036854775807").unwrap(), Number::Int(i64::MAX));
    }

    #[test]
    fn exact_binary_fractions_are_floats_and_decimal_fractions_stay_text() {
        assert_eq!(Number::parse("0.5").unwrap(), Number::Float(0.5));
        assert_eq!(Number::parse("0.1").unwrap(), Number::Decimal("1e-1".into()));
        assert_ne!(Number::parse("0.1").unwrap(), Number::from_f64(0.1).unwrap());
        assert_eq!(Number::parse("0.10").unwrap(), Number::parse("1e-1").unwrap());
    }

    #[test]
    fn big_integers_stay_exact() {
        let n = Number::parse("123456789012345678901234567890").unwrap();
        assert_eq!(n, Number::Decimal("12345678901234567890123456789e1".into()));
        assert_eq!(Number::parse(&n.to_text()).unwrap(), n);
    }

    #[test]
    fn floats_round_trip_through_text() {
        for f in [0.25, 1.5e300, -7.125, 1e-300, f64::MAX] {
            let n = Number::from_f64(f).unwrap();
            assert_eq!(Number::parse(&n.to_text()).unwrap(), n, "{f}");
        }
    }

    #[test]
    fn garbage_is_rejected() {
        for bad in ["", "-", "1.2.3", "abc", "1e", "0x10", "1e999999", " 1"] {
            assert!(Number::parse(bad).is_err(), "{bad:?}");
        }
    }
}
