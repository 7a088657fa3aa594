//! Networks (AWS VPC, GCP VPC network, Azure virtual network): the cloud-neutral spec,
//! the state a backend reports, and the operations every cloud implements.

use crate::clouds::{CloudError, Native, Tags};

/// What the configuration asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSpec {
    /// Display name (AWS: the Name tag).
    pub name: String,
    /// IPv4 address range.
    pub cidr: String,
    /// Tags or labels, default tags merged in.
    pub tags: Tags,
    /// Azure only: the resource group to create the network in (default: one of its own).
    pub resource_group: Option<String>,
}

/// What exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkState {
    /// The cloud's id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// IPv4 address range.
    pub cidr: String,
    /// Tags or labels (provider-reserved ones removed); `None` where the cloud keeps no
    /// tags on networks (GCP): the configured ones then stay as they are in state.
    pub tags: Option<Tags>,
    /// Azure only: the resource group holding the network.
    pub resource_group: Option<String>,
    /// Cloud-side identifiers and attributes worth showing.
    pub native: Native,
}

/// Network operations of one cloud region.
#[tfplug::async_trait]
pub trait Networks: Send + Sync {
    /// Creates the network; `token` makes a retried create find the first attempt's
    /// object instead of making a twin. Returns the id as soon as the object exists.
    async fn create_network(&self, spec: &NetworkSpec, token: &str) -> Result<String, CloudError>;

    /// Brings everything mutable (name, tags, attached gateways) to `spec`; also
    /// finishes a create.
    async fn update_network(&self, id: &str, spec: &NetworkSpec) -> Result<(), CloudError>;

    /// The network, or `None` when it is gone.
    async fn read_network(&self, id: &str) -> Result<Option<NetworkState>, CloudError>;

    /// Deletes it with whatever the backend attached; waits out dependency errors
    /// while dependants are still going away.
    async fn delete_network(&self, id: &str) -> Result<(), CloudError>;
}
