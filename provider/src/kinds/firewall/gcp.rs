//! Firewalls on GCP: a set of VPC firewall rules sharing a target tag (the firewall's name);
//! machines join the firewall by carrying that network tag. Each Oppie rule is one GCP rule
//! named after a hash of its content, so an update deletes and inserts only the difference.
//! A base rule (`<name>-base`, lowest priority) denies all egress the rules do not allow,
//! as on the other clouds, and marks that the firewall exists. The firewall's id is
//! `<network id>/firewalls/<name>`.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use serde_json::{Value, json};

use super::{Firewall, FirewallSpec, FirewallState, PortRange, Protocol, Rule};
use crate::clouds::gcp::GcpRegion;
use crate::clouds::gcp::{last, resource_path};
use crate::clouds::http::Call;
use crate::clouds::{CloudError, Native};
use crate::kinds::{Api, ListFilter, Listed};

/// Splits a firewall id into (network path, name).
pub(crate) fn split_id(id: &str) -> (&str, &str) {
    match id.rsplit_once("/firewalls/") {
        Some((net, name)) => (net, name),
        None => ("", id),
    }
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The GCP rule for one Oppie rule, named `<fw>-<i|e><hash>`.
fn rule_body(fw: &str, network: &str, egress: bool, r: &Rule) -> (String, Value) {
    let proto = match r.protocol {
        Protocol::All => "all",
        p => p.key(),
    };
    let mut allowed = json!({ "IPProtocol": proto });
    if r.protocol.has_ports()
        && let Some(p) = r.ports.filter(|p| *p != PortRange::ALL)
    {
        allowed["ports"] = json!([p.to_string()]);
    }
    let ranges: Vec<&String> = r.sources.iter().collect();
    let key = format!("{egress}|{proto}|{:?}|{ranges:?}|{:?}", r.ports, r.description);
    let name = format!("{fw}-{}{:08x}", if egress { 'e' } else { 'i' }, fnv(&key) as u32);
    let mut body = json!({
        "name": name,
        "network": network,
        "direction": if egress { "EGRESS" } else { "INGRESS" },
        "priority": 1000,
        "allowed": [allowed],
        "targetTags": [fw],
    });
    body[if egress { "destinationRanges" } else { "sourceRanges" }] = json!(ranges);
    if let Some(d) = &r.description {
        body["description"] = json!(d);
    }
    (name, body)
}

fn base_body(fw: &str, network: &str) -> Value {
    json!({
        "name": format!("{fw}-base"),
        "network": network,
        "direction": "EGRESS",
        "priority": 65535,
        "denied": [{ "IPProtocol": "all" }],
        "destinationRanges": ["0.0.0.0/0"],
        "targetTags": [fw],
        "description": format!("Oppie firewall {fw}: no traffic leaves unless an egress rule allows it"),
    })
}

/// Oppie rules from a GCP rule (one per `allowed` entry).
pub(crate) fn parse_rule(v: &Value) -> Vec<Rule> {
    let egress = v["direction"] == "EGRESS";
    let ranges = if egress { &v["destinationRanges"] } else { &v["sourceRanges"] };
    let sources: BTreeSet<String> =
        ranges.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_string)).collect();
    let description = v["description"].as_str().filter(|d| !d.is_empty()).map(str::to_string);
    let mut out = Vec::new();
    for a in v["allowed"].as_array().into_iter().flatten() {
        let protocol = match a["IPProtocol"].as_str().unwrap_or("all") {
            "all" => Protocol::All,
            "tcp" | "6" => Protocol::Tcp,
            "udp" | "17" => Protocol::Udp,
            "icmp" | "1" => Protocol::Icmp,
            _ => continue,
        };
        let ports: Vec<&str> = a["ports"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        if ports.is_empty() {
            out.push(Rule { protocol, ports: None, sources: sources.clone(), description: description.clone() });
        }
        for p in ports {
            let ports = PortRange::parse(p).ok().filter(|p| *p != PortRange::ALL);
            out.push(Rule { protocol, ports, sources: sources.clone(), description: description.clone() });
        }
    }
    out
}

