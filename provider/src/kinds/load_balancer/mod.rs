//! `oppie_load_balancer`: one entry point for a group of instances. `http` is layer 7 (an AWS
//! Application Load Balancer, a GCP external Application Load Balancer, an Azure Application
//! Gateway); `tcp` is layer 4 (an AWS Network Load Balancer, a GCP passthrough Network Load
//! Balancer, an Azure Load Balancer). The many native objects behind one (target groups,
//! listeners, backend services, probes, rules) are made, changed and deleted as one resource:
//! its id is the main object's, and every part is found from it by a name derived from the
//! load balancer's, so a delete removes whatever a half-finished create left.

pub(crate) mod aws;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tfplug::plan::{RequiresReplace, UseStateForUnknown};
use tfplug::timeouts::Operation;
use tfplug::validator::{int_between, one_of};
use tfplug::{Attribute, AttributePath, Block, Context, Diagnostics, NestedBlock, Object, Plan, Type};

use super::checks::display_name;
use super::common::{self, Placement};
use super::{Api, Kind};
use crate::catalog::Cloud;
use crate::client::Client;
use crate::clouds::{Native, Region, Tags};

/// The kind.
pub struct LoadBalancer;

/// Layer 7 or layer 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LbType {
    /// HTTP(S), layer 7.
    Http,
    /// TCP, layer 4.
    Tcp,
}

impl LbType {
    /// The key users write.
    pub fn key(self) -> &'static str {
        match self {
            LbType::Http => "http",
            LbType::Tcp => "tcp",
        }
    }

    fn parse(s: &str) -> Option<LbType> {
        [LbType::Http, LbType::Tcp].into_iter().find(|t| t.key() == s)
    }
}

/// A listener's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ListenerProtocol {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS, ended at the load balancer with `certificate_id`.
    Https,
    /// TCP passed through.
    Tcp,
}

impl ListenerProtocol {
    /// The key users write.
    pub fn key(self) -> &'static str {
        match self {
            ListenerProtocol::Http => "http",
            ListenerProtocol::Https => "https",
            ListenerProtocol::Tcp => "tcp",
        }
    }

    /// Parses a key.
    pub fn parse(s: &str) -> Option<ListenerProtocol> {
        [ListenerProtocol::Http, ListenerProtocol::Https, ListenerProtocol::Tcp].into_iter().find(|p| p.key() == s)
    }
}

/// One port the load balancer listens on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Listener {
    /// The port.
    pub port: u16,
    /// The protocol.
    pub protocol: ListenerProtocol,
    /// The TLS certificate of an https listener (an ACM ARN, a GCP SSL certificate, an Azure
    /// Key Vault secret id).
    pub certificate_id: Option<String>,
    /// Answer with a redirect to https on port 443 instead of forwarding.
    pub redirect_to_https: bool,
}

/// How targets are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    /// The path asked for (HTTP checks); `None`: a TCP connect.
    pub path: Option<String>,
    /// Seconds between checks.
    pub interval_seconds: u32,
    /// Successes before a target counts as healthy.
    pub healthy_threshold: u32,
    /// Failures before a target counts as unhealthy.
    pub unhealthy_threshold: u32,
}

/// Where traffic goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The instances (ids of `oppie_instance`).
    pub instance_ids: BTreeSet<String>,
    /// Their port.
    pub port: u16,
    /// The health check.
    pub health: HealthCheck,
}

/// What the configuration asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadBalancerSpec {
    /// Name (the native object's name on every cloud).
    pub name: String,
    /// Layer 7 or 4.
    pub kind: LbType,
    /// Reachable from the internet.
    pub public: bool,
    /// Subnets it sits in.
    pub subnet_ids: Vec<String>,
    /// Firewalls (AWS security groups).
    pub firewall_ids: Vec<String>,
    /// Listeners, by port.
    pub listeners: Vec<Listener>,
    /// Targets.
    pub target: Target,
    /// Tags or labels.
    pub tags: Tags,
}

/// What exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadBalancerState {
    /// The cloud's id of the main object.
    pub id: String,
    /// The spec-shaped view (tags as the cloud keeps them in `tags`).
    pub spec: LoadBalancerSpec,
    /// Tags; `None` where the cloud keeps none on the main object (GCP forwarding rules keep
    /// labels; URL maps do not).
    pub tags: Option<Tags>,
    /// DNS name clients use.
    pub dns_name: String,
    /// The address clients reach (an IP where the cloud gives one; on AWS the DNS name).
    pub address: String,
    /// Cloud-side identifiers of the parts.
    pub native: Native,
}

