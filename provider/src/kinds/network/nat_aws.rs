//! NAT on AWS. Per NAT zone: a /28 public subnet of its own at the top of the VPC's range
//! (tagged with the VPC and zone), its route table to the internet gateway, an elastic IP and
//! a NAT gateway. The VPC's main route table (which private subnets use) sends 0.0.0.0/0 to
//! the first zone's gateway; with `per_zone` each zone also gets a route table to its own
//! gateway, which the zone's private subnets are associated with. Every part is found by its
//! tags, so a sync finishes what an interrupted one began and a delete finds everything.

use aws_sdk_ec2::types::{DomainType, ResourceType, RouteTable};

use super::nat::{Nat, NatMode, aws_nat_subnet};
use crate::cidr::Cidr;
use crate::clouds::aws::idempotency::no_retry;
use crate::clouds::aws::tags;
use crate::clouds::aws::{AwsRegion, errors, filter};
use crate::clouds::wait::{poll, while_in_use};
use crate::clouds::{CloudError, Tags};

/// On NAT subnets: the VPC they serve. (Their zone is the subnet's own.)
const NAT_FOR: &str = "oppie:nat-for";
/// On the NAT subnet's own route table and elastic IP: the NAT subnet.
const NAT_PART: &str = "oppie:nat-subnet";
/// On a zone's private route table (`per_zone`): `<vpc>/<zone suffix>`.
const NAT_ZONE_TABLE: &str = "oppie:nat-zone";

const ANY: &str = "0.0.0.0/0";

/// One NAT zone as it exists.
struct Part {
    subnet: String,
    zone: String,
    cidr: String,
    gateway: Option<String>,
}

impl AwsRegion {
    async fn nat_parts(&self, vpc: &str) -> Result<Vec<Part>, CloudError> {
        let out = self
            .ec2
            .describe_subnets()
            .filters(filter(&format!("tag:{NAT_FOR}"), vpc))
            .send()
            .await
            .map_err(|e| errors::ec2("DescribeSubnets", e))?;
        let mut parts = Vec::new();
        for s in out.subnets() {
            let subnet = s.subnet_id().unwrap_or_default().to_string();
            let az = s.availability_zone().unwrap_or_default();
            let zone = az.strip_prefix(self.region.as_str()).unwrap_or(az).to_string();
            parts.push(Part {
                gateway: self.nat_gateway_in(&subnet).await?,
                subnet,
                zone,
                cidr: s.cidr_block().unwrap_or_default().to_string(),
            });
        }
        Ok(parts)
    }

    async fn nat_gateway_in(&self, subnet: &str) -> Result<Option<String>, CloudError> {
        let out = self
            .ec2
            .describe_nat_gateways()
            .filter(filter("subnet-id", subnet))
            .send()
            .await
            .map_err(|e| errors::ec2("DescribeNatGateways", e))?;
        Ok(out
            .nat_gateways()
            .iter()
            .find(|g| !matches!(g.state().map(|s| s.as_str()), Some("deleted" | "deleting" | "failed")))
            .and_then(|g| g.nat_gateway_id())
            .map(str::to_string))
    }

    async fn tables_tagged(&self, key: &str, value: &str) -> Result<Vec<RouteTable>, CloudError> {
        let out = self
            .ec2
            .describe_route_tables()
            .filters(filter(&format!("tag:{key}"), value))
            .send()
            .await
            .map_err(|e| errors::ec2("DescribeRouteTables", e))?;
        Ok(out.route_tables().to_vec())
    }

    async fn main_table(&self, vpc: &str) -> Result<Option<RouteTable>, CloudError> {
        let out = self
            .ec2
            .describe_route_tables()
            .filters(filter("vpc-id", vpc))
            .send()
            .await
            .map_err(|e| errors::ec2("DescribeRouteTables", e))?;
        Ok(out.route_tables().iter().find(|t| t.associations().iter().any(|a| a.main() == Some(true))).cloned())
    }

