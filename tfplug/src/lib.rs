//! # tfplug
//!
//! Write Terraform and OpenTofu providers in plain Rust. tfplug speaks plugin
//! protocol 6 and 5 (as of Terraform 1.15), handles the go-plugin handshake and
//! AutoMTLS, encodes cty values, and does the schema-driven part of planning, so a
//! resource is a schema plus `create`/`read`/`update`/`delete` on plain structs.
//!
//! A complete provider with one resource fits on a screen: see `examples/sets.rs`.
//!
//! ```ignore
//! fn main() -> std::process::ExitCode {
//!     tfplug::main(MyProvider, "registry.terraform.io/example/example")
//! }
//! ```
//!
//! Crate layout: [`cty`] (types, values, codecs, serde), [`schema`], [`validator`],
//! [`plan`] (plan modifiers), [`resource`] (with [`identity`]), [`data_source`],
//! [`function`], [`list`] (`terraform query`), [`action`], [`ephemeral`], [`provider`],
//! [`server`] (protocol and process), [`logging`].

#![warn(missing_docs)]

pub mod action;
pub mod context;
pub mod cty;
pub mod data_source;
pub mod diag;
pub mod duration;
pub mod ephemeral;
pub mod function;
pub mod identity;
pub mod list;
pub mod logging;
pub mod object;
pub mod plan;
pub mod private;
pub mod proto;
pub mod provider;
pub mod resource;
pub mod schema;
pub mod server;
pub mod testing;
pub mod timeouts;
pub mod validator;

pub use action::{Action, ActionProgress};
pub use async_trait::async_trait;
pub use context::{Context, DeferralReason};
pub use cty::{AttributePath, MaybeUnknown, Type, Value};
pub use data_source::DataSource;
pub use diag::{Diagnostic, Diagnostics, Severity};
pub use ephemeral::{EphemeralResource, OpenResponse, RenewResponse};
pub use function::{Function, FunctionError, Parameter, Signature};
pub use identity::{IdentityAttribute, IdentitySchema};
pub use list::{ListItem, ListRequest, ListResource, ListResults};
pub use object::Object;
pub use private::Private;
pub use provider::{ConfigureRequest, Provider};
pub use resource::{ApplyResponse, MoveRequest, MoveResponse, Plan, ReadResponse, Resource};
pub use schema::{Attribute, Block, NestedBlock, Nesting, Schema};
pub use server::main;