/// Defaults of a health check not written out.
const DEFAULT_INTERVAL: u32 = 30;
const DEFAULT_THRESHOLD: u32 = 3;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ListenerModel {
    port: u16,
    protocol: String,
    certificate_id: Option<String>,
    redirect_to_https: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct HealthModel {
    path: Option<String>,
    interval_seconds: u32,
    healthy_threshold: u32,
    unhealthy_threshold: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct TargetModel {
    instance_ids: BTreeSet<String>,
    port: u16,
    health_check: Option<HealthModel>,
}

#[derive(Deserialize)]
struct Planned {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    public: bool,
    subnet_ids: BTreeSet<String>,
    firewall_ids: Option<BTreeSet<String>>,
    listener: Vec<ListenerModel>,
    target: Option<TargetModel>,
}

#[derive(Serialize)]
struct Refreshed<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    public: bool,
    subnet_ids: &'a [String],
    listener: Vec<ListenerModel>,
    target: TargetModel,
    dns_name: &'a str,
    address: &'a str,
}

fn path(name: &str) -> AttributePath {
    AttributePath::attr(name)
}

impl ListenerModel {
    fn to_listener(&self) -> Result<Listener, String> {
        let protocol = ListenerProtocol::parse(&self.protocol)
            .ok_or_else(|| format!("unknown protocol {:?}: use http, https or tcp", self.protocol))?;
        Ok(Listener {
            port: self.port,
            protocol,
            certificate_id: self.certificate_id.clone(),
            redirect_to_https: self.redirect_to_https,
        })
    }

    fn from_listener(l: &Listener) -> ListenerModel {
        ListenerModel {
            port: l.port,
            protocol: l.protocol.key().to_string(),
            certificate_id: l.certificate_id.clone(),
            redirect_to_https: l.redirect_to_https,
        }
    }
}

/// The health check a target block means (defaults where it says nothing).
fn health_of(kind: LbType, h: Option<&HealthModel>) -> HealthCheck {
    let path = match h {
        Some(h) => h.path.clone(),
        None => None,
    };
    HealthCheck {
        path: path.or_else(|| (kind == LbType::Http).then(|| "/".to_string())),
        interval_seconds: h.map_or(DEFAULT_INTERVAL, |h| h.interval_seconds),
        healthy_threshold: h.map_or(DEFAULT_THRESHOLD, |h| h.healthy_threshold),
        unhealthy_threshold: h.map_or(DEFAULT_THRESHOLD, |h| h.unhealthy_threshold),
    }
}

/// The cloud's health check written back in the configuration's spelling: a default the
/// configuration left out stays out.
fn health_model(kind: LbType, actual: &HealthCheck, prior: Option<&HealthModel>) -> Option<HealthModel> {
    let default = health_of(kind, None);
    if prior.is_none() && *actual == default {
        return None;
    }
    let path = match (prior.and_then(|p| p.path.as_ref()), &actual.path) {
        (None, Some(p)) if kind == LbType::Http && p == "/" => None,
        (_, p) => p.clone(),
    };
    Some(HealthModel {
        path,
        interval_seconds: actual.interval_seconds,
        healthy_threshold: actual.healthy_threshold,
        unhealthy_threshold: actual.unhealthy_threshold,
    })
}

fn listener_block() -> NestedBlock {
    NestedBlock::list(
        "listener",
        Block::new()
            .description("A port the load balancer listens on. Repeat the block for more ports; they change in place.")
            .attribute(Attribute::number("port").required().validator(int_between(1, 65535)).description("The port, e.g. `443`."))
            .attribute(
                Attribute::string("protocol")
                    .required()
                    .validator(one_of(["http", "https", "tcp"]))
                    .description("`http` or `https` on an `http` load balancer, `tcp` on a `tcp` one."),
            )
            .attribute(Attribute::string("certificate_id").optional().description(
                "The TLS certificate of an `https` listener: an ACM certificate ARN (AWS), an SSL certificate (GCP), a Key Vault secret id (Azure).",
            ))
            .attribute(
                Attribute::bool("redirect_to_https")
                    .default(false)
                    .description("An `http` listener that answers every request with a redirect to https on port 443 (default false)."),
            ),
    )
    .min_items(1)
}

fn target_block() -> NestedBlock {
    NestedBlock::single(
        "target",
        Block::new()
            .description("Where traffic goes: instances on one port. Required.")
            .attribute(
                Attribute::new("instance_ids", Type::set(Type::String))
                    .required()
                    .description("Ids of the `oppie_instance`s that receive traffic. Changes in place."),
            )
            .attribute(
                Attribute::number("port")
                    .required()
                    .validator(int_between(1, 65535))
                    .description("The instances' port. Changing it replaces the load balancer."),
            )
            .block(NestedBlock::single(
                "health_check",
                Block::new()
                    .description("How instances are checked (defaults: `/` for http, a TCP connect for tcp, every 30 s, 3 and 3). Changes in place.")
                    .attribute(Attribute::string("path").optional().description("The path asked for, e.g. `/healthz`; unset on a `tcp` load balancer: a TCP connect."))
                    .attribute(Attribute::number("interval_seconds").default(i64::from(DEFAULT_INTERVAL)).validator(int_between(5, 300)).description("Seconds between checks (default 30)."))
                    .attribute(Attribute::number("healthy_threshold").default(i64::from(DEFAULT_THRESHOLD)).validator(int_between(2, 10)).description("Successes before an instance counts as healthy (default 3)."))
                    .attribute(Attribute::number("unhealthy_threshold").default(i64::from(DEFAULT_THRESHOLD)).validator(int_between(2, 10)).description("Failures before an instance counts as unhealthy (default 3).")),
            )),
    )
}

/// Problems of the listeners and the target, as one plan shows them all.
fn check_config(config: &tfplug::Value, diags: &mut Diagnostics) {
    let kind = config.attr("type").and_then(|v| v.as_str()).and_then(LbType::parse);
    let items = config.attr("listener").and_then(|v| v.as_slice()).unwrap_or(&[]);
    let mut ports = BTreeSet::new();
    let mut has_https = false;
    for (i, item) in items.iter().enumerate().filter(|(_, i)| i.is_wholly_known()) {
        let Ok(m) = tfplug::cty::from_value::<ListenerModel>(item) else { continue };
        let at = |name: &str| AttributePath::attr("listener").with_index(i as i64).with_attr(name);
        let Ok(l) = m.to_listener() else { continue };
        if !ports.insert(l.port) {
            diags.add_attribute_error(
                at("port"),
                "Duplicate listener port",
                format!("Two listeners use port {}; give each its own port.", l.port),
            );
        }
        match (kind, l.protocol) {
            (Some(LbType::Http), ListenerProtocol::Tcp) => diags.add_attribute_error(
                at("protocol"),
                "tcp listener on an http load balancer",
                "An http load balancer takes http and https listeners; use type = \"tcp\" for tcp.",
            ),
            (Some(LbType::Tcp), ListenerProtocol::Http | ListenerProtocol::Https) => diags.add_attribute_error(
                at("protocol"),
                "http listener on a tcp load balancer",
                "A tcp load balancer takes tcp listeners; use type = \"http\" for http and https.",
            ),
            _ => {}
        }
        has_https |= l.protocol == ListenerProtocol::Https;
        match (l.protocol, &l.certificate_id) {
            (ListenerProtocol::Https, None) => diags.add_attribute_error(
                at("certificate_id"),
                "https listener without a certificate",
                "Set certificate_id to the TLS certificate the listener presents.",
            ),
            (ListenerProtocol::Http | ListenerProtocol::Tcp, Some(_)) => diags.add_attribute_error(
                at("certificate_id"),
                "Certificate on a listener without TLS",
                "Only https listeners take certificate_id; remove it or use protocol = \"https\".",
            ),
            _ => {}
        }
        if l.redirect_to_https && l.protocol != ListenerProtocol::Http {
            diags.add_attribute_error(
                at("redirect_to_https"),
                "Redirect on a listener that is not http",
                "redirect_to_https is for http listeners; remove it here.",
            );
        }
    }
    let _ = has_https;
    if config.attr("target").is_none_or(|t| t.is_null()) {
        diags.add_attribute_error(
            path("target"),
            "No target",
            "Add a target block: the instances and port traffic goes to.",
        );
    }
}

#[tfplug::async_trait]
impl Kind for LoadBalancer {
    const TYPE: &'static str = "oppie_load_balancer";
    const NOUN: &'static str = "load balancer";
    const CLOUDS: &'static [Cloud] = &[Cloud::Aws];
    const TIMEOUTS: [(Operation, Duration); 3] = [
        (Operation::Create, Duration::from_secs(1200)),
        (Operation::Update, Duration::from_secs(1200)),
        (Operation::Delete, Duration::from_secs(1200)),
    ];
    type Spec = LoadBalancerSpec;
    type State = LoadBalancerState;

    fn block() -> Block {
        Block::new()
            .markdown("One entry point for a group of instances. `http` (layer 7): an AWS Application Load Balancer, a GCP external Application Load Balancer (URL map, backend service, target proxy, forwarding rules) or an Azure Application Gateway; `tcp` (layer 4): an AWS Network Load Balancer, a GCP passthrough Network Load Balancer or an Azure Load Balancer. The native parts (target groups, listeners, backend services, probes, rules) are created, changed and deleted as one resource. Built on AWS so far: planned on GCP or Azure it is an error that says so.")
            .attribute(
                Attribute::string("name")
                    .required()
                    .validator(display_name(80))
                    .plan_modifier(RequiresReplace)
                    .description("Name; the native objects are named after it. Changing it replaces the load balancer."),
            )
            .attribute(
                Attribute::string("type")
                    .required()
                    .validator(one_of(["http", "tcp"]))
                    .plan_modifier(RequiresReplace)
                    .description("`http` (layer 7) or `tcp` (layer 4). Changing it replaces the load balancer."),
            )
            .attribute(
                Attribute::bool("public")
                    .default(true)
                    .plan_modifier(RequiresReplace)
                    .description("Reachable from the internet (default true); false: an internal load balancer. Changing it replaces the load balancer."),
            )
            .attribute(
                Attribute::new("subnet_ids", Type::set(Type::String))
                    .required()
                    .plan_modifier(RequiresReplace)
                    .description("The `oppie_subnet`s it sits in (AWS: two zones or more for `http`; Azure `http`: the first holds the gateway and nothing else). Changing them replaces the load balancer."),
            )
            .attribute(
                Attribute::new("firewall_ids", Type::set(Type::String))
                    .optional()
                    .description("AWS only: `oppie_firewall`s (security groups) of the load balancer. Changes in place."),
            )
            .attribute(Attribute::number("expected_data_gb").optional().description(
                "GB the load balancer processes a month, for the cost estimate (capacity units as each cloud bills them: AWS LCU-hours, GCP data processed, Azure capacity units or data processed). Unset: that part is priced at 0 and said so.",
            ))
            .attribute(Attribute::string("dns_name").computed().plan_modifier(UseStateForUnknown).description("The DNS name clients use (GCP and Azure: the address, as they give no name)."))
            .attribute(Attribute::string("address").computed().plan_modifier(UseStateForUnknown).description("The address clients reach: an IP address on GCP and Azure; on AWS, which gives load balancers no fixed address, the DNS name."))
            .block(listener_block())
            .block(target_block())
    }

    fn api(region: &Region) -> Option<Arc<dyn Api<Self>>> {
        match region {
            Region::Aws(r) => Some(r.clone()),
            Region::Gcp(_) | Region::Azure(_) => None,
        }
    }

    async fn validate(_ctx: &Context<Client>, config: &Object) -> Result<(), Diagnostics> {
        let mut diags = Diagnostics::new();
        check_config(config.value(), &mut diags);
        diags.into_result()
    }

    async fn plan(_ctx: &Context<Client>, plan: &mut Plan, place: Option<&Placement>, diags: &mut Diagnostics) {
        match place.map(|p| p.cloud) {
            Some(Cloud::Aws) => aws::check_plan(plan, diags),
            Some(Cloud::Gcp | Cloud::Azure) | None => {}
        }
        // The instances' port is fixed in the parts (a target group, a backend service).
        if !plan.prior.is_null() {
            let port = |o: &Object| o.attr("target").attr("port").cloned();
            if port(&plan.prior) != port(&plan.planned) {
                plan.requires_replace.push(path("target").with_attr("port"));
            }
        }
        diags.absorb(common::plan_native(plan, false));
    }

    fn spec(state: &Object) -> Result<LoadBalancerSpec, Diagnostics> {
        let p: Planned = state.get()?;
        let kind = LbType::parse(&p.kind)
            .ok_or_else(|| Diagnostics::attribute_error(path("type"), "Unknown type", "use http or tcp"))?;
        let listeners = p
            .listener
            .iter()
            .map(|m| m.to_listener().map_err(|e| Diagnostics::attribute_error(path("listener"), "Invalid listener", e)))
            .collect::<Result<Vec<_>, _>>()?;
        let t =
            p.target.ok_or_else(|| Diagnostics::attribute_error(path("target"), "No target", "Add a target block."))?;
        Ok(LoadBalancerSpec {
            name: p.name,
            kind,
            public: p.public,
            subnet_ids: p.subnet_ids.into_iter().collect(),
            firewall_ids: p.firewall_ids.unwrap_or_default().into_iter().collect(),
            listeners,
            target: Target {
                instance_ids: t.instance_ids,
                port: t.port,
                health: health_of(kind, t.health_check.as_ref()),
            },
            tags: common::planned_tags(state)?,
        })
    }

    fn label(spec: &LoadBalancerSpec) -> String {
        spec.name.clone()
    }

    fn refresh(ctx: &Context<Client>, state: &mut Object, lb: &LoadBalancerState) -> Result<(), Diagnostics> {
        let s = &lb.spec;
        let prior_listeners: Vec<ListenerModel> =
            state.get_at::<Option<Vec<ListenerModel>>>(&path("listener")).unwrap_or(None).unwrap_or_default();
        let prior_target: Option<TargetModel> = state.get_at(&path("target")).unwrap_or(None);
        // Listeners in the configuration's order; ones added out of band last.
        let mut actual: Vec<Listener> = s.listeners.clone();
        let mut listeners = Vec::new();
        for p in &prior_listeners {
            if let Some(i) = actual.iter().position(|l| l.port == p.port) {
                listeners.push(ListenerModel::from_listener(&actual.remove(i)));
            }
        }
        listeners.extend(actual.iter().map(ListenerModel::from_listener));
        let health =
            health_model(s.kind, &s.target.health, prior_target.as_ref().and_then(|t| t.health_check.as_ref()));
        let subnet_ids: Vec<String> = s.subnet_ids.clone();
        state.merge(&Refreshed {
            name: &s.name,
            kind: s.kind.key(),
            public: s.public,
            subnet_ids: &subnet_ids,
            listener: listeners,
            target: TargetModel {
                instance_ids: s.target.instance_ids.clone(),
                port: s.target.port,
                health_check: health,
            },
            dns_name: &lb.dns_name,
            address: &lb.address,
        })?;
        if !s.firewall_ids.is_empty() || !state.attr("firewall_ids").is_null() {
            let set: BTreeSet<String> = s.firewall_ids.iter().cloned().collect();
            state.set_attr("firewall_ids", &set)?;
        }
        common::set_refreshed_tags_if_kept(ctx, state, lb.tags.as_ref())?;
        common::set_ids(state, &lb.id, Some(&lb.native))
    }

    fn applied(state: &mut Object, lb: &LoadBalancerState) -> Result<(), Diagnostics> {
        common::fill(state, "dns_name", &lb.dns_name)?;
        common::fill(state, "address", &lb.address)?;
        common::fill(state, "native", &lb.native)
    }
}

/// The number of subnets planned, when known.
pub(crate) fn planned_subnets(plan: &Plan) -> Option<usize> {
    let v = plan.planned.attr("subnet_ids");
    if v.is_wholly_known() { v.as_slice().map(<[_]>::len) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::testing::Harness;

    #[test]
    fn health_checks_keep_the_configured_spelling() {
        let actual = health_of(LbType::Http, None);
        assert_eq!(health_model(LbType::Http, &actual, None), None, "defaults stay unwritten");
        let prior = HealthModel { path: None, interval_seconds: 10, healthy_threshold: 3, unhealthy_threshold: 3 };
        let mut changed = actual.clone();
        changed.interval_seconds = 10;
        assert_eq!(health_model(LbType::Http, &changed, Some(&prior)), Some(prior));
    }

    #[test]
    fn listeners_are_checked_together() {
        let h = Harness::new();
        let r = crate::kinds::lifecycle::CloudResource::<LoadBalancer>::new();
        let config = tfplug::testing::config(
            &r.schema(),
            [
                ("name", tfplug::Value::from("web")),
                ("type", tfplug::Value::from("http")),
                (
                    "listener",
                    tfplug::Value::List(vec![
                        tfplug::Value::object([
                            ("port", tfplug::Value::from(443)),
                            ("protocol", tfplug::Value::from("https")),
                            ("certificate_id", tfplug::Value::Null),
                            ("redirect_to_https", tfplug::Value::from(false)),
                        ]),
                        tfplug::Value::object([
                            ("port", tfplug::Value::from(443)),
                            ("protocol", tfplug::Value::from("tcp")),
                            ("certificate_id", tfplug::Value::Null),
                            ("redirect_to_https", tfplug::Value::from(true)),
                        ]),
                    ]),
                ),
            ],
        );
        let mut d = Diagnostics::new();
        check_config(&config, &mut d);
        let text: Vec<String> = d.0.iter().map(|e| e.summary.clone()).collect();
        for want in [
            "https listener without a certificate",
            "Duplicate listener port",
            "tcp listener on an http load balancer",
            "Redirect on a listener that is not http",
            "No target",
        ] {
            assert!(text.iter().any(|t| t == want), "{want} in {text:?}");
        }
        let _ = h;
    }
}
