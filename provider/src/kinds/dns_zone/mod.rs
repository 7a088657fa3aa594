//! `oppie_dns_zone`: a DNS zone (a Route 53 hosted zone, a Cloud DNS managed zone, an Azure
//! DNS zone), public or private to networks, with the name servers it is served by.

pub(crate) mod aws;
pub(crate) mod gcp;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tfplug::plan::{RequiresReplace, UseStateForUnknown};
use tfplug::timeouts::Operation;
use tfplug::validator::from_fn;
use tfplug::{Attribute, AttributePath, Block, Context, Diagnostics, Object, Plan, Type, Value};

use super::common::{self, Placement};
use super::{Api, Kind};
use crate::catalog::Cloud;
use crate::client::Client;
use crate::clouds::{Native, Region, Tags};

/// The kind.
pub struct DnsZone;

/// What the configuration asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsZoneSpec {
    /// The domain, without the final dot (`shop.example.com`).
    pub name: String,
    /// Served only inside `network_ids`.
    pub private: bool,
    /// The networks a private zone is visible in.
    pub network_ids: Vec<String>,
    /// Signed with DNSSEC (GCP).
    pub dnssec: bool,
    /// Tags or labels.
    pub tags: Tags,
}

/// What exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsZoneState {
    /// The cloud's id.
    pub id: String,
    /// The spec-shaped view.
    pub spec: DnsZoneSpec,
    /// Tags; `None` where the cloud keeps none.
    pub tags: Option<Tags>,
    /// The zone's name servers.
    pub name_servers: Vec<String>,
    /// Cloud-side identifiers.
    pub native: Native,
}

#[derive(Deserialize)]
struct Planned {
    name: String,
    private: bool,
    network_ids: Option<BTreeSet<String>>,
    dnssec: bool,
}

#[derive(Serialize)]
struct Refreshed<'a> {
    name: &'a str,
    private: bool,
    dnssec: bool,
    name_servers: &'a [String],
}

/// A domain name: labels of letters, digits and '-' separated by dots, at most 253 long.
pub(crate) fn check_domain(s: &str) -> Result<(), String> {
    let name = s.strip_suffix('.').unwrap_or(s);
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if ok { Ok(()) } else { Err(format!("{s:?} is not a domain name such as \"shop.example.com\"")) }
}

/// The domain without a final dot, lower case.
pub(crate) fn domain(s: &str) -> String {
    s.trim_end_matches('.').to_ascii_lowercase()
}

#[tfplug::async_trait]
impl Kind for DnsZone {
    const TYPE: &'static str = "oppie_dns_zone";
    const NOUN: &'static str = "DNS zone";
    const CLOUDS: &'static [Cloud] = &[Cloud::Aws, Cloud::Gcp];
    const TIMEOUTS: [(Operation, Duration); 3] = [
        (Operation::Create, Duration::from_secs(600)),
        (Operation::Update, Duration::from_secs(600)),
        (Operation::Delete, Duration::from_secs(600)),
    ];
    type Spec = DnsZoneSpec;
    type State = DnsZoneState;

    fn block() -> Block {
        Block::new()
            .markdown("A DNS zone: a Route 53 hosted zone, a Cloud DNS managed zone, or an Azure DNS zone (a private DNS zone linked to the networks when `private`). Records are `oppie_dns_record`s. Built on AWS and GCP so far: planned on Azure it is an error that says so.")
            .attribute(
                Attribute::string("name")
                    .required()
                    .validator(from_fn("a domain name", |v| v.as_str().map_or(Ok(()), check_domain)))
                    .plan_modifier(RequiresReplace)
                    .description("The domain, e.g. `shop.example.com`. Changing it replaces the zone."),
            )
            .attribute(
                Attribute::bool("private")
                    .default(false)
                    .plan_modifier(RequiresReplace)
                    .description("Answer only inside `network_ids` (default false: public). Changing it replaces the zone."),
            )
            .attribute(
                Attribute::new("network_ids", Type::set(Type::String))
                    .optional()
                    .plan_modifier(RequiresReplace)
                    .description("The `oppie_network`s a private zone is visible in (required when private). Changing them replaces the zone."),
            )
            .attribute(
                Attribute::bool("dnssec")
                    .default(false)
                    .description("Sign the zone with DNSSEC (GCP, where it is a switch; AWS and Azure need key material Oppie does not manage). Changes in place."),
            )
            .attribute(
                Attribute::string_list("name_servers")
                    .computed()
                    .plan_modifier(UseStateForUnknown)
                    .description("The name servers that serve the zone: delegate the domain to them."),
            )
    }

    fn api(region: &Region) -> Option<Arc<dyn Api<Self>>> {
        match region {
            Region::Aws(r) => Some(r.clone()),
            Region::Gcp(r) => Some(r.clone()),
            Region::Azure(_) => None,
        }
    }

