//! Networks on GCP: a custom-mode VPC network (no automatic subnetworks). GCP networks have
//! no address range of their own, so the range is recorded in the description; they carry
//! no labels, so tags stay in Terraform state only.

use reqwest::Method;
use serde_json::json;

use crate::clouds::gcp::GcpRegion;
use crate::clouds::gcp::last;
use crate::clouds::http::while_in_use;
use super::{NetworkSpec, NetworkState, Networks};
use crate::clouds::{CloudError, Native};

/// Reads `key=value` from an Oppie description ("Managed by Oppie; cidr=10.2.0.0/16").
pub(crate) fn described(description: &str, key: &str) -> Option<String> {
    description.split(';').map(str::trim).find_map(|p| p.strip_prefix(&format!("{key}=")).map(str::to_string))
}

/// The network's path from its id.
pub(crate) fn network_name(id: &str) -> &str {
    last(id)
}

#[tfplug::async_trait]
impl Networks for GcpRegion {
    async fn create_network(&self, spec: &NetworkSpec, _token: &str) -> Result<String, CloudError> {
        let body = json!({
            "name": spec.name,
            "description": format!("Managed by Oppie; cidr={}", spec.cidr),
            "autoCreateSubnetworks": false,
            "routingConfig": { "routingMode": "REGIONAL" },
        });
        self.compute_op(Method::POST, "global/networks", &[], Some(body), "networks.insert").await?;
        Ok(format!("projects/{}/global/networks/{}", self.project, spec.name))
    }

    async fn update_network(&self, id: &str, _spec: &NetworkSpec) -> Result<(), CloudError> {
        // Name and range are fixed on GCP (the plan replaces the network when they change),
        // and networks carry no labels: nothing to do but make sure it is there.
        match self.read_network(id).await? {
            Some(_) => Ok(()),
            None => Err(CloudError::other("GCP Compute", "networks.get", format!("network {id} is gone"))),
        }
    }

    async fn read_network(&self, id: &str) -> Result<Option<NetworkState>, CloudError> {
        let name = network_name(id);
        let Some(n) = self.compute_get(&format!("global/networks/{name}"), "networks.get").await? else {
            return Ok(None);
        };
        let mut native = Native::new();
        native.insert("project".into(), self.project.clone());
        native.insert("self_link".into(), n["selfLink"].as_str().unwrap_or_default().to_string());
        native.insert("network_id".into(), n["id"].as_str().unwrap_or_default().to_string());
        native.insert("routing_mode".into(), n["routingConfig"]["routingMode"].as_str().unwrap_or("REGIONAL").into());
        Ok(Some(NetworkState {
            id: format!("projects/{}/global/networks/{name}", self.project),
            name: n["name"].as_str().unwrap_or(name).to_string(),
            cidr: described(n["description"].as_str().unwrap_or_default(), "cidr").unwrap_or_default(),
            tags: None,
            native,
            resource_group: None,
        }))
    }

    async fn delete_network(&self, id: &str) -> Result<(), CloudError> {
        let name = network_name(id);
        while_in_use(|| async {
            self.compute_op(Method::DELETE, &format!("global/networks/{name}"), &[], None, "networks.delete")
                .await
                .map(|_| ())
        })
        .await
    }
}
