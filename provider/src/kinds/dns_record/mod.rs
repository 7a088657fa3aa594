//! `oppie_dns_record`: one record set of an `oppie_dns_zone`: values, or an alias of an
//! `oppie_load_balancer` (a Route 53 alias, a Cloud DNS record on the load balancer's address,
//! an Azure alias record set on its public address). Its id is made of the zone, name and type,
//! so it is known before the create.

pub(crate) mod aws;
pub(crate) mod gcp;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tfplug::plan::RequiresReplace;
use tfplug::timeouts::Operation;
use tfplug::validator::{from_fn, int_between, one_of};
use tfplug::{Attribute, AttributePath, Block, Context, Diagnostics, NestedBlock, Object, Plan, Type, Value};

use super::common::{self, Placement};
use super::{Api, Kind};
use crate::catalog::Cloud;
use crate::client::Client;
use crate::clouds::{Native, Region};

/// The kind.
pub struct DnsRecord;

/// The record types Oppie manages.
pub const TYPES: [&str; 6] = ["A", "AAAA", "CNAME", "TXT", "MX", "CAA"];

/// What the configuration asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsRecordSpec {
    /// The zone's id.
    pub zone_id: String,
    /// The name inside the zone: `www`, or `@` for the zone's own name.
    pub name: String,
    /// A, AAAA, CNAME, TXT, MX or CAA.
    pub rtype: String,
    /// Seconds resolvers may cache it.
    pub ttl: u32,
    /// The values (as written: TXT without quotes, MX as `10 mail.example.com`).
    pub values: BTreeSet<String>,
    /// The load balancer an alias points at.
    pub alias: Option<String>,
}

/// What exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsRecordState {
    /// The record's id.
    pub id: String,
    /// The spec-shaped view; `alias` is the load balancer when it can be told, else `None`
    /// with `alias_target` set.
    pub spec: DnsRecordSpec,
    /// What an alias points at as the cloud says it (a DNS name, an address, a resource id).
    pub alias_target: Option<String>,
    /// The full name, without the final dot.
    pub fqdn: String,
    /// Cloud-side identifiers.
    pub native: Native,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AliasModel {
    load_balancer_id: String,
}

#[derive(Deserialize)]
struct Planned {
    zone_id: String,
    name: String,
    #[serde(rename = "type")]
    rtype: String,
    ttl: u32,
    values: Option<BTreeSet<String>>,
    alias: Option<AliasModel>,
}

#[derive(Serialize)]
struct Refreshed<'a> {
    zone_id: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    rtype: &'a str,
    ttl: u32,
    fqdn: &'a str,
}

/// The full name of `name` in zone `zone` (both without final dots).
pub(crate) fn fqdn(name: &str, zone: &str) -> String {
    let zone = zone.trim_end_matches('.').to_ascii_lowercase();
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty() || name == "@" || name == zone {
        zone
    } else if name.ends_with(&format!(".{zone}")) {
        name
    } else {
        format!("{name}.{zone}")
    }
}

/// The name relative to the zone (`@` for the apex), from a full name.
pub(crate) fn relative(full: &str, zone: &str) -> String {
    let full = full.trim_end_matches('.').to_ascii_lowercase();
    let zone = zone.trim_end_matches('.').to_ascii_lowercase();
    if full == zone { "@".into() } else { full.strip_suffix(&format!(".{zone}")).map_or(full.clone(), str::to_string) }
}

/// A value as the cloud's wire wants it: TXT values quoted.
pub(crate) fn wire_value(rtype: &str, v: &str) -> String {
    if rtype == "TXT" && !v.starts_with('"') { format!("\"{}\"", v.replace('"', "\\\"")) } else { v.to_string() }
}

/// A value as written, from the wire: TXT quotes gone.
pub(crate) fn plain_value(rtype: &str, v: &str) -> String {
    if rtype == "TXT" && v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        v[1..v.len() - 1].replace("\\\"", "\"")
    } else {
        v.to_string()
    }
}

