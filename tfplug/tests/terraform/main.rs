//! End to end through the real Terraform CLI (1.15.5, and 1.0.3 for compatibility):
//! the `notes` example provider exercising resource identity, `terraform query`,
//! config generation, actions, ephemeral resources, write-only arguments, and what a
//! failed apply leaves in state.

mod harness;

mod actions;
mod apply;
mod identity;
mod query;
mod write_only;
