//! Networks as Azure virtual networks (one address prefix), each in the resource group the
//! configuration names or in one of its own, which goes when the network goes.

use serde_json::json;

use super::{Network, NetworkSpec, NetworkState};
use crate::clouds::azure::groups::{self, group_of};
use crate::clouds::azure::names::{default_resource_group, last};
use crate::clouds::azure::{AzureRegion, api};
use crate::clouds::{CloudError, Native};
use crate::kinds::{Api, ListFilter, Listed, arm_listed};

impl AzureRegion {
    /// The virtual network's id and resource group, and whether the group is its own.
    fn vnet_id(&self, spec: &NetworkSpec) -> Result<(String, String, bool), CloudError> {
        let own = spec.resource_group.is_none();
        let rg = spec.resource_group.clone().unwrap_or_else(|| default_resource_group(&spec.name));
        let id = format!("{}/providers/Microsoft.Network/virtualNetworks/{}", self.group_id(&rg)?, spec.name);
        Ok((id, rg, own))
    }
}

#[tfplug::async_trait]
impl Api<Network> for AzureRegion {
    async fn known_id(&self, spec: &NetworkSpec) -> Option<String> {
        self.vnet_id(spec).ok().map(|(id, _, _)| id)
    }

    async fn create(&self, spec: &NetworkSpec, _token: &str) -> Result<String, CloudError> {
        // ARM PUTs are idempotent by name: a retried create finds the first attempt's network.
        let (id, rg, own) = self.vnet_id(spec)?;
        self.ensure_group(&rg, own, &id, &spec.tags).await?;
        let body = json!({
            "location": self.region,
            "tags": spec.tags,
            "properties": {"addressSpace": {"addressPrefixes": [spec.cidr]}},
        });
        if let Err(e) = self.put_start(&id, api::NETWORK, body, "virtualNetworks.createOrUpdate").await {
            return Err(self.undo_group(e, &rg, &id).await);
        }
        Ok(id)
    }

    async fn settle(&self, id: &str, spec: &NetworkSpec) -> Result<(), CloudError> {
        self.settle_put(id, api::NETWORK, "virtualNetworks.createOrUpdate").await?;
        Api::<Network>::update(self, id, spec).await
    }

    async fn update(&self, id: &str, spec: &NetworkSpec) -> Result<(), CloudError> {
        let Some(v) = self.get(id, api::NETWORK, "virtualNetworks.get").await? else {
            return Err(CloudError::other("Azure Resource Manager", "virtualNetworks.get", format!("{id} is gone")));
        };
        if groups::user_tags(&v) != spec.tags {
            // updateTags replaces the tags and leaves subnets alone (a PUT without them would drop them).
            self.patch(id, api::NETWORK, json!({"tags": spec.tags}), "virtualNetworks.updateTags").await?;
        }
        Ok(())
    }

    async fn read(&self, id: &str) -> Result<Option<NetworkState>, CloudError> {
        let Some(v) = self.get(id, api::NETWORK, "virtualNetworks.get").await? else { return Ok(None) };
        let rg = group_of(id)?.to_string();
        let cidr = v["properties"]["addressSpace"]["addressPrefixes"][0].as_str().unwrap_or_default().to_string();
        let mut native = Native::new();
        native.insert("resource_group".into(), rg.clone());
        native.insert("location".into(), v["location"].as_str().unwrap_or(&self.region).to_string());
        if let Some(g) = v["properties"]["resourceGuid"].as_str() {
            native.insert("resource_guid".into(), g.to_string());
        }
        Ok(Some(NetworkState {
            id: v["id"].as_str().unwrap_or(id).to_string(),
            name: v["name"].as_str().map_or_else(|| last(id).to_string(), str::to_string),
            cidr,
            tags: Some(groups::user_tags(&v)),
            resource_group: Some(rg),
            native,
            nat: Default::default(),
        }))
    }

    async fn list(&self, filter: &ListFilter) -> Result<Vec<Listed>, CloudError> {
        let op = if filter.resource_group.is_some() { "virtualNetworks.list" } else { "virtualNetworks.listAll" };
        let items = self
            .list_in_region("Microsoft.Network/virtualNetworks", filter.resource_group.as_deref(), api::NETWORK, op)
            .await?;
        Ok(items.iter().filter(|v| filter.matches_tags(Some(&groups::user_tags(v)))).filter_map(arm_listed).collect())
    }

    async fn delete(&self, id: &str, _spec: &NetworkSpec) -> Result<(), CloudError> {
        let rg = group_of(id)?.to_string();
        crate::clouds::wait::while_in_use(|| self.delete(id, api::NETWORK, "virtualNetworks.delete")).await?;
        self.drop_group_if_owned(&rg, id).await
    }
}
