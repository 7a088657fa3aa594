//! Firewalls on AWS: a security group. Oppie rules are flattened to one permission per
//! CIDR ("atoms"), so an update revokes and authorizes exactly the difference, and the
//! allow-all egress rule AWS adds to every new group is removed unless configured.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, ResourceType, SecurityGroup};

use super::{Firewall, FirewallSpec, FirewallState, PortRange, Protocol, Rule};
use crate::clouds::aws::filter;
use crate::clouds::aws::idempotency::no_retry;
use crate::clouds::aws::list_filters;
use crate::clouds::aws::tags::{self, TOKEN_TAG};
use crate::clouds::aws::{AwsRegion, errors};
use crate::clouds::wait::while_in_use;
use crate::clouds::{CloudError, Native};
use crate::kinds::{Api, ListFilter, Listed};

/// One CIDR's permission.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Atom {
    protocol: Protocol,
    ports: Option<PortRange>,
    cidr: String,
    description: Option<String>,
}

fn atoms(rules: &BTreeSet<Rule>) -> BTreeSet<Atom> {
    rules
        .iter()
        .flat_map(|r| {
            r.sources.iter().map(|cidr| Atom {
                protocol: r.protocol,
                ports: if r.protocol.has_ports() { r.ports.filter(|p| *p != PortRange::ALL) } else { None },
                cidr: cidr.clone(),
                description: r.description.clone(),
            })
        })
        .collect()
}

fn rules(atoms: impl IntoIterator<Item = Atom>) -> BTreeSet<Rule> {
    let mut grouped: BTreeMap<(Protocol, Option<PortRange>, Option<String>), BTreeSet<String>> = BTreeMap::new();
    for a in atoms {
        grouped.entry((a.protocol, a.ports, a.description)).or_default().insert(a.cidr);
    }
    grouped
        .into_iter()
        .map(|((protocol, ports, description), sources)| Rule { protocol, ports, sources, description })
        .collect()
}

/// Reads AWS permissions; protocols Oppie does not model (e.g. "50") and rules naming
/// other groups or prefix lists are left out (and left alone).
fn from_permissions(perms: &[IpPermission]) -> BTreeSet<Atom> {
    let mut out = BTreeSet::new();
    for p in perms {
        let protocol = match p.ip_protocol().unwrap_or("-1") {
            "-1" | "all" => Protocol::All,
            "tcp" | "6" => Protocol::Tcp,
            "udp" | "17" => Protocol::Udp,
            "icmp" | "1" => Protocol::Icmp,
            _ => continue,
        };
        let ports = match (protocol.has_ports(), p.from_port(), p.to_port()) {
            (true, Some(f), Some(t)) if (f, t) != (0, 65535) => {
                Some(PortRange { from: u16::try_from(f).unwrap_or(0), to: u16::try_from(t).unwrap_or(65535) })
            }
            _ => None,
        };
        let mut push = |cidr: &str, description: Option<&str>| {
            out.insert(Atom {
                protocol,
                ports,
                cidr: cidr.to_string(),
                description: description.filter(|d| !d.is_empty()).map(str::to_string),
            });
        };
        for r in p.ip_ranges() {
            if let Some(c) = r.cidr_ip() {
                push(c, r.description());
            }
        }
        for r in p.ipv6_ranges() {
            if let Some(c) = r.cidr_ipv6() {
                push(c, r.description());
            }
        }
    }
    out
}

fn to_permission(a: &Atom) -> IpPermission {
    let (proto, from, to) = match (a.protocol, a.ports) {
        (Protocol::All, _) => ("-1", None, None),
        (Protocol::Icmp, _) => ("icmp", Some(-1), Some(-1)),
        (p, ports) => {
            let r = ports.unwrap_or(PortRange::ALL);
            (p.key(), Some(i32::from(r.from)), Some(i32::from(r.to)))
        }
    };
    let mut b = IpPermission::builder().ip_protocol(proto).set_from_port(from).set_to_port(to);
    if a.cidr.contains(':') {
        b = b.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(&a.cidr).set_description(a.description.clone()).build());
    } else {
        b = b.ip_ranges(IpRange::builder().cidr_ip(&a.cidr).set_description(a.description.clone()).build());
    }
    b.build()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Ingress,
    Egress,
}

