//! Subnets of a virtual network. Azure subnets span the region: the zone travels in the
//! subnet's name and places the machines. `public` maps to `defaultOutboundAccess`.

use serde_json::json;

use super::{Subnet, SubnetSpec, SubnetState};
use crate::clouds::azure::names::{last, subnet_name, subnet_zone, zone_number};
use crate::clouds::azure::{AzureRegion, api};
use crate::clouds::{CloudError, Native};
use crate::kinds::{Api, ListFilter, Listed, arm_listed};

fn body(spec: &SubnetSpec) -> serde_json::Value {
    json!({"properties": {"addressPrefix": spec.cidr, "defaultOutboundAccess": spec.public}})
}

fn subnet_id(spec: &SubnetSpec) -> String {
    format!("{}/subnets/{}", spec.network_id, subnet_name(&spec.cidr, &spec.zone))
}

#[tfplug::async_trait]
impl Api<Subnet> for AzureRegion {
    async fn known_id(&self, spec: &SubnetSpec) -> Option<String> {
        Some(subnet_id(spec))
    }

    async fn create(&self, spec: &SubnetSpec, _token: &str) -> Result<String, CloudError> {
        let id = subnet_id(spec);
        self.put_start(&id, api::NETWORK, body(spec), "subnets.createOrUpdate").await?;
        Ok(id)
    }

    async fn settle(&self, id: &str, spec: &SubnetSpec) -> Result<(), CloudError> {
        self.settle_put(id, api::NETWORK, "subnets.createOrUpdate").await?;
        Api::<Subnet>::update(self, id, spec).await
    }

    async fn update(&self, id: &str, spec: &SubnetSpec) -> Result<(), CloudError> {
        let current = Api::<Subnet>::read(self, id).await?;
        if current.is_some_and(|s| s.public != spec.public) {
            // A subnet PUT replaces the subnet's properties: send the ones Oppie manages.
            self.put(id, api::NETWORK, body(spec), "subnets.createOrUpdate").await?;
        }
        Ok(())
    }

    async fn read(&self, id: &str) -> Result<Option<SubnetState>, CloudError> {
        let Some(v) = self.get(id, api::NETWORK, "subnets.get").await? else { return Ok(None) };
        let p = &v["properties"];
        let cidr =
            p["addressPrefix"].as_str().or_else(|| p["addressPrefixes"][0].as_str()).unwrap_or_default().to_string();
        let network_id = id.rsplit_once("/subnets/").map_or(id, |(n, _)| n).to_string();
        let mut native = Native::new();
        native.insert("name".into(), last(id).to_string());
        native.insert("virtual_network".into(), last(&network_id).to_string());
        Ok(Some(SubnetState {
            id: v["id"].as_str().unwrap_or(id).to_string(),
            network_id,
            cidr,
            zone: subnet_zone(last(id)).map(|z| zone_number(&z)).unwrap_or_default(),
            public: p["defaultOutboundAccess"].as_bool().unwrap_or(true),
            tags: None,
            native,
        }))
    }

    /// Azure subnets carry no tags: a `tags` filter matches none of them. Without a
    /// `network_id`, the subnets of every virtual network in the region (or resource group).
    async fn list(&self, filter: &ListFilter) -> Result<Vec<Listed>, CloudError> {
        if !filter.matches_tags(None) {
            return Ok(Vec::new());
        }
        let networks = match &filter.network_id {
            Some(n) => vec![n.clone()],
            None => {
                let op =
                    if filter.resource_group.is_some() { "virtualNetworks.list" } else { "virtualNetworks.listAll" };
                self.list_in_region(
                    "Microsoft.Network/virtualNetworks",
                    filter.resource_group.as_deref(),
                    api::NETWORK,
                    op,
                )
                .await?
                .iter()
                .filter_map(|v| v["id"].as_str().map(str::to_string))
                .collect()
            }
        };
        let mut out = Vec::new();
        for n in networks {
            let items = self.arm_list(&format!("{n}/subnets"), api::NETWORK, "subnets.list").await?;
            out.extend(items.iter().filter_map(arm_listed));
        }
        Ok(out)
    }

    async fn delete(&self, id: &str, _spec: &SubnetSpec) -> Result<(), CloudError> {
        crate::clouds::wait::while_in_use(|| self.delete(id, api::NETWORK, "subnets.delete")).await
    }
}
