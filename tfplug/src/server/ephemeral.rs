//! Ephemeral resources: validate, open, renew, close. Results go to Terraform's memory
//! only; nothing here is ever part of a plan or state.

use super::convert::{self, decode, diagnostics, encode};
use super::guard;
use super::service::{ProviderService, settle_unknowns, shaped, unknown_type, validate_with};
use crate::diag::Diagnostics;
use crate::ephemeral::{OpenResponse, RenewResponse};
use crate::object::Object;
use crate::plan;
use crate::private::Private;
use crate::proto::tfplugin6 as pb;
use crate::provider::Provider;

fn private_bytes(p: &Private) -> Option<Vec<u8>> {
    let bytes = p.to_bytes();
    (!bytes.is_empty()).then_some(bytes)
}

impl<P: Provider> ProviderService<P> {
    pub(super) async fn validate_ephemeral(
        &self,
        req: pb::validate_ephemeral_resource_config::Request,
    ) -> pb::validate_ephemeral_resource_config::Response {
        let diags = match self.catalog().ephemerals.get(&req.type_name) {
            Some(e) => {
                let ctx = self.context(None);
                let own = async |obj: &Object| guard::run(&req.type_name, e.imp.validate(&ctx, obj)).await;
                validate_with(&e.schema, &e.ty, req.config.as_ref(), true, own).await
            }
            None => unknown_type("ephemeral resource", &req.type_name),
        };
        pb::validate_ephemeral_resource_config::Response { diagnostics: diagnostics(diags) }
    }

    pub(super) async fn open_ephemeral(
        &self,
        req: pb::open_ephemeral_resource::Request,
    ) -> pb::open_ephemeral_resource::Response {
        if let Some(d) = self.auto_deferred() {
            return pb::open_ephemeral_resource::Response { deferred: Some(d), ..Default::default() };
        }
        let result: Result<pb::open_ephemeral_resource::Response, Diagnostics> = async {
            let e = self
                .catalog()
                .ephemerals
                .get(&req.type_name)
                .ok_or_else(|| unknown_type("ephemeral resource", &req.type_name))?;
            let config = decode(req.config.as_ref(), &e.ty, "configuration")?;
            let mut start = config.clone();
            plan::apply_defaults(&e.schema.block.attributes, &config, &mut start);
            let mut resp = OpenResponse {
                result: Object::new(start, e.ty.clone()),
                private: Private::default(),
                renew_at: None,
                diagnostics: Diagnostics::new(),
            };
            let ctx = self.context(req.client_capabilities.as_ref());
            let config = Object::new(config, e.ty.clone());
            let r = guard::run(&req.type_name, e.imp.open(&ctx, &config, &mut resp)).await;
            let mut diags = std::mem::take(&mut resp.diagnostics);
            diags.absorb(r);
            diags.clone().into_result()?;
            if let Some(reason) = ctx.deferred() {
                return Ok(pb::open_ephemeral_resource::Response {
                    diagnostics: diagnostics(diags),
                    deferred: Some(convert::deferred(reason)),
                    ..Default::default()
                });
            }
            let mut v = shaped(resp.result.into_value(), &e.ty, &mut diags);
            settle_unknowns(&mut v, &req.type_name, &mut diags);
            diags.clone().into_result()?;
            Ok(pb::open_ephemeral_resource::Response {
                diagnostics: diagnostics(diags),
                renew_at: resp.renew_at.map(convert::timestamp),
                result: Some(encode(&v, &e.ty, "ephemeral result")?),
                private: private_bytes(&resp.private),
                deferred: None,
            })
        }
        .await;
        result.unwrap_or_else(|d| pb::open_ephemeral_resource::Response {
            diagnostics: diagnostics(d),
            ..Default::default()
        })
    }

    pub(super) async fn renew_ephemeral(
        &self,
        req: pb::renew_ephemeral_resource::Request,
    ) -> pb::renew_ephemeral_resource::Response {
        let result: Result<pb::renew_ephemeral_resource::Response, Diagnostics> = async {
            let e = self
                .catalog()
                .ephemerals
                .get(&req.type_name)
                .ok_or_else(|| unknown_type("ephemeral resource", &req.type_name))?;
            let mut resp = RenewResponse {
                private: Private::from_bytes(req.private.as_deref().unwrap_or_default()),
                renew_at: None,
                diagnostics: Diagnostics::new(),
            };
            let ctx = self.context(None);
            let r = guard::run(&req.type_name, e.imp.renew(&ctx, &mut resp)).await;
            let mut diags = std::mem::take(&mut resp.diagnostics);
            diags.absorb(r);
            Ok(pb::renew_ephemeral_resource::Response {
                diagnostics: diagnostics(diags),
                renew_at: resp.renew_at.map(convert::timestamp),
                private: private_bytes(&resp.private),
            })
        }
        .await;
        result.unwrap_or_else(|d| pb::renew_ephemeral_resource::Response {
            diagnostics: diagnostics(d),
            ..Default::default()
        })
    }

    pub(super) async fn close_ephemeral(
        &self,
        req: pb::close_ephemeral_resource::Request,
    ) -> pb::close_ephemeral_resource::Response {
        let diags = async {
            let e = self
                .catalog()
                .ephemerals
                .get(&req.type_name)
                .ok_or_else(|| unknown_type("ephemeral resource", &req.type_name))?;
            let private = Private::from_bytes(req.private.as_deref().unwrap_or_default());
            let ctx = self.context(None);
            guard::run(&req.type_name, e.imp.close(&ctx, &private)).await
        }
        .await;
        pb::close_ephemeral_resource::Response { diagnostics: diagnostics(diags.err().unwrap_or_default()) }
    }
}
