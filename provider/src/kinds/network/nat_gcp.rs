//! NAT on GCP: a Cloud Router in the network's region carrying one Cloud NAT for every
//! subnetwork range. Cloud NAT is regional (it serves every zone), so `single` is the one
//! shape; the zone the configuration named is kept in the router's description, with the mode,
//! so a read (or an import) gives back what was asked for. The router is named after the
//! network, which finds it again after an interrupted create.

use reqwest::Method;
use serde_json::{Value, json};

use super::nat::{Nat, NatMode};
use crate::clouds::CloudError;
use crate::clouds::gcp::GcpRegion;
use crate::clouds::wait::while_in_use;

/// The router of network `network` (a name of at most 63 characters, like every Compute name).
pub(crate) fn router_name(network: &str) -> String {
    let base: String = network.chars().take(crate::clouds::gcp::NAME_MAX - 4).collect();
    format!("{}-nat", base.trim_end_matches('-'))
}

/// The NAT a router's description records ("Managed by Oppie; nat=single; zones=b").
pub(crate) fn described_nat(description: &str) -> Nat {
    let get = |k: &str| super::gcp::described(description, k);
    let mode = get("nat").as_deref().and_then(NatMode::parse).unwrap_or(NatMode::Single);
    let zones: Vec<String> =
        get("zones").unwrap_or_default().split(',').filter(|z| !z.is_empty()).map(str::to_string).collect();
    Nat { mode, zones }
}

impl GcpRegion {
    fn router_path(&self, network: &str) -> String {
        format!("regions/{}/routers/{}", self.region, router_name(network))
    }

    async fn router(&self, network: &str) -> Result<Option<Value>, CloudError> {
        self.compute_get(&self.router_path(network), "routers.get").await
    }

    /// Brings the network's Cloud NAT to `nat`: makes the router, fixes its NAT, or removes it.
    pub(super) async fn sync_nat(&self, network: &str, nat: &Nat) -> Result<(), CloudError> {
        let current = self.router(network).await?;
        if nat.mode == NatMode::None {
            if current.is_some() {
                return self.delete_nat(network).await;
            }
            return Ok(());
        }
        let description = format!("Managed by Oppie; nat={}; zones={}", nat.mode.key(), nat.zones.join(","));
        let nats = json!([{
            "name": router_name(network),
            "natIpAllocateOption": "AUTO_ONLY",
            "sourceSubnetworkIpRangesToNat": "ALL_SUBNETWORKS_ALL_IP_RANGES",
        }]);
        match current {
            None => {
                let body = json!({
                    "name": router_name(network),
                    "description": description,
                    "network": self.compute_url(&format!("global/networks/{network}"), &[]).to_string(),
                    "nats": nats,
                });
                let path = format!("regions/{}/routers", self.region);
                match self.compute_op(Method::POST, &path, &[], Some(body), "routers.insert").await {
                    Ok(_) => Ok(()),
                    // A create interrupted before: the router is there, bring it to `nat`.
                    Err(e) if e.code.as_deref() == Some("alreadyExists") => Box::pin(self.sync_nat(network, nat)).await,
                    Err(e) => Err(e),
                }
            }
            Some(r) => {
                let has_nat = r["nats"].as_array().is_some_and(|n| !n.is_empty());
                if has_nat && r["description"].as_str() == Some(description.as_str()) {
                    return Ok(());
                }
                let body = json!({ "description": description, "nats": nats });
                self.compute_op(Method::PATCH, &self.router_path(network), &[], Some(body), "routers.patch")
                    .await
                    .map(|_| ())
            }
        }
    }

    /// The Cloud NAT the network has.
    pub(super) async fn read_nat(&self, network: &str) -> Result<Nat, CloudError> {
        Ok(match self.router(network).await? {
            Some(r) if r["nats"].as_array().is_some_and(|n| !n.is_empty()) => {
                described_nat(r["description"].as_str().unwrap_or_default())
            }
            _ => Nat::default(),
        })
    }

    /// Deletes the network's router (and its NAT); gone already counts as done.
    pub(super) async fn delete_nat(&self, network: &str) -> Result<(), CloudError> {
        while_in_use(|| async {
            match self.compute_op(Method::DELETE, &self.router_path(network), &[], None, "routers.delete").await {
                Err(e) if e.is_not_found() => Ok(()),
                r => r.map(|_| ()),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn router_names_and_descriptions() {
        assert_eq!(router_name("shop-dev-net"), "shop-dev-net-nat");
        assert_eq!(router_name(&"n".repeat(63)).len(), 63);
        let nat = described_nat("Managed by Oppie; nat=single; zones=b");
        assert_eq!(nat, Nat { mode: NatMode::Single, zones: vec!["b".into()] });
        assert_eq!(described_nat("").mode, NatMode::Single);
    }
}
