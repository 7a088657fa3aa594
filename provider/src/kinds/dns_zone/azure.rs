//! PLACEHOLDER (being written): dns_zone on azure.

use super::{DnsZone, DnsZoneSpec, DnsZoneState};
use crate::clouds::CloudError;
use crate::kinds::Api;

fn todo() -> CloudError {
    CloudError::other("azure", "dns_zone", "not written yet")
}

#[tfplug::async_trait]
impl Api<DnsZone> for crate::clouds::azure::AzureRegion {
    async fn create(&self, _spec: &DnsZoneSpec, _token: &str) -> Result<String, CloudError> {
        Err(todo())
    }
    async fn update(&self, _id: &str, _spec: &DnsZoneSpec) -> Result<(), CloudError> {
        Err(todo())
    }
    async fn read(&self, _id: &str) -> Result<Option<DnsZoneState>, CloudError> {
        Err(todo())
    }
    async fn delete(&self, _id: &str, _spec: &DnsZoneSpec) -> Result<(), CloudError> {
        Err(todo())
    }
}
