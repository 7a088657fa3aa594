//! Ephemeral resources (`ephemeral` blocks, Terraform ≥ 1.10): values that exist only while
//! Terraform runs and never reach a plan or state, made to feed write-only arguments.

pub mod password;
