//! Firewalls as network security groups: one Allow rule per ingress/egress block, numbered
//! from priority 100 in the rules' sorted order, and a final Deny in each direction so only
//! what the blocks allow passes (Azure's default rules would allow traffic inside the network).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{Firewall, FirewallSpec, FirewallState, PortRange, Protocol, Rule};
use crate::clouds::azure::groups::{self, group_of};
use crate::clouds::azure::names::last;
use crate::clouds::azure::{AzureRegion, api};
use crate::clouds::{CloudError, Native};
use crate::kinds::{Api, ListFilter, Listed, arm_listed};

/// The tag that links a security group to its network (security groups have no such field).
const NETWORK_TAG: &str = "oppie:network";
/// Priority of the first rule; Azure allows 100 to 4096.
const FIRST_PRIORITY: usize = 100;
/// Names of the closing Deny rules.
const DENY_IN: &str = "oppie-deny-all-inbound";
const DENY_OUT: &str = "oppie-deny-all-outbound";

fn protocol(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "Tcp",
        Protocol::Udp => "Udp",
        Protocol::Icmp => "Icmp",
        Protocol::All => "*",
    }
}

fn rule_json(name: String, priority: usize, inbound: bool, r: &Rule) -> Value {
    let ports = match (r.protocol.has_ports(), r.ports) {
        (true, Some(p)) => p.to_string(),
        _ => "*".to_string(),
    };
    let peers: Vec<&String> = r.sources.iter().collect();
    let mut p = json!({
        "protocol": protocol(r.protocol),
        "sourcePortRange": "*",
        "destinationPortRange": ports,
        "access": "Allow",
        "priority": priority,
        "direction": if inbound { "Inbound" } else { "Outbound" },
    });
    if inbound {
        p["sourceAddressPrefixes"] = json!(peers);
        p["destinationAddressPrefix"] = json!("*");
    } else {
        p["sourceAddressPrefix"] = json!("*");
        p["destinationAddressPrefixes"] = json!(peers);
    }
    if let Some(d) = &r.description {
        p["description"] = json!(d);
    }
    json!({"name": name, "properties": p})
}

fn deny(name: &str, inbound: bool) -> Value {
    json!({"name": name, "properties": {
        "protocol": "*", "sourcePortRange": "*", "destinationPortRange": "*",
        "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
        "access": "Deny", "priority": 4096, "direction": if inbound { "Inbound" } else { "Outbound" },
    }})
}

/// The security rules for `spec`: deterministic names and priorities.
fn rules(spec: &FirewallSpec) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, r) in spec.ingress.iter().enumerate() {
        out.push(rule_json(format!("in-{i}"), FIRST_PRIORITY + i, true, r));
    }
    for (i, r) in spec.egress.iter().enumerate() {
        out.push(rule_json(format!("out-{i}"), FIRST_PRIORITY + i, false, r));
    }
    out.push(deny(DENY_IN, true));
    out.push(deny(DENY_OUT, false));
    out
}

fn body(region: &str, spec: &FirewallSpec) -> Value {
    let mut tags = spec.tags.clone();
    tags.insert(NETWORK_TAG.into(), spec.network_id.clone());
    json!({"location": region, "tags": tags, "properties": {"securityRules": rules(spec)}})
}

/// A security rule read back as a cloud-neutral rule (Deny rules are Oppie's own).
fn parse_rule(v: &Value) -> Option<(bool, Rule)> {
    let p = &v["properties"];
    if p["access"].as_str() != Some("Allow") {
        return None;
    }
    let inbound = p["direction"].as_str() == Some("Inbound");
    let protocol = match p["protocol"].as_str().unwrap_or("*") {
        "Tcp" => Protocol::Tcp,
        "Udp" => Protocol::Udp,
        "Icmp" => Protocol::Icmp,
        _ => Protocol::All,
    };
    let ports = match p["destinationPortRange"].as_str() {
        Some("*") | None => None,
        Some(r) => PortRange::parse(r).ok(),
    }
    .filter(|_| protocol.has_ports());
    let (many, one) = if inbound {
        ("sourceAddressPrefixes", "sourceAddressPrefix")
    } else {
        ("destinationAddressPrefixes", "destinationAddressPrefix")
    };
    let mut sources: BTreeSet<String> =
        p[many].as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_string)).collect();
    if let Some(s) = p[one].as_str().filter(|s| *s != "*" && !s.is_empty()) {
        sources.insert(s.to_string());
    }
    let description = p["description"].as_str().filter(|d| !d.is_empty()).map(str::to_string);
    Some((inbound, Rule { protocol, ports, sources, description }))
}

impl AzureRegion {
    /// The security group's id: `<network>-<name>` in the network's resource group.
    fn nsg_id(&self, spec: &FirewallSpec) -> Result<String, CloudError> {
        let rg = group_of(&spec.network_id)?;
        let name = format!("{}-{}", last(&spec.network_id), spec.name);
        Ok(format!("{}/providers/Microsoft.Network/networkSecurityGroups/{name}", self.group_id(rg)?))
    }
}

#[tfplug::async_trait]
impl Api<Firewall> for AzureRegion {
    async fn known_id(&self, spec: &FirewallSpec) -> Option<String> {
        self.nsg_id(spec).ok()
    }

