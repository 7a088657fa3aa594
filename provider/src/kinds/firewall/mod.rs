//! `oppie_firewall`: allowed inbound (`ingress`) and outbound (`egress`) traffic of a network
//! (AWS security group). Rules are sets: order never matters, and changing them revokes and
//! authorizes in place. Nothing is allowed out unless an egress rule says so.

pub(crate) mod aws;
pub(crate) mod azure;
pub(crate) mod gcp;
mod rules;

pub use rules::{PortRange, Protocol, Rule};

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tfplug::plan::RequiresReplace;
use tfplug::timeouts::Operation;
use tfplug::validator::{from_fn, one_of};
use tfplug::{Attribute, AttributePath, Block, Context, Diagnostics, NestedBlock, Object, Plan, Type, Value};

use super::checks::{cidr_set, display_name};
use super::common::{self, Placement};
use super::{Api, Kind};
use crate::catalog::Cloud;
use crate::client::Client;
use crate::clouds::{Native, Region, Tags};

/// The kind.
pub struct Firewall;

/// What the configuration asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirewallSpec {
    /// The network's id.
    pub network_id: String,
    /// Name, unique in the network.
    pub name: String,
    /// Allowed inbound traffic.
    pub ingress: BTreeSet<Rule>,
    /// Allowed outbound traffic (nothing when empty).
    pub egress: BTreeSet<Rule>,
    /// Tags or labels.
    pub tags: Tags,
}

/// What exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirewallState {
    /// The cloud's id.
    pub id: String,
    /// The network's id.
    pub network_id: String,
    /// Name.
    pub name: String,
    /// Inbound rules.
    pub ingress: BTreeSet<Rule>,
    /// Outbound rules.
    pub egress: BTreeSet<Rule>,
    /// Tags or labels; `None` where the cloud keeps no tags on firewalls (GCP firewall rules).
    pub tags: Option<Tags>,
    /// Cloud-side identifiers and attributes.
    pub native: Native,
}

/// A rule as written in config and stored in state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RuleModel {
    protocol: String,
    ports: Option<String>,
    sources: BTreeSet<String>,
    description: Option<String>,
}

impl RuleModel {
    fn to_rule(&self) -> Result<Rule, String> {
        let protocol =
            Protocol::parse(&self.protocol).ok_or_else(|| format!("unknown protocol {:?}", self.protocol))?;
        let ports = match (&self.ports, protocol.has_ports()) {
            (None, _) => None,
            (Some(p), true) => Some(PortRange::parse(p)?),
            (Some(p), false) => {
                return Err(format!(
                    "protocol {:?} has no ports; remove ports = {p:?} (or use tcp/udp)",
                    self.protocol
                ));
            }
        };
        Ok(Rule { protocol, ports, sources: self.sources.clone(), description: self.description.clone() })
    }

    fn from_rule(r: &Rule) -> RuleModel {
        RuleModel {
            protocol: r.protocol.key().to_string(),
            ports: r.ports.map(|p| p.to_string()),
            sources: r.sources.clone(),
            description: r.description.clone(),
        }
    }
}

fn rule_block(direction: &str, peers: &str) -> NestedBlock {
    // A list, not a set: Terraform can then point a diagnostic (a policy finding, an
    // invalid port) at the very block in the configuration. The cloud's rules have no
    // order, so a refresh keeps the configuration's order (see `keep_spelling`).
    NestedBlock::list(
        direction,
        Block::new()
            .description(format!("Allowed {direction} traffic. Repeat the block for more rules; they are kept in the order written."))
            .attribute(
                Attribute::string("protocol")
                    .required()
                    .validator(one_of(Protocol::ALL.map(Protocol::key)))
                    .description("tcp, udp, icmp or all."),
            )
            .attribute(
                Attribute::string("ports")
                    .optional()
                    .validator(from_fn("a port (\"443\") or range (\"8000-8080\") from 1 to 65535", |v| {
                        v.as_str().map_or(Ok(()), |s| PortRange::parse(s).map(|_| ()))
                    }))
                    .description("A port (`\"443\"`) or an inclusive range (`\"8000-8080\"`) for tcp and udp; leave it out for all ports."),
            )
            .attribute(
                Attribute::new("sources", Type::set(Type::String))
                    .required()
                    .validator(cidr_set())
                    .description(format!("CIDR blocks (IPv4 or IPv6) of the {peers}, e.g. `[\"0.0.0.0/0\"]`.")),
            )
            .attribute(Attribute::string("description").optional().validator(display_name(255)).description("What the rule is for.")),
    )
}

