//! `ValidateActionConfig`, `PlanAction` and the streamed `InvokeAction`: the action runs
//! in its own task; its progress messages, then its result, stream to Terraform.

use tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::BoxStream;

use super::convert::{self, decode, diagnostics};
use super::guard;
use super::service::{ProviderService, unknown_type, validate_with};
use crate::action::ActionProgress;
use crate::diag::Diagnostics;
use crate::object::Object;
use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::invoke_action::event;
use crate::provider::Provider;

fn completed(d: Diagnostics) -> pb::invoke_action::Event {
    pb::invoke_action::Event { r#type: Some(event::Type::Completed(event::Completed { diagnostics: diagnostics(d) })) }
}

impl<P: Provider> ProviderService<P> {
    pub(super) async fn action_validate(
        &self,
        req: pb::validate_action_config::Request,
    ) -> pb::validate_action_config::Response {
        let diags = match self.catalog().actions.get(&req.type_name) {
            Some(e) => {
                let ctx = self.context(None);
                let own = async |obj: &Object| guard::run(&req.type_name, e.imp.validate(&ctx, obj)).await;
                validate_with(&e.schema, &e.ty, req.config.as_ref(), true, own).await
            }
            None => unknown_type("action", &req.type_name),
        };
        pb::validate_action_config::Response { diagnostics: diagnostics(diags) }
    }

    pub(super) async fn action_plan(&self, req: pb::plan_action::Request) -> pb::plan_action::Response {
        if let Some(d) = self.auto_deferred() {
            return pb::plan_action::Response { diagnostics: Vec::new(), deferred: Some(d) };
        }
        let ctx = self.context(req.client_capabilities.as_ref());
        let diags = async {
            let e =
                self.catalog().actions.get(&req.action_type).ok_or_else(|| unknown_type("action", &req.action_type))?;
            let config = Object::new(decode(req.config.as_ref(), &e.ty, "action configuration")?, e.ty.clone());
            let mut warnings = Diagnostics::new();
            let r = guard::run(&req.action_type, e.imp.plan(&ctx, &config, &mut warnings)).await;
            warnings.absorb(r);
            Ok::<_, Diagnostics>(warnings)
        }
        .await
        .unwrap_or_else(|d| d);
        pb::plan_action::Response { deferred: ctx.deferred().map(convert::deferred), diagnostics: diagnostics(diags) }
    }

    pub(super) fn action_invoke(&self, req: pb::invoke_action::Request) -> BoxStream<pb::invoke_action::Event> {
        let once =
            |d: Diagnostics| -> BoxStream<pb::invoke_action::Event> { Box::pin(tokio_stream::once(Ok(completed(d)))) };
        let Some(e) = self.catalog().actions.get(&req.action_type) else {
            return once(unknown_type("action", &req.action_type));
        };
        let config = match decode(req.config.as_ref(), &e.ty, "action configuration") {
            Ok(v) => Object::new(v, e.ty.clone()),
            Err(d) => return once(d),
        };
        tracing::debug!(rpc = "InvokeAction", action_type = %req.action_type, "invoking");
        let ctx = self.context(req.client_capabilities.as_ref());
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        let progress = ActionProgress { tx: tx.clone(), warnings: Default::default() };
        let (imp, name) = (e.imp.clone(), req.action_type.clone());
        tokio::spawn(async move {
            let r = guard::run(&name, imp.invoke(&ctx, &config, &progress)).await;
            let mut diags = progress.warnings.into_inner().unwrap_or_default();
            diags.absorb(r);
            let _ = tx.send(completed(diags)).await;
        });
        Box::pin(tokio_stream::StreamExt::map(ReceiverStream::new(rx), Ok))
    }
}
