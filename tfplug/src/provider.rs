//! The [`Provider`] trait: the provider's own configuration and the types it offers.

use std::sync::Arc;

use async_trait::async_trait;

use crate::action::Action;
use crate::data_source::DataSource;
use crate::diag::Diagnostics;
use crate::ephemeral::EphemeralResource;
use crate::function::Function;
use crate::list::ListResource;
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

/// A provider: configuration, resources, data sources, functions, list resources,
/// actions and ephemeral resources.
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

    /// The list resources (`list` blocks, `terraform query`); each lists the managed
    /// resource type of the same name, which must have an identity.
    fn list_resources(&self) -> Vec<Arc<dyn ListResource<Self::Client>>> {
        Vec::new()
    }

    /// The action types (`action` blocks).
    fn actions(&self) -> Vec<Arc<dyn Action<Self::Client>>> {
        Vec::new()
    }

    /// The ephemeral resource types (`ephemeral` blocks).
    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource<Self::Client>>> {
        Vec::new()
    }

    /// Opt in to automatic deferral: when the `provider` block has values known only
    /// after apply and Terraform allows deferral, tfplug skips `configure` and answers
    /// every read, plan, import, data source, ephemeral open and action plan of this
    /// process as deferred (reason `ProviderConfigUnknown`), so Terraform plans them in a
    /// later round. Without it (or when Terraform does not allow deferral) `configure`
    /// sees the unknown values, as before.
    fn defer_when_configuration_unknown(&self) -> bool {
        false
    }
}