#[derive(Deserialize)]
struct Planned {
    network_id: String,
    name: String,
    ingress: Vec<RuleModel>,
    egress: Vec<RuleModel>,
}

fn rules_of(models: &[RuleModel], path: &str) -> Result<BTreeSet<Rule>, Diagnostics> {
    models
        .iter()
        .map(|m| m.to_rule().map_err(|e| Diagnostics::attribute_error(AttributePath::attr(path), "Invalid rule", e)))
        .collect()
}

/// The cloud's rules in the state's own order and spelling where they mean the same
/// ("443" vs "0443"), so a refresh shows only real differences; rules added out of band
/// come last.
fn keep_spelling(actual: &BTreeSet<Rule>, prior: &[RuleModel]) -> Vec<RuleModel> {
    let mut left: BTreeSet<&Rule> = actual.iter().collect();
    let mut out: Vec<RuleModel> =
        prior.iter().filter(|m| m.to_rule().is_ok_and(|r| left.remove(&r))).cloned().collect();
    out.extend(left.into_iter().map(RuleModel::from_rule));
    out
}

#[derive(Serialize)]
struct Refreshed<'a> {
    network_id: &'a str,
    name: &'a str,
    ingress: Vec<RuleModel>,
    egress: Vec<RuleModel>,
}

/// Rules of one direction must differ in protocol, ports or description: the cloud merges
/// rules that agree on all three, so two such blocks could never read back as written.
fn check_rules(config: &Value, direction: &str, diags: &mut Diagnostics) {
    let Some(items) = config.attr(direction).and_then(Value::as_slice) else {
        return;
    };
    let mut seen = BTreeSet::new();
    for (i, item) in items.iter().enumerate().filter(|(_, i)| i.is_wholly_known()) {
        let Ok(m) = tfplug::cty::from_value::<RuleModel>(item) else {
            continue;
        };
        let path = AttributePath::attr(direction).with_index(i as i64);
        match m.to_rule() {
            Err(e) => diags.add_attribute_error(path, format!("Invalid {direction} rule"), e),
            Ok(r) => {
                if !seen.insert((r.protocol, r.ports, r.description.clone())) {
                    diags.add_attribute_error(
                        path,
                        format!("Duplicate {direction} rule"),
                        format!(
                            "Two {direction} rules allow {} {} with the same description; merge their sources into one block.",
                            r.protocol.key(),
                            r.ports.map_or("on all ports".to_string(), |p| format!("port {p}")),
                        ),
                    );
                }
            }
        }
    }
}

#[tfplug::async_trait]
impl Kind for Firewall {
    const TYPE: &'static str = "oppie_firewall";
    const NOUN: &'static str = "firewall";
    const CLOUDS: &'static [Cloud] = &Cloud::ALL;
    const TIMEOUTS: [(Operation, Duration); 3] = [
        (Operation::Create, Duration::from_secs(600)),
        (Operation::Update, Duration::from_secs(600)),
        (Operation::Delete, Duration::from_secs(1200)),
    ];
    const LISTED_BY_NETWORK: bool = true;
    type Spec = FirewallSpec;
    type State = FirewallState;