impl GcpRegion {
    /// The project's firewall rules carrying target tag `fw`, by name.
    async fn rules_of(&self, fw: &str) -> Result<BTreeMap<String, Value>, CloudError> {
        let mut out = BTreeMap::new();
        let mut page: Option<String> = None;
        loop {
            let mut q: Vec<(&str, &str)> = vec![("maxResults", "500")];
            if let Some(p) = &page {
                q.push(("pageToken", p));
            }
            let r = self
                .compute
                .send(Call::new(Method::GET, self.compute_url("global/firewalls", &q), "firewalls.list"))
                .await?;
            for item in r.json["items"].as_array().into_iter().flatten() {
                let tagged = item["targetTags"].as_array().is_some_and(|t| t.iter().any(|x| x == fw));
                let name = item["name"].as_str().unwrap_or_default();
                if tagged && name.starts_with(&format!("{fw}-")) {
                    out.insert(name.to_string(), item.clone());
                }
            }
            match r.json["nextPageToken"].as_str() {
                Some(t) if !t.is_empty() => page = Some(t.to_string()),
                _ => return Ok(out),
            }
        }
    }

    async fn delete_rule(&self, name: &str) -> Result<(), CloudError> {
        match self.compute_op(Method::DELETE, &format!("global/firewalls/{name}"), &[], None, "firewalls.delete").await
        {
            Err(e) if !e.is_not_found() => Err(e),
            _ => Ok(()),
        }
    }

    async fn insert_rule(&self, body: Value) -> Result<(), CloudError> {
        match self.compute_op(Method::POST, "global/firewalls", &[], Some(body), "firewalls.insert").await {
            // A rule of the same content exists already (same name): nothing to add.
            Err(e) if e.code.as_deref() == Some("alreadyExists") => Ok(()),
            other => other.map(|_| ()),
        }
    }
}

#[tfplug::async_trait]
impl Api<Firewall> for GcpRegion {
    async fn known_id(&self, spec: &FirewallSpec) -> Option<String> {
        Some(format!("{}/firewalls/{}", spec.network_id, spec.name))
    }

    async fn create(&self, spec: &FirewallSpec, _token: &str) -> Result<String, CloudError> {
        // The base rule is the firewall: while it exists, the firewall exists.
        let id = format!("{}/firewalls/{}", spec.network_id, spec.name);
        let body = base_body(&spec.name, &spec.network_id);
        match self.begin(&id, Method::POST, "global/firewalls", &[], Some(body), "firewalls.insert").await {
            // Made by an earlier attempt whose answer was lost: it is ours.
            Err(e) if e.code.as_deref() == Some("alreadyExists") => Ok(id),
            other => other.map(|()| id),
        }
    }

    async fn settle(&self, id: &str, spec: &FirewallSpec) -> Result<(), CloudError> {
        self.finish(id, "firewalls.insert").await?;
        Api::<Firewall>::update(self, id, spec).await
    }

    async fn update(&self, id: &str, spec: &FirewallSpec) -> Result<(), CloudError> {
        let (network, fw) = split_id(id);
        let have = self.rules_of(fw).await?;
        let mut want: BTreeMap<String, Value> = BTreeMap::new();
        for r in &spec.ingress {
            let (n, b) = rule_body(fw, network, false, r);
            want.insert(n, b);
        }
        for r in &spec.egress {
            let (n, b) = rule_body(fw, network, true, r);
            want.insert(n, b);
        }
        let base = format!("{fw}-base");
        for name in have.keys().filter(|n| **n != base && !want.contains_key(*n)) {
            self.delete_rule(name).await?;
        }
        if !have.contains_key(&base) {
            self.insert_rule(base_body(fw, network)).await?;
        }
        for (name, body) in want {
            if !have.contains_key(&name) {
                self.insert_rule(body).await?;
            }
        }
        Ok(())
    }

