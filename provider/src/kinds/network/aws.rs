//! Networks on AWS: a VPC plus an attached internet gateway (which public subnets route
//! through; it costs nothing while unused).

use aws_sdk_ec2::types::ResourceType;

use crate::clouds::aws::filter;

use super::{Network, NetworkSpec, NetworkState};
use crate::clouds::aws::idempotency::no_retry;
use crate::clouds::aws::tags::{self, TOKEN_TAG};
use crate::clouds::aws::{AwsRegion, errors};
use crate::clouds::aws::{list_filters, shown_name};
use crate::clouds::wait::while_in_use;
use crate::kinds::{Api, ListFilter, Listed};
use tfplug::{AttributePath, Diagnostics, Plan};

use crate::cidr::Cidr;
use crate::clouds::{CloudError, Native};

/// Tag on the internet gateway naming its VPC, so a retried create finds it.
const NETWORK_TAG: &str = "oppie:network-id";

impl AwsRegion {
    async fn vpc_gateways(&self, vpc_id: &str) -> Result<Vec<String>, CloudError> {
        self.gateways_by("attachment.vpc-id", vpc_id).await
    }

    async fn gateways_by(&self, filter_name: &str, value: &str) -> Result<Vec<String>, CloudError> {
        let out = self
            .ec2
            .describe_internet_gateways()
            .filters(filter(filter_name, value))
            .send()
            .await
            .map_err(|e| errors::ec2("DescribeInternetGateways", e))?;
        Ok(out.internet_gateways().iter().filter_map(|g| g.internet_gateway_id().map(str::to_string)).collect())
    }

    /// The internet gateway of `vpc_id`, if it has one.
    pub(crate) async fn vpc_gateway(&self, vpc_id: &str) -> Result<Option<String>, CloudError> {
        Ok(self.vpc_gateways(vpc_id).await?.into_iter().next())
    }

    async fn ensure_gateway(&self, vpc_id: &str, name: &str) -> Result<(), CloudError> {
        if self.vpc_gateway(vpc_id).await?.is_some() {
            return Ok(());
        }
        let lookup = || async {
            let out = self
                .ec2
                .describe_internet_gateways()
                .filters(filter(&format!("tag:{NETWORK_TAG}"), vpc_id))
                .send()
                .await
                .map_err(|e| errors::ec2("DescribeInternetGateways", e))?;
            Ok(out.internet_gateways().first().and_then(|g| g.internet_gateway_id()).map(str::to_string))
        };
        let igw = match lookup().await? {
            Some(id) => id,
            None => {
                let mut t = crate::clouds::Tags::new();
                t.insert(NETWORK_TAG.into(), vpc_id.into());
                let create = || async {
                    let out = self
                        .ec2
                        .create_internet_gateway()
                        .tag_specifications(tags::spec(ResourceType::InternetGateway, &t, Some(name), None))
                        .customize()
                        .config_override(no_retry())
                        .send()
                        .await
                        .map_err(|e| errors::ec2("CreateInternetGateway", e))?;
                    out.internet_gateway().and_then(|g| g.internet_gateway_id()).map(str::to_string).ok_or_else(|| {
                        CloudError::other("AWS EC2", "CreateInternetGateway", "the answer had no gateway id")
                    })
                };
                self.create_once(create, lookup).await?
            }
        };
        match self.ec2.attach_internet_gateway().internet_gateway_id(&igw).vpc_id(vpc_id).send().await {
            Ok(_) => Ok(()),
            // A retried attach that had happened.
            Err(e) => {
                let e = errors::ec2("AttachInternetGateway", e);
                if e.code.as_deref() == Some("Resource.AlreadyAssociated") { Ok(()) } else { Err(e) }
            }
        }
    }
}

/// AWS VPCs take a /16 to /28 range.
pub(super) fn check_plan(plan: &Plan, diags: &mut Diagnostics) {
    if let Some(cidr) = plan.planned.attr("cidr").as_str()
        && let Ok(c) = Cidr::parse(cidr)
        && !(16..=28).contains(&c.prefix())
    {
        diags.add_attribute_error(
            AttributePath::attr("cidr"),
            "Network range not allowed on AWS",
            format!("AWS VPCs take a /16 to /28 range; {cidr} is /{}.", c.prefix()),
        );
    }
}

#[tfplug::async_trait]
impl Api<Network> for AwsRegion {
    async fn create(&self, spec: &NetworkSpec, token: &str) -> Result<String, CloudError> {
        let create = || async {
            let out = self
                .ec2
                .create_vpc()
                .cidr_block(&spec.cidr)
                .tag_specifications(tags::spec(ResourceType::Vpc, &spec.tags, Some(&spec.name), Some(token)))
                .customize()
                .config_override(no_retry())
                .send()
                .await
                .map_err(|e| errors::ec2("CreateVpc", e))?;
            out.vpc()
                .and_then(|v| v.vpc_id())
                .map(str::to_string)
                .ok_or_else(|| CloudError::other("AWS EC2", "CreateVpc", "the answer had no VPC id"))
        };
        self.create_once(create, || Api::<Network>::find(self, token)).await
    }

