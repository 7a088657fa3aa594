//! Subnets on GCP: a regional subnetwork of the network. GCP subnetworks span the region; the
//! zone is recorded in the description and places the machines launched into it. `public`
//! maps to Private Google Access being off (private subnets reach Google APIs without
//! external addresses); every GCP network has a default route to the internet.

use reqwest::Method;
use serde_json::json;

use super::{Subnet, SubnetSpec, SubnetState};
use crate::clouds::gcp::GcpRegion;
use crate::clouds::gcp::{last, resource_path};
use crate::clouds::wait::while_in_use;
use crate::clouds::{CloudError, Native};
use crate::kinds::network::gcp::{described, network_name};
use crate::kinds::{Api, ListFilter, Listed};

/// The subnetwork name: `<network>-<zone>-<range with dashes>`, at most 63 characters.
pub(crate) fn subnet_name(network: &str, zone: &str, cidr: &str) -> String {
    let range = cidr.replace(['.', '/'], "-");
    let tail = format!("-{zone}-{range}");
    let head: String = network.chars().take(63 - tail.len().min(62)).collect();
    format!("{}{tail}", head.trim_end_matches('-'))
}

/// The subnetwork's path under the project from its id; the region named in the id wins over
/// the backend's (an import may name a subnetwork of another region).
pub(crate) fn subnet_path(default_region: &str, id: &str) -> String {
    let parts: Vec<&str> = id.split('/').collect();
    let region = match parts.iter().position(|p| *p == "regions") {
        Some(i) if i + 1 < parts.len() && !parts[i + 1].is_empty() => parts[i + 1],
        _ => default_region,
    };
    format!("regions/{region}/subnetworks/{}", last(id))
}

impl GcpRegion {
    /// The zone suffix recorded on a subnetwork ("b"), and its full zone ("us-east1-b").
    pub(crate) async fn subnet_zone(&self, subnet_id: &str) -> Result<(String, serde_json::Value), CloudError> {
        let s = self.compute_get(&subnet_path(&self.region, subnet_id), "subnetworks.get").await?.ok_or_else(|| {
            CloudError::other("GCP Compute", "subnetworks.get", format!("subnet {subnet_id} is gone"))
        })?;
        let zone = described(s["description"].as_str().unwrap_or_default(), "zone").unwrap_or_else(|| "b".into());
        Ok((zone, s))
    }
}

impl GcpRegion {
    fn subnet_id(&self, spec: &SubnetSpec) -> String {
        let name = subnet_name(network_name(&spec.network_id), &spec.zone, &spec.cidr);
        format!("projects/{}/regions/{}/subnetworks/{name}", self.project, self.region)
    }
}

#[tfplug::async_trait]
impl Api<Subnet> for GcpRegion {
    async fn known_id(&self, spec: &SubnetSpec) -> Option<String> {
        Some(self.subnet_id(spec))
    }

    async fn create(&self, spec: &SubnetSpec, _token: &str) -> Result<String, CloudError> {
        let id = self.subnet_id(spec);
        let name = last(&id).to_string();
        let body = json!({
            "name": name,
            "network": spec.network_id,
            "ipCidrRange": spec.cidr,
            "description": format!("Managed by Oppie; zone={}", spec.zone),
            "privateIpGoogleAccess": !spec.public,
        });
        let path = format!("regions/{}/subnetworks", self.region);
        self.begin(&id, Method::POST, &path, &[], Some(body), "subnetworks.insert").await?;
        Ok(id)
    }

    async fn settle(&self, id: &str, spec: &SubnetSpec) -> Result<(), CloudError> {
        self.finish(id, "subnetworks.insert").await?;
        Api::<Subnet>::update(self, id, spec).await
    }

    async fn update(&self, id: &str, spec: &SubnetSpec) -> Result<(), CloudError> {
        let (_, s) = self.subnet_zone(id).await?;
        if s["privateIpGoogleAccess"].as_bool().unwrap_or(false) == spec.public {
            self.compute_op(
                Method::POST,
                &format!("{}/setPrivateIpGoogleAccess", subnet_path(&self.region, id)),
                &[],
                Some(json!({ "privateIpGoogleAccess": !spec.public })),
                "subnetworks.setPrivateIpGoogleAccess",
            )
            .await?;
        }
        Ok(())
    }

    /// Subnetworks carry no labels: a `tags` filter matches none of them.
    async fn list(&self, filter: &ListFilter) -> Result<Vec<Listed>, CloudError> {
        let items = self.compute_list(&format!("regions/{}/subnetworks", self.region), "subnetworks.list").await?;
        Ok(items
            .iter()
            .filter(|_| filter.matches_tags(None))
            .filter(|s| {
                filter
                    .network_id
                    .as_deref()
                    .is_none_or(|n| resource_path(s["network"].as_str().unwrap_or_default()) == n)
            })
            .filter_map(|s| {
                let name = s["name"].as_str()?;
                Some(Listed {
                    id: format!("projects/{}/regions/{}/subnetworks/{name}", self.project, self.region),
                    name: name.into(),
                })
            })
            .collect())
    }

    async fn read(&self, id: &str) -> Result<Option<SubnetState>, CloudError> {
        let path = subnet_path(&self.region, id);
        let Some(s) = self.compute_get(&path, "subnetworks.get").await? else {
            return Ok(None);
        };
        let zone = described(s["description"].as_str().unwrap_or_default(), "zone").unwrap_or_else(|| "b".into());
        let mut native = Native::new();
        native.insert("self_link".into(), s["selfLink"].as_str().unwrap_or_default().to_string());
        native.insert("subnetwork_id".into(), s["id"].as_str().unwrap_or_default().to_string());
        let region = last(s["region"].as_str().unwrap_or(&self.region)).to_string();
        native.insert("zone".into(), format!("{region}-{zone}"));
        native.insert("region".into(), region);
        native.insert("gateway_address".into(), s["gatewayAddress"].as_str().unwrap_or_default().to_string());
        Ok(Some(SubnetState {
            id: format!("projects/{}/{path}", self.project),
            network_id: resource_path(s["network"].as_str().unwrap_or_default()),
            cidr: s["ipCidrRange"].as_str().unwrap_or_default().to_string(),
            zone,
            public: !s["privateIpGoogleAccess"].as_bool().unwrap_or(false),
            tags: None,
            native,
        }))
    }

    async fn delete(&self, id: &str, _spec: &SubnetSpec) -> Result<(), CloudError> {
        let path = subnet_path(&self.region, id);
        while_in_use(|| async {
            self.compute_op(Method::DELETE, &path, &[], None, "subnetworks.delete").await.map(|_| ())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnet_paths_keep_the_ids_region() {
        assert_eq!(
            subnet_path("us-east1", "projects/p/regions/europe-west1/subnetworks/s"),
            "regions/europe-west1/subnetworks/s"
        );
        assert_eq!(subnet_path("us-east1", "s"), "regions/us-east1/subnetworks/s");
        assert_eq!(subnet_path("us-east1", "projects/p/regions/"), "regions/us-east1/subnetworks/");
    }

    #[test]
    fn subnet_names_fit_gcp_limits() {
        assert_eq!(subnet_name("shop-dev-net", "b", "10.2.1.0/24"), "shop-dev-net-b-10-2-1-0-24");
        let long = subnet_name(&"n".repeat(63), "b", "10.2.1.0/24");
        assert!(long.len() <= 63, "{long}");
        assert!(long.ends_with("-b-10-2-1-0-24"));
    }
}
