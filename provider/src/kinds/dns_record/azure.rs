//! PLACEHOLDER (being written): dns_record on azure.

use super::{DnsRecord, DnsRecordSpec, DnsRecordState};
use crate::clouds::CloudError;
use crate::kinds::Api;

fn todo() -> CloudError {
    CloudError::other("azure", "dns_record", "not written yet")
}

#[tfplug::async_trait]
impl Api<DnsRecord> for crate::clouds::azure::AzureRegion {
    async fn create(&self, _spec: &DnsRecordSpec, _token: &str) -> Result<String, CloudError> {
        Err(todo())
    }
    async fn update(&self, _id: &str, _spec: &DnsRecordSpec) -> Result<(), CloudError> {
        Err(todo())
    }
    async fn read(&self, _id: &str) -> Result<Option<DnsRecordState>, CloudError> {
        Err(todo())
    }
    async fn delete(&self, _id: &str, _spec: &DnsRecordSpec) -> Result<(), CloudError> {
        Err(todo())
    }
}
