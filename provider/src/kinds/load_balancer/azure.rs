//! PLACEHOLDER (being written): load_balancer on azure.

use super::{LoadBalancer, LoadBalancerSpec, LoadBalancerState};
use crate::clouds::CloudError;
use crate::kinds::Api;

fn todo() -> CloudError {
    CloudError::other("azure", "load_balancer", "not written yet")
}

#[tfplug::async_trait]
impl Api<LoadBalancer> for crate::clouds::azure::AzureRegion {
    async fn create(&self, _spec: &LoadBalancerSpec, _token: &str) -> Result<String, CloudError> {
        Err(todo())
    }
    async fn update(&self, _id: &str, _spec: &LoadBalancerSpec) -> Result<(), CloudError> {
        Err(todo())
    }
    async fn read(&self, _id: &str) -> Result<Option<LoadBalancerState>, CloudError> {
        Err(todo())
    }
    async fn delete(&self, _id: &str, _spec: &LoadBalancerSpec) -> Result<(), CloudError> {
        Err(todo())
    }
}

pub(super) fn check_plan(plan: &mut tfplug::Plan, diags: &mut tfplug::Diagnostics) {
    super::refuse_firewalls(plan, crate::catalog::Cloud::Azure, diags);
}
