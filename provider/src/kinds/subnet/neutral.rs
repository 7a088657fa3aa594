//! Subnets: a range of a network in one zone, optionally reachable from the internet.
//! Cloud-neutral spec and state, and the operations every cloud implements.

use crate::clouds::{CloudError, Native, Tags};

/// What the configuration asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetSpec {
    /// The network's id.
    pub network_id: String,
    /// IPv4 address range inside the network's.
    pub cidr: String,
    /// Zone suffix within the region ("a"); the backend builds the native zone name.
    pub zone: String,
    /// Routes to the internet and gives launched machines public addresses on request.
    pub public: bool,
    /// Tags or labels, default tags merged in.
    pub tags: Tags,
}

/// What exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetState {
    /// The cloud's id.
    pub id: String,
    /// The network's id.
    pub network_id: String,
    /// IPv4 address range.
    pub cidr: String,
    /// Zone suffix.
    pub zone: String,
    /// Reachable from the internet.
    pub public: bool,
    /// Tags or labels; `None` where the cloud keeps no tags on subnets (GCP, Azure).
    pub tags: Option<Tags>,
    /// Cloud-side identifiers and attributes.
    pub native: Native,
}

/// Subnet operations of one cloud region.
#[tfplug::async_trait]
pub trait Subnets: Send + Sync {
    /// Creates the subnet (see [`crate::kinds::network::Networks::create_network`] for `token`).
    async fn create_subnet(&self, spec: &SubnetSpec, token: &str) -> Result<String, CloudError>;

    /// Brings `public` and the tags to `spec`; also finishes a create.
    async fn update_subnet(&self, id: &str, spec: &SubnetSpec) -> Result<(), CloudError>;

    /// The subnet, or `None` when it is gone.
    async fn read_subnet(&self, id: &str) -> Result<Option<SubnetState>, CloudError>;

    /// Deletes it (and its route table), waiting out dependency errors.
    async fn delete_subnet(&self, id: &str) -> Result<(), CloudError>;
}
