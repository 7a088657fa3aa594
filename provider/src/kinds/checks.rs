//! Input checks shared by the cloud resources (CIDR blocks, names), run by Terraform at
//! `validate` and plan, before any API call, with the error on the attribute.

use tfplug::Value;
use tfplug::validator::{FromFn, from_fn};

use crate::cidr::Cidr;

/// An IPv4 CIDR block with host bits zero, prefix within `min..=max`.
pub fn ipv4_cidr(min: u8, max: u8) -> FromFn<impl Fn(&Value) -> Result<(), String> + Send + Sync> {
    from_fn(format!("an IPv4 CIDR block from /{min} to /{max}, e.g. \"10.0.0.0/16\""), move |v| {
        let Some(s) = v.as_str() else { return Ok(()) };
        let c = Cidr::parse(s)?;
        if !(min..=max).contains(&c.prefix()) {
            return Err(format!("{s:?}: the prefix must be from /{min} to /{max}"));
        }
        Ok(())
    })
}

/// Every element a CIDR block (IPv4 or IPv6).
pub fn cidr_set() -> FromFn<impl Fn(&Value) -> Result<(), String> + Send + Sync> {
    from_fn("IPv4 or IPv6 CIDR blocks, e.g. \"0.0.0.0/0\"", |v| {
        let Some(items) = v.as_slice() else {
            return Ok(());
        };
        if items.is_empty() {
            return Err("give at least one CIDR block".into());
        }
        for s in items.iter().filter_map(Value::as_str) {
            crate::cidr::check_any(s)?;
        }
        Ok(())
    })
}

/// A display name: 1 to `max` characters, no control characters.
pub fn display_name(max: usize) -> FromFn<impl Fn(&Value) -> Result<(), String> + Send + Sync> {
    from_fn(format!("1 to {max} printable characters"), move |v| {
        let Some(s) = v.as_str() else { return Ok(()) };
        let n = s.chars().count();
        if n == 0 || n > max {
            return Err(format!("{s:?} is {n} characters long; use 1 to {max}"));
        }
        if s.chars().any(char::is_control) {
            return Err(format!("{s:?} contains control characters"));
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tfplug::validator::Validator;
    use tfplug::{AttributePath, Diagnostics};

    fn errors(v: &dyn Validator, value: Value) -> Vec<String> {
        let mut d = Diagnostics::new();
        v.validate(&value, &AttributePath::attr("cidr"), &mut d);
        d.0.into_iter().map(|d| d.detail).collect()
    }

    #[test]
    fn cidrs() {
        let v = ipv4_cidr(16, 28);
        assert!(errors(&v, Value::from("10.2.0.0/16")).is_empty());
        assert!(errors(&v, Value::from("10.0.0.0/8"))[0].contains("/16 to /28"));
        assert!(errors(&v, Value::from("10.2.0.1/16"))[0].contains("host bits"));
        assert!(errors(&v, Value::from("10.2.0.0"))[0].contains("not a CIDR"));
        assert!(errors(&cidr_set(), Value::List(vec![])).len() == 1);
    }

    proptest! {
        #[test]
        fn cidr_checks_never_panic(s in ".{0,40}") {
            let _ = errors(&ipv4_cidr(0, 32), Value::from(s.clone()));
            let _ = crate::kinds::firewall::PortRange::parse(&s);
        }
    }
}
