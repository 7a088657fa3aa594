//! `provider::oppie::subnet_cidrs(network_cidr, tiers, zones)`: the subnet plan of a network:
//! tier t, zone z gets subnet number 10·t + z + 1 (public 10.x.1.0/24, private 10.x.11.0/24, ...).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use tfplug::{Function, FunctionError, Parameter, Signature, Type, Value};

/// The function.
pub struct SubnetCidrs;

/// Zones per tier before the numbering would run into the next tier.
const ZONES_PER_TIER: usize = 10;

/// A parsed IPv4 CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// Network address.
    pub addr: u32,
    /// Prefix length.
    pub prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n`, requiring the host bits to be zero.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let (ip, len) =
            text.split_once('/').ok_or_else(|| format!("{text:?} is not a CIDR block like \"10.0.0.0/16\""))?;
        let ip: Ipv4Addr = ip.parse().map_err(|_| format!("{text:?}: {ip:?} is not an IPv4 address"))?;
        let prefix: u8 =
            len.parse().ok().filter(|p| *p <= 32).ok_or_else(|| format!("{text:?}: prefix /{len} must be 0 to 32"))?;
        let addr = u32::from(ip);
        let c = Cidr { addr, prefix };
        if addr & !c.mask() != 0 {
            let fixed = Cidr { addr: addr & c.mask(), prefix };
            return Err(format!("{text:?} has host bits set; did you mean \"{fixed}\"?"));
        }
        Ok(c)
    }

    /// The netmask.
    pub fn mask(self) -> u32 {
        if self.prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(self.prefix)) }
    }

    /// True if `other` lies entirely inside this block.
    pub fn contains(self, other: Cidr) -> bool {
        other.prefix >= self.prefix && other.addr & self.mask() == self.addr
    }

    /// True if the two blocks share any address.
    pub fn overlaps(self, other: Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }

    /// The `n`-th subnet with `new_bits` more prefix bits.
    pub fn subnet(self, new_bits: u8, n: u32) -> Option<Cidr> {
        let prefix = self.prefix.checked_add(new_bits).filter(|p| *p <= 32)?;
        if u64::from(n) >= 1u64 << new_bits {
            return None;
        }
        let shift = 32 - u32::from(prefix);
        let offset = if shift == 32 { 0 } else { n << shift };
        Some(Cidr { addr: self.addr | offset, prefix })
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.addr), self.prefix)
    }
}

/// The plan: tier → zone → CIDR.
pub fn plan(
    network: &str,
    tiers: &[String],
    zones: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, String>>, FunctionError> {
    let net = Cidr::parse(network).map_err(|e| FunctionError::argument(0, e))?;
    if net.prefix > 24 {
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
                Parameter::new("zones", Type::list(Type::String), "Zones, e.g. [\"a\", \"b\", \"c\"] (at most 10)."),
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
        let p = plan("10.2.0.0/16", &s(&["public", "private", "database"]), &s(&["a", "b", "c"])).unwrap();
        assert_eq!(p["public"]["a"], "10.2.1.0/24");
        assert_eq!(p["public"]["c"], "10.2.3.0/24");
        assert_eq!(p["private"]["a"], "10.2.11.0/24");
        assert_eq!(p["database"]["b"], "10.2.22.0/24");
    }

    #[test]
    fn refuses_bad_networks_with_a_fix() {
        let e = plan("10.2.3.0/16", &s(&["public"]), &s(&["a"])).unwrap_err();
        assert!(e.text.contains("10.2.0.0/16"), "{}", e.text);
        assert!(plan("10.2.0.0/28", &s(&["public"]), &s(&["a"])).is_err());
        assert!(plan("10.2.0.0/16", &s(&["public"]), &s(&[])).is_err());
    }

    #[test]
    fn cidr_math() {
        let net = Cidr::parse("10.0.0.0/16").unwrap();
        let sub = Cidr::parse("10.0.5.0/24").unwrap();
        assert!(net.contains(sub));
        assert!(!sub.contains(net));
        assert!(net.overlaps(sub));
        assert!(!Cidr::parse("10.1.0.0/16").unwrap().overlaps(sub));
        assert_eq!(Cidr::parse("0.0.0.0/0").unwrap().mask(), 0);
    }
}
