//! The plumbing each cloud shares across resource kinds: configuration and credentials,
//! clients per region, HTTP with bounded retries, waits, tags and errors. The kinds
//! (`crate::kinds`) map themselves onto these clients.
//!
//! `aws/` wraps the AWS SDK, `gcp/` the Google REST APIs, `azure/` the Azure Resource
//! Manager and Blob REST APIs.

pub mod aws;
pub mod azure;
pub mod error;
pub mod gcp;
pub mod http;
mod oauth;
pub mod wait;

use std::collections::BTreeMap;
use std::sync::Arc;

use tfplug::Diagnostics;

use crate::catalog::Cloud;
pub use error::{CloudError, ErrorKind};

/// Tags (AWS, Azure) or labels (GCP): key to value.
pub type Tags = BTreeMap<String, String>;

/// Cloud-side identifiers and attributes shown in a resource's `native` map.
pub type Native = BTreeMap<String, String>;

/// The clients of one cloud in one region; each kind picks its calls from it.
#[derive(Clone)]
pub enum Region {
    /// AWS.
    Aws(Arc<aws::AwsRegion>),
    /// GCP.
    Gcp(Arc<gcp::GcpRegion>),
    /// Azure.
    Azure(Arc<azure::AzureRegion>),
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

    /// The clients of `cloud` in native region `region`.
    pub async fn region(&self, cloud: Cloud, region: &str) -> Result<Region, Diagnostics> {
        Ok(match cloud {
            Cloud::Aws => Region::Aws(self.aws.region(region).await?),
            Cloud::Azure => Region::Azure(self.azure.region(region).await?),
            Cloud::Gcp => Region::Gcp(self.gcp.region(region).await?),
        })
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
