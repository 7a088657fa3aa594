//! [`Context`]: what every resource, data source and provider call receives besides its request:
//! the configured client, cancellation (Ctrl-C / `StopProvider`), and facts about the Terraform core.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::diag::Diagnostics;

/// Per-call context. `C` is what the provider's `configure` produced.
pub struct Context<C> {
    client: Option<Arc<C>>,
    cancel: CancellationToken,
    terraform_version: Arc<str>,
}

impl<C> Clone for Context<C> {
    fn clone(&self) -> Self {
        Context {
            client: self.client.clone(),
            cancel: self.cancel.clone(),
            terraform_version: self.terraform_version.clone(),
        }
    }
}

impl<C> Context<C> {
    /// A context; tfplug builds these, tests may too.
    pub fn new(client: Option<Arc<C>>, cancel: CancellationToken, terraform_version: Arc<str>) -> Self {
        Context { client, cancel, terraform_version }
    }

    /// The configured client, or an error diagnostic if the provider is not configured
    /// (validation calls never are).
    pub fn client(&self) -> Result<&C, Diagnostics> {
        self.client.as_deref().ok_or_else(|| {
            Diagnostics::error(
                "Provider not configured",
                "This operation needs the provider's configuration, which Terraform has not sent yet.",
            )
        })
    }

    /// The configured client, if any.
    pub fn try_client(&self) -> Option<&Arc<C>> {
        self.client.as_ref()
    }

    /// The Terraform (or OpenTofu) version that sent `ConfigureProvider`, if known.
    pub fn terraform_version(&self) -> &str {
        &self.terraform_version
    }

    /// True once Terraform asked the provider to stop (first Ctrl-C).
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Resolves when Terraform asks the provider to stop.
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await
    }

    /// The token behind [`Context::cancelled`], for code that wants to pass it on.
    pub fn cancellation_token(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Runs `fut`, giving up with an error diagnostic when `limit` passes or Terraform
    /// asks the provider to stop — the building block of bounded waits.
    pub async fn bounded<T>(
        &self,
        what: &str,
        limit: Duration,
        fut: impl Future<Output = Result<T, Diagnostics>>,
    ) -> Result<T, Diagnostics> {
        tokio::select! {
            r = fut => r,
            _ = tokio::time::sleep(limit) => Err(Diagnostics::error(
                format!("Timed out {what}"),
                format!("Gave up after {}. Raise the limit in the resource's timeouts block if the cloud is slow.",
                    crate::duration::format(limit)),
            )),
            _ = self.cancel.cancelled() => Err(Diagnostics::error(
                format!("Cancelled {what}"),
                "Terraform asked the provider to stop (interrupt).",
            )),
        }
    }
}
