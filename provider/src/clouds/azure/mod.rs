//! The Azure backend: Azure Resource Manager for resource groups, virtual networks, subnets,
//! network security groups, VMs, storage accounts, key vaults, flexible servers and Managed
//! Redis, and Blob storage (Shared Key) for
//! containers, through their REST APIs. One [`AzureRegion`] serves one region.

mod auth;
pub mod blob;
mod client;
mod errors;
pub mod groups;
pub mod names;

use std::collections::HashMap;

use tokio::sync::Mutex;

pub use auth::Inputs;
pub use client::{AzureCloud, DEFAULT_MAX_ATTEMPTS, Settings};

use crate::clouds::http::Api;

/// API versions, as the published REST references (and the fake that checks requests) have them.
pub mod api {
    /// Microsoft.Resources (resource groups).
    pub const RESOURCES: &str = "2025-04-01";
    /// Microsoft.Network.
    pub const NETWORK: &str = "2026-03-01";
    /// Microsoft.Compute virtual machines.
    pub const COMPUTE: &str = "2026-04-01";
    /// Microsoft.Compute disks.
    pub const DISKS: &str = "2026-03-02";
    /// Microsoft.Storage.
    pub const STORAGE: &str = "2026-09-01";
    /// Microsoft.Authorization locks.
    pub const LOCKS: &str = "2020-05-01";
    /// Microsoft.KeyVault vaults and their keys.
    pub const KEYVAULT: &str = "2026-05-15";
    /// Microsoft.ManagedIdentity user-assigned identities.
    pub const IDENTITY: &str = "2024-11-30";
    /// Microsoft.DBforPostgreSQL flexible servers.
    pub const POSTGRES: &str = "2026-10-01";
    /// Microsoft.DBforMySQL flexible servers.
    pub const MYSQL: &str = "2024-12-30";
    /// Microsoft.Cache Azure Managed Redis (redisEnterprise).
    pub const REDIS: &str = "2025-07-01";
}

/// The clients of one subscription and region; implements every backend trait.
pub struct AzureRegion {
    subscription: Option<String>,
    /// The native region.
    pub(crate) region: String,
    management: url::Url,
    blob_base: Option<url::Url>,
    arm: Api,
    blob: Api,
    /// Long-running creates started in this process, by lower-case resource id, so the
    /// step that finishes a create waits on the operation the create began.
    pending: Mutex<HashMap<String, (client::Tracker, String)>>,
}
