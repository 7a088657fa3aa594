//! Instances (AWS EC2 instance, GCP VM, Azure VM): the cloud-neutral spec with native size
//! and image already resolved, the state a backend reports, and the operations.

use std::collections::BTreeMap;

use crate::clouds::{CloudError, Native, Tags};

/// What the configuration asks for, with catalog keys resolved to native values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSpec {
    /// Display name.
    pub name: String,
    /// Native machine type, e.g. "t3.small".
    pub machine_type: String,
    /// Native image id.
    pub image_id: String,
    /// Subnet id.
    pub subnet_id: String,
    /// Firewall ids.
    pub firewall_ids: Vec<String>,
    /// Boot disk size in GB.
    pub disk_gb: u32,
    /// Boot disk encrypted.
    pub disk_encrypted: bool,
    /// Gets a public address.
    pub public_ip: bool,
    /// Boot script (secret).
    pub user_data: Option<String>,
    /// Refuse API deletion.
    pub deletion_protection: bool,
    /// Tags or labels.
    pub tags: Tags,
}

/// What exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceState {
    /// The cloud's id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Native machine type.
    pub machine_type: String,
    /// Native image id.
    pub image_id: String,
    /// Subnet id.
    pub subnet_id: String,
    /// Firewall ids, sorted.
    pub firewall_ids: Vec<String>,
    /// Boot disk size in GB.
    pub disk_gb: u32,
    /// Boot disk encrypted.
    pub disk_encrypted: bool,
    /// Has a public address.
    pub public_ip: bool,
    /// Refuses API deletion.
    pub deletion_protection: bool,
    /// Tags or labels.
    pub tags: Tags,
    /// Cloud-side identifiers and attributes (addresses, zone, ...).
    pub native: Native,
}

/// Instance operations of one cloud region.
#[tfplug::async_trait]
pub trait Instances: Send + Sync {
    /// The newest image matching a catalog image's lookup fields (AWS: owner and name
    /// pattern; GCP: project and family; Azure: publisher, offer and sku).
    async fn resolve_image(&self, lookup: &BTreeMap<String, String>) -> Result<String, CloudError>;

    /// Launches the instance; returns its id once it exists (not yet running).
    async fn create_instance(&self, spec: &InstanceSpec, token: &str) -> Result<String, CloudError>;

    /// Polls until the instance runs. Unbounded: callers bound it with the timeout.
    async fn wait_instance_running(&self, id: &str) -> Result<(), CloudError>;

    /// Brings size (stopping and starting it), firewalls, disk size, deletion
    /// protection, name and tags to `spec`.
    async fn update_instance(&self, id: &str, spec: &InstanceSpec) -> Result<(), CloudError>;

    /// The instance, or `None` when it is gone (terminated counts as gone).
    async fn read_instance(&self, id: &str) -> Result<Option<InstanceState>, CloudError>;

    /// Terminates it and waits until it is gone, so firewalls and subnets can go next.
    async fn delete_instance(&self, id: &str) -> Result<(), CloudError>;
}