    async fn find(&self, token: &str) -> Result<Option<String>, CloudError> {
        let out = self
            .ec2
            .describe_vpcs()
            .filters(filter(&format!("tag:{TOKEN_TAG}"), token))
            .send()
            .await
            .map_err(|e| errors::ec2("DescribeVpcs", e))?;
        Ok(out.vpcs().first().and_then(|v| v.vpc_id()).map(str::to_string))
    }

    async fn update(&self, id: &str, spec: &NetworkSpec) -> Result<(), CloudError> {
        let out = self.ec2.describe_vpcs().vpc_ids(id).send().await.map_err(|e| errors::ec2("DescribeVpcs", e))?;
        let current = out.vpcs().first().map(|v| v.tags().to_vec()).unwrap_or_default();
        let cidr = out.vpcs().first().and_then(|v| v.cidr_block()).unwrap_or(&spec.cidr).to_string();
        self.sync_tags(id, &current, &spec.tags, Some(&spec.name)).await?;
        self.ensure_gateway(id, &spec.name).await?;
        self.sync_nat(id, &cidr, &spec.name, &spec.nat).await
    }

    async fn read(&self, id: &str) -> Result<Option<NetworkState>, CloudError> {
        let out = match self.ec2.describe_vpcs().vpc_ids(id).send().await {
            Ok(out) => out,
            Err(e) => {
                let e = errors::ec2("DescribeVpcs", e);
                return if e.is_not_found() { Ok(None) } else { Err(e) };
            }
        };
        let Some(vpc) = out.vpcs().first() else {
            return Ok(None);
        };
        let (name, user_tags) = tags::split(vpc.tags(), true);
        let owner = vpc.owner_id().unwrap_or_default();
        let mut native = Native::new();
        native.insert("vpc_id".into(), id.to_string());
        native.insert("arn".into(), self.ec2_arn(owner, "vpc", id));
        native.insert("owner_id".into(), owner.to_string());
        native.insert("region".into(), self.region.clone());
        if let Some(igw) = self.vpc_gateway(id).await? {
            native.insert("internet_gateway_id".into(), igw);
        }
        let nat = self.read_nat(id).await?;
        Ok(Some(NetworkState {
            id: id.to_string(),
            name: name.unwrap_or_default(),
            cidr: vpc.cidr_block().unwrap_or_default().to_string(),
            tags: Some(user_tags),
            native,
            resource_group: None,
            nat,
        }))
    }

    async fn list(&self, filter: &ListFilter) -> Result<Vec<Listed>, CloudError> {
        // The default VPC is AWS's own, not something to adopt.
        let mut filters = list_filters(filter, false);
        filters.push(crate::clouds::aws::filter("is-default", "false"));
        let mut found = Vec::new();
        let mut pages = self.ec2.describe_vpcs().set_filters(Some(filters)).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| errors::ec2("DescribeVpcs", e))?;
            for v in page.vpcs() {
                let id = v.vpc_id().unwrap_or_default();
                found.push(Listed { id: id.to_string(), name: shown_name(v.tags(), id) });
            }
        }
        Ok(found)
    }

    async fn delete(&self, id: &str, _spec: &NetworkSpec) -> Result<(), CloudError> {
        // NAT first (its subnets and routes hold the VPC), found by its tags.
        self.sync_nat(id, "", "", &super::nat::Nat::default()).await?;
        // Attached gateways, and one a create made but could not attach (it carries the
        // network's id as a tag).
        let mut gateways = self.vpc_gateways(id).await?;
        for g in self.gateways_by(&format!("tag:{NETWORK_TAG}"), id).await? {
            if !gateways.contains(&g) {
                gateways.push(g);
            }
        }
        for igw in gateways {
            match self.ec2.detach_internet_gateway().internet_gateway_id(&igw).vpc_id(id).send().await {
                Ok(_) => {}
                Err(e) => {
                    let e = errors::ec2("DetachInternetGateway", e);
                    if !e.is_not_found() && e.code.as_deref() != Some("Gateway.NotAttached") {
                        return Err(e);
                    }
                }
            }
            while_in_use(|| async {
                self.ec2
                    .delete_internet_gateway()
                    .internet_gateway_id(&igw)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| errors::ec2("DeleteInternetGateway", e))
            })
            .await?;
        }
        while_in_use(|| async {
            self.ec2.delete_vpc().vpc_id(id).send().await.map(|_| ()).map_err(|e| errors::ec2("DeleteVpc", e))
        })
        .await
    }
}