    /// An Oppie firewall is the rules sharing a target tag with a `<name>-base` rule; rules
    /// made some other way are not firewalls it can adopt. Rules carry no labels: a `tags`
    /// filter matches none.
    async fn list(&self, filter: &ListFilter) -> Result<Vec<Listed>, CloudError> {
        let items = self.compute_list("global/firewalls", "firewalls.list").await?;
        Ok(items
            .iter()
            .filter(|_| filter.matches_tags(None))
            .filter_map(|r| {
                let fw = r["name"].as_str()?.strip_suffix("-base")?;
                let network = resource_path(r["network"].as_str().unwrap_or_default());
                let tagged = r["targetTags"].as_array().is_some_and(|t| t.iter().any(|t| t.as_str() == Some(fw)));
                let in_network = filter.network_id.as_deref().is_none_or(|n| n == network);
                (tagged && in_network).then(|| Listed { id: format!("{network}/firewalls/{fw}"), name: fw.into() })
            })
            .collect())
    }

    async fn read(&self, id: &str) -> Result<Option<FirewallState>, CloudError> {
        let (_, fw) = split_id(id);
        let rules = self.rules_of(fw).await?;
        let base = format!("{fw}-base");
        let Some(b) = rules.get(&base) else {
            return Ok(None);
        };
        let network = resource_path(b["network"].as_str().unwrap_or_default());
        let (mut ingress, mut egress) = (BTreeSet::new(), BTreeSet::new());
        for (name, r) in &rules {
            if *name == base {
                continue;
            }
            let into = if r["direction"] == "EGRESS" { &mut egress } else { &mut ingress };
            into.extend(parse_rule(r));
        }
        let mut native = Native::new();
        native.insert("target_tag".into(), fw.to_string());
        native.insert("network".into(), network.clone());
        native.insert("rule_names".into(), rules.keys().cloned().collect::<Vec<_>>().join(","));
        Ok(Some(FirewallState {
            id: format!("{network}/firewalls/{fw}"),
            network_id: network,
            name: fw.to_string(),
            ingress,
            egress,
            tags: None,
            native,
        }))
    }

    async fn delete(&self, id: &str, _spec: &FirewallSpec) -> Result<(), CloudError> {
        let (_, fw) = split_id(id);
        let base = format!("{fw}-base");
        let rules = self.rules_of(fw).await?;
        for name in rules.keys().filter(|n| **n != base) {
            self.delete_rule(name).await?;
        }
        // The base rule last: while it exists, the firewall exists.
        self.delete_rule(&base).await
    }
}

/// The network tag of a firewall id (machines carry it to join).
pub(crate) fn target_tag(id: &str) -> String {
    last(id).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_round_trip_through_gcp_rules() {
        let r = Rule {
            protocol: Protocol::Tcp,
            ports: Some(PortRange { from: 8000, to: 8080 }),
            sources: ["10.0.0.0/8".to_string()].into(),
            description: Some("app".into()),
        };
        let (name, body) = rule_body("web", "projects/p/global/networks/n", false, &r);
        assert!(name.starts_with("web-i"), "{name}");
        assert_eq!(parse_rule(&body), vec![r.clone()]);
        let (again, _) = rule_body("web", "projects/p/global/networks/n", false, &r);
        assert_eq!(name, again, "names are stable");
        let all =
            Rule { protocol: Protocol::All, ports: None, sources: ["0.0.0.0/0".to_string()].into(), description: None };
        let (_, body) = rule_body("web", "n", true, &all);
        assert_eq!(body["destinationRanges"], json!(["0.0.0.0/0"]));
        assert_eq!(parse_rule(&body), vec![all]);
        assert_eq!(split_id("projects/p/global/networks/n/firewalls/web"), ("projects/p/global/networks/n", "web"));
    }
}
