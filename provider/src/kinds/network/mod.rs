//! `oppie_network`: a private network (AWS VPC) with an IPv4 range; public subnets route
//! to the internet through it. Name and tags change in place; a new range replaces it.

pub(crate) mod aws;
pub(crate) mod azure;
pub(crate) mod gcp;
mod neutral;

pub use neutral::*;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tfplug::plan::RequiresReplace;
use tfplug::timeouts::Operation;
use tfplug::{
    ApplyResponse, Attribute, AttributePath, Block, Context, Diagnostics, MaybeUnknown, Object, Plan, Private,
    ReadResponse, Schema,
};

use super::checks::{display_name, ipv4_cidr};
use super::common::{self, Budget};
use super::cidr_ledger;
use crate::catalog::Cloud;
use crate::clouds::{Tags, creation_token};
use crate::functions::subnet_cidrs::Cidr;
use crate::provider::Client;

/// The resource type.
pub struct Network;

const TIMEOUTS: [(Operation, Duration); 3] = [
    (Operation::Create, Duration::from_secs(600)),
    (Operation::Update, Duration::from_secs(600)),
    (Operation::Delete, Duration::from_secs(1200)),
];

#[derive(Deserialize)]
struct Planned {
    name: String,
    cidr: String,
    resource_group: MaybeUnknown<Option<String>>,
}

#[derive(Serialize)]
struct Refreshed<'a> {
    name: &'a str,
    cidr: &'a str,
}

fn spec(state: &Object) -> Result<NetworkSpec, Diagnostics> {
    let p: Planned = state.get()?;
    Ok(NetworkSpec {
        name: p.name,
        cidr: p.cidr,
        tags: common::planned_tags(state)?,
        resource_group: p.resource_group.into_known().flatten(),
    })
}

fn refresh(ctx: &Context<Client>, state: &mut Object, n: &NetworkState) -> Result<(), Diagnostics> {
    state.merge(&Refreshed { name: &n.name, cidr: &n.cidr })?;
    if let Some(rg) = &n.resource_group {
        state.set_attr("resource_group", rg)?;
    }
    common::set_refreshed_tags_if_kept(ctx, state, n.tags.as_ref())?;
    common::set_ids(state, &n.id, Some(&n.native))
}

#[tfplug::async_trait]
impl tfplug::Resource<Client> for Network {
    fn type_name(&self) -> &str {
        "oppie_network"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            common::with_common(
                Block::new()
                    .markdown("A private network with one IPv4 range: an AWS VPC with an internet gateway for public subnets, a custom-mode GCP VPC network, or an Azure virtual network in a resource group.")
                    .attribute(
                        Attribute::string("name")
                            .required()
                            .validator(display_name(255))
                            .description("Display name (on AWS the `Name` tag). Changes in place on AWS; replaces the network on GCP, where it is the network's name."),
                    )
                    .attribute(
                        Attribute::string("cidr")
                            .required()
                            .validator(ipv4_cidr(8, 28))
                            .plan_modifier(RequiresReplace)
                            .description("IPv4 range, e.g. `10.2.0.0/16` (AWS: /16 to /28). Changing it replaces the network."),
                    )
                    .attribute(common::resource_group_attribute()),
                &TIMEOUTS,
            ),
        )
    }

    async fn modify_plan(&self, ctx: &Context<Client>, plan: &mut Plan) -> Result<(), Diagnostics> {
        if plan.is_destroy() {
            return Ok(());
        }
        let placement = common::plan_common(ctx, plan)?;
        common::plan_resource_group(plan, placement.as_ref())?;
        common::azure_name_replaces(plan, placement.as_ref());
        if let (Some(p), Some(cidr)) = (&placement, plan.planned.attr("cidr").as_str())
            && p.cloud == Cloud::Aws
            && let Ok(c) = Cidr::parse(cidr)
            && !(16..=28).contains(&c.prefix)
        {
            return Err(Diagnostics::attribute_error(
                AttributePath::attr("cidr"),
                "Network range not allowed on AWS",
                format!("AWS VPCs take a /16 to /28 range; {cidr} is /{}.", c.prefix),
            ));
        }
        common::check_gcp_name(placement.as_ref(), plan, crate::clouds::gcp::NAME_MAX)?;
        // GCP networks cannot be renamed.
        if placement.as_ref().is_some_and(|p| p.cloud == Cloud::Gcp)
            && !plan.prior.is_null()
            && common::changed(plan, "name")
        {
            plan.requires_replace.push(AttributePath::attr("name"));
        }
        if let Some(cidr) = plan.planned.attr("cidr").as_str().and_then(|c| Cidr::parse(c).ok()) {
            let id = plan.planned.attr("id").as_str().map(str::to_string);
            cidr_ledger::planned_network(id, cidr);
        }
        common::plan_native(plan, false)
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
        let what = format!("creating network {}", spec.name);
        let token = creation_token();
        let id = budget.run(ctx, &what, backend.create_network(&spec, &token)).await?;
        // From here on the network exists: keep its id in state whatever happens next.
        common::set_ids(&mut resp.state, &id, None)?;
        budget.run(ctx, &what, backend.update_network(&id, &spec)).await?;
        let n = budget.run(ctx, &what, backend.read_network(&id)).await?;
        let n = n.ok_or_else(|| {
            Diagnostics::error("Network vanished", format!("{id} disappeared right after it was created."))
        })?;
        resp.state.set_attr("resource_group", &n.resource_group)?;
        common::set_ids(&mut resp.state, &id, Some(&n.native))
    }

    async fn read(&self, ctx: &Context<Client>, resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        let id: String = resp.state.get_at(&AttributePath::attr("id"))?;
        let backend = common::backend(ctx, &resp.state).await?;
        let r = backend.read_network(&id).await.map_err(|e| e.to_diagnostics("reading network"))?;
        match r {
            Some(n) => {
                if let Ok(c) = Cidr::parse(&n.cidr) {
                    cidr_ledger::planned_network(Some(n.id.clone()), c);
                }
                refresh(ctx, &mut resp.state, &n)
            }
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
        let what = format!("updating network {}", spec.name);
        budget.run(ctx, &what, backend.update_network(&id, &spec)).await?;
        let n = budget.run(ctx, &what, backend.read_network(&id)).await?;
        common::fill_native(&mut resp.state, n.map(|n| n.native))
    }

    async fn delete(&self, ctx: &Context<Client>, prior: &Object, _private: &Private) -> Result<(), Diagnostics> {
        let id: String = prior.get_at(&AttributePath::attr("id"))?;
        let backend = common::backend(ctx, prior).await?;
        let budget = Budget::new(prior, Operation::Delete, TIMEOUTS[2].1)?;
        budget.run(ctx, &format!("deleting network {id}"), backend.delete_network(&id)).await
    }

    async fn import(&self, ctx: &Context<Client>, id: &str, resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        let (_, cloud, region, native_id) = common::import_placement(ctx, id)?;
        resp.state.set_attr("cloud", &cloud)?;
        resp.state.set_attr("region", &region)?;
        resp.state.set_attr("tags", &Option::<Tags>::None)?;
        common::set_ids(&mut resp.state, &native_id, None)
    }
}
