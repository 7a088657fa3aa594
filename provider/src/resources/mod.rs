//! Managed resource types, one file each; `common` holds what the cloud resources share.

pub mod bucket;
pub mod checks;
pub mod common;
pub mod environment;
pub mod firewall;
pub mod instance;
pub mod network;
pub mod registry;
pub mod subnet;
