//! NAT for a network's private subnets: `nat = "none" | "single" | "per_zone"` with the zones
//! in `nat_zones`. What each cloud makes is in its `nat_<cloud>.rs`; this file holds the
//! neutral part: the attributes, their plan (the gateway count the cost is priced by) and the
//! ranges AWS reserves for its NAT subnets.

use tfplug::validator::one_of;
use tfplug::{Attribute, AttributePath, Diagnostics, MaybeUnknown, Plan, Type, Value};

use super::super::common::Placement;
use crate::catalog::Cloud;
use crate::cidr::Cidr;

/// How private subnets reach the internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NatMode {
    /// Not at all.
    #[default]
    None,
    /// Through one gateway (in the first of `nat_zones`).
    Single,
    /// Through a gateway in each of `nat_zones`, subnets using their own zone's.
    PerZone,
}

impl NatMode {
    /// The key users write.
    pub fn key(self) -> &'static str {
        match self {
            NatMode::None => "none",
            NatMode::Single => "single",
            NatMode::PerZone => "per_zone",
        }
    }

    /// Parses a key.
    pub fn parse(s: &str) -> Option<NatMode> {
        [NatMode::None, NatMode::Single, NatMode::PerZone].into_iter().find(|m| m.key() == s)
    }
}

/// The NAT a network asks for (or has).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Nat {
    /// The mode.
    pub mode: NatMode,
    /// The cloud's zone suffixes of the gateways ("a", "b"; Azure "1"), in order; empty for none.
    pub zones: Vec<String>,
}

/// The NAT attributes of `oppie_network`.
pub fn attributes() -> Vec<Attribute> {
    vec![
        Attribute::string("nat")
            .default("none")
            .validator(one_of(["none", "single", "per_zone"]))
            .description("Internet access for private subnets: `none` (default), `single` (one NAT gateway, in the first of `nat_zones`) or `per_zone` (one in each of `nat_zones`; private subnets use their zone's). AWS: NAT gateways with elastic IPs in small subnets of their own (see `nat_zones`); GCP: a Cloud Router with Cloud NAT; Azure: NAT gateways with public IPs. GCP takes `single` only (Cloud NAT is regional). Built on AWS and GCP so far: Azure refuses `nat` at plan. Changes in place."),
        Attribute::new("nat_zones", Type::list(Type::String))
            .optional()
            .computed()
            .description("The zones of the NAT gateways (`1`, `2`, ... or zone names); default `[\"1\"]` for `single`, required for `per_zone`. On AWS each takes a /28 at the top of the network's range (zone by zone, downwards) for its public subnet: keep your subnets out of it. Changes in place."),
        Attribute::number("nat_gateways")
            .computed()
            .description("How many NAT gateways the network has (what `nat` is priced by)."),
        Attribute::number("expected_nat_data_gb")
            .optional()
            .computed()
            .description("GB through the NAT gateways a month, for the cost estimate (billed per GB on every cloud). Unset with NAT: priced at 0 and said so; 0 without NAT."),
    ]
}

/// The /28 that NAT zone number `index` (0-based) takes on AWS: the top of the range, downwards.
pub fn aws_nat_subnet(network: Cidr, index: usize) -> Option<Cidr> {
    let net = network.to_string();
    let (addr, prefix) = net.split_once('/')?;
    let prefix: u32 = prefix.parse().ok()?;
    if prefix > 26 {
        return None;
    }
    let base = u32::from(addr.parse::<std::net::Ipv4Addr>().ok()?);
    let size = 1u32 << (32 - prefix);
    let offset = size.checked_sub(16 * (u32::try_from(index).ok()? + 1))?;
    Cidr::parse(&format!("{}/28", std::net::Ipv4Addr::from(base + offset))).ok()
}

