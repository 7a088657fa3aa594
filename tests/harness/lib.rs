//! Test harness for end-to-end tests: runs the real Terraform CLIs (installed by
//! `make tools` into `.tools/`) against the freshly built provider in a private mirror.

pub mod aws;
pub mod azure;
pub mod gcp;
pub mod matrix;
pub mod proxy;
pub mod terraform;

pub use terraform::{Terraform, TfOutput, Version};
