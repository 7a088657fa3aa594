//! Subnets on AWS. A public subnet maps public IPs on request and gets its own route table
//! with a default route through the VPC's internet gateway; a private one uses the main table.

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, RouteTable};

use super::{Subnet, SubnetSpec, SubnetState};
use crate::clouds::aws::filter;
use crate::clouds::aws::idempotency::no_retry;
use crate::clouds::aws::tags::{self, TOKEN_TAG};
use crate::clouds::aws::{AwsRegion, errors};
use crate::clouds::aws::{list_filters, shown_name};
use crate::clouds::wait::while_in_use;
use crate::clouds::{CloudError, Native, Tags};
use crate::kinds::{Api, ListFilter, Listed};

/// Tag on a public subnet's route table naming the subnet.
const SUBNET_TAG: &str = "oppie:subnet-id";

impl AwsRegion {
    async fn subnet_route_table(&self, subnet_id: &str) -> Result<Option<RouteTable>, CloudError> {
        let out = self
            .ec2
            .describe_route_tables()
            .filters(filter(&format!("tag:{SUBNET_TAG}"), subnet_id))
            .send()
            .await
            .map_err(|e| errors::ec2("DescribeRouteTables", e))?;
        Ok(out.route_tables().first().cloned())
    }

    async fn make_public(&self, subnet_id: &str, vpc_id: &str) -> Result<(), CloudError> {
        let table = match self.subnet_route_table(subnet_id).await? {
            Some(t) => t,
            None => {
                let mut t = Tags::new();
                t.insert(SUBNET_TAG.into(), subnet_id.into());
                let create = || async {
                    let out = self
                        .ec2
                        .create_route_table()
                        .vpc_id(vpc_id)
                        .tag_specifications(tags::spec(ResourceType::RouteTable, &t, None, None))
                        .customize()
                        .config_override(no_retry())
                        .send()
                        .await
                        .map_err(|e| errors::ec2("CreateRouteTable", e))?;
                    out.route_table().and_then(|r| r.route_table_id()).map(str::to_string).ok_or_else(|| {
                        CloudError::other("AWS EC2", "CreateRouteTable", "the answer had no route table id")
                    })
                };
                let lookup = || async {
                    Ok(self.subnet_route_table(subnet_id).await?.and_then(|r| r.route_table_id().map(str::to_string)))
                };
                self.create_once(create, lookup).await?;
                self.subnet_route_table(subnet_id).await?.ok_or_else(|| {
                    CloudError::other("AWS EC2", "DescribeRouteTables", "the new route table is not listed")
                })?
            }
        };
        let table_id = table.route_table_id().unwrap_or_default().to_string();
        let has_default = table.routes().iter().any(|r| r.destination_cidr_block() == Some("0.0.0.0/0"));
        if !has_default {
            let igw = self.vpc_gateway(vpc_id).await?.ok_or_else(|| {
                CloudError::other(
                    "AWS EC2",
                    "CreateRoute",
                    format!("network {vpc_id} has no internet gateway; apply the oppie_network first"),
                )
            })?;
            if let Err(e) = self
                .ec2
                .create_route()
                .route_table_id(&table_id)
                .destination_cidr_block("0.0.0.0/0")
                .gateway_id(igw)
                .send()
                .await
            {
                let e = errors::ec2("CreateRoute", e);
                if e.code.as_deref() != Some("RouteAlreadyExists") {
                    return Err(e);
                }
            }
        }
        if !table.associations().iter().any(|a| a.subnet_id() == Some(subnet_id)) {
            self.ec2
                .associate_route_table()
                .route_table_id(&table_id)
                .subnet_id(subnet_id)
                .send()
                .await
                .map_err(|e| errors::ec2("AssociateRouteTable", e))?;
        }
        Ok(())
    }

