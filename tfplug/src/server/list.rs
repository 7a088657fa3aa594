//! `ListResource` and `ValidateListResourceConfig`: a list runs in its own task and its
//! results stream to Terraform as they are found.

use std::sync::Arc;

use futures::FutureExt;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::BoxStream;

use super::convert::{decode, diagnostics, encode};
use super::guard;
use super::service::{ProviderService, settle_unknowns, shaped, unknown_type, validate_with};
use crate::diag::Diagnostics;
use crate::list::{Fetch, ListRequest, ListResults};
use crate::object::Object;
use crate::plan;
use crate::private::Private;
use crate::proto::tfplugin6 as pb;
use crate::provider::Provider;
use crate::resource::ReadResponse;

/// What a running list sends to the stream.
pub(crate) enum ListEvent {
    /// One object: display name, identity and (when asked for) its state.
    Item(Box<(String, Object, Option<Object>)>),
    /// Diagnostics on their own (warnings while listing, or the list's failure).
    Diagnostics(Diagnostics),
}

impl<P: Provider> ProviderService<P> {
    pub(super) async fn validate_list(
        &self,
        req: pb::validate_list_resource_config::Request,
    ) -> pb::validate_list_resource_config::Response {
        let diags = match self.catalog().lists.get(&req.type_name) {
            Some(e) => {
                let ctx = self.context(None);
                let own = async |obj: &Object| guard::run(&req.type_name, e.imp.validate(&ctx, obj)).await;
                validate_with(&e.schema, &e.ty, req.config.as_ref(), true, own).await
            }
            None => unknown_type("list resource", &req.type_name),
        };
        pb::validate_list_resource_config::Response { diagnostics: diagnostics(diags) }
    }

    pub(super) fn list_stream(&self, req: pb::list_resource::Request) -> BoxStream<pb::list_resource::Event> {
        let failed = |d: Diagnostics| -> BoxStream<pb::list_resource::Event> {
            let event = pb::list_resource::Event { diagnostic: diagnostics(d), ..Default::default() };
            Box::pin(tokio_stream::once(Ok(event)))
        };
        let c = self.catalog();
        let Some(list) = c.lists.get(&req.type_name) else {
            return failed(unknown_type("list resource", &req.type_name));
        };
        let Some((resource, id)) = c.resources.get(&req.type_name).and_then(|r| r.identity.as_ref().map(|i| (r, i)))
        else {
            return failed(unknown_type("resource with an identity", &req.type_name));
        };
        let config = match decode(req.config.as_ref(), &list.ty, "list configuration") {
            Ok(v) => Object::new(v, list.ty.clone()),
            Err(d) => return failed(d),
        };
        tracing::debug!(rpc = "ListResource", tf_resource_type = %req.type_name, limit = req.limit, "listing");
        let ctx = self.context(None);
        let lister = list.imp.clone();
        let type_name = req.type_name.clone();

        // Full objects the list did not supply come from the resource itself, exactly
        // as Terraform would get them by importing the identity and refreshing.
        let fetch: Fetch = {
            let (imp, ty, identity_ty, ctx) = (resource.imp.clone(), resource.ty.clone(), id.ty.clone(), ctx.clone());
            Arc::new(move |identity: Object| {
                let (imp, ty, identity_ty, ctx) = (imp.clone(), ty.clone(), identity_ty.clone(), ctx.clone());
                async move {
                    let mut resp = ReadResponse::new(
                        Object::empty(ty),
                        Object::new(identity.value().clone(), identity_ty),
                        Private::default(),
                    );
                    let name = imp.type_name().to_string();
                    guard::run(&name, imp.import_identity(&ctx, &identity, &mut resp)).await?;
                    guard::run(&name, imp.read(&ctx, &mut resp)).await?;
                    if resp.state.is_null() {
                        return Err(Diagnostics::error(
                            "Listed object vanished",
                            format!("A {name} found by the list no longer exists."),
                        ));
                    }
                    Ok(resp.state)
                }
                .boxed()
            })
        };
        let (tx, rx) = tokio::sync::mpsc::channel(32);
        let mut results = ListResults {
            tx: tx.clone(),
            identity_ty: id.ty.clone(),
            resource_ty: resource.ty.clone(),
            limit: req.limit,
            sent: 0,
            include_resource: req.include_resource_object,
            fetch,
        };
        let lreq = ListRequest { config, limit: req.limit, include_resource: req.include_resource_object };
        tokio::spawn(async move {
            let r = guard::run(&type_name, lister.list(&ctx, &lreq, &mut results)).await;
            if let Err(d) = r {
                let _ = tx.send(ListEvent::Diagnostics(d)).await;
            }
        });

        let (schema, ty, identity_ty, type_name) =
            (resource.schema.clone(), resource.ty.clone(), id.ty.clone(), req.type_name.clone());
        let events = ReceiverStream::new(rx).map(move |event| {
            Ok(match event {
                ListEvent::Diagnostics(d) => pb::list_resource::Event { diagnostic: diagnostics(d), ..Default::default() },
                ListEvent::Item(item) => {
                    let (display_name, identity, resource) = *item;
                    let mut diags = Diagnostics::new();
                    let identity = shaped(identity.into_value(), &identity_ty, &mut diags);
                    if identity.is_null() || !identity.is_wholly_known() {
                        diags.add_error(
                            "Listed object without identity",
                            format!("The list of {type_name} sent {display_name:?} without a complete identity. This is a bug in the provider."),
                        );
                    }
                    let identity = encode(&identity, &identity_ty, "identity");
                    let resource = resource.map(|r| {
                        let mut v = shaped(r.into_value(), &ty, &mut diags);
                        settle_unknowns(&mut v, &type_name, &mut diags);
                        plan::null_write_only(&schema.block.attributes, &schema.block.blocks, &mut v);
                        encode(&v, &ty, "listed object")
                    });
                    match (identity, resource.transpose()) {
                        (Ok(identity), Ok(resource_object)) if !diags.has_errors() => pb::list_resource::Event {
                            identity: Some(pb::ResourceIdentityData { identity_data: Some(identity) }),
                            display_name,
                            resource_object,
                            diagnostic: diagnostics(diags),
                        },
                        (i, r) => {
                            diags.absorb(i);
                            diags.absorb(r);
                            pb::list_resource::Event { diagnostic: diagnostics(diags), ..Default::default() }
                        }
                    }
                }
            })
        });
        Box::pin(events)
    }
}
