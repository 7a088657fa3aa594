//! The [`Provider`] trait: the provider's own configuration and the types it offers.

use std::sync::Arc;

use async_trait::async_trait;

use crate::data_source::DataSource;
use crate::diag::Diagnostics;
use crate::function::Function;
use crate::object::Object;
use crate::resource::Resource;
use crate::schema::Schema;

/// What `configure` receives.
pub struct ConfigureRequest {
    /// The `provider` block (attributes null when absent). May contain unknowns.
    pub config: Object,
    /// The version of the Terraform core.
    pub terraform_version: String,
}

/// A provider: configuration, resources, data sources and functions.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What `configure` builds and every resource call receives (API clients, settings).
    type Client: Send + Sync + 'static;

    /// The provider type name, e.g. `oppie` (resource types start with `oppie_`).
    fn type_name(&self) -> &str;

    /// The provider's version, shown when the binary is run by hand.
    fn version(&self) -> &str;

    /// The schema of the `provider` block.
    fn schema(&self) -> Schema;

    /// Extra checks on the provider configuration. May see unknowns.
    async fn validate(&self, _config: &Object) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// Builds the client from the configuration; once per provider process.
    async fn configure(&self, req: ConfigureRequest) -> Result<Self::Client, Diagnostics>;

    /// The managed resource types.
    fn resources(&self) -> Vec<Arc<dyn Resource<Self::Client>>>;

    /// The data source types.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Self::Client>>> {
        Vec::new()
    }

    /// The provider-defined functions.
    fn functions(&self) -> Vec<Arc<dyn Function>> {
        Vec::new()
    }
}