impl AwsRegion {
    async fn group(&self, id: &str) -> Result<Option<SecurityGroup>, CloudError> {
        match self.ec2.describe_security_groups().group_ids(id).send().await {
            Ok(out) => Ok(out.security_groups().first().cloned()),
            Err(e) => {
                let e = errors::ec2("DescribeSecurityGroups", e);
                if e.is_not_found() { Ok(None) } else { Err(e) }
            }
        }
    }

    async fn revoke(&self, id: &str, dir: Direction, atoms: &[Atom]) -> Result<(), CloudError> {
        if atoms.is_empty() {
            return Ok(());
        }
        let perms: Vec<IpPermission> = atoms.iter().map(to_permission).collect();
        let r = match dir {
            Direction::Ingress => self
                .ec2
                .revoke_security_group_ingress()
                .group_id(id)
                .set_ip_permissions(Some(perms))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| errors::ec2("RevokeSecurityGroupIngress", e)),
            Direction::Egress => self
                .ec2
                .revoke_security_group_egress()
                .group_id(id)
                .set_ip_permissions(Some(perms))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| errors::ec2("RevokeSecurityGroupEgress", e)),
        };
        // A retried revoke that had happened.
        match r {
            Err(e) if e.code.as_deref() == Some("InvalidPermission.NotFound") => Ok(()),
            other => other,
        }
    }

    async fn authorize(&self, id: &str, dir: Direction, atoms: &[Atom]) -> Result<(), CloudError> {
        if atoms.is_empty() {
            return Ok(());
        }
        let perms: Vec<IpPermission> = atoms.iter().map(to_permission).collect();
        let r = match dir {
            Direction::Ingress => self
                .ec2
                .authorize_security_group_ingress()
                .group_id(id)
                .set_ip_permissions(Some(perms))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| errors::ec2("AuthorizeSecurityGroupIngress", e)),
            Direction::Egress => self
                .ec2
                .authorize_security_group_egress()
                .group_id(id)
                .set_ip_permissions(Some(perms))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| errors::ec2("AuthorizeSecurityGroupEgress", e)),
        };
        // A retried authorize that had happened.
        match r {
            Err(e) if e.code.as_deref() == Some("InvalidPermission.Duplicate") => Ok(()),
            other => other,
        }
    }

    async fn sync_rules(
        &self,
        id: &str,
        dir: Direction,
        have: BTreeSet<Atom>,
        want: BTreeSet<Atom>,
    ) -> Result<(), CloudError> {
        let revoke: Vec<Atom> = have.difference(&want).cloned().collect();
        let grant: Vec<Atom> = want.difference(&have).cloned().collect();
        // Revoke first: a rule whose description changed is revoked and granted again.
        self.revoke(id, dir, &revoke).await?;
        self.authorize(id, dir, &grant).await
    }
}

#[tfplug::async_trait]
impl Api<Firewall> for AwsRegion {
    async fn create(&self, spec: &FirewallSpec, token: &str) -> Result<String, CloudError> {
        let create = || async {
            let out = self
                .ec2
                .create_security_group()
                .group_name(&spec.name)
                .description(format!("Managed by Oppie: {}", spec.name))
                .vpc_id(&spec.network_id)
                .tag_specifications(tags::spec(ResourceType::SecurityGroup, &spec.tags, Some(&spec.name), Some(token)))
                .customize()
                .config_override(no_retry())
                .send()
                .await
                .map_err(|e| errors::ec2("CreateSecurityGroup", e))?;
            out.group_id()
                .map(str::to_string)
                .ok_or_else(|| CloudError::other("AWS EC2", "CreateSecurityGroup", "the answer had no group id"))
        };
        self.create_once(create, || Api::<Firewall>::find(self, token)).await
    }

    async fn find(&self, token: &str) -> Result<Option<String>, CloudError> {
        let out = self
            .ec2
            .describe_security_groups()
            .filters(filter(&format!("tag:{TOKEN_TAG}"), token))
            .send()
            .await
            .map_err(|e| errors::ec2("DescribeSecurityGroups", e))?;
        Ok(out.security_groups().first().and_then(|g| g.group_id()).map(str::to_string))
    }