    async fn make_private(&self, subnet_id: &str) -> Result<(), CloudError> {
        let Some(table) = self.subnet_route_table(subnet_id).await? else {
            return Ok(());
        };
        for a in table.associations() {
            if let Some(id) = a.route_table_association_id()
                && !a.main().unwrap_or(false)
            {
                match self.ec2.disassociate_route_table().association_id(id).send().await {
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
        let table_id = table.route_table_id().unwrap_or_default().to_string();
        while_in_use(|| async {
            self.ec2
                .delete_route_table()
                .route_table_id(&table_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| errors::ec2("DeleteRouteTable", e))
        })
        .await
    }

    async fn set_map_public_ip(&self, subnet_id: &str, on: bool) -> Result<(), CloudError> {
        self.ec2
            .modify_subnet_attribute()
            .subnet_id(subnet_id)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(on).build())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| errors::ec2("ModifySubnetAttribute", e))
    }
}

#[tfplug::async_trait]
impl Api<Subnet> for AwsRegion {
    async fn create(&self, spec: &SubnetSpec, token: &str) -> Result<String, CloudError> {
        let zone = format!("{}{}", self.region, spec.zone);
        let create = || async {
            let out = self
                .ec2
                .create_subnet()
                .vpc_id(&spec.network_id)
                .cidr_block(&spec.cidr)
                .availability_zone(&zone)
                .tag_specifications(tags::spec(ResourceType::Subnet, &spec.tags, None, Some(token)))
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
        self.create_once(create, || Api::<Subnet>::find(self, token)).await
    }

    async fn find(&self, token: &str) -> Result<Option<String>, CloudError> {
        let out = self
            .ec2
            .describe_subnets()
            .filters(filter(&format!("tag:{TOKEN_TAG}"), token))
            .send()
            .await
            .map_err(|e| errors::ec2("DescribeSubnets", e))?;
        Ok(out.subnets().first().and_then(|s| s.subnet_id()).map(str::to_string))
    }

    async fn update(&self, id: &str, spec: &SubnetSpec) -> Result<(), CloudError> {
        let out =
            self.ec2.describe_subnets().subnet_ids(id).send().await.map_err(|e| errors::ec2("DescribeSubnets", e))?;
        let Some(subnet) = out.subnets().first() else {
            return Err(CloudError::other("AWS EC2", "DescribeSubnets", format!("subnet {id} is gone")));
        };
        self.sync_tags(id, subnet.tags(), &spec.tags, None).await?;
        if subnet.map_public_ip_on_launch() != Some(spec.public) {
            self.set_map_public_ip(id, spec.public).await?;
        }
        if spec.public {
            self.make_public(id, &spec.network_id).await
        } else {
            self.make_private(id).await?;
            // Through its zone's NAT gateway where the network has one per zone.
            self.route_private_subnet(id, &spec.network_id, &spec.zone).await
        }
    }

    async fn read(&self, id: &str) -> Result<Option<SubnetState>, CloudError> {
        let out = match self.ec2.describe_subnets().subnet_ids(id).send().await {
            Ok(out) => out,
            Err(e) => {
                let e = errors::ec2("DescribeSubnets", e);
                return if e.is_not_found() { Ok(None) } else { Err(e) };
            }
        };
        let Some(s) = out.subnets().first() else {
            return Ok(None);
        };
        let az = s.availability_zone().unwrap_or_default();
        let zone = az.strip_prefix(self.region.as_str()).unwrap_or(az).to_string();
        let (_, user_tags) = tags::split(s.tags(), false);
        let mut native = Native::new();
        native.insert("subnet_id".into(), id.to_string());
        native.insert("vpc_id".into(), s.vpc_id().unwrap_or_default().to_string());
        native.insert("availability_zone".into(), az.to_string());
        if let Some(zid) = s.availability_zone_id() {
            native.insert("availability_zone_id".into(), zid.to_string());
        }
        let arn = s
            .subnet_arn()
            .map(str::to_string)
            .unwrap_or_else(|| self.ec2_arn(s.owner_id().unwrap_or_default(), "subnet", id));
        native.insert("arn".into(), arn);
        let table = self.subnet_route_table(id).await?;
        if let Some(t) = table.as_ref().and_then(|t| t.route_table_id()) {
            native.insert("route_table_id".into(), t.to_string());
        }
        Ok(Some(SubnetState {
            id: id.to_string(),
            network_id: s.vpc_id().unwrap_or_default().to_string(),
            cidr: s.cidr_block().unwrap_or_default().to_string(),
            zone,
            public: s.map_public_ip_on_launch().unwrap_or(false),
            tags: Some(user_tags),
            native,
        }))
    }

    async fn list(&self, filter: &ListFilter) -> Result<Vec<Listed>, CloudError> {
        // The default VPC's subnets are AWS's own.
        let mut filters = list_filters(filter, true);
        filters.push(crate::clouds::aws::filter("default-for-az", "false"));
        let mut found = Vec::new();
        let mut pages = self.ec2.describe_subnets().set_filters(Some(filters)).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| errors::ec2("DescribeSubnets", e))?;
            for s in page.subnets() {
                let id = s.subnet_id().unwrap_or_default();
                found.push(Listed { id: id.to_string(), name: shown_name(s.tags(), id) });
            }
        }
        Ok(found)
    }

    async fn delete(&self, id: &str, _spec: &SubnetSpec) -> Result<(), CloudError> {
        self.make_private(id).await?;
        while_in_use(|| async {
            self.ec2.delete_subnet().subnet_id(id).send().await.map(|_| ()).map_err(|e| errors::ec2("DeleteSubnet", e))
        })
        .await
    }
}
