//! The GCP backend: Compute Engine for networks, subnetworks, firewall rules and VMs, Cloud
//! Storage for buckets, through their REST APIs. One [`GcpRegion`] serves one region.

mod auth;
mod bucket;
mod client;
mod errors;
mod firewall;
mod instance;
mod labels;
mod names;
mod network;
mod subnet;

pub use client::{DEFAULT_MAX_ATTEMPTS, GcpCloud, Settings};
pub use labels::check_labels;
pub use names::{FIREWALL_NAME_MAX, NAME_MAX, check_name};

use crate::clouds::http::Api;

/// The clients of one project and region; implements every backend trait.
pub struct GcpRegion {
    project: String,
    region: String,
    compute_base: url::Url,
    storage_base: url::Url,
    compute: Api,
    storage: Api,
    /// Insert operations of instances whose create returned before the operation was done,
    /// by instance id: the id reaches Terraform's state first, so a failure while waiting
    /// leaves the VM tracked (tainted), never orphaned.
    pending: std::sync::Mutex<std::collections::HashMap<String, serde_json::Value>>,
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
            let _ = super::network::described(&s, "cidr");
            let _ = super::firewall::split_id(&s);
            let _ = super::instance::zone_and_name(&s);
            let _ = super::subnet::subnet_name(&s, &s, &s);
            let _ = super::names::check_name(&s, super::NAME_MAX);
            let _ = super::auth::parse(&format!("{{{s}"));
        }

        #[test]
        fn cloud_answers_never_panic(kind in "\\PC{0,12}", ports in "\\PC{0,12}", age in any::<i64>(), class in "\\PC{0,10}") {
            let rule = json!({"direction": kind, "sourceRanges": [ports.clone()], "allowed": [{"IPProtocol": kind, "ports": [ports]}]});
            let _ = super::firewall::parse_rule(&rule);
            let lifecycle = json!({"rule": [{"action": {"type": "SetStorageClass", "storageClass": class}, "condition": {"age": age}},
                                            {"action": {"type": "Delete"}, "condition": {"age": age}}]});
            let _ = super::bucket::read_lifecycle(&lifecycle);
        }
    }
}