    async fn update(&self, id: &str, spec: &FirewallSpec) -> Result<(), CloudError> {
        let group = self.group(id).await?.ok_or_else(|| {
            CloudError::other("AWS EC2", "DescribeSecurityGroups", format!("security group {id} is gone"))
        })?;
        self.sync_tags(id, group.tags(), &spec.tags, Some(&spec.name)).await?;
        let have_in = from_permissions(group.ip_permissions());
        let have_out = from_permissions(group.ip_permissions_egress());
        self.sync_rules(id, Direction::Ingress, have_in, atoms(&spec.ingress)).await?;
        self.sync_rules(id, Direction::Egress, have_out, atoms(&spec.egress)).await
    }

    async fn read(&self, id: &str) -> Result<Option<FirewallState>, CloudError> {
        let Some(g) = self.group(id).await? else {
            return Ok(None);
        };
        let (_, user_tags) = tags::split(g.tags(), true);
        let owner = g.owner_id().unwrap_or_default();
        let mut native = Native::new();
        native.insert("security_group_id".into(), id.to_string());
        native.insert(
            "arn".into(),
            g.security_group_arn().map(str::to_string).unwrap_or_else(|| self.ec2_arn(owner, "security-group", id)),
        );
        native.insert("group_name".into(), g.group_name().unwrap_or_default().to_string());
        native.insert("vpc_id".into(), g.vpc_id().unwrap_or_default().to_string());
        native.insert("owner_id".into(), owner.to_string());
        Ok(Some(FirewallState {
            id: id.to_string(),
            network_id: g.vpc_id().unwrap_or_default().to_string(),
            name: g.group_name().unwrap_or_default().to_string(),
            ingress: rules(from_permissions(g.ip_permissions())),
            egress: rules(from_permissions(g.ip_permissions_egress())),
            tags: Some(user_tags),
            native,
        }))
    }

    async fn list(&self, filter: &ListFilter) -> Result<Vec<Listed>, CloudError> {
        let mut found = Vec::new();
        let filters = list_filters(filter, true);
        let mut pages = self.ec2.describe_security_groups().set_filters(Some(filters)).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| errors::ec2("DescribeSecurityGroups", e))?;
            // Every VPC's `default` group is AWS's own: it cannot be deleted.
            for g in page.security_groups().iter().filter(|g| g.group_name() != Some("default")) {
                let id = g.group_id().unwrap_or_default();
                found.push(Listed { id: id.to_string(), name: g.group_name().unwrap_or(id).to_string() });
            }
        }
        Ok(found)
    }

    async fn delete(&self, id: &str, _spec: &FirewallSpec) -> Result<(), CloudError> {
        while_in_use(|| async {
            self.ec2
                .delete_security_group()
                .group_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| errors::ec2("DeleteSecurityGroup", e))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(p: Protocol, ports: Option<&str>, sources: &[&str], d: Option<&str>) -> Rule {
        Rule {
            protocol: p,
            ports: ports.map(|t| PortRange::parse(t).unwrap()),
            sources: sources.iter().map(|s| s.to_string()).collect(),
            description: d.map(str::to_string),
        }
    }

    #[test]
    fn rules_survive_the_round_trip_through_aws_permissions() {
        let want: BTreeSet<Rule> = [
            rule(Protocol::Tcp, Some("443"), &["0.0.0.0/0", "::/0"], Some("https")),
            rule(Protocol::Tcp, Some("8000-8080"), &["10.0.0.0/8"], None),
            rule(Protocol::Icmp, None, &["10.0.0.0/8"], None),
            rule(Protocol::All, None, &["0.0.0.0/0"], None),
        ]
        .into();
        let perms: Vec<IpPermission> = atoms(&want).iter().map(to_permission).collect();
        assert_eq!(rules(from_permissions(&perms)), want);
    }

    #[test]
    fn full_port_range_reads_as_all_ports() {
        let p = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(0)
            .to_port(65535)
            .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
            .build();
        let r = rules(from_permissions(&[p]));
        assert_eq!(r.iter().next().unwrap().ports, None);
    }
}
