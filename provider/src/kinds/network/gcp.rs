//! Networks on GCP: a custom-mode VPC network (no automatic subnetworks). GCP networks have
//! no address range of their own, so the range is recorded in the description; they carry
//! no labels, so tags stay in Terraform state only. NAT (a Cloud Router with Cloud NAT) is in
//! `nat_gcp.rs`.

use reqwest::Method;
use serde_json::json;

use super::{Network, NetworkSpec, NetworkState};
use crate::clouds::gcp::GcpRegion;
use crate::clouds::gcp::last;
use crate::clouds::wait::while_in_use;
use crate::kinds::common;
use crate::kinds::{Api, ListFilter, Listed};
use tfplug::{AttributePath, Diagnostics, Plan};

use crate::clouds::{CloudError, Native};

/// Reads `key=value` from an Oppie description ("Managed by Oppie; cidr=10.2.0.0/16").
pub(crate) fn described(description: &str, key: &str) -> Option<String> {
    description.split(';').map(str::trim).find_map(|p| p.strip_prefix(&format!("{key}=")).map(str::to_string))
}

/// The network's path from its id.
pub(crate) fn network_name(id: &str) -> &str {
    last(id)
}

/// A Compute Engine network's name is its identity: it must be a valid name, and renaming
/// replaces the network.
pub(super) fn check_plan(plan: &mut Plan, diags: &mut Diagnostics) {
    diags.absorb(common::check_gcp_name(plan, crate::clouds::gcp::NAME_MAX));
    if plan.planned.attr("nat").as_str() == Some("per_zone") {
        diags.add_attribute_error(
            AttributePath::attr("nat"),
            "per_zone NAT is not possible on gcp",
            "Cloud NAT is regional: one gateway serves every zone of the region. Use nat = \"single\".",
        );
    }
    if !plan.prior.is_null() && common::changed(plan, "name") {
        plan.requires_replace.push(AttributePath::attr("name"));
    }
}

#[tfplug::async_trait]
impl Api<Network> for GcpRegion {
    async fn known_id(&self, spec: &NetworkSpec) -> Option<String> {
        Some(format!("projects/{}/global/networks/{}", self.project, spec.name))
    }

    async fn create(&self, spec: &NetworkSpec, _token: &str) -> Result<String, CloudError> {
        let body = json!({
            "name": spec.name,
            "description": format!("Managed by Oppie; cidr={}", spec.cidr),
            "autoCreateSubnetworks": false,
            "routingConfig": { "routingMode": "REGIONAL" },
        });
        let id = format!("projects/{}/global/networks/{}", self.project, spec.name);
        self.begin(&id, Method::POST, "global/networks", &[], Some(body), "networks.insert").await?;
        Ok(id)
    }

    async fn settle(&self, id: &str, spec: &NetworkSpec) -> Result<(), CloudError> {
        self.finish(id, "networks.insert").await?;
        Api::<Network>::update(self, id, spec).await
    }

    async fn update(&self, id: &str, spec: &NetworkSpec) -> Result<(), CloudError> {
        // Name and range are fixed on GCP (the plan replaces the network when they change),
        // and networks carry no labels: what changes is the NAT.
        match Api::<Network>::read(self, id).await? {
            Some(_) => self.sync_nat(network_name(id), &spec.nat).await,
            None => Err(CloudError::other("GCP Compute", "networks.get", format!("network {id} is gone"))),
        }
    }

    async fn read(&self, id: &str) -> Result<Option<NetworkState>, CloudError> {
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
            nat: self.read_nat(name).await?,
        }))
    }

    /// Compute Engine networks carry no labels: a `tags` filter matches none of them.
    async fn list(&self, filter: &ListFilter) -> Result<Vec<Listed>, CloudError> {
        let items = self.compute_list("global/networks", "networks.list").await?;
        Ok(items
            .iter()
            .filter(|_| filter.matches_tags(None))
            .filter_map(|n| n["name"].as_str())
            .map(|name| Listed { id: format!("projects/{}/global/networks/{name}", self.project), name: name.into() })
            .collect())
    }

    async fn delete(&self, id: &str, _spec: &NetworkSpec) -> Result<(), CloudError> {
        let name = network_name(id);
        // The NAT's router first: it holds the network.
        self.delete_nat(name).await?;
        while_in_use(|| async {
            self.compute_op(Method::DELETE, &format!("global/networks/{name}"), &[], None, "networks.delete")
                .await
                .map(|_| ())
        })
        .await
    }
}
