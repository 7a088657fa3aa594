//! The [`DataSource`] trait: a read-only lookup in plain Rust.

use async_trait::async_trait;

use crate::context::Context;
use crate::diag::Diagnostics;
use crate::object::Object;
use crate::schema::Schema;

/// A data source type. `C` is the provider's configured client.
#[async_trait]
pub trait DataSource<C: Send + Sync + 'static>: Send + Sync + 'static {
    /// The full type name, e.g. `oppie_catalog`.
    fn type_name(&self) -> &str;

    /// The schema. Called once per process.
    fn schema(&self) -> Schema;

    /// Extra checks on the configuration beyond the schema's validators. May see unknowns.
    async fn validate(&self, _ctx: &Context<C>, _config: &Object) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// Fills every computed attribute of `state` (which starts as the configuration).
    async fn read(&self, ctx: &Context<C>, state: &mut Object) -> Result<(), Diagnostics>;
}
