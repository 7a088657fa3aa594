//! Resource kinds, one folder each: the neutral schema and plan logic in `mod.rs`, the
//! mapping onto each cloud beside it (`aws.rs`, `gcp.rs`, `azure.rs`).

pub mod bucket;
pub mod checks;
pub mod cidr_ledger;
pub mod common;
pub mod environment;
pub mod firewall;
pub mod instance;
pub mod network;
pub mod subnet;
