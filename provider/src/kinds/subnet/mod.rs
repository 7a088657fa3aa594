//! `oppie_subnet`: a range of a network in one zone. `public = true` routes it to the
//! internet (AWS: own route table via the VPC's internet gateway) and changes in place.

pub(crate) mod aws;
pub(crate) mod azure;
pub(crate) mod gcp;
mod neutral;

pub use neutral::*;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tfplug::plan::RequiresReplace;
use tfplug::timeouts::Operation;
use tfplug::validator::from_fn;
use tfplug::{
    ApplyResponse, Attribute, AttributePath, Block, Context, Diagnostics, MaybeUnknown, Object, Plan, Private,
    ReadResponse, Schema,
};

use super::checks::ipv4_cidr;
use super::common::{self, Budget};
use super::cidr_ledger;
use crate::catalog::Cloud;
use crate::clouds::{Tags, creation_token};
use crate::functions::subnet_cidrs::Cidr;
use crate::provider::Client;

/// The resource type.
pub struct Subnet;

const TIMEOUTS: [(Operation, Duration); 3] = [
    (Operation::Create, Duration::from_secs(600)),
    (Operation::Update, Duration::from_secs(600)),
    (Operation::Delete, Duration::from_secs(1200)),
];

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
    zone: &'a str,
    public: bool,
}

fn spec(state: &Object) -> Result<SubnetSpec, Diagnostics> {
    let p: Planned = state.get()?;
    Ok(SubnetSpec {
        network_id: p.network_id,
        cidr: p.cidr,
        zone: p.zone,
        public: p.public,
        tags: common::planned_tags(state)?,
    })
}

fn refresh(ctx: &Context<Client>, state: &mut Object, s: &SubnetState) -> Result<(), Diagnostics> {
    state.merge(&Refreshed { network_id: &s.network_id, cidr: &s.cidr, zone: &s.zone, public: s.public })?;
    common::set_refreshed_tags_if_kept(ctx, state, s.tags.as_ref())?;
    common::set_ids(state, &s.id, Some(&s.native))
}

/// The catalog zone a suffix names: Azure numbers its zones, and a letter counts from
/// "a" = "1" there.
fn zone_on(cloud: Cloud, zone: &str) -> String {
    match cloud {
        Cloud::Azure => crate::clouds::azure::zone_number(zone),
        _ => zone.to_string(),
    }
}

