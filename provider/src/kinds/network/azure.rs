//! Networks as Azure virtual networks (one address prefix), each in the resource group the
//! configuration names or in one of its own, which goes when the network goes.

use serde_json::json;

use crate::clouds::azure::groups::{self, group_of};
use crate::clouds::azure::names::{default_resource_group, last};
use crate::clouds::azure::{AzureRegion, api};
use super::{NetworkSpec, NetworkState, Networks};
use crate::clouds::{CloudError, Native};

impl AzureRegion {
    fn vnet_id(&self, rg: &str, name: &str) -> Result<String, CloudError> {
        Ok(format!("{}/providers/Microsoft.Network/virtualNetworks/{name}", self.group_id(rg)?))
    }
}

#[tfplug::async_trait]
impl Networks for AzureRegion {
    async fn create_network(&self, spec: &NetworkSpec, _token: &str) -> Result<String, CloudError> {
        // ARM PUTs are idempotent by name: a retried create finds the first attempt's network.
        let own = spec.resource_group.is_none();
        let rg = spec.resource_group.clone().unwrap_or_else(|| default_resource_group(&spec.name));
        let id = self.vnet_id(&rg, &spec.name)?;
        self.ensure_group(&rg, own, &id, &spec.tags).await?;
        let body = json!({
            "location": self.region,
            "tags": spec.tags,
            "properties": {"addressSpace": {"addressPrefixes": [spec.cidr]}},
        });
        self.put_start(&id, api::NETWORK, body, "virtualNetworks.createOrUpdate").await?;
        Ok(id)
    }

    async fn update_network(&self, id: &str, spec: &NetworkSpec) -> Result<(), CloudError> {
        self.settle(id, api::NETWORK, "virtualNetworks.createOrUpdate").await?;
        let Some(v) = self.get(id, api::NETWORK, "virtualNetworks.get").await? else {
            return Err(CloudError::other("Azure Resource Manager", "virtualNetworks.get", format!("{id} is gone")));
        };
        if groups::user_tags(&v) != spec.tags {
            // updateTags replaces the tags and leaves subnets alone (a PUT without them would drop them).
            self.patch(id, api::NETWORK, json!({"tags": spec.tags}), "virtualNetworks.updateTags").await?;
        }
        Ok(())
    }

    async fn read_network(&self, id: &str) -> Result<Option<NetworkState>, CloudError> {
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
        }))
    }

    async fn delete_network(&self, id: &str) -> Result<(), CloudError> {
        let rg = group_of(id)?.to_string();
        crate::clouds::http::while_in_use(|| self.delete(id, api::NETWORK, "virtualNetworks.delete")).await?;
        self.drop_group_if_owned(&rg, id).await
    }
}