    async fn plan(_ctx: &Context<Client>, plan: &mut Plan, place: Option<&Placement>, diags: &mut Diagnostics) {
        let private = plan.planned.attr("private").as_bool();
        let networks = plan.planned.attr("network_ids");
        match private {
            Some(true) if networks.is_null() || networks.as_slice().is_some_and(<[Value]>::is_empty) => diags
                .add_attribute_error(
                    AttributePath::attr("network_ids"),
                    "A private zone needs networks",
                    "Set network_ids to the networks the zone answers in.",
                ),
            Some(false) if !networks.is_null() => diags.add_attribute_error(
                AttributePath::attr("network_ids"),
                "network_ids on a public zone",
                "Only private zones take network_ids; remove it or set private = true.",
            ),
            _ => {}
        }
        if let Some(p) = place
            && p.cloud != Cloud::Gcp
            && plan.planned.attr("dnssec").as_bool() == Some(true)
        {
            diags.extend(common::not_on(
                p.cloud,
                AttributePath::attr("dnssec"),
                "dnssec = true",
                "DNSSEC there needs a key (AWS: a KMS key-signing key; Azure: zone signing) that Oppie does not manage; remove dnssec or use cloud = \"gcp\".",
            ));
        }
        if plan.prior.is_null() {
            diags.absorb(plan.planned.set_attr("name_servers", &tfplug::MaybeUnknown::<Vec<String>>::Unknown));
        }
        diags.absorb(common::plan_native(plan, false));
    }

    fn spec(state: &Object) -> Result<DnsZoneSpec, Diagnostics> {
        let p: Planned = state.get()?;
        Ok(DnsZoneSpec {
            name: domain(&p.name),
            private: p.private,
            network_ids: p.network_ids.unwrap_or_default().into_iter().collect(),
            dnssec: p.dnssec,
            tags: common::planned_tags(state)?,
        })
    }

    fn label(spec: &DnsZoneSpec) -> String {
        spec.name.clone()
    }

    fn refresh(ctx: &Context<Client>, state: &mut Object, z: &DnsZoneState) -> Result<(), Diagnostics> {
        // Keep the configured spelling of the name (a final dot, capitals).
        let name = match state.attr("name").as_str() {
            Some(n) if domain(n) == z.spec.name => n.to_string(),
            _ => z.spec.name.clone(),
        };
        state.merge(&Refreshed {
            name: &name,
            private: z.spec.private,
            dnssec: z.spec.dnssec,
            name_servers: &z.name_servers,
        })?;
        if z.spec.private || !state.attr("network_ids").is_null() {
            // Network ids compare without case (Azure ids).
            let prior: BTreeSet<String> =
                state.get_at::<Option<BTreeSet<String>>>(&AttributePath::attr("network_ids"))?.unwrap_or_default();
            let ids: BTreeSet<String> = z
                .spec
                .network_ids
                .iter()
                .map(|n| prior.iter().find(|p| p.eq_ignore_ascii_case(n)).cloned().unwrap_or_else(|| n.clone()))
                .collect();
            state.set_attr("network_ids", &ids)?;
        }
        common::set_refreshed_tags_if_kept(ctx, state, z.tags.as_ref())?;
        common::set_ids(state, &z.id, Some(&z.native))
    }

    fn applied(state: &mut Object, z: &DnsZoneState) -> Result<(), Diagnostics> {
        common::fill(state, "name_servers", &z.name_servers)?;
        common::fill(state, "native", &z.native)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::testing::Harness;

    #[test]
    fn domains_are_checked() {
        assert!(check_domain("shop.example.com").is_ok());
        assert!(check_domain("shop.example.com.").is_ok());
        assert!(check_domain("-bad.example.com").is_err());
        assert!(check_domain("a..b").is_err());
        assert_eq!(domain("Shop.Example.com."), "shop.example.com");
    }

    #[test]
    fn private_zones_need_networks_dnssec_is_gcp_only_and_azure_has_no_zones() {
        let h = Harness::new();
        let d = h.plan_errors::<DnsZone>(&[
            ("cloud", "aws"),
            ("region", "us-east"),
            ("name", "shop.internal"),
            ("private", "true"),
        ]);
        assert!(d.iter().any(|e| e.contains("needs networks")), "{d:?}");
        let d = h.plan_errors::<DnsZone>(&[
            ("cloud", "azure"),
            ("region", "us-east"),
            ("name", "shop.example.com"),
            ("dnssec", "true"),
        ]);
        assert!(d.iter().any(|e| e.contains("dnssec")), "{d:?}");
        let p = h.plan::<DnsZone>(&[
            ("cloud", "gcp"),
            ("region", "us-east"),
            ("name", "shop.example.com"),
            ("dnssec", "true"),
        ]);
        assert_eq!(p.attr("dnssec").as_bool(), Some(true));
        let d = h.plan_errors::<DnsZone>(&[("cloud", "azure"), ("region", "us-east"), ("name", "shop.example.com")]);
        assert!(
            d.iter()
                .any(|e| e.contains("oppie_dns_zone is not available on azure") && e.contains("exists on aws, gcp")),
            "{d:?}"
        );
    }
}
