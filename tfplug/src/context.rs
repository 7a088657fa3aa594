//! [`Context`]: what every resource, data source and provider call receives besides its request:
//! the configured client, cancellation (Ctrl-C / `StopProvider`), facts about the Terraform core,
//! and the way to ask Terraform to defer the call ([`Context::defer`]).

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::diag::Diagnostics;

/// Why a call is deferred: Terraform plans the object in a later round instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeferralReason {
    /// Some other reason.
    Unknown,
    /// The resource's configuration has values known only after apply.
    ResourceConfigUnknown,
    /// The provider's configuration has values known only after apply.
    ProviderConfigUnknown,
    /// Something the object needs does not exist yet.
    AbsentPrerequisite,
}

/// Per-call context. `C` is what the provider's `configure` produced.
pub struct Context<C> {
    client: Option<Arc<C>>,
    cancel: CancellationToken,
    terraform_version: Arc<str>,
    deferral_allowed: bool,
    deferred: Arc<Mutex<Option<DeferralReason>>>,
}

impl<C> Clone for Context<C> {
    fn clone(&self) -> Self {
        Context {
            client: self.client.clone(),
            cancel: self.cancel.clone(),
            terraform_version: self.terraform_version.clone(),
            deferral_allowed: self.deferral_allowed,
            deferred: self.deferred.clone(),
        }
    }
}

impl<C> Context<C> {
    /// A context; tfplug builds these, tests may too.
    pub fn new(client: Option<Arc<C>>, cancel: CancellationToken, terraform_version: Arc<str>) -> Self {
        Context { client, cancel, terraform_version, deferral_allowed: false, deferred: Arc::default() }
    }

    /// The same context for a call whose client allows deferral (`deferral_allowed`).
    pub fn allowing_deferral(mut self, allowed: bool) -> Self {
        self.deferral_allowed = allowed;
        self
    }

    /// True when Terraform accepts a deferred answer to this call. Only
    /// `terraform plan/apply -allow-deferral` (an experiment, in builds with
    /// experiments enabled) and Terraform Stacks allow it; ordinary runs never do.
    pub fn deferral_allowed(&self) -> bool {
        self.deferral_allowed
    }

    /// Asks Terraform to defer this read, plan, import, data source read, ephemeral
    /// open or action plan to a later round. Fails with an error diagnostic saying why
    /// when the client does not allow deferral; return it (`ctx.defer(..)?`) to stop.
    pub fn defer(&self, reason: DeferralReason) -> Result<(), Diagnostics> {
        if !self.deferral_allowed {
            return Err(Diagnostics::error(
                "Cannot defer",
                format!(
                    "The provider needs to defer this operation ({reason:?}), but this Terraform run does not allow deferred changes. Apply the resources it depends on first (for example with -target), then run again."
                ),
            ));
        }
        if let Ok(mut slot) = self.deferred.lock() {
            *slot = Some(reason);
        }
        Ok(())
    }

    /// The reason recorded by [`Context::defer`], if any.
    pub fn deferred(&self) -> Option<DeferralReason> {
        self.deferred.lock().ok().and_then(|slot| *slot)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defer_needs_the_client_to_allow_it() {
        let ctx: Context<()> = Context::new(None, CancellationToken::new(), Arc::from("1.15.5"));
        let err = ctx.defer(DeferralReason::ResourceConfigUnknown).unwrap_err();
        assert!(err.0[0].detail.contains("does not allow"), "{err}");
        assert_eq!(ctx.deferred(), None);
        let ctx = ctx.allowing_deferral(true);
        let shared = ctx.clone();
        ctx.defer(DeferralReason::AbsentPrerequisite).unwrap();
        assert_eq!(shared.deferred(), Some(DeferralReason::AbsentPrerequisite));
    }
}
