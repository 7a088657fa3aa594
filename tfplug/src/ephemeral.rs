//! Ephemeral resources (Terraform ≥ 1.10): values such as passwords or short-lived
//! tokens that exist only while Terraform runs — opened, maybe renewed, then closed —
//! and are never written to a plan or state. They feed write-only arguments.

use std::time::SystemTime;

use async_trait::async_trait;

use crate::context::Context;
use crate::diag::Diagnostics;
use crate::object::Object;
use crate::private::Private;
use crate::schema::Schema;

/// What [`EphemeralResource::open`] returns through.
pub struct OpenResponse {
    /// The result; starts as the configuration (defaults applied). Fill the computed
    /// attributes; configured values must stay as they are.
    pub result: Object,
    /// Data `renew` and `close` receive (e.g. a lease id).
    pub private: Private,
    /// When Terraform should call `renew`, if the value expires while in use.
    pub renew_at: Option<SystemTime>,
    /// Warnings (errors are returned).
    pub diagnostics: Diagnostics,
}

/// What [`EphemeralResource::renew`] returns through.
pub struct RenewResponse {
    /// Starts as the private data from `open` (or the last renewal); update it.
    pub private: Private,
    /// When to renew next, if ever.
    pub renew_at: Option<SystemTime>,
    /// Warnings (errors are returned).
    pub diagnostics: Diagnostics,
}

/// An ephemeral resource type. `C` is the provider's configured client.
#[async_trait]
pub trait EphemeralResource<C: Send + Sync + 'static>: Send + Sync + 'static {
    /// The full type name, e.g. `oppie_password`.
    fn type_name(&self) -> &str;

    /// The schema.
    fn schema(&self) -> Schema;

    /// Extra checks on the configuration beyond the schema's validators. May see unknowns.
    async fn validate(&self, _ctx: &Context<C>, _config: &Object) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// Produces the value. Terraform does not call it while the configuration still has
    /// unknown values (the result is then unknown until apply).
    async fn open(&self, ctx: &Context<C>, config: &Object, resp: &mut OpenResponse) -> Result<(), Diagnostics>;

    /// Extends the value's life; called at `renew_at` while Terraform still uses it.
    async fn renew(&self, _ctx: &Context<C>, _resp: &mut RenewResponse) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// Releases the value (revoke a lease, delete a temporary credential).
    async fn close(&self, _ctx: &Context<C>, _private: &Private) -> Result<(), Diagnostics> {
        Ok(())
    }
}
