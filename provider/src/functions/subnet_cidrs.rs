//! `provider::oppie::subnet_cidrs(network_cidr, tiers, zones)`: the subnet plan of a network:
//! tier t, zone z gets subnet number 10·t + z + 1 (public 10.x.1.0/24, private 10.x.11.0/24, ...).
//! Zones are the neutral ordinals subnets take (`1`, `2`, `3`), so the plan fits every cloud.

use std::collections::BTreeMap;

use crate::cidr::Cidr;
use tfplug::{Function, FunctionError, Parameter, Signature, Type, Value};

/// The function.
pub struct SubnetCidrs;

/// Zones per tier before the numbering would run into the next tier.
const ZONES_PER_TIER: usize = 10;

/// The plan: tier → zone → CIDR.
pub fn plan(
    network: &str,
    tiers: &[String],
    zones: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, String>>, FunctionError> {
    let net = Cidr::parse(network).map_err(|e| FunctionError::argument(0, e))?;
    if net.prefix() > 24 {
        return Err(FunctionError::argument(
            0,
            format!("{network} is too small: subnets are 8 bits longer, so the network needs /24 or larger (e.g. /16)"),
        ));
    }
    if zones.is_empty() || zones.len() > ZONES_PER_TIER {
        return Err(FunctionError::argument(2, format!("give 1 to {ZONES_PER_TIER} zones, not {}", zones.len())));
    }
    if tiers.is_empty() || tiers.len() * ZONES_PER_TIER >= 256 {
        return Err(FunctionError::argument(1, format!("give 1 to 25 tiers, not {}", tiers.len())));
    }
    let mut out = BTreeMap::new();
    for (t, tier) in tiers.iter().enumerate() {
        let mut per_zone = BTreeMap::new();
        for (z, zone) in zones.iter().enumerate() {
            let n = (t * ZONES_PER_TIER + z + 1) as u32;
            let sub = net.subnet(8, n).ok_or_else(|| FunctionError::new("subnet numbering out of range"))?;
            if per_zone.insert(zone.clone(), sub.to_string()).is_some() {
                return Err(FunctionError::argument(2, format!("zone {zone:?} is listed twice")));
            }
        }
        if out.insert(tier.clone(), per_zone).is_some() {
            return Err(FunctionError::argument(1, format!("tier {tier:?} is listed twice")));
        }
    }
    Ok(out)
}

impl Function for SubnetCidrs {
    fn name(&self) -> &str {
        "subnet_cidrs"
    }

    fn signature(&self) -> Signature {
        Signature {
            parameters: vec![
                Parameter::new("network_cidr", Type::String, "The network's IPv4 CIDR block, /24 or larger."),
                Parameter::new(
                    "tiers",
                    Type::list(Type::String),
                    "Subnet tiers in order, e.g. [\"public\", \"private\", \"database\"].",
                ),
                Parameter::new(
                    "zones",
                    Type::list(Type::String),
                    "Zones in order, e.g. [1, 2, 3]: the numbers `oppie_subnet.zone` takes (at most 10).",
                ),
            ],
            variadic: None,
            returns: Type::map(Type::map(Type::String)),
            summary: "Plans the subnets of a network, per tier and zone".into(),
            description: tfplug::schema::Description::markdown(
                "Returns `{tier = {zone = cidr}}`: subnets 8 bits longer than the network, numbered `10 × tier + zone + 1`, so with a /16 the public tier gets `x.y.1.0/24`, `x.y.2.0/24`, ..., private `x.y.11.0/24`, ..., database `x.y.21.0/24`, ...",
            ),
            deprecation: None,
        }
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let network = args
            .first()
            .and_then(Value::as_str)
            .ok_or_else(|| FunctionError::argument(0, "network_cidr must be a string"))?;
        let strings = |i: usize, what: &str| -> Result<Vec<String>, FunctionError> {
            args.get(i)
                .and_then(Value::as_slice)
                .ok_or_else(|| FunctionError::argument(i, format!("{what} must be a list of strings")))?
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| FunctionError::argument(i, format!("{what} must not contain null")))
                })
                .collect()
        };
        let tiers = strings(1, "tiers")?;
        let zones = strings(2, "zones")?;
        let out = plan(network, &tiers, &zones)?;
        Ok(Value::Map(
            out.into_iter()
                .map(|(t, zs)| (t, Value::Map(zs.into_iter().map(|(z, c)| (z, Value::String(c))).collect())))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn numbers_tiers_by_ten() {
        let p = plan("10.2.0.0/16", &s(&["public", "private", "database"]), &s(&["1", "2", "3"])).unwrap();
        assert_eq!(p["public"]["1"], "10.2.1.0/24");
        assert_eq!(p["public"]["3"], "10.2.3.0/24");
        assert_eq!(p["private"]["1"], "10.2.11.0/24");
        assert_eq!(p["database"]["2"], "10.2.22.0/24");
    }

    #[test]
    fn refuses_bad_networks_with_a_fix() {
        let e = plan("10.2.3.0/16", &s(&["public"]), &s(&["1"])).unwrap_err();
        assert!(e.text.contains("10.2.0.0/16"), "{}", e.text);
        assert!(plan("10.2.0.0/28", &s(&["public"]), &s(&["1"])).is_err());
        assert!(plan("10.2.0.0/16", &s(&["public"]), &s(&[])).is_err());
    }
}