    fn block() -> Block {
        Block::new()
            .markdown("Allowed traffic to and from the machines of a network (an AWS security group; GCP firewall rules sharing a target tag; an Azure network security group with one Allow rule per block and a closing Deny per direction). Without `egress` blocks nothing may leave: the allow-all rule AWS adds to new groups is removed.")
            .attribute(
                Attribute::string("network_id")
                    .required()
                    .plan_modifier(RequiresReplace)
                    .description("The `id` of the `oppie_network`. Changing it replaces the firewall."),
            )
            .attribute(
                Attribute::string("name")
                    .required()
                    .validator(display_name(255))
                    .plan_modifier(RequiresReplace)
                    .description("Name, unique within the network. Changing it replaces the firewall."),
            )
            .block(rule_block("ingress", "senders"))
            .block(rule_block("egress", "destinations"))
    }

    fn api(region: &Region) -> Option<Arc<dyn Api<Self>>> {
        Some(match region {
            Region::Aws(r) => r.clone(),
            Region::Gcp(r) => r.clone(),
            Region::Azure(r) => r.clone(),
        })
    }

    async fn validate(_ctx: &Context<Client>, config: &Object) -> Result<(), Diagnostics> {
        let mut diags = Diagnostics::new();
        check_rules(config.value(), "ingress", &mut diags);
        check_rules(config.value(), "egress", &mut diags);
        diags.into_result()
    }

    async fn plan(_ctx: &Context<Client>, plan: &mut Plan, place: Option<&Placement>, diags: &mut Diagnostics) {
        if place.is_some_and(|p| p.cloud == Cloud::Gcp) {
            diags.absorb(common::check_gcp_name(plan, crate::clouds::gcp::FIREWALL_NAME_MAX));
        }
        diags.absorb(common::plan_native(plan, false));
    }

    fn spec(state: &Object) -> Result<FirewallSpec, Diagnostics> {
        let p: Planned = state.get()?;
        Ok(FirewallSpec {
            network_id: p.network_id,
            name: p.name,
            ingress: rules_of(&p.ingress, "ingress")?,
            egress: rules_of(&p.egress, "egress")?,
            tags: common::planned_tags(state)?,
        })
    }

    fn label(spec: &FirewallSpec) -> String {
        spec.name.clone()
    }

    fn refresh(ctx: &Context<Client>, state: &mut Object, f: &FirewallState) -> Result<(), Diagnostics> {
        let prior_in: Vec<RuleModel> =
            state.get_at::<Option<Vec<RuleModel>>>(&AttributePath::attr("ingress"))?.unwrap_or_default();
        let prior_out: Vec<RuleModel> =
            state.get_at::<Option<Vec<RuleModel>>>(&AttributePath::attr("egress"))?.unwrap_or_default();
        state.merge(&Refreshed {
            network_id: &f.network_id,
            name: &f.name,
            ingress: keep_spelling(&f.ingress, &prior_in),
            egress: keep_spelling(&f.egress, &prior_out),
        })?;
        common::set_refreshed_tags_if_kept(ctx, state, f.tags.as_ref())?;
        common::set_ids(state, &f.id, Some(&f.native))
    }

    fn applied(state: &mut Object, f: &FirewallState) -> Result<(), Diagnostics> {
        common::fill(state, "native", &f.native)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(protocol: &str, ports: Option<&str>) -> RuleModel {
        RuleModel {
            protocol: protocol.into(),
            ports: ports.map(str::to_string),
            sources: ["0.0.0.0/0".to_string()].into(),
            description: None,
        }
    }

    #[test]
    fn refresh_keeps_the_configured_spelling() {
        let prior = vec![model("tcp", Some("0443"))];
        let actual: BTreeSet<Rule> = [prior[0].to_rule().unwrap()].into();
        assert_eq!(keep_spelling(&actual, &prior), prior);
        let other: BTreeSet<Rule> = [model("tcp", Some("8000-8080")).to_rule().unwrap()].into();
        assert_eq!(keep_spelling(&other, &prior)[0].ports.as_deref(), Some("8000-8080"));
    }

    #[test]
    fn icmp_takes_no_ports() {
        assert!(model("icmp", Some("8")).to_rule().unwrap_err().contains("has no ports"));
        assert!(model("udp", Some("53")).to_rule().is_ok());
    }
}
