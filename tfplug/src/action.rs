//! Actions (Terraform ≥ 1.14): operations that are not resources — reboot an instance,
//! take a snapshot — run from an `action` block by `lifecycle { action_trigger {...} }`
//! or `terraform apply -invoke=action.TYPE.NAME`, reporting progress as they go.

use async_trait::async_trait;

use crate::context::Context;
use crate::diag::Diagnostics;
use crate::object::Object;
use crate::proto::tfplugin6::invoke_action as pb;
use crate::schema::Schema;

/// Progress reporting for [`Action::invoke`]; Terraform prints each message as it comes.
pub struct ActionProgress {
    pub(crate) tx: tokio::sync::mpsc::Sender<pb::Event>,
    pub(crate) warnings: std::sync::Mutex<Diagnostics>,
}

impl ActionProgress {
    /// Sends a progress message (shown by Terraform next to the action's address).
    pub async fn send(&self, message: impl Into<String>) {
        let progress = pb::event::Progress { message: message.into() };
        // A closed stream means Terraform went away; the action finishes regardless.
        let _ = self.tx.send(pb::Event { r#type: Some(pb::event::Type::Progress(progress)) }).await;
    }

    /// Adds a warning to the action's result.
    pub fn warn(&self, summary: impl Into<String>, detail: impl Into<String>) {
        if let Ok(mut w) = self.warnings.lock() {
            w.add_warning(summary, detail);
        }
    }
}

/// An action type. `C` is the provider's configured client.
#[async_trait]
pub trait Action<C: Send + Sync + 'static>: Send + Sync + 'static {
    /// The full type name, e.g. `oppie_snapshot`.
    fn type_name(&self) -> &str;

    /// The schema of the action's `config { ... }` block.
    fn schema(&self) -> Schema;

    /// Extra checks on the configuration beyond the schema's validators. May see unknowns.
    async fn validate(&self, _ctx: &Context<C>, _config: &Object) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// Checks at plan time that the action can run (config may contain unknowns); add
    /// warnings to `warnings`, return errors to stop the plan.
    async fn plan(&self, _ctx: &Context<C>, _config: &Object, _warnings: &mut Diagnostics) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// Runs the action with its (wholly known) configuration.
    async fn invoke(&self, ctx: &Context<C>, config: &Object, progress: &ActionProgress) -> Result<(), Diagnostics>;
}