    async fn create(&self, spec: &FirewallSpec, _token: &str) -> Result<String, CloudError> {
        let id = self.nsg_id(spec)?;
        self.put_start(&id, api::NETWORK, body(&self.region, spec), "networkSecurityGroups.createOrUpdate").await?;
        Ok(id)
    }

    async fn settle(&self, id: &str, spec: &FirewallSpec) -> Result<(), CloudError> {
        self.settle_put(id, api::NETWORK, "networkSecurityGroups.createOrUpdate").await?;
        Api::<Firewall>::update(self, id, spec).await
    }

    async fn update(&self, id: &str, spec: &FirewallSpec) -> Result<(), CloudError> {
        let current = Api::<Firewall>::read(self, id).await?;
        let same = current.is_some_and(|f| {
            f.ingress == spec.ingress && f.egress == spec.egress && f.tags.as_ref() == Some(&spec.tags)
        });
        if !same {
            self.put(id, api::NETWORK, body(&self.region, spec), "networkSecurityGroups.createOrUpdate").await?;
        }
        Ok(())
    }

    async fn read(&self, id: &str) -> Result<Option<FirewallState>, CloudError> {
        let Some(v) = self.get(id, api::NETWORK, "networkSecurityGroups.get").await? else { return Ok(None) };
        let mut ingress = BTreeSet::new();
        let mut egress = BTreeSet::new();
        for r in v["properties"]["securityRules"].as_array().into_iter().flatten() {
            match parse_rule(r) {
                Some((true, rule)) => ingress.insert(rule),
                Some((false, rule)) => egress.insert(rule),
                None => false,
            };
        }
        let network_id = v["tags"][NETWORK_TAG].as_str().unwrap_or_default().to_string();
        let name = last(id).strip_prefix(&format!("{}-", last(&network_id))).unwrap_or(last(id)).to_string();
        let mut native = Native::new();
        native.insert("resource_group".into(), group_of(id)?.to_string());
        native.insert("security_group_name".into(), last(id).to_string());
        Ok(Some(FirewallState {
            id: v["id"].as_str().unwrap_or(id).to_string(),
            network_id,
            name,
            ingress,
            egress,
            tags: Some(groups::user_tags(&v)),
            native,
        }))
    }

    /// Network security groups in the region; the network is the one Oppie tagged.
    async fn list(&self, filter: &ListFilter) -> Result<Vec<Listed>, CloudError> {
        let op = if filter.resource_group.is_some() {
            "networkSecurityGroups.list"
        } else {
            "networkSecurityGroups.listAll"
        };
        let items = self
            .list_in_region(
                "Microsoft.Network/networkSecurityGroups",
                filter.resource_group.as_deref(),
                api::NETWORK,
                op,
            )
            .await?;
        Ok(items
            .iter()
            .filter(|v| filter.matches_tags(Some(&groups::user_tags(v))))
            .filter(|v| {
                filter
                    .network_id
                    .as_deref()
                    .is_none_or(|n| v["tags"][NETWORK_TAG].as_str().is_some_and(|t| t.eq_ignore_ascii_case(n)))
            })
            .filter_map(arm_listed)
            .collect())
    }

    async fn delete(&self, id: &str, _spec: &FirewallSpec) -> Result<(), CloudError> {
        crate::clouds::wait::while_in_use(|| self.delete(id, api::NETWORK, "networkSecurityGroups.delete")).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "[A-Za-z0-9*/.-]{0,12}".prop_map(Value::from),
            prop_oneof![Just("Allow"), Just("Inbound"), Just("Tcp"), Just("22-21"), Just("0.0.0.0/0")]
                .prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 64, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("properties".to_string()),
                        Just("access".to_string()),
                        Just("direction".to_string()),
                        Just("protocol".to_string()),
                        Just("destinationPortRange".to_string()),
                        Just("sourceAddressPrefixes".to_string()),
                        "[a-z]{1,6}"
                    ],
                    inner,
                    0..5
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn any_answer_reads_without_panicking(v in json_value()) {
            let _ = parse_rule(&v);
        }
    }

    #[test]
    fn rules_round_trip_with_deterministic_priorities() {
        let ssh = Rule {
            protocol: Protocol::Tcp,
            ports: Some(PortRange { from: 22, to: 22 }),
            sources: ["10.0.0.0/8".to_string()].into(),
            description: Some("ssh".into()),
        };
        let all =
            Rule { protocol: Protocol::All, ports: None, sources: ["0.0.0.0/0".to_string()].into(), description: None };
        let spec = FirewallSpec {
            network_id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/n".into(),
            name: "web".into(),
            ingress: [ssh.clone(), all.clone()].into(),
            egress: [all.clone()].into(),
            tags: Default::default(),
        };
        let rs = rules(&spec);
        assert_eq!(rs.len(), 5);
        assert_eq!(rs[0]["properties"]["priority"], 100);
        assert_eq!(rs[1]["properties"]["priority"], 101);
        assert_eq!(rs, rules(&spec), "same spec, same rules");
        let back: Vec<(bool, Rule)> = rs.iter().filter_map(parse_rule).collect();
        assert_eq!(back.len(), 3, "deny rules are not user rules");
        assert!(back.contains(&(true, ssh)));
        assert!(back.contains(&(false, all)));
    }
}