    /// A route table tagged `key = value` in `vpc`, made when missing.
    async fn ensure_table(&self, vpc: &str, key: &str, value: &str) -> Result<RouteTable, CloudError> {
        if let Some(t) = self.tables_tagged(key, value).await?.into_iter().next() {
            return Ok(t);
        }
        let mut t = Tags::new();
        t.insert(key.into(), value.into());
        let create = || async {
            let out = self
                .ec2
                .create_route_table()
                .vpc_id(vpc)
                .tag_specifications(tags::spec(ResourceType::RouteTable, &t, None, None))
                .customize()
                .config_override(no_retry())
                .send()
                .await
                .map_err(|e| errors::ec2("CreateRouteTable", e))?;
            out.route_table()
                .and_then(|r| r.route_table_id())
                .map(str::to_string)
                .ok_or_else(|| CloudError::other("AWS EC2", "CreateRouteTable", "the answer had no route table id"))
        };
        let lookup = || async {
            Ok(self.tables_tagged(key, value).await?.first().and_then(|r| r.route_table_id()).map(str::to_string))
        };
        self.create_once(create, lookup).await?;
        self.tables_tagged(key, value)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| CloudError::other("AWS EC2", "DescribeRouteTables", "the new route table is not listed"))
    }

    /// Makes `table`'s default route go to the gateway (`igw` or `nat`).
    async fn default_route(&self, table: &RouteTable, igw: Option<&str>, nat: Option<&str>) -> Result<(), CloudError> {
        let id = table.route_table_id().unwrap_or_default();
        let current = table.routes().iter().find(|r| r.destination_cidr_block() == Some(ANY));
        if let Some(r) = current {
            if (igw.is_some() && r.gateway_id() == igw) || (nat.is_some() && r.nat_gateway_id() == nat) {
                return Ok(());
            }
            return self
                .ec2
                .replace_route()
                .route_table_id(id)
                .destination_cidr_block(ANY)
                .set_gateway_id(igw.map(str::to_string))
                .set_nat_gateway_id(nat.map(str::to_string))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| errors::ec2("ReplaceRoute", e));
        }
        match self
            .ec2
            .create_route()
            .route_table_id(id)
            .destination_cidr_block(ANY)
            .set_gateway_id(igw.map(str::to_string))
            .set_nat_gateway_id(nat.map(str::to_string))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = errors::ec2("CreateRoute", e);
                if e.code.as_deref() == Some("RouteAlreadyExists") { Ok(()) } else { Err(e) }
            }
        }
    }

    async fn associate(&self, table: &RouteTable, subnet: &str) -> Result<(), CloudError> {
        if table.associations().iter().any(|a| a.subnet_id() == Some(subnet)) {
            return Ok(());
        }
        // A subnet has one table: an association with another (not the main one) goes first.
        let out = self
            .ec2
            .describe_route_tables()
            .filters(filter("association.subnet-id", subnet))
            .send()
            .await
            .map_err(|e| errors::ec2("DescribeRouteTables", e))?;
        for t in out.route_tables() {
            for a in t.associations().iter().filter(|a| a.subnet_id() == Some(subnet)) {
                if let Some(aid) = a.route_table_association_id() {
                    self.ec2
                        .replace_route_table_association()
                        .association_id(aid)
                        .route_table_id(table.route_table_id().unwrap_or_default())
                        .send()
                        .await
                        .map_err(|e| errors::ec2("ReplaceRouteTableAssociation", e))?;
                    return Ok(());
                }
            }
        }
        self.ec2
            .associate_route_table()
            .route_table_id(table.route_table_id().unwrap_or_default())
            .subnet_id(subnet)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| errors::ec2("AssociateRouteTable", e))
    }

    async fn drop_table(&self, table: &RouteTable) -> Result<(), CloudError> {
        for a in table.associations().iter().filter(|a| a.main() != Some(true)) {
            if let Some(aid) = a.route_table_association_id() {
                match self.ec2.disassociate_route_table().association_id(aid).send().await {
                    Ok(_) => {}
                    Err(e) => {
                        let e = errors::ec2("DisassociateRouteTable", e);
                        if !e.is_not_found() {
                            return Err(e);
                        }
                    }
                }
            }
        }
        let id = table.route_table_id().unwrap_or_default().to_string();
        while_in_use(|| async {
            self.ec2
                .delete_route_table()
                .route_table_id(&id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| errors::ec2("DeleteRouteTable", e))
        })
        .await
    }

    /// One NAT zone's parts, made where missing: the subnet, its table, the address, the gateway.
    async fn ensure_nat_zone(
        &self,
        vpc: &str,
        igw: &str,
        zone: &str,
        cidr: &str,
        name: &str,
    ) -> Result<String, CloudError> {
        let subnet = match self.nat_parts(vpc).await?.into_iter().find(|p| p.zone == zone) {
            Some(p) => p.subnet,
            None => {
                let mut t = Tags::new();
                t.insert(NAT_FOR.into(), vpc.into());
                let az = format!("{}{zone}", self.region);
                let create = || async {
                    let out = self
                        .ec2
                        .create_subnet()
                        .vpc_id(vpc)
                        .cidr_block(cidr)
                        .availability_zone(&az)
                        .tag_specifications(tags::spec(
                            ResourceType::Subnet,
                            &t,
                            Some(&format!("{name}-nat-{zone}")),
                            None,
                        ))
                        .customize()
                        .config_override(no_retry())
                        .send()
                        .await
                        .map_err(|e| errors::ec2("CreateSubnet", e))?;
                    out.subnet()
                        .and_then(|s| s.subnet_id())
                        .map(str::to_string)
                        .ok_or_else(|| CloudError::other("AWS EC2", "CreateSubnet", "the answer had no subnet id"))
                };
                let lookup =
                    || async { Ok(self.nat_parts(vpc).await?.into_iter().find(|p| p.zone == zone).map(|p| p.subnet)) };
                self.create_once(create, lookup).await?
            }
        };
        let public = self.ensure_table(vpc, NAT_PART, &subnet).await?;
        self.default_route(&public, Some(igw), None).await?;
        self.associate(&public, &subnet).await?;
        if let Some(g) = self.nat_gateway_in(&subnet).await? {
            return self.wait_nat(&g).await.map(|()| g);
        }
        let allocation = self.nat_address(&subnet).await?;
        let create = || async {
            let out = self
                .ec2
                .create_nat_gateway()
                .subnet_id(&subnet)
                .allocation_id(&allocation)
                .tag_specifications(tags::spec(
                    ResourceType::Natgateway,
                    &Tags::new(),
                    Some(&format!("{name}-nat-{zone}")),
                    None,
                ))
                .customize()
                .config_override(no_retry())
                .send()
                .await
                .map_err(|e| errors::ec2("CreateNatGateway", e))?;
            out.nat_gateway()
                .and_then(|g| g.nat_gateway_id())
                .map(str::to_string)
                .ok_or_else(|| CloudError::other("AWS EC2", "CreateNatGateway", "the answer had no gateway id"))
        };
        let g = self.create_once(create, || self.nat_gateway_in(&subnet)).await?;
        self.wait_nat(&g).await?;
        Ok(g)
    }

    async fn wait_nat(&self, id: &str) -> Result<(), CloudError> {
        poll(std::time::Duration::from_secs(10), || async {
            let out = self
                .ec2
                .describe_nat_gateways()
                .nat_gateway_ids(id)
                .send()
                .await
                .map_err(|e| errors::ec2("DescribeNatGateways", e))?;
            match out.nat_gateways().first().and_then(|g| g.state()).map(|s| s.as_str()) {
                Some("available") => Ok(Some(())),
                Some("pending") => Ok(None),
                other => {
                    Err(CloudError::other("AWS EC2", "DescribeNatGateways", format!("NAT gateway {id} is {other:?}")))
                }
            }
        })
        .await
    }

    /// The elastic IP of the NAT subnet's gateway, allocated when missing.
    async fn nat_address(&self, subnet: &str) -> Result<String, CloudError> {
        let lookup = || async {
            let out = self
                .ec2
                .describe_addresses()
                .filters(filter(&format!("tag:{NAT_PART}"), subnet))
                .send()
                .await
                .map_err(|e| errors::ec2("DescribeAddresses", e))?;
            Ok(out.addresses().first().and_then(|a| a.allocation_id()).map(str::to_string))
        };
        if let Some(a) = lookup().await? {
            return Ok(a);
        }
        let mut t = Tags::new();
        t.insert(NAT_PART.into(), subnet.into());
        let create = || async {
            let out = self
                .ec2
                .allocate_address()
                .domain(DomainType::Vpc)
                .tag_specifications(tags::spec(ResourceType::ElasticIp, &t, None, None))
                .customize()
                .config_override(no_retry())
                .send()
                .await
                .map_err(|e| errors::ec2("AllocateAddress", e))?;
            out.allocation_id()
                .map(str::to_string)
                .ok_or_else(|| CloudError::other("AWS EC2", "AllocateAddress", "no allocation id"))
        };
        self.create_once(create, lookup).await
    }

    async fn remove_nat_zone(&self, vpc: &str, part: &Part) -> Result<(), CloudError> {
        for t in self.tables_tagged(NAT_ZONE_TABLE, &format!("{vpc}/{}", part.zone)).await? {
            self.drop_table(&t).await?;
        }
        if let Some(g) = &part.gateway {
            if let Some(main) = self.main_table(vpc).await?
                && main
                    .routes()
                    .iter()
                    .any(|r| r.destination_cidr_block() == Some(ANY) && r.nat_gateway_id() == Some(g.as_str()))
            {
                match self
                    .ec2
                    .delete_route()
                    .route_table_id(main.route_table_id().unwrap_or_default())
                    .destination_cidr_block(ANY)
                    .send()
                    .await
                {
                    Ok(_) => {}
                    Err(e) => {
                        let e = errors::ec2("DeleteRoute", e);
                        if !e.is_not_found() {
                            return Err(e);
                        }
                    }
                }
            }
            match self.ec2.delete_nat_gateway().nat_gateway_id(g).send().await {
                Ok(_) => {}
                Err(e) => {
                    let e = errors::ec2("DeleteNatGateway", e);
                    if !e.is_not_found() {
                        return Err(e);
                    }
                }
            }
            poll(std::time::Duration::from_secs(10), || async {
                Ok(self.nat_gateway_in(&part.subnet).await?.is_none().then_some(()))
            })
            .await?;
        }
        let out = self
            .ec2
            .describe_addresses()
            .filters(filter(&format!("tag:{NAT_PART}"), &part.subnet))
            .send()
            .await
            .map_err(|e| errors::ec2("DescribeAddresses", e))?;
        for a in out.addresses() {
            if let Some(aid) = a.allocation_id() {
                while_in_use(|| async {
                    self.ec2
                        .release_address()
                        .allocation_id(aid)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| errors::ec2("ReleaseAddress", e))
                })
                .await?;
            }
        }
        for t in self.tables_tagged(NAT_PART, &part.subnet).await? {
            self.drop_table(&t).await?;
        }
        while_in_use(|| async {
            self.ec2
                .delete_subnet()
                .subnet_id(&part.subnet)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| errors::ec2("DeleteSubnet", e))
        })
        .await
    }

    /// Brings the VPC's NAT to `nat`: removes zones no longer wanted, makes the missing ones,
    /// and routes private subnets.
    pub(super) async fn sync_nat(&self, vpc: &str, vpc_cidr: &str, name: &str, nat: &Nat) -> Result<(), CloudError> {
        let parts = self.nat_parts(vpc).await?;
        for p in parts.iter().filter(|p| !nat.zones.contains(&p.zone)) {
            self.remove_nat_zone(vpc, p).await?;
        }
        if nat.mode != NatMode::PerZone {
            for p in &parts {
                for t in self.tables_tagged(NAT_ZONE_TABLE, &format!("{vpc}/{}", p.zone)).await? {
                    self.drop_table(&t).await?;
                }
            }
        }
        if nat.mode == NatMode::None || nat.zones.is_empty() {
            return Ok(());
        }
        let igw = self.vpc_gateway(vpc).await?.ok_or_else(|| {
            CloudError::other("AWS EC2", "CreateNatGateway", format!("network {vpc} has no internet gateway"))
        })?;
        let network = Cidr::parse(vpc_cidr).map_err(|e| CloudError::other("AWS EC2", "NAT", e))?;
        let kept: Vec<Part> = parts.into_iter().filter(|p| nat.zones.contains(&p.zone)).collect();
        let mut gateways = Vec::new();
        for zone in &nat.zones {
            let cidr = match kept.iter().find(|p| &p.zone == zone) {
                Some(p) => p.cidr.clone(),
                // The lowest slot at the top of the range no NAT subnet uses yet.
                None => (0..16)
                    .filter_map(|i| aws_nat_subnet(network, i))
                    .map(|c| c.to_string())
                    .find(|c| !kept.iter().any(|p| &p.cidr == c))
                    .ok_or_else(|| {
                        CloudError::other("AWS EC2", "CreateSubnet", format!("no room for a NAT subnet in {vpc_cidr}"))
                    })?,
            };
            gateways.push((zone.clone(), self.ensure_nat_zone(vpc, &igw, zone, &cidr, name).await?));
        }
        // Private subnets use the main table: its default route goes to the first gateway.
        if let Some(main) = self.main_table(vpc).await? {
            self.default_route(&main, None, Some(&gateways[0].1)).await?;
        }
        if nat.mode == NatMode::PerZone {
            for (zone, g) in &gateways {
                let table = self.ensure_table(vpc, NAT_ZONE_TABLE, &format!("{vpc}/{zone}")).await?;
                self.default_route(&table, None, Some(g)).await?;
                // The zone's private subnets: those on the main table (public ones have their own).
                let out = self
                    .ec2
                    .describe_subnets()
                    .filters(filter("vpc-id", vpc))
                    .filters(filter("availability-zone", &format!("{}{zone}", self.region)))
                    .send()
                    .await
                    .map_err(|e| errors::ec2("DescribeSubnets", e))?;
                for s in out.subnets().iter().filter(|s| !s.tags().iter().any(|t| t.key() == Some(NAT_FOR))) {
                    let sid = s.subnet_id().unwrap_or_default();
                    let assoc = self
                        .ec2
                        .describe_route_tables()
                        .filters(filter("association.subnet-id", sid))
                        .send()
                        .await
                        .map_err(|e| errors::ec2("DescribeRouteTables", e))?;
                    if assoc.route_tables().is_empty() {
                        self.associate(&table, sid).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The NAT the VPC has.
    pub(super) async fn read_nat(&self, vpc: &str) -> Result<Nat, CloudError> {
        let mut parts: Vec<Part> = self.nat_parts(vpc).await?.into_iter().filter(|p| p.gateway.is_some()).collect();
        if parts.is_empty() {
            return Ok(Nat::default());
        }
        // The gateway the main table routes to is the first zone's.
        let main = self.main_table(vpc).await?;
        let first = main.as_ref().and_then(|m| {
            m.routes()
                .iter()
                .find(|r| r.destination_cidr_block() == Some(ANY))
                .and_then(|r| r.nat_gateway_id())
                .map(str::to_string)
        });
        parts.sort_by_key(|p| (p.gateway != first, p.zone.clone()));
        let per_zone = !self.tables_tagged(NAT_ZONE_TABLE, &format!("{vpc}/{}", parts[0].zone)).await?.is_empty();
        Ok(Nat {
            mode: if per_zone { NatMode::PerZone } else { NatMode::Single },
            zones: parts.into_iter().map(|p| p.zone).collect(),
        })
    }

    /// Sends a private subnet's traffic through its zone's NAT gateway where the network has
    /// one per zone (called by the subnet kind; other private subnets use the main table).
    pub(crate) async fn route_private_subnet(&self, subnet: &str, vpc: &str, zone: &str) -> Result<(), CloudError> {
        if let Some(table) = self.tables_tagged(NAT_ZONE_TABLE, &format!("{vpc}/{zone}")).await?.into_iter().next() {
            self.associate(&table, subnet).await?;
        }
        Ok(())
    }
}