/// Two spellings of one value: a final dot and letter case do not count for names.
fn same_value(a: &str, b: &str) -> bool {
    a == b || a.trim_end_matches('.').eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// The cloud's values in the configuration's spelling where they mean the same.
fn keep_spelling(actual: &BTreeSet<String>, prior: &BTreeSet<String>) -> BTreeSet<String> {
    actual.iter().map(|a| prior.iter().find(|p| same_value(p, a)).cloned().unwrap_or_else(|| a.clone())).collect()
}

fn check_values(config: &Value, diags: &mut Diagnostics) {
    let rtype = config.attr("type").and_then(Value::as_str);
    let values = config.attr("values");
    let alias = config.attr("alias");
    let has_values = values.is_some_and(|v| !v.is_null());
    let has_alias = alias.is_some_and(|v| !v.is_null());
    match (has_values, has_alias) {
        (true, true) => diags.add_attribute_error(
            AttributePath::attr("alias"),
            "Both values and alias",
            "A record has values or an alias, not both; remove one.",
        ),
        (false, false) => diags.add_attribute_error(
            AttributePath::attr("values"),
            "No values",
            "Give the record values, or an alias block pointing at a load balancer.",
        ),
        _ => {}
    }
    if has_alias && rtype.is_some_and(|t| t != "A") {
        diags.add_attribute_error(
            AttributePath::attr("type"),
            "Alias of a type other than A",
            "An alias of a load balancer is an A record; set type = \"A\".",
        );
    }
    let Some(rtype) = rtype else { return };
    for v in values.and_then(Value::as_slice).unwrap_or(&[]).iter().filter_map(Value::as_str) {
        let problem = match rtype {
            "A" => v.parse::<std::net::Ipv4Addr>().err().map(|_| format!("{v:?} is not an IPv4 address")),
            "AAAA" => v.parse::<std::net::Ipv6Addr>().err().map(|_| format!("{v:?} is not an IPv6 address")),
            "MX" => {
                let mut parts = v.split_whitespace();
                let ok = parts.next().is_some_and(|p| p.parse::<u16>().is_ok())
                    && parts.next().is_some()
                    && parts.next().is_none();
                (!ok).then(|| format!("{v:?}: an MX value is a preference and a host, e.g. \"10 mail.example.com\""))
            }
            "CAA" => (v.split_whitespace().count() < 3).then(|| {
                format!("{v:?}: a CAA value is flags, tag and value, e.g. \"0 issue \\\"letsencrypt.org\\\"\"")
            }),
            "CNAME" if values.and_then(Value::as_slice).is_some_and(|s| s.len() > 1) => {
                Some("a CNAME record has one value".to_string())
            }
            _ => None,
        };
        if let Some(p) = problem {
            diags.add_attribute_error(AttributePath::attr("values"), format!("Invalid {rtype} value"), p);
        }
    }
}

#[tfplug::async_trait]
impl Kind for DnsRecord {
    const TYPE: &'static str = "oppie_dns_record";
    const NOUN: &'static str = "DNS record";
    const CLOUDS: &'static [Cloud] = &[Cloud::Aws, Cloud::Gcp];
    const TIMEOUTS: [(Operation, Duration); 3] = [
        (Operation::Create, Duration::from_secs(300)),
        (Operation::Update, Duration::from_secs(300)),
        (Operation::Delete, Duration::from_secs(300)),
    ];
    type Spec = DnsRecordSpec;
    type State = DnsRecordState;

    fn block() -> Block {
        Block::new()
            .markdown("A record set of an `oppie_dns_zone`: values, or an alias of an `oppie_load_balancer` (a Route 53 alias record, a Cloud DNS A record on the load balancer's address, an Azure alias record set on its public address). Built on AWS and GCP so far: planned on Azure it is an error that says so.")
            .attribute(Attribute::string("zone_id").required().plan_modifier(RequiresReplace).description("The `id` of the `oppie_dns_zone`. Changing it replaces the record."))
            .attribute(
                Attribute::string("name")
                    .required()
                    .validator(from_fn("a name in the zone", |v| match v.as_str() {
                        Some("@") | None => Ok(()),
                        Some(s) => crate::kinds::dns_zone::check_domain(s.trim_start_matches("*.")),
                    }))
                    .plan_modifier(RequiresReplace)
                    .description("The name inside the zone, e.g. `www`; `@` for the zone's own name. Changing it replaces the record."),
            )
            .attribute(Attribute::string("type").required().validator(one_of(TYPES)).plan_modifier(RequiresReplace).description("A, AAAA, CNAME, TXT, MX or CAA. Changing it replaces the record."))
            .attribute(Attribute::number("ttl").default(300).validator(int_between(1, 604_800)).description("Seconds resolvers may cache the answer (default 300). Changes in place."))
            .attribute(
                Attribute::new("values", Type::set(Type::String))
                    .optional()
                    .description("The values: addresses (A, AAAA), a host (CNAME), text without quotes (TXT), `10 mail.example.com` (MX), `0 issue \"letsencrypt.org\"` (CAA). Changes in place."),
            )
            .attribute(Attribute::string("fqdn").computed().description("The full name, e.g. `www.shop.example.com`."))
            .block(NestedBlock::single(
                "alias",
                Block::new()
                    .description("Point an A record at a load balancer instead of giving values.")
                    .attribute(Attribute::string("load_balancer_id").required().description("The `id` of the `oppie_load_balancer`.")),
            ))
    }

    fn api(region: &Region) -> Option<Arc<dyn Api<Self>>> {
        match region {
            Region::Aws(r) => Some(r.clone()),
            Region::Gcp(r) => Some(r.clone()),
            Region::Azure(_) => None,
        }
    }

    async fn validate(_ctx: &Context<Client>, config: &Object) -> Result<(), Diagnostics> {
        let mut diags = Diagnostics::new();
        check_values(config.value(), &mut diags);
        diags.into_result()
    }

    async fn plan(_ctx: &Context<Client>, plan: &mut Plan, place: Option<&Placement>, diags: &mut Diagnostics) {
        // An alias points at an oppie_load_balancer, which exists on the load balancer's clouds only.
        let lb_clouds = <crate::kinds::load_balancer::LoadBalancer as Kind>::CLOUDS;
        if let Some(p) = place
            && !lb_clouds.contains(&p.cloud)
            && !plan.planned.attr("alias").is_null()
        {
            let have: Vec<&str> = lb_clouds.iter().map(|c| c.key()).collect();
            diags.extend(common::not_on(
                p.cloud,
                AttributePath::attr("alias"),
                "alias",
                &format!("an alias points at an oppie_load_balancer, which exists on {} so far; give the record values (the load balancer's address) instead.", have.join(", ")),
            ));
        }
        if plan.prior.is_null() {
            diags.absorb(plan.planned.set_attr("fqdn", &tfplug::MaybeUnknown::<String>::Unknown));
        }
        diags.absorb(common::plan_native(plan, false));
    }

    fn spec(state: &Object) -> Result<DnsRecordSpec, Diagnostics> {
        let p: Planned = state.get()?;
        Ok(DnsRecordSpec {
            zone_id: p.zone_id,
            name: p.name,
            rtype: p.rtype,
            ttl: p.ttl,
            values: p.values.unwrap_or_default(),
            alias: p.alias.map(|a| a.load_balancer_id),
        })
    }

    fn label(spec: &DnsRecordSpec) -> String {
        format!("{} {}", spec.name, spec.rtype)
    }

    fn refresh(ctx: &Context<Client>, state: &mut Object, r: &DnsRecordState) -> Result<(), Diagnostics> {
        let prior_zone = state.attr("zone_id").as_str().unwrap_or_default().to_string();
        let zone_id =
            if prior_zone.eq_ignore_ascii_case(&r.spec.zone_id) { prior_zone } else { r.spec.zone_id.clone() };
        let prior_name = state.attr("name").as_str().unwrap_or_default().to_string();
        let name = if prior_name.trim_end_matches('.').eq_ignore_ascii_case(&r.spec.name) {
            prior_name
        } else {
            r.spec.name.clone()
        };
        // An alias carries no TTL of its own (0 here): the configured one stays.
        let ttl = match r.spec.ttl {
            0 => state
                .attr("ttl")
                .as_number()
                .and_then(|n| n.as_i64())
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(300),
            t => t,
        };
        state.merge(&Refreshed { zone_id: &zone_id, name: &name, rtype: &r.spec.rtype, ttl, fqdn: &r.fqdn })?;
        let prior_alias: Option<AliasModel> = state.get_at(&AttributePath::attr("alias")).unwrap_or(None);
        match (&r.spec.alias, &r.alias_target, prior_alias) {
            // The cloud names what the alias points at in its own terms: keep the configured
            // load balancer while the record is still an alias.
            (Some(lb), _, _) => state.set_attr("alias", &Some(AliasModel { load_balancer_id: lb.clone() }))?,
            (None, Some(_), Some(prior)) => state.set_attr("alias", &Some(prior))?,
            _ => state.set_attr("alias", &Option::<AliasModel>::None)?,
        }
        if r.spec.alias.is_none() && r.alias_target.is_none() {
            let prior: BTreeSet<String> =
                state.get_at::<Option<BTreeSet<String>>>(&AttributePath::attr("values"))?.unwrap_or_default();
            state.set_attr("values", &Some(keep_spelling(&r.spec.values, &prior)))?;
        } else {
            state.set_attr("values", &Option::<BTreeSet<String>>::None)?;
        }
        // Record sets keep no tags on any cloud: they stay as configured.
        common::set_refreshed_tags_if_kept(ctx, state, None)?;
        common::set_ids(state, &r.id, Some(&r.native))
    }

    fn applied(state: &mut Object, r: &DnsRecordState) -> Result<(), Diagnostics> {
        common::fill(state, "fqdn", &r.fqdn)?;
        common::fill(state, "native", &r.native)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values() {
        assert_eq!(fqdn("www", "shop.example.com."), "www.shop.example.com");
        assert_eq!(fqdn("@", "shop.example.com"), "shop.example.com");
        assert_eq!(fqdn("www.shop.example.com.", "shop.example.com"), "www.shop.example.com");
        assert_eq!(relative("www.shop.example.com.", "shop.example.com"), "www");
        assert_eq!(relative("shop.example.com.", "shop.example.com"), "@");
        assert_eq!(wire_value("TXT", "v=spf1 -all"), "\"v=spf1 -all\"");
        assert_eq!(plain_value("TXT", "\"v=spf1 -all\""), "v=spf1 -all");
        let prior: BTreeSet<String> = ["mail.example.com".to_string()].into();
        let actual: BTreeSet<String> = ["mail.example.com.".to_string()].into();
        assert_eq!(keep_spelling(&actual, &prior), prior);
    }

    #[test]
    fn values_and_alias_exclude_each_other() {
        let mut d = Diagnostics::new();
        let config = Value::object([
            ("type", Value::from("A")),
            ("values", Value::List(vec![Value::from("10.0.0.300")])),
            ("alias", Value::Null),
        ]);
        check_values(&config, &mut d);
        assert!(d.0.iter().any(|e| e.detail.contains("not an IPv4")), "{d:?}");
        let mut d = Diagnostics::new();
        check_values(
            &Value::object([("type", Value::from("TXT")), ("values", Value::Null), ("alias", Value::Null)]),
            &mut d,
        );
        assert!(d.0.iter().any(|e| e.summary == "No values"), "{d:?}");
    }
}
