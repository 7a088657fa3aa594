//! The GCP backend: Compute Engine for networks, subnetworks, firewall rules, VMs, load balancers
//! and Cloud NAT, Cloud Storage for buckets, Cloud DNS for zones and records, Cloud SQL,
//! Memorystore and Cloud KMS for databases, caches and keys, through their REST APIs. One
//! [`GcpRegion`] serves one region.

mod auth;
mod client;
mod errors;
mod labels;
mod names;
pub mod operations;

pub use client::{DEFAULT_MAX_ATTEMPTS, GcpCloud, Settings, last, resource_path};
pub use labels::check_labels;
pub use names::{FIREWALL_NAME_MAX, NAME_MAX, check_name};

use crate::clouds::http::Api;

/// The clients of one project and region; implements every backend trait.
pub struct GcpRegion {
    /// The project every object belongs to.
    pub(crate) project: String,
    /// The native region.
    pub(crate) region: String,
    /// Compute Engine base URL.
    pub(crate) compute_base: url::Url,
    /// Cloud Storage base URL.
    pub(crate) storage_base: url::Url,
    /// Cloud DNS base URL.
    pub(crate) dns_base: url::Url,
    /// Compute Engine calls.
    pub(crate) compute: Api,
    /// Cloud Storage calls.
    pub(crate) storage: Api,
    /// Cloud DNS calls.
    pub(crate) dns: Api,
    /// Cloud SQL Admin base URL.
    pub(crate) sql_base: url::Url,
    /// Cloud SQL Admin calls.
    pub(crate) sql: Api,
    /// Memorystore base URL.
    pub(crate) redis_base: url::Url,
    /// Memorystore calls.
    pub(crate) redis: Api,
    /// Cloud KMS base URL.
    pub(crate) kms_base: url::Url,
    /// Cloud KMS calls.
    pub(crate) kms: Api,
    /// Operations started by [`GcpRegion::begin`] and not yet waited for, by object id: the id
    /// reaches Terraform's state first, so a failure while waiting leaves the object tracked
    /// (tainted), never orphaned.
    pub(crate) pending: std::sync::Mutex<std::collections::HashMap<String, serde_json::Value>>,
}

#[cfg(test)]
mod decoder_tests {
    //! Whatever the cloud or the user sends, the decoders answer without panicking.

    use proptest::prelude::*;
    use serde_json::json;

    use super::client::{last, resource_path};

    proptest! {
        #[test]
        fn paths_and_ids_never_panic(s in "\\PC{0,80}") {
            let _ = last(&s);
            let _ = resource_path(&s);
            let _ = crate::kinds::network::gcp::described(&s, "cidr");
            let _ = crate::kinds::firewall::gcp::split_id(&s);
            let _ = crate::kinds::instance::gcp::zone_and_name(&s);
            let _ = crate::kinds::subnet::gcp::subnet_name(&s, &s, &s);
            let _ = super::names::check_name(&s, super::NAME_MAX);
            let _ = super::auth::parse(&format!("{{{s}"));
        }

        #[test]
        fn cloud_answers_never_panic(kind in "\\PC{0,12}", ports in "\\PC{0,12}", age in any::<i64>(), class in "\\PC{0,10}") {
            let rule = json!({"direction": kind, "sourceRanges": [ports.clone()], "allowed": [{"IPProtocol": kind, "ports": [ports]}]});
            let _ = crate::kinds::firewall::gcp::parse_rule(&rule);
            let lifecycle = json!({"rule": [{"action": {"type": "SetStorageClass", "storageClass": class}, "condition": {"age": age}},
                                            {"action": {"type": "Delete"}, "condition": {"age": age}}]});
            let _ = crate::kinds::bucket::gcp::read_lifecycle(&lifecycle);
        }
    }
}