/// Plans the NAT attributes: `nat_zones` defaults, the gateway count, the data estimate.
/// Returns the NAT subnets AWS will take, so the ledger can refuse subnets that overlap them.
pub fn plan(plan: &mut Plan, place: Option<&Placement>, diags: &mut Diagnostics) -> Vec<Cidr> {
    let mode = plan.planned.attr("nat").as_str().and_then(NatMode::parse);
    let zones_cfg = plan.config.attr("nat_zones").clone();
    let zones_path = AttributePath::attr("nat_zones");
    let zones: MaybeUnknown<Vec<String>> = match (&mode, &zones_cfg) {
        (_, v) if v.is_unknown() || !v.is_wholly_known() => MaybeUnknown::Unknown,
        (Some(NatMode::None), v) if !v.is_null() && v.as_slice().is_some_and(|s| !s.is_empty()) => {
            diags.add_attribute_error(
                zones_path.clone(),
                "nat_zones without NAT",
                "Set nat to single or per_zone, or remove nat_zones.",
            );
            MaybeUnknown::Known(Vec::new())
        }
        (Some(NatMode::None), _) => MaybeUnknown::Known(Vec::new()),
        (Some(NatMode::Single), Value::Null) => MaybeUnknown::Known(vec!["1".to_string()]),
        (Some(NatMode::PerZone), Value::Null) => {
            diags.add_attribute_error(
                zones_path.clone(),
                "per_zone NAT needs its zones",
                "Set nat_zones to the zones of your private subnets, e.g. [1, 2].",
            );
            MaybeUnknown::Known(Vec::new())
        }
        (Some(m), v) => {
            let list: Vec<String> =
                v.as_slice().unwrap_or(&[]).iter().filter_map(|z| z.as_str().map(str::to_string)).collect();
            if list.is_empty() || (*m == NatMode::Single && list.len() != 1) {
                diags.add_attribute_error(
                    zones_path.clone(),
                    "Wrong number of NAT zones",
                    "single takes one zone, per_zone one or more.",
                );
            }
            let mut seen = std::collections::BTreeSet::new();
            if list.iter().any(|z| !seen.insert(z.clone())) {
                diags.add_attribute_error(zones_path.clone(), "NAT zone listed twice", "Name each zone once.");
            }
            MaybeUnknown::Known(list)
        }
        (None, _) => MaybeUnknown::Unknown,
    };
    // Each zone must exist in the region.
    let mut suffixes = Vec::new();
    if let (Some(p), MaybeUnknown::Known(list)) = (place, &zones) {
        for z in list {
            match p.catalog().zone(p.cloud, &p.region, z) {
                Ok(s) => suffixes.push(s),
                Err(e) => diags.add_attribute_error(zones_path.clone(), "Unknown zone", e),
            }
        }
    }
    diags.absorb(plan.planned.set_attr("nat_zones", &zones));
    let count: MaybeUnknown<i64> = match &zones {
        MaybeUnknown::Known(z) => MaybeUnknown::Known(i64::try_from(z.len()).unwrap_or(0)),
        MaybeUnknown::Unknown => MaybeUnknown::Unknown,
    };
    diags.absorb(plan.planned.set_attr("nat_gateways", &count));
    if plan.config.attr("expected_nat_data_gb").is_null() {
        // Without NAT nothing is processed: 0, so the estimate is complete; with NAT the
        // amount is the user's to estimate.
        let v: Option<i64> = (mode == Some(NatMode::None)).then_some(0);
        diags.absorb(plan.planned.set_attr("expected_nat_data_gb", &v));
    }
    let mut reserved = Vec::new();
    if place.is_some_and(|p| p.cloud == Cloud::Aws)
        && let (Some(cidr), MaybeUnknown::Known(list)) =
            (plan.planned.attr("cidr").as_str().and_then(|c| Cidr::parse(c).ok()), &zones)
    {
        for i in 0..list.len() {
            match aws_nat_subnet(cidr, i) {
                Some(c) => reserved.push(c),
                None => diags.add_attribute_error(
                    AttributePath::attr("cidr"),
                    "Network too small for NAT",
                    format!(
                        "NAT on AWS takes a /28 per zone at the top of the range; {cidr} has no room for {}.",
                        list.len()
                    ),
                ),
            }
        }
    }
    reserved
}

/// The clouds NAT is built on so far.
pub const NAT_CLOUDS: &[Cloud] = &[Cloud::Aws, Cloud::Gcp];

/// Refuses NAT on a cloud it is not built on yet, at plan, naming the clouds that have it.
pub fn check_cloud(plan: &Plan, place: Option<&Placement>, diags: &mut Diagnostics) {
    let Some(p) = place else { return };
    let mode = plan.planned.attr("nat").as_str().and_then(NatMode::parse);
    if NAT_CLOUDS.contains(&p.cloud) || mode.is_none_or(|m| m == NatMode::None) {
        return;
    }
    let have: Vec<&str> = NAT_CLOUDS.iter().map(|c| c.key()).collect();
    diags.extend(super::super::common::not_on(
        p.cloud,
        AttributePath::attr("nat"),
        "nat",
        &format!(
            "NAT on oppie_network exists on {} so far; set nat = \"none\" here (or use one of those clouds).",
            have.join(", ")
        ),
    ));
}

/// The NAT of a planned or stored state, zones resolved to the cloud's suffixes.
pub fn of_state(state: &tfplug::Object) -> Result<Nat, Diagnostics> {
    let mode = state.attr("nat").as_str().and_then(NatMode::parse).unwrap_or_default();
    let zones: Vec<String> =
        state.get_at::<Option<Vec<String>>>(&AttributePath::attr("nat_zones")).unwrap_or(None).unwrap_or_default();
    let place = super::super::common::placement_of(state)?;
    let zones = zones
        .iter()
        .map(|z| {
            place
                .catalog()
                .zone(place.cloud, &place.region, z)
                .map_err(|e| Diagnostics::attribute_error(AttributePath::attr("nat_zones"), "Unknown zone", e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Nat { mode, zones })
}

/// Writes what the cloud has into a refreshed state, keeping the configured zone spelling
/// while it names the same zones.
pub fn refresh(state: &mut tfplug::Object, actual: &Nat) -> Result<(), Diagnostics> {
    // An imported state has neither attribute yet: both are written then.
    let unset = state.attr("nat").is_null() || state.attr("nat_zones").is_null();
    let same = of_state(state).is_ok_and(|n| n == *actual);
    if !same || unset {
        state.set_attr("nat", &actual.mode.key())?;
        let place = super::super::common::placement_of(state)?;
        let zones: Vec<String> = actual
            .zones
            .iter()
            .map(|s| {
                place
                    .catalog()
                    .zones(&place.region)
                    .and_then(|zs| zs.iter().position(|z| z == s))
                    .map_or(s.clone(), |i| (i + 1).to_string())
            })
            .collect();
        state.set_attr("nat_zones", &zones)?;
    }
    state.set_attr("nat_gateways", &i64::try_from(actual.zones.len()).unwrap_or(0))?;
    if actual.mode == NatMode::None && state.attr("expected_nat_data_gb").is_null() {
        state.set_attr("expected_nat_data_gb", &0i64)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_nat_subnets_take_the_top_of_the_range() {
        let net = Cidr::parse("10.2.0.0/16").unwrap();
        assert_eq!(aws_nat_subnet(net, 0).unwrap().to_string(), "10.2.255.240/28");
        assert_eq!(aws_nat_subnet(net, 1).unwrap().to_string(), "10.2.255.224/28");
        assert!(aws_nat_subnet(Cidr::parse("10.2.0.0/28").unwrap(), 0).is_none());
    }
}
