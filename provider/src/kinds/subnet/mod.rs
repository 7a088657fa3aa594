//! `oppie_subnet`: a range of a network in one zone. `public = true` routes it to the
//! internet (AWS: its own route table through the VPC's internet gateway) and changes in
//! place. Zones are neutral ordinals (`1` is the region's first zone on every cloud).

pub(crate) mod aws;
pub(crate) mod azure;
pub(crate) mod gcp;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tfplug::plan::RequiresReplace;
use tfplug::timeouts::Operation;
use tfplug::validator::from_fn;
use tfplug::{Attribute, AttributePath, Block, Context, Diagnostics, MaybeUnknown, Object, Plan};

use super::checks::ipv4_cidr;
use super::cidr_ledger;
use super::common::{self, Placement};
use super::{Api, Kind};
use crate::catalog::{self, Cloud};
use crate::cidr::Cidr;
use crate::client::Client;
use crate::clouds::{Native, Region, Tags};

/// The kind.
pub struct Subnet;

/// What the configuration asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetSpec {
    /// The network's id.
    pub network_id: String,
    /// IPv4 address range inside the network's.
    pub cidr: String,
    /// The cloud's zone suffix within the region ("a"; Azure "1"), resolved from `zone`.
    pub zone: String,
    /// Routes to the internet and gives launched machines public addresses on request.
    pub public: bool,
    /// Tags or labels, default tags merged in.
    pub tags: Tags,
}

/// What exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetState {
    /// The cloud's id.
    pub id: String,
    /// The network's id.
    pub network_id: String,
    /// IPv4 address range.
    pub cidr: String,
    /// The cloud's zone suffix.
    pub zone: String,
    /// Reachable from the internet.
    pub public: bool,
    /// Tags or labels; `None` where the cloud keeps no tags on subnets (GCP, Azure).
    pub tags: Option<Tags>,
    /// Cloud-side identifiers and attributes.
    pub native: Native,
}

#[derive(Deserialize)]
struct Planned {
    network_id: String,
    cidr: String,
    zone: String,
    public: bool,
}

#[derive(Serialize)]
struct Refreshed<'a> {
    network_id: &'a str,
    cidr: &'a str,
    public: bool,
}

/// The cloud's zone suffix `zone` means in the state's region.
fn zone_suffix(state: &Object, zone: &str) -> Result<String, String> {
    let place = common::placement_of(state).map_err(|d| d.to_string())?;
    place.catalog().zone(place.cloud, &place.region, zone)
}

#[tfplug::async_trait]
impl Kind for Subnet {
    const TYPE: &'static str = "oppie_subnet";
    const NOUN: &'static str = "subnet";
    const CLOUDS: &'static [Cloud] = &Cloud::ALL;
    const TIMEOUTS: [(Operation, Duration); 3] = [
        (Operation::Create, Duration::from_secs(600)),
        (Operation::Update, Duration::from_secs(600)),
        (Operation::Delete, Duration::from_secs(1200)),
    ];
    const LISTED_BY_NETWORK: bool = true;
    type Spec = SubnetSpec;
    type State = SubnetState;

    fn block() -> Block {
        Block::new()
            .markdown("A range of a network in one zone of the region (an AWS subnet; a GCP subnetwork, whose description records the zone its machines go to; an Azure subnet whose name carries the zone). A public subnet routes to the internet (Azure: default outbound access on; private subnets have it off); machines in it still get a public address only with `public_ip = true`.")
            .attribute(
                Attribute::string("network_id")
                    .required()
                    .plan_modifier(RequiresReplace)
                    .description("The `id` of the `oppie_network`. Changing it replaces the subnet."),
            )
            .attribute(
                Attribute::string("cidr")
                    .required()
                    .validator(ipv4_cidr(16, 28))
                    .plan_modifier(RequiresReplace)
                    .description("IPv4 range inside the network's, e.g. `10.2.1.0/24`. Changing it replaces the subnet."),
            )
            .attribute(
                Attribute::string("zone")
                    .default("1")
                    .validator(from_fn("a zone: 1, 2, 3, ... or a zone name", |v| match v.as_str() {
                        Some(s) if !s.is_empty() && s.len() <= 40 && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') => Ok(()),
                        Some(s) => Err(format!("{s:?} is not a zone: write its number in the region (1, 2, 3) or its name, e.g. \"us-east-1a\"")),
                        None => Ok(()),
                    }))
                    .description("The zone: `1`, `2`, `3`, ... (the region's first, second, third zone in the catalog's order, on every cloud), or the cloud's zone name (`us-east-1a`, `us-east1-b`, Azure `2`). Default `1`. Changing it to a different zone replaces the subnet."),
            )
            .attribute(
                Attribute::string("native_zone")
                    .computed()
                    .description("The cloud's name of the zone, e.g. `us-east-1a`, `us-east1-b`, or Azure `1`."),
            )
            .attribute(
                Attribute::bool("public")
                    .default(false)
                    .description("Route to the internet (AWS: a route table with a default route through the network's internet gateway, and public addresses for machines that ask). Changes in place."),
            )
    }

    fn api(region: &Region) -> Option<Arc<dyn Api<Self>>> {
        Some(match region {
            Region::Aws(r) => r.clone(),
            Region::Gcp(r) => r.clone(),
            Region::Azure(r) => r.clone(),
        })
    }

