//! Cloud backends behind the oppie_* resources: one trait per resource kind with
//! cloud-neutral specs and states, and the registry that hands out a backend per region.
//!
//! Resource code (`crate::resources`) plans, validates and dispatches through these traits
//! only; `aws/` implements them with the AWS SDK, `gcp/` with the Google REST APIs, `azure/`
//! with the Azure Resource Manager and Blob REST APIs.

pub mod aws;
pub mod azure;
pub mod error;
pub mod gcp;
pub mod http;
mod oauth;

use std::collections::BTreeMap;
use std::sync::Arc;

use tfplug::Diagnostics;

use crate::catalog::Cloud;
pub use error::{CloudError, ErrorKind};

/// Tags (AWS, Azure) or labels (GCP): key to value.
pub type Tags = BTreeMap<String, String>;

/// Cloud-side identifiers and attributes shown in a resource's `native` map.
pub type Native = BTreeMap<String, String>;

/// Everything one cloud offers in one region.
pub trait Backend:
    crate::kinds::network::Networks
    + crate::kinds::subnet::Subnets
    + crate::kinds::firewall::Firewalls
    + crate::kinds::instance::Instances
    + crate::kinds::bucket::Buckets
{
}

impl<T> Backend for T where
    T: crate::kinds::network::Networks
        + crate::kinds::subnet::Subnets
        + crate::kinds::firewall::Firewalls
        + crate::kinds::instance::Instances
        + crate::kinds::bucket::Buckets
{
}

/// The configured clouds; builds (and caches) a backend per cloud and region on first use,
/// so a plan of new resources loads no credentials and calls nothing.
pub struct Clouds {
    aws: aws::AwsCloud,
    azure: azure::AzureCloud,
    gcp: gcp::GcpCloud,
}

impl Clouds {
    /// Clouds configured from the provider block.
    pub fn new(aws: aws::Settings, gcp: gcp::Settings, azure: azure::Settings) -> Self {
        Clouds { aws: aws::AwsCloud::new(aws), gcp: gcp::GcpCloud::new(gcp), azure: azure::AzureCloud::new(azure) }
    }

    /// The backend for `cloud` in native region `region`.
    pub async fn backend(&self, cloud: Cloud, region: &str) -> Result<Arc<dyn Backend>, Diagnostics> {
        match cloud {
            Cloud::Aws => Ok(self.aws.region(region).await? as Arc<dyn Backend>),
            Cloud::Azure => Ok(self.azure.region(region).await? as Arc<dyn Backend>),
            Cloud::Gcp => Ok(self.gcp.region(region).await? as Arc<dyn Backend>),
        }
    }

    /// The AWS settings (for resources that need the configured default region).
    pub fn aws_settings(&self) -> &aws::Settings {
        self.aws.settings()
    }

    /// True when planning may ask `cloud` for ids (catalog images): AWS always (bounded by a
    /// short timeout), GCP only with explicitly configured credentials or emulator endpoints.
    pub fn looks_up_at_plan(&self, cloud: Cloud) -> bool {
        match cloud {
            Cloud::Aws => true,
            Cloud::Gcp => self.gcp.has_explicit_credentials(),
            _ => false,
        }
    }
}

/// A fresh token that identifies one create operation across its retries.
pub fn creation_token() -> String {
    let mut rng = fastrand::Rng::new();
    (0..32).map(|_| char::from_digit(rng.u32(0..16), 16).unwrap_or('0')).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn creation_tokens_are_distinct_hex() {
        let a = super::creation_token();
        let b = super::creation_token();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
