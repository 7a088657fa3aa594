//! `oppie_network`: a private network with one IPv4 range (an AWS VPC with an internet
//! gateway, a custom-mode GCP VPC network, an Azure virtual network). Name and tags change
//! in place where the cloud allows; a new range replaces it.

pub(crate) mod aws;
pub(crate) mod azure;
pub(crate) mod gcp;
pub mod nat;
mod nat_aws;
mod nat_gcp;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tfplug::plan::RequiresReplace;
use tfplug::timeouts::Operation;
use tfplug::{Attribute, Block, Context, Diagnostics, MaybeUnknown, Object, Plan};

use super::checks::{display_name, ipv4_cidr};
use super::cidr_ledger;
use super::common::{self, Placement};
use super::{Api, Kind};
use crate::catalog::Cloud;
use crate::cidr::Cidr;
use crate::client::Client;
use crate::clouds::{Native, Region, Tags};

/// The kind.
pub struct Network;

/// What the configuration asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSpec {
    /// Display name (AWS: the Name tag).
    pub name: String,
    /// IPv4 address range.
    pub cidr: String,
    /// Tags or labels, default tags merged in.
    pub tags: Tags,
    /// Azure only: the resource group to create the network in (default: one of its own).
    pub resource_group: Option<String>,
    /// NAT for private subnets.
    pub nat: nat::Nat,
}

/// What exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkState {
    /// The cloud's id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// IPv4 address range.
    pub cidr: String,
    /// Tags or labels (provider-reserved ones removed); `None` where the cloud keeps no
    /// tags on networks (GCP): the configured ones then stay as they are in state.
    pub tags: Option<Tags>,
    /// Azure only: the resource group holding the network.
    pub resource_group: Option<String>,
    /// Cloud-side identifiers and attributes worth showing.
    pub native: Native,
    /// The NAT it has.
    pub nat: nat::Nat,
}

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

#[tfplug::async_trait]
impl Kind for Network {
    const TYPE: &'static str = "oppie_network";
    const NOUN: &'static str = "network";
    const CLOUDS: &'static [Cloud] = &Cloud::ALL;
    const TIMEOUTS: [(Operation, Duration); 3] = [
        (Operation::Create, Duration::from_secs(600)),
        (Operation::Update, Duration::from_secs(600)),
        (Operation::Delete, Duration::from_secs(1200)),
    ];
    type Spec = NetworkSpec;
    type State = NetworkState;

    fn block() -> Block {
        let block = Block::new()
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
            .attribute(common::resource_group_attribute());
        nat::attributes().into_iter().fold(block, Block::attribute)
    }

    fn api(region: &Region) -> Option<Arc<dyn Api<Self>>> {
        Some(match region {
            Region::Aws(r) => r.clone(),
            Region::Gcp(r) => r.clone(),
            Region::Azure(r) => r.clone(),
        })
    }

    async fn plan(_ctx: &Context<Client>, plan: &mut Plan, place: Option<&Placement>, diags: &mut Diagnostics) {
        diags.absorb(common::plan_resource_group(plan, place));
        match place.map(|p| p.cloud) {
            Some(Cloud::Aws) => aws::check_plan(plan, diags),
            Some(Cloud::Gcp) => gcp::check_plan(plan, diags),
            Some(Cloud::Azure) => common::azure_name_replaces(plan, place),
            None => {}
        }
        let reserved = nat::plan(plan, place, diags);
        nat::check_cloud(plan, place, diags);
        if let Some(cidr) = plan.planned.attr("cidr").as_str().and_then(|c| Cidr::parse(c).ok()) {
            let id = plan.planned.attr("id").as_str().map(str::to_string);
            cidr_ledger::planned_network(id.clone(), cidr);
            // The NAT subnets AWS makes count as the network's subnets: one of the user's
            // that overlaps them is refused at plan.
            for r in reserved {
                let _ = cidr_ledger::planned_subnet(id.as_deref(), r);
            }
        }
        let nat_changed = common::changed(plan, "nat") || common::changed(plan, "nat_zones");
        diags.absorb(common::plan_native(plan, nat_changed && !plan.prior.is_null()));
    }