    async fn plan(_ctx: &Context<Client>, plan: &mut Plan, place: Option<&Placement>, diags: &mut Diagnostics) {
        let zone_path = AttributePath::attr("zone");
        let zone = plan.planned.attr("zone").as_str().map(str::to_string);
        match (place, &zone) {
            (Some(p), Some(zone)) => match p.catalog().zone(p.cloud, &p.region, zone) {
                Ok(suffix) => {
                    let native = catalog::native_zone(p.cloud, &p.region, &suffix);
                    diags.absorb(plan.planned.set_attr("native_zone", &native));
                    // The same zone spelled differently (`a` before, `1` now) changes nothing in the
                    // cloud: an update in place of the spelling, not a replacement.
                    let prior = plan.prior.attr("zone").as_str().map(str::to_string);
                    if let Some(prior) = prior
                        && prior != *zone
                        && zone_suffix(&plan.prior, &prior).as_deref() != Ok(suffix.as_str())
                    {
                        plan.requires_replace.push(zone_path.clone());
                    }
                }
                Err(e) => diags.add_attribute_error(zone_path, "Unknown zone", e),
            },
            _ => {
                diags.absorb(plan.planned.set_attr("native_zone", &MaybeUnknown::<String>::Unknown));
            }
        }
        if let Some(cidr) = plan.planned.attr("cidr").as_str().and_then(|c| Cidr::parse(c).ok()) {
            let network = plan.planned.get_at::<MaybeUnknown<String>>(&AttributePath::attr("network_id"));
            let network = network.ok().and_then(MaybeUnknown::into_known);
            if let Err(problem) = cidr_ledger::planned_subnet(network.as_deref(), cidr) {
                diags.add_attribute_error(AttributePath::attr("cidr"), "Subnet range does not fit", problem);
            }
        }
        let changed = common::changed(plan, "public");
        diags.absorb(common::plan_native(plan, changed));
    }

    fn spec(state: &Object) -> Result<SubnetSpec, Diagnostics> {
        let p: Planned = state.get()?;
        let zone = zone_suffix(state, &p.zone)
            .map_err(|e| Diagnostics::attribute_error(AttributePath::attr("zone"), "Unknown zone", e))?;
        Ok(SubnetSpec {
            network_id: p.network_id,
            cidr: p.cidr,
            zone,
            public: p.public,
            tags: common::planned_tags(state)?,
        })
    }

    fn label(spec: &SubnetSpec) -> String {
        spec.cidr.clone()
    }

    fn refresh(ctx: &Context<Client>, state: &mut Object, s: &SubnetState) -> Result<(), Diagnostics> {
        state.merge(&Refreshed { network_id: &s.network_id, cidr: &s.cidr, public: s.public })?;
        // Keep the configured spelling of the zone while it names the same zone; otherwise
        // (an import, a subnet moved out of band) write its neutral ordinal where the catalog
        // knows the region's zones, as the docs spell zones.
        let same = state.attr("zone").as_str().is_some_and(|z| zone_suffix(state, z).as_deref() == Ok(s.zone.as_str()));
        if !same {
            let ordinal = common::placement_of(state).ok().and_then(|p| {
                let zones = p.catalog().zones(&p.region)?;
                zones.iter().position(|z| *z == s.zone).map(|i| (i + 1).to_string())
            });
            state.set_attr("zone", &ordinal.unwrap_or_else(|| s.zone.clone()))?;
        }
        if let Ok(p) = common::placement_of(state) {
            state.set_attr("native_zone", &catalog::native_zone(p.cloud, &p.region, &s.zone))?;
        }
        common::set_refreshed_tags_if_kept(ctx, state, s.tags.as_ref())?;
        common::set_ids(state, &s.id, Some(&s.native))
    }

    fn applied(state: &mut Object, s: &SubnetState) -> Result<(), Diagnostics> {
        common::fill(state, "native", &s.native)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::testing::Harness;

    #[test]
    fn zones_are_ordinals_on_every_cloud() {
        let h = Harness::new();
        for (cloud, native) in [("aws", "us-east-1a"), ("gcp", "us-east1-b"), ("azure", "1")] {
            let planned = h.plan::<Subnet>(&[
                ("cloud", cloud),
                ("region", "us-east"),
                ("network_id", "n-1"),
                ("cidr", "10.9.1.0/24"),
                ("zone", "1"),
            ]);
            assert_eq!(planned.attr("native_zone").as_str(), Some(native), "{cloud}");
        }
        let d = h.plan_errors::<Subnet>(&[
            ("cloud", "gcp"),
            ("region", "eu-west"),
            ("network_id", "n-2"),
            ("cidr", "10.9.2.0/24"),
            ("zone", "a"),
        ]);
        assert!(d.iter().any(|e| e.contains("europe-west1-b")), "{d:?}");
    }

    #[test]
    fn a_zone_spelled_differently_is_no_change() {
        let h = Harness::new();
        let prior = h.plan::<Subnet>(&[
            ("cloud", "aws"),
            ("region", "us-east"),
            ("network_id", "n-3"),
            ("cidr", "10.9.3.0/24"),
            ("zone", "a"),
        ]);
        let (planned, replace) = h.replan::<Subnet>(&prior, &[("zone", "1")]);
        assert_eq!(planned.attr("native_zone").as_str(), Some("us-east-1a"));
        assert!(replace.is_empty(), "{replace:?}");
        let (_, replace) = h.replan::<Subnet>(&prior, &[("zone", "2")]);
        assert_eq!(replace, vec![AttributePath::attr("zone")]);
    }
}