#[tfplug::async_trait]
impl tfplug::Resource<Client> for Subnet {
    fn type_name(&self) -> &str {
        "oppie_subnet"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            common::with_common(
                Block::new()
                    .markdown("A range of a network in one zone of the region (an AWS subnet; an Azure subnet whose name carries the zone, `a` being Azure zone 1). A public subnet routes to the internet (Azure: default outbound access on; private subnets have it off); machines in it still get a public address only with `public_ip = true`.")
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
                            .default("a")
                            .validator(from_fn("a zone suffix such as \"a\"", |v| match v.as_str() {
                                Some(s) if (1..=2).contains(&s.len()) && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) => Ok(()),
                                Some(s) => Err(format!("{s:?} is not a zone suffix: write the letter of the zone, e.g. \"a\"")),
                                None => Ok(()),
                            }))
                            .plan_modifier(RequiresReplace)
                            .description("Zone suffix within the region (`a`, `b`, ...; the catalog lists each region's zones). Default `a`. Changing it replaces the subnet."),
                    )
                    .attribute(
                        Attribute::bool("public")
                            .default(false)
                            .description("Route to the internet (AWS: a route table with a default route through the network's internet gateway, and public addresses for machines that ask). Changes in place."),
                    ),
                &TIMEOUTS,
            ),
        )
    }

    async fn modify_plan(&self, ctx: &Context<Client>, plan: &mut Plan) -> Result<(), Diagnostics> {
        if plan.is_destroy() {
            return Ok(());
        }
        let placement = common::plan_common(ctx, plan)?;
        if let (Some(p), Some(zone)) = (&placement, plan.planned.attr("zone").as_str())
            && let Some(zones) = p.catalog().zones(&p.region)
            && !zones.iter().any(|z| *z == zone_on(p.cloud, zone))
        {
            return Err(Diagnostics::attribute_error(
                AttributePath::attr("zone"),
                "Unknown zone",
                format!("{} region {} has zones {}; there is no zone {zone:?}.", p.cloud, p.region, zones.join(", ")),
            ));
        }
        if let Some(cidr) = plan.planned.attr("cidr").as_str().and_then(|c| Cidr::parse(c).ok()) {
            let network: MaybeUnknown<String> = plan.planned.get_at(&AttributePath::attr("network_id"))?;
            if let Err(problem) = cidr_ledger::planned_subnet(network.known().map(String::as_str), cidr) {
                return Err(Diagnostics::attribute_error(
                    AttributePath::attr("cidr"),
                    "Subnet range does not fit",
                    problem,
                ));
            }
        }
        let changed = common::changed(plan, "public");
        common::plan_native(plan, changed)
    }

    async fn create(
        &self,
        ctx: &Context<Client>,
        _config: &Object,
        resp: &mut ApplyResponse,
    ) -> Result<(), Diagnostics> {
        let spec = spec(&resp.state)?;
        let backend = common::backend(ctx, &resp.state).await?;
        let budget = Budget::new(&resp.state, Operation::Create, TIMEOUTS[0].1)?;
        let what = format!("creating subnet {}", spec.cidr);
        let token = creation_token();
        let id = budget.run(ctx, &what, backend.create_subnet(&spec, &token)).await?;
        common::set_ids(&mut resp.state, &id, None)?;
        budget.run(ctx, &what, backend.update_subnet(&id, &spec)).await?;
        let s = budget.run(ctx, &what, backend.read_subnet(&id)).await?;
        common::set_ids(&mut resp.state, &id, Some(&s.map(|s| s.native).unwrap_or_default()))
    }

    async fn read(&self, ctx: &Context<Client>, resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        let id: String = resp.state.get_at(&AttributePath::attr("id"))?;
        let backend = common::backend(ctx, &resp.state).await?;
        match backend.read_subnet(&id).await.map_err(|e| e.to_diagnostics("reading subnet"))? {
            Some(s) => refresh(ctx, &mut resp.state, &s),
            None => {
                resp.state.set_null();
                Ok(())
            }
        }
    }

    async fn update(
        &self,
        ctx: &Context<Client>,
        _prior: &Object,
        _config: &Object,
        resp: &mut ApplyResponse,
    ) -> Result<(), Diagnostics> {
        let spec = spec(&resp.state)?;
        let id: String = resp.state.get_at(&AttributePath::attr("id"))?;
        let backend = common::backend(ctx, &resp.state).await?;
        let budget = Budget::new(&resp.state, Operation::Update, TIMEOUTS[1].1)?;
        let what = format!("updating subnet {id}");
        budget.run(ctx, &what, backend.update_subnet(&id, &spec)).await?;
        let s = budget.run(ctx, &what, backend.read_subnet(&id)).await?;
        common::fill_native(&mut resp.state, s.map(|s| s.native))
    }

    async fn delete(&self, ctx: &Context<Client>, prior: &Object, _private: &Private) -> Result<(), Diagnostics> {
        let id: String = prior.get_at(&AttributePath::attr("id"))?;
        let backend = common::backend(ctx, prior).await?;
        let budget = Budget::new(prior, Operation::Delete, TIMEOUTS[2].1)?;
        budget.run(ctx, &format!("deleting subnet {id}"), backend.delete_subnet(&id)).await
    }

    async fn import(&self, ctx: &Context<Client>, id: &str, resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        let (_, cloud, region, native_id) = common::import_placement(ctx, id)?;
        resp.state.set_attr("cloud", &cloud)?;
        resp.state.set_attr("region", &region)?;
        resp.state.set_attr("tags", &Option::<Tags>::None)?;
        common::set_ids(&mut resp.state, &native_id, None)
    }
}