    fn spec(state: &Object) -> Result<NetworkSpec, Diagnostics> {
        let p: Planned = state.get()?;
        Ok(NetworkSpec {
            name: p.name,
            cidr: p.cidr,
            tags: common::planned_tags(state)?,
            resource_group: p.resource_group.into_known().flatten(),
            nat: nat::of_state(state)?,
        })
    }

    fn label(spec: &NetworkSpec) -> String {
        spec.name.clone()
    }

    fn refresh(ctx: &Context<Client>, state: &mut Object, n: &NetworkState) -> Result<(), Diagnostics> {
        if let Ok(c) = Cidr::parse(&n.cidr) {
            cidr_ledger::planned_network(Some(n.id.clone()), c);
        }
        state.merge(&Refreshed { name: &n.name, cidr: &n.cidr })?;
        if let Some(rg) = &n.resource_group {
            state.set_attr("resource_group", rg)?;
        }
        nat::refresh(state, &n.nat)?;
        common::set_refreshed_tags_if_kept(ctx, state, n.tags.as_ref())?;
        common::set_ids(state, &n.id, Some(&n.native))
    }

    fn applied(state: &mut Object, n: &NetworkState) -> Result<(), Diagnostics> {
        common::fill(state, "resource_group", &n.resource_group)?;
        common::fill(state, "native", &n.native)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::testing::Harness;

    #[test]
    fn aws_takes_16_to_28_and_gcp_renames_replace() {
        let h = Harness::new();
        let d =
            h.plan_errors::<Network>(&[("cloud", "aws"), ("region", "us-east"), ("name", "n"), ("cidr", "10.0.0.0/8")]);
        assert!(d.iter().any(|e| e.contains("/16 to /28")), "{d:?}");
        let planned =
            h.plan::<Network>(&[("cloud", "gcp"), ("region", "us-east"), ("name", "n"), ("cidr", "10.0.0.0/16")]);
        assert_eq!(planned.attr("region").as_str(), Some("us-east"));
        let d = h.plan_errors::<Network>(&[
            ("cloud", "gcp"),
            ("region", "us-east"),
            ("name", "Not_A_Gcp_Name"),
            ("cidr", "10.0.0.0/16"),
        ]);
        assert!(d.iter().any(|e| e.contains("GCP")), "{d:?}");
    }

    #[test]
    fn nat_is_refused_where_it_is_not_built_yet() {
        let h = Harness::new();
        let d = h.plan_errors::<Network>(&[
            ("cloud", "azure"),
            ("region", "us-east"),
            ("name", "n"),
            ("cidr", "10.0.0.0/16"),
            ("nat", "single"),
        ]);
        assert!(
            d.iter().any(|e| e.contains("nat is not possible on azure") && e.contains("exists on aws, gcp")),
            "{d:?}"
        );
        let d = h.plan_errors::<Network>(&[
            ("cloud", "gcp"),
            ("region", "us-east"),
            ("name", "n"),
            ("cidr", "10.0.0.0/16"),
            ("nat", "per_zone"),
        ]);
        assert!(d.iter().any(|e| e.contains("Cloud NAT is regional")), "{d:?}");
        let p = h.plan::<Network>(&[
            ("cloud", "gcp"),
            ("region", "us-east"),
            ("name", "n"),
            ("cidr", "10.0.0.0/16"),
            ("nat", "single"),
        ]);
        assert_eq!(p.attr("nat_gateways"), &tfplug::Value::from(1));
        let p = h.plan::<Network>(&[
            ("cloud", "aws"),
            ("region", "us-east"),
            ("name", "n"),
            ("cidr", "10.0.0.0/16"),
            ("nat", "single"),
        ]);
        assert_eq!(p.attr("nat_gateways"), &tfplug::Value::from(1));
    }
}
